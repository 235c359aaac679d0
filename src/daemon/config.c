#include "daemon/config.h"

#include "notify/notify.h"
#include "util/mem.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

static char **string_field(struct daemon_config *cfg, const struct config_entry *e)
{
    return (char **)((char *)cfg + e->offset);
}

static int64_t *int_field(struct daemon_config *cfg, const struct config_entry *e)
{
    return (int64_t *)((char *)cfg + e->offset);
}

/* true when the file can say v: inih strips a value's outer blanks and ends it at a ';' after
 * a blank (the one config_dump writes after '=' too), and a line break would end the line, so
 * what --dump-config prints would read back as another value. */
static bool value_writable(const char *name, const char *v)
{
    size_t n = strlen(v);

    if (n && (isspace((unsigned char)v[0]) || isspace((unsigned char)v[n - 1]) || v[0] == ';'))
        return false;
    if (strlen(name) + 3 + n > INI_MAX_LINE - 2) /* "name = value" must fit a line */
        return false;
    for (size_t i = 0; i < n; i++)
        if (v[i] == '\n' || v[i] == '\r' || (v[i] == ';' && isspace((unsigned char)v[i - 1])))
            return false;
    return true;
}

int config_set(struct daemon_config *cfg, const struct config_entry *e, const char *value,
               struct buf *err)
{
    char *end = NULL, *copy;
    long long v;

    if (e->type == CONFIG_STRING) {
        if (!value_writable(e->name, value)) {
            buf_appendf(err,
                        "%s.%s: a value cannot be longer than a line of the file holds, begin "
                        "or end with a blank, begin with ';', hold a ';' after a blank or a line "
                        "break (a file could not say it)",
                        e->section, e->name);
            return LB_EINVAL;
        }
        if (!(copy = lb_strdup(value)))
            return LB_ENOMEM;
        lb_free(*string_field(cfg, e));
        *string_field(cfg, e) = copy;
        return 0;
    }
    errno = 0;
    v = strtoll(value, &end, 10);
    if (!*value || *end || errno || v < e->min || v > e->max) {
        buf_appendf(err, "%s.%s: must be an integer from %lld to %lld, not '%s'", e->section,
                    e->name, (long long)e->min, (long long)e->max, value);
        return LB_EINVAL;
    }
    *int_field(cfg, e) = v;
    return 0;
}

int config_defaults(struct daemon_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < config_table_count; i++) {
        int rc = config_set(cfg, &config_table[i], config_table[i].default_value, NULL);
        if (rc) {
            config_release(cfg);
            return rc;
        }
    }
    return 0;
}

struct ini_ctx {
    struct daemon_config *cfg;
    struct buf *err;
    int rc;
};

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
    struct ini_ctx *cx = user;

    for (size_t i = 0; i < config_table_count; i++) {
        const struct config_entry *e = &config_table[i];
        if (strcmp(e->section, section) != 0 || strcmp(e->name, name) != 0)
            continue;
        cx->rc = config_set(cx->cfg, e, value, cx->err);
        return cx->rc == 0;
    }
    buf_appendf(cx->err, "unknown setting [%s] %s", section, name);
    cx->rc = LB_EINVAL;
    return 0;
}

/* Reads the file at path whole into text; LB_EIO when it cannot. */
static int read_whole(const char *path, struct buf *text)
{
    char chunk[4096];
    size_t n;
    FILE *f = fopen(path, "r");

    if (!f)
        return LB_EIO;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(text, chunk, n);
    n = (size_t)ferror(f);
    fclose(f);
    return n || !buf_ok(text) ? LB_EIO : 0;
}

/* The first line inih would not read as written (0: none): one longer than its buffer, which
 * it splits into two lines silently, or one holding a NUL, which ends what it reads of it. */
static int unreadable_line(const struct buf *text)
{
    size_t start = 0;
    int line = 1;

    for (size_t i = 0; i <= text->len; i++) {
        if (i < text->len && text->data[i] == '\0')
            return line;
        if (i == text->len || text->data[i] == '\n') {
            if (i - start > INI_MAX_LINE - 2)
                return line;
            start = i + 1;
            line++;
        }
    }
    return 0;
}

