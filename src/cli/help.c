/* lockbox --help, lockbox GROUP --help, lockbox help COMMAND: the help drawn from the table of
 * commands (commands.c) and the table of options below. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "util/banned.h"

#define EXIT_CODES                                                                                 \
    "Exit codes: 0 ok, 1 usage error or a local failure (a file not read or written),\n"           \
    "            2 the server refused, 3 access denied (check), 4 cannot reach the server,\n"      \
    "            5 an audit export does not verify (audit verify).\n"

/* The column the help of an option starts at, and the width it wraps to. */
#define HELP_COLUMN 26
#define HELP_WIDTH 100

#define ANY_TIME "RFC 3339, now, or relative to now (-24h, +15m)"

/* What each option's value is and means. A row names the command ("group name") or the group
 * ("group") it is for, or NULL for any: the most particular row wins, so an option that means
 * one thing everywhere is written once. */
static const struct cli_optdoc {
    const char *cmd, *name, *arg, *help;
} optdocs[] = {
    {NULL, "tenant", "T", "the tenant: its name or its id"},
    {NULL, "reason", "TEXT", "why; recorded with the decision and shown on the request"},
    {NULL, "level", "L", "the access level: read, write or admin (read < write < admin)"},
    {NULL, "from", "TIME", "from TIME on: " ANY_TIME},
    {NULL, "to", "TIME", "before TIME: " ANY_TIME},
    {NULL, "limit", "N", "at most N items (1 to 1000); with --all, the size of each page"},
    {NULL, "all", NULL, "follow every page, not only the first"},
    {NULL, "username", "U", "the username"},
    {NULL, "email", "E", "the user's email address"},
    {"login", "username", "U", "the username to log in as"},
    {"login", "totp", "CODE",
     "the 6-digit code of your authenticator app (users with TOTP enrolled); a code works "
     "once: after a login with it, wait for the next one"},
    {"request create", "tenant", "T", "the customer's tenant: its name or its id"},
    {"request create", "ticket", "K", "the id of the tenant's support ticket the access is for"},
    {"request create", "type", "TYPE", "the resource type: one of `lockbox catalog`'s"},
    {"request create", "resource", "ID",
     "a resource id inside the tenant's resource scopes (/subscriptions/s1/...); repeat for "
     "several (at most 100)"},
    {"request create", "justification", "TEXT", "why the access is needed: the approvers read it"},
    {"request create", "duration", "D",
     "how long the grant lasts: 90s, 15m, 4h, 2d (default: the tenant's default grant; at "
     "most its maximum)"},
    {"request list", "tenant", "T", "only this tenant's requests (its name or its id)"},
    {"request list", "status", "S",
     "only requests in this status: pending_internal, pending, approved, denied, rejected, "
     "expired, canceled, revoked or completed"},
    {"request list", "mine", NULL, "only the requests you made"},
    {"request list", "from", "TIME", "created at or after TIME: " ANY_TIME},
    {"request list", "to", "TIME", "created before TIME: " ANY_TIME},
    {"request list", "search", "TEXT", "text in the id, requester, resource ids or justification"},
    {"request review", "approve", NULL, "let the request go on to the customer"},
    {"request review", "deny", NULL, "end the request: it is denied"},
    {"ticket", "tenant", "T",
     "the ticket's tenant: its name or its id (without it, every tenant you can see is "
     "looked in)"},
    {"ticket create", "tenant", "T", "the tenant the ticket is for: its name or its id"},
    {"ticket create", "title", "TEXT", "a one-line title"},
    {"ticket create", "description", "TEXT", "what the problem is"},
    {"ticket create", "severity", "S", "low, moderate, high or critical"},
    {"tenant create", "plan", "P",
     "basic, developer, standard, professional or premier (lockbox can be enabled on "
     "developer and above)"},
    {"tenant create", "admin-username", "U", "the username of the tenant's first tenant_admin"},
    {"tenant create", "admin-email", "E", "the email address of the tenant's first tenant_admin"},
    {"tenant create", "resource-scope", "PREFIX",
     "a resource-id prefix the tenant owns (/subscriptions/s1); repeat for several"},
    {"tenant scopes", "add", "PREFIX", "give the tenant this resource scope; repeat for several"},
    {"tenant scopes", "remove", "PREFIX",
     "take this resource scope from the tenant; repeat for several"},
    {"tenant settings", "set", "KEY=VALUE",
     "change one setting (the keys are listed above); repeat for several"},
    {"user create", "tenant", "T",
     "make a user of this tenant (its tenant admins); without it, a provider user (platform "
     "admins)"},
    {"user create", "username", "U", "the new user's username"},
    {"user create", "display-name", "NAME", "the name people read (\"Eve Example\")"},
    {"user create", "role", "R",
     "a role to give: a provider role (platform_admin, support_engineer, internal_approver, "
     "enforcer, auditor) or, with --tenant, a tenant role (tenant_admin, lockbox_approver, "
     "owner, auditor, member); repeat for several"},
    {"user create", "scope", "S", "where the tenant roles apply: / (default) or a resource prefix"},
    {"user create", "totp", NULL, "enrol TOTP: the secret and an otpauth:// URI are shown once"},
    {"user create", "isolated", NULL,
     "an isolated identity (provider users; the JIT policy "
     "asks for one)"},
    {"user list", "tenant", "T", "the tenant whose users to list: its name or its id"},
    {"role", "user", "U", "the tenant user: a username or an id"},
    {"role", "role", "R", "tenant_admin, lockbox_approver, owner, auditor or member"},
    {"role", "scope", "S",
     "where the role applies: / (the whole tenant, default) or a "
     "resource-id prefix such as /subscriptions/s1"},
    {"token create", "name", "NAME", "what the token is for (token list shows it)"},
    {"token create", "expires", "D",
     "its lifetime: 90d, 12h, 30m (default: the server's api_token_ttl_seconds)"},
    {"token create", "out", "FILE", "write the token to FILE (mode 0600) instead of printing it"},
    {"webhook", "tenant", "T",
     "the tenant (its tenant admins); without it, the webhooks of every tenant (platform "
     "admins)"},
    {"webhook add", "event", "E",
     "an event to deliver: request.pending, request.reminder, request.approved, "
     "request.denied, request.expired, request.canceled, request.revoked, request.completed "
     "or (without --tenant) request.pending_internal; repeat for several"},
    {"check", "operator", "U", "the operator's username"},
    {"check", "resource", "ID", "the resource id they want to reach"},
    {"audit", "activity", "A", "only records of this activity (request.create, auth.login, ...)"},
    {"audit", "actor", "U", "only records of this actor (a username; system for the scheduler)"},
    {"audit", "item", "ID", "only records about this object (a request's id, ...)"},
    {"audit", "tenant", "T", "only this tenant's records: its name or its id"},
    {"audit export", "out", "FILE", "where the export goes (- for standard output)"},
    {"audit export", "profile", "P", "lockbox (default) or m365 (Microsoft 365's field names)"},
    {"audit keys", "out", "FILE", "keep the keys in FILE, for audit verify --key"},
    {"audit verify", "key", "KEYFILE", "verify under the keys of KEYFILE (audit keys --out)"},
    {"audit verify", "server", NULL, "verify under the keys the server gives"},
    {"activity record", "action", "A", "what the operator did (ssh.login, file.read, ...)"},
    {"activity record", "target", "T", "what it was done to (a host, a path, a resource id)"},
    {"activity record", "details", "JSON",
     "more about it: any JSON value, checked before it is sent"},
};

