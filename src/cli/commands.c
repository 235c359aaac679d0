/* The lockbox commands: one function each, and the one table that names them. */
#include "cli/cli.h"
#include "cli/format.h"
#include "cli/parse.h"
#include "util/buf.h"
#include "util/timeutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/banned.h"

#define MAX_LIST 100

/* Runs the end of every command: report a failure, or print the reply. */
static int finish(struct cli *cli, int rc, struct lockbox_reply *r, const char *what,
                  void (*show)(json_t *))
{
    int code = rc ? cli_fail(cli, rc, r, what) : cli_print(cli, r, show);

    lockbox_reply_clear(r);
    return code;
}

static bool is_uuid(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++)
        if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-'
                                                      : !isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

static const struct cli_command *self(const char *group, const char *name)
{
    for (size_t i = 0; i < cli_command_count; i++)
        if (strcmp(cli_commands[i].group, group) == 0 &&
            (!name ? !cli_commands[i].name
                   : cli_commands[i].name && strcmp(cli_commands[i].name, name) == 0))
            return &cli_commands[i];
    return NULL;
}

int cli_tenant_id(struct cli *cli, const char *name_or_id, char out[40])
{
    struct lockbox_reply r = {0};
    json_t *j = NULL, *t;
    size_t i;
    int rc;

    if (is_uuid(name_or_id)) {
        snprintf(out, 40, "%s", name_or_id);
        return CLI_EXIT_OK;
    }
    if ((rc = lockbox_tenant_list(cli->lb, &r)) != 0)
        return finish(cli, rc, &r, "tenant list", NULL);
    j = json_loads(r.body ? r.body : "", 0, NULL);
    rc = CLI_EXIT_REFUSED;
    json_array_foreach(json_object_get(j, "items"), i, t)
    {
        if (strcmp(cli_str(t, "name"), name_or_id) == 0) {
            snprintf(out, 40, "%s", cli_str(t, "id"));
            rc = CLI_EXIT_OK;
        }
    }
    if (rc)
        fprintf(stderr, "lockbox: no tenant named '%s' that you can see\n", name_or_id);
    json_decref(j);
    lockbox_reply_clear(&r);
    return rc;
}

/* Connects and resolves --tenant when given (a command that needs one says so in its option
 * table, which the parse checks). */
static int prepare(struct cli *cli, const struct cli_args *a, char tid[40])
{
    const char *t = cli_opt(a, "tenant");
    int rc;

    tid[0] = '\0';
    if ((rc = cli_connect(cli)))
        return rc;
    return t && *t ? cli_tenant_id(cli, t, tid) : CLI_EXIT_OK;
}

/* ---- shows ---- */

static void show_kv(const char *k, const char *v)
{
    printf("%-22s ", k);
    format_put_safe(stdout, v, 0, "\n                       "); /* continued under the value */
    fputc('\n', stdout);
}

static void show_time(const char *k, json_t *obj, const char *key)
{
    char t[FORMAT_TIME_LEN];

    cli_time(json_string_value(json_object_get(obj, key)), t);
    show_kv(k, t);
}

static void show_me(json_t *u)
{
    json_t *r;
    size_t i;

    show_kv("username", cli_str(u, "username"));
    show_kv("id", cli_str(u, "id"));
    show_kv("tenant",
            json_is_null(json_object_get(u, "tenant_id")) ? "(provider)" : cli_str(u, "tenant_id"));
    json_array_foreach(json_object_get(u, "roles"), i, r)
    {
        char line[300];
        snprintf(line, sizeof(line), "%s at %s", cli_str(r, "role"), cli_str(r, "scope"));
        show_kv(i ? "" : "roles", line);
    }
    if (json_object_get(u, "mfa"))
        show_kv("mfa", json_is_true(json_object_get(u, "mfa")) ? "yes" : "no");
}

static void show_request(json_t *q)
{
    json_t *v, *d;
    size_t i;
    char line[600], dur[FORMAT_DURATION_LEN];

    show_kv("id", cli_str(q, "id"));
    show_kv("status", cli_str(q, "status"));
    if (json_is_string(json_object_get(q, "status_reason")))
        show_kv("reason", cli_str(q, "status_reason"));
    show_kv("tenant", cli_str(q, "tenant_id"));
    show_kv("ticket", cli_str(q, "ticket_id"));
    show_kv("requester", cli_str(json_object_get(q, "requester"), "username"));
    show_kv("resource type", cli_str(q, "resource_type"));
    json_array_foreach(json_object_get(q, "resource_ids"), i, v)
        show_kv(i ? "" : "resources", json_string_value(v));
    show_kv("access level", cli_str(q, "access_level"));
    format_duration(json_integer_value(json_object_get(q, "duration_seconds")), dur);
    show_kv("duration", dur);
    show_kv("justification", cli_str(q, "justification"));
    snprintf(line, sizeof(line), "%lld of %lld",
             (long long)json_array_size(json_object_get(q, "decisions")),
             (long long)json_integer_value(json_object_get(q, "approvals_required")));
    show_kv("approvals", line);
    show_time("created", q, "created_at");
    show_time("expires", q, "expires_at");
    v = json_object_get(q, "grant");
    if (json_is_object(v)) {
        show_time("grant starts", v, "starts_at");
        show_time("grant ends", v, "ends_at");
        if (json_is_string(json_object_get(v, "ended_at")))
            show_time("grant ended", v, "ended_at");
    }
    v = json_object_get(q, "internal_review");
    if (json_is_true(json_object_get(v, "required"))) {
        snprintf(line, sizeof(line), "%s by %s", cli_str(v, "decision"), cli_str(v, "by"));
        show_kv("internal review", json_is_string(json_object_get(v, "by")) ? line : "waiting");
    }
    json_array_foreach(json_object_get(q, "decisions"), i, d)
    {
        char at[FORMAT_TIME_LEN];
        cli_time(json_string_value(json_object_get(d, "at")), at);
        snprintf(line, sizeof(line), "%s by %s at %s%s%s", cli_str(d, "decision"), cli_str(d, "by"),
                 at, json_is_string(json_object_get(d, "reason")) ? ": " : "",
                 json_is_string(json_object_get(d, "reason")) ? cli_str(d, "reason") : "");
        show_kv(i ? "" : "decisions", line);
    }
}

