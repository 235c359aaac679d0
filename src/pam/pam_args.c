/* pam_lockbox's module arguments. The contract is pam_args.h. */
#include "pam/pam_args.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/banned.h"

enum arg_kind { ARG_TEXT, ARG_URL, ARG_PATH, ARG_RESOURCE, ARG_LEVEL, ARG_MS, ARG_YESNO };

/* The one table of arguments: its name, the kind of its value, where it goes. */
static const struct arg_spec {
    const char *name;
    enum arg_kind kind;
    size_t offset;
    bool required;
} specs[] = {
    {"url", ARG_URL, offsetof(struct pam_args, url), true},
    {"token_file", ARG_PATH, offsetof(struct pam_args, token_file), true},
    {"resource", ARG_RESOURCE, offsetof(struct pam_args, resource), true},
    {"level", ARG_LEVEL, offsetof(struct pam_args, level), false},
    {"ca_file", ARG_PATH, offsetof(struct pam_args, ca_file), false},
    {"timeout_ms", ARG_MS, offsetof(struct pam_args, timeout_ms), false},
    {"only_group", ARG_TEXT, offsetof(struct pam_args, only_group), false},
    {"session_dir", ARG_PATH, offsetof(struct pam_args, session_dir), false},
    {"allow_http", ARG_YESNO, offsetof(struct pam_args, allow_http), false},
};

#define SPEC_COUNT (sizeof(specs) / sizeof(specs[0]))

static int fail(struct buf *err, const char *what, const char *arg)
{
    if (err)
        buf_appendf(err, "%s: \"%s\"", what, arg);
    return LB_EINVAL;
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

static int template_check(const char *tmpl)
{
    for (const char *p = tmpl; *p; p++) {
        if (*p != '%')
            continue;
        p++;
        if (*p != 'h' && *p != 'H' && *p != '%')
            return LB_EINVAL;
    }
    return LB_OK;
}

/* Checks one value of its kind; the reason of a refusal in *why. */
static bool value_ok(enum arg_kind kind, const char *v, long *ms, const char **why)
{
    char *end = NULL;

    *why = "an empty value";
    if (!*v)
        return false;
    *why = "a control character in the value";
    if (has_control(v))
        return false;
    switch (kind) {
    case ARG_TEXT:
        return true;
    case ARG_URL:
        *why = "not an http:// or https:// URL";
        return (strncmp(v, "http://", 7) == 0 && v[7]) || (strncmp(v, "https://", 8) == 0 && v[8]);
    case ARG_PATH:
        *why = "not an absolute path";
        return v[0] == '/';
    case ARG_RESOURCE:
        *why = "not a resource id (it starts with '/'; %h, %H and %% are its only escapes)";
        return v[0] == '/' && template_check(v) == LB_OK;
    case ARG_LEVEL:
        *why = "not one of read, write, admin";
        return strcmp(v, "read") == 0 || strcmp(v, "write") == 0 || strcmp(v, "admin") == 0;
    case ARG_YESNO:
        *why = "not yes or no";
        return strcmp(v, "yes") == 0 || strcmp(v, "no") == 0;
    case ARG_MS:
        *why = "not a whole number of milliseconds from 1 to 600000";
        if (v[0] < '0' || v[0] > '9')
            return false;
        errno = 0;
        *ms = strtol(v, &end, 10);
        return errno == 0 && *end == '\0' && *ms >= 1 && *ms <= PAM_ARGS_TIMEOUT_MS_MAX;
    }
    return false;
}

int pam_args_parse(int argc, const char **argv, struct pam_args *out, struct buf *err)
{
    bool seen[SPEC_COUNT] = {false};
    const char *why;
    size_t i;

    memset(out, 0, sizeof(*out));
    for (int a = 0; a < argc; a++) {
        const char *arg = argv[a] ? argv[a] : "", *eq = strchr(arg, '=');
        long ms = 0;

        if (!eq)
            return fail(err, "an argument is key=value", arg);
        for (i = 0; i < SPEC_COUNT; i++)
            if (strlen(specs[i].name) == (size_t)(eq - arg) &&
                memcmp(specs[i].name, arg, (size_t)(eq - arg)) == 0)
                break;
        if (i == SPEC_COUNT)
            return fail(err, "unknown argument", arg);
        if (seen[i])
            return fail(err, "argument given twice", arg);
        if (!value_ok(specs[i].kind, eq + 1, &ms, &why))
            return fail(err, why, arg);
        seen[i] = true;
        if (specs[i].kind == ARG_MS)
            *(long *)(void *)((char *)out + specs[i].offset) = ms;
        else if (specs[i].kind == ARG_YESNO)
            *(bool *)(void *)((char *)out + specs[i].offset) = strcmp(eq + 1, "yes") == 0;
        else
            *(const char **)(void *)((char *)out + specs[i].offset) = eq + 1;
    }
    for (i = 0; i < SPEC_COUNT; i++)
        if (specs[i].required && !seen[i]) {
            if (err)
                buf_appendf(err, "missing argument %s=", specs[i].name);
            return LB_EINVAL;
        }
    if (!out->level)
        out->level = "read";
    if (!out->timeout_ms)
        out->timeout_ms = PAM_ARGS_TIMEOUT_MS_DEFAULT;
    if (!out->session_dir)
        out->session_dir = PAM_ARGS_SESSION_DIR_DEFAULT;
    return LB_OK;
}

int pam_args_expand(const char *tmpl, const char *short_host, const char *full_host,
                    struct buf *out, struct buf *err)
{
    if (template_check(tmpl) != LB_OK)
        return fail(err, "resource: only %h, %H and %% may follow '%'", tmpl);
    for (const char *p = tmpl; *p; p++) {
        const char *stop = strchr(p, '%');

        if (!stop) {
            buf_puts(out, p);
            break;
        }
        buf_append(out, p, (size_t)(stop - p));
        p = stop + 1;
        buf_puts(out, *p == 'h' ? short_host : *p == 'H' ? full_host : "%");
    }
    return buf_ok(out) ? LB_OK : LB_ENOMEM;
}

bool pam_args_wants_full_host(const char *tmpl)
{
    for (const char *p = tmpl; *p; p++) {
        if (*p != '%')
            continue;
        if (*++p == 'H')
            return true;
        if (!*p)
            break;
    }
    return false;
}

int pam_args_host_names(bool want_full, struct buf *short_host, struct buf *full_host,
                        struct buf *err)
{
    char name[HOST_NAME_MAX + 1];
    struct addrinfo hints = {.ai_flags = AI_CANONNAME, .ai_family = AF_UNSPEC};
    struct addrinfo *ai = NULL;
    const char *full;

    if (gethostname(name, sizeof(name)) != 0 || !name[0]) {
        if (err)
            buf_puts(err, "this host has no host name");
        return LB_EIO;
    }
    name[HOST_NAME_MAX] = '\0';
    buf_append(short_host, name, strcspn(name, "."));
    if (want_full) {
        full = name;
        if (!strchr(name, '.') && getaddrinfo(name, NULL, &hints, &ai) == 0 && ai &&
            ai->ai_canonname && strchr(ai->ai_canonname, '.'))
            full = ai->ai_canonname;
        buf_puts(full_host, full);
        if (ai)
            freeaddrinfo(ai);
    }
    return buf_ok(short_host) && buf_ok(full_host) ? LB_OK : LB_ENOMEM;
}