/* The doc of option name of cmd: its command's row, else its group's, else any command's. */
static const struct cli_optdoc *optdoc_find(const struct cli_command *cmd, const char *name)
{
    const struct cli_optdoc *best = NULL;
    int best_rank = -1;
    char full[64];

    snprintf(full, sizeof(full), "%s %s", cmd->group, cmd->name ? cmd->name : "");
    for (size_t i = 0; i < sizeof(optdocs) / sizeof(optdocs[0]); i++) {
        const struct cli_optdoc *d = &optdocs[i];
        int rank = !d->cmd                                    ? 0
                   : strcmp(d->cmd, cmd->group) == 0          ? 1
                   : (cmd->name && strcmp(d->cmd, full) == 0) ? 2
                                                              : -1;
        if (rank > best_rank && strcmp(d->name, name) == 0) {
            best = d;
            best_rank = rank;
        }
    }
    return best;
}

/* Prints text from column `at` on, wrapped at HELP_WIDTH, continued at HELP_COLUMN. */
static void put_wrapped(FILE *out, const char *text, size_t at)
{
    while (*text) {
        size_t room = at < HELP_WIDTH ? HELP_WIDTH - at : 20, n = strlen(text);
        if (n > room) {
            n = room;
            while (n > 0 && text[n] != ' ')
                n--;
            if (n == 0)
                n = strcspn(text, " ");
        }
        fprintf(out, "%.*s\n", (int)n, text);
        text += n;
        while (*text == ' ')
            text++;
        if (*text)
            fprintf(out, "%*s", HELP_COLUMN, "");
        at = HELP_COLUMN;
    }
}

