#include "daemon/checkpointer.h"

#include "audit/chains.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "util/banned.h"

struct checkpointer {
    struct store *store;
    const struct audit_signer *signer;
    int64_t every, max_age;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
};

static void pass(struct checkpointer *c)
{
    int64_t made = 0;
    int rc = audit_checkpoints_make(c->store, c->signer, time_now(), c->every, c->max_age, &made);

    if (rc)
        log_warn("audit: cannot sign checkpoints now error=%s", lb_strerror(rc));
    else if (made)
        log_debug("audit: signed checkpoints=%lld", (long long)made);
}

static void *loop(void *arg)
{
    struct checkpointer *c = arg;
    bool stop;

    do {
        struct timespec until;
        pass(c);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_mutex_lock(&c->lock);
        if (!c->stop)
            pthread_cond_timedwait(&c->cond, &c->lock, &until);
        stop = c->stop;
        pthread_mutex_unlock(&c->lock);
    } while (!stop);
    pass(c); /* what is due at the stop is signed before the store closes */
    return NULL;
}

int checkpointer_start(struct store *st, const struct audit_signer *signer, int64_t every,
                       int64_t max_age, struct checkpointer **out)
{
    struct checkpointer *c = lb_calloc(1, sizeof(*c));

    if (!c)
        return LB_ENOMEM;
    *c = (struct checkpointer){.store = st, .signer = signer, .every = every, .max_age = max_age};
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    if (pthread_create(&c->thread, NULL, loop, c) != 0) {
        pthread_cond_destroy(&c->cond);
        pthread_mutex_destroy(&c->lock);
        lb_free(c);
        return LB_EIO;
    }
    *out = c;
    return 0;
}

void checkpointer_stop(struct checkpointer *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->stop = true;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
    lb_free(c);
}
