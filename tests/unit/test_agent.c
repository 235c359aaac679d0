/*
 * lockbox-agent's parts that judge what it reads and whom it signals: the session registry
 * (only root's 0600 regular files named after their pid, with sane fields, are believed) and
 * the processes of a session (found by session id and descent, ended with SIGHUP and, for one
 * that ignores it, SIGKILL after the grace; a pid is known with its start time). The process
 * tests fork real processes in sessions of their own. Needs root for files owned by root.
 */
#include "agent/procs.h"
#include "agent/registry.h"
#include "util/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

#define GOOD                                                                                       \
    "{\"request_id\":\"0b6f7d6e-1a2b-4c3d-8e9f-001122334455\",\"user\":\"eve\","                   \
    "\"resource\":\"/subscriptions/s1/vms/web1\",\"level\":\"read\",\"pid\":%d,\"sid\":%d,"        \
    "\"tty\":\"pts/3\",\"service\":\"sshd\",\"rhost\":null,\"host\":\"web1\","                     \
    "\"opened_at\":\"2026-12-01T10:00:00.250Z\",\"ends_at\":\"2026-12-01T18:00:00Z\"}"

struct dir {
    char path[64];
    int fd;
};

static int setup(void **state)
{
    struct dir *d = calloc(1, sizeof(*d));

    if (!d)
        return -1;
    snprintf(d->path, sizeof(d->path), "/tmp/lockbox-agent-XXXXXX");
    assert_non_null(mkdtemp(d->path));
    d->fd = open(d->path, O_RDONLY | O_DIRECTORY);
    assert_true(d->fd >= 0);
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    struct dir *d = *state;
    char cmd[96];

    close(d->fd);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", d->path);
    assert_int_equal(system(cmd), 0);
    free(d);
    return 0;
}

