/* lockbox request report, lockbox activity record: what was done under a grant. */
#include "cli/cmd.h"
#include "cli/show.h"

#include <stdio.h>

#include "util/banned.h"

static void show_report(json_t *q)
{
    json_t *op = json_object_get(q, "operator"), *acts = json_object_get(q, "actions");
    json_t *doors = json_object_get(q, "doors"), *sent = json_object_get(q, "notifications");
    json_t *it;
    size_t i;
    char line[600];

    show_kv("request", cli_str(q, "request_id"));
    show_kv("status", cli_str(q, "status"));
    show_kv("tenant", cli_str(q, "tenant_id"));
    if (json_is_string(json_object_get(op, "display_name")))
        snprintf(line, sizeof(line), "%s (%s)", cli_str(op, "username"),
                 cli_str(op, "display_name"));
    else
        snprintf(line, sizeof(line), "%s", cli_str(op, "username"));
    show_kv("operator", line);
    show_time("grant started", json_object_get(q, "grant"), "starts_at");
    show_time("grant was to end", json_object_get(q, "grant"), "ends_at");
    show_time("grant ended", json_object_get(q, "grant"), "ended_at");
    show_time("report made", q, "made_at");
    snprintf(line, sizeof(line), "%lld",
             (long long)json_integer_value(json_object_get(acts, "count")));
    show_kv("actions", line);
    if (json_integer_value(json_object_get(acts, "count")) > 0) {
        static const char *const h[] = {"TIME", "ACTOR", "ACTIVITY", "TARGET"};
        static const char *const k[] = {"time", "actor", "activity", "target"};
        show_time("first action", acts, "first_at");
        show_time("last action", acts, "last_at");
        printf("\n");
        show_items(acts, h, k, 4);
        printf("\n");
    }
    snprintf(line, sizeof(line), "%lld allowed, %lld denied",
             (long long)json_integer_value(json_object_get(doors, "allowed")),
             (long long)json_integer_value(json_object_get(doors, "denied")));
    show_kv("doors", line);
    if (json_array_size(json_object_get(doors, "items"))) {
        static const char *const h[] = {"TIME", "DOOR", "RESOURCE", "LEVEL", "ANSWER", "COUNT"};
        static const char *const k[] = {"time",         "door",   "resource_id",
                                        "access_level", "answer", "count"};
        /* the table prints strings: the answer as a word */
        json_array_foreach(json_object_get(doors, "items"), i, it) json_object_set_new(
            it, "answer",
            json_string(json_is_true(json_object_get(it, "allowed")) ? "allowed" : "denied"));
        printf("\n");
        show_items(doors, h, k, 6);
        printf("\n");
    }
    snprintf(line, sizeof(line), "%lld",
             (long long)json_integer_value(json_object_get(sent, "count")));
    show_kv("notifications", line);
    if (json_array_size(json_object_get(sent, "items"))) {
        static const char *const h[] = {"EVENT", "CHANNEL", "STATUS", "DELIVERED"};
        static const char *const k[] = {"event", "channel", "status", "delivered_at"};
        printf("\n");
        show_items(sent, h, k, 4);
    }
}

int cmd_request_report(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    int rc = cli_connect(cli);

    return rc ? rc
              : cmd_finish(cli, lockbox_request_report(cli->lb, a->pos[0], &r), &r,
                           "request report", show_report);
}

/* The audit record of the action: its place in the log. */
static void show_recorded(json_t *rec)
{
    char line[64];

    snprintf(line, sizeof(line), "%lld",
             (long long)json_integer_value(json_object_get(rec, "seq")));
    show_kv("recorded as", cli_str(rec, "activity"));
    show_kv("audit seq", line);
    show_time("time", rec, "time");
}

int cmd_activity_record(struct cli *cli, const struct cli_args *a)
{
    const struct cli_command *cmd = cmd_find("activity", "record");
    const char *details = cli_opt(a, "details");
    struct lockbox_reply r = {0};
    json_error_t jerr;
    json_t *j;
    int rc;

    /* the server would refuse it too, but a script's author reads where it is wrong here */
    if (details) {
        if (!(j = json_loads(details, JSON_DECODE_ANY, &jerr)))
            return cli_usage_error(cmd, "--details: not JSON (%s at character %d)", jerr.text,
                                   jerr.position);
        json_decref(j);
    }
    if ((rc = cli_connect(cli)) != 0)
        return rc;
    return cmd_finish(cli,
                      lockbox_activity_record(cli->lb, a->pos[0], cli_opt(a, "action"),
                                              cli_opt(a, "target"), details, &r),
                      &r, "activity record", show_recorded);
}
