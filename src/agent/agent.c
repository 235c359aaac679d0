/* lockbox-agent's engine: which sessions end, and when (agent.h). */
#include "agent/agent.h"

#include "agent/procs.h"
#include "agent/registry.h"
#include "lockbox/lockbox.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/banned.h"

#define RETRY_US (5 * 1000000LL) /* a check or a record that got no answer */
#define REPORT_GIVE_UP_US (86400 * 1000000LL)
#define REQUEST_ID_MAX 64

/* A registered session the agent keeps. */
struct tracked {
    struct agent_session s;
    bool live;            /* its process is the session's: it may be ended */
    bool checked;         /* Lockbox was asked about it since it came (or the last recheck) */
    int64_t check_due_us; /* when to ask again after no answer */
    bool seen;            /* in the latest read of the registry */
    bool end;             /* to be ended now */
    const char *reason;   /* why (a string literal) */
    size_t first, last;   /* its processes in end_marked's list: [first, last) */
};

/* A file of the registry that is refused, remembered so it is logged once. */
struct refused {
    char name[REGISTRY_NAME_MAX];
    ino_t ino;
    bool seen;
};

/* A session.terminated record not yet taken by Lockbox. */
struct report {
    char *request_id, *target, *details; /* (owned) */
    int64_t due_us, given_up_us;
};

/* A request whose sessions end (from the stream). */
struct ending {
    char request_id[REQUEST_ID_MAX];
    const char *reason;
};

struct agent {
    char *session_dir, *proc_root, *host; /* (owned) */
    int64_t grace_ms, rescan_us;
    struct lockbox *api; /* (borrowed) used by agent_run's thread only */
    pid_t own_sid;
    pthread_mutex_t lock; /* guards what other threads hand over: */
    pthread_cond_t cond;
    bool stopping, recheck, woken;
    struct ending *endings;
    size_t ending_count, ending_cap;
    /* agent_run's own */
    struct tracked *sessions;
    size_t count, cap;
    struct refused *refused;
    size_t refused_count, refused_cap;
    struct report *reports;
    size_t report_count, report_cap;
    bool dir_refused;
};

int agent_new(const struct agent_config *cfg, struct lockbox *api, struct agent **out)
{
    struct agent *a = lb_calloc(1, sizeof(*a));
    pthread_condattr_t attr;

    if (!a)
        return LB_ENOMEM;
    a->session_dir = lb_strdup(cfg->session_dir);
    a->proc_root = lb_strdup(cfg->proc_root ? cfg->proc_root : "/proc");
    a->host = lb_strdup(cfg->host ? cfg->host : "");
    if (!a->session_dir || !a->proc_root || !a->host) {
        agent_free(a);
        return LB_ENOMEM;
    }
    a->grace_ms = cfg->grace_ms > 0 ? cfg->grace_ms : 2000;
    a->rescan_us = (cfg->rescan_ms > 0 ? cfg->rescan_ms : 1000) * 1000;
    a->api = api;
    a->own_sid = getsid(0);
    a->recheck = true; /* sessions opened before the agent started are checked at once */
    pthread_mutex_init(&a->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&a->cond, &attr);
    pthread_condattr_destroy(&attr);
    *out = a;
    return 0;
}

void agent_free(struct agent *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->count; i++)
        agent_session_clear(&a->sessions[i].s);
    for (size_t i = 0; i < a->report_count; i++) {
        lb_free(a->reports[i].request_id);
        lb_free(a->reports[i].target);
        lb_free(a->reports[i].details);
    }
    if (a->session_dir) {
        pthread_cond_destroy(&a->cond);
        pthread_mutex_destroy(&a->lock);
    }
    lb_free(a->sessions);
    lb_free(a->refused);
    lb_free(a->reports);
    lb_free(a->endings);
    lb_free(a->session_dir);
    lb_free(a->proc_root);
    lb_free(a->host);
    lb_free(a);
}

static void wake(struct agent *a)
{
    a->woken = true;
    pthread_cond_signal(&a->cond);
}

/* ---- what other threads hand over ---- */

