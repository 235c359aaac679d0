/*
 * lockboxd's seccomp filter (daemon/sandbox.c): in a child process that installed it, what the
 * deny-list names is refused with EPERM (calls any process may otherwise make: unshare(0),
 * setuid to its own uid, a clone into a new namespace), clone3 answers ENOSYS, while ordinary
 * calls go on, threads included (the C library falls back from clone3 to clone).
 */
#define _GNU_SOURCE /* unshare */
#include "daemon/sandbox.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

/* Runs fn in a child that installed the filter first; its exit status (90: no filter). */
static int with_filter(int (*fn)(void))
{
    int status = 0;
    pid_t pid = fork();

    if (pid == 0) {
        struct buf err = BUF_INIT;
        size_t refused = 0;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || sandbox_apply(&refused, &err) != 0 ||
            refused < 30)
            _exit(90);
        _exit(fn());
    }
    assert_true(pid > 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static int refuses_unshare(void)
{
    return unshare(0) == -1 && errno == EPERM ? 0 : 1;
}

static int refuses_setuid(void)
{
    return setuid(getuid()) == -1 && errno == EPERM ? 0 : 1;
}

static int refuses_namespaces(void)
{
    long clone3 = syscall(SYS_clone3, NULL, (size_t)0);

    if (clone3 != -1 || errno != ENOSYS)
        return 1;
    /* a new user namespace: any user may make one without the filter */
    long child = syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), NULL, NULL, NULL, 0);
    if (child == 0)
        _exit(0);
    return child == -1 && errno == EPERM ? 0 : 1;
}

static void *thread_main(void *arg)
{
    return arg;
}

static int allows_threads(void)
{
    pthread_t t;
    void *got = NULL;
    int x = 0;

    if (pthread_create(&t, NULL, thread_main, &x) != 0 || pthread_join(t, &got) != 0)
        return 1;
    return got == &x ? 0 : 1;
}

static int allows_ordinary_calls(void)
{
    int fd[2];
    char c = 0;

    if (pipe(fd) != 0 || write(fd[1], "x", 1) != 1 || read(fd[0], &c, 1) != 1)
        return 1;
    return c == 'x' && getpid() > 0 && close(fd[0]) == 0 && close(fd[1]) == 0 ? 0 : 1;
}

static void listed_calls_are_refused(void **state)
{
    (void)state;
    /* without the filter both succeed, for any user */
    assert_int_equal(unshare(0), 0);
    assert_int_equal(with_filter(refuses_unshare), 0);
    assert_int_equal(with_filter(refuses_setuid), 0);
    assert_int_equal(with_filter(refuses_namespaces), 0);
}

static void other_calls_go_on(void **state)
{
    (void)state;
    assert_int_equal(with_filter(allows_ordinary_calls), 0);
    assert_int_equal(with_filter(allows_threads), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(listed_calls_are_refused),
        cmocka_unit_test(other_calls_go_on),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
