/* lockbox: the command-line client. Global options, configuration, dispatch and output. */
#include "cli/cli.h"
#include "cli/format.h"
#include "util/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "util/banned.h"

int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
    va_list ap;

    fputs("lockbox: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (cmd)
        fprintf(stderr, "usage: lockbox %s\n", cmd->usage);
    return CLI_EXIT_USAGE;
}

/* true when libcurl's reason is a certificate chain leading to no CA it trusts (not an expired
 * certificate or another name: a CA would not help those). */
static bool issuer_unknown(const char *detail)
{
    return strstr(detail, "issuer certificate") || strstr(detail, "self-signed certificate") ||
           strstr(detail, "self signed certificate");
}

int cli_fail(struct cli *cli, int rc, const struct lockbox_reply *r, const char *what)
{
    switch (rc) {
    case LOCKBOX_EREFUSED:
        fprintf(stderr, "lockbox: %s: ", what);
        format_put_safe(stderr, r->detail ? r->detail : "refused", 0, NULL);
        fprintf(stderr, " (%s, HTTP %ld)\n", r->code ? r->code : "-", r->status);
        return CLI_EXIT_REFUSED;
    case LOCKBOX_EUNREACHABLE:
        if (r->detail && cli->ca_file && strstr(r->detail, "error setting certificate file")) {
            fprintf(stderr, "lockbox: the CA file %s holds no PEM certificate libcurl can use\n",
                    cli->ca_file);
            return CLI_EXIT_USAGE;
        }
        fprintf(stderr, "lockbox: cannot reach the server at %s: %s\n", cli->url,
                r->detail ? r->detail : "no answer");
        if (r->detail && cli->ca_file && issuer_unknown(r->detail))
            fprintf(stderr,
                    "lockbox: the server's certificate is not signed by a CA in %s: give "
                    "the CA that signed it\n",
                    cli->ca_file);
        else if (r->detail && issuer_unknown(r->detail))
            fprintf(stderr, "lockbox: to trust the CA that signed the server's certificate, "
                            "give it with --ca-file PEM (or LOCKBOX_CA_FILE, or ca_file in the "
                            "config file)\n");
        return CLI_EXIT_UNREACHABLE;
    case LOCKBOX_EPROTOCOL:
        fprintf(stderr, "lockbox: %s: the answer from %s is not the Lockbox API's (HTTP %ld)\n",
                what, cli->url, r->status);
        return CLI_EXIT_UNREACHABLE;
    default:
        fprintf(stderr, "lockbox: %s: %s\n", what, lockbox_strerror(rc));
        return CLI_EXIT_USAGE;
    }
}

/* --field NAME: the one field of the answer, a string as it is (for $(...) in scripts), other
 * values as JSON. */
static int print_field(const struct cli *cli, const struct lockbox_reply *r)
{
    json_t *j = r->body ? json_loads(r->body, 0, NULL) : NULL;
    json_t *v = json_object_get(j, cli->field);
    char *text = NULL;
    int rc = CLI_EXIT_OK;

    if (json_is_string(v))
        printf("%s\n", json_string_value(v));
    else if (v && !json_is_null(v) && (text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT)))
        printf("%s\n", text);
    else
        rc = cli_usage_error(NULL, "the answer has no field '%s' (the command itself was done)",
                             cli->field);
    free(text);
    json_decref(j);
    return rc;
}

int cli_print(struct cli *cli, const struct lockbox_reply *r, void (*show)(json_t *))
{
    json_t *j;

    if (cli->quiet)
        return CLI_EXIT_OK;
    if (cli->field)
        return print_field(cli, r);
    if (cli->json) {
        if (r->body)
            printf("%s\n", r->body);
        return CLI_EXIT_OK;
    }
    if (!show || !r->body)
        return CLI_EXIT_OK;
    if (!(j = json_loads(r->body, 0, NULL))) {
        fprintf(stderr, "lockbox: the server's answer is not JSON\n");
        return CLI_EXIT_UNREACHABLE;
    }
    show(j);
    json_decref(j);
    return CLI_EXIT_OK;
}

/* ---- configuration ---- */

/* The global options that take a value, and where each goes. */
static char **global_field(struct cli *cli, const char *name, size_t len)
{
    if (len == 3 && strncmp(name, "url", 3) == 0)
        return &cli->url;
    if (len == 5 && strncmp(name, "token", 5) == 0)
        return &cli->token;
    if (len == 7 && strncmp(name, "ca-file", 7) == 0)
        return &cli->ca_file;
    return NULL;
}

