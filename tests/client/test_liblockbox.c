/*
 * test_liblockbox - liblockbox against a real lockboxd, proving what lockbox.h promises:
 * thread safety per handle, every allocation failure (ours and libcurl's) returned as an error
 * with an empty reply and a handle that still works, TLS verification on by default, and plain
 * http:// refused unless to this host or allowed.
 * jansson's allocations are not failed: jansson 2.14 reports some of its own out-of-memory
 * failures as malformed JSON, and one (lex_save ignores a failed append) ends in assert(0) in
 * lex_scan_string, so no caller of json_loads can pass that walk; that is jansson's to fix.
 *
 * Usage: test_liblockbox [--tls-url URL --tls-ca PEM --tls-other-ca PEM] [URL [TOKEN]]
 * URL and TOKEN (a platform admin's) default to $LOCKBOX_URL and $LOCKBOX_TOKEN. The TLS checks
 * need a server at --tls-url (tests/client/tls_server.py) whose certificate is --tls-ca.
 * Prints one line per failed check on stderr and "N passed, M failed" on stdout; exits 1 on any
 * failure. Needs a build with LB_TESTING (the allocation-failure hooks of util/mem.h).
 */
#include "lockbox/lockbox.h"
#include "util/mem.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef LB_TESTING
#error "test_liblockbox needs LB_TESTING (LB_FAULT_INJECTION=ON)"
#endif

static atomic_int passed, failed;

static void check_at(int line, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void check_at(int line, bool ok, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (ok) {
        atomic_fetch_add(&passed, 1);
        return;
    }
    atomic_fetch_add(&failed, 1);
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "FAIL line %d: %s\n", line, msg);
}

#define CHECK(ok, ...) check_at(__LINE__, (ok), __VA_ARGS__)

/* ---- libcurl's allocators on the counter of util/mem.h ---- */

enum kind { KIND_NONE, KIND_CURL, KIND_COUNT };
static atomic_int failed_kind; /* whose allocation the armed failure hit, when not ours */

static bool fail_as(enum kind k)
{
    if (!lb_mem_fail_now())
        return false;
    atomic_store(&failed_kind, k);
    return true;
}

static void *curl_malloc_hook(size_t n)
{
    return fail_as(KIND_CURL) ? NULL : malloc(n);
}

static void *curl_calloc_hook(size_t n, size_t size)
{
    return fail_as(KIND_CURL) ? NULL : calloc(n, size);
}

static void *curl_realloc_hook(void *p, size_t n)
{
    return fail_as(KIND_CURL) ? NULL : realloc(p, n);
}

static char *curl_strdup_hook(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = fail_as(KIND_CURL) ? NULL : malloc(n);

    if (p)
        memcpy(p, s, n);
    return p;
}

static void arm(long nth)
{
    atomic_store(&failed_kind, KIND_NONE);
    lb_mem_fail_set(nth);
}

/* Disarms; answers whose allocation failed, or -1 when none did. */
static int disarm(void)
{
    bool fired = lb_mem_failed() > 0;

    lb_mem_fail_set(0);
    return fired ? atomic_load(&failed_kind) : -1;
}

static const char *kind_name(int k)
{
    return k == KIND_CURL ? "libcurl's" : "liblockbox's";
}

/* ---- helpers ---- */

static const char *url, *token;
static char tenant_id[64], user_name[64];
static char *ta_token; /* the test tenant's admin's */
#define PASSWORD "correct horse battery staple"
static char *const STALE_TOKEN = (char *)"stale";

static struct lockbox *open_handle(const char *tok)
{
    struct lockbox_options opt = {.url = url, .token = tok};
    struct lockbox *lb = NULL;
    int rc = lockbox_new(&opt, &lb);

    CHECK(rc == 0 && lb, "lockbox_new(%s): %d", url, rc);
    return lb;
}

/* The body parses as JSON (of the kind wanted); answers the parsed value (caller decrefs). */
static json_t *body_json(const struct lockbox_reply *r)
{
    return r->body ? json_loads(r->body, 0, NULL) : NULL;
}

static bool body_parses(const struct lockbox_reply *r)
{
    json_t *j = body_json(r);
    bool ok = json_is_object(j) || json_is_array(j);

    json_decref(j);
    return ok;
}

static const char *field(json_t *j, const char *name)
{
    return json_string_value(json_object_get(j, name));
}

/* true when the tenant j owns exactly the one scope only. */
static bool scopes_are(json_t *j, const char *only)
{
    json_t *want = json_pack("[s]", only);
    bool same = json_equal(json_object_get(j, "resource_scopes"), want) == 1;

    json_decref(want);
    return same;
}