/* Prints a list of objects as a table of the given keys ("a.b" reads a nested field). */
static void show_items(json_t *list, const char *const *header, const char *const *keys,
                       size_t cols)
{
    json_t *items = json_object_get(list, "items"), *it;
    size_t n = json_array_size(items), i;
    const char ***rows = calloc(n ? n : 1, sizeof(*rows));
    char(*times)[16][FORMAT_TIME_LEN] = calloc(n ? n : 1, sizeof(*times));

    if (!rows || !times) {
        fprintf(stderr, "lockbox: out of memory\n");
        goto out;
    }
    json_array_foreach(items, i, it)
    {
        rows[i] = calloc(cols, sizeof(char *));
        for (size_t c = 0; rows[i] && c < cols && c < 16; c++) {
            const char *key = keys[c], *dot = strchr(key, '.');
            json_t *v = it;
            char head[64];
            if (dot) {
                snprintf(head, sizeof(head), "%.*s", (int)(dot - key), key);
                v = json_object_get(it, head);
                key = dot + 1;
            }
            v = json_object_get(v, key);
            if (strstr(key, "_at") || strcmp(key, "time") == 0) {
                cli_time(json_string_value(v), times[i][c]);
                rows[i][c] = times[i][c];
            } else if (json_is_integer(v)) {
                snprintf(times[i][c], FORMAT_TIME_LEN, "%lld", (long long)json_integer_value(v));
                rows[i][c] = times[i][c];
            } else {
                rows[i][c] = json_is_string(v) ? json_string_value(v) : "-";
            }
        }
        if (!rows[i])
            goto out;
    }
    cli_table(header, cols, rows, n);
out:
    for (i = 0; rows && i < n; i++)
        free(rows[i]);
    free(rows);
    free(times);
}

static void show_request_list(json_t *l)
{
    static const char *const h[] = {"ID", "STATUS", "REQUESTER", "TYPE", "LEVEL", "CREATED"};
    static const char *const k[] = {
        "id", "status", "requester.username", "resource_type", "access_level", "created_at"};
    show_items(l, h, k, 6);
}

/* A tenant's resource scopes as one line ("/subscriptions/s1, /subscriptions/s2"), or "-". */
static void join_scopes(json_t *t)
{
    struct buf text = BUF_INIT;
    json_t *v;
    size_t i;

    json_array_foreach(json_object_get(t, "resource_scopes"), i, v) buf_appendf(
        &text, "%s%s", i ? ", " : "", json_string_value(v) ? json_string_value(v) : "?");
    json_object_set_new(t, "resource_scopes_text",
                        json_string(text.len && !text.failed ? buf_cstr(&text) : "-"));
    buf_release(&text);
}

static void show_tenant_list(json_t *l)
{
    static const char *const h[] = {"ID", "NAME", "PLAN", "RESOURCE SCOPES", "CREATED"};
    static const char *const k[] = {"id", "name", "plan", "resource_scopes_text", "created_at"};
    json_t *t;
    size_t i;

    json_array_foreach(json_object_get(l, "items"), i, t) join_scopes(t);
    show_items(l, h, k, 5);
}

static void show_role_list(json_t *l)
{
    static const char *const h[] = {"ID", "USER", "ROLE", "SCOPE"};
    static const char *const k[] = {"id", "username", "role", "scope"};
    show_items(l, h, k, 4);
}

/* Users with their roles folded into one column ("owner at /subscriptions/s1, member at /"). */
static void show_user_list(json_t *l)
{
    static const char *const h[] = {"USERNAME", "EMAIL", "ROLES", "ID"};
    static const char *const k[] = {"username", "email", "roles_text", "id"};
    json_t *u, *r;
    size_t i, j;

    json_array_foreach(json_object_get(l, "items"), i, u)
    {
        char text[1024] = "";
        size_t len = 0;
        json_array_foreach(json_object_get(u, "roles"), j, r)
        {
            int n = snprintf(text + len, sizeof(text) - len, "%s%s at %s", j ? ", " : "",
                             cli_str(r, "role"), cli_str(r, "scope"));
            if (n < 0 || (size_t)n >= sizeof(text) - len)
                break;
            len += (size_t)n;
        }
        json_object_set_new(u, "roles_text", json_string(len ? text : "-"));
    }
    show_items(l, h, k, 4);
}

static void show_audit(json_t *l)
{
    static const char *const h[] = {"SEQ", "TIME", "ACTIVITY", "ACTOR", "ITEM", "DECISION"};
    static const char *const k[] = {"seq", "time", "activity", "actor", "item", "decision"};
    show_items(l, h, k, 6);
}

static void show_ticket(json_t *t)
{
    json_t *h;
    size_t i;

    show_kv("id", cli_str(t, "id"));
    show_kv("title", cli_str(t, "title"));
    show_kv("severity", cli_str(t, "severity"));
    show_kv("status", cli_str(t, "status"));
    show_kv("created by", cli_str(t, "created_by"));
    show_time("created", t, "created_at");
    show_kv("description", cli_str(t, "description"));
    json_array_foreach(json_object_get(t, "history"), i, h)
    {
        char at[FORMAT_TIME_LEN], line[1200];
        cli_time(json_string_value(json_object_get(h, "at")), at);
        snprintf(line, sizeof(line), "%s  %s  %s%s%s", at, cli_str(h, "by"), cli_str(h, "type"),
                 json_is_string(json_object_get(h, "text")) ? ": " : "",
                 json_is_string(json_object_get(h, "text")) ? cli_str(h, "text") : "");
        show_kv(i ? "" : "history", line);
    }
}

static void show_tenant(json_t *t)
{
    show_kv("id", cli_str(t, "id"));
    show_kv("name", cli_str(t, "name"));
    show_kv("plan", cli_str(t, "plan"));
    join_scopes(t);
    show_kv("resource scopes", cli_str(t, "resource_scopes_text"));
    if (json_is_object(json_object_get(t, "admin")))
        show_kv("admin", cli_str(json_object_get(t, "admin"), "username"));
}

static void show_settings(json_t *s)
{
    const char *key;
    json_t *v;

    json_object_foreach(s, key, v)
    {
        char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        show_kv(key, text ? text : "?");
        free(text);
    }
}

static void show_user(json_t *u)
{
    show_me(u);
    if (json_is_string(json_object_get(u, "totp_secret"))) {
        show_kv("totp secret", cli_str(u, "totp_secret"));
        show_kv("totp uri", cli_str(u, "totp_uri"));
        printf("(the TOTP secret is shown once: enrol it in an authenticator now)\n");
    }
}

static void show_id(json_t *o)
{
    printf("%s\n", cli_str(o, "id"));
}

/* ---- paging ---- */

/* Fetches one page of a list for the filter, from page_token (NULL: the first page). */
typedef int page_fetch_fn(struct cli *cli, void *filter, const char *page_token,
                          struct lockbox_reply *r);

/* Follows page tokens; on success r->body is one list of every page's items, as the API's
 * shape with next_page_token null. */
