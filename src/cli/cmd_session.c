/* lockbox login, whoami: the session commands. */
#include "cli/cmd.h"
#include "cli/show.h"

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

int cmd_whoami(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    int rc = cli_connect(cli);

    (void)a;
    return rc ? rc : cmd_finish(cli, lockbox_me(cli->lb, &r), &r, "whoami", show_me);
}