/* Writes name in d holding text, with mode and owner. */
static void put(struct dir *d, const char *name, const char *text, mode_t mode, uid_t owner)
{
    int fd = openat(d->fd, name, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    assert_int_equal(fchown(fd, owner, owner), 0);
    close(fd);
}

/* Reads name and answers the error's text ("" when read). */
static int read_as(struct dir *d, const char *name, struct agent_session *s, struct buf *err)
{
    buf_reset(err);
    return registry_read(d->fd, name, s, err);
}

static void a_good_file_is_read(void **state)
{
    struct dir *d = *state;
    struct agent_session s;
    struct buf err = BUF_INIT;
    char text[1024];

    snprintf(text, sizeof(text), GOOD, 4242, 4242);
    put(d, "4242.json", text, 0600, 0);
    assert_int_equal(read_as(d, "4242.json", &s, &err), 0);
    assert_string_equal(s.user, "eve");
    assert_string_equal(s.resource, "/subscriptions/s1/vms/web1");
    assert_string_equal(s.level, "read");
    assert_int_equal(s.pid, 4242);
    assert_int_equal(s.sid, 4242);
    assert_string_equal(s.tty, "pts/3");
    assert_null(s.rhost);
    assert_true(s.opened_exact);
    assert_true(s.opened_at > 1796119200.24 && s.opened_at < 1796119200.26);
    assert_int_equal(s.ends_at, 1796148000);
    /* only the very file read is removed: not another one put in its place */
    put(d, "new", text, 0600, 0);
    assert_int_equal(renameat(d->fd, "new", d->fd, "4242.json"), 0);
    assert_int_equal(registry_remove(d->fd, &s), 0);
    assert_int_equal(faccessat(d->fd, "4242.json", F_OK, 0), 0);
    agent_session_clear(&s);
    assert_int_equal(read_as(d, "4242.json", &s, &err), 0);
    assert_int_equal(registry_remove(d->fd, &s), 0);
    assert_int_equal(faccessat(d->fd, "4242.json", F_OK, 0), -1);
    agent_session_clear(&s);
    buf_release(&err);
}

static void files_not_roots_alone_are_refused(void **state)
{
    struct dir *d = *state;
    struct agent_session s;
    struct buf err = BUF_INIT;
    char text[1024];

    snprintf(text, sizeof(text), GOOD, 100, 100);
    put(d, "100.json", text, 0644, 0);
    assert_int_equal(read_as(d, "100.json", &s, &err), LB_EINVAL);
    assert_non_null(strstr(buf_cstr(&err), "group or others"));
    put(d, "100.json", text, 0600, 65534);
    assert_int_equal(read_as(d, "100.json", &s, &err), LB_EINVAL);
    assert_non_null(strstr(buf_cstr(&err), "not owned by root"));
    put(d, "real", text, 0600, 0);
    assert_int_equal(symlinkat("real", d->fd, "101.json"), 0);
    assert_int_equal(read_as(d, "101.json", &s, &err), LB_EINVAL);
    assert_non_null(strstr(buf_cstr(&err), "symbolic link"));
    assert_int_equal(mkdirat(d->fd, "102.json", 0700), 0);
    assert_int_equal(read_as(d, "102.json", &s, &err), LB_EINVAL);
    assert_int_equal(read_as(d, "103.json", &s, &err), LB_ENOTFOUND);
    assert_int_equal(read_as(d, "real", &s, &err), LB_EINVAL); /* not <pid>.json */
    buf_release(&err);
}

static void bad_contents_are_refused(void **state)
{
    struct dir *d = *state;
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"not json", "not JSON"},
        {"[1]", "not a JSON object"},
        {"{\"user\":\"eve\"}", "request_id: missing"},
        {"{\"request_id\":\"x y\",\"user\":\"eve\",\"resource\":\"/r\",\"level\":\"read\","
         "\"pid\":200,\"sid\":200,\"opened_at\":\"2026-12-01T10:00:00Z\","
         "\"ends_at\":\"2026-12-01T18:00:00Z\"}",
         "request_id: not a request id"},
        {"{\"request_id\":\"ab\",\"user\":\"eve\",\"resource\":\"/r\",\"level\":\"root\","
         "\"pid\":200,\"sid\":200,\"opened_at\":\"2026-12-01T10:00:00Z\","
         "\"ends_at\":\"2026-12-01T18:00:00Z\"}",
         "level"},
        {"{\"request_id\":\"ab\",\"user\":\"eve\",\"resource\":\"/r\",\"level\":\"read\","
         "\"pid\":1,\"sid\":200,\"opened_at\":\"2026-12-01T10:00:00Z\","
         "\"ends_at\":\"2026-12-01T18:00:00Z\"}",
         "pid: not a process id"},
        {"{\"request_id\":\"ab\",\"user\":\"eve\",\"resource\":\"/r\",\"level\":\"read\","
         "\"pid\":200,\"sid\":1,\"opened_at\":\"2026-12-01T10:00:00Z\","
         "\"ends_at\":\"2026-12-01T18:00:00Z\"}",
         "sid: not a process id"},
        {"{\"request_id\":\"ab\",\"user\":\"eve\",\"resource\":\"/r\",\"level\":\"read\","
         "\"pid\":200,\"sid\":-3,\"opened_at\":\"2026-12-01T10:00:00Z\","
         "\"ends_at\":\"2026-12-01T18:00:00Z\"}",
         "sid: not a process id"},
        {"{\"request_id\":\"ab\",\"user\":\"eve\",\"resource\":\"/r\",\"level\":\"read\","
         "\"pid\":201,\"sid\":200,\"opened_at\":\"2026-12-01T10:00:00Z\","
         "\"ends_at\":\"2026-12-01T18:00:00Z\"}",
         "its name is not its pid"},
        {"{\"request_id\":\"ab\",\"user\":\"e\\nve\",\"resource\":\"/r\",\"level\":\"read\","
         "\"pid\":200,\"sid\":200,\"opened_at\":\"2026-12-01T10:00:00Z\","
         "\"ends_at\":\"2026-12-01T18:00:00Z\"}",
         "control character"},
        {"{\"request_id\":\"ab\",\"user\":\"eve\",\"resource\":\"/r\",\"level\":\"read\","
         "\"pid\":200,\"sid\":200,\"opened_at\":\"yesterday\","
         "\"ends_at\":\"2026-12-01T18:00:00Z\"}",
         "opened_at: not an RFC 3339 time"},
    };
    struct agent_session s;
    struct buf err = BUF_INIT;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        put(d, "200.json", bad[i].text, 0600, 0);
        assert_int_equal(read_as(d, "200.json", &s, &err), LB_EINVAL);
        if (!strstr(buf_cstr(&err), bad[i].why))
            fail_msg("case %zu: '%s' does not say '%s'", i, buf_cstr(&err), bad[i].why);
    }
    buf_release(&err);
}