static int all_pages(struct cli *cli, page_fetch_fn *fetch, void *filter, struct lockbox_reply *r)
{
    json_t *all = json_pack("{s:[], s:n}", "items", "next_page_token");
    char token[1024] = "";
    int rc = LOCKBOX_ENOMEM;

    while (all) {
        json_t *page;
        const char *next;
        if ((rc = fetch(cli, filter, token[0] ? token : NULL, r)) != 0)
            break;
        if (!(page = json_loads(r->body ? r->body : "", 0, NULL))) {
            rc = LOCKBOX_EPROTOCOL;
            break;
        }
        json_array_extend(json_object_get(all, "items"), json_object_get(page, "items"));
        next = json_string_value(json_object_get(page, "next_page_token"));
        snprintf(token, sizeof(token), "%s", next ? next : "");
        json_decref(page);
        lockbox_reply_clear(r);
        if (!token[0]) {
            rc = (r->body = json_dumps(all, JSON_COMPACT)) ? LOCKBOX_OK : LOCKBOX_ENOMEM;
            break;
        }
    }
    json_decref(all);
    return rc;
}

static int fetch_audit(struct cli *cli, void *filter, const char *page_token,
                       struct lockbox_reply *r)
{
    struct lockbox_audit_filter *f = filter;

    f->page_token = page_token;
    return lockbox_audit_search(cli->lb, f, r);
}

static int fetch_requests(struct cli *cli, void *filter, const char *page_token,
                          struct lockbox_reply *r)
{
    struct lockbox_request_filter *f = filter;

    f->page_token = page_token;
    return lockbox_request_list(cli->lb, f, r);
}

/* ---- session ---- */

static int cmd_login(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    const char *user = cli_opt(a, "username");
    char password[1024], *token = NULL;
    int rc;

    if ((rc = cli_connect(cli)) ||
        (rc = cli_read_password(cli, "Password: ", password, sizeof(password))))
        return rc;
    rc = lockbox_login(cli->lb, user, password, cli_opt(a, "totp"), &token, &r);
    memset(password, 0, sizeof(password));
    if (rc)
        return finish(cli, rc, &r, "login", NULL);
    rc = cli_config_save(cli, cli->url, token);
    if (!rc && !cli->json && !cli->field && !cli->quiet)
        printf("logged in as %s; token saved to %s\n", user, cli->config_path);
    if (!rc && (cli->json || cli->field))
        rc = cli_print(cli, &r, NULL);
    memset(token, 0, strlen(token));
    free(token);
    lockbox_reply_clear(&r);
    return rc;
}

static int cmd_whoami(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    int rc = cli_connect(cli);

    (void)a;
    return rc ? rc : finish(cli, lockbox_me(cli->lb, &r), &r, "whoami", show_me);
}

/* ---- requests ---- */

static int cmd_request_create(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_request_spec s = {0};
    struct lockbox_reply r = {0};
    const char *ids[MAX_LIST], *dur = cli_opt(a, "duration");
    char tid[40];
    int rc;

    s.ticket_id = cli_opt(a, "ticket");
    s.resource_type = cli_opt(a, "type");
    s.access_level = cli_opt(a, "level");
    s.justification = cli_opt(a, "justification");
    s.resource_count = cli_opt_all(a, "resource", ids, MAX_LIST);
    if (dur && parse_duration(dur, &s.duration_seconds) != 0)
        return cli_usage_error(self("request", "create"),
                               "bad duration '%s' (want e.g. 90s, 15m, 4h, 2d)", dur);
    if ((rc = prepare(cli, a, tid)))
        return rc;
    s.tenant_id = tid;
    s.resource_ids = ids;
    return finish(cli, lockbox_request_create(cli->lb, &s, &r), &r, "request create", show_request);
}

/* --name TIME as RFC 3339 into out, *dst pointing at it (NULL when not given). */
static int time_opt(const struct cli_command *cmd, const struct cli_args *a, const char *name,
                    char out[TIME_RFC3339_LEN], const char **dst)
{
    const char *v = cli_opt(a, name);
    int64_t t;

    *dst = NULL;
    if (!v)
        return 0;
    if (parse_time(v, time_now(), &t) != 0)
        return cli_usage_error(cmd, "bad --%s '%s' (want RFC 3339, now, or -24h / +15m)", name, v);
    time_format_rfc3339(t, out);
    *dst = out;
    return 0;
}

static int cmd_request_list(struct cli *cli, const struct cli_args *a)
{
    const struct cli_command *cmd = self("request", "list");
    struct lockbox_request_filter f = {.status = cli_opt(a, "status"),
                                       .text = cli_opt(a, "search")};
    struct lockbox_reply r = {0}, me = {0};
    const char *lim = cli_opt(a, "limit");
    json_t *mj = NULL;
    char tid[40], mine[256] = "", from[TIME_RFC3339_LEN], to[TIME_RFC3339_LEN];
    int rc;

    long n = 0;

    if (lim && parse_count(lim, 1, 1000, &n) != 0)
        return cli_usage_error(cmd, "bad --limit '%s' (1 to 1000)", lim);
    if ((rc = time_opt(cmd, a, "from", from, &f.from)) || (rc = time_opt(cmd, a, "to", to, &f.to)))
        return rc;
    f.limit = (int)n;
    if ((rc = prepare(cli, a, tid)))
        return rc;
    f.tenant_id = tid[0] ? tid : NULL;
    if (cli_flag(a, "mine")) {
        if ((rc = lockbox_me(cli->lb, &me)) != 0)
            return finish(cli, rc, &me, "whoami", NULL);
        mj = json_loads(me.body, 0, NULL);
        snprintf(mine, sizeof(mine), "%s", cli_str(mj, "username"));
        json_decref(mj);
        lockbox_reply_clear(&me);
        f.requester = mine;
    }
    if (!cli_flag(a, "all"))
        return finish(cli, lockbox_request_list(cli->lb, &f, &r), &r, "request list",
                      show_request_list);
    if (!f.limit)
        f.limit = 1000;
    return finish(cli, all_pages(cli, fetch_requests, &f, &r), &r, "request list",
                  show_request_list);
}

static int cmd_request_show(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    int rc = cli_connect(cli);

    return rc ? rc
              : finish(cli, lockbox_request_get(cli->lb, a->pos[0], &r), &r, "request show",
                       show_request);
}

static int decide(struct cli *cli, const struct cli_args *a, bool review, bool approve)
{
    struct lockbox_reply r = {0};
    const char *reason = cli_opt(a, "reason");
    int rc = cli_connect(cli);

    if (rc)
        return rc;
    rc = review ? lockbox_request_review(cli->lb, a->pos[0], approve, reason, &r)
                : lockbox_request_decide(cli->lb, a->pos[0], approve, reason, &r);
    return finish(cli, rc, &r,
                  review    ? "request review"
                  : approve ? "approve"
                            : "deny",
                  show_request);
}

