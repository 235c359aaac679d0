/* The one table of the lockbox commands, and its lookup by name. */
#include "cli/cmd.h"

#include <string.h>

#include "util/banned.h"

const struct cli_command *cmd_find(const char *group, const char *name)
{
    for (size_t i = 0; i < cli_command_count; i++)
        if (strcmp(cli_commands[i].group, group) == 0 &&
            (!name ? !cli_commands[i].name
                   : cli_commands[i].name && strcmp(cli_commands[i].name, name) == 0))
            return &cli_commands[i];
    return NULL;
}

/* ---- the table ---- */

static const struct cli_optspec no_opts[] = {{0}};
static const struct cli_optspec login_opts[] = {
    {"username", true, false, true}, {"totp", true, false, false}, {0}};
static const struct cli_optspec create_opts[] = {
    {"tenant", true, false, true},    {"ticket", true, false, true},
    {"type", true, false, true},      {"resource", true, true, true},
    {"level", true, false, true},     {"justification", true, false, true},
    {"duration", true, false, false}, {0}};
static const struct cli_optspec list_opts[] = {
    {"tenant", true, false, false}, {"status", true, false, false}, {"mine", false, false, false},
    {"from", true, false, false},   {"to", true, false, false},     {"search", true, false, false},
    {"limit", true, false, false},  {"all", false, false, false},   {0}};
static const struct cli_optspec review_opts[] = {{"approve", false, false, false},
                                                 {"deny", false, false, false},
                                                 {"reason", true, false, false},
                                                 {0}};
static const struct cli_optspec reason_opts[] = {{"reason", true, false, false}, {0}};
static const struct cli_optspec ticket_opts[] = {{"tenant", true, false, true},
                                                 {"title", true, false, true},
                                                 {"description", true, false, true},
                                                 {"severity", true, false, false},
                                                 {0}};
static const struct cli_optspec tenant_only[] = {{"tenant", true, false, false}, {0}};
static const struct cli_optspec tenant_needed[] = {{"tenant", true, false, true}, {0}};
static const struct cli_optspec tenant_create_opts[] = {{"plan", true, false, true},
                                                        {"admin-username", true, false, true},
                                                        {"admin-email", true, false, true},
                                                        {"resource-scope", true, true, false},
                                                        {0}};
static const struct cli_optspec tenant_scopes_opts[] = {
    {"add", true, true, false}, {"remove", true, true, false}, {0}};
static const struct cli_optspec settings_opts[] = {{"set", true, true, false}, {0}};
static const struct cli_optspec user_opts[] = {{"tenant", true, false, false},
                                               {"username", true, false, true},
                                               {"email", true, false, true},
                                               {"role", true, true, false},
                                               {"scope", true, false, false},
                                               {"totp", false, false, false},
                                               {"isolated", false, false, false},
                                               {"display-name", true, false, false},
                                               {0}};
static const struct cli_optspec role_opts[] = {{"tenant", true, false, true},
                                               {"user", true, false, true},
                                               {"role", true, false, true},
                                               {"scope", true, false, false},
                                               {0}};
static const struct cli_optspec token_opts[] = {
    {"name", true, false, true}, {"expires", true, false, false}, {"out", true, false, false}, {0}};
static const struct cli_optspec webhook_opts[] = {
    {"tenant", true, false, false}, {"event", true, true, false}, {0}};
static const struct cli_optspec check_opts[] = {{"operator", true, false, true},
                                                {"resource", true, false, true},
                                                {"level", true, false, true},
                                                {0}};
static const struct cli_optspec audit_export_opts[] = {
    {"out", true, false, true},     {"activity", true, false, false}, {"actor", true, false, false},
    {"item", true, false, false},   {"from", true, false, false},     {"to", true, false, false},
    {"tenant", true, false, false}, {"profile", true, false, false},  {0}};
static const struct cli_optspec audit_keys_opts[] = {{"out", true, false, false}, {0}};
static const struct cli_optspec audit_verify_opts[] = {
    {"key", true, false, false}, {"server", false, false, false}, {0}};
static const struct cli_optspec activity_opts[] = {{"action", true, false, true},
                                                   {"target", true, false, false},
                                                   {"details", true, false, false},
                                                   {0}};
