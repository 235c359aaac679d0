#include "denials.h"

#include "audit/audit.h"
#include "util/mem.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>

#include "util/banned.h"

#define PAIR_BUCKETS 16384  /* a power of two */
#define LOCAL_SLOTS 2048    /* a thread's cache of allowances noted: a power of two */
#define LOCAL_KEY_MAX 1024  /* a note's key up to this long is composed on the stack */
#define ALLOWED_MARK '\x01' /* opens an allowance's key; no operator name starts with it */

/* A thread's memory that it noted the allowance of hash in minute, for the instance serial
 * (an instance's serial is never reused, where its address may be). */
struct local_slot {
    uint64_t serial, hash;
    int64_t minute;
};

static _Thread_local struct local_slot local_cache[LOCAL_SLOTS];
static atomic_uint_fast64_t next_serial = 1;

/* A (operator, resource) pair and the minute of its last queued record. */
struct pair {
    struct pair *next;
    uint64_t hash;
    int64_t minute;
    int64_t collapsed; /* this pair's denials collapsed into that record */
    bool allowed;      /* an allowance's pair, counted against DENIALS_ALLOWED_MAX */
    size_t key_len;
    char key[]; /* operator NUL resource */
};

/* One access.denied (or access.allowed) record to write; its strings live in text. */
struct record {
    struct record *next;
    int64_t at, collapsed;
    enum access_level level;
    bool allowed;
    char request_id[ID_LEN]; /* allowed: the grant's request */
    char owner_id[ID_LEN];   /* "" when no tenant owns the resource */
    char door[DOOR_NAME_MAX + 1];
    const char *operator_name, *resource_id, *actor, *actor_id, *client_ip;
    char text[];
};

struct denials {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct pair *buckets[PAIR_BUCKETS];
    size_t pair_count, allowed_count; /* denials' pairs, allowances' pairs */
    int64_t window;                   /* seconds: a "minute" of the collapse */
    int64_t swept_minute;             /* pairs of earlier minutes were last forgotten in this one */
    struct record *head, *tail;
    size_t queued;
    struct denial_stats stats;
    unsigned char key[crypto_shorthash_KEYBYTES]; /* SipHash's, per process: no aimed collisions */
    uint64_t serial;
    struct store *store; /* the writer's (borrowed) */
    pthread_t thread;
    bool running, stopping;
};

bool door_name_is_valid(const char *d)
{
    size_t n = 0;

    for (; d[n]; n++)
        if (!((d[n] >= 'a' && d[n] <= 'z') || (d[n] >= '0' && d[n] <= '9') || d[n] == '_' ||
              d[n] == '.' || d[n] == '-'))
            return false;
    return n >= 1 && n <= DOOR_NAME_MAX;
}

struct denials *denials_new(int64_t window_seconds)
{
    struct denials *d = lb_calloc(1, sizeof(*d));

    if (!d)
        return NULL;
    d->window = window_seconds > 0 ? window_seconds : 60;
    randombytes_buf(d->key, sizeof(d->key));
    d->serial = atomic_fetch_add(&next_serial, 1);
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->wake, NULL);
    return d;
}

static void records_free(struct record *r)
{
    for (struct record *next; r; r = next) {
        next = r->next;
        lb_free(r);
    }
}

void denials_free(struct denials *d)
{
    if (!d)
        return;
    denials_stop(d);
    for (size_t i = 0; i < PAIR_BUCKETS; i++)
        for (struct pair *p = d->buckets[i], *next; p; p = next) {
            next = p->next;
            lb_free(p);
        }
    records_free(d->head);
    pthread_cond_destroy(&d->wake);
    pthread_mutex_destroy(&d->lock);
    lb_free(d);
}

static uint64_t pair_hash(const struct denials *d, const char *key, size_t len)
{
    unsigned char out[crypto_shorthash_BYTES];
    uint64_t h;

    crypto_shorthash(out, (const unsigned char *)key, len, d->key);
    memcpy(&h, out, sizeof(h));
    return h;
}

/* Forgets the pairs of minutes before minute, at most once a minute (under the lock). */
static void sweep(struct denials *d, int64_t minute)
{
    if (d->swept_minute >= minute)
        return;
    d->swept_minute = minute;
    for (size_t i = 0; i < PAIR_BUCKETS; i++)
        for (struct pair **pp = &d->buckets[i]; *pp;) {
            struct pair *p = *pp;
            if (p->minute >= minute) {
                pp = &p->next;
                continue;
            }
            *pp = p->next;
            if (p->allowed)
                d->allowed_count--;
            else
                d->pair_count--;
            lb_free(p);
        }
}

/* The pair of key (hash h), or NULL. */
static struct pair *pair_find(struct denials *d, uint64_t h, const char *key, size_t len)
{
    for (struct pair *p = d->buckets[h & (PAIR_BUCKETS - 1)]; p; p = p->next)
        if (p->hash == h && p->key_len == len && memcmp(p->key, key, len) == 0)
            return p;
    return NULL;
}