/* ---- setup: a user who is platform admin and enforcer, and a tenant ---- */

static int setup(struct lockbox *admin)
{
    struct lockbox_reply r = {0};
    const char *roles[] = {"platform_admin", "enforcer"};
    struct lockbox_user_spec u = {.username = user_name,
                                  .password = PASSWORD,
                                  .email = "lbt@provider.example",
                                  .roles = roles,
                                  .role_count = 2};
    char name[64], admin_name[80], scope[64], scope2[64];
    const char *scopes[] = {scope, scope2};
    json_t *j;
    int rc;

    rc = lockbox_me(admin, &r);
    j = body_json(&r);
    CHECK(rc == 0 && field(j, "username"), "me as the given token: %d %s", rc,
          r.body     ? r.body
          : r.detail ? r.detail
                     : "");
    json_decref(j);
    lockbox_reply_clear(&r);

    rc = lockbox_user_create(admin, &u, &r);
    CHECK(rc == 0, "user_create %s: %d %s", user_name, rc, r.detail ? r.detail : "");
    lockbox_reply_clear(&r);

    snprintf(name, sizeof(name), "lbt-%ld", (long)getpid());
    snprintf(admin_name, sizeof(admin_name), "%s-admin", name);
    snprintf(scope, sizeof(scope), "/lbt/%ld", (long)getpid());
    snprintf(scope2, sizeof(scope2), "/lbt2/%ld", (long)getpid());
    rc = lockbox_tenant_create_scoped(admin, name, "standard", scopes, 1, admin_name, PASSWORD,
                                      "admin@lbt.example", &r);
    j = body_json(&r);
    if (field(j, "id"))
        snprintf(tenant_id, sizeof(tenant_id), "%s", field(j, "id"));
    CHECK(rc == 0 && tenant_id[0], "tenant_create_scoped: %d %s", rc, r.detail ? r.detail : "");
    CHECK(scopes_are(j, scope), "the tenant owns the scope given: %s", r.body ? r.body : "");
    json_decref(j);
    lockbox_reply_clear(&r);

    /* scopes change: add one, remove the first; nothing to change is refused before a call */
    rc = lockbox_tenant_scopes_change(admin, tenant_id, scopes + 1, 1, scopes, 1, &r);
    j = body_json(&r);
    CHECK(rc == 0 && scopes_are(j, scope2), "tenant_scopes_change: %d %s", rc,
          r.body ? r.body : "");
    json_decref(j);
    lockbox_reply_clear(&r);
    rc = lockbox_tenant_scopes_change(admin, tenant_id, NULL, 0, NULL, 0, &r);
    CHECK(rc == LOCKBOX_EINVAL && !r.body, "tenant_scopes_change with nothing: %d", rc);
    rc = lockbox_tenant_scopes_change(admin, tenant_id, scopes, 1, scopes + 1, 1, &r);
    CHECK(rc == 0, "tenant_scopes_change back: %d", rc);
    lockbox_reply_clear(&r);

    /* A tenant user has no isolated_identity nor provider roles: refused, not dropped. */
    u.tenant_id = tenant_id;
    rc = lockbox_user_create(admin, &u, &r);
    CHECK(rc == LOCKBOX_EINVAL && !r.body, "user_create, tenant user with roles: %d", rc);
    u.role_count = 0;
    u.isolated_identity = true;
    rc = lockbox_user_create(admin, &u, &r);
    CHECK(rc == LOCKBOX_EINVAL && !r.body, "user_create, tenant user isolated: %d", rc);
    lockbox_reply_clear(&r);

    rc = lockbox_login(admin, admin_name, PASSWORD, NULL, &ta_token, &r);
    CHECK(rc == 0 && ta_token, "login as the tenant's admin: %d %s", rc, r.detail ? r.detail : "");
    lockbox_reply_clear(&r);
    return rc == 0 && tenant_id[0] ? 0 : -1;
}

/* A handle logged in as the test user (lockbox_login sets its token). */
static struct lockbox *user_handle(void)
{
    struct lockbox *lb = open_handle(NULL);
    struct lockbox_reply r = {0};
    char *tok = NULL;
    int rc;

    if (!lb)
        return NULL;
    rc = lockbox_login(lb, user_name, PASSWORD, NULL, &tok, &r);
    CHECK(rc == 0 && tok && r.body, "login %s: %d %s", user_name, rc, r.detail ? r.detail : "");
    free(tok);
    lockbox_reply_clear(&r);

