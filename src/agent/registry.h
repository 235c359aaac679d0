/*
 * registry.h - the session registry: one file per open login session that a grant allowed,
 * written by pam_lockbox (atomically, mode 0600, owned by root) as DIR/<pid>.json and removed
 * by it when the session closes; the host agent reads them, and removes the file of a session
 * it ended.
 *
 *   {"request_id","user","resource","level","pid","sid","tty","service","rhost","host",
 *    "opened_at","ends_at"}       pid, sid: integers; times: RFC 3339 UTC; tty, service,
 *                                 rhost, host: strings, may be absent or null
 *
 * Nothing in a file is trusted until it passes registry_read: a regular file (not a link),
 * owned by root, without group or other permissions, at most REGISTRY_MAX_SIZE bytes, named
 * after its pid, holding every required field with a sane value. Whether its pid is still the
 * session's process is the agent's question (procs.h). Not thread-safe per session struct.
 * Errors: LB_EINVAL (with err saying why), LB_ENOTFOUND (no such file), LB_EIO, LB_ENOMEM.
 */
#ifndef LB_AGENT_REGISTRY_H
#define LB_AGENT_REGISTRY_H

#include "util/buf.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define REGISTRY_MAX_SIZE (64 * 1024)
#define REGISTRY_NAME_MAX 32 /* "<pid>.json" and a NUL */

/* One registered session, as read from its file. */
struct agent_session {
    char name[REGISTRY_NAME_MAX]; /* the file's name in the registry */
    dev_t dev;                    /* the file read: only that one is ever removed */
    ino_t ino;
    char *request_id, *user, *resource, *level; /* (owned) */
    char *tty, *service, *rhost, *host;         /* (owned) NULL when not given */
    pid_t pid, sid;
    double opened_at;  /* Unix seconds, with its fraction when the file gave one */
    bool opened_exact; /* opened_at had a fraction (else it is only known to the second) */
    int64_t ends_at;   /* Unix seconds: when the grant ends */
};

void agent_session_clear(struct agent_session *s);
/* true when name looks like a registry file's ("<digits>.json"). */
bool registry_name_is_valid(const char *name);
/* Reads the file name of the directory dirfd into out (cleared by the caller). */
LB_MUST_CHECK int registry_read(int dirfd, const char *name, struct agent_session *out,
                                struct buf *err);
/* Removes the file of s if it is still the one read (same inode); 0 also when it is gone. */
LB_MUST_CHECK int registry_remove(int dirfd, const struct agent_session *s);
/* Checks the registry directory itself: a directory owned by root that nobody else may write
 * to; LB_EINVAL (err says why) otherwise. */
LB_MUST_CHECK int registry_dir_check(int dirfd, struct buf *err);

#endif