static int cmd_request_review(struct cli *cli, const struct cli_args *a)
{
    bool yes = cli_flag(a, "approve"), no = cli_flag(a, "deny");

    if (yes == no)
        return cli_usage_error(self("request", "review"), "give one of --approve or --deny");
    return decide(cli, a, true, yes);
}

static int cmd_request_approve(struct cli *cli, const struct cli_args *a)
{
    return decide(cli, a, false, true);
}

static int cmd_request_deny(struct cli *cli, const struct cli_args *a)
{
    return decide(cli, a, false, false);
}

static int cmd_request_cancel(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    int rc = cli_connect(cli);

    return rc ? rc
              : finish(cli, lockbox_request_cancel(cli->lb, a->pos[0], cli_opt(a, "reason"), &r),
                       &r, "request cancel", show_request);
}

static int cmd_request_revoke(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    int rc = cli_connect(cli);

    return rc ? rc
              : finish(cli, lockbox_request_revoke(cli->lb, a->pos[0], cli_opt(a, "reason"), &r),
                       &r, "request revoke", show_request);
}

/* ---- tickets ---- */

static int cmd_ticket_create(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    const char *title = cli_opt(a, "title"), *desc = cli_opt(a, "description");
    char tid[40];
    int rc;

    if ((rc = prepare(cli, a, tid)))
        return rc;
    rc = lockbox_ticket_create(cli->lb, tid, title, desc, cli_opt(a, "severity"), &r);
    return finish(cli, rc, &r, "ticket create", show_ticket);
}

static int cmd_ticket_show(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    char tid[40];
    int rc = prepare(cli, a, tid);

    return rc ? rc
              : finish(cli, lockbox_ticket_get(cli->lb, tid, a->pos[0], &r), &r, "ticket show",
                       show_ticket);
}

static int cmd_ticket_comment(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    char tid[40];
    int rc = prepare(cli, a, tid);

    return rc ? rc
              : finish(cli, lockbox_ticket_comment(cli->lb, tid, a->pos[0], a->pos[1], &r), &r,
                       "ticket comment", NULL);
}

/* ---- tenants, users, roles ---- */

static int cmd_tenant_create(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    const char *plan = cli_opt(a, "plan"), *user = cli_opt(a, "admin-username");
    const char *email = cli_opt(a, "admin-email");
    const char *scopes[CLI_MAX_OPTS];
    size_t n = cli_opt_all(a, "resource-scope", scopes, CLI_MAX_OPTS);
    char password[1024];
    int rc;

    if ((rc = cli_connect(cli)) || (rc = cli_read_password(cli, "Password for the tenant's admin: ",
                                                           password, sizeof(password))))
        return rc;
    rc = lockbox_tenant_create_scoped(cli->lb, a->pos[0], plan, scopes, n, user, password, email,
                                      &r);
    memset(password, 0, sizeof(password));
    return finish(cli, rc, &r, "tenant create", show_tenant);
}

static int cmd_tenant_list(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    int rc = cli_connect(cli);

    (void)a;
    return rc ? rc
              : finish(cli, lockbox_tenant_list(cli->lb, &r), &r, "tenant list", show_tenant_list);
}

static int cmd_tenant_scopes(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    const char *add[CLI_MAX_OPTS], *remove[CLI_MAX_OPTS];
    size_t n_add = cli_opt_all(a, "add", add, CLI_MAX_OPTS);
    size_t n_remove = cli_opt_all(a, "remove", remove, CLI_MAX_OPTS);
    char tid[40];
    int rc;

    if ((rc = cli_connect(cli)) || (rc = cli_tenant_id(cli, a->pos[0], tid)))
        return rc;
    if (n_add + n_remove == 0)
        return finish(cli, lockbox_tenant_get(cli->lb, tid, &r), &r, "tenant scopes", show_tenant);
    return finish(cli, lockbox_tenant_scopes_change(cli->lb, tid, add, n_add, remove, n_remove, &r),
                  &r, "tenant scopes", show_tenant);
}

/* "KEY=VALUE" into the patch: JSON literals as they are, durations for *_seconds, lists for
 * notification_emails, anything else a string. */
static int settings_set(json_t *patch, const char *kv)
{
    const char *eq = strchr(kv, '=');
    char key[64];
    json_t *v;
    int64_t secs;

    if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key))
        return -1;
    snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
    eq++;
    if (strcmp(key, "notification_emails") == 0) {
        v = json_array();
        for (const char *p = eq; v && *p;) {
            size_t n = strcspn(p, ",");
            if (n)
                json_array_append_new(v, json_stringn(p, n));
            p += n + (p[n] == ',');
        }
    } else if (strstr(key, "_seconds") && parse_duration(eq, &secs) == 0) {
        v = json_integer(secs);
    } else if (!(v = json_loads(eq, JSON_DECODE_ANY, NULL))) {
        v = json_string(eq);
    }
    return json_object_set_new(patch, key, v);
}

static int cmd_tenant_settings(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    const char *sets[CLI_MAX_OPTS];
    size_t n = cli_opt_all(a, "set", sets, CLI_MAX_OPTS);
    json_t *patch = json_object();
    char tid[40], *text = NULL;
    int rc = CLI_EXIT_USAGE;

    for (size_t i = 0; patch && i < n; i++)
        if (settings_set(patch, sets[i]) != 0) {
            json_decref(patch);
            return cli_usage_error(self("tenant", "settings"), "bad --set '%s' (want KEY=VALUE)",
                                   sets[i]);
        }
    if (!patch || (rc = cli_connect(cli)) || (rc = cli_tenant_id(cli, a->pos[0], tid)))
        goto out;
    if (!n) {
        rc = finish(cli, lockbox_settings_get(cli->lb, tid, &r), &r, "tenant settings",
                    show_settings);
        goto out;
    }
    text = json_dumps(patch, JSON_COMPACT);
    rc = finish(cli, text ? lockbox_settings_update(cli->lb, tid, text, &r) : LOCKBOX_ENOMEM, &r,
                "tenant settings", show_settings);
out:
    free(text);
    json_decref(patch);
    return rc;
}

/* Assigns each of roles to the new tenant user at scope and adds each assignment the server
 * made to the user's "roles" (so the user is shown as they now are); stops at the first
 * refusal. */
