/* lockbox user ..., role ...: users and their role assignments. */
#include "cli/cmd.h"
#include "cli/show.h"

#include <stdio.h>
#include <string.h>

#include "util/banned.h"

static void show_role_list(json_t *l)
{
    static const char *const h[] = {"ID", "USER", "ROLE", "SCOPE"};
    static const char *const k[] = {"id", "username", "role", "scope"};
    show_items(l, h, k, 4);
}

/* Users with their roles folded into one column ("owner at /subscriptions/s1, member at /"). */
static void show_user_list(json_t *l)
{
    /* the name, which may hold spaces, last: the columns before it keep their order for
     * scripts that split a row on blanks */
    static const char *const h[] = {"USERNAME", "EMAIL", "ROLES", "ID", "NAME"};
    static const char *const k[] = {"username", "email", "roles_text", "id", "display_name"};
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
    show_items(l, h, k, 5);
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
            return cmd_finish(cli, rc, &r, "role assign", NULL);
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
    const struct cli_command *cmd = cmd_find("user", "create");
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

int cmd_user_create(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_user_spec s = {.totp = cli_flag(a, "totp"),
                                  .isolated_identity = cli_flag(a, "isolated"),
                                  .display_name = cli_opt(a, "display-name")};
    struct lockbox_reply r = {0};
    const char *roles[CLI_MAX_OPTS];
    size_t n = cli_opt_all(a, "role", roles, CLI_MAX_OPTS);
    char tid[CLI_ID_LEN], password[1024];
    json_t *u = NULL;
    int rc;

    s.username = cli_opt(a, "username");
    s.email = cli_opt(a, "email");
    if ((rc = user_create_misused(a)) || (rc = cmd_prepare(cli, a, tid)) ||
        (rc = cli_read_password(cli, "Password for the new user: ", password, sizeof(password))))
        return rc;
    s.password = password;
    s.tenant_id = tid[0] ? tid : NULL;
    s.roles = s.tenant_id ? NULL : roles;
    s.role_count = s.tenant_id ? 0 : n;
    rc = lockbox_user_create(cli->lb, &s, &r);
    memset(password, 0, sizeof(password));
    if (rc || !s.tenant_id || !n)
        return cmd_finish(cli, rc, &r, "user create", show_user);
    u = json_loads(r.body, 0, NULL);
    if ((rc = assign_roles(cli, tid, u, roles, n, cli_opt(a, "scope"))) == 0) {
        free(r.body);
        if (!(r.body = json_dumps(u, JSON_COMPACT)))
            rc = LOCKBOX_ENOMEM;
        rc = cmd_finish(cli, rc, &r, "user create", show_user);
    }
    json_decref(u);
    lockbox_reply_clear(&r);
    return rc;
}

int cmd_user_list(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    char tid[CLI_ID_LEN];
    int rc = cmd_prepare(cli, a, tid);

    return rc ? rc
              : cmd_finish(cli, lockbox_user_list(cli->lb, tid, &r), &r, "user list",
                           show_user_list);
}

int cmd_role_assign(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    const char *user = cli_opt(a, "user"), *role = cli_opt(a, "role");
    char tid[CLI_ID_LEN], uid[CLI_ID_LEN];
    int rc;

    if ((rc = cmd_prepare(cli, a, tid)) || (rc = cmd_user_id(cli, tid, user, uid)))
        return rc;
    rc = lockbox_role_assign(cli->lb, tid, uid, role, cli_opt(a, "scope"), &r);
    return cmd_finish(cli, rc, &r, "role assign", show_id);
}

int cmd_role_list(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    char tid[CLI_ID_LEN];
    int rc = cmd_prepare(cli, a, tid);

    return rc ? rc
              : cmd_finish(cli, lockbox_role_list(cli->lb, tid, &r), &r, "role list",
                           show_role_list);
}

int cmd_role_remove(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    char tid[CLI_ID_LEN];
    int rc = cmd_prepare(cli, a, tid);

    return rc ? rc
              : cmd_finish(cli, lockbox_role_remove(cli->lb, tid, a->pos[0], &r), &r, "role remove",
                           NULL);
}
