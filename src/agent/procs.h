/*
 * procs.h - the processes of a login session, as /proc shows them, and ending them.
 *
 * The host agent ends a session whose grant ended: every process whose session id is the
 * session's, and every descendant of those (a login's shell may start its own session, as
 * sshd's does), gets SIGHUP (and SIGCONT, so a stopped one sees it), and after a grace the ones
 * left get SIGKILL. A process is known by its pid and its start time together, so a pid reused
 * in between is never signalled. Zombies count as gone. `proc_root` is "/proc" (tests may give
 * another tree). Not thread-safe (one caller at a time). Errors: LB_ENOTFOUND (no such
 * process), LB_EIO (cannot read /proc), LB_ENOMEM.
 */
#ifndef LB_AGENT_PROCS_H
#define LB_AGENT_PROCS_H

#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_info {
    pid_t pid, ppid, sid;
    char state;           /* 'R', 'S', ..., 'Z' (a zombie: already gone) */
    uint64_t start_ticks; /* clock ticks after boot */
    bool killed;          /* set by procs_terminate: it needed SIGKILL */
};

struct proc_list {
    struct proc_info *items;
    size_t count, cap;
};

void proc_list_clear(struct proc_list *l);

/* Reads the process pid; LB_ENOTFOUND when there is none (or it is a zombie). */
LB_MUST_CHECK int procs_read(const char *proc_root, pid_t pid, struct proc_info *out);
/* When p started, in Unix seconds (to the clock tick, 10 ms). */
double procs_start_time(const struct proc_info *p);
/* The processes of session sid and their descendants (sid's leader included when alive).
 * sid 0 is a session whose leader lies outside this pid namespace (a container): every process
 * there shows 0, so only pid and its descendants are the session's. */
LB_MUST_CHECK int procs_of_session(const char *proc_root, pid_t sid, pid_t pid,
                                   struct proc_list *out);
/* Ends the processes of l: SIGHUP and SIGCONT, up to grace_ms for them to go, then SIGKILL
 * (marking those `killed`). Returns 0, or LB_EIO when some could not be signalled. */
LB_MUST_CHECK int procs_terminate(const char *proc_root, struct proc_list *l, int64_t grace_ms);

#endif