/* true when the table has room for one more pair of its kind (forgetting past minutes' pairs
 * first when it is full). */
static bool pair_has_room(struct denials *d, bool allowed, int64_t minute)
{
    size_t *count = allowed ? &d->allowed_count : &d->pair_count;
    size_t max = allowed ? DENIALS_ALLOWED_MAX : DENIALS_TABLE_MAX;

    if (*count >= max)
        sweep(d, minute);
    return *count < max;
}

/* Remembers key (hash h) as queued in minute, when there is room. */
static void pair_add(struct denials *d, uint64_t h, const char *key, size_t len, int64_t minute,
                     bool allowed)
{
    struct pair **head = &d->buckets[h & (PAIR_BUCKETS - 1)], *p;

    if (!pair_has_room(d, allowed, minute) || !(p = lb_malloc(sizeof(*p) + len)))
        return;
    p->hash = h;
    p->minute = minute;
    p->collapsed = 0;
    p->allowed = allowed;
    p->key_len = len;
    memcpy(p->key, key, len);
    p->next = *head;
    *head = p;
    if (allowed)
        d->allowed_count++;
    else
        d->pair_count++;
}

/* Appends s and its NUL at *at (inside a record's text); NULL stays NULL. */
static const char *put(char **at, const char *s)
{
    size_t n;
    char *start = *at;

    if (!s)
        return NULL;
    n = strlen(s) + 1;
    memcpy(start, s, n);
    *at += n;
    return start;
}

static struct record *record_new(const struct denial_note *n, int64_t now, int64_t collapsed)
{
    const char *strs[] = {n->operator_name, n->resource_id, n->actor, n->actor_id, n->client_ip};
    size_t len = 0;
    struct record *r;
    char *at;

    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        len += strs[i] ? strlen(strs[i]) + 1 : 0;
    if (!(r = lb_calloc(1, sizeof(*r) + len)))
        return NULL;
    at = r->text;
    r->at = now;
    r->collapsed = collapsed;
    r->level = n->level;
    if (n->owner_id)
        memcpy(r->owner_id, n->owner_id, strnlen(n->owner_id, ID_LEN - 1));
    if (n->request_id) {
        r->allowed = true;
        memcpy(r->request_id, n->request_id, strnlen(n->request_id, ID_LEN - 1));
    }
    memcpy(r->door, n->door, strnlen(n->door, DOOR_NAME_MAX));
    r->operator_name = put(&at, n->operator_name);
    r->resource_id = put(&at, n->resource_id);
    r->actor = put(&at, n->actor);
    r->actor_id = put(&at, n->actor_id);
    r->client_ip = put(&at, n->client_ip);
    return r;
}

/* A note's key into out (of cap bytes): a denial's operator NUL resource, an allowance's
 * ALLOWED_MARK request NUL resource NUL door. Its length; nothing is written when that is more
 * than cap. */
static size_t note_key(const struct denial_note *n, char *out, size_t cap)
{
    const char *parts[3] = {n->operator_name, n->resource_id, NULL};
    size_t count = 2, len = 0, at = 0;

    if (n->request_id) {
        parts[0] = n->request_id;
        parts[2] = n->door;
        count = 3;
        len = 1;
    }
    for (size_t i = 0; i < count; i++)
        len += strlen(parts[i]) + (i ? 1 : 0);
    if (len > cap)
        return len;
    if (n->request_id)
        out[at++] = ALLOWED_MARK;
    for (size_t i = 0; i < count; i++) {
        size_t l = strlen(parts[i]);
        if (i)
            out[at++] = '\0';
        memcpy(out + at, parts[i], l);
        at += l;
    }
    return len;
}

/* true when this thread already noted the allowance of hash in minute (and remembers that it
 * has now): the lock-free half of an allowance, which most checks end in. */
static bool local_seen(const struct denials *d, uint64_t h, int64_t minute)
{
    struct local_slot *s = &local_cache[h & (LOCAL_SLOTS - 1)];

    if (s->serial == d->serial && s->hash == h && s->minute == minute)
        return true;
    s->serial = d->serial;
    s->hash = h;
    s->minute = minute;
    return false;
}