/* Why a request's status ends its sessions, or NULL when it does not. */
static const char *ending_reason(const char *status)
{
    static const struct {
        const char *status, *reason;
    } ends[] = {
        {"revoked", "its grant was revoked"},     {"completed", "its grant ended"},
        {"canceled", "its request was canceled"}, {"denied", "its request was denied"},
        {"expired", "its request expired"},
    };

    for (size_t i = 0; status && i < sizeof(ends) / sizeof(ends[0]); i++)
        if (strcmp(status, ends[i].status) == 0)
            return ends[i].reason;
    return NULL;
}

void agent_event(struct agent *a, const char *type, const char *data)
{
    json_t *j, *req;
    const char *id, *reason;

    if (strcmp(type, "reset") == 0) {
        log_warn("agent: the stream was reset (events were missed): checking every session");
        agent_recheck(a);
        return;
    }
    if (strncmp(type, "request.", 8) != 0 || !(j = json_loads(data, 0, NULL)))
        return;
    req = json_object_get(j, "request");
    id = json_string_value(json_object_get(req, "id"));
    reason = ending_reason(json_string_value(json_object_get(req, "status")));
    log_debug("agent: event type=%s request=%s", type, id ? id : "?");
    if (id && reason && strlen(id) < REQUEST_ID_MAX) {
        pthread_mutex_lock(&a->lock);
        if (lb_array_reserve(&a->endings, &a->ending_cap, a->ending_count, sizeof(*a->endings)) ==
            0) {
            struct ending *e = &a->endings[a->ending_count++];
            memcpy(e->request_id, id, strlen(id) + 1);
            e->reason = reason;
        } else {
            a->recheck = true; /* out of memory: the check finds it instead */
        }
        wake(a);
        pthread_mutex_unlock(&a->lock);
    }
    json_decref(j);
}

void agent_recheck(struct agent *a)
{
    pthread_mutex_lock(&a->lock);
    a->recheck = true;
    wake(a);
    pthread_mutex_unlock(&a->lock);
}

void agent_stop(struct agent *a)
{
    pthread_mutex_lock(&a->lock);
    a->stopping = true;
    wake(a);
    pthread_mutex_unlock(&a->lock);
}

/* ---- the registry ---- */

/* Whether pid is the agent or one of its ancestors (ending it would end the agent). */
static bool is_agents_ancestor(struct agent *a, pid_t pid)
{
    struct proc_info p;
    pid_t up = getpid();

    for (int depth = 0; depth < 64 && up > 1; depth++) {
        if (up == pid)
            return true;
        if (procs_read(a->proc_root, up, &p) != 0)
            return false;
        up = p.ppid;
    }
    return false;
}

/* Whether the process of s is still its session's; *why says why not. */
static bool process_is_sessions(struct agent *a, const struct agent_session *s, const char **why)
{
    struct proc_info p;
    /* opened_at to the second may be up to 1 s before the (fraction of the) start */
    double slack = s->opened_exact ? 0.05 : 1.0;

    if (procs_read(a->proc_root, s->pid, &p) != 0)
        *why = "its process is gone";
    else if (p.sid != s->sid)
        *why = "its process is in another session (a foreign pid)";
    else if (procs_start_time(&p) > s->opened_at + slack)
        *why = "its process started after the session opened (a reused pid)";
    else if (s->sid ? s->sid == a->own_sid : is_agents_ancestor(a, s->pid))
        *why = "it is the agent's own session";
    else
        return true;
    return false;
}

static struct refused *refused_find(struct agent *a, const char *name, ino_t ino)
{
    for (size_t i = 0; i < a->refused_count; i++)
        if (a->refused[i].ino == ino && strcmp(a->refused[i].name, name) == 0)
            return &a->refused[i];
    return NULL;
}