    /* a wrong password is refused, with the problem's code and detail */
    tok = STALE_TOKEN;
    rc = lockbox_login(lb, user_name, "not the password", NULL, &tok, &r);
    CHECK(rc == LOCKBOX_EREFUSED && r.status == 401 && r.code &&
              strcmp(r.code, "unauthenticated") == 0 && r.detail && !r.body && !tok,
          "login with a wrong password: %d %ld %s %s", rc, r.status, r.code ? r.code : "-",
          r.detail ? r.detail : "-");
    lockbox_reply_clear(&r);
    return lb;
}

/* ---- a. threads ---- */

#define THREADS 8
#define CALLS 50

struct worker {
    struct lockbox *lb; /* NULL: the worker makes its own */
    const char *tok;
    int index, bad;
    char first[200];
};

static void *work(void *arg)
{
    struct worker *w = arg;
    struct lockbox *lb = w->lb ? w->lb : open_handle(w->tok);

    for (int i = 0; lb && i < CALLS; i++) {
        struct lockbox_reply r = {0};
        struct lockbox_check_result res;
        const char *what;
        int rc;

        switch ((i + w->index) % 3) {
        case 0:
            what = "me";
            rc = lockbox_me(lb, &r);
            break;
        case 1:
            what = "tenant_list";
            rc = lockbox_tenant_list(lb, &r);
            break;
        default:
            what = "check";
            rc = lockbox_check(lb, "lbt-operator", "/subscriptions/s1/vms/vm1", "read", &res, &r);
            if (rc == 0 && res.allowed)
                rc = 1;
            break;
        }
        if (rc != 0 || !body_parses(&r)) {
            if (!w->bad++)
                snprintf(w->first, sizeof(w->first), "call %d %s: %d %s", i, what, rc,
                         r.detail ? r.detail
                         : r.body ? r.body
                                  : "(no body)");
        }
        lockbox_reply_clear(&r);
    }
    if (!lb)
        w->bad = CALLS;
    if (!w->lb)
        lockbox_free(lb);
    return NULL;
}

static void run_workers(struct lockbox *shared, const char *tok, int n, const char *label)
{
    struct worker w[THREADS] = {0};
    pthread_t t[THREADS];

    for (int i = 0; i < n; i++) {
        w[i] = (struct worker){.lb = shared, .tok = tok, .index = i};
        CHECK(pthread_create(&t[i], NULL, work, &w[i]) == 0, "%s: pthread_create", label);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        CHECK(w[i].bad == 0, "%s thread %d: %d of %d calls failed, first %s", label, i, w[i].bad,
              CALLS, w[i].first);
    }
}

static void test_threads(const char *user_token)
{
    struct lockbox *lb = open_handle(user_token);

    if (!lb)
        return;
    run_workers(lb, NULL, THREADS, "shared handle");
    lockbox_free(lb);
    run_workers(NULL, user_token, 4, "own handles");
}

/* ---- b. every allocation failure is an error ---- */

struct fcall {
    const char *name;
    int want;          /* the answer with no failure */
    bool tenant_admin; /* called as the tenant's admin, not the test user */
    int (*fn)(struct lockbox *lb, struct lockbox_reply *r, char **tok,
              struct lockbox_check_result *res);
};

static int f_me(struct lockbox *lb, struct lockbox_reply *r, char **tok,
                struct lockbox_check_result *res)
{
    (void)tok, (void)res;
    return lockbox_me(lb, r);
}

static int f_login_refused(struct lockbox *lb, struct lockbox_reply *r, char **tok,
                           struct lockbox_check_result *res)
{
    (void)res;
    /* No such user: the server answers as to a wrong password (the same 401 problem), without
     * the ~100 ms of hashing one, which a walk of some hundred calls would pay each time. */
    return lockbox_login(lb, "lbt-nobody", "not the password", NULL, tok, r);
}

static int f_request_list(struct lockbox *lb, struct lockbox_reply *r, char **tok,
                          struct lockbox_check_result *res)
{
    struct lockbox_request_filter f = {.tenant_id = tenant_id, .status = "pending", .limit = 5};

    (void)tok, (void)res;
    return lockbox_request_list(lb, &f, r);
}

static int f_check(struct lockbox *lb, struct lockbox_reply *r, char **tok,
                   struct lockbox_check_result *res)
{
    (void)tok;
    return lockbox_check(lb, "lbt-operator", "/subscriptions/s1/vms/vm1", "read", res, r);
}

static int f_check_at(struct lockbox *lb, struct lockbox_reply *r, char **tok,
                      struct lockbox_check_result *res)
{
    (void)tok;
    return lockbox_check_at(lb, "pam", "lbt-operator", "/subscriptions/s1/vms/vm1", "read", res, r);
}

