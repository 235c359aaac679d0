/*
 * The delivery threads, one per channel (a lane): each takes its channel's due outbox rows,
 * sends each, records the outcomes. A lane sleeps until its next retry is due or a commit
 * that added messages wakes it; a slow webhook endpoint never holds up the mail.
 */
#include "notify/notify.h"
#include "util/mem.h"
#include "util/timeutil.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "util/banned.h"

#define BATCH 32
#define IDLE_POLL_SECONDS 60   /* a safety net: wake-ups are the normal path */
#define RECORD_EVERY_US 500000 /* record outcomes at least this often within a batch */
#define STORE_RETRY_SECONDS 5  /* the pause after the store failed us */
/* added to a claimed message's lease; half of it is left for recording an attempt that took
 * all its time */
#define LEASE_MARGIN_SECONDS 5

struct notify_dispatcher;

/* One channel's thread and its own sender (connections are kept per lane). */
struct lane {
    struct notify_dispatcher *d;
    const char *channel; /* "email" or "webhook" */
    struct notify_sender *sender;
    pthread_t thread;
    bool started;
    bool woken;          /* guarded by d->lock */
    bool store_failed;   /* the last outcomes could not be recorded: pause before resending */
    int64_t lease_until; /* the claimed messages are this process's until then */
};

#define LANES 2

struct notify_dispatcher {
    struct store *st; /* borrowed */
    int64_t retry_seconds;
    int64_t attempt_seconds; /* the longest one attempt may take */
    bool shared_store;
    notify_outcome_fn *on_outcome;
    void *ctx;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* broadcast on wake and stop */
    bool stop;
    struct lane lanes[LANES];
};

/* Sets m's state after one attempt that ended with rc. */
static void settle(struct notify_dispatcher *d, struct outbox_msg *m, int rc, struct buf *err)
{
    int64_t now = time_now();
    char *why = NULL;

    m->attempts++;
    m->last_attempt_at = now;
    lb_free(m->last_error);
    m->last_error = NULL;
    if (rc == 0) {
        m->status = OUTBOX_DELIVERED;
        m->delivered_at = now;
        m->next_attempt_at = 0;
    } else {
        why = lb_strdup(buf_ok(err) && err->len ? buf_cstr(err) : lb_strerror(rc));
        m->last_error = why;
        if (rc == LB_ENOTFOUND || rc == LB_EFORBIDDEN || now - m->created_at >= d->retry_seconds) {
            m->status = OUTBOX_FAILED;
            m->next_attempt_at = 0;
        } else {
            m->next_attempt_at = now + notify_backoff_seconds(m->attempts - 1);
        }
    }
}

/* Records the outcomes of items [from, to) in one transaction (one fsync for them: a crash
 * before it resends them, which at-least-once delivery allows). A store that cannot record
 * them makes the thread pause before it tries (and sends) again. */
static void record(struct lane *l, struct outbox_list *sent, size_t from, size_t to)
{
    struct notify_dispatcher *d = l->d;
    struct store *st = d->st;
    int rc = from < to ? store_begin(st) : LB_ENOTFOUND;

    for (size_t i = from; rc == 0 && i < to; i++)
        rc = store_outbox_update(st, &sent->items[i]);
    if (rc == 0)
        rc = store_commit(st);
    else if (from < to)
        store_rollback(st);
    for (size_t i = from; rc == 0 && d->on_outcome && i < to; i++)
        d->on_outcome(d->ctx, &sent->items[i]);
    if (rc != 0 && from < to)
        l->store_failed = true;
}

/* Leases due->items[from...] to this process until one attempt's time from now, inside the
 * caller's write transaction (serialised with every other lockboxd's on a shared store), so
 * no other process takes them meanwhile; one this process never sends (it was killed) is
 * taken again by anyone when its lease ends. */
static int lease_rows(struct lane *l, struct outbox_list *due, size_t from, int64_t *until)
{
    struct notify_dispatcher *d = l->d;
    int rc = 0;

    *until = time_now() + d->attempt_seconds + LEASE_MARGIN_SECONDS;
    for (size_t i = from; rc == 0 && i < due->count; i++) {
        due->items[i].next_attempt_at = *until;
        rc = store_outbox_update(d->st, &due->items[i]);
    }
    return rc;
}

/* Renews the lease of the messages not sent yet, in a transaction of its own. */
static int lease_renew(struct lane *l, struct outbox_list *due, size_t from)
{
    struct store *st = l->d->st;
    int64_t until = 0;
    int rc = store_begin(st);

    if (rc)
        return rc;
    if ((rc = lease_rows(l, due, from, &until)) == 0)
        rc = store_commit(st);
    else
        store_rollback(st);
    if (rc == 0)
        l->lease_until = until;
    return rc;
}

/* Takes at most BATCH due messages of the lane's channel; on a shared store, leased in the
 * transaction whose read found them due. */
static int claim_due(struct lane *l, struct outbox_list *due)
{
    struct notify_dispatcher *d = l->d;
    int64_t until = 0;
    int rc;

    rc = store_outbox_due(d->st, l->channel, time_now(), BATCH, due);
    if (rc || !d->shared_store || due->count == 0)
        return rc; /* (on a shared store, a write transaction only when there is work) */
    outbox_list_clear(due);
    if ((rc = store_begin(d->st)) != 0)
        return rc;
    rc = store_outbox_due(d->st, l->channel, time_now(), BATCH, due);
    if (rc == 0)
        rc = lease_rows(l, due, 0, &until);
    if (rc == 0)
        rc = store_commit(d->st);
    else
        store_rollback(d->st);
    if (rc)
        outbox_list_clear(due);
    else
        l->lease_until = until;
    return rc;
}