static int assign_roles(struct cli *cli, const char *tid, json_t *user, const char *const *roles,
                        size_t n, const char *scope)
{
    const char *user_id = cli_str(user, "id");

    for (size_t i = 0; i < n; i++) {
        struct lockbox_reply r = {0};
        int rc = lockbox_role_assign(cli->lb, tid, user_id, roles[i], scope, &r);
        json_t *made;
        if (rc) {
            fprintf(stderr, "lockbox: the user was created (id %s) but not given role %s\n",
                    user_id, roles[i]);
            return finish(cli, rc, &r, "role assign", NULL);
        }
        made = json_loads(r.body ? r.body : "", 0, NULL);
        json_array_append_new(json_object_get(user, "roles"),
                              json_pack("{s:s, s:s}", "role", cli_str(made, "role"), "scope",
                                        cli_str(made, "scope")));
        json_decref(made);
        lockbox_reply_clear(&r);
    }
    return CLI_EXIT_OK;
}

/* Options user create would otherwise drop: the API takes isolated_identity for provider users
 * only, and --scope only places the --role assignments of a tenant user. */
static int user_create_misused(const struct cli_args *a)
{
    const struct cli_command *cmd = self("user", "create");
    const char *t = cli_opt(a, "tenant");
    bool tenant = t != NULL, scope = cli_opt(a, "scope") != NULL;

    if (tenant && !*t)
        return cli_usage_error(cmd, "--tenant needs a tenant's name or id");
    if (tenant && cli_flag(a, "isolated"))
        return cli_usage_error(cmd, "--isolated is for provider users only; drop it or --tenant");
    if (scope && !tenant)
        return cli_usage_error(cmd, "--scope places a tenant user's --role; provider roles have "
                                    "none (drop --scope, or give --tenant)");
    if (scope && !cli_flag(a, "role"))
        return cli_usage_error(cmd, "--scope without --role would be unused; give --role too");
    return CLI_EXIT_OK;
}

static int cmd_user_create(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_user_spec s = {.totp = cli_flag(a, "totp"),
                                  .isolated_identity = cli_flag(a, "isolated"),
                                  .display_name = cli_opt(a, "display-name")};
    struct lockbox_reply r = {0};
    const char *roles[CLI_MAX_OPTS];
    size_t n = cli_opt_all(a, "role", roles, CLI_MAX_OPTS);
    char tid[40], password[1024];
    json_t *u = NULL;
    int rc;

    s.username = cli_opt(a, "username");
    s.email = cli_opt(a, "email");
    if ((rc = user_create_misused(a)) || (rc = prepare(cli, a, tid)) ||
        (rc = cli_read_password(cli, "Password for the new user: ", password, sizeof(password))))
        return rc;
    s.password = password;
    s.tenant_id = tid[0] ? tid : NULL;
    s.roles = s.tenant_id ? NULL : roles;
    s.role_count = s.tenant_id ? 0 : n;
    rc = lockbox_user_create(cli->lb, &s, &r);
    memset(password, 0, sizeof(password));
    if (rc || !s.tenant_id || !n)
        return finish(cli, rc, &r, "user create", show_user);
    u = json_loads(r.body, 0, NULL);
    if ((rc = assign_roles(cli, tid, u, roles, n, cli_opt(a, "scope"))) == 0) {
        free(r.body);
        if (!(r.body = json_dumps(u, JSON_COMPACT)))
            rc = LOCKBOX_ENOMEM;
        rc = finish(cli, rc, &r, "user create", show_user);
    }
    json_decref(u);
    lockbox_reply_clear(&r);
    return rc;
}

static int cmd_user_list(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    char tid[40];
    int rc = prepare(cli, a, tid);

    return rc ? rc
              : finish(cli, lockbox_user_list(cli->lb, tid, &r), &r, "user list", show_user_list);
}

/* A username or an id to the user's id, through the tenant's user list (the provider's for
 * tid ""). */
static int user_id_of(struct cli *cli, const char *tid, const char *user, char out[40])
{
    struct lockbox_reply r = {0};
    json_t *j, *it;
    size_t i;
    int rc;

    if (is_uuid(user)) {
        snprintf(out, 40, "%s", user);
        return CLI_EXIT_OK;
    }
    if ((rc = lockbox_user_list(cli->lb, tid[0] ? tid : NULL, &r)) != 0)
        return finish(cli, rc, &r, "user list", NULL);
    j = json_loads(r.body, 0, NULL);
    rc = CLI_EXIT_REFUSED;
    json_array_foreach(json_object_get(j, "items"), i, it)
    {
        if (strcmp(cli_str(it, "username"), user) == 0) {
            snprintf(out, 40, "%s", cli_str(it, "id"));
            rc = CLI_EXIT_OK;
        }
    }
    if (rc)
        fprintf(stderr, "lockbox: no user '%s' %s\n", user,
                tid[0] ? "in this tenant" : "among the provider's users");
    json_decref(j);
    lockbox_reply_clear(&r);
    return rc;
}

static int cmd_role_assign(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    const char *user = cli_opt(a, "user"), *role = cli_opt(a, "role");
    char tid[40], uid[40];
    int rc;

    if ((rc = prepare(cli, a, tid)) || (rc = user_id_of(cli, tid, user, uid)))
        return rc;
    rc = lockbox_role_assign(cli->lb, tid, uid, role, cli_opt(a, "scope"), &r);
    return finish(cli, rc, &r, "role assign", show_id);
}

static int cmd_role_list(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    char tid[40];
    int rc = prepare(cli, a, tid);

    return rc ? rc
              : finish(cli, lockbox_role_list(cli->lb, tid, &r), &r, "role list", show_role_list);
}

static int cmd_role_remove(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    char tid[40];
    int rc = prepare(cli, a, tid);

    return rc ? rc
              : finish(cli, lockbox_role_remove(cli->lb, tid, a->pos[0], &r), &r, "role remove",
                       NULL);
}

/* ---- API tokens of service accounts ---- */

static void show_token(json_t *t)
{
    show_kv("id", cli_str(t, "id"));
    show_kv("name", cli_str(t, "name"));
    show_kv("user", cli_str(t, "user_id"));
    show_time("created", t, "created_at");
    show_time("expires", t, "expires_at");
    if (json_is_string(json_object_get(t, "token_file")))
        show_kv("token file", cli_str(t, "token_file"));
    if (json_is_string(json_object_get(t, "token"))) {
        show_kv("token", cli_str(t, "token"));
        printf("(the token is shown once: keep it in a file only root may read)\n");
    }
}

static void show_token_list(json_t *l)
{
    static const char *const h[] = {"NAME", "CREATED", "EXPIRES", "ID"};
    static const char *const k[] = {"name", "created_at", "expires_at", "id"};

    show_items(l, h, k, 4);
}

/* Writes token and a newline to path, mode 0600, replacing it at once (a door reading the file
 * sees the old token or the new one, never a part). */