static int f_settings_update(struct lockbox *lb, struct lockbox_reply *r, char **tok,
                             struct lockbox_check_result *res)
{
    (void)tok, (void)res;
    return lockbox_settings_update(
        lb, tenant_id, "{\"required_approvals\": 1, \"default_grant_seconds\": 3600}", r);
}

static int f_not_found(struct lockbox *lb, struct lockbox_reply *r, char **tok,
                       struct lockbox_check_result *res)
{
    (void)tok, (void)res;
    return lockbox_tenant_get(lb, "00000000-0000-4000-8000-000000000000", r);
}

static int stop_at_reset(void *ctx, const struct lockbox_event *ev)
{
    (void)ctx;
    return strcmp(ev->type, "reset") == 0 && strcmp(ev->id, "") != 0;
}

static int f_follow(struct lockbox *lb, struct lockbox_reply *r, char **tok,
                    struct lockbox_check_result *res)
{
    /* an id this server never gave: the stream starts with a reset, at once */
    struct lockbox_follow_options o = {
        .last_event_id = "999999999999", .idle_timeout_ms = 20000, .on_event = stop_at_reset};

    (void)tok, (void)res;
    return lockbox_events_follow(lb, &o, r);
}

static const struct fcall fcalls[] = {
    {"me", LOCKBOX_OK, false, f_me},
    {"login with a wrong password", LOCKBOX_EREFUSED, false, f_login_refused},
    {"request_list", LOCKBOX_OK, false, f_request_list},
    {"check", LOCKBOX_OK, false, f_check},
    {"check_at a door", LOCKBOX_OK, false, f_check_at},
    {"settings_update", LOCKBOX_OK, true, f_settings_update},
    {"tenant_get of no tenant (a problem body)", LOCKBOX_EREFUSED, false, f_not_found},
    {"events_follow to a reset", LOCKBOX_OK, false, f_follow},
};

#define MAX_NTH 20000

static atomic_long curl_recovered;

/* Checks one call's answer: want when no failure fired, else an error and an empty reply. */
static void check_answer(const struct fcall *fc, const char *mode, long n, int kind, int rc,
                         const struct lockbox_reply *r, bool tok_reset,
                         const struct lockbox_check_result *res)
{
    CHECK(tok_reset, "%s (%s): failing allocation %ld: *token not reset to NULL", fc->name, mode,
          n);
    if (kind == KIND_CURL && rc == fc->want) {
        /* libcurl handled its failure itself (a cache it does without); the answer is whole */
        atomic_fetch_add(&curl_recovered, 1);
        kind = -1;
    }
    if (kind < 0) {
        CHECK(rc == fc->want, "%s (%s): %d without a failure, want %d (%s)", fc->name, mode, rc,
              fc->want, r->detail ? r->detail : "");
        CHECK(rc != 0 || fc->fn == f_follow || body_parses(r), "%s (%s): the body does not parse",
              fc->name, mode);
        return;
    }
    CHECK(rc == LOCKBOX_ENOMEM || (kind == KIND_CURL && rc == LOCKBOX_EUNREACHABLE),
          "%s (%s): failing allocation %ld (%s) answered %d (%s), want LOCKBOX_ENOMEM", fc->name,
          mode, n, kind_name(kind), rc, r->detail ? r->detail : "");
    CHECK(!r->body && !r->code && (rc != LOCKBOX_ENOMEM || !r->detail),
          "%s (%s): failing allocation %ld (%s): stale reply body=%s code=%s detail=%s", fc->name,
          mode, n, kind_name(kind), r->body ? r->body : "-", r->code ? r->code : "-",
          r->detail ? r->detail : "-");
    CHECK(!res->allowed && !res->request_id[0] && !res->ends_at,
          "%s (%s): failing allocation %ld: stale check result", fc->name, mode, n);
}

/* One armed call; answers whose allocation failed, or -1. The token and check result start
 * out stale, to see that the call resets them. */
static int run_one(const struct fcall *fc, struct lockbox *lb, const char *mode, long n)
{
    struct lockbox_reply r = {0};
    struct lockbox_check_result res;
    char *tok = STALE_TOKEN;
    int rc, kind;

    memset(&res, 0, sizeof(res));
    if (fc->fn == f_check) {
        res.allowed = true;
        memcpy(res.request_id, "stale", 6);
        res.ends_at = 42;
    }
    arm(n);
    rc = fc->fn(lb, &r, &tok, &res);
    kind = disarm();
    check_answer(fc, mode, n, kind, rc, &r, fc->fn == f_login_refused ? tok == NULL : true, &res);
    if (tok != STALE_TOKEN)
        free(tok);
    lockbox_reply_clear(&r);
    return kind;
}

