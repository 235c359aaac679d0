/* lockbox ticket ...: a tenant's support tickets. */
#include "cli/cmd.h"
#include "cli/format.h"
#include "cli/show.h"

#include <stdio.h>

#include "util/banned.h"

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

int cmd_ticket_create(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    const char *title = cli_opt(a, "title"), *desc = cli_opt(a, "description");
    char tid[CLI_ID_LEN];
    int rc;

    if ((rc = cmd_prepare(cli, a, tid)))
        return rc;
    rc = lockbox_ticket_create(cli->lb, tid, title, desc, cli_opt(a, "severity"), &r);
    return cmd_finish(cli, rc, &r, "ticket create", show_ticket);
}

/* The tenant of ticket id into tid: --tenant when given, else the first tenant the caller
 * can see that holds it (a tenant user sees one; provider staff look in each). */
static int ticket_tenant(struct cli *cli, const struct cli_args *a, const char *id,
                         char tid[CLI_ID_LEN])
{
    struct lockbox_reply tl = {0}, r = {0};
    json_t *list = NULL, *t;
    size_t i;
    int rc = cmd_prepare(cli, a, tid);

    if (rc || tid[0])
        return rc;
    if ((rc = lockbox_tenant_list(cli->lb, &tl)) != 0)
        return cmd_finish(cli, rc, &tl, "tenant list", NULL);
    list = json_loads(tl.body ? tl.body : "", 0, NULL);
    rc = CLI_EXIT_REFUSED;
    json_array_foreach(json_object_get(list, "items"), i, t)
    {
        int got = lockbox_ticket_get(cli->lb, cli_str(t, "id"), id, &r);
        bool absent = got == LOCKBOX_EREFUSED && r.status == 404;
        if (!got)
            snprintf(tid, CLI_ID_LEN, "%s", cli_str(t, "id"));
        else if (!absent)
            rc = cmd_finish(cli, got, &r, "ticket show", NULL);
        lockbox_reply_clear(&r);
        if (!got) {
            rc = CLI_EXIT_OK;
            break;
        }
        if (!absent)
            break;
    }
    if (i == json_array_size(json_object_get(list, "items")))
        fprintf(stderr, "lockbox: no ticket %s in the tenants you can see\n", id);
    json_decref(list);
    lockbox_reply_clear(&tl);
    return rc;
}

int cmd_ticket_show(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    char tid[CLI_ID_LEN];
    int rc = ticket_tenant(cli, a, a->pos[0], tid);

    return rc ? rc
              : cmd_finish(cli, lockbox_ticket_get(cli->lb, tid, a->pos[0], &r), &r, "ticket show",
                           show_ticket);
}

int cmd_ticket_comment(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    char tid[CLI_ID_LEN];
    int rc = ticket_tenant(cli, a, a->pos[0], tid);

    return rc ? rc
              : cmd_finish(cli, lockbox_ticket_comment(cli->lb, tid, a->pos[0], a->pos[1], &r), &r,
                           "ticket comment", NULL);
}
