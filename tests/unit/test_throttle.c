/*
 * Login throttling: the backoff and lockout arithmetic, address keys, the in-memory table, and
 * core_login over a real SQLite store with a clock moved by hand (an unknown username treated
 * exactly like a known one, a lock surviving a new core, unlock, a good login forgetting).
 */
#include "core/core.h"
#include "core/identity.h"
#include "core/throttle.h"
#include "store/seal.h"
#include "store/store_sqlite.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

#define T0 1795000000
#define PW "correct horse battery"

static const struct login_limits limits = {
    .max_failures = 10, .lockout_seconds = 900, .max_failures_per_address = 100};

static void backoff_doubles_after_the_free_failures_up_to_its_cap(void **state)
{
    static const struct {
        int64_t failures, free_failures, want;
    } v[] = {{0, 5, 0},   {5, 5, 0},   {6, 5, 1},   {7, 5, 2},          {8, 5, 4}, {9, 5, 8},
             {11, 5, 32}, {12, 5, 60}, {40, 5, 60}, {INT64_MAX, 5, 60}, {1, 0, 1}, {0, 0, 0}};

    (void)state;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        assert_int_equal(throttle_backoff(v[i].failures, v[i].free_failures), v[i].want);
}

static void a_username_slows_then_locks_then_starts_over(void **state)
{
    static const int64_t want_wait[] = {0, 0, 0, 0, 0, 1, 2, 4, 8};
    struct login_throttle t = {.kind = THROTTLE_USERNAME, .name = "alice"};
    int64_t now = T0;

    (void)state;
    for (size_t i = 0; i < sizeof(want_wait) / sizeof(want_wait[0]); i++) {
        assert_int_equal(throttle_wait(&limits, &t, now), 0);
        assert_false(throttle_fail(&limits, &t, now));
        assert_int_equal(throttle_wait(&limits, &t, now), want_wait[i]);
        now += want_wait[i];
    }
    /* the 10th failure locks for lockout_seconds, whatever the backoff was */
    assert_true(throttle_fail(&limits, &t, now));
    assert_int_equal(t.locked_until, now + 900);
    assert_int_equal(throttle_wait(&limits, &t, now), 900);
    assert_int_equal(throttle_wait(&limits, &t, now + 899), 1);
    assert_false(throttle_is_stale(&limits, &t, now + 899));
    assert_int_equal(throttle_wait(&limits, &t, now + 900), 0);
    assert_true(throttle_is_stale(&limits, &t, now + 900));
    /* after the lock, the count starts over: five more failures cost nothing */
    now += 900;
    for (int i = 0; i < 5; i++) {
        assert_false(throttle_fail(&limits, &t, now));
        assert_int_equal(throttle_wait(&limits, &t, now), 0);
    }
    assert_int_equal(t.locked_until, 0);
}

static void failures_are_forgotten_after_lockout_seconds(void **state)
{
    struct login_throttle t = {.kind = THROTTLE_USERNAME, .name = "bob"};

    (void)state;
    for (int i = 0; i < 9; i++)
        (void)throttle_fail(&limits, &t, T0);
    assert_int_equal(t.failures, 9);
    assert_int_equal(throttle_wait(&limits, &t, T0), 8);
    assert_false(throttle_is_stale(&limits, &t, T0 + 899));
    assert_true(throttle_is_stale(&limits, &t, T0 + 900));
    /* a failure after the window counts as the first */
    assert_false(throttle_fail(&limits, &t, T0 + 900));
    assert_int_equal(t.failures, 1);
}

static void an_address_is_slowed_late_and_never_locked(void **state)
{
    struct login_throttle t = {.kind = THROTTLE_ADDRESS, .name = "192.0.2.1"};
    int64_t now = T0;

    (void)state;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(throttle_wait(&limits, &t, now), 0);
        assert_false(throttle_fail(&limits, &t, now));
    }
    assert_int_equal(throttle_wait(&limits, &t, now), 0);
    assert_false(throttle_fail(&limits, &t, now)); /* the 101st */
    assert_int_equal(throttle_wait(&limits, &t, now), 1);
    for (int i = 0; i < 50; i++)
        assert_false(throttle_fail(&limits, &t, ++now));
    assert_int_equal(t.locked_until, 0);
    assert_int_equal(throttle_wait(&limits, &t, now), THROTTLE_BACKOFF_MAX_SECONDS);
}

