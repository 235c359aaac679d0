/*
 * cmd.h - the lockbox commands: one run function per command, and what they share.
 *
 * Each command group has its file (cmd_session.c, cmd_request.c, cmd_ticket.c, cmd_tenant.c,
 * cmd_user.c for users and roles, cmd_token.c, cmd_webhook.c, cmd_audit.c for check and
 * audit); commands.c holds the one table naming them, which main.c dispatches on. A run
 * function takes the parsed arguments and answers the process's exit code (CLI_EXIT_*),
 * having printed the result on stdout or one line per error on stderr. The helpers below
 * follow the same convention: an int they answer is an exit code unless said otherwise.
 * Single-threaded, as the CLI is.
 */
#ifndef LB_CLI_CMD_H
#define LB_CLI_CMD_H

#include "cli/cli.h"
#include "lockbox/lockbox.h"
#include "util/timeutil.h"

#include <jansson.h>

/* The table's entry for "lockbox GROUP NAME" (name NULL: a command of one word), or NULL. */
const struct cli_command *cmd_find(const char *group, const char *name);

/* Runs the end of every command: reports a failure (rc != 0) or prints the reply through
 * show, then clears r; answers the exit code. */
int cmd_finish(struct cli *cli, int rc, struct lockbox_reply *r, const char *what,
               void (*show)(json_t *));
/* Connects and resolves --tenant when given into tid (empty when not given). */
int cmd_prepare(struct cli *cli, const struct cli_args *a, char tid[CLI_ID_LEN]);
/* Resolves a tenant name or id to its id (out holds CLI_ID_LEN bytes). */
int cmd_tenant_id(struct cli *cli, const char *name_or_id, char out[CLI_ID_LEN]);
/* Adds "tenant_name" next to every "tenant_id" of r's answer (the object, or each of its
 * "items") for the human forms, from the tenants the caller can see; an id it cannot name, or
 * every id when the tenant list cannot be read, stays as it is. Leaves the API's JSON alone
 * with --json, --field or --quiet. Never fails: the command it names for was done. */
void cmd_name_tenants(struct cli *cli, struct lockbox_reply *r);
/* cmd_finish, the tenants of a successful answer named first (cmd_name_tenants). */
int cmd_finish_named(struct cli *cli, int rc, struct lockbox_reply *r, const char *what,
                     void (*show)(json_t *));
/* Resolves a username or an id to the user's id, through the tenant's user list (the
 * provider's for tid ""). */
int cmd_user_id(struct cli *cli, const char *tid, const char *user, char out[CLI_ID_LEN]);
/* Reads --name TIME (RFC 3339, now, or relative) as RFC 3339 into out, *dst pointing at it
 * (NULL when not given); a usage error of cmd when malformed. */
int cmd_time_opt(const struct cli_command *cmd, const struct cli_args *a, const char *name,
                 char out[TIME_RFC3339_LEN], const char **dst);

/* Fetches one page of a list for the filter, from page_token (NULL: the first page); answers
 * 0 or a LOCKBOX_E* code. */
typedef int cmd_page_fetch_fn(struct cli *cli, void *filter, const char *page_token,
                              struct lockbox_reply *r);
/* Follows page tokens; on success (0) r->body is one list of every page's items, as the API's
 * shape with next_page_token null; else a LOCKBOX_E* code. */
int cmd_all_pages(struct cli *cli, cmd_page_fetch_fn *fetch, void *filter, struct lockbox_reply *r);

/* The commands, as the table names them. */
int cmd_login(struct cli *cli, const struct cli_args *a);
int cmd_logout(struct cli *cli, const struct cli_args *a);
int cmd_catalog(struct cli *cli, const struct cli_args *a);
int cmd_whoami(struct cli *cli, const struct cli_args *a);
int cmd_request_create(struct cli *cli, const struct cli_args *a);
int cmd_request_list(struct cli *cli, const struct cli_args *a);
int cmd_request_show(struct cli *cli, const struct cli_args *a);
int cmd_request_review(struct cli *cli, const struct cli_args *a);
int cmd_request_approve(struct cli *cli, const struct cli_args *a);
int cmd_request_deny(struct cli *cli, const struct cli_args *a);
int cmd_request_notifications(struct cli *cli, const struct cli_args *a);
int cmd_request_cancel(struct cli *cli, const struct cli_args *a);
int cmd_request_revoke(struct cli *cli, const struct cli_args *a);
int cmd_ticket_create(struct cli *cli, const struct cli_args *a);
int cmd_ticket_show(struct cli *cli, const struct cli_args *a);
int cmd_ticket_comment(struct cli *cli, const struct cli_args *a);
int cmd_tenant_create(struct cli *cli, const struct cli_args *a);
int cmd_tenant_list(struct cli *cli, const struct cli_args *a);
int cmd_tenant_scopes(struct cli *cli, const struct cli_args *a);
int cmd_tenant_settings(struct cli *cli, const struct cli_args *a);
int cmd_user_create(struct cli *cli, const struct cli_args *a);
int cmd_user_list(struct cli *cli, const struct cli_args *a);
int cmd_role_assign(struct cli *cli, const struct cli_args *a);
int cmd_role_list(struct cli *cli, const struct cli_args *a);
int cmd_role_remove(struct cli *cli, const struct cli_args *a);
int cmd_token_create(struct cli *cli, const struct cli_args *a);
int cmd_token_list(struct cli *cli, const struct cli_args *a);
int cmd_token_revoke(struct cli *cli, const struct cli_args *a);
int cmd_webhook_add(struct cli *cli, const struct cli_args *a);
int cmd_webhook_list(struct cli *cli, const struct cli_args *a);
int cmd_webhook_remove(struct cli *cli, const struct cli_args *a);
int cmd_check(struct cli *cli, const struct cli_args *a);
int cmd_audit_search(struct cli *cli, const struct cli_args *a);
int cmd_audit_keys(struct cli *cli, const struct cli_args *a);
int cmd_audit_status(struct cli *cli, const struct cli_args *a);
int cmd_audit_export(struct cli *cli, const struct cli_args *a);
int cmd_audit_verify(struct cli *cli, const struct cli_args *a);
/* cmd_report.c */
int cmd_request_report(struct cli *cli, const struct cli_args *a);
int cmd_activity_record(struct cli *cli, const struct cli_args *a);

#endif
