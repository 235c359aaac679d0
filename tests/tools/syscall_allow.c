/*
 * syscall_allow FILE PROGRAM [ARG...]: runs PROGRAM under a seccomp allow-list, the system
 * calls named in FILE (one a line; names this machine does not know are skipped), every other
 * one answered EPERM; what systemd's SystemCallFilter= with SystemCallErrorNumber=EPERM does.
 * For tests that run lockboxd as examples/lockboxd.service would (0032-unit-syscall-filter).
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "util/banned.h"

int main(int argc, char **argv)
{
    scmp_filter_ctx ctx;
    char name[128];
    FILE *f;
    int rc = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: syscall_allow FILE PROGRAM [ARG...]\n");
        return 2;
    }
    if (!(f = fopen(argv[1], "r")) || !(ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM)))) {
        perror(argv[1]);
        return 1;
    }
    while (rc == 0 && fgets(name, sizeof(name), f)) {
        name[strcspn(name, "\n")] = '\0';
        int nr = seccomp_syscall_resolve_name(name);
        if (*name && nr != __NR_SCMP_ERROR)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
    }
    fclose(f);
    if (rc == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        rc = -errno;
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc) {
        fprintf(stderr, "syscall_allow: cannot install the filter: %s\n", strerror(-rc));
        return 1;
    }
    execv(argv[2], argv + 2);
    perror(argv[2]);
    return 1;
}