/* A yes of the config file or the environment. */
static bool is_yes(const char *v)
{
    return strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0 ||
           strcmp(v, "on") == 0;
}

static int on_config(void *ctx, const char *section, const char *name, const char *value)
{
    struct cli *cli = ctx;
    char **field =
        strcmp(name, "ca_file") == 0 ? &cli->ca_file : global_field(cli, name, strlen(name));

    (void)section;
    if (strcmp(name, "allow_http") == 0 && is_yes(value))
        cli->allow_http = true;
    if (field && !*field)
        *field = strdup(value);
    return 1;
}

static void config_load(struct cli *cli)
{
    const char *home = getenv("HOME");
    const char *xdg = getenv("XDG_CONFIG_HOME");
    char path[4096];

    if (xdg && *xdg)
        snprintf(path, sizeof(path), "%s/lockbox/config", xdg);
    else
        snprintf(path, sizeof(path), "%s/.config/lockbox/config", home ? home : ".");
    cli->config_path = strdup(path);
    if (cli->config_path && access(path, R_OK) == 0)
        ini_parse(path, on_config, cli);
}

static int mkdir_parents(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0700);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

int cli_config_save(struct cli *cli, const char *url, const char *token)
{
    char tmp[4200];
    FILE *f;
    int fd;

    if (strpbrk(url, "\r\n") || (token && strpbrk(token, "\r\n")) ||
        (cli->ca_file && strpbrk(cli->ca_file, "\r\n"))) {
        fprintf(stderr, "lockbox: a line break in the URL, token or CA file; nothing saved\n");
        return CLI_EXIT_USAGE;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp", cli->config_path);
    if (mkdir_parents(tmp) != 0 ||
        (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
        fprintf(stderr, "lockbox: cannot write %s: %s\n", tmp, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    fchmod(fd, 0600);
    if (!(f = fdopen(fd, "w"))) {
        close(fd);
        return CLI_EXIT_USAGE;
    }
    fprintf(f, "# written by lockbox login\nurl = %s\n", url);
    if (token)
        fprintf(f, "token = %s\n", token);
    if (cli->ca_file) {
        /* the file is read from any folder later: "--ca-file pki/ca.pem" must still name it */
        char *abs = cli->ca_file[0] != '/' ? realpath(cli->ca_file, NULL) : NULL;
        fprintf(f, "ca_file = %s\n", abs ? abs : cli->ca_file);
        free(abs);
    }
    if (cli->allow_http)
        fprintf(f, "allow_http = true\n");
    if (fclose(f) != 0 || rename(tmp, cli->config_path) != 0) {
        fprintf(stderr, "lockbox: cannot write %s: %s\n", cli->config_path, strerror(errno));
        unlink(tmp);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cli_config_forget_token(struct cli *cli, const char *token, enum cli_forget *what)
{
    struct cli file = {.config_path = cli->config_path};
    int rc = CLI_EXIT_OK;

    *what = CLI_FORGET_NONE;
    if (!cli->config_path || access(cli->config_path, F_OK) != 0)
        return CLI_EXIT_OK;
    /* the file's own url and ca_file, not the ones the flags or the environment gave */
    if (ini_parse(cli->config_path, on_config, &file) != 0) {
        fprintf(stderr, "lockbox: cannot read %s\n", cli->config_path);
        rc = CLI_EXIT_USAGE;
    } else if (file.token && *file.token && strcmp(file.token, token) != 0) {
        /* another session's token (the one ended came from --token or LOCKBOX_TOKEN): it
         * still works, so it stays. Both values are this process's own: strcmp leaks nothing. */
        *what = CLI_FORGET_OTHER;
    } else if (file.token && *file.token) {
        if ((rc = cli_config_save(&file, file.url ? file.url : "", NULL)) == CLI_EXIT_OK)
            *what = CLI_FORGET_REMOVED;
    }
    free(file.url);
    if (file.token)
        memset(file.token, 0, strlen(file.token));
    free(file.token);
    free(file.ca_file);
    return rc;
}

static bool https(const char *url)
{
    return strncmp(url, "https://", 8) == 0;
}

/* true when path is a file this process may read; errno says why not. */
static bool readable_file(const char *path)
{
    struct stat st;

    if (access(path, R_OK) != 0 || stat(path, &st) != 0)
        return false;
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        return false;
    }
    return true;
}

int cli_connect(struct cli *cli)
{
    struct lockbox_options o = {.url = cli->url,
                                .token = cli->token,
                                .ca_file = cli->ca_file,
                                .allow_plain_http = cli->allow_http};
    int rc;

    if (cli->lb)
        return CLI_EXIT_OK;
    if (!cli->url || !*cli->url) {
        fprintf(stderr, "lockbox: no server: give --url, set LOCKBOX_URL, or `lockbox login`\n");
        return CLI_EXIT_USAGE;
    }
    /* libcurl would only say "error setting certificate file", as if the server were at fault */
    if (cli->ca_file && https(cli->url) && !readable_file(cli->ca_file)) {
        fprintf(stderr,
                "lockbox: the CA file %s (--ca-file, LOCKBOX_CA_FILE or ca_file in the config "
                "file): cannot read: %s\n",
                cli->ca_file, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    if ((rc = lockbox_new(&o, &cli->lb)) == LOCKBOX_EPLAINHTTP) {
        fprintf(stderr,
                "lockbox: refusing plain http:// to %s: it is not this host (loopback), and the "
                "token and passwords would cross the network in clear; use https://, or allow "
                "it with --allow-http, LOCKBOX_ALLOW_HTTP=1 or allow_http = true in %s\n",
                cli->url, cli->config_path ? cli->config_path : "the config file");
        return CLI_EXIT_USAGE;
    }
    if (rc == LOCKBOX_EINVAL && strncmp(cli->url, "http://", 7) == 0) { /* check_plain_http's */
        fprintf(stderr, "lockbox: %s: not a URL libcurl can read\n", cli->url);
        return CLI_EXIT_USAGE;
    }
    if (rc != 0) {
        fprintf(stderr, "lockbox: %s: %s (want http:// or https://)\n", cli->url,
                lockbox_strerror(rc));
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cli_read_password(struct cli *cli, const char *prompt, char *out, size_t cap)
{
    struct termios old, quiet;
    FILE *in = stdin;
    bool tty = false;
    size_t n;

    if (!cli->password_stdin) {
        if (!(in = fopen("/dev/tty", "r+"))) {
            fprintf(stderr, "lockbox: no terminal to ask for the password on; "
                            "use --password-stdin\n");
            return CLI_EXIT_USAGE;
        }
        fprintf(in, "%s", prompt);
        fflush(in);
        tty = tcgetattr(fileno(in), &old) == 0;
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        if (tty)
            tcsetattr(fileno(in), TCSAFLUSH, &quiet);
    }
    if (!fgets(out, (int)cap, in))
        out[0] = '\0';
    if (tty) {
        tcsetattr(fileno(in), TCSAFLUSH, &old);
        fputc('\n', in);
    }
    if (in != stdin)
        fclose(in);
    n = strlen(out);
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    if (!n) {
        fprintf(stderr, "lockbox: no password given\n");
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* ---- argument parsing ---- */

static const struct cli_optspec *find_spec(const struct cli_command *cmd, const char *name)
{
    for (const struct cli_optspec *s = cmd->opts; s && s->name; s++)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

/* Every required option of cmd was given (with a value); else prints which is missing. */
static bool has_required(const struct cli_command *cmd, const struct cli_args *args)
{
    for (const struct cli_optspec *s = cmd->opts; s && s->name; s++) {
        const char *v = cli_opt(args, s->name);
        if (s->required && (!v || (s->takes_value && !*v))) {
            cli_usage_error(cmd, "missing --%s", s->name);
            return false;
        }
    }
    return true;
}

/* Global options may come before or after the command: 1 when argv[*i] was one (a value
 * taken too), 0 when it is not, -1 when its value is missing. gcc 12's analyzer loses the value
 * stored through `field` (a pointer into cli chosen at run time) and calls it a leak. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
static int global_option(struct cli *cli, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *eq = strchr(a, '=');
    char **field;

    if (strcmp(a, "--json") == 0)
        return cli->json = true;
    if (strcmp(a, "--quiet") == 0)
        return cli->quiet = true;
    if (strcmp(a, "--password-stdin") == 0)
        return cli->password_stdin = true;
    if (strcmp(a, "--allow-http") == 0)
        return cli->allow_http = true;
    if (strcmp(a, "--field") == 0 || strncmp(a, "--field=", 8) == 0)
        field = &cli->field; /* an option of the command line only, never of the config file */
    else if (strncmp(a, "--", 2) != 0 ||
             !(field = global_field(cli, a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2))))
        return 0;
    if (!eq && *i + 1 >= argc)
        return cli_usage_error(NULL, "option '%s' needs a value", a), -1;
    free(*field);
    *field = strdup(eq ? eq + 1 : argv[++*i]);
    return 1;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

bool cli_args_parse(struct cli *cli, const struct cli_command *cmd, int argc, char **argv,
                    struct cli_args *out)
{
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < argc; i++) {
        int g = global_option(cli, argc, argv, &i);
        if (g < 0)
            return false;
        if (g > 0)
            continue;
        const char *a = argv[i], *value = NULL, *eq;
        char name[64];
        const struct cli_optspec *s;

        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            if (out->pos_count >= CLI_MAX_ARGS || out->pos_count >= cmd->max_pos) {
                cli_usage_error(cmd, "unexpected argument '%s'", a);
                return false;
            }
            out->pos[out->pos_count++] = a;
            continue;
        }
        eq = strchr(a, '=');
        snprintf(name, sizeof(name), "%.*s", (int)(eq ? (size_t)(eq - a - 2) : strlen(a + 2)),
                 a + 2);
        if (!(s = find_spec(cmd, name))) {
            cli_usage_error(cmd, "unknown option '--%s'", name);
            return false;
        }
        if (s->takes_value) {
            value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!value) {
                cli_usage_error(cmd, "option '--%s' needs a value", name);
                return false;
            }
        } else if (eq) {
            cli_usage_error(cmd, "option '--%s' takes no value", name);
            return false;
        }
        if (out->count >= CLI_MAX_OPTS) {
            cli_usage_error(cmd, "too many options");
            return false;
        }
        out->names[out->count] = s->name;
        out->values[out->count++] = value ? value : "";
    }
    if (out->pos_count < cmd->min_pos) {
        cli_usage_error(cmd, "missing argument");
        return false;
    }
    return has_required(cmd, out);
}

const char *cli_opt(const struct cli_args *a, const char *name)
{
    const char *v = NULL;

    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->names[i], name) == 0)
            v = a->values[i];
    return v;
}

bool cli_flag(const struct cli_args *a, const char *name)
{
    return cli_opt(a, name) != NULL;
}

size_t cli_opt_all(const struct cli_args *a, const char *name, const char **out, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < a->count && n < max; i++)
        if (strcmp(a->names[i], name) == 0)
            out[n++] = a->values[i];
    return n;
}

/* ---- output ---- */

const char *cli_str(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "-";
}

void cli_time(const char *rfc3339, char out[FORMAT_TIME_LEN])
{
    int64_t t;

    if (!rfc3339 || time_parse_rfc3339(rfc3339, &t) != 0) {
        snprintf(out, FORMAT_TIME_LEN, "-");
        return;
    }
    format_time(t, out);
}

void cli_table(const char *const *header, size_t cols, const char ***rows, size_t nrows)
{
    size_t width[16] = {0};

    for (size_t c = 0; c < cols && c < 16; c++) {
        width[c] = strlen(header[c]);
        for (size_t r = 0; r < nrows; r++)
            if (strlen(rows[r][c]) > width[c])
                width[c] = strlen(rows[r][c]);
    }
    for (size_t r = 0; r <= nrows; r++) {
        const char *const *row = r == 0 ? header : rows[r - 1];
        for (size_t c = 0; c + 1 < cols; c++) {
            format_put_safe(stdout, row[c], width[c], NULL);
            fputs("  ", stdout);
        }
        format_put_safe(stdout, row[cols - 1], 0, NULL);
        fputc('\n', stdout);
    }
}

/* ---- main ---- */

static const struct cli_command *find_command(int argc, char **argv, int *used)
{
    for (size_t i = 0; i < cli_command_count; i++) {
        const struct cli_command *c = &cli_commands[i];
        if (argc < 1 || strcmp(argv[0], c->group) != 0)
            continue;
        if (!c->name) {
            *used = 1;
            return c;
        }
        if (argc >= 2 && strcmp(argv[1], c->name) == 0) {
            *used = 2;
            return c;
        }
    }
    return NULL;
}

static bool is_group(const char *word)
{
    for (size_t i = 0; i < cli_command_count; i++)
        if (strcmp(cli_commands[i].group, word) == 0)
            return true;
    return false;
}

static int help_for(int argc, char **argv)
{
    int used = 0;
    const struct cli_command *c = find_command(argc, argv, &used);

    if (argc == 0) {
        cli_help_all(stdout);
        return CLI_EXIT_OK;
    }
    if (c) {
        cli_help_command(stdout, c);
        return CLI_EXIT_OK;
    }
    if (argc >= 2 && is_group(argv[0]))
        return cli_usage_error(NULL, "no command '%s %s'; see `lockbox %s --help`", argv[0],
                               argv[1], argv[0]);
    if (cli_help_group(stdout, argv[0]))
        return CLI_EXIT_OK;
    return cli_usage_error(NULL, "no command '%s'; see `lockbox --help`", argv[0]);
}

/* Takes the global options off the front; answers the index of the command word, or minus the
 * exit code when there is nothing left to run (0 after --version). */
static int globals(struct cli *cli, int argc, char **argv, bool *help)
{
    int i = 1, g;

    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            *help = true;
            continue;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("lockbox %s\n", LB_VERSION);
            return -CLI_EXIT_OK;
        }
        if ((g = global_option(cli, argc, argv, &i)) < 0)
            return -CLI_EXIT_USAGE;
        if (g == 0)
            return -cli_usage_error(NULL, "unknown global option '%s'; see `lockbox --help`",
                                    argv[i]);
    }
    return i;
}

static void from_env(struct cli *cli)
{
    const char *url = getenv("LOCKBOX_URL"), *token = getenv("LOCKBOX_TOKEN");
    const char *ca_file = getenv("LOCKBOX_CA_FILE");
    const char *allow_http = getenv("LOCKBOX_ALLOW_HTTP");

    if (!cli->url && url && *url)
        cli->url = strdup(url);
    if (!cli->token && token && *token)
        cli->token = strdup(token);
    if (!cli->ca_file && ca_file && *ca_file)
        cli->ca_file = strdup(ca_file);
    if (allow_http && is_yes(allow_http))
        cli->allow_http = true;
}

static int run(struct cli *cli, int argc, char **argv)
{
    bool help = false;
    int first = globals(cli, argc, argv, &help), used = 0;
    const struct cli_command *c;
    struct cli_args args;

    if (first <= 0)
        return -first;
    if (first >= argc) {
        cli_help_all(help ? stdout : stderr);
        return help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    if (strcmp(argv[first], "help") == 0 || help)
        return help_for(argc - first - (help ? 0 : 1), argv + first + (help ? 0 : 1));
    if (!(c = find_command(argc - first, argv + first, &used))) {
        /* `lockbox request bogus --help`: no such command, as `lockbox help request bogus` */
        if (is_group(argv[first]) && first + 1 < argc && argv[first + 1][0] != '-')
            return cli_usage_error(NULL, "no command '%s %s'; see `lockbox %s --help`", argv[first],
                                   argv[first + 1], argv[first]);
        /* `lockbox request --help`: the group's commands */
        for (int i = first + 1; i < argc && is_group(argv[first]); i++)
            if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
                return cli_help_group(stdout, argv[first]) ? CLI_EXIT_OK : CLI_EXIT_USAGE;
        if (is_group(argv[first]))
            return cli_usage_error(NULL, "'%s' needs a subcommand; see `lockbox help %s`",
                                   argv[first], argv[first]);
        return cli_usage_error(NULL, "no command '%s'; see `lockbox --help`", argv[first]);
    }
    for (int i = first + used; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0) {
            cli_help_command(stdout, c);
            return CLI_EXIT_OK;
        }
    if (!cli_args_parse(cli, c, argc - first - used, argv + first + used, &args))
        return CLI_EXIT_USAGE;
    from_env(cli);
    config_load(cli);
    return c->run(cli, &args);
}

int main(int argc, char **argv)
{
    struct cli cli = {.prog = "lockbox"};
    int rc = run(&cli, argc, argv);

    lockbox_free(cli.lb);
    free(cli.url);
    if (cli.token)
        memset(cli.token, 0, strlen(cli.token));
    free(cli.token);
    free(cli.config_path);
    free(cli.ca_file);
    free(cli.field);
    return rc;
}
