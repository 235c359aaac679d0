/* lockbox tenant ...: tenants, their resource scopes and settings. */
#include "cli/cmd.h"
#include "cli/parse.h"
#include "cli/show.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

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

/* One setting a line, the values in one column however long the longest key. */
static void show_settings(json_t *s)
{
    const char *key;
    json_t *v;
    int width = 0;

    json_object_foreach(s, key, v) if ((int)strlen(key) > width) width = (int)strlen(key);
    json_object_foreach(s, key, v)
    {
        char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        show_kv_width(key, text ? text : "?", width);
        free(text);
    }
}

int cmd_tenant_create(struct cli *cli, const struct cli_args *a)
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
    return cmd_finish(cli, rc, &r, "tenant create", show_tenant);
}

int cmd_tenant_list(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    int rc = cli_connect(cli);

    (void)a;
    return rc ? rc
              : cmd_finish(cli, lockbox_tenant_list(cli->lb, &r), &r, "tenant list",
                           show_tenant_list);
}

int cmd_tenant_scopes(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    const char *add[CLI_MAX_OPTS], *remove[CLI_MAX_OPTS];
    size_t n_add = cli_opt_all(a, "add", add, CLI_MAX_OPTS);
    size_t n_remove = cli_opt_all(a, "remove", remove, CLI_MAX_OPTS);
    char tid[CLI_ID_LEN];
    int rc;

    if ((rc = cli_connect(cli)) || (rc = cmd_tenant_id(cli, a->pos[0], tid)))
        return rc;
    if (n_add + n_remove == 0)
        return cmd_finish(cli, lockbox_tenant_get(cli->lb, tid, &r), &r, "tenant scopes",
                          show_tenant);
    return cmd_finish(cli,
                      lockbox_tenant_scopes_change(cli->lb, tid, add, n_add, remove, n_remove, &r),
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

int cmd_tenant_settings(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    const char *sets[CLI_MAX_OPTS];
    size_t n = cli_opt_all(a, "set", sets, CLI_MAX_OPTS);
    json_t *patch = json_object();
    char tid[CLI_ID_LEN], *text = NULL;
    int rc = CLI_EXIT_USAGE;

    for (size_t i = 0; patch && i < n; i++)
        if (settings_set(patch, sets[i]) != 0) {
            json_decref(patch);
            return cli_usage_error(cmd_find("tenant", "settings"),
                                   "bad --set '%s' (want KEY=VALUE)", sets[i]);
        }
    if (!patch || (rc = cli_connect(cli)) || (rc = cmd_tenant_id(cli, a->pos[0], tid)))
        goto out;
    if (!n) {
        rc = cmd_finish(cli, lockbox_settings_get(cli->lb, tid, &r), &r, "tenant settings",
                        show_settings);
        goto out;
    }
    text = json_dumps(patch, JSON_COMPACT);
    rc = cmd_finish(cli, text ? lockbox_settings_update(cli->lb, tid, text, &r) : LOCKBOX_ENOMEM,
                    &r, "tenant settings", show_settings);
out:
    free(text);
    json_decref(patch);
    return rc;
}
