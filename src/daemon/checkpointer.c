#include "daemon/checkpointer.h"

#include "audit/chains.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strv.h"
#include "util/timeutil.h"

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "util/banned.h"

struct checkpointer {
    struct core *core;
    struct store *store;
    const struct audit_signer *signer;
    struct checkpointer_config cfg;
    int64_t verify_at; /* the next verification (time_now's clock) */
    int64_t prune_at;  /* the next pruning of chains kept for a time */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
};

static void pass(struct checkpointer *c)
{
    int64_t made = 0;
    int rc = audit_checkpoints_make(c->store, c->signer, time_now(), c->cfg.every, c->cfg.max_age,
                                    &made);

    if (rc == LB_EUNAVAIL) /* the store says so once; not again every second */
        log_debug("audit: cannot sign checkpoints while the store is away");
    else if (rc)
        log_warn("audit: cannot sign checkpoints now error=%s", lb_strerror(rc));
    else if (made)
        log_debug("audit: signed checkpoints=%lld", (long long)made);
}

/* Prunes the chains kept for a time (core_audit_prune). */
static void prune(struct checkpointer *c)
{
    int64_t deleted = 0;
    int rc = core_audit_prune(c->core, &deleted);

    if (rc && rc != LB_EUNAVAIL)
        log_warn("audit: cannot prune the chains now error=%s", lb_strerror(rc));
}

/* The chains that broke, collected as the verification goes. */
struct broken {
    char **chains, **why;
    size_t count, chains_cap, why_cap;
};

static void on_outcome(void *ctx, const char *chain, const char *why)
{
    struct broken *b = ctx;

    if (!why)
        return;
    log_error("audit: the chain %s does not verify: %s", chain, why);
    if (lb_array_reserve(&b->chains, &b->chains_cap, b->count, sizeof(char *)) != 0 ||
        lb_array_reserve(&b->why, &b->why_cap, b->count, sizeof(char *)) != 0)
        return; /* logged; the API shows the others */
    b->chains[b->count] = lb_strdup(chain);
    b->why[b->count] = lb_strdup(why);
    if (!b->chains[b->count] || !b->why[b->count]) {
        lb_free(b->chains[b->count]);
        lb_free(b->why[b->count]);
        return;
    }
    b->count++;
}

/* Verifies every chain and tells core what it found. */
static void verify(struct checkpointer *c)
{
    struct audit_chains_report r;
    struct broken b = {0};
    struct buf why = BUF_INIT;
    int64_t start = time_mono_us();
    int rc = audit_chains_verify(c->store, &r, on_outcome, &b, &why);

    if (rc == 0 || rc == LB_EVERIFY) {
        log_info("audit: verified records=%lld checkpoints=%lld chains=%lld broken=%zu ms=%lld",
                 (long long)r.records, (long long)r.checkpoints, (long long)r.chains, b.count,
                 (long long)((time_mono_us() - start) / 1000));
        core_audit_set_verified(c->core, time_now(), b.chains, b.why, b.count);
    } else {
        log_warn("audit: cannot verify the chains now error=%s", lb_strerror(rc));
        strv_free(b.chains, b.count);
        strv_free(b.why, b.count);
    }
    buf_release(&why);
}

static void *loop(void *arg)
{
    struct checkpointer *c = arg;
    bool stop;

    do {
        struct timespec until;
        pass(c);
        if (time_now() >= c->prune_at) {
            prune(c);
            c->prune_at = time_now() + c->cfg.max_age;
        }
        if (time_now() >= c->verify_at) {
            verify(c);
            c->verify_at = time_now() + c->cfg.verify_every;
        }
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

int checkpointer_start(struct core *core, struct store *st, const struct audit_signer *signer,
                       const struct checkpointer_config *cfg, struct checkpointer **out)
{
    struct checkpointer *c = lb_calloc(1, sizeof(*c));

    if (!c)
        return LB_ENOMEM;
    *c = (struct checkpointer){.core = core, .store = st, .signer = signer, .cfg = *cfg};
    c->verify_at = time_now() + 1; /* soon after the start, not in its way */
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
