/*
 * API tokens of service accounts over a real SQLite store with a clock moved by hand: made for
 * an enforcer and refused for people, authenticating until they expire, revoked at once even
 * while cached, bounded per user, and audited without the secret.
 */
#include "core/core.h"
#include "store/seal.h"
#include "store/store_sqlite.h"
#include "util/buf.h"

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

struct world {
    int64_t now;
    struct store *st;
    struct seal *seal;
    struct core *c;
    struct principal admin;
    char enforcer_id[ID_LEN], engineer_id[ID_LEN];
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

static void provider_user(struct world *w, const char *name, char *role, char id[ID_LEN])
{
    char *roles[] = {role};
    struct user_create in = {
        .username = name, .password = PW, .email = "x@p.example", .roles = roles, .role_count = 1};
    char secret[TOTP_SECRET_LEN];
    struct buf err = BUF_INIT;
    struct user u = {0};

    assert_int_equal(core_user_create(w->c, &w->admin, NULL, &in, &u, secret, &err), 0);
    memcpy(id, u.id, strlen(u.id) + 1);
    user_clear(&u);
    buf_release(&err);
}

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof(*w));
    struct core_config cfg = {.session_ttl_seconds = 3600,
                              .api_token_ttl_seconds = 86400,
                              .bootstrap_token_ttl_seconds = 3600,
                              .tenant_defaults = {.pending_expiry_seconds = 3600,
                                                  .default_grant_seconds = 600,
                                                  .max_grant_seconds = 7200,
                                                  .required_approvals = 1}};
    struct policy *p = NULL;
    struct buf err = BUF_INIT;
    char token[TOKEN_LEN];
    bool created;

    assert_non_null(w);
    assert_true(sodium_init() >= 0);
    w->now = T0;
    assert_int_equal(store_sqlite_open(":memory:", &w->st, &err), 0);
    assert_int_equal(seal_new_ephemeral(&w->seal), 0);
    assert_int_equal(store_seal_attach(w->st, w->seal), 0);
    assert_int_equal(policy_default(&p), 0);
    assert_int_equal(core_new(w->st, (struct clock){fake_now, w}, p, &cfg, &w->c), 0);
    assert_int_equal(core_bootstrap(w->c, keep_token, token, &created), 0);
    assert_int_equal(core_authenticate(w->c, token, &w->admin), 0);
    provider_user(w, "enf", "enforcer", w->enforcer_id);
    provider_user(w, "eve", "support_engineer", w->engineer_id);
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

/* Makes a token for user_id; answers the code, the token in token and its record in t. */
static int make(struct world *w, const char *user_id, const char *name, int64_t ttl,
                char token[TOKEN_LEN], struct session *t)
{
    struct buf err = BUF_INIT;
    int rc = core_token_create(w->c, &w->admin, user_id, name, ttl, token, t, &err);

    if (rc)
        assert_true(buf_cstr(&err)[0] != 0); /* every refusal says why */
    buf_release(&err);
    return rc;
}

static int auth(struct world *w, const char *token)
{
    struct principal p = {0};
    int rc = core_authenticate(w->c, token, &p);

    if (rc == 0) {
        assert_string_equal(p.username, "enf");
        assert_false(p.mfa);
    }
    principal_clear(&p);
    return rc;
}

static void a_token_lives_its_lifetime_and_no_longer(void **state)
{
    struct world *w = *state;
    char a[TOKEN_LEN], b[TOKEN_LEN];
    struct session ta = {0}, tb = {0};

    assert_int_equal(make(w, w->enforcer_id, "web1", 0, a, &ta), 0);
    assert_int_equal(ta.expires_at, T0 + 86400); /* the configured lifetime */
    assert_string_equal(ta.name, "web1");
    assert_int_equal(make(w, w->enforcer_id, "web2", 600, b, &tb), 0);
    assert_int_equal(tb.expires_at, T0 + 600);
    assert_int_equal(auth(w, a), 0);
    assert_int_equal(auth(w, b), 0); /* both cached now */
    w->now = T0 + 600;
    assert_int_equal(auth(w, b), LB_EUNAUTH);
    assert_int_equal(auth(w, a), 0);
    w->now = T0 + 86400;
    assert_int_equal(auth(w, a), LB_EUNAUTH);
    session_clear(&ta);
    session_clear(&tb);
}

