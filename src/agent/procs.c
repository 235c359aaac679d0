/* The processes of a login session, and ending them (procs.h). */
#include "agent/procs.h"

#include "util/mem.h"
#include "util/timeutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/banned.h"

#define POLL_MS 20

void proc_list_clear(struct proc_list *l)
{
    lb_free(l->items);
    memset(l, 0, sizeof(*l));
}

static int list_add(struct proc_list *l, const struct proc_info *p)
{
    if (lb_array_reserve(&l->items, &l->cap, l->count, sizeof(*l->items)) != 0)
        return LB_ENOMEM;
    l->items[l->count++] = *p;
    return 0;
}

/* Parses the text of /proc/PID/stat: the command may hold spaces and parentheses, so the
 * fields are counted from the last ')'. */
static int parse_stat(const char *text, struct proc_info *out)
{
    const char *p = strrchr(text, ')');
    long long v[20];
    char state;
    int n;

    memset(out, 0, sizeof(*out));
    if (!p || sscanf(text, "%d", &out->pid) != 1)
        return LB_EINVAL;
    /* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
     * cutime cstime priority nice threads itrealvalue starttime */
    n = sscanf(p + 1,
               " %c %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld "
               "%lld %lld %lld %lld %lld",
               &state, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10],
               &v[11], &v[12], &v[13], &v[14], &v[15], &v[16], &v[17], &v[18]);
    if (n != 20)
        return LB_EINVAL;
    out->state = state;
    out->ppid = (pid_t)v[0];
    out->sid = (pid_t)v[2];
    out->start_ticks = (uint64_t)v[18];
    return 0;
}

/* Reads /proc/PID/stat even of a zombie. */
static int read_any(const char *proc_root, pid_t pid, struct proc_info *out)
{
    char path[256], text[1024];
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "%s/%d/stat", proc_root, (int)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return errno == ENOENT || errno == ESRCH ? LB_ENOTFOUND : LB_EIO;
    n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0)
        return LB_ENOTFOUND; /* it went while we read */
    text[n] = '\0';
    return parse_stat(text, out);
}

int procs_read(const char *proc_root, pid_t pid, struct proc_info *out)
{
    int rc = read_any(proc_root, pid, out);

    if (rc == 0 && out->state == 'Z')
        return LB_ENOTFOUND;
    return rc;
}

double procs_start_time(const struct proc_info *p)
{
    struct timespec real, boot;
    long hz = sysconf(_SC_CLK_TCK);

    /* the boot's wall-clock time, to the nanosecond (btime in /proc/stat is whole seconds) */
    clock_gettime(CLOCK_REALTIME, &real);
    clock_gettime(CLOCK_BOOTTIME, &boot);
    double booted =
        (double)(real.tv_sec - boot.tv_sec) + (double)(real.tv_nsec - boot.tv_nsec) / 1e9;
    return booted + (double)p->start_ticks / (double)(hz > 0 ? hz : 100);
}

/* Every live process of the system. */
static int all_procs(const char *proc_root, struct proc_list *out)
{
    DIR *d = opendir(proc_root);
    struct dirent *e;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (!d)
        return LB_EIO;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        struct proc_info p;
        if (*end || pid <= 0)
            continue;
        if (procs_read(proc_root, (pid_t)pid, &p) == 0)
            rc = list_add(out, &p);
    }
    closedir(d);
    if (rc)
        proc_list_clear(out);
    return rc;
}

static bool has_pid(const struct proc_list *l, pid_t pid)
{
    for (size_t i = 0; i < l->count; i++)
        if (l->items[i].pid == pid)
            return true;
    return false;
}

int procs_of_session(const char *proc_root, pid_t sid, pid_t pid, struct proc_list *out)
{
    struct proc_list all = {0};
    bool grew = true;
    int rc;

    memset(out, 0, sizeof(*out));
    if (sid == 1 || sid < 0 || pid <= 1)
        return LB_EINVAL;
    if ((rc = all_procs(proc_root, &all)) != 0)
        return rc;
    for (size_t i = 0; rc == 0 && i < all.count; i++)
        if (sid ? all.items[i].sid == sid : all.items[i].pid == pid)
            rc = list_add(out, &all.items[i]);
    /* and their descendants, generation by generation */
    while (rc == 0 && grew) {
        grew = false;
        for (size_t i = 0; rc == 0 && i < all.count; i++) {
            const struct proc_info *p = &all.items[i];
            if (p->pid > 1 && has_pid(out, p->ppid) && !has_pid(out, p->pid)) {
                rc = list_add(out, p);
                grew = true;
            }
        }
    }
    proc_list_clear(&all);
    if (rc)
        proc_list_clear(out);
    return rc;
}

/* true when p is still the very process (same pid, same start) and not a zombie. */
static bool still_there(const char *proc_root, const struct proc_info *p)
{
    struct proc_info now;

    return procs_read(proc_root, p->pid, &now) == 0 && now.start_ticks == p->start_ticks;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int procs_terminate(const char *proc_root, struct proc_list *l, int64_t grace_ms)
{
    int64_t deadline = time_mono_us() + grace_ms * 1000;
    bool left = true, refused = false;

    for (size_t i = 0; i < l->count; i++) {
        if (l->items[i].pid <= 1 || !still_there(proc_root, &l->items[i]))
            continue;
        if (kill(l->items[i].pid, SIGHUP) != 0 && errno == EPERM)
            refused = true;
        (void)kill(l->items[i].pid, SIGCONT);
    }
    while (left && time_mono_us() < deadline) {
        left = false;
        for (size_t i = 0; i < l->count && !left; i++)
            left = l->items[i].pid > 1 && still_there(proc_root, &l->items[i]);
        if (left)
            sleep_ms(POLL_MS);
    }
    for (size_t i = 0; left && i < l->count; i++) {
        if (l->items[i].pid <= 1 || !still_there(proc_root, &l->items[i]))
            continue;
        if (kill(l->items[i].pid, SIGKILL) == 0)
            l->items[i].killed = true;
        else if (errno == EPERM)
            refused = true;
    }
    return refused ? LB_EIO : 0;
}