int config_load_file(struct daemon_config *cfg, const char *path, struct buf *err)
{
    struct ini_ctx cx = {cfg, err, 0};
    struct buf detail = BUF_INIT, text = BUF_INIT;
    int line;

    cx.err = &detail;
    if (read_whole(path, &text) != 0) {
        buf_appendf(err, "%s: cannot read the file", path);
        buf_release(&text);
        return LB_EIO;
    }
    if ((line = unreadable_line(&text)) != 0) {
        buf_appendf(err, "%s:%d: a line longer than %d bytes or holding a NUL byte", path, line,
                    INI_MAX_LINE - 2);
        buf_release(&text);
        return LB_EINVAL;
    }
    line = ini_parse_string(buf_cstr(&text), on_ini, &cx);
    buf_release(&text);
    if (line != 0) {
        /* inih reports only the first bad line, which may be a syntax error before the
         * setting the handler refused: name both rather than pair them wrongly. */
        if (detail.len)
            buf_appendf(err, "%s: %s (first error on line %d)", path, buf_cstr(&detail), line);
        else
            buf_appendf(err, "%s:%d: syntax error", path, line);
        buf_release(&detail);
        return cx.rc ? cx.rc : LB_EINVAL;
    }
    buf_release(&detail);
    return 0;
}

/* true when url starts with one of the schemes and holds no space or control character. */
static bool url_is_plain(const char *url, const char *scheme_a, const char *scheme_b)
{
    size_t a = strlen(scheme_a), b = strlen(scheme_b);

    if (!(strncmp(url, scheme_a, a) == 0 && url[a]) && !(strncmp(url, scheme_b, b) == 0 && url[b]))
        return false;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p == 0x7f)
            return false;
    return true;
}

int config_validate(const struct daemon_config *cfg, struct buf *err)
{
    if (cfg->default_grant_seconds > cfg->max_grant_seconds) {
        buf_appendf(err, "tenant_defaults: default_grant_seconds exceeds max_grant_seconds");
        return LB_EINVAL;
    }
    if (!*cfg->data_dir) {
        buf_appendf(err, "server.data: must not be empty");
        return LB_EINVAL;
    }
    if (*cfg->group && !*cfg->user) {
        buf_appendf(err, "server.group: needs server.user too");
        return LB_EINVAL;
    }
    if (!*cfg->tls_cert != !*cfg->tls_key) {
        buf_appendf(err, "server.tls_cert and server.tls_key: set both (HTTPS) or neither "
                         "(plain HTTP)");
        return LB_EINVAL;
    }
    if (*cfg->public_url && !url_is_plain(cfg->public_url, "http://", "https://")) {
        buf_appendf(err, "server.public_url: want http://HOST[:PORT][/PATH] or https://...");
        return LB_EINVAL;
    }
    if (*cfg->smtp_url && !url_is_plain(cfg->smtp_url, "smtp://", "smtps://")) {
        buf_appendf(err, "smtp.url: want smtp://HOST[:PORT] or smtps://HOST[:PORT]");
        return LB_EINVAL;
    }
    if (!notify_address_is_safe(cfg->smtp_from)) {
        buf_appendf(err, "smtp.from: want a plain address such as lockbox@example.com");
        return LB_EINVAL;
    }
    return 0;
}

/* true when a row before i is of section: its header was printed then. */
static bool section_seen(size_t i, const char *section)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(config_table[j].section, section) == 0)
            return true;
    return false;
}

void config_dump(const struct daemon_config *cfg, FILE *out)
{
    /* the table keeps related settings together, not sections: each section is printed once,
     * at its first row, with every row of it, so that the dump reads as one INI file */
    for (size_t i = 0; i < config_table_count; i++) {
        const char *section = config_table[i].section;
        if (section_seen(i, section))
            continue;
        fprintf(out, "%s[%s]\n", i ? "\n" : "", section);
        for (size_t j = i; j < config_table_count; j++) {
            const struct config_entry *e = &config_table[j];
            if (strcmp(e->section, section) != 0)
                continue;
            fprintf(out, "; %s\n", e->help);
            if (e->type == CONFIG_STRING)
                fprintf(out, "%s = %s\n", e->name, *string_field((struct daemon_config *)cfg, e));
            else
                fprintf(out, "%s = %lld\n", e->name,
                        (long long)*int_field((struct daemon_config *)cfg, e));
        }
    }
}

void config_release(struct daemon_config *cfg)
{
    for (size_t i = 0; i < config_table_count; i++)
        if (config_table[i].type == CONFIG_STRING)
            lb_free(*string_field(cfg, &config_table[i]));
    memset(cfg, 0, sizeof(*cfg));
}
