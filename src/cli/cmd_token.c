/* lockbox token ...: the API tokens of service accounts. */
#include "cli/cmd.h"
#include "cli/parse.h"
#include "cli/show.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/banned.h"

static void show_token(json_t *t)
{
    show_kv("id", cli_str(t, "id"));
    show_kv("name", cli_str(t, "name"));
    show_kv("user", cli_str(t, "user_id"));
    show_time("created", t, "created_at");
    show_time("expires", t, "expires_at");
    if (json_is_string(json_object_get(t, "token_file")))
        show_kv("token file", cli_str(t, "token_file"));
    if (json_is_string(json_object_get(t, "token"))) {
        show_kv("token", cli_str(t, "token"));
        printf("(the token is shown once: keep it in a file only root may read)\n");
    }
}

static void show_token_list(json_t *l)
{
    static const char *const h[] = {"NAME", "CREATED", "EXPIRES", "ID"};
    static const char *const k[] = {"name", "created_at", "expires_at", "id"};

    show_items(l, h, k, 4);
}

/* Writes token and a newline to path, mode 0600, replacing it at once (a door reading the file
 * sees the old token or the new one, never a part). */
static int write_token_file(const char *path, const char *token)
{
    char tmp[4096];
    int fd, rc = CLI_EXIT_OK;
    FILE *f;

    if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
        return cli_usage_error(cmd_find("token", "create"), "--out: the path is too long");
    if ((fd = mkstemp(tmp)) < 0 || !(f = fdopen(fd, "w"))) {
        fprintf(stderr, "lockbox: cannot write %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd), unlink(tmp);
        return CLI_EXIT_USAGE;
    }
    if (fprintf(f, "%s\n", token) < 0 || fflush(f) != 0 || fsync(fd) != 0)
        rc = CLI_EXIT_USAGE;
    if (fclose(f) != 0 || rc || rename(tmp, path) != 0) {
        fprintf(stderr, "lockbox: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cmd_token_create(struct cli *cli, const struct cli_args *a)
{
    const char *expires = cli_opt(a, "expires"), *out = cli_opt(a, "out");
    struct lockbox_reply r = {0};
    int64_t seconds = 0;
    char uid[CLI_ID_LEN];
    json_t *j;
    int rc;

    if (expires && parse_duration(expires, &seconds) != 0)
        return cli_usage_error(cmd_find("token", "create"),
                               "bad --expires '%s' (want a duration: 90d, 12h, 30m)", expires);
    if ((rc = cli_connect(cli)) || (rc = cmd_user_id(cli, "", a->pos[0], uid)))
        return rc;
    rc = lockbox_token_create(cli->lb, uid, cli_opt(a, "name"), seconds, &r);
    if (rc || !out)
        return cmd_finish(cli, rc, &r, "token create", show_token);
    /* the token goes to the file alone; what is printed names it */
    j = json_loads(r.body ? r.body : "", 0, NULL);
    rc = json_is_string(json_object_get(j, "token"))
             ? write_token_file(out, cli_str(j, "token"))
             : cli_usage_error(NULL, "the answer has no token");
    if (rc == CLI_EXIT_OK) {
        json_object_del(j, "token");
        json_object_set_new(j, "token_file", json_string(out));
        free(r.body);
        if (!(r.body = json_dumps(j, JSON_COMPACT)))
            rc = CLI_EXIT_USAGE;
    }
    json_decref(j);
    return rc ? (lockbox_reply_clear(&r), rc) : cmd_finish(cli, 0, &r, "token create", show_token);
}

int cmd_token_list(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    char uid[CLI_ID_LEN];
    int rc;

    if ((rc = cli_connect(cli)) || (rc = cmd_user_id(cli, "", a->pos[0], uid)))
        return rc;
    return cmd_finish(cli, lockbox_token_list(cli->lb, uid, &r), &r, "token list", show_token_list);
}

int cmd_token_revoke(struct cli *cli, const struct cli_args *a)
{
    struct lockbox_reply r = {0};
    char uid[CLI_ID_LEN];
    int rc;

    if ((rc = cli_connect(cli)) || (rc = cmd_user_id(cli, "", a->pos[0], uid)))
        return rc;
    return cmd_finish(cli, lockbox_token_revoke(cli->lb, uid, a->pos[1], &r), &r, "token revoke",
                      NULL);
}