/* Makes the claimed messages from `from` on, which this process will not send (it stops), due
 * again now; if the store cannot, their leases end by themselves. */
static void release_unsent(struct lane *l, struct outbox_list *due, size_t from)
{
    struct store *st = l->d->st;
    int rc = from < due->count ? store_begin(st) : LB_ENOTFOUND;

    for (size_t i = from; rc == 0 && i < due->count; i++) {
        due->items[i].next_attempt_at = time_now();
        rc = store_outbox_update(st, &due->items[i]);
    }
    if (rc == 0)
        rc = store_commit(st);
    else if (from < due->count)
        store_rollback(st);
}

/* Sends every due message (in batches); answers the number handled. Messages claimed but not
 * sent (a stop) are made due again at once, for whichever process runs next. */
static size_t run_due(struct lane *l)
{
    struct notify_dispatcher *d = l->d;
    struct outbox_list due = {0};
    struct buf err = BUF_INIT;
    size_t n, done = 0, recorded = 0;
    int64_t since = time_mono_us();

    if (claim_due(l, &due) != 0) {
        l->store_failed = true;
        return 0;
    }
    for (; done < due.count; done++) {
        pthread_mutex_lock(&d->lock);
        bool stop = d->stop;
        pthread_mutex_unlock(&d->lock);
        if (stop)
            break;
        if (d->shared_store &&
            time_now() + d->attempt_seconds + LEASE_MARGIN_SECONDS / 2 >= l->lease_until) {
            /* what was sent is recorded while it is still ours: past its lease another
             * lockboxd would take it and send it again */
            record(l, &due, recorded, done);
            recorded = done;
            if (lease_renew(l, &due, done) != 0) {
                l->store_failed = true; /* not ours for long enough: leave it to the next claim */
                break;
            }
        }
        buf_reset(&err);
        settle(d, &due.items[done], notify_send(l->sender, d->st, &due.items[done], &err), &err);
        if (time_mono_us() - since > RECORD_EVERY_US) {
            /* slow endpoints: do not keep outcomes unrecorded for the whole batch */
            record(l, &due, recorded, done + 1);
            recorded = done + 1;
            since = time_mono_us();
        }
    }
    record(l, &due, recorded, done);
    if (d->shared_store)
        release_unsent(l, &due, done);
    n = due.count;
    outbox_list_clear(&due);
    buf_release(&err);
    return n;
}

static void sleep_until_due(struct lane *l)
{
    struct notify_dispatcher *d = l->d;
    int64_t next = 0, now = time_now();
    struct timespec until = {0};

    if (l->store_failed || store_outbox_next_due(d->st, l->channel, &next) != 0)
        next = now + STORE_RETRY_SECONDS; /* the store failed: resending at once would flood */
    l->store_failed = false;
    if (next == 0 || next > now + IDLE_POLL_SECONDS)
        next = now + IDLE_POLL_SECONDS;
    until.tv_sec = (time_t)next;
    pthread_mutex_lock(&d->lock);
    while (!d->stop && !l->woken && next > time_now())
        if (pthread_cond_timedwait(&d->cond, &d->lock, &until) != 0)
            break;
    l->woken = false;
    pthread_mutex_unlock(&d->lock);
}

static void *lane_main(void *arg)
{
    struct lane *l = arg;
    struct notify_dispatcher *d = l->d;

    for (;;) {
        pthread_mutex_lock(&d->lock);
        bool stop = d->stop;
        l->woken = false;
        pthread_mutex_unlock(&d->lock);
        if (stop)
            break;
        if (run_due(l) == BATCH && !l->store_failed)
            continue;
        sleep_until_due(l);
    }
    return NULL;
}

/* Stops the lanes that started, and frees everything. */
static void dispatcher_free(struct notify_dispatcher *d)
{
    pthread_mutex_lock(&d->lock);
    d->stop = true;
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
    for (size_t i = 0; i < LANES; i++) {
        if (d->lanes[i].started)
            pthread_join(d->lanes[i].thread, NULL);
        notify_sender_free(d->lanes[i].sender);
    }
    pthread_cond_destroy(&d->cond);
    pthread_mutex_destroy(&d->lock);
    lb_free(d);
}

int notify_dispatcher_start(struct store *st, const struct notify_delivery_config *cfg,
                            notify_outcome_fn *on_outcome, void *ctx,
                            struct notify_dispatcher **out)
{
    static const char *const channels[LANES] = {"email", "webhook"};
    struct notify_dispatcher *d = lb_calloc(1, sizeof(*d));
    int rc = 0;

    *out = NULL;
    if (!d)
        return LB_ENOMEM;
    d->st = st;
    d->retry_seconds = cfg->retry_seconds;
    d->attempt_seconds = (cfg->timeout_ms + 999) / 1000 + 1; /* curl's timeout is the whole */
    d->shared_store = cfg->shared_store;
    d->on_outcome = on_outcome;
    d->ctx = ctx;
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->cond, NULL);
    for (size_t i = 0; rc == 0 && i < LANES; i++) {
        struct lane *l = &d->lanes[i];
        l->d = d;
        l->channel = channels[i];
        if ((rc = notify_sender_new(cfg, &l->sender)) == 0 &&
            pthread_create(&l->thread, NULL, lane_main, l) != 0)
            rc = LB_ENOMEM;
        l->started = rc == 0;
    }
    if (rc) {
        dispatcher_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

void notify_dispatcher_wake(struct notify_dispatcher *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    for (size_t i = 0; i < LANES; i++)
        d->lanes[i].woken = true;
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
}

void notify_dispatcher_stop(struct notify_dispatcher *d)
{
    if (d)
        dispatcher_free(d);
}