static int write_token_file(const char *path, const char *token)
{
    char tmp[4096];
    int fd, rc = CLI_EXIT_OK;
    FILE *f;

    if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
        return cli_usage_error(self("token", "create"), "--out: the path is too long");
    if ((fd = mkstemp(tmp)) < 0 || !(f = fdopen(fd, "w"))) {
        fprintf(stderr, "lockbox: cannot write %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd), unlink(tmp);
        return CLI_EXIT_USAGE;
    }
    if (fprintf(f, "%s\n", token) < 0 || fflush(f) != 0 || fsync(fd) != 0)
        rc = CLI_EXIT_USAGE;
    if (fclose(f) != 0 || rc || rename(tmp, path) != 0) {
        fprintf(stderr, "lockbox: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

static int cmd_token_create(struct cli *cli, const struct cli_args *a)
{
    const char *expires = cli_opt(a, "expires"), *out = cli_opt(a, "out");
    struct lockbox_reply r = {0};
    int64_t seconds = 0;
    char uid[40];
    json_t *j;
    int rc;

    if (expires && parse_duration(expires, &seconds) != 0)
        return cli_usage_error(self("token", "create"),
                               "bad --expires '%s' (want a duration: 90d, 12h, 30m)", expires);
    if ((rc = cli_connect(cli)) || (rc = user_id_of(cli, "", a->pos[0], uid)))
        return rc;
    rc = lockbox_token_create(cli->lb, uid, cli_opt(a, "name"), seconds, &r);
    if (rc || !out)
        return finish(cli, rc, &r, "token create", show_token);
    /* the token goes to the file alone; what is printed names it */
    j = json_loads(r.body ? r.body : "", 0, NULL);
    rc = json_is_string(json_object_get(j, "token"))
             ? write_token_file(out, cli_str(j, "token"))
             : cli_usage_error(NULL, "the answer has no token");
    if (rc == CLI_EXIT_OK) {
        json_object_del(j, "token");
        json_object_set_new(j, "token_file", json_string(out));
        free(r.body);
        if (!(r.body = json_dumps(j, JSON_COMPACT)))
            rc = CLI_EXIT_USAGE;
    }
    json_decref(j);
    return rc ? (lockbox_reply_clear(&r), rc) : finish(cli, 0, &r, "token create", show_token);
}

static int cmd_token_list(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    char uid[40];
    int rc;

    if ((rc = cli_connect(cli)) || (rc = user_id_of(cli, "", a->pos[0], uid)))
        return rc;
    return finish(cli, lockbox_token_list(cli->lb, uid, &r), &r, "token list", show_token_list);
}

static int cmd_token_revoke(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    char uid[40];
    int rc;

    if ((rc = cli_connect(cli)) || (rc = user_id_of(cli, "", a->pos[0], uid)))
        return rc;
    return finish(cli, lockbox_token_revoke(cli->lb, uid, a->pos[1], &r), &r, "token revoke", NULL);
}

/* ---- webhooks and notifications ---- */

static void show_webhook(json_t *w)
{
    json_t *e;
    size_t i;

    show_kv("id", cli_str(w, "id"));
    show_kv("url", cli_str(w, "url"));
    show_kv("tenant", json_is_null(json_object_get(w, "tenant_id")) ? "(every tenant)"
                                                                    : cli_str(w, "tenant_id"));
    json_array_foreach(json_object_get(w, "events"), i, e)
        show_kv(i ? "" : "events", json_string_value(e));
    if (json_is_string(json_object_get(w, "secret"))) {
        show_kv("secret", cli_str(w, "secret"));
        printf(
            "(the secret is shown once: give it to the receiver to check X-Lockbox-Signature)\n");
    }
}

/* Webhooks with their events folded into one column. */
static void show_webhook_list(json_t *l)
{
    static const char *const h[] = {"ID", "URL", "EVENTS", "CREATED"};
    static const char *const k[] = {"id", "url", "events_text", "created_at"};
    json_t *w, *e;
    size_t i, j;

    json_array_foreach(json_object_get(l, "items"), i, w)
    {
        char text[1024] = "";
        size_t len = 0;
        json_array_foreach(json_object_get(w, "events"), j, e)
        {
            int n = snprintf(text + len, sizeof(text) - len, "%s%s", j ? "," : "",
                             json_string_value(e) ? json_string_value(e) : "?");
            if (n < 0 || (size_t)n >= sizeof(text) - len)
                break;
            len += (size_t)n;
        }
        json_object_set_new(w, "events_text", json_string(text));
    }
    show_items(l, h, k, 4);
}

static void show_notifications(json_t *l)
{
    static const char *const h[] = {"EVENT", "CHANNEL", "TO", "STATUS", "ATTEMPTS", "DELIVERED"};
    static const char *const k[] = {"event", "channel", "to", "status", "attempts", "delivered_at"};
    show_items(l, h, k, 6);
}

static int cmd_webhook_add(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    const char *events[CLI_MAX_OPTS];
    size_t n = cli_opt_all(a, "event", events, CLI_MAX_OPTS);
    const char *url = a->pos[0];
    char tid[40];
    int rc;

    if (!n)
        return cli_usage_error(self("webhook", "add"), "missing --event (give one or more)");
    if ((rc = prepare(cli, a, tid)))
        return rc;
    rc = lockbox_webhook_add(cli->lb, tid[0] ? tid : NULL, url, events, n, &r);
    return finish(cli, rc, &r, "webhook add", show_webhook);
}

static int cmd_webhook_list(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    char tid[40];
    int rc = prepare(cli, a, tid);

    return rc ? rc
              : finish(cli, lockbox_webhook_list(cli->lb, tid[0] ? tid : NULL, &r), &r,
                       "webhook list", show_webhook_list);
}

static int cmd_webhook_remove(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    char tid[40];
    int rc = prepare(cli, a, tid);

    return rc ? rc
              : finish(cli, lockbox_webhook_remove(cli->lb, tid[0] ? tid : NULL, a->pos[0], &r), &r,
                       "webhook remove", NULL);
}

static int cmd_request_notifications(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    int rc = cli_connect(cli);

    return rc ? rc
              : finish(cli, lockbox_request_notifications(cli->lb, a->pos[0], &r), &r,
                       "request notifications", show_notifications);
}

/* ---- enforcement and audit ---- */

static int cmd_check(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_check_result res;
    struct lockbox_reply r = {0};
    const char *op = cli_opt(a, "operator"), *res_id = cli_opt(a, "resource");
    const char *level = cli_opt(a, "level");
    char until[FORMAT_TIME_LEN];
    int rc;

    if ((rc = cli_connect(cli)))
        return rc;
    if ((rc = lockbox_check(cli->lb, op, res_id, level, &res, &r)) != 0)
        return finish(cli, rc, &r, "check", NULL);
    if (cli->json || cli->field) {
        if ((rc = cli_print(cli, &r, NULL)) != 0) {
            lockbox_reply_clear(&r);
            return rc;
        }
    } else if (!cli->quiet && res.allowed) {
        format_time(res.ends_at, until);
        printf("allowed: request %s, until %s\n", res.request_id, until);
    } else if (!cli->quiet) {
        printf("denied\n");
    }
    lockbox_reply_clear(&r);
    return res.allowed ? CLI_EXIT_OK : CLI_EXIT_DENIED;
}

static int cmd_audit_search(struct cli *cli, const struct cli_args *a)
{
    const struct cli_command *cmd = self("audit", "search");
    struct lockbox_audit_filter f = {.activity = cli_opt(a, "activity"),
                                     .actor = cli_opt(a, "actor"),
                                     .item = cli_opt(a, "item")};
    struct lockbox_reply r = {0};
    const char *lim = cli_opt(a, "limit");
    char from[TIME_RFC3339_LEN], to[TIME_RFC3339_LEN], tid[40];
    int rc;

    long n = 0;

    if (lim && parse_count(lim, 1, 1000, &n) != 0)
        return cli_usage_error(cmd, "bad --limit '%s' (1 to 1000)", lim);
    f.limit = (int)n;
    if ((rc = time_opt(cmd, a, "from", from, &f.from)) ||
        (rc = time_opt(cmd, a, "to", to, &f.to)) || (rc = prepare(cli, a, tid)))
        return rc;
    f.tenant_id = tid[0] ? tid : NULL;
    if (!cli_flag(a, "all"))
        return finish(cli, lockbox_audit_search(cli->lb, &f, &r), &r, "audit search", show_audit);
    if (!f.limit)
        f.limit = 1000;
    return finish(cli, all_pages(cli, fetch_audit, &f, &r), &r, "audit search", show_audit);
}

/* ---- the table ---- */

static const struct cli_optspec no_opts[] = {{0}};
static const struct cli_optspec login_opts[] = {
    {"username", true, false, true}, {"totp", true, false, false}, {0}};
static const struct cli_optspec create_opts[] = {
    {"tenant", true, false, true},    {"ticket", true, false, true},
    {"type", true, false, true},      {"resource", true, true, true},
    {"level", true, false, true},     {"justification", true, false, true},
    {"duration", true, false, false}, {0}};
static const struct cli_optspec list_opts[] = {
    {"tenant", true, false, false}, {"status", true, false, false}, {"mine", false, false, false},
    {"from", true, false, false},   {"to", true, false, false},     {"search", true, false, false},
    {"limit", true, false, false},  {"all", false, false, false},   {0}};
static const struct cli_optspec review_opts[] = {{"approve", false, false, false},
                                                 {"deny", false, false, false},
                                                 {"reason", true, false, false},
                                                 {0}};
static const struct cli_optspec reason_opts[] = {{"reason", true, false, false}, {0}};
static const struct cli_optspec ticket_opts[] = {{"tenant", true, false, true},
                                                 {"title", true, false, true},
                                                 {"description", true, false, true},
                                                 {"severity", true, false, false},
                                                 {0}};
static const struct cli_optspec tenant_only[] = {{"tenant", true, false, false}, {0}};
static const struct cli_optspec tenant_needed[] = {{"tenant", true, false, true}, {0}};
static const struct cli_optspec tenant_create_opts[] = {{"plan", true, false, true},
                                                        {"admin-username", true, false, true},
                                                        {"admin-email", true, false, true},
                                                        {"resource-scope", true, true, false},
                                                        {0}};
static const struct cli_optspec tenant_scopes_opts[] = {
    {"add", true, true, false}, {"remove", true, true, false}, {0}};
static const struct cli_optspec settings_opts[] = {{"set", true, true, false}, {0}};
static const struct cli_optspec user_opts[] = {{"tenant", true, false, false},
                                               {"username", true, false, true},
                                               {"email", true, false, true},
                                               {"role", true, true, false},
                                               {"scope", true, false, false},
                                               {"totp", false, false, false},
                                               {"isolated", false, false, false},
                                               {"display-name", true, false, false},
                                               {0}};
static const struct cli_optspec role_opts[] = {{"tenant", true, false, true},
                                               {"user", true, false, true},
                                               {"role", true, false, true},
                                               {"scope", true, false, false},
                                               {0}};
static const struct cli_optspec token_opts[] = {
    {"name", true, false, true}, {"expires", true, false, false}, {"out", true, false, false}, {0}};
static const struct cli_optspec webhook_opts[] = {
    {"tenant", true, false, false}, {"event", true, true, false}, {0}};
static const struct cli_optspec check_opts[] = {{"operator", true, false, true},
                                                {"resource", true, false, true},
                                                {"level", true, false, true},
                                                {0}};
static const struct cli_optspec audit_opts[] = {
    {"activity", true, false, false}, {"actor", true, false, false}, {"item", true, false, false},
    {"from", true, false, false},     {"to", true, false, false},    {"tenant", true, false, false},
    {"limit", true, false, false},    {"all", false, false, false},  {0}};

const struct cli_command cli_commands[] = {
    {"login", NULL, cmd_login, login_opts, 0, 0,
     "login --username U [--totp CODE] [--password-stdin]",
     "Opens a session and saves the server's URL and the token to ~/.config/lockbox/config\n"
     "(mode 0600). The password is asked for without echo, or read from standard input."},
    {"whoami", NULL, cmd_whoami, no_opts, 0, 0, "whoami", "Shows who the token belongs to."},
    {"request", "create", cmd_request_create, create_opts, 0, 0,
     "request create --tenant T --ticket K --type TYPE --resource ID [--resource ID ...] "
     "--level read|write|admin --justification TEXT [--duration 4h]",
     "Asks for time-bound access to a customer's resources (support engineers).\n"
     "Durations: 90s, 15m, 4h, 2d. The tenant is a name or an id."},
    {"request", "list", cmd_request_list, list_opts, 0, 0,
     "request list [--tenant T] [--status S] [--mine] [--from TIME] [--to TIME] [--search TEXT]\n"
     "             [--limit N] [--all]",
     "Lists access requests, newest first; --mine: the ones you made; --from/--to: created in\n"
     "that range (RFC 3339, now, or -24h / +15m); --search: text in the id, requester, resource\n"
     "ids or justification. --all follows every page (--limit is then the page size)."},
    {"request", "show", cmd_request_show, no_opts, 1, 1, "request show ID",
     "Shows a request with its review, decisions and grant."},
    {"request", "review", cmd_request_review, review_opts, 1, 1,
     "request review ID --approve|--deny [--reason TEXT]",
     "The provider's internal review of a request (internal approvers)."},
    {"request", "approve", cmd_request_approve, reason_opts, 1, 1,
     "request approve ID [--reason TEXT]", "Approves a request as the customer's approver."},
    {"request", "deny", cmd_request_deny, reason_opts, 1, 1, "request deny ID [--reason TEXT]",
     "Denies a request as the customer's approver."},
    {"request", "notifications", cmd_request_notifications, no_opts, 1, 1,
     "request notifications ID",
     "Shows who was told of a request, by which channel, and whether it was delivered."},
    {"request", "cancel", cmd_request_cancel, reason_opts, 1, 1,
     "request cancel ID [--reason TEXT]", "Withdraws your own pending request."},
    {"request", "revoke", cmd_request_revoke, reason_opts, 1, 1,
     "request revoke ID [--reason TEXT]", "Ends an approved grant early."},
    {"ticket", "create", cmd_ticket_create, ticket_opts, 0, 0,
     "ticket create --tenant T --title TEXT --description TEXT [--severity S]",
     "Opens a support ticket (tenant users). Severity: low, moderate, high, critical."},
    {"ticket", "show", cmd_ticket_show, tenant_needed, 1, 1, "ticket show --tenant T K",
     "Shows a ticket and its history."},
    {"ticket", "comment", cmd_ticket_comment, tenant_needed, 2, 2,
     "ticket comment --tenant T K TEXT", "Adds a comment to a ticket."},
    {"tenant", "create", cmd_tenant_create, tenant_create_opts, 1, 1,
     "tenant create NAME --plan P --admin-username U --admin-email E\n"
     "              [--resource-scope PREFIX ...] [--password-stdin]",
     "Creates a tenant and its first admin (platform admins). Plans: basic, developer,\n"
     "standard, professional, premier. Each --resource-scope is a resource-id prefix the\n"
     "tenant owns (/subscriptions/s1): only its requests may name resources there, and two\n"
     "tenants' scopes never overlap. The admin's password is asked for."},
    {"tenant", "list", cmd_tenant_list, no_opts, 0, 0, "tenant list",
     "Lists the tenants you can see, with the resource scopes they own."},
    {"tenant", "scopes", cmd_tenant_scopes, tenant_scopes_opts, 1, 1,
     "tenant scopes T [--add PREFIX ...] [--remove PREFIX ...]",
     "Shows the resource scopes a tenant owns or, with --add/--remove, changes them (platform\n"
     "admins). A removed scope ends the tenant's grants there at the next access check."},
    {"tenant", "settings", cmd_tenant_settings, settings_opts, 1, 1,
     "tenant settings T [--set KEY=VALUE ...]",
     "Shows a tenant's settings, or changes them (tenant admins). Keys: lockbox_enabled,\n"
     "pending_expiry_seconds, default_grant_seconds, max_grant_seconds, required_approvals,\n"
     "notification_emails (comma-separated), email_links (true/false),\n"
     "reminder_before_seconds. *_seconds also take durations (4h)."},
    {"user", "create", cmd_user_create, user_opts, 0, 0,
     "user create [--tenant T] --username U --email E [--display-name NAME] [--role R ...] "
     "[--scope S] [--totp] [--isolated] [--password-stdin]",
     "Creates a provider user (platform admins; --role takes provider roles; --isolated gives\n"
     "an isolated identity) or, with --tenant, a tenant user (tenant admins; each --role is\n"
     "assigned at --scope, default /). --totp enrols TOTP and prints the secret and an\n"
     "otpauth:// URI once."},
    {"user", "list", cmd_user_list, tenant_needed, 0, 0, "user list --tenant T",
     "Lists a tenant's users and their roles (tenant admins)."},
    {"token", "create", cmd_token_create, token_opts, 1, 1,
     "token create USER --name NAME [--expires 90d] [--out FILE]",
     "Makes an API token for a service account: a provider user whose roles are only enforcer\n"
     "or auditor (platform admins). A door's host keeps it in a file (pam_lockbox token_file=,\n"
     "lockbox-agent --token-file); --out writes it there, mode 0600, replacing the file at once.\n"
     "--expires: its lifetime (default: the server's api_token_ttl_seconds, 90 days). USER is\n"
     "a username or an id."},
    {"token", "list", cmd_token_list, no_opts, 1, 1, "token list USER",
     "Lists a service account's API tokens (not the tokens themselves), expired ones too."},
    {"token", "revoke", cmd_token_revoke, no_opts, 2, 2, "token revoke USER TOKEN_ID",
     "Revokes an API token: every door refuses it from the next call on."},
    {"role", "assign", cmd_role_assign, role_opts, 0, 0,
     "role assign --tenant T --user U --role R [--scope S]",
     "Gives a tenant user a role at a scope (default /). --user takes a username or an id."},
    {"role", "list", cmd_role_list, tenant_needed, 0, 0, "role list --tenant T",
     "Lists a tenant's role assignments."},
    {"role", "remove", cmd_role_remove, tenant_needed, 1, 1, "role remove --tenant T ID",
     "Removes a role assignment."},
    {"webhook", "add", cmd_webhook_add, webhook_opts, 1, 1,
     "webhook add [--tenant T] URL --event E [--event E ...]",
     "Registers a webhook for a tenant's request events (its tenant admins) or, without\n"
     "--tenant, for every tenant's (platform admins). Events: request.pending,\n"
     "request.reminder, request.approved, request.denied, request.expired, request.canceled,\n"
     "request.revoked, request.completed, and (every tenant only) request.pending_internal.\n"
     "Prints the signing secret once."},
    {"webhook", "list", cmd_webhook_list, tenant_only, 0, 0, "webhook list [--tenant T]",
     "Lists the webhooks of a tenant, or without --tenant the every-tenant ones."},
    {"webhook", "remove", cmd_webhook_remove, tenant_only, 1, 1, "webhook remove [--tenant T] ID",
     "Removes a webhook; messages still queued for it fail."},
    {"check", NULL, cmd_check, check_opts, 0, 0, "check --operator U --resource ID --level L",
     "Asks whether an operator may access a resource now (enforcers). Exit 0 allowed, 3 denied."},
    {"audit", "search", cmd_audit_search, audit_opts, 0, 0,
     "audit search [--activity A] [--actor U] [--item ID] [--from TIME] [--to TIME] "
     "[--tenant T] [--limit N] [--all]",
     "Searches the audit log. Times: RFC 3339, now, or relative (-24h). --all follows\n"
     "every page (--limit is then the page size)."},
};

const size_t cli_command_count = sizeof(cli_commands) / sizeof(cli_commands[0]);
