/* lockbox webhook ...: webhook registrations. */
#include "cli/cmd.h"
#include "cli/show.h"

#include <stdio.h>

#include "util/banned.h"

static void show_webhook(json_t *w)
{
    json_t *e;
    size_t i;

    show_kv("id", cli_str(w, "id"));
    show_kv("url", cli_str(w, "url"));
    if (json_is_null(json_object_get(w, "tenant_id")))
        show_kv("tenant", "(every tenant)");
    else
        show_tenant_kv(w);
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

int cmd_webhook_add(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    const char *events[CLI_MAX_OPTS];
    size_t n = cli_opt_all(a, "event", events, CLI_MAX_OPTS);
    const char *url = a->pos[0];
    char tid[CLI_ID_LEN];
    int rc;

    if (!n)
        return cli_usage_error(cmd_find("webhook", "add"), "missing --event (give one or more)");
    if ((rc = cmd_prepare(cli, a, tid)))
        return rc;
    rc = lockbox_webhook_add(cli->lb, tid[0] ? tid : NULL, url, events, n, &r);
    return cmd_finish_named(cli, rc, &r, "webhook add", show_webhook);
}

int cmd_webhook_list(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    char tid[CLI_ID_LEN];
    int rc = cmd_prepare(cli, a, tid);

    return rc ? rc
              : cmd_finish(cli, lockbox_webhook_list(cli->lb, tid[0] ? tid : NULL, &r), &r,
                           "webhook list", show_webhook_list);
}

int cmd_webhook_remove(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    char tid[CLI_ID_LEN];
    int rc = cmd_prepare(cli, a, tid);

    return rc ? rc
              : cmd_finish(cli, lockbox_webhook_remove(cli->lb, tid[0] ? tid : NULL, a->pos[0], &r),
                           &r, "webhook remove", NULL);
}