/* After a failure the handle still answers normally. */
static void check_still_works(const struct fcall *fc, struct lockbox *lb, const char *mode, long n)
{
    struct lockbox_reply r = {0};
    struct lockbox_check_result res;
    char *tok = NULL;
    int rc = fc->fn(lb, &r, &tok, &res);

    CHECK(rc == fc->want && (rc != 0 || fc->fn == f_follow || body_parses(&r)),
          "%s (%s): after failing allocation %ld the handle answers %d (%s), want %d", fc->name,
          mode, n, rc, r.detail ? r.detail : "", fc->want);
    free(tok);
    lockbox_reply_clear(&r);
}

/* Fails each allocation of the call in turn, n = 1, 2, ... until a run fails none: on a fresh
 * handle (cold: connecting) and on one already connected (warm: reusing the connection). */
static void fault_walk(const struct fcall *fc, const char *tok, bool warm, long *fired)
{
    const char *mode = warm ? "warm" : "cold";
    long n;

    for (n = 1; n <= MAX_NTH; n++) {
        struct lockbox *lb = open_handle(fc->tenant_admin ? ta_token : tok);
        int kind;

        if (!lb)
            return;
        if (warm)
            check_still_works(fc, lb, mode, 0);
        kind = run_one(fc, lb, mode, n);
        if (kind >= 0)
            check_still_works(fc, lb, mode, n);
        lockbox_free(lb);
        if (kind < 0)
            break;
        fired[kind]++;
    }
    CHECK(n > 1 && n <= MAX_NTH, "%s (%s): %ld allocations", fc->name, mode, n - 1);
}

/* lockbox_new and lockbox_set_token fail cleanly too. */
static void fault_handle(const char *tok)
{
    struct lockbox_options opt = {.url = url, .token = tok};
    long n;

    for (n = 1; n <= MAX_NTH; n++) {
        struct lockbox *lb = (struct lockbox *)&n;
        int rc, kind;

        arm(n);
        rc = lockbox_new(&opt, &lb);
        kind = disarm();
        if (kind < 0) {
            CHECK(rc == 0 && lb, "lockbox_new without a failure: %d", rc);
            lockbox_free(lb);
            break;
        }
        CHECK(rc == LOCKBOX_ENOMEM && lb == NULL, "lockbox_new, failing allocation %ld (%s): %d", n,
              kind_name(kind), rc);
        if (rc == 0)
            lockbox_free(lb);
    }
    CHECK(n > 1 && n <= MAX_NTH, "lockbox_new: %ld allocations", n - 1);

    for (n = 1; n <= MAX_NTH; n++) {
        struct lockbox *lb = open_handle(tok);
        struct lockbox_reply r = {0};
        int rc, kind;

        if (!lb)
            return;
        arm(n);
        rc = lockbox_set_token(lb, "lbx_another_token");
        kind = disarm();
        if (kind >= 0) {
            CHECK(rc == LOCKBOX_ENOMEM, "set_token, failing allocation %ld: %d", n, rc);
            /* the old token is kept whole */
            rc = lockbox_me(lb, &r);
            CHECK(rc == 0, "me after a failed set_token: %d %s", rc, r.detail ? r.detail : "");
        } else {
            CHECK(rc == 0, "set_token: %d", rc);
        }
        lockbox_reply_clear(&r);
        lockbox_free(lb);
        if (kind < 0)
            break;
    }
}

static void test_faults(const char *user_token)
{
    long fired[KIND_COUNT] = {0};

    fault_handle(user_token);
    for (size_t i = 0; i < sizeof(fcalls) / sizeof(fcalls[0]); i++) {
        fault_walk(&fcalls[i], user_token, false, fired);
        fault_walk(&fcalls[i], user_token, true, fired);
    }
    /* the walk reached every allocator, or it proves nothing about it */
    CHECK(fired[KIND_NONE] > 0, "no allocation of liblockbox's own was failed");
    CHECK(fired[KIND_CURL] > 0, "no allocation of libcurl's was failed");
    fprintf(stderr,
            "faults: failed %ld of liblockbox's and %ld of libcurl's allocations "
            "(%ld of which libcurl did without)\n",
            fired[KIND_NONE], fired[KIND_CURL], atomic_load(&curl_recovered));
}

/* ---- plain HTTP: only to this host unless allowed ---- */

static int new_handle(const char *u, bool allow, struct lockbox **lb)
{
    struct lockbox_options opt = {
        .url = u, .allow_plain_http = allow, .connect_timeout_ms = 300, .timeout_ms = 300};

    *lb = (struct lockbox *)&opt; /* stale, to see that a refusal resets it */
    return lockbox_new(&opt, lb);
}