/* Reads a file the agent does not know yet: tracked, or refused (logged once). */
static void read_new(struct agent *a, int dirfd, const char *name, ino_t ino)
{
    struct buf err = BUF_INIT;
    struct agent_session s;
    struct refused *r = refused_find(a, name, ino);
    const char *why = NULL;
    int rc;

    if (r) {
        r->seen = true;
        return;
    }
    rc = registry_read(dirfd, name, &s, &err);
    if (rc == LB_ENOTFOUND) {
        buf_release(&err);
        return;
    }
    if (rc == 0 && lb_array_reserve(&a->sessions, &a->cap, a->count, sizeof(*a->sessions)) != 0)
        rc = LB_ENOMEM;
    if (rc == 0) {
        struct tracked *t = &a->sessions[a->count++];
        memset(t, 0, sizeof(*t));
        t->s = s;
        t->seen = true;
        t->live = process_is_sessions(a, &t->s, &why);
        if (t->live)
            log_info("agent: session registered file=%s pid=%d user=%s resource=%s request=%s "
                     "ends_at=%lld",
                     name, (int)s.pid, s.user, s.resource, s.request_id, (long long)s.ends_at);
        else
            log_warn("agent: session file=%s is not ended by the agent: %s", name, why);
    } else if (lb_array_reserve(&a->refused, &a->refused_cap, a->refused_count,
                                sizeof(*a->refused)) == 0) {
        r = &a->refused[a->refused_count++];
        memset(r, 0, sizeof(*r));
        /* a valid registry name (registry_name_is_valid) always fits */
        snprintf(r->name, sizeof(r->name), "%.*s", (int)sizeof(r->name) - 1, name);
        r->ino = ino;
        r->seen = true;
        log_warn("agent: session file=%s/%s refused: %s", a->session_dir, name,
                 rc == LB_EINVAL ? buf_cstr(&err) : lb_strerror(rc));
    }
    buf_release(&err);
}

/* Reads the registry again: new files are read, gone ones forgotten (their session closed). */
static void scan(struct agent *a)
{
    struct buf err = BUF_INIT;
    DIR *d = opendir(a->session_dir);
    struct dirent *e;
    size_t kept = 0;

    for (size_t i = 0; i < a->count; i++)
        a->sessions[i].seen = false;
    for (size_t i = 0; i < a->refused_count; i++)
        a->refused[i].seen = false;
    if (d && registry_dir_check(dirfd(d), &err) != 0) {
        if (!a->dir_refused)
            log_error("agent: session_dir=%s refused: %s", a->session_dir, buf_cstr(&err));
        a->dir_refused = true;
        closedir(d);
        d = NULL;
    } else if (d) {
        a->dir_refused = false;
    }
    while (d && (e = readdir(d)) != NULL) {
        bool known = false;
        if (!registry_name_is_valid(e->d_name))
            continue;
        for (size_t i = 0; i < a->count && !known; i++)
            if (a->sessions[i].s.ino == e->d_ino && strcmp(a->sessions[i].s.name, e->d_name) == 0)
                known = a->sessions[i].seen = true;
        if (!known)
            read_new(a, dirfd(d), e->d_name, e->d_ino);
    }
    if (d)
        closedir(d);
    buf_release(&err);
    for (size_t i = 0; i < a->count; i++) {
        struct tracked *t = &a->sessions[i];
        const char *why = NULL;
        if (!t->seen) {
            log_debug("agent: session closed file=%s", t->s.name);
            agent_session_clear(&t->s);
            continue;
        }
        if (t->live && !process_is_sessions(a, &t->s, &why)) {
            log_info("agent: session file=%s is no longer followed: %s", t->s.name, why);
            t->live = false;
        }
        a->sessions[kept++] = *t;
    }
    a->count = kept;
    kept = 0;
    for (size_t i = 0; i < a->refused_count; i++)
        if (a->refused[i].seen)
            a->refused[kept++] = a->refused[i];
    a->refused_count = kept;
}

/* ---- ending sessions ---- */

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* Queues the session.terminated record of s. */
static void report(struct agent *a, const struct agent_session *s, const char *reason,
                   size_t processes, size_t killed)
{
    json_t *d =
        json_pack("{s:s, s:i, s:i, s:s, s:o, s:o, s:o, s:s, s:I, s:b}", "host", a->host, "pid",
                  (int)s->pid, "sid", (int)s->sid, "user", s->user, "tty", str_or_null(s->tty),
                  "service", str_or_null(s->service), "rhost", str_or_null(s->rhost), "reason",
                  reason, "processes", (json_int_t)processes, "killed", killed > 0);
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    struct report *r;

    json_decref(d);
    if (!text ||
        lb_array_reserve(&a->reports, &a->report_cap, a->report_count, sizeof(*a->reports))) {
        log_error("agent: out of memory: session.terminated of pid=%d request=%s is not recorded",
                  (int)s->pid, s->request_id);
        free(text);
        return;
    }
    r = &a->reports[a->report_count];
    memset(r, 0, sizeof(*r));
    r->request_id = lb_strdup(s->request_id);
    r->target = lb_strdup(s->resource);
    r->details = lb_strdup(text);
    free(text);
    r->due_us = time_mono_us();
    r->given_up_us = r->due_us + REPORT_GIVE_UP_US;
    if (!r->request_id || !r->target || !r->details) {
        lb_free(r->request_id);
        lb_free(r->target);
        lb_free(r->details);
        return;
    }
    a->report_count++;
}

