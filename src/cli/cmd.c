/* What the commands share: the end of a call, tenants and users by name, times, paging. */
#include "cli/cmd.h"

#include "cli/parse.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

/* Runs the end of every command: report a failure, or print the reply. */
int cmd_finish(struct cli *cli, int rc, struct lockbox_reply *r, const char *what,
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

int cmd_tenant_id(struct cli *cli, const char *name_or_id, char out[CLI_ID_LEN])
{
    struct lockbox_reply r = {0};
    json_t *j = NULL, *t;
    size_t i;
    int rc;

    if (is_uuid(name_or_id)) {
        snprintf(out, CLI_ID_LEN, "%s", name_or_id);
        return CLI_EXIT_OK;
    }
    if ((rc = lockbox_tenant_list(cli->lb, &r)) != 0)
        return cmd_finish(cli, rc, &r, "tenant list", NULL);
    j = json_loads(r.body ? r.body : "", 0, NULL);
    rc = CLI_EXIT_REFUSED;
    json_array_foreach(json_object_get(j, "items"), i, t)
    {
        if (strcmp(cli_str(t, "name"), name_or_id) == 0) {
            snprintf(out, CLI_ID_LEN, "%s", cli_str(t, "id"));
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
int cmd_prepare(struct cli *cli, const struct cli_args *a, char tid[CLI_ID_LEN])
{
    const char *t = cli_opt(a, "tenant");
    int rc;

    tid[0] = '\0';
    if ((rc = cli_connect(cli)))
        return rc;
    return t && *t ? cmd_tenant_id(cli, t, tid) : CLI_EXIT_OK;
}

/* --name TIME as RFC 3339 into out, *dst pointing at it (NULL when not given). */
int cmd_time_opt(const struct cli_command *cmd, const struct cli_args *a, const char *name,
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

/* A username or an id to the user's id, through the tenant's user list (the provider's for
 * tid ""). */
int cmd_user_id(struct cli *cli, const char *tid, const char *user, char out[CLI_ID_LEN])
{
    struct lockbox_reply r = {0};
    json_t *j, *it;
    size_t i;
    int rc;

    if (is_uuid(user)) {
        snprintf(out, CLI_ID_LEN, "%s", user);
        return CLI_EXIT_OK;
    }
    if ((rc = lockbox_user_list(cli->lb, tid[0] ? tid : NULL, &r)) != 0)
        return cmd_finish(cli, rc, &r, "user list", NULL);
    j = json_loads(r.body, 0, NULL);
    rc = CLI_EXIT_REFUSED;
    json_array_foreach(json_object_get(j, "items"), i, it)
    {
        if (strcmp(cli_str(it, "username"), user) == 0) {
            snprintf(out, CLI_ID_LEN, "%s", cli_str(it, "id"));
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

/* Follows page tokens; on success r->body is one list of every page's items, as the API's
 * shape with next_page_token null. */
int cmd_all_pages(struct cli *cli, cmd_page_fetch_fn *fetch, void *filter, struct lockbox_reply *r)
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

/* "tenant_name" next to o's "tenant_id" when names knows it. */
static void name_tenant(json_t *o, json_t *names)
{
    json_t *name = json_object_get(names, json_string_value(json_object_get(o, "tenant_id")));

    if (json_is_string(name))
        json_object_set(o, "tenant_name", name);
}

void cmd_name_tenants(struct cli *cli, struct lockbox_reply *r)
{
    struct lockbox_reply tl = {0};
    json_t *body = NULL, *list = NULL, *names = NULL, *t, *items;
    char *text = NULL;
    size_t i;

    if (cli->json || cli->field || cli->quiet || !r->body)
        return;
    /* one call names every tenant of the answer: the caller's own, or all for provider staff;
     * without it the ids stay, and a command that was done is not reported as failed */
    if (lockbox_tenant_list(cli->lb, &tl) != 0)
        goto out;
    names = json_object();
    list = json_loads(tl.body ? tl.body : "", 0, NULL);
    json_array_foreach(json_object_get(list, "items"), i, t)
        json_object_set(names, cli_str(t, "id"), json_object_get(t, "name"));
    if ((body = json_loads(r->body, 0, NULL)) != NULL) {
        items = json_object_get(body, "items");
        name_tenant(body, names);
        json_array_foreach(items, i, t) name_tenant(t, names);
        if ((text = json_dumps(body, JSON_COMPACT)) != NULL) {
            free(r->body);
            r->body = text;
        }
    }
out:
    json_decref(body);
    json_decref(list);
    json_decref(names);
    lockbox_reply_clear(&tl);
}

int cmd_finish_named(struct cli *cli, int rc, struct lockbox_reply *r, const char *what,
                     void (*show)(json_t *))
{
    if (rc == 0)
        cmd_name_tenants(cli, r);
    return cmd_finish(cli, rc, r, what, show);
}