void denials_note(struct denials *d, const struct denial_note *n, int64_t now)
{
    int64_t minute = now / d->window;
    struct pair *p;
    struct record *r;
    char local[LOCAL_KEY_MAX], *key = local, *owned = NULL;
    size_t len = note_key(n, local, sizeof(local));
    uint64_t h;

    if (len > sizeof(local)) {
        if (!(key = owned = lb_malloc(len))) {
            pthread_mutex_lock(&d->lock);
            d->stats.dropped++;
            pthread_mutex_unlock(&d->lock);
            return;
        }
        (void)note_key(n, key, len);
    }
    h = pair_hash(d, key, len);
    if (n->request_id && local_seen(d, h, minute)) {
        lb_free(owned);
        return;
    }
    pthread_mutex_lock(&d->lock);
    p = pair_find(d, h, key, len);
    if (p && p->minute == minute) {
        /* another thread noted this allowance this minute: it is not counted */
        if (!n->request_id) {
            p->collapsed++;
            d->stats.collapsed++;
        }
        goto out;
    }
    /* an allowance the table could not remember would be written again at every check: it is
     * dropped instead (a denial is written all the same: it must be seen) */
    if (!p && n->request_id && !pair_has_room(d, true, minute)) {
        d->stats.allowed_dropped++;
        goto out;
    }
    if (d->queued >= DENIALS_QUEUE_MAX || !(r = record_new(n, now, p ? p->collapsed : 0))) {
        d->stats.dropped++;
        goto out;
    }
    if (p) {
        p->minute = minute;
        p->collapsed = 0;
    } else {
        pair_add(d, h, key, len, minute, n->request_id != NULL);
    }
    if (d->tail)
        d->tail->next = r;
    else
        d->head = r;
    d->tail = r;
    d->queued++;
    pthread_cond_signal(&d->wake);
out:
    pthread_mutex_unlock(&d->lock);
    lb_free(owned);
}

/* Appends one record to the audit log, inside the caller's transaction: an access.denied of
 * the resource, or an access.allowed of the request whose grant let the operator in (which
 * collapses nothing). */
static int record_write(struct store *st, const struct record *r)
{
    struct audit_entry e = {
        .time = r->at,
        .tenant_id = r->owner_id[0] ? r->owner_id : NULL,
        .actor = r->actor,
        .actor_id = r->actor_id,
        .actor_type = "provider",
        .client_ip = r->client_ip,
        .activity = r->allowed ? "access.allowed" : "access.denied",
        .item = r->allowed ? r->request_id : r->resource_id,
        .request_id = r->allowed ? r->request_id : NULL,
    };
    const struct audit_field f[] = {AF_STR("operator", r->operator_name),
                                    AF_STR("resource", r->resource_id),
                                    AF_STR("level", access_level_name(r->level)),
                                    AF_STR("door", r->door), AF_INT("collapsed", r->collapsed)};

    e.fields = f;
    e.field_count = sizeof(f) / sizeof(f[0]) - (r->allowed ? 1 : 0);
    return audit_append(st, &e, NULL);
}

int denials_flush(struct denials *d, struct store *st)
{
    int rc = 0;

    for (;;) {
        struct record *batch, *last;
        size_t n = 1, allowed = 0;
        int began, wrc;

        pthread_mutex_lock(&d->lock);
        batch = last = d->head;
        for (; last && last->next && n < DENIALS_BATCH; n++)
            last = last->next;
        if (batch) {
            d->head = last->next;
            if (!d->head)
                d->tail = NULL;
            last->next = NULL;
            d->queued -= n;
        }
        pthread_mutex_unlock(&d->lock);
        if (!batch)
            return rc;
        began = store_begin(st);
        wrc = began;
        for (struct record *r = batch; !wrc && r; r = r->next) {
            wrc = record_write(st, r);
            allowed += r->allowed;
        }
        if (!began && !wrc)
            wrc = store_commit(st);
        else if (!began)
            store_rollback(st);
        pthread_mutex_lock(&d->lock);
        if (wrc) {
            d->stats.failed += n;
        } else {
            d->stats.written += n - allowed;
            d->stats.allowed += allowed;
        }
        pthread_mutex_unlock(&d->lock);
        records_free(batch);
        if (wrc)
            rc = wrc;
    }
}

static void *writer_main(void *arg)
{
    struct denials *d = arg;

    for (;;) {
        pthread_mutex_lock(&d->lock);
        while (!d->head && !d->stopping)
            pthread_cond_wait(&d->wake, &d->lock);
        if (!d->head) {
            pthread_mutex_unlock(&d->lock);
            return NULL; /* stopping, and everything is written */
        }
        pthread_mutex_unlock(&d->lock);
        /* a failed write is counted in the stats; the next records try again */
        int rc = denials_flush(d, d->store);
        (void)rc;
    }
}

int denials_start(struct denials *d, struct store *st)
{
    if (d->running)
        return 0;
    d->store = st;
    d->stopping = false;
    if (pthread_create(&d->thread, NULL, writer_main, d) != 0)
        return LB_EIO;
    d->running = true;
    return 0;
}

void denials_stop(struct denials *d)
{
    if (!d->running)
        return;
    pthread_mutex_lock(&d->lock);
    d->stopping = true;
    pthread_cond_signal(&d->wake);
    pthread_mutex_unlock(&d->lock);
    pthread_join(d->thread, NULL);
    d->running = false;
}

void denials_stats(struct denials *d, struct denial_stats *out)
{
    pthread_mutex_lock(&d->lock);
    *out = d->stats;
    out->queued = d->queued;
    pthread_mutex_unlock(&d->lock);
}