static void the_registry_dir_is_roots(void **state)
{
    struct dir *d = *state;
    struct buf err = BUF_INIT;

    assert_int_equal(fchmod(d->fd, 0700), 0);
    assert_int_equal(registry_dir_check(d->fd, &err), 0);
    assert_int_equal(fchmod(d->fd, 0777), 0);
    assert_int_equal(registry_dir_check(d->fd, &err), LB_EINVAL);
    assert_int_equal(fchmod(d->fd, 0700), 0);
    buf_release(&err);
}

/* A child running sh with two children, one ignoring SIGHUP; in a session of its own or not. */
static pid_t session_of_three(bool own_session)
{
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        if (own_session)
            setsid();
        execl("/bin/sh", "sh", "-c", "sleep 600 & (trap '' HUP; exec sleep 600) & wait", NULL);
        _exit(127);
    }
    return pid;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static void a_session_is_found_and_ended(void **state)
{
    struct proc_list l = {0};
    struct proc_info me, p;
    pid_t leader = session_of_three(true);
    size_t killed = 0;
    double now = (double)time(NULL);

    (void)state;
    for (int i = 0; i < 250 && l.count < 3; i++) {
        proc_list_clear(&l);
        sleep_ms(20);
        assert_int_equal(procs_of_session("/proc", leader, leader, &l), 0);
    }
    assert_int_equal(l.count, 3);
    assert_int_equal(procs_read("/proc", leader, &p), 0);
    assert_int_equal(p.sid, leader);
    /* it started a moment ago, by the wall clock */
    assert_true(procs_start_time(&p) > now - 5 && procs_start_time(&p) < now + 5);
    assert_int_equal(procs_read("/proc", getpid(), &me), 0);
    assert_true(me.sid != leader);
    for (size_t i = 0; i < l.count; i++)
        assert_true(l.items[i].pid != getpid());
    /* SIGHUP ends two; the one that ignores it is killed after the grace */
    assert_int_equal(procs_terminate("/proc", &l, 300), 0);
    for (size_t i = 0; i < l.count; i++)
        killed += l.items[i].killed;
    assert_int_equal(killed, 1);
    assert_int_equal(waitpid(leader, NULL, 0), leader);
    for (size_t i = 0; i < l.count; i++) /* SIGKILL takes effect when next scheduled */
        for (int tries = 0; tries < 100 && procs_read("/proc", l.items[i].pid, &p) == 0; tries++)
            sleep_ms(10);
    for (size_t i = 0; i < l.count; i++)
        assert_int_not_equal(procs_read("/proc", l.items[i].pid, &p), 0);
    proc_list_clear(&l);
    assert_int_equal(procs_read("/proc", leader, &p), LB_ENOTFOUND);
    assert_int_equal(procs_of_session("/proc", 1, 200, &l), LB_EINVAL); /* never init's session */
}

/* sid 0: the leader is outside this pid namespace, so the session is its pid and descendants. */
static void a_session_without_a_visible_leader_is_its_pid_and_descendants(void **state)
{
    struct proc_list l = {0};
    struct proc_info p;
    pid_t top = session_of_three(false);

    (void)state;
    for (int i = 0; i < 250 && l.count < 3; i++) {
        proc_list_clear(&l);
        sleep_ms(20);
        assert_int_equal(procs_of_session("/proc", 0, top, &l), 0);
    }
    assert_int_equal(l.count, 3); /* not this process, nor anything else of its session */
    for (size_t i = 0; i < l.count; i++)
        assert_true(l.items[i].pid == top || l.items[i].ppid == top);
    assert_int_equal(procs_terminate("/proc", &l, 300), 0);
    assert_int_equal(waitpid(top, NULL, 0), top);
    for (size_t i = 0; i < l.count; i++)
        for (int tries = 0; tries < 100 && procs_read("/proc", l.items[i].pid, &p) == 0; tries++)
            sleep_ms(10);
    for (size_t i = 0; i < l.count; i++)
        assert_int_not_equal(procs_read("/proc", l.items[i].pid, &p), 0);
    proc_list_clear(&l);
    assert_int_equal(procs_read("/proc", getpid(), &p), 0); /* and this one lives on */
    assert_int_equal(procs_of_session("/proc", 0, 1, &l), LB_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_good_file_is_read, setup, teardown),
        cmocka_unit_test_setup_teardown(files_not_roots_alone_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_contents_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(the_registry_dir_is_roots, setup, teardown),
        cmocka_unit_test(a_session_is_found_and_ended),
        cmocka_unit_test(a_session_without_a_visible_leader_is_its_pid_and_descendants),
    };

    if (geteuid() != 0) {
        printf("test_agent needs root (files owned by root); skipped\n");
        return 77;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