static void test_plain_http(void)
{
    static const char *const refused[] = {
        "http://192.0.2.1:1",
        "http://lockbox.example",
        "http://10.0.0.1:8077/",
        "http://[2001:db8::1]:8077",
        "http://127.0.0.1.example:1",
        "http://user@192.0.2.1:1",
        "http://[::ffff:192.0.2.1]:1",
        "http://128.0.0.1:1",
        /* resolved by DNS, or not loopback but for their user part or a fragment */
        "http://localhost.:1",
        "http://LOCALHOST.:1",
        "http://foo.localhost:1",
        "http://127.0.0.1@192.0.2.1:1",
        "http://[::1]@192.0.2.1:1",
        "http://192.0.2.1#@127.0.0.1:1",
        "http://192.0.2.1?@127.0.0.1:1",
        "http://0.0.0.0:1",
    };
    static const char *const loopback[] = {
        "http://127.0.0.1:1",         "http://127.8.9.10:1",     "http://localhost:1",
        "http://LOCALHOST:1",         "http://[::1]:1",          "http://[::ffff:127.0.0.1]:1",
        "http://[0:0:0:0:0:0:0:1]:1", "http://user@127.0.0.1:1", "https://192.0.2.1:1",
    };
    struct lockbox_reply r = {0};
    struct lockbox *lb;
    const char *why = lockbox_strerror(LOCKBOX_EPLAINHTTP);
    time_t t0;
    int rc;

    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        rc = new_handle(refused[i], false, &lb);
        CHECK(rc == LOCKBOX_EPLAINHTTP && !lb, "plain http to %s is refused: %d", refused[i], rc);
        if (rc == 0)
            lockbox_free(lb);
        rc = new_handle(refused[i], true, &lb);
        CHECK(rc == 0 && lb, "plain http to %s with allow_plain_http: %d", refused[i], rc);
        lockbox_free(lb);
    }
    for (size_t i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++) {
        rc = new_handle(loopback[i], false, &lb);
        CHECK(rc == 0 && lb, "%s needs no allow_plain_http: %d", loopback[i], rc);
        lockbox_free(lb);
    }
    CHECK(strstr(why, "use https://") && strstr(why, "allow_plain_http"),
          "the refusal says what to do: %s", why);
    /* allowed, it really goes out (and finds nothing there): the refusal came before that */
    if (new_handle("http://192.0.2.1:1", true, &lb) == 0) {
        t0 = time(NULL);
        rc = lockbox_me(lb, &r);
        CHECK(rc == LOCKBOX_EUNREACHABLE && time(NULL) - t0 < 5,
              "allowed plain http to a silent address: %d", rc);
        lockbox_reply_clear(&r);
        lockbox_free(lb);
    }
}

/* ---- c. TLS ---- */

static int tls_me(const char *tls_url, const char *user_token, const char *ca, bool insecure,
                  char *detail, size_t detail_len)
{
    struct lockbox_options opt = {
        .url = tls_url, .token = user_token, .ca_file = ca, .insecure_skip_verify = insecure};
    struct lockbox *lb = NULL;
    struct lockbox_reply r = {0};
    json_t *j;
    int rc;

    if ((rc = lockbox_new(&opt, &lb)) != 0)
        return rc;
    rc = lockbox_me(lb, &r);
    j = body_json(&r);
    if (rc == 0 && !field(j, "username"))
        rc = 1;
    snprintf(detail, detail_len, "%s", r.detail ? r.detail : r.body ? r.body : "");
    CHECK(rc != LOCKBOX_EUNREACHABLE || (r.detail && r.status == 0 && !r.body),
          "TLS: an unreachable answer names why and holds no status or body");
    json_decref(j);
    lockbox_reply_clear(&r);
    lockbox_free(lb);
    return rc;
}

static void test_tls(const char *tls_url, const char *ca, const char *other_ca,
                     const char *user_token)
{
    char d[300];
    int rc;

    rc = tls_me(tls_url, user_token, NULL, false, d, sizeof(d));
    CHECK(rc == LOCKBOX_EUNREACHABLE, "TLS default options (untrusted certificate): %d %s", rc, d);
    rc = tls_me(tls_url, user_token, ca, false, d, sizeof(d));
    CHECK(rc == 0, "TLS with ca_file = the server's certificate: %d %s", rc, d);
    rc = tls_me(tls_url, user_token, other_ca, false, d, sizeof(d));
    CHECK(rc == LOCKBOX_EUNREACHABLE, "TLS with another CA file: %d %s", rc, d);
    rc = tls_me(tls_url, user_token, "/nonexistent/ca.pem", false, d, sizeof(d));
    CHECK(rc == LOCKBOX_EUNREACHABLE, "TLS with a CA file that does not exist: %d %s", rc, d);
    rc = tls_me(tls_url, user_token, NULL, true, d, sizeof(d));
    CHECK(rc == 0, "TLS with insecure_skip_verify: %d %s", rc, d);
}

