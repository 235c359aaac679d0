/* lockboxd's seccomp filter (sandbox.h). */
#include "daemon/sandbox.h"

#include <errno.h>
#include <linux/sched.h> /* CLONE_NEW*, without _GNU_SOURCE */
#include <seccomp.h>
#include <string.h>

#include "util/banned.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANDBOX_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANDBOX_SANITIZED 1
#endif
#endif

/* What lockboxd never does; names this kernel or libseccomp does not know are skipped. */
static const char *const refused_calls[] = {
#ifndef SANDBOX_SANITIZED
    "execve", "execveat", "ptrace",
#endif
    /* another process's memory */
    "process_vm_readv", "process_vm_writev",
    /* identity and capabilities: dropped before the filter, never taken back */
    "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups", "setfsuid",
    "setfsgid", "capset",
    /* mounts, namespaces, the root directory */
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "open_tree", "move_mount",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    /* the kernel and the machine */
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
    "swapon", "swapoff", "acct", "bpf", "perf_event_open", "userfaultfd", "syslog", "quotactl",
    "iopl", "ioperm", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname",
    "setdomainname", "keyctl", "add_key", "request_key",
    /* io_uring's operations are never seen by a seccomp filter */
    "io_uring_setup", "io_uring_enter", "io_uring_register"};

/* clone(2)'s flags that make a namespace (CLONE_NEWTIME only exists for clone3 and unshare) */
static const unsigned long namespace_flags[] = {CLONE_NEWNS,  CLONE_NEWCGROUP, CLONE_NEWUTS,
                                                CLONE_NEWIPC, CLONE_NEWUSER,   CLONE_NEWPID,
                                                CLONE_NEWNET};

/* New namespaces by clone: its flags are refused; clone3 passes them in memory a filter cannot
 * read, so it answers ENOSYS and the C library falls back to clone (as systemd does). */
static int refuse_namespaces(scmp_filter_ctx ctx, size_t *refused)
{
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);

    for (size_t i = 0; rc == 0 && i < sizeof(namespace_flags) / sizeof(namespace_flags[0]); i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, namespace_flags[i], namespace_flags[i]));
    if (rc == 0)
        *refused += 2;
    return rc;
}

int sandbox_apply(size_t *refused, struct buf *err)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    int rc = 0;

    *refused = 0;
    if (!ctx) {
        buf_appendf(err, "seccomp: cannot make a filter");
        return LB_EIO;
    }
    /* a call through another ABI would slip past a list of native numbers: it ends the
     * process, or its thread where seccomp(2) itself is filtered (as under systemd's
     * @system-service, which allows prctl's older way in but not killing the process) */
    if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) != 0)
        rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL);
    for (size_t i = 0; rc == 0 && i < sizeof(refused_calls) / sizeof(refused_calls[0]); i++) {
        int nr = seccomp_syscall_resolve_name(refused_calls[i]);
        if (nr == __NR_SCMP_ERROR)
            continue;
        if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0)) == 0)
            (*refused)++;
    }
    if (rc == 0)
        rc = refuse_namespaces(ctx, refused);
    if (rc == 0)
        rc = seccomp_load(ctx);
    if (rc)
        buf_appendf(err, "seccomp: cannot install the filter: %s", strerror(-rc));
    seccomp_release(ctx);
    return rc ? LB_EIO : 0;
}