static void no_wait_exceeds_the_lockout_nor_grows_when_the_clock_goes_back(void **state)
{
    const struct login_limits short_lock = {
        .max_failures = 100, .lockout_seconds = 3, .max_failures_per_address = 1};
    struct login_throttle t = {.kind = THROTTLE_ADDRESS, .name = "192.0.2.2"};

    (void)state;
    for (int i = 0; i < 5; i++)
        (void)throttle_fail(&short_lock, &t, T0);
    /* backoff 8 s, but never past lockout_seconds */
    assert_int_equal(throttle_wait(&short_lock, &t, T0), 3);
    /* a clock set back an hour does not make the wait an hour */
    assert_int_equal(throttle_wait(&short_lock, &t, T0 - 3600), 3);
}

static void address_keys_group_an_ipv6_slash_64(void **state)
{
    static const struct {
        const char *ip, *key;
    } v[] = {{"192.0.2.7", "192.0.2.7"},
             {"::ffff:192.0.2.7", "192.0.2.7"},
             {"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
             {"2001:db8:1:2::ffff", "2001:db8:1:2::/64"},
             {"::1", "::/64"},
             {"unknown", "unknown"}};
    char key[THROTTLE_ADDRESS_LEN];

    (void)state;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        throttle_address_key(v[i].ip, key);
        assert_string_equal(key, v[i].key);
    }
}

static void the_table_caches_records_in_force_and_stays_bounded(void **state)
{
    struct throttle_table *tt = throttle_table_new(2);
    struct login_throttle locked = {.kind = THROTTLE_USERNAME,
                                    .name = "carol",
                                    .last_failure_at = T0,
                                    .locked_until = T0 + 900};
    struct login_throttle slow = {
        .kind = THROTTLE_ADDRESS, .name = "192.0.2.9", .failures = 102, .last_failure_at = T0};
    struct login_throttle other = {
        .kind = THROTTLE_USERNAME, .name = "dave", .failures = 1, .last_failure_at = T0};
    struct login_throttle stale = locked;

    (void)state;
    assert_non_null(tt);
    assert_int_equal(throttle_table_wait(tt, &limits, "carol", "192.0.2.9", T0), 0);
    throttle_table_set(tt, &limits, &locked, T0);
    throttle_table_set(tt, &limits, &slow, T0);
    assert_int_equal(throttle_table_count(tt), 2);
    assert_int_equal(throttle_table_wait(tt, &limits, "carol", "198.51.100.1", T0), 900);
    assert_int_equal(throttle_table_wait(tt, &limits, "erin", "192.0.2.9", T0), 2);
    /* the same name of the other kind is another record */
    assert_int_equal(throttle_table_wait(tt, &limits, "192.0.2.9", "carol", T0), 0);
    /* full of records in force: a third is not cached */
    throttle_table_set(tt, &limits, &other, T0);
    assert_int_equal(throttle_table_count(tt), 2);
    /* once the others are stale, a sweep makes room */
    other.last_failure_at = T0 + 900;
    throttle_table_set(tt, &limits, &other, T0 + 900);
    assert_int_equal(throttle_table_wait(tt, &limits, "dave", "-", T0 + 900), 0);
    assert_int_equal(throttle_table_count(tt), 1);
    /* a stale record forgets its name; forget does too */
    stale.name = "dave";
    stale.locked_until = 0;
    throttle_table_set(tt, &limits, &stale, T0 + 2000);
    assert_int_equal(throttle_table_count(tt), 0);
    throttle_table_set(tt, &limits, &slow, T0);
    throttle_table_forget(tt, THROTTLE_ADDRESS, "192.0.2.9");
    assert_int_equal(throttle_table_count(tt), 0);
    throttle_table_free(tt);
}

