#include "daemon/scheduler.h"

#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "util/banned.h"

struct scheduler {
    struct core *core;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int64_t next_at; /* 0: nothing scheduled */
    bool woken;      /* scheduler_wake ran since the current run began */
    bool stop;
};

static int64_t min_deadline(int64_t a, int64_t b)
{
    if (!a || !b)
        return a ? a : b;
    return a < b ? a : b;
}

static void run_due(struct scheduler *s)
{
    int64_t next = 0;
    int rc;

    pthread_mutex_lock(&s->lock);
    s->woken = false;
    pthread_mutex_unlock(&s->lock);
    rc = core_run_due(s->core, &next);
    pthread_mutex_lock(&s->lock);
    if (rc) {
        /* a store that cannot be reached logs its outage once itself; each second's retry
         * need not */
        if (rc == LB_EUNAVAIL)
            log_debug("scheduler: the store cannot be reached; retrying in 1 s");
        else
            log_error("scheduler: run failed error=%s; retrying in 1 s", lb_strerror(rc));
        next = time_now() + 1;
    }
    /* a deadline reported during the run may not be in what the run saw */
    s->next_at = s->woken ? min_deadline(next, s->next_at) : next;
    pthread_mutex_unlock(&s->lock);
}

static void *loop(void *arg)
{
    struct scheduler *s = arg;

    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        if (s->next_at && s->next_at <= time_now()) {
            pthread_mutex_unlock(&s->lock);
            run_due(s);
            pthread_mutex_lock(&s->lock);
            continue;
        }
        if (!s->next_at) {
            pthread_cond_wait(&s->cond, &s->lock);
        } else {
            struct timespec until = {.tv_sec = (time_t)s->next_at};
            pthread_cond_timedwait(&s->cond, &s->lock, &until);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int scheduler_start(struct core *core, struct scheduler **out)
{
    struct scheduler *s = lb_calloc(1, sizeof(*s));

    if (!s)
        return LB_ENOMEM;
    s->core = core;
    s->next_at = 1; /* run at once: catch up on what passed while we were down */
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    if (pthread_create(&s->thread, NULL, loop, s) != 0) {
        pthread_cond_destroy(&s->cond);
        pthread_mutex_destroy(&s->lock);
        lb_free(s);
        return LB_EIO;
    }
    *out = s;
    return 0;
}

void scheduler_wake(void *arg, int64_t at)
{
    struct scheduler *s = arg;

    pthread_mutex_lock(&s->lock);
    s->woken = true;
    if (!s->next_at || at < s->next_at) {
        s->next_at = at;
        pthread_cond_signal(&s->cond);
    }
    pthread_mutex_unlock(&s->lock);
}

void scheduler_stop(struct scheduler *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    lb_free(s);
}
