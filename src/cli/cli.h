/*
 * cli.h - the lockbox command-line client: shared state, argument parsing and output.
 *
 * main.c reads the global options (flags, then LOCKBOX_URL/LOCKBOX_TOKEN, then the config
 * file), finds the command in the one table of commands.c and runs it (cmd.h: a file per
 * command group); help.c prints the help drawn from that table and its table of options with a
 * `struct cli` whose handle and strings it owns. Commands return the process's exit code
 * (CLI_EXIT_*); they print results on stdout (the API's JSON unchanged with --json) and one line
 * per error on stderr. Single-threaded.
 */
#ifndef LB_CLI_CLI_H
#define LB_CLI_CLI_H

#include "cli/format.h"
#include "lockbox/lockbox.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_USAGE = 1,       /* bad arguments, or a local failure */
    CLI_EXIT_REFUSED = 2,     /* the server refused the call */
    CLI_EXIT_DENIED = 3,      /* `lockbox check`: access is denied */
    CLI_EXIT_UNREACHABLE = 4, /* no answer from the server */
    CLI_EXIT_UNVERIFIED = 5,  /* `lockbox audit verify`: the export does not verify */
};

/* An object id the server gave: a UUID's 36 characters and a NUL (the server's ID_LEN in
 * core/ids.h, a header of the daemon's layers, which the client side does not include). */
#define CLI_ID_LEN 37

#define CLI_MAX_OPTS 24
#define CLI_MAX_ARGS 8

/* One option a command accepts: "--name" with a value or a flag; repeatable ones collect;
 * a required one missing is a usage error of the parse, before any server is asked. */
struct cli_optspec {
    const char *name;
    bool takes_value;
    bool repeatable;
    bool required;
};

/* The parsed arguments of one command. Values point into argv. */
struct cli_args {
    const char *names[CLI_MAX_OPTS];
    const char *values[CLI_MAX_OPTS];
    size_t count;
    const char *pos[CLI_MAX_ARGS];
    size_t pos_count;
};

struct cli {
    struct lockbox *lb;
    char *url;         /* (owned) */
    char *token;       /* (owned) */
    char *config_path; /* (owned) ~/.config/lockbox/config */
    char *ca_file;     /* (owned) PEM bundle for https, or NULL for the system's */
    char *field;       /* (owned) --field NAME: print only this field of the answer, or NULL */
    bool json, quiet, password_stdin;
    bool allow_http; /* plain http:// to a host that is not loopback is allowed */
    const char *prog;
};

struct cli_command {
    const char *group, *name; /* name NULL: a command of one word */
    int (*run)(struct cli *cli, const struct cli_args *args);
    const struct cli_optspec *opts;
    size_t min_pos, max_pos;
    const char *usage, *help;
    const char *summary; /* its line in `lockbox GROUP --help`; NULL: the help's first line */
};

extern const struct cli_command cli_commands[];
extern const size_t cli_command_count;

/* The help (help.c): every command and the global options; a group's commands, a line each
 * (false: no such group, nothing printed); one command with each of its options explained. */
void cli_help_all(FILE *out);
bool cli_help_group(FILE *out, const char *group);
void cli_help_command(FILE *out, const struct cli_command *c);

/* Parses argv against the command's options (global ones may come anywhere); prints a usage error
 * and answers false on anything unknown or a required option missing. */
bool cli_args_parse(struct cli *cli, const struct cli_command *cmd, int argc, char **argv,
                    struct cli_args *out);
/* The (last) value of --name, or NULL. */
const char *cli_opt(const struct cli_args *a, const char *name);
/* true when the flag --name was given. */
bool cli_flag(const struct cli_args *a, const char *name);
/* Collects every value of a repeatable --name into out (at most max); answers the count. */
size_t cli_opt_all(const struct cli_args *a, const char *name, const char **out, size_t max);

/* A usage error about cmd: prints "lockbox: MESSAGE" and the command's usage; CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Reports a failed call (server's detail, or why there was no answer); answers the exit code. */
int cli_fail(struct cli *cli, int rc, const struct lockbox_reply *r, const char *what);
/* Prints a successful reply: its JSON with --json, else through show (may be NULL: nothing). */
int cli_print(struct cli *cli, const struct lockbox_reply *r, void (*show)(json_t *));
/* Ensures cli->lb exists (URL known); prints why not. */
int cli_connect(struct cli *cli);
/* Reads a password: from stdin with --password-stdin, else from the terminal without echo. */
int cli_read_password(struct cli *cli, const char *prompt, char *out, size_t cap);
/* Saves url and token (NULL: none) to the config file, mode 0600. */
int cli_config_save(struct cli *cli, const char *url, const char *token);
/* What cli_config_forget_token did with the config file's token. */
enum cli_forget {
    CLI_FORGET_NONE,    /* no config file, or no token in it */
    CLI_FORGET_REMOVED, /* the file held token: rewritten without it */
    CLI_FORGET_OTHER,   /* the file holds a different token: left as it is */
};
/* Rewrites the config file without its token when that token is token (its url and ca_file
 * stay); a different token is left in the file. *what says which happened, also on failure. */
int cli_config_forget_token(struct cli *cli, const char *token, enum cli_forget *what);

/* Output helpers for human tables. */
const char *cli_str(json_t *obj, const char *key);
/* Formats an RFC 3339 time as "2026-11-22 10:15:30 UTC" (or "-" when absent). */
void cli_time(const char *rfc3339, char out[FORMAT_TIME_LEN]);
/* Prints rows of columns aligned; rows[r][c]; borrowed strings. */
void cli_table(const char *const *header, size_t cols, const char ***rows, size_t nrows);

#endif
