/* lockbox check, audit search: enforcement and the audit log. */
#include "cli/cmd.h"
#include "cli/format.h"
#include "cli/parse.h"
#include "cli/show.h"

#include <stdio.h>

#include "util/banned.h"

static void show_audit(json_t *l)
{
    static const char *const h[] = {"SEQ", "TIME", "ACTIVITY", "ACTOR", "ITEM", "DECISION"};
    static const char *const k[] = {"seq", "time", "activity", "actor", "item", "decision"};
    show_items(l, h, k, 6);
}

static int fetch_audit(struct cli *cli, void *filter, const char *page_token,
                       struct lockbox_reply *r)
{
    struct lockbox_audit_filter *f = filter;

    f->page_token = page_token;
    return lockbox_audit_search(cli->lb, f, r);
}

int cmd_check(struct cli *cli, const struct cli_args *a)
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
        return cmd_finish(cli, rc, &r, "check", NULL);
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

int cmd_audit_search(struct cli *cli, const struct cli_args *a)
{
    const struct cli_command *cmd = cmd_find("audit", "search");
    struct lockbox_audit_filter f = {.activity = cli_opt(a, "activity"),
                                     .actor = cli_opt(a, "actor"),
                                     .item = cli_opt(a, "item")};
    struct lockbox_reply r = {0};
    const char *lim = cli_opt(a, "limit");
    char from[TIME_RFC3339_LEN], to[TIME_RFC3339_LEN], tid[CLI_ID_LEN];
    int rc;

    long n = 0;

    if (lim && parse_count(lim, 1, 1000, &n) != 0)
        return cli_usage_error(cmd, "bad --limit '%s' (1 to 1000)", lim);
    f.limit = (int)n;
    if ((rc = cmd_time_opt(cmd, a, "from", from, &f.from)) ||
        (rc = cmd_time_opt(cmd, a, "to", to, &f.to)) || (rc = cmd_prepare(cli, a, tid)))
        return rc;
    f.tenant_id = tid[0] ? tid : NULL;
    if (!cli_flag(a, "all"))
        return cmd_finish(cli, lockbox_audit_search(cli->lb, &f, &r), &r, "audit search",
                          show_audit);
    if (!f.limit)
        f.limit = 1000;
    return cmd_finish(cli, cmd_all_pages(cli, fetch_audit, &f, &r), &r, "audit search", show_audit);
}