static void a_revoked_token_is_refused_at_once(void **state)
{
    struct world *w = *state;
    char a[TOKEN_LEN], b[TOKEN_LEN];
    struct session ta = {0}, tb = {0};
    struct session_list l = {0};
    struct buf err = BUF_INIT;

    assert_int_equal(make(w, w->enforcer_id, "web1", 0, a, &ta), 0);
    assert_int_equal(make(w, w->enforcer_id, "web2", 0, b, &tb), 0);
    assert_int_equal(auth(w, a), 0); /* cached */
    /* only under its own user */
    assert_int_equal(core_token_revoke(w->c, &w->admin, w->engineer_id, ta.token_id, &err),
                     LB_ENOTFOUND);
    assert_int_equal(auth(w, a), 0);
    assert_int_equal(core_token_revoke(w->c, &w->admin, w->enforcer_id, ta.token_id, &err), 0);
    assert_int_equal(auth(w, a), LB_EUNAUTH);
    assert_int_equal(auth(w, b), 0); /* the other lives on */
    assert_int_equal(core_token_revoke(w->c, &w->admin, w->enforcer_id, ta.token_id, &err),
                     LB_ENOTFOUND);
    assert_int_equal(core_token_list(w->c, &w->admin, w->enforcer_id, &l, &err), 0);
    assert_int_equal(l.count, 1);
    assert_string_equal(l.items[0].token_id, tb.token_id);
    session_list_clear(&l);
    session_clear(&ta);
    session_clear(&tb);
    buf_release(&err);
}

static void tokens_are_for_service_accounts_and_platform_admins(void **state)
{
    struct world *w = *state;
    char t[TOKEN_LEN], long_name[API_TOKEN_NAME_MAX + 2];
    struct session s = {0};
    struct principal eng = {0};
    struct buf err = BUF_INIT;

    assert_int_equal(make(w, w->engineer_id, "x", 0, t, &s), LB_ECONFLICT);
    assert_int_equal(make(w, w->admin.user_id, "x", 0, t, &s), LB_ECONFLICT);
    assert_int_equal(make(w, "00000000-0000-4000-8000-000000000000", "x", 0, t, &s), LB_ENOTFOUND);
    assert_int_equal(make(w, "not an id", "x", 0, t, &s), LB_ENOTFOUND);
    assert_int_equal(make(w, w->enforcer_id, "", 0, t, &s), LB_EINVAL);
    assert_int_equal(make(w, w->enforcer_id, "a\tb", 0, t, &s), LB_EINVAL);
    memset(long_name, 'n', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_int_equal(make(w, w->enforcer_id, long_name, 0, t, &s), LB_EINVAL);
    assert_int_equal(make(w, w->enforcer_id, "x", 59, t, &s), LB_EINVAL);
    assert_int_equal(make(w, w->enforcer_id, "x", API_TOKEN_TTL_MAX + 1, t, &s), LB_EINVAL);
    /* a support engineer is no platform admin */
    eng.user_id = w->engineer_id;
    eng.username = "eve";
    eng.provider_roles = PROV_SUPPORT_ENGINEER;
    assert_int_equal(core_token_create(w->c, &eng, w->enforcer_id, "x", 0, t, &s, &err),
                     LB_EFORBIDDEN);
    assert_int_equal(s.token_id, NULL);
    buf_release(&err);
}

static void a_user_holds_a_bounded_number(void **state)
{
    struct world *w = *state;
    char t[TOKEN_LEN], name[16];
    struct session s = {0};

    for (int i = 0; i < API_TOKENS_PER_USER; i++) {
        snprintf(name, sizeof(name), "t%d", i);
        assert_int_equal(make(w, w->enforcer_id, name, 0, t, &s), 0);
        session_clear(&s);
    }
    assert_int_equal(make(w, w->enforcer_id, "one more", 0, t, &s), LB_ECONFLICT);
}

static void creation_and_revocation_are_audited_without_the_secret(void **state)
{
    struct world *w = *state;
    struct audit_filter f = {.limit = 10};
    struct audit_list page = {0};
    char t[TOKEN_LEN];
    struct session s = {0};
    struct buf err = BUF_INIT;
    size_t made = 0, revoked = 0;

    assert_int_equal(make(w, w->enforcer_id, "web1", 0, t, &s), 0);
    assert_int_equal(core_token_revoke(w->c, &w->admin, w->enforcer_id, s.token_id, &err), 0);
    assert_int_equal(core_audit_query(w->c, &w->admin, &f, &page), 0);
    for (size_t i = 0; i < page.count; i++) {
        const struct audit_record *r = &page.items[i];
        made += strcmp(r->activity, "token.create") == 0;
        revoked += strcmp(r->activity, "token.revoke") == 0;
        assert_null(strstr(r->details, t));
        if (strncmp(r->activity, "token.", 6) == 0) {
            assert_non_null(strstr(r->details, s.token_id));
            assert_non_null(strstr(r->details, "\"web1\""));
            assert_string_equal(r->item, w->enforcer_id);
        }
    }
    assert_int_equal(made, 1);
    assert_int_equal(revoked, 1);
    audit_list_clear(&page);
    session_clear(&s);
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_token_lives_its_lifetime_and_no_longer, setup, teardown),
        cmocka_unit_test_setup_teardown(a_revoked_token_is_refused_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(tokens_are_for_service_accounts_and_platform_admins, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_user_holds_a_bounded_number, setup, teardown),
        cmocka_unit_test_setup_teardown(creation_and_revocation_are_audited_without_the_secret,
                                        setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
