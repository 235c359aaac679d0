/* The PostgreSQL backend's reachability (store_pg_int.h, "Reachability"): whether the server
 * is known to be away, and the prober that finds it back. */
#include "store_pg_int.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "util/banned.h"

static int64_t mono_ms(void)
{
    return time_mono_us() / 1000;
}

/* One try: a connection of its own that answers a statement, closed at once. The calls'
 * connections are opened again by the calls themselves once the store is up (see epoch). */
static bool server_answers(const char *url, struct buf *why)
{
    struct pgs_conn probe = {0};
    bool ok = pgs_reconnect(&probe, url, why) == 0;

    PQfinish(probe.pg);
    return ok;
}

static void *prober_main(void *arg)
{
    struct pgs_health *h = arg;
    struct buf why = BUF_INIT;

    pthread_mutex_lock(&h->lock);
    while (!h->stopping) {
        if (!atomic_load(&h->down)) {
            pthread_cond_wait(&h->cond, &h->lock);
            continue;
        }
        pthread_mutex_unlock(&h->lock);
        buf_reset(&why);
        bool ok = server_answers(h->url, &why);
        pthread_mutex_lock(&h->lock);
        if (h->stopping)
            break;
        if (ok) {
            log_info("store: PostgreSQL answers again after %lld ms; calls go through",
                     (long long)(mono_ms() - h->down_since_ms));
            h->down_since_ms = 0;
            atomic_fetch_add(&h->epoch, 1);
            atomic_store(&h->down, false);
            continue;
        }
        log_debug("store: PostgreSQL still cannot be reached: %s", buf_cstr(&why));
        /* the clock is the condition's own (monotonic), so a wall-clock step changes nothing */
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += (long)(PGS_PROBE_MS % 1000) * 1000000L;
        until.tv_sec += PGS_PROBE_MS / 1000 + until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        while (!h->stopping && pthread_cond_timedwait(&h->cond, &h->lock, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&h->lock);
    buf_release(&why);
    return NULL;
}

int pgs_health_start(struct pgs_health *h, const char *url)
{
    pthread_condattr_t attr;

    h->url = url;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&h->cond, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&h->lock, NULL);
    h->inited = true;
    if (pthread_create(&h->prober, NULL, prober_main, h) != 0)
        return STORE_ERR(LB_ENOMEM);
    h->started = true;
    return 0;
}

void pgs_health_stop(struct pgs_health *h)
{
    if (!h->inited)
        return;
    if (h->started) {
        pthread_mutex_lock(&h->lock);
        h->stopping = true;
        pthread_cond_signal(&h->cond);
        pthread_mutex_unlock(&h->lock);
        pthread_join(h->prober, NULL);
    }
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->lock);
    h->inited = h->started = false;
}

bool pgs_health_is_down(struct pgs_health *h)
{
    return h && atomic_load(&h->down);
}

unsigned pgs_health_epoch(struct pgs_health *h)
{
    return h ? atomic_load(&h->epoch) : 0;
}

void pgs_health_lost(struct pgs_health *h, const char *why)
{
    if (!h || !h->started || atomic_load(&h->down))
        return;
    pthread_mutex_lock(&h->lock);
    if (!atomic_load(&h->down)) {
        log_warn("store: PostgreSQL cannot be reached (%.*s); calls fail with LB_EUNAVAIL "
                 "until it answers again",
                 (int)strcspn(why ? why : "", "\n"), why ? why : "");
        h->down_since_ms = mono_ms();
        /* connections made before now are not trusted again: each is opened anew */
        atomic_fetch_add(&h->epoch, 1);
        atomic_store(&h->down, true);
        pthread_cond_signal(&h->cond);
    }
    pthread_mutex_unlock(&h->lock);
}

int pgs_ping(struct store *base)
{
    int64_t one = 0;

    return pgs_int(pgs_of(base), "SELECT 1", NULL, &one);
}
