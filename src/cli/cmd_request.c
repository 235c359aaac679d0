/* lockbox request ...: asking for access, the decisions on it, and who was told. */
#include "cli/cmd.h"
#include "cli/format.h"
#include "cli/parse.h"
#include "cli/show.h"

#include <stdio.h>

#include "util/banned.h"

#define MAX_LIST 100

static void show_request(json_t *q)
{
    json_t *v, *d;
    size_t i;
    char line[600], dur[FORMAT_DURATION_LEN];

    show_kv("id", cli_str(q, "id"));
    show_kv("status", cli_str(q, "status"));
    if (json_is_string(json_object_get(q, "status_reason")))
        show_kv("reason", cli_str(q, "status_reason"));
    show_tenant_kv(q);
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

static void show_request_list(json_t *l)
{
    /* the tenant last, after the columns that scripts and eyes already read in this order */
    static const char *const h[] = {"ID",    "STATUS",  "REQUESTER", "TYPE",
                                    "LEVEL", "CREATED", "TENANT"};
    static const char *const k[] = {
        "id",           "status",     "requester.username", "resource_type",
        "access_level", "created_at", "tenant_name"};
    json_t *q;
    size_t i;

    /* a tenant the caller cannot name shows by its id */
    json_array_foreach(json_object_get(l, "items"), i, q)
    {
        if (!json_object_get(q, "tenant_name"))
            json_object_set(q, "tenant_name", json_object_get(q, "tenant_id"));
    }
    show_items(l, h, k, 7);
}

static void show_notifications(json_t *l)
{
    static const char *const h[] = {"EVENT", "CHANNEL", "TO", "STATUS", "ATTEMPTS", "DELIVERED"};
    static const char *const k[] = {"event", "channel", "to", "status", "attempts", "delivered_at"};
    show_items(l, h, k, 6);
}

static int fetch_requests(struct cli *cli, void *filter, const char *page_token,
                          struct lockbox_reply *r)
{
    struct lockbox_request_filter *f = filter;

    f->page_token = page_token;
    return lockbox_request_list(cli->lb, f, r);
}

int cmd_request_create(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_request_spec s = {0};
    struct lockbox_reply r = {0};
    const char *ids[MAX_LIST], *dur = cli_opt(a, "duration");
    char tid[CLI_ID_LEN];
    int rc;

    s.ticket_id = cli_opt(a, "ticket");
    s.resource_type = cli_opt(a, "type");
    s.access_level = cli_opt(a, "level");
    s.justification = cli_opt(a, "justification");
    s.resource_count = cli_opt_all(a, "resource", ids, MAX_LIST);
    if (dur && parse_duration(dur, &s.duration_seconds) != 0)
        return cli_usage_error(cmd_find("request", "create"),
                               "bad duration '%s' (want e.g. 90s, 15m, 4h, 2d)", dur);
    if ((rc = cmd_prepare(cli, a, tid)))
        return rc;
    s.tenant_id = tid;
    s.resource_ids = ids;
    return cmd_finish_named(cli, lockbox_request_create(cli->lb, &s, &r), &r, "request create",
                            show_request);
}

int cmd_request_list(struct cli *cli, const struct cli_args *a)
{
    const struct cli_command *cmd = cmd_find("request", "list");
    struct lockbox_request_filter f = {.status = cli_opt(a, "status"),
                                       .text = cli_opt(a, "search")};
    struct lockbox_reply r = {0}, me = {0};
    const char *lim = cli_opt(a, "limit");
    json_t *mj = NULL;
    char tid[CLI_ID_LEN], mine[256] = "", from[TIME_RFC3339_LEN], to[TIME_RFC3339_LEN];
    int rc;

    long n = 0;

    if (lim && parse_count(lim, 1, 1000, &n) != 0)
        return cli_usage_error(cmd, "bad --limit '%s' (1 to 1000)", lim);
    if ((rc = cmd_time_opt(cmd, a, "from", from, &f.from)) ||
        (rc = cmd_time_opt(cmd, a, "to", to, &f.to)))
        return rc;
    f.limit = (int)n;
    if ((rc = cmd_prepare(cli, a, tid)))
        return rc;
    f.tenant_id = tid[0] ? tid : NULL;
    if (cli_flag(a, "mine")) {
        if ((rc = lockbox_me(cli->lb, &me)) != 0)
            return cmd_finish(cli, rc, &me, "whoami", NULL);
        mj = json_loads(me.body, 0, NULL);
        snprintf(mine, sizeof(mine), "%s", cli_str(mj, "username"));
        json_decref(mj);
        lockbox_reply_clear(&me);
        f.requester = mine;
    }
    if (!cli_flag(a, "all")) {
        rc = lockbox_request_list(cli->lb, &f, &r);
    } else {
        if (!f.limit)
            f.limit = 1000;
        rc = cmd_all_pages(cli, fetch_requests, &f, &r);
    }
    return cmd_finish_named(cli, rc, &r, "request list", show_request_list);
}

int cmd_request_show(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    int rc = cli_connect(cli);

    return rc ? rc
              : cmd_finish_named(cli, lockbox_request_get(cli->lb, a->pos[0], &r), &r,
                                 "request show", show_request);
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
    return cmd_finish_named(cli, rc, &r,
                            review    ? "request review"
                            : approve ? "approve"
                                      : "deny",
                            show_request);
}

int cmd_request_review(struct cli *cli, const struct cli_args *a)
{
    bool yes = cli_flag(a, "approve"), no = cli_flag(a, "deny");

    if (yes == no)
        return cli_usage_error(cmd_find("request", "review"), "give one of --approve or --deny");
    return decide(cli, a, true, yes);
}

int cmd_request_approve(struct cli *cli, const struct cli_args *a)
{
    return decide(cli, a, false, true);
}

int cmd_request_deny(struct cli *cli, const struct cli_args *a)
{
    return decide(cli, a, false, false);
}

int cmd_request_cancel(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    int rc = cli_connect(cli);

    return rc ? rc
              : cmd_finish_named(
                    cli, lockbox_request_cancel(cli->lb, a->pos[0], cli_opt(a, "reason"), &r), &r,
                    "request cancel", show_request);
}

int cmd_request_revoke(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    int rc = cli_connect(cli);

    return rc ? rc
              : cmd_finish_named(
                    cli, lockbox_request_revoke(cli->lb, a->pos[0], cli_opt(a, "reason"), &r), &r,
                    "request revoke", show_request);
}

int cmd_request_notifications(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    int rc = cli_connect(cli);

    return rc ? rc
              : cmd_finish(cli, lockbox_request_notifications(cli->lb, a->pos[0], &r), &r,
                           "request notifications", show_notifications);
}