/* The one line of a command in a list: its summary, or the first line of its help. */
static void put_summary(FILE *out, const struct cli_command *c)
{
    const char *s = c->summary ? c->summary : c->help;

    fprintf(out, "%.*s\n", (int)strcspn(s, "\n"), s);
}

void cli_help_all(FILE *out)
{
    fprintf(out, "usage: lockbox [--url URL] [--token TOKEN] [--ca-file PEM] [--allow-http] "
                 "[--json]\n"
                 "               [--field NAME] [--quiet] COMMAND ...\n"
                 "       lockbox GROUP --help | help COMMAND | --version\n\n"
                 "Lockbox client: request, approve and audit access to customer data.\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < cli_command_count; i++)
        fprintf(out, "  %s\n", cli_commands[i].usage);
    fprintf(
        out,
        "\nGlobal options:\n"
        "  --url URL         the server (env LOCKBOX_URL; default from the config file)\n"
        "  --token TOKEN     the API token (env LOCKBOX_TOKEN; `lockbox login` saves one)\n"
        "  --ca-file PEM     CA bundle to verify an https server with (env LOCKBOX_CA_FILE;\n"
        "                    config key ca_file); the system's by default\n"
        "  --allow-http      allow a plain http:// URL to a host that is not loopback (env\n"
        "                    LOCKBOX_ALLOW_HTTP=1; config key allow_http = true); refused by\n"
        "                    default, since the token would cross the network in clear\n"
        "  --json            print the API's JSON unchanged\n"
        "  --field NAME      print only this field of the answer (a string as it is), for scripts\n"
        "  --quiet           print nothing on success\n"
        "  --password-stdin  read a password from standard input, not the terminal\n"
        "  --version         print lockbox's version\n"
        "  --help            this help; `lockbox GROUP --help` for a group's commands,\n"
        "                    `lockbox help COMMAND` for one command and its options\n\n"
        "Configuration: ~/.config/lockbox/config (url, token, ca_file, allow_http; mode "
        "0600).\n" EXIT_CODES);
}

bool cli_help_group(FILE *out, const char *group)
{
    bool found = false;

    for (size_t i = 0; i < cli_command_count; i++) {
        const struct cli_command *c = &cli_commands[i];
        if (strcmp(c->group, group) != 0)
            continue;
        if (!found)
            fprintf(out, "usage: lockbox %s%s\n\nCommands:\n", group,
                    c->name ? " COMMAND [OPTIONS]" : " [OPTIONS]");
        found = true;
        fprintf(out, "  %-*s", HELP_COLUMN - 2, c->name ? c->name : c->group);
        put_summary(out, c);
    }
    if (found)
        fprintf(out, "\n`lockbox help %s COMMAND` explains a command and its options.\n", group);
    return found;
}

void cli_help_command(FILE *out, const struct cli_command *c)
{
    fprintf(out, "usage: lockbox %s\n\n%s\n", c->usage, c->help);
    if (c->opts && c->opts->name)
        fprintf(out, "\nOptions:\n");
    for (const struct cli_optspec *s = c->opts; s && s->name; s++) {
        const struct cli_optdoc *d = optdoc_find(c, s->name);
        char head[64], help[1024];
        int n = snprintf(head, sizeof(head), "  --%s%s%s", s->name, s->takes_value ? " " : "",
                         s->takes_value ? (d && d->arg ? d->arg : "VALUE") : "");
        snprintf(help, sizeof(help), "%s%s", d ? d->help : "(no description)",
                 s->required && s->repeatable ? " (required; repeatable)"
                 : s->required                ? " (required)"
                 : s->repeatable              ? " (repeatable)"
                                              : "");
        if (n < 0)
            continue;
        if ((size_t)n + 2 > HELP_COLUMN) {
            fprintf(out, "%s\n%*s", head, HELP_COLUMN, "");
            n = HELP_COLUMN;
        } else {
            fprintf(out, "%-*s", HELP_COLUMN, head);
            n = HELP_COLUMN;
        }
        put_wrapped(out, help, (size_t)n);
    }
    fprintf(out, "\n" EXIT_CODES);
}
