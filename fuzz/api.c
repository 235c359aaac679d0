/*
 * api: the v1 API handlers in-process, as http/server.c runs them after routing and
 * authentication, on an in-memory SQLite store set up once per process (a provider admin, an
 * MFA engineer, a tenant with its admin and a member, a ticket, a request), made anew every
 * WORLD_RUNS calls so that what the calls add stays bounded.
 * Input: byte 0 picks the route (api_routes), byte 1 the caller; then one line of query string
 * (key=value&...), one line of path parameters separated by spaces ("@t" the tenant, "@r" the
 * request, "@k" the ticket, "@u" the member, "@m" the engineer, else the text itself), and the
 * rest is the body, parsed as the server parses it (a body that is no JSON is not a call).
 * Logout is given a token that is no session (the world's sessions each cost a password hash).
 * Asserts: the status is one the API answers (never 500: a store error on outside input is a
 * bug), an error carries a problem code and detail, a success a JSON body that serialises (or
 * a stream or an empty body), and the caller's session still authenticates unless it ended.
 */
#include "api/api.h"

#include "core/core.h"
#include "core/identity.h"
#include "fuzz.h"
#include "store/seal.h"
#include "store/store_sqlite.h"
#include "util/log.h"

#include <sodium.h>

#define WORLD_RUNS 50000
#define PW "correct horse battery"
#define CALLERS 5

struct world {
    int64_t now;
    struct seal *seal;
    struct store *st;
    struct core *c;
    char token[CALLERS][TOKEN_LEN]; /* admin, engineer, tenant admin, member, approver */
    char tenant[ID_LEN], ticket[ID_LEN], request[ID_LEN], member[ID_LEN], eng[ID_LEN];
    unsigned runs;
};

static int64_t world_now(void *ctx)
{
    return ((struct world *)ctx)->now;
}

static int keep_token(void *ctx, const char *token)
{
    snprintf(ctx, TOKEN_LEN, "%s", token);
    return 0;
}

#define MUST(x) FUZZ_CHECK((x) == 0)

static void login(struct world *w, const char *name, const char *secret, char token[TOKEN_LEN])
{
    char code[8] = "";
    int64_t expires, retry;
    struct principal p = {0};
    struct buf err = BUF_INIT;

    if (secret)
        MUST(totp_code(secret, w->now / TOTP_STEP_SECONDS, 6, code, sizeof(code)));
    MUST(core_login(w->c, name, PW, secret ? code : NULL, "127.0.0.1", token, &expires, &p, &retry,
                    &err));
    principal_clear(&p);
    buf_release(&err);
}

static void user(struct world *w, const struct principal *by, const char *tenant, const char *name,
                 const char *role, char id[ID_LEN], char token[TOKEN_LEN])
{
    char *roles[] = {(char *)role}, secret[TOTP_SECRET_LEN];
    struct user_create in = {.username = name,
                             .password = PW,
                             .email = "u@x.example",
                             .isolated_identity = !tenant,
                             .totp = !tenant,
                             .roles = tenant ? NULL : roles,
                             .role_count = tenant ? 0 : 1};
    struct role_assignment ra = {0};
    struct user u = {0};
    struct buf err = BUF_INIT;

    MUST(core_user_create(w->c, by, tenant, &in, &u, secret, &err));
    if (tenant && role)
        MUST(core_role_assign(w->c, by, tenant, u.id, role, "/", &ra, &err));
    snprintf(id, ID_LEN, "%s", u.id);
    login(w, name, tenant ? NULL : secret, token);
    w->now += TOTP_STEP_SECONDS;
    role_assignment_clear(&ra);
    user_clear(&u);
    buf_release(&err);
}

static void tenant(struct world *w, const struct principal *admin)
{
    char *scopes[] = {"/subscriptions"};
    struct user_create a = {.username = "t-admin", .password = PW, .email = "a@x.example"};
    struct tenant t = {0};
    struct user u = {0};
    struct buf err = BUF_INIT;

    MUST(core_tenant_create(w->c, admin, "contoso", "standard", scopes, 1, &a, &t, &u, &err));
    snprintf(w->tenant, ID_LEN, "%s", t.id);
    login(w, "t-admin", NULL, w->token[2]);
    tenant_clear(&t);
    user_clear(&u);
    buf_release(&err);
}

static void request(struct world *w, const struct principal *eng, const struct principal *ta)
{
    char *res[] = {"/subscriptions/s1/vms/vm1"};
    struct ticket tk = {0};
    struct request r = {0};
    struct buf err = BUF_INIT;

    MUST(core_ticket_create(w->c, ta, w->tenant, "VM down", "help", "high", &tk, &err));
    snprintf(w->ticket, ID_LEN, "%s", tk.id);
    struct request_create in = {.tenant_id = w->tenant,
                                .ticket_id = w->ticket,
                                .resource_type = "vm.remote_access",
                                .justification = "logs",
                                .resource_ids = res,
                                .resource_count = 1,
                                .access_level = ACCESS_READ};
    MUST(core_request_create(w->c, eng, &in, &r, &err));
    snprintf(w->request, ID_LEN, "%s", r.id);
    request_clear(&r);
    ticket_clear(&tk);
    buf_release(&err);
}

static void world_free(struct world *w)
{
    core_free(w->c);
    store_close(w->st);
    seal_free(w->seal);
    memset(w, 0, sizeof(*w));
}

