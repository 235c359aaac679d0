/*
 * pam_session.h - the sessions pam_lockbox registers for the host agent, and their details.
 *
 * An open session is one file `<pid>.json` in the session directory (pid: the process that
 * opened the PAM session, which the agent signals to end it), a JSON object, mode 0600, owned
 * by root, written to a temp file `.<pid>.json.XXXXXX` in the same directory and renamed into
 * place, so a reader sees a whole file or none (names starting with '.' are not sessions):
 *
 *   field       type              what
 *   request_id  string            the Lockbox request whose grant lets the session in
 *   user        string            the PAM user (the Lockbox username)
 *   resource    string            this host's resource id
 *   level       string            read, write or admin
 *   pid         integer           the process that opened the session
 *   sid         integer           its session id (getsid); 0 when the session leader lies
 *                                 outside this pid namespace (a container): the agent then
 *                                 ends pid and its descendants only
 *   tty         string or null    PAM_TTY
 *   service     string            the PAM service (sshd, login, ...)
 *   rhost       string or null    PAM_RHOST, the remote host
 *   host        string            this host's name
 *   opened_at   string            RFC 3339 UTC
 *   ends_at     string            the grant's end, RFC 3339 UTC
 *
 * The directory is made when missing (0700; missing parents 0755) and refused unless it is a
 * directory (not a link) owned by root and not writable by group or others. Strings are
 * borrowed; JSON texts handed out are the caller's (lb_free). Errors are negative LB_E* codes
 * with the reason in err; nothing is logged. Thread-safe (no shared state).
 */
#ifndef LB_PAM_PAM_SESSION_H
#define LB_PAM_PAM_SESSION_H

#include "util/buf.h"
#include "util/err.h"

#include <stddef.h>
#include <stdint.h>

struct pam_session {
    const char *request_id, *user, *resource, *level, *service, *host;
    const char *tty, *rhost; /* NULL when PAM has none */
    long pid, sid;
    int64_t opened_at, ends_at; /* Unix seconds */
};

/* The session file's JSON text (the table above) in *out (lb_free). */
LB_MUST_CHECK int pam_session_json(const struct pam_session *s, char **out);
/* The details of its session.open and session.close records, {"host","service","tty","rhost",
 * "pid","user"}, in *out (lb_free). */
LB_MUST_CHECK int pam_session_details_json(const struct pam_session *s, char **out);
/* Makes dir when missing and checks it (see above); LB_EIO, LB_EFORBIDDEN for a bad one. */
LB_MUST_CHECK int pam_session_dir_prepare(const char *dir, struct buf *err);
/* Writes dir/<s->pid>.json atomically, replacing an older one; dir must be prepared. */
LB_MUST_CHECK int pam_session_register(const char *dir, const struct pam_session *s,
                                       struct buf *err);
/* Removes dir/<pid>.json; LB_ENOTFOUND when there is none. */
LB_MUST_CHECK int pam_session_unregister(const char *dir, long pid, struct buf *err);
/* The request_id of dir/<pid>.json, copied into out (size bytes); LB_ENOTFOUND when there is
 * no such file, LB_EINVAL when it is not a session file. */
LB_MUST_CHECK int pam_session_request_id(const char *dir, long pid, char *out, size_t size,
                                         struct buf *err);

#endif