/* ---- d. the environment's proxies are not used; timeout_ms bounds a call ---- */

static void test_proxy_env(const char *user_token)
{
    static const char *const vars[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                                       "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
    struct lockbox_follow_options follow = {
        .last_event_id = "999999999999", .idle_timeout_ms = 20000, .on_event = stop_at_reset};
    struct lockbox_check_result res;
    struct lockbox_reply r = {0};
    struct lockbox *lb;
    size_t i;
    int rc;

    /* a proxy that is not there: a call through it would fail */
    for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        setenv(vars[i], "http://127.0.0.1:9", 1);
    if ((lb = open_handle(user_token)) != NULL) {
        rc = lockbox_me(lb, &r);
        CHECK(rc == 0, "a call with http_proxy & co. set goes straight to the server: %d %s", rc,
              r.detail ? r.detail : "");
        lockbox_reply_clear(&r);
        /* the event stream too (lockbox-agent's): an id never given, so a reset at once */
        rc = lockbox_events_follow(lb, &follow, &r);
        CHECK(rc == 0,
              "the event stream with http_proxy & co. set goes straight to the server: "
              "%d %s",
              rc, r.detail ? r.detail : "");
        lockbox_reply_clear(&r);
        rc =
            lockbox_check_at(lb, "", "lbt-operator", "/subscriptions/s1/vms/vm1", "read", &res, &r);
        CHECK(rc == LOCKBOX_EINVAL && !r.body, "check_at with an empty door: %d", rc);
        lockbox_free(lb);
    }
    for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
}

static void test_timeout(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    struct lockbox_options opt = {.timeout_ms = 300};
    struct lockbox_reply r = {0};
    struct lockbox *lb = NULL;
    char silent[64];
    time_t t0;
    int fd, rc;

    /* a server that takes connections (the kernel's backlog) and never answers */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 4) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        CHECK(false, "a silent server to time out on");
        if (fd >= 0)
            close(fd);
        return;
    }
    snprintf(silent, sizeof(silent), "http://127.0.0.1:%u", ntohs(sa.sin_port));
    opt.url = silent;
    CHECK(lockbox_new(&opt, &lb) == 0, "lockbox_new with timeout_ms");
    t0 = time(NULL);
    rc = lb ? lockbox_me(lb, &r) : LOCKBOX_ENOMEM;
    CHECK(rc == LOCKBOX_EUNREACHABLE && r.detail && strstr(r.detail, "timed out"),
          "a server that never answers: timed out: %d %s", rc, r.detail ? r.detail : "");
    /* a bound on correctness, not speed: without timeout_ms the call would wait 30 s */
    CHECK(time(NULL) - t0 < 20, "timeout_ms=300 bounds the call: %ld s", (long)(time(NULL) - t0));
    lockbox_reply_clear(&r);
    lockbox_free(lb);
    close(fd);
}

/* ---- e. API tokens: made for a service account, used by a handle of their own, revoked ---- */