/* A resync's reload swaps every record at once: the new ones in force replace the old. */
static void the_table_is_replaced_at_once(void **state)
{
    struct throttle_table *tt = throttle_table_new(2);
    struct login_throttle locked = {.kind = THROTTLE_USERNAME,
                                    .name = "carol",
                                    .last_failure_at = T0,
                                    .locked_until = T0 + 900};
    struct login_throttle items[] = {
        {.kind = THROTTLE_ADDRESS, .name = "192.0.2.9", .failures = 102, .last_failure_at = T0},
        {.kind = THROTTLE_USERNAME, .name = "old", .failures = 1, .last_failure_at = T0 - 5000},
        {.kind = THROTTLE_USERNAME, .name = "dave", .last_failure_at = T0, .locked_until = T0 + 60},
        {.kind = THROTTLE_USERNAME, .name = "erin", .last_failure_at = T0, .locked_until = T0 + 60},
    };

    (void)state;
    assert_non_null(tt);
    throttle_table_set(tt, &limits, &locked, T0);
    assert_int_equal(throttle_table_replace(tt, &limits, items, 4, T0), 0);
    /* carol's record was not among them; the stale one is left out; the maximum holds */
    assert_int_equal(throttle_table_count(tt), 2);
    assert_int_equal(throttle_table_wait(tt, &limits, "carol", "-", T0), 0);
    assert_int_equal(throttle_table_wait(tt, &limits, "x", "192.0.2.9", T0), 2);
    assert_int_equal(throttle_table_wait(tt, &limits, "dave", "-", T0), 60);
    assert_int_equal(throttle_table_wait(tt, &limits, "erin", "-", T0), 0);
    assert_int_equal(throttle_table_replace(tt, &limits, NULL, 0, T0), 0);
    assert_int_equal(throttle_table_count(tt), 0);
    throttle_table_free(tt);
}

/* ---- core_login over a real store ---- */

struct world {
    int64_t now;
    struct seal *seal;
    struct store *st;
    struct core *c;
    struct principal admin;
    char user_id[ID_LEN];
};

static int64_t fake_now(void *ctx)
{
    return ((struct world *)ctx)->now;
}

static int keep_token(void *ctx, const char *token)
{
    memcpy(ctx, token, strlen(token) + 1);
    return 0;
}

static void core_start(struct world *w)
{
    struct core_config cfg = {
        .session_ttl_seconds = 3600,
        .bootstrap_token_ttl_seconds = 3600,
        .tenant_defaults = {.pending_expiry_seconds = 3600,
                            .default_grant_seconds = 600,
                            .max_grant_seconds = 7200,
                            .required_approvals = 1},
        .login = {.max_failures = 4, .lockout_seconds = 60, .max_failures_per_address = 6}};
    struct policy *p = NULL;

    assert_int_equal(policy_default(&p), 0);
    assert_int_equal(core_new(w->st, (struct clock){fake_now, w}, p, &cfg, &w->c), 0);
}

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof(*w));
    char *roles[] = {"auditor"};
    struct user_create in = {.username = "alice",
                             .password = PW,
                             .email = "a@x.example",
                             .roles = roles,
                             .role_count = 1};
    char token[TOKEN_LEN], secret[TOTP_SECRET_LEN];
    struct buf err = BUF_INIT;
    struct user u = {0};
    bool created;

    assert_non_null(w);
    assert_true(sodium_init() >= 0);
    w->now = T0;
    assert_int_equal(store_sqlite_open(":memory:", &w->st, &err), 0);
    assert_int_equal(seal_new_ephemeral(&w->seal), 0);
    assert_int_equal(store_seal_attach(w->st, w->seal), 0);
    core_start(w);
    assert_int_equal(core_bootstrap(w->c, keep_token, token, &created), 0);
    assert_int_equal(core_authenticate(w->c, token, &w->admin), 0);
    assert_int_equal(core_user_create(w->c, &w->admin, NULL, &in, &u, secret, &err), 0);
    memcpy(w->user_id, u.id, strlen(u.id) + 1);
    user_clear(&u);
    buf_release(&err);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;

    principal_clear(&w->admin);
    core_free(w->c);
    store_close(w->st);
    seal_free(w->seal);
    free(w);
    return 0;
}

