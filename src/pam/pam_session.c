/* The session files of pam_lockbox. The contract (and the file format) is pam_session.h. */
#include "pam/pam_session.h"

#include "util/mem.h"
#include "util/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/banned.h"

/* A session file is far smaller; anything bigger is not one. */
#define SESSION_FILE_MAX (64 * 1024)

static int fail_errno(struct buf *err, int code, const char *what, const char *path)
{
    if (err)
        buf_appendf(err, "%s %s: %s", what, path, strerror(errno));
    return code;
}

/* j (consumed) as compact JSON text in *out; NULL j is its builder's allocation failure. */
static int json_take_text(json_t *j, char **out)
{
    size_t n;
    char *text;

    *out = NULL;
    if (!j)
        return LB_ENOMEM;
    n = json_dumpb(j, NULL, 0, JSON_COMPACT);
    if (n == 0 || !(text = lb_malloc(n + 1))) {
        json_decref(j);
        return LB_ENOMEM;
    }
    if (json_dumpb(j, text, n, JSON_COMPACT) != n) {
        json_decref(j);
        lb_free(text);
        return LB_ENOMEM;
    }
    json_decref(j);
    text[n] = '\0';
    *out = text;
    return LB_OK;
}

int pam_session_json(const struct pam_session *s, char **out)
{
    char opened[TIME_RFC3339_LEN], ends[TIME_RFC3339_LEN];

    time_format_rfc3339(s->opened_at, opened);
    time_format_rfc3339(s->ends_at, ends);
    return json_take_text(
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s?, s:s, s:s?, s:s, s:s, s:s}", "request_id",
                  s->request_id, "user", s->user, "resource", s->resource, "level", s->level, "pid",
                  (json_int_t)s->pid, "sid", (json_int_t)s->sid, "tty", s->tty, "service",
                  s->service, "rhost", s->rhost, "host", s->host, "opened_at", opened, "ends_at",
                  ends),
        out);
}

int pam_session_details_json(const struct pam_session *s, char **out)
{
    return json_take_text(json_pack("{s:s, s:s, s:s?, s:s?, s:I, s:s}", "host", s->host, "service",
                                    s->service, "tty", s->tty, "rhost", s->rhost, "pid",
                                    (json_int_t)s->pid, "user", s->user),
                          out);
}

/* mkdir -p, the last component 0700 and the others 0755. */
static int make_dirs(const char *dir, struct buf *err)
{
    struct buf path = BUF_INIT;
    const char *p = dir;
    int rc = LB_OK;

    while (*p) {
        const char *next = strchr(p + 1, '/');
        bool last = !next;

        buf_append(&path, p, next ? (size_t)(next - p) : strlen(p));
        if (!buf_ok(&path)) {
            rc = LB_ENOMEM;
            goto out;
        }
        if (mkdir(buf_cstr(&path), last ? 0700 : 0755) != 0 && errno != EEXIST) {
            rc = fail_errno(err, LB_EIO, "cannot make the session directory", buf_cstr(&path));
            goto out;
        }
        if (!next)
            break;
        p = next;
    }
out:
    buf_release(&path);
    return rc;
}

int pam_session_dir_prepare(const char *dir, struct buf *err)
{
    struct stat st;
    int rc;

    if (dir[0] != '/') {
        if (err)
            buf_appendf(err, "the session directory %s is not an absolute path", dir);
        return LB_EINVAL;
    }
    if (lstat(dir, &st) != 0) {
        if (errno != ENOENT)
            return fail_errno(err, LB_EIO, "cannot stat the session directory", dir);
        if ((rc = make_dirs(dir, err)) != LB_OK)
            return rc;
        /* whatever the umask was */
        if (chmod(dir, 0700) != 0 || lstat(dir, &st) != 0)
            return fail_errno(err, LB_EIO, "cannot set up the session directory", dir);
    }
    if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
        if (err)
            buf_appendf(err,
                        "the session directory %s must be a directory owned by root and not "
                        "writable by group or others",
                        dir);
        return LB_EFORBIDDEN;
    }
    return LB_OK;
}