/* Ends every session marked `end`: all their processes at once, then one record each. */
static void end_marked(struct agent *a)
{
    struct proc_list all = {0}, one = {0};
    size_t kept = 0;
    int dirfd = -1;

    for (size_t i = 0; i < a->count; i++) {
        struct tracked *t = &a->sessions[i];
        const char *why = NULL;
        if (!t->end)
            continue;
        if (!process_is_sessions(a, &t->s, &why)) {
            log_info("agent: session file=%s not ended: %s", t->s.name, why);
            t->end = t->live = false;
            continue;
        }
        if (procs_of_session(a->proc_root, t->s.sid, t->s.pid, &one) != 0) {
            log_error("agent: cannot list the processes of session pid=%d", (int)t->s.pid);
            t->end = false;
            continue;
        }
        t->first = all.count;
        for (size_t k = 0; k < one.count; k++)
            if (lb_array_reserve(&all.items, &all.cap, all.count, sizeof(*all.items)) == 0)
                all.items[all.count++] = one.items[k];
        t->last = all.count;
        proc_list_clear(&one);
    }
    if (all.count && procs_terminate(a->proc_root, &all, a->grace_ms) != 0)
        log_error("agent: some processes could not be signalled (is the agent root?)");
    dirfd = open(a->session_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    for (size_t i = 0; i < a->count; i++) {
        struct tracked *t = &a->sessions[i];
        size_t killed = 0;
        if (!t->end) {
            a->sessions[kept++] = *t;
            continue;
        }
        for (size_t k = t->first; k < t->last; k++)
            killed += all.items[k].killed;
        log_info("agent: session ended pid=%d user=%s resource=%s request=%s reason=\"%s\" "
                 "processes=%zu killed=%zu",
                 (int)t->s.pid, t->s.user, t->s.resource, t->s.request_id, t->reason,
                 t->last - t->first, killed);
        report(a, &t->s, t->reason, t->last - t->first, killed);
        if (dirfd >= 0 && registry_remove(dirfd, &t->s) != 0)
            log_warn("agent: cannot remove session file=%s/%s", a->session_dir, t->s.name);
        agent_session_clear(&t->s);
    }
    a->count = kept;
    proc_list_clear(&all);
    if (dirfd >= 0)
        close(dirfd);
}

/* Marks the live sessions of request id to end for reason. */
static void mark_request(struct agent *a, const char *id, const char *reason)
{
    for (size_t i = 0; i < a->count; i++)
        if (a->sessions[i].live && !a->sessions[i].end &&
            strcmp(a->sessions[i].s.request_id, id) == 0) {
            a->sessions[i].end = true;
            a->sessions[i].reason = reason;
        }
}

/* Asks Lockbox about each session not checked yet; marks those nothing allows any more. */
static void check_sessions(struct agent *a, int64_t now_us)
{
    for (size_t i = 0; i < a->count; i++) {
        struct tracked *t = &a->sessions[i];
        struct lockbox_check_result res;
        struct lockbox_reply reply = {0};
        int rc;
        if (!t->live || t->checked || t->end || t->check_due_us > now_us)
            continue;
        rc = lockbox_check(a->api, t->s.user, t->s.resource, t->s.level, &res, &reply);
        if (rc == 0) {
            t->checked = true;
            if (!res.allowed) {
                t->end = true;
                t->reason = "no grant allows it any more (access check)";
            }
        } else {
            /* no answer: never a reason to end a session; ask again later */
            log_warn("agent: cannot check session pid=%d with Lockbox: %s%s%s", (int)t->s.pid,
                     lockbox_strerror(rc), reply.detail ? ": " : "",
                     reply.detail ? reply.detail : "");
            t->check_due_us = now_us + RETRY_US;
        }
        lockbox_reply_clear(&reply);
    }
}

/* Sends the records that are due; keeps the ones Lockbox could not take yet. */
static void send_reports(struct agent *a, int64_t now_us)
{
    size_t kept = 0;

    for (size_t i = 0; i < a->report_count; i++) {
        struct report *r = &a->reports[i];
        struct lockbox_reply reply = {0};
        bool done = true;
        int rc = 0;
        if (r->due_us <= now_us) {
            rc = lockbox_activity_record(a->api, r->request_id, "session.terminated", r->target,
                                         r->details, &reply);
            if (rc == 0) {
                log_info("agent: recorded session.terminated request=%s", r->request_id);
            } else if (rc == LOCKBOX_EREFUSED && reply.status < 500 && reply.status != 429) {
                log_error("agent: Lockbox refused session.terminated request=%s: %s", r->request_id,
                          reply.detail ? reply.detail : "");
            } else if (now_us >= r->given_up_us) {
                log_error("agent: gave up recording session.terminated request=%s", r->request_id);
            } else {
                log_warn("agent: cannot record session.terminated request=%s yet: %s",
                         r->request_id, reply.detail ? reply.detail : lockbox_strerror(rc));
                r->due_us = now_us + RETRY_US;
                done = false;
            }
        } else {
            done = false;
        }
        lockbox_reply_clear(&reply);
        if (done) {
            lb_free(r->request_id);
            lb_free(r->target);
            lb_free(r->details);
        } else {
            a->reports[kept++] = *r;
        }
    }
    a->report_count = kept;
}

/* The wall clock in microseconds. */
static int64_t wall_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* When the loop must run next: the next grant end, retry, or the registry's next read. */
static int64_t next_due_us(struct agent *a, int64_t now_us)
{
    int64_t due = now_us + a->rescan_us, wall = wall_us();

    for (size_t i = 0; i < a->count; i++) {
        const struct tracked *t = &a->sessions[i];
        if (!t->live)
            continue;
        int64_t end_us = now_us + (t->s.ends_at * 1000000 - wall);
        if (end_us < due)
            due = end_us;
        if (!t->checked && t->check_due_us < due)
            due = t->check_due_us;
    }
    for (size_t i = 0; i < a->report_count; i++)
        if (a->reports[i].due_us < due)
            due = a->reports[i].due_us;
    return due;
}

static void wait_until(struct agent *a, int64_t due_us)
{
    int64_t now = time_mono_us(), wait_us = due_us > now ? due_us - now : 0;
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += wait_us / 1000000;
    ts.tv_nsec += (long)(wait_us % 1000000) * 1000;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&a->lock);
    if (!a->woken && !a->stopping)
        pthread_cond_timedwait(&a->cond, &a->lock, &ts);
    pthread_mutex_unlock(&a->lock);
}

