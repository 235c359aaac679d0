/*
 * sandbox.h - lockboxd's own seccomp filter: the system calls it never makes are refused.
 *
 * sandbox_apply installs, with libseccomp, a filter that answers EPERM to a short deny-list
 * (running a program, changing identity or capabilities, mounts and namespaces (also by clone's
 * flags; clone3, whose flags it cannot read, answers ENOSYS so the C library uses clone),
 * io_uring, kernel modules, BPF, keyrings, the clock, reboot and the like) and ends the process on
 * a system call of a foreign architecture (the 32-bit ABI on x86-64); everything else is allowed,
 * so no library path lockboxd takes can meet a refusal it did not have before. It is a second wall
 * beside the systemd unit's allow-list, for a lockboxd started without one. Call it from main,
 * after the privileges are dropped (privdrop.h) and no_new_privs is set, before any thread is
 * started: threads inherit it. In a sanitizer build, ptrace and execve stay allowed (LeakSanitizer
 * traces its own threads; the symbolizer is a program). Returns 0, or LB_EIO with `err` saying
 * why; not thread-safe.
 */
#ifndef LB_DAEMON_SANDBOX_H
#define LB_DAEMON_SANDBOX_H

#include "util/buf.h"
#include "util/err.h"

#include <stddef.h>

/* Installs the filter; *refused is the number of system calls it refuses on this machine. */
LB_MUST_CHECK int sandbox_apply(size_t *refused, struct buf *err);

#endif