static const struct cli_optspec audit_opts[] = {
    {"activity", true, false, false}, {"actor", true, false, false}, {"item", true, false, false},
    {"from", true, false, false},     {"to", true, false, false},    {"tenant", true, false, false},
    {"limit", true, false, false},    {"all", false, false, false},  {0}};

const struct cli_command cli_commands[] = {
    {"login", NULL, cmd_login, login_opts, 0, 0,
     "login --username U [--totp CODE] [--password-stdin]",
     "Opens a session and saves the server's URL and the token to ~/.config/lockbox/config\n"
     "(mode 0600). The password is asked for without echo, or read from standard input.",
     "open a session and save its token"},
    {"logout", NULL, cmd_logout, no_opts, 0, 0, "logout",
     "Ends the session of the token in use on the server (it answers 401 from then on) and\n"
     "removes that token from ~/.config/lockbox/config (the URL stays). With --token or\n"
     "LOCKBOX_TOKEN, that token's session is ended; a different token saved in the config\n"
     "file is left there and its session goes on (unset the variable yourself).",
     "end the session on the server and forget its saved token"},
    {"whoami", NULL, cmd_whoami, no_opts, 0, 0, "whoami", "Shows who the token belongs to.",
     "show who the token belongs to"},
    {"catalog", NULL, cmd_catalog, no_opts, 0, 0, "catalog",
     "Lists the resource types (the server's catalog, a policy file's types included) and the\n"
     "access levels a request may name.",
     "list the resource types and access levels a request may name"},
    {"request", "create", cmd_request_create, create_opts, 0, 0,
     "request create --tenant T --ticket K --type TYPE --resource ID [--resource ID ...] "
     "--level read|write|admin --justification TEXT [--duration 4h]",
     "Asks for time-bound access to a customer's resources (support engineers).\n"
     "Durations: 90s, 15m, 4h, 2d. The tenant is a name or an id.",
     "ask for time-bound access to a customer's resources"},
    {"request", "list", cmd_request_list, list_opts, 0, 0,
     "request list [--tenant T] [--status S] [--mine] [--from TIME] [--to TIME] [--search TEXT]\n"
     "             [--limit N] [--all]",
     "Lists access requests, newest first; --mine: the ones you made; --from/--to: created in\n"
     "that range (RFC 3339, now, or -24h / +15m); --search: text in the id, requester, resource\n"
     "ids or justification. --all follows every page (--limit is then the page size).",
     "list access requests, newest first"},
    {"request", "show", cmd_request_show, no_opts, 1, 1, "request show ID",
     "Shows a request with its review, decisions and grant.",
     "show a request with its review, decisions and grant"},
    {"request", "review", cmd_request_review, review_opts, 1, 1,
     "request review ID --approve|--deny [--reason TEXT]",
     "The provider's internal review of a request (internal approvers).",
     "approve or deny a request as the provider's internal approver"},
    {"request", "approve", cmd_request_approve, reason_opts, 1, 1,
     "request approve ID [--reason TEXT]", "Approves a request as the customer's approver.",
     "approve a request as the customer's approver"},
    {"request", "deny", cmd_request_deny, reason_opts, 1, 1, "request deny ID [--reason TEXT]",
     "Denies a request as the customer's approver.", "deny a request as the customer's approver"},
    {"request", "notifications", cmd_request_notifications, no_opts, 1, 1,
     "request notifications ID",
     "Shows who was told of a request, by which channel, and whether it was delivered.",
     "show who was told of a request and whether it was delivered"},
    {"request", "cancel", cmd_request_cancel, reason_opts, 1, 1,
     "request cancel ID [--reason TEXT]", "Withdraws your own pending request.",
     "withdraw your own pending request"},
    {"request", "revoke", cmd_request_revoke, reason_opts, 1, 1,
     "request revoke ID [--reason TEXT]", "Ends an approved grant early.",
     "end an approved grant early"},
    {"ticket", "create", cmd_ticket_create, ticket_opts, 0, 0,
     "ticket create --tenant T --title TEXT --description TEXT [--severity S]",
     "Opens a support ticket (tenant users). Severity: low, moderate, high, critical.",
     "open a support ticket"},
    {"ticket", "show", cmd_ticket_show, tenant_only, 1, 1, "ticket show [--tenant T] K",
     "Shows a ticket and its history. Without --tenant the ticket is looked for in every\n"
     "tenant you can see.",
     "show a ticket and its history"},
    {"ticket", "comment", cmd_ticket_comment, tenant_only, 2, 2,
     "ticket comment [--tenant T] K TEXT",
     "Adds a comment to a ticket. Without --tenant the ticket is looked for in every tenant\n"
     "you can see.",
     "add a comment to a ticket"},
    {"tenant", "create", cmd_tenant_create, tenant_create_opts, 1, 1,
     "tenant create NAME --plan P --admin-username U --admin-email E\n"
     "              [--resource-scope PREFIX ...] [--password-stdin]",
     "Creates a tenant and its first admin (platform admins). Plans: basic, developer,\n"
     "standard, professional, premier. Each --resource-scope is a resource-id prefix the\n"
     "tenant owns (/subscriptions/s1): only its requests may name resources there, and two\n"
     "tenants' scopes never overlap. The admin's password is asked for.",
     "create a tenant and its first admin"},
    {"tenant", "list", cmd_tenant_list, no_opts, 0, 0, "tenant list",
     "Lists the tenants you can see, with the resource scopes they own.",
     "list the tenants you can see"},
    {"tenant", "scopes", cmd_tenant_scopes, tenant_scopes_opts, 1, 1,
     "tenant scopes T [--add PREFIX ...] [--remove PREFIX ...]",
     "Shows the resource scopes a tenant owns or, with --add/--remove, changes them (platform\n"
     "admins). A removed scope ends the tenant's grants there at the next access check.",
     "show or change the resource scopes a tenant owns"},
    {"tenant", "settings", cmd_tenant_settings, settings_opts, 1, 1,
     "tenant settings T [--set KEY=VALUE ...]",
     "Shows a tenant's settings, or changes them (tenant admins). Keys: lockbox_enabled,\n"
     "pending_expiry_seconds, default_grant_seconds, max_grant_seconds, required_approvals,\n"
     "notification_emails (comma-separated), email_links (true/false),\n"
     "reminder_before_seconds, audit_syslog_url (tcp://HOST:PORT or tls://HOST:PORT; null:\n"
     "none), audit_syslog_profile (lockbox or m365), audit_retention_seconds (0: keep every\n"
     "audit record), grant_report_mail (true/false: the approvers get a grant's report).\n"
     "*_seconds also take durations (4h).",
     "show or change a tenant's settings"},
    {"user", "create", cmd_user_create, user_opts, 0, 0,
     "user create [--tenant T] --username U --email E [--display-name NAME] [--role R ...] "
     "[--scope S] [--totp] [--isolated] [--password-stdin]",
     "Creates a provider user (platform admins; --role takes provider roles; --isolated gives\n"
     "an isolated identity) or, with --tenant, a tenant user (tenant admins; each --role is\n"
     "assigned at --scope, default /). --totp enrols TOTP and prints the secret and an\n"
     "otpauth:// URI once.",
     "create a provider user or a tenant user"},
    {"user", "list", cmd_user_list, tenant_needed, 0, 0, "user list --tenant T",
     "Lists a tenant's users and their roles (tenant admins).",
     "list a tenant's users and their roles"},
    {"token", "create", cmd_token_create, token_opts, 1, 1,
     "token create USER --name NAME [--expires 90d] [--out FILE]",
     "Makes an API token for a service account: a provider user whose roles are only enforcer\n"
     "or auditor (platform admins). A door's host keeps it in a file (pam_lockbox token_file=,\n"
     "lockbox-agent --token-file); --out writes it there, mode 0600, replacing the file at once.\n"
     "--expires: its lifetime (default: the server's api_token_ttl_seconds, 90 days). USER is\n"
     "a username or an id.",
     "make an API token for a service account"},
    {"token", "list", cmd_token_list, no_opts, 1, 1, "token list USER",
     "Lists a service account's API tokens (not the tokens themselves), expired ones too.",
     "list a service account's API tokens"},
    {"token", "revoke", cmd_token_revoke, no_opts, 2, 2, "token revoke USER TOKEN_ID",
     "Revokes an API token: every door refuses it from the next call on.", "revoke an API token"},
    {"role", "assign", cmd_role_assign, role_opts, 0, 0,
     "role assign --tenant T --user U --role R [--scope S]",
     "Gives a tenant user a role at a scope (default /). --user takes a username or an id.",
     "give a tenant user a role at a scope"},
    {"role", "list", cmd_role_list, tenant_needed, 0, 0, "role list --tenant T",
     "Lists a tenant's role assignments.", "list a tenant's role assignments"},
    {"role", "remove", cmd_role_remove, tenant_needed, 1, 1, "role remove --tenant T ID",
     "Removes a role assignment.", "remove a role assignment"},
    {"webhook", "add", cmd_webhook_add, webhook_opts, 1, 1,
     "webhook add [--tenant T] URL --event E [--event E ...]",
     "Registers a webhook for a tenant's request events (its tenant admins) or, without\n"
     "--tenant, for every tenant's (platform admins). Events: request.pending,\n"
     "request.reminder, request.approved, request.denied, request.expired, request.canceled,\n"
     "request.revoked, request.completed, and (every tenant only) request.pending_internal.\n"
     "Prints the signing secret once.",
     "register a webhook for request events"},
    {"webhook", "list", cmd_webhook_list, tenant_only, 0, 0, "webhook list [--tenant T]",
     "Lists the webhooks of a tenant, or without --tenant the every-tenant ones.", "list webhooks"},
    {"webhook", "remove", cmd_webhook_remove, tenant_only, 1, 1, "webhook remove [--tenant T] ID",
     "Removes a webhook; messages still queued for it fail.", "remove a webhook"},
    {"check", NULL, cmd_check, check_opts, 0, 0, "check --operator U --resource ID --level L",
     "Asks whether an operator may access a resource now (enforcers). Exit 0 allowed, 3 denied.",
     "ask whether an operator may access a resource now"},
    {"audit", "search", cmd_audit_search, audit_opts, 0, 0,
     "audit search [--activity A] [--actor U] [--item ID] [--from TIME] [--to TIME] "
     "[--tenant T] [--limit N] [--all]",
     "Searches the audit log. Times: RFC 3339, now, or relative (-24h). --all follows\n"
     "every page (--limit is then the page size).",
     "search the audit log"},
    {"audit", "status", cmd_audit_status, no_opts, 0, 0, "audit status",
     "Shows whether each audit chain you may read verified when lockboxd last checked it, its\n"
     "records and last signed checkpoint, and how each stream to a syslog collector goes\n"
     "(records sent, failed attempts, the last error).",
     "show whether the audit chains verify and how streams go"},
    {"audit", "keys", cmd_audit_keys, audit_keys_opts, 0, 0, "audit keys [--out FILE]",
     "Shows the public keys that sign the audit log's checkpoints and exports; --out keeps\n"
     "them in FILE, for lockbox audit verify --key FILE with no server at hand.",
     "show the public keys that sign the audit log"},
    {"audit", "export", cmd_audit_export, audit_export_opts, 0, 0,
     "audit export --out FILE [--activity A] [--actor U] [--item ID] [--from TIME] [--to TIME] "
     "[--tenant T] [--profile lockbox|m365]",
     "Downloads the audit log as JSON Lines (- for standard output): each chain you may read\n"
     "from the checkpoint before --from, records the filters leave out as links only, the\n"
     "checkpoints in place and a signed end. --profile m365: records under Microsoft 365's\n"
     "audit field names (CreationTime, Operation, UserId, ...). A progress line on a terminal.",
     "download the audit log as signed JSON Lines"},
    {"audit", "verify", cmd_audit_verify, audit_verify_opts, 1, 1,
     "audit verify FILE --key KEYFILE | --server",
     "Verifies an export offline: every record's hash and link, every checkpoint's and the\n"
     "end's signature under the keys of KEYFILE (lockbox audit keys --out) or, with --server,\n"
     "the server's. Exit 0 whole; 5 it does not verify (the first broken line is named).",
     "verify an audit export offline"},
    {"request", "report", cmd_request_report, no_opts, 1, 1, "request report ID",
     "Shows what was done under a request's grant once it ended: the operator's actions, the\n"
     "doors that let them in or refused them, and the messages sent (--json: the API's JSON).",
     "what was done under an ended grant"},
    {"activity", "record", cmd_activity_record, activity_opts, 1, 1,
     "activity record REQUEST --action A [--target T] [--details JSON]",
     "Records an action an operator performed under a grant in the audit log (the requester\n"
     "while the grant is active, or an enforcer). --details: any JSON value, checked here.",
     "record an operator's action under a grant"},
};

const size_t cli_command_count = sizeof(cli_commands) / sizeof(cli_commands[0]);