static void test_tokens(void)
{
    struct lockbox *admin = open_handle(token); /* setup's handle logged in as another */
    const char *roles[] = {"enforcer"};
    char door[80], uid[64] = "", tid[64] = "";
    struct lockbox_user_spec u = {.username = door,
                                  .password = PASSWORD,
                                  .email = "door@lbt.example",
                                  .roles = roles,
                                  .role_count = 1};
    struct lockbox_reply r = {0};
    struct lockbox *lb = NULL;
    json_t *j;
    int rc;

    snprintf(door, sizeof(door), "lbt-%ld-door", (long)getpid());
    rc = lockbox_user_create(admin, &u, &r);
    j = body_json(&r);
    if (field(j, "id"))
        snprintf(uid, sizeof(uid), "%s", field(j, "id"));
    CHECK(rc == 0 && uid[0], "user_create %s: %d %s", door, rc, r.detail ? r.detail : "");
    json_decref(j);
    lockbox_reply_clear(&r);
    CHECK(lockbox_token_create(admin, uid, "", 0, &r) == LOCKBOX_EINVAL && !r.body,
          "token_create without a name: refused before a call");
    CHECK(lockbox_token_create(admin, uid, "x", -1, &r) == LOCKBOX_EINVAL,
          "token_create with a negative lifetime: refused before a call");
    rc = lockbox_token_create(admin, uid, "lbt door", 3600, &r);
    j = body_json(&r);
    if (field(j, "id"))
        snprintf(tid, sizeof(tid), "%s", field(j, "id"));
    CHECK(rc == 0 && r.status == 201 && tid[0] && field(j, "token"), "token_create: %d %s", rc,
          r.detail ? r.detail : "");
    lb = field(j, "token") ? open_handle(field(j, "token")) : NULL;
    json_decref(j);
    lockbox_reply_clear(&r);
    rc = lb ? lockbox_me(lb, &r) : LOCKBOX_ENOMEM;
    j = body_json(&r);
    CHECK(rc == 0 && field(j, "username") && strcmp(field(j, "username"), door) == 0,
          "the token's handle is the service account: %d", rc);
    json_decref(j);
    lockbox_reply_clear(&r);
    rc = lockbox_token_list(admin, uid, &r);
    CHECK(rc == 0 && r.body && strstr(r.body, tid) && !strstr(r.body, "lbx_"),
          "token_list names it, without the secret: %d", rc);
    lockbox_reply_clear(&r);
    CHECK(lockbox_token_revoke(admin, uid, tid, &r) == 0 && r.status == 204, "token_revoke");
    lockbox_reply_clear(&r);
    rc = lb ? lockbox_me(lb, &r) : LOCKBOX_ENOMEM;
    CHECK(rc == LOCKBOX_EREFUSED && r.status == 401, "a revoked token is refused: %d %ld", rc,
          r.status);
    lockbox_reply_clear(&r);
    CHECK(lockbox_token_revoke(admin, uid, "", &r) == LOCKBOX_EINVAL, "token_revoke of no id");
    lockbox_free(lb);
    lockbox_free(admin);
}

int main(int argc, char **argv)
{
    const char *tls_url = NULL, *tls_ca = NULL, *tls_other_ca = NULL;
    struct lockbox *admin = NULL, *user = NULL;
    char *user_token = NULL;
    int i;

    for (i = 1; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--tls-url") == 0)
            tls_url = argv[i + 1];
        else if (strcmp(argv[i], "--tls-ca") == 0)
            tls_ca = argv[i + 1];
        else if (strcmp(argv[i], "--tls-other-ca") == 0)
            tls_other_ca = argv[i + 1];
        else
            break;
    }
    url = i < argc ? argv[i++] : getenv("LOCKBOX_URL");
    token = i < argc ? argv[i++] : getenv("LOCKBOX_TOKEN");
    if (!url || !token || i < argc || (tls_url && (!tls_ca || !tls_other_ca))) {
        fprintf(stderr, "usage: test_liblockbox [--tls-url URL --tls-ca PEM --tls-other-ca PEM] "
                        "[URL [TOKEN]] (or $LOCKBOX_URL, $LOCKBOX_TOKEN)\n");
        return 2;
    }
    setvbuf(stderr, NULL, _IOLBF, 0);

    /* Before any lockbox call: every allocation of libcurl's is counted. */
    if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, curl_malloc_hook, free, curl_realloc_hook,
                             curl_strdup_hook, curl_calloc_hook) != CURLE_OK) {
        fprintf(stderr, "curl_global_init_mem failed\n");
        return 2;
    }
    lb_mem_fail_set(0);
    CHECK(lockbox_global_init() == 0, "lockbox_global_init");
    snprintf(user_name, sizeof(user_name), "lbt-%ld-user", (long)getpid());

    test_plain_http();
    if (!(admin = open_handle(token)) || setup(admin) != 0 || !(user = user_handle()))
        goto out;
    {
        struct lockbox_reply r = {0};
        char *tok = NULL;

        /* a second login, for the token itself */
        CHECK(lockbox_login(user, user_name, PASSWORD, NULL, &tok, &r) == 0 && tok,
              "login for a token");
        user_token = tok;
        lockbox_reply_clear(&r);
    }
    if (!user_token)
        goto out;

    test_threads(user_token);
    test_faults(user_token);
    test_proxy_env(user_token);
    test_timeout();
    test_tokens();
    if (tls_url)
        test_tls(tls_url, tls_ca, tls_other_ca, user_token);
    else
        fprintf(stderr, "TLS checks skipped (no --tls-url)\n");
out:
    free(user_token);
    free(ta_token);
    lockbox_free(user);
    lockbox_free(admin);
    curl_global_cleanup();
    printf("%d passed, %d failed\n", atomic_load(&passed), atomic_load(&failed));
    return atomic_load(&failed) > 0 ? 1 : 0;
}
