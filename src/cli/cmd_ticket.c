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

int cmd_ticket_show(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    char tid[CLI_ID_LEN];
    int rc = cmd_prepare(cli, a, tid);

    return rc ? rc
              : cmd_finish(cli, lockbox_ticket_get(cli->lb, tid, a->pos[0], &r), &r, "ticket show",
                           show_ticket);
}

int cmd_ticket_comment(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    char tid[CLI_ID_LEN];
    int rc = cmd_prepare(cli, a, tid);

    return rc ? rc
              : cmd_finish(cli, lockbox_ticket_comment(cli->lb, tid, a->pos[0], a->pos[1], &r), &r,
                           "ticket comment", NULL);
}
