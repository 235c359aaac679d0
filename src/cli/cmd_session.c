/* lockbox login, logout, whoami: the session commands; lockbox catalog. */
#include "cli/cmd.h"
#include "cli/show.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

int cmd_login(struct cli *cli, const struct cli_args *a)
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
        return cmd_finish(cli, rc, &r, "login", NULL);
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

int cmd_logout(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    enum cli_forget what;
    const char *path = cli->config_path ? cli->config_path : "the config file";
    bool ended = false;
    int rc;

    (void)a;
    if (!cli->token || !*cli->token) {
        fprintf(stderr, "lockbox: not logged in: no token to end\n");
        return CLI_EXIT_USAGE;
    }
    if ((rc = cli_connect(cli)))
        return rc;
    rc = lockbox_logout(cli->lb, &r);
    /* 401: the token had ended already (expired, revoked, logged out elsewhere); what is
     * left to do is to forget it here. Without an answer the session may live on: the token
     * is kept, to try again. */
    ended = rc == LOCKBOX_EREFUSED && r.status == 401;
    if (rc && !ended)
        return cmd_finish(cli, rc, &r, "logout", NULL);
    lockbox_reply_clear(&r);
    /* only the token just ended leaves the file; a different one there (the ended one came
     * from --token or LOCKBOX_TOKEN) is another session, still valid */
    if ((rc = cli_config_forget_token(cli, cli->token, &what))) {
        fprintf(stderr, "lockbox: the session %s on the server, but its token is still in %s\n",
                ended ? "had already ended" : "is ended", path);
        return rc; /* a local failure: CLI_EXIT_USAGE, as for every file the CLI cannot write */
    }
    if (cli->quiet)
        return CLI_EXIT_OK;
    printf("%s", ended ? "the session had already ended on the server" : "logged out");
    if (what == CLI_FORGET_REMOVED)
        printf("; the token is removed from %s\n", path);
    else if (what == CLI_FORGET_OTHER)
        printf(" (the token from --token or LOCKBOX_TOKEN); the token saved in %s is a different "
               "one: it was left as it is, and its session was not ended\n",
               path);
    else
        printf("; no token is saved in %s\n", path);
    return CLI_EXIT_OK;
}

int cmd_whoami(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    int rc = cli_connect(cli);

    (void)a;
    if (rc)
        return rc;
    if ((rc = lockbox_me(cli->lb, &r)) == 0)
        cmd_name_tenants(cli, &r);
    return cmd_finish(cli, rc, &r, "whoami", show_me);
}

/* The catalog as two lists: one resource type a line, the levels lowest first. */
static void show_catalog(json_t *c)
{
    struct buf levels = BUF_INIT;
    json_t *v;
    size_t i;

    json_array_foreach(json_object_get(c, "resource_types"), i, v)
        show_kv(i ? "" : "resource types", json_string_value(v));
    json_array_foreach(json_object_get(c, "access_levels"), i, v)
        buf_appendf(&levels, "%s%s", i ? ", " : "", json_string_value(v));
    show_kv("access levels", levels.failed ? "?" : buf_cstr(&levels));
    buf_release(&levels);
}

int cmd_catalog(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    int rc = cli_connect(cli);

    (void)a;
    return rc ? rc : cmd_finish(cli, lockbox_catalog(cli->lb, &r), &r, "catalog", show_catalog);
}