/* One login attempt; answers its code, with the wait in *retry (0 unless rate limited). */
static int attempt(struct world *w, const char *user, const char *password, const char *ip,
                   int64_t *retry)
{
    char token[TOKEN_LEN];
    int64_t expires = 0;
    struct principal p = {0};
    struct buf err = BUF_INIT;
    int rc = core_login(w->c, user, password, NULL, ip, token, &expires, &p, retry, &err);

    if (rc == LB_ERATELIMIT)
        assert_non_null(strstr(buf_cstr(&err), "too many failed logins"));
    principal_clear(&p);
    buf_release(&err);
    return rc;
}

static size_t audit_count(struct world *w, const char *activity, const char *actor)
{
    struct audit_filter f = {.activity = activity, .actor = actor, .limit = 100};
    struct audit_list l = {0};
    size_t n;

    assert_int_equal(core_audit_query(w->c, &w->admin, &f, &l), 0);
    n = l.count;
    audit_list_clear(&l);
    return n;
}

/* The auth.login_failed records of actor whose reason is why. */
static size_t failures_for(struct world *w, const char *actor, const char *why)
{
    struct audit_filter f = {.activity = "auth.login_failed", .actor = actor, .limit = 100};
    struct audit_list l = {0};
    char want[100];
    size_t n = 0;

    snprintf(want, sizeof(want), "\"reason\":\"%s\"", why);
    assert_int_equal(core_audit_query(w->c, &w->admin, &f, &l), 0);
    for (size_t i = 0; i < l.count; i++)
        n += l.items[i].details && strstr(l.items[i].details, want);
    audit_list_clear(&l);
    return n;
}

/* Eight wrong passwords for user from ip, moving the clock over each short wait (not a lock). */
static void fail_eight_times(struct world *w, const char *user, const char *ip, int trace[8],
                             int64_t waits[8])
{
    for (int i = 0; i < 8; i++) {
        trace[i] = attempt(w, user, "wrong password", ip, &waits[i]);
        if (trace[i] == LB_ERATELIMIT && waits[i] < 60)
            w->now += waits[i];
    }
}

static void an_unknown_username_answers_as_a_known_one(void **state)
{
    static const int want[8] = {LB_EUNAUTH, LB_EUNAUTH,    LB_EUNAUTH,    LB_ERATELIMIT,
                                LB_EUNAUTH, LB_ERATELIMIT, LB_ERATELIMIT, LB_ERATELIMIT};
    static const int64_t want_wait[8] = {0, 0, 0, 1, 0, 60, 60, 60};
    struct world *w = *state;
    int known[8], unknown[8];
    int64_t known_wait[8], unknown_wait[8], start = w->now;

    /* each from its own address, so that only the username differs */
    fail_eight_times(w, "alice", "192.0.2.30", known, known_wait);
    w->now = start;
    fail_eight_times(w, "nobody", "192.0.2.31", unknown, unknown_wait);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(known[i], want[i]);
        assert_int_equal(known_wait[i], want_wait[i]);
        assert_int_equal(unknown[i], want[i]);
        assert_int_equal(unknown_wait[i], want_wait[i]);
    }
    /* locked: the right password is refused like a wrong one, from any address */
    assert_int_equal(attempt(w, "alice", PW, "198.51.100.7", &known_wait[0]), LB_ERATELIMIT);
    assert_int_equal(known_wait[0], 60);
    /* the four counted failures and one lockout each, audited; refused ones are not */
    assert_int_equal(audit_count(w, "auth.login_failed", "alice"), 4);
    assert_int_equal(audit_count(w, "auth.login_failed", "nobody"), 4);
    assert_int_equal(audit_count(w, "auth.lockout", "alice"), 1);
    assert_int_equal(audit_count(w, "auth.lockout", "nobody"), 1);
    /* the lock ends on time */
    w->now += 60;
    assert_int_equal(attempt(w, "alice", PW, "192.0.2.30", &known_wait[0]), 0);
}