/* The grant's end by the agent's own clock: a wall-clock second boundary. */
static void mark_ended_grants(struct agent *a)
{
    int64_t now = wall_us();

    for (size_t i = 0; i < a->count; i++) {
        struct tracked *t = &a->sessions[i];
        if (t->live && !t->end && t->s.ends_at * 1000000 <= now) {
            t->end = true;
            t->reason = "its grant's end (ends_at) passed";
        }
    }
}

void agent_run(struct agent *a)
{
    struct ending *endings = NULL;
    size_t ending_count = 0;
    bool recheck, stopping = false;

    while (!stopping) {
        pthread_mutex_lock(&a->lock);
        stopping = a->stopping;
        recheck = a->recheck;
        a->recheck = a->woken = false;
        endings = a->endings;
        ending_count = a->ending_count;
        a->endings = NULL;
        a->ending_count = a->ending_cap = 0;
        pthread_mutex_unlock(&a->lock);
        if (stopping) {
            lb_free(endings);
            break;
        }
        scan(a);
        for (size_t i = 0; i < ending_count; i++)
            mark_request(a, endings[i].request_id, endings[i].reason);
        lb_free(endings);
        for (size_t i = 0; recheck && i < a->count; i++) {
            a->sessions[i].checked = false;
            a->sessions[i].check_due_us = 0;
        }
        mark_ended_grants(a);
        end_marked(a); /* first what is known to end: the checks below take time */
        check_sessions(a, time_mono_us());
        end_marked(a);
        send_reports(a, time_mono_us());
        wait_until(a, next_due_us(a, time_mono_us()));
    }
}