static void world_make(struct world *w)
{
    struct core_config cfg = {.session_ttl_seconds = 86400 * 30,
                              .bootstrap_token_ttl_seconds = 86400 * 30,
                              .tenant_defaults = {.pending_expiry_seconds = 3600,
                                                  .default_grant_seconds = 600,
                                                  .max_grant_seconds = 7200,
                                                  .required_approvals = 1}};
    struct principal admin = {0}, eng = {0}, ta = {0};
    struct policy *p = NULL;
    struct buf err = BUF_INIT;
    bool created;
    char id[ID_LEN];

    w->now = 1795000000;
    log_set_level(LOG_LEVEL_WARN); /* not the migrations' lines at every new world */
    FUZZ_CHECK(sodium_init() >= 0);
    MUST(store_sqlite_open(":memory:", &w->st, &err));
    MUST(seal_new_ephemeral(&w->seal));
    MUST(store_seal_attach(w->st, w->seal));
    MUST(policy_default(&p));
    MUST(core_new(w->st, (struct clock){world_now, w}, p, &cfg, &w->c));
    MUST(core_bootstrap(w->c, keep_token, w->token[0], &created));
    MUST(core_authenticate(w->c, w->token[0], &admin));
    user(w, &admin, NULL, "eng", "support_engineer", w->eng, w->token[1]);
    tenant(w, &admin);
    MUST(core_authenticate(w->c, w->token[2], &ta));
    user(w, &ta, w->tenant, "member", NULL, w->member, w->token[3]);
    user(w, &ta, w->tenant, "approver", "lockbox_approver", id, w->token[4]);
    MUST(core_authenticate(w->c, w->token[1], &eng));
    request(w, &eng, &ta);
    principal_clear(&admin);
    principal_clear(&eng);
    principal_clear(&ta);
    buf_release(&err);
}

/* The query string's value of key (the server's are percent-decoded by libmicrohttpd). */
struct query {
    char *text;
};

static const char *query_value(void *ctx, const char *key)
{
    static char value[1024];
    const char *q = ((struct query *)ctx)->text;
    size_t klen = strlen(key);

    for (const char *p = q; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            snprintf(value, sizeof(value), "%.*s", (int)(len - klen - 1), p + klen + 1);
            return value;
        }
    }
    return NULL;
}

static char *next_line(char **p)
{
    char *line = *p, *nl = strchr(line, '\n');

    if (nl) {
        *nl = '\0';
        *p = nl + 1;
    } else {
        *p = line + strlen(line);
    }
    return line;
}

static const char *param(struct world *w, const char *word)
{
    if (strcmp(word, "@t") == 0)
        return w->tenant;
    if (strcmp(word, "@r") == 0)
        return w->request;
    if (strcmp(word, "@k") == 0)
        return w->ticket;
    if (strcmp(word, "@u") == 0)
        return w->member;
    if (strcmp(word, "@m") == 0)
        return w->eng;
    return word;
}

static void check_answer(const struct api_call *call)
{
    static const int known[] = {200, 201, 202, 204, 400, 401, 403, 404, 409, 413, 422, 429, 503};
    bool ok = false;

    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        ok = ok || call->status == known[i];
    FUZZ_CHECK(ok);
    if (call->code) {
        FUZZ_CHECK(call->status >= 400 && *call->code && call->detail.len > 0);
        FUZZ_CHECK(strcmp(call->code, "internal") != 0);
        return;
    }
    FUZZ_CHECK(call->status < 300);
    if (call->response) {
        char *text = json_dumps(call->response, JSON_COMPACT);
        FUZZ_CHECK(text != NULL);
        free(text);
    } else {
        FUZZ_CHECK(call->status == 204 || call->no_body || call->stream.open ||
                   call->body_stream.next);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct world w;
    struct api_call call = {.client_ip = "127.0.0.1"};
    const struct api_route *route;
    struct principal p = {0};
    struct query q;
    char *text, *rest, *params, *save = NULL;
    size_t n = 0, need = 0;
    int who;

    if (size < 2)
        return 0;
    if (w.c && w.runs++ >= WORLD_RUNS)
        world_free(&w);
    if (!w.c)
        world_make(&w);
    w.now++;
    route = &api_routes[data[0] % api_route_count];
    who = data[1] % CALLERS;
    rest = text = fuzz_cstr(data + 2, size - 2);
    q.text = next_line(&rest);
    params = next_line(&rest);
    for (char *word = strtok_r(params, " ", &save); word && n < API_MAX_PARAMS;
         word = strtok_r(NULL, " ", &save))
        call.params[n++] = param(&w, word);
    for (const char *s = strstr(route->pattern, "{}"); s; s = strstr(s + 2, "{}"))
        need++;
    while (n < need && n < API_MAX_PARAMS)
        call.params[n++] = "x"; /* fewer words than the route has parameters */
    call.core = w.c;
    call.query = query_value;
    call.header = query_value;
    call.query_ctx = &q;
    if (route->auth) {
        if (core_authenticate(w.c, w.token[who], &p) != 0) {
            world_free(&w); /* a call ended the session (logout, a revoked token) */
            goto out;
        }
        p.client_ip = call.client_ip;
        call.principal = &p;
        /* logout ends the session it is given: not the world's, which cost a password hash
         * each to open */
        call.token = route->handler == api_logout ? "lbx_not-a-session" : w.token[who];
    }
    if (route->body && *rest && !(call.body = json_loads(rest, JSON_REJECT_DUPLICATES, NULL)))
        goto out;
    route->handler(&call);
    check_answer(&call);
    if (call.body_stream.free)
        call.body_stream.free(call.body_stream.ctx);
out:
    json_decref(call.body);
    principal_clear(&p);
    api_call_release(&call);
    free(text);
    return 0;
}