/* alice's locked_until as the provider user list shows it. */
static int64_t listed_lock(struct world *w)
{
    struct user_list users = {0};
    struct role_list roles = {0};
    int64_t at = -1;

    assert_int_equal(core_user_list(w->c, &w->admin, NULL, &users, &roles), 0);
    for (size_t i = 0; i < users.count; i++)
        if (strcmp(users.items[i].username, "alice") == 0)
            at = users.items[i].locked_until;
    user_list_clear(&users);
    role_list_clear(&roles);
    return at;
}

static void a_lock_outlives_the_core_and_an_admin_lifts_it(void **state)
{
    struct world *w = *state;
    struct buf err = BUF_INIT;
    int64_t retry = 0, locked_at;

    assert_int_equal(listed_lock(w), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(attempt(w, "alice", "wrong password", "192.0.2.40", &retry), LB_EUNAUTH);
        w->now += throttle_backoff(i + 1, 2);
    }
    locked_at = listed_lock(w);
    assert_true(locked_at > w->now);
    w->now += 10;
    /* a new core over the same store (a restart) still refuses, and says for how long */
    core_free(w->c);
    core_start(w);
    assert_int_equal(attempt(w, "alice", PW, "192.0.2.41", &retry), LB_ERATELIMIT);
    assert_int_equal(retry, locked_at - w->now);
    assert_int_equal(listed_lock(w), locked_at);
    /* the provider users' admin lifts it; the next login goes through */
    assert_int_equal(core_user_unlock(w->c, &w->admin, NULL, "no-such-user", &err), LB_ENOTFOUND);
    assert_int_equal(core_user_unlock(w->c, &w->admin, NULL, w->user_id, &err), 0);
    assert_int_equal(listed_lock(w), 0);
    assert_int_equal(audit_count(w, "auth.unlock", "admin"), 1);
    assert_int_equal(attempt(w, "alice", PW, "192.0.2.41", &retry), 0);
    buf_release(&err);
}

static void a_good_login_forgets_the_username_not_the_address(void **state)
{
    struct world *w = *state;
    int64_t retry = 0;

    /* two free failures, a good login, two more: never slowed */
    for (int round = 0; round < 2; round++) {
        assert_int_equal(attempt(w, "alice", "wrong", "192.0.2.50", &retry), LB_EUNAUTH);
        assert_int_equal(attempt(w, "alice", "wrong", "192.0.2.50", &retry), LB_EUNAUTH);
        assert_int_equal(attempt(w, "alice", PW, "192.0.2.50", &retry), 0);
    }
    /* the address has its four failures: two more (to 6) are free, the 7th slows it */
    assert_int_equal(attempt(w, "x1", "wrong", "192.0.2.50", &retry), LB_EUNAUTH);
    assert_int_equal(attempt(w, "x2", "wrong", "192.0.2.50", &retry), LB_EUNAUTH);
    assert_int_equal(attempt(w, "x3", "wrong", "192.0.2.50", &retry), LB_EUNAUTH);
    assert_int_equal(attempt(w, "alice", PW, "192.0.2.50", &retry), LB_ERATELIMIT);
    assert_int_equal(retry, 1);
    /* another address is not slowed */
    assert_int_equal(attempt(w, "alice", PW, "192.0.2.51", &retry), 0);
    w->now += 1;
    assert_int_equal(attempt(w, "alice", PW, "192.0.2.50", &retry), 0);
}

