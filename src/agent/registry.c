/* Reading the session registry defensively (registry.h). */
#include "agent/registry.h"

#include "util/mem.h"
#include "util/timeutil.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/banned.h"

#define FIELD_MAX 512

void agent_session_clear(struct agent_session *s)
{
    lb_free(s->request_id);
    lb_free(s->user);
    lb_free(s->resource);
    lb_free(s->level);
    lb_free(s->tty);
    lb_free(s->service);
    lb_free(s->rhost);
    lb_free(s->host);
    memset(s, 0, sizeof(*s));
}

bool registry_name_is_valid(const char *name)
{
    size_t digits = strspn(name, "0123456789");

    return digits > 0 && digits <= 10 && strcmp(name + digits, ".json") == 0;
}

static int fail(struct buf *err, const char *what)
{
    if (err)
        buf_puts(err, what);
    return LB_EINVAL;
}

/* A string field of at most FIELD_MAX printable bytes; absent or null is NULL when optional. */
static int str_field(json_t *j, const char *key, bool required, char **out, struct buf *err)
{
    json_t *v = json_object_get(j, key);
    const char *s;

    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required && err)
            buf_appendf(err, "%s: missing", key);
        return required ? LB_EINVAL : 0;
    }
    if (!(s = json_string_value(v)) || strlen(s) > FIELD_MAX) {
        if (err)
            buf_appendf(err, "%s: not a string of at most %d bytes", key, FIELD_MAX);
        return LB_EINVAL;
    }
    for (const char *p = s; *p; p++)
        if (iscntrl((unsigned char)*p)) {
            if (err)
                buf_appendf(err, "%s: holds a control character", key);
            return LB_EINVAL;
        }
    if (required && !*s) {
        if (err)
            buf_appendf(err, "%s: empty", key);
        return LB_EINVAL;
    }
    return (*out = lb_strdup(s)) ? 0 : LB_ENOMEM;
}

/* min 0 lets a sid say its leader lies outside this pid namespace (getsid answers 0 there) */
static int pid_field(json_t *j, const char *key, json_int_t min, pid_t *out, struct buf *err)
{
    json_t *v = json_object_get(j, key);
    json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;

    /* 1 (init) is never a login session's */
    if (n < min || n == 1 || n > 0x3fffffff) {
        if (err)
            buf_appendf(err, "%s: not a process id", key);
        return LB_EINVAL;
    }
    *out = (pid_t)n;
    return 0;
}

/* An RFC 3339 time with its fraction, if any (time_parse_rfc3339 drops it). */
static int time_field(json_t *j, const char *key, double *out, bool *exact, struct buf *err)
{
    const char *s = json_string_value(json_object_get(j, key));
    const char *dot;
    int64_t whole;
    double frac = 0, scale = 0.1;

    if (!s || time_parse_rfc3339(s, &whole) != 0) {
        if (err)
            buf_appendf(err, "%s: not an RFC 3339 time", key);
        return LB_EINVAL;
    }
    dot = strchr(s, '.');
    *exact = dot && isdigit((unsigned char)dot[1]);
    for (const char *p = dot ? dot + 1 : ""; isdigit((unsigned char)*p); p++, scale /= 10)
        frac += (*p - '0') * scale;
    *out = (double)whole + frac;
    return 0;
}

static int parse(json_t *j, struct agent_session *s, struct buf *err)
{
    double ends = 0;
    bool exact = false;
    int rc;

    if (!json_is_object(j))
        return fail(err, "not a JSON object");
    if ((rc = str_field(j, "request_id", true, &s->request_id, err)) ||
        (rc = str_field(j, "user", true, &s->user, err)) ||
        (rc = str_field(j, "resource", true, &s->resource, err)) ||
        (rc = str_field(j, "level", true, &s->level, err)) ||
        (rc = str_field(j, "tty", false, &s->tty, err)) ||
        (rc = str_field(j, "service", false, &s->service, err)) ||
        (rc = str_field(j, "rhost", false, &s->rhost, err)) ||
        (rc = str_field(j, "host", false, &s->host, err)) ||
        (rc = pid_field(j, "pid", 2, &s->pid, err)) ||
        (rc = pid_field(j, "sid", 0, &s->sid, err)) ||
        (rc = time_field(j, "opened_at", &s->opened_at, &s->opened_exact, err)) ||
        (rc = time_field(j, "ends_at", &ends, &exact, err)))
        return rc;
    s->ends_at = (int64_t)ends;
    if (strcmp(s->level, "read") != 0 && strcmp(s->level, "write") != 0 &&
        strcmp(s->level, "admin") != 0)
        return fail(err, "level: not read, write or admin");
    if (strspn(s->request_id, "0123456789abcdef-") != strlen(s->request_id))
        return fail(err, "request_id: not a request id");
    if (s->resource[0] != '/')
        return fail(err, "resource: not a resource id");
    return 0;
}

int registry_read(int dirfd, const char *name, struct agent_session *out, struct buf *err)
{
    char *text = NULL;
    json_t *j = NULL;
    json_error_t jerr;
    struct stat st;
    ssize_t n;
    int fd, rc = 0;

    memset(out, 0, sizeof(*out));
    if (!registry_name_is_valid(name))
        return fail(err, "not named <pid>.json");
    fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return errno == ENOENT  ? LB_ENOTFOUND
               : errno == ELOOP ? fail(err, "a symbolic link")
                                : LB_EIO;
    if (fstat(fd, &st) != 0)
        rc = LB_EIO;
    else if (!S_ISREG(st.st_mode))
        rc = fail(err, "not a regular file");
    else if (st.st_uid != 0)
        rc = fail(err, "not owned by root");
    else if (st.st_mode & 077)
        rc = fail(err, "group or others have access to it (want mode 0600)");
    else if (st.st_size > REGISTRY_MAX_SIZE)
        rc = fail(err, "too large");
    else if (!(text = lb_malloc((size_t)st.st_size + 1)))
        rc = LB_ENOMEM;
    if (rc == 0) {
        n = read(fd, text, (size_t)st.st_size + 1);
        if (n < 0 || n > st.st_size)
            rc = n < 0 ? LB_EIO : fail(err, "changed while read");
        else
            text[n] = '\0';
    }
    close(fd);
    if (rc == 0 && !(j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr)))
        rc = fail(err, "not JSON");
    if (rc == 0)
        rc = parse(j, out, err);
    if (rc == 0 && strtol(name, NULL, 10) != (long)out->pid)
        rc = fail(err, "its name is not its pid");
    if (rc == 0) {
        memcpy(out->name, name, strlen(name) + 1);
        out->dev = st.st_dev;
        out->ino = st.st_ino;
    } else {
        agent_session_clear(out);
    }
    json_decref(j);
    lb_free(text);
    return rc;
}

int registry_remove(int dirfd, const struct agent_session *s)
{
    struct stat st;

    if (fstatat(dirfd, s->name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? 0 : LB_EIO;
    if (st.st_dev != s->dev || st.st_ino != s->ino)
        return 0; /* another session's file now: not ours to remove */
    if (unlinkat(dirfd, s->name, 0) != 0 && errno != ENOENT)
        return LB_EIO;
    return 0;
}

int registry_dir_check(int dirfd, struct buf *err)
{
    struct stat st;

    if (fstat(dirfd, &st) != 0)
        return LB_EIO;
    if (!S_ISDIR(st.st_mode))
        return fail(err, "not a directory");
    if (st.st_uid != 0)
        return fail(err, "not owned by root");
    if (st.st_mode & 022)
        return fail(err, "group or others may write to it");
    return 0;
}