static void session_path(struct buf *b, const char *dir, long pid)
{
    buf_appendf(b, "%s/%ld.json", dir, pid);
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int pam_session_register(const char *dir, const struct pam_session *s, struct buf *err)
{
    struct buf tmp = BUF_INIT, final = BUF_INIT;
    char *text = NULL;
    bool created = false;
    int fd = -1, rc;

    if ((rc = pam_session_json(s, &text)) != LB_OK)
        goto out;
    buf_appendf(&tmp, "%s/.%ld.json.XXXXXX", dir, s->pid);
    session_path(&final, dir, s->pid);
    rc = LB_ENOMEM;
    if (!buf_ok(&tmp) || !buf_ok(&final))
        goto out;
    if ((fd = mkstemp(tmp.data)) < 0) {
        rc = fail_errno(err, LB_EIO, "cannot create a session file in", dir);
        goto out;
    }
    created = true;
    /* the text ends with a newline, as a file should */
    if (fchmod(fd, 0600) != 0 || write_all(fd, text, strlen(text)) != 0 ||
        write_all(fd, "\n", 1) != 0 || fsync(fd) != 0) {
        rc = fail_errno(err, LB_EIO, "cannot write the session file", buf_cstr(&tmp));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = fail_errno(err, LB_EIO, "cannot write the session file", buf_cstr(&tmp));
        goto out;
    }
    fd = -1;
    if (rename(buf_cstr(&tmp), buf_cstr(&final)) != 0) {
        rc = fail_errno(err, LB_EIO, "cannot put the session file in place as", buf_cstr(&final));
        goto out;
    }
    rc = LB_OK;
out:
    if (fd >= 0)
        close(fd);
    if (rc != LB_OK && created)
        unlink(buf_cstr(&tmp));
    lb_free(text);
    buf_release(&tmp);
    buf_release(&final);
    return rc;
}

int pam_session_unregister(const char *dir, long pid, struct buf *err)
{
    struct buf path = BUF_INIT;
    int rc = LB_OK;

    session_path(&path, dir, pid);
    if (!buf_ok(&path))
        rc = LB_ENOMEM;
    else if (unlink(buf_cstr(&path)) != 0)
        rc = errno == ENOENT
                 ? LB_ENOTFOUND
                 : fail_errno(err, LB_EIO, "cannot remove the session file", buf_cstr(&path));
    buf_release(&path);
    return rc;
}

int pam_session_request_id(const char *dir, long pid, char *out, size_t size, struct buf *err)
{
    struct buf path = BUF_INIT, text = BUF_INIT;
    json_error_t jerr;
    json_t *j = NULL;
    const char *id;
    struct stat st;
    char chunk[4096];
    ssize_t n;
    int fd = -1, rc = LB_ENOMEM;

    if (size)
        out[0] = '\0';
    buf_init(&text, SESSION_FILE_MAX);
    session_path(&path, dir, pid);
    if (!buf_ok(&path))
        goto out;
    if ((fd = open(buf_cstr(&path), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
        rc = errno == ENOENT
                 ? LB_ENOTFOUND
                 : fail_errno(err, LB_EIO, "cannot open the session file", buf_cstr(&path));
        goto out;
    }
    rc = LB_EINVAL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0)
        goto bad;
    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = fail_errno(err, LB_EIO, "cannot read the session file", buf_cstr(&path));
            goto out;
        }
        buf_append(&text, chunk, (size_t)n);
    }
    if (!buf_ok(&text))
        goto bad;
    j = json_loadb(text.data ? text.data : "", text.len, 0, &jerr);
    id = json_string_value(json_object_get(j, "request_id"));
    if (!id || !*id || strlen(id) >= size)
        goto bad;
    memcpy(out, id, strlen(id) + 1);
    rc = LB_OK;
    goto out;
bad:
    if (err)
        buf_appendf(err, "%s is not a session file", buf_cstr(&path));
out:
    if (fd >= 0)
        close(fd);
    json_decref(j);
    buf_release(&path);
    buf_release(&text);
    return rc;
}