/* A login with code (NULL: none); answers its code, its detail in msg. */
static int attempt_totp(struct world *w, const char *password, const char *code, char *msg,
                        size_t cap)
{
    char token[TOKEN_LEN];
    int64_t expires = 0, retry = 0;
    struct principal p = {0};
    struct buf err = BUF_INIT;
    int rc =
        core_login(w->c, "tess", password, code, "192.0.2.60", token, &expires, &p, &retry, &err);

    snprintf(msg, cap, "%s", buf_cstr(&err));
    principal_clear(&p);
    buf_release(&err);
    return rc;
}

static void a_reused_totp_code_says_so_and_nothing_else_does(void **state)
{
    static const char generic[] = "wrong username, password or TOTP code";
    static const char reused[] = "this code was already used; wait for the next one";
    struct world *w = *state;
    char *roles[] = {"auditor"};
    struct user_create in = {.username = "tess",
                             .password = PW,
                             .email = "t@x.example",
                             .roles = roles,
                             .role_count = 1,
                             .totp = true};
    char secret[TOTP_SECRET_LEN], code[8], older[8], wrong[8], msg[200];
    struct buf err = BUF_INIT;
    struct user u = {0};

    assert_int_equal(core_user_create(w->c, &w->admin, NULL, &in, &u, secret, &err), 0);
    user_clear(&u);
    buf_release(&err);
    assert_int_equal(totp_code(secret, w->now / TOTP_STEP_SECONDS, 6, code, sizeof(code)), 0);
    assert_int_equal(totp_code(secret, w->now / TOTP_STEP_SECONDS - 1, 6, older, sizeof(older)), 0);
    snprintf(wrong, sizeof(wrong), "%06d", ((int)strtol(code, NULL, 10) + 1) % 1000000);
    assert_int_equal(attempt_totp(w, PW, code, msg, sizeof(msg)), 0);
    /* the right password and the code just used: said so */
    assert_int_equal(attempt_totp(w, PW, code, msg, sizeof(msg)), LB_EUNAUTH);
    assert_string_equal(msg, reused);
    /* anything else wrong: the one message, whatever the code */
    assert_int_equal(attempt_totp(w, "wrong password", code, msg, sizeof(msg)), LB_EUNAUTH);
    assert_string_equal(msg, generic);
    assert_int_equal(attempt_totp(w, PW, wrong, msg, sizeof(msg)), LB_EUNAUTH);
    assert_string_equal(msg, generic);
    /* the third failure of four made the next login wait a second (same TOTP step: T0 is 10 s
     * into its step); a code older than the one used is refused as used */
    w->now += 1;
    assert_int_equal(attempt_totp(w, PW, older, msg, sizeof(msg)), LB_EUNAUTH);
    assert_string_equal(msg, reused);
    /* each was a failure as before: audited, and counted (the fourth locked the username) */
    assert_int_equal(audit_count(w, "auth.login_failed", "tess"), 4);
    /* a valid code already used, or older, is audited as replayed, a wrong one as bad */
    assert_int_equal(failures_for(w, "tess", "TOTP code replayed"), 2);
    assert_int_equal(failures_for(w, "tess", "bad TOTP code"), 1);
    assert_int_equal(failures_for(w, "tess", "bad password"), 1);
    assert_int_equal(attempt_totp(w, PW, NULL, msg, sizeof(msg)), LB_ERATELIMIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(backoff_doubles_after_the_free_failures_up_to_its_cap),
        cmocka_unit_test(a_username_slows_then_locks_then_starts_over),
        cmocka_unit_test(failures_are_forgotten_after_lockout_seconds),
        cmocka_unit_test(an_address_is_slowed_late_and_never_locked),
        cmocka_unit_test(no_wait_exceeds_the_lockout_nor_grows_when_the_clock_goes_back),
        cmocka_unit_test(address_keys_group_an_ipv6_slash_64),
        cmocka_unit_test(the_table_caches_records_in_force_and_stays_bounded),
        cmocka_unit_test(the_table_is_replaced_at_once),
        cmocka_unit_test_setup_teardown(an_unknown_username_answers_as_a_known_one, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_lock_outlives_the_core_and_an_admin_lifts_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_good_login_forgets_the_username_not_the_address, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_reused_totp_code_says_so_and_nothing_else_does, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
