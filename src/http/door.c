#include "http/door.h"

#include "util/mem.h"
#include "util/timeutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "util/banned.h"

/* head_due_us of a connection the watchdog shut down; 0 is "not waiting for a head". */
#define DOOR_CUT (-1)

/* An address as 16 bytes: IPv4 as IPv4-mapped IPv6, so both spellings count as one. */
struct door_key {
    unsigned char b[16];
};

/* One counted address of the open-addressing table; count 0 is an empty slot. */
struct door_slot {
    struct door_key key;
    uint32_t count;
};

struct door_conn {
    struct door_conn *prev, *next;
    int fd;
    bool counted; /* holds one of key's slots */
    struct door_key key;
    atomic_llong head_due_us; /* monotonic deadline of the awaited head; 0: none; DOOR_CUT */
};

struct door {
    pthread_mutex_t lock; /* guards everything below but the stats atomics */
    pthread_cond_t wake;
    struct door_conn *conns; /* every open connection */
    uint64_t open;
    struct door_slot *slots; /* capacity slot_mask + 1, a power of two; NULL: no per-IP limit */
    size_t slot_mask, slot_used;
    unsigned char hash_key[crypto_shorthash_KEYBYTES]; /* random: addresses cannot collide */
    struct door_key *exempt;
    size_t exempt_count;
    unsigned max_per_ip;
    int64_t timeout_us;
    pthread_t watchdog;
    bool watching, stopping;
    atomic_ullong refused, timed_out;
};

/* The reservation door_admit made on this thread for the door_open that follows it. */
static _Thread_local struct {
    struct door *door; /* NULL: none */
    bool counted;
    struct door_key key;
} pending;

/* ---- addresses ---- */

/* The full address of sa into *full, and the one it is counted by (IPv6: its /64) into *key. */
static bool key_of(const struct sockaddr *sa, size_t len, struct door_key *full,
                   struct door_key *key)
{
    memset(full, 0, sizeof(*full));
    if (sa && sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        full->b[10] = full->b[11] = 0xff;
        memcpy(full->b + 12, &in->sin_addr, 4);
        *key = *full;
        return true;
    }
    if (sa && sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        memcpy(full->b, &in6->sin6_addr, 16);
        *key = *full;
        if (!IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
            memset(key->b + 8, 0, 8);
        return true;
    }
    return false;
}

static int parse_key(const char *text, struct door_key *out)
{
    struct in_addr a4;

    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, text, &a4) == 1) {
        out->b[10] = out->b[11] = 0xff;
        memcpy(out->b + 12, &a4, 4);
        return 0;
    }
    return inet_pton(AF_INET6, text, out->b) == 1 ? 0 : LB_EINVAL;
}

static bool is_exempt(const struct door *d, const struct door_key *full)
{
    for (size_t i = 0; i < d->exempt_count; i++)
        if (memcmp(d->exempt[i].b, full->b, sizeof(full->b)) == 0)
            return true;
    return false;
}

/* ---- the table of counted addresses (linear probing, deletion by backward shift) ---- */

static size_t slot_home(const struct door *d, const struct door_key *k)
{
    uint64_t h;

    crypto_shorthash((unsigned char *)&h, k->b, sizeof(k->b), d->hash_key);
    return (size_t)h & d->slot_mask;
}

/* The slot holding k, or the empty slot where it would go. */
static size_t slot_find(const struct door *d, const struct door_key *k)
{
    size_t i = slot_home(d, k);

    while (d->slots[i].count && memcmp(d->slots[i].key.b, k->b, sizeof(k->b)) != 0)
        i = (i + 1) & d->slot_mask;
    return i;
}

static bool slot_take(struct door *d, const struct door_key *k)
{
    size_t i = slot_find(d, k);

    if (d->slots[i].count >= d->max_per_ip)
        return false;
    if (d->slots[i].count == 0) {
        if (d->slot_used + 1 > d->slot_mask / 2) /* cannot happen: sized for every connection */
            return false;
        d->slots[i].key = *k;
        d->slot_used++;
    }
    d->slots[i].count++;
    return true;
}

static void slot_release(struct door *d, const struct door_key *k)
{
    size_t i = slot_find(d, k), j = i;

    if (d->slots[i].count == 0 || --d->slots[i].count > 0)
        return;
    /* the slot is free: move back the entries of its run that may not stay behind a hole */
    for (;;) {
        j = (j + 1) & d->slot_mask;
        if (d->slots[j].count == 0)
            break;
        size_t home = slot_home(d, &d->slots[j].key);
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            d->slots[i] = d->slots[j];
            d->slots[j].count = 0;
            i = j;
        }
    }
    d->slot_used--;
}

/* ---- life ---- */

int door_new(const struct door_config *cfg, struct door **out, struct buf *err)
{
    struct door *d = lb_calloc(1, sizeof(*d));
    pthread_condattr_t attr;
    size_t cap = 16;

    *out = NULL;
    if (!d)
        return LB_ENOMEM;
    pthread_mutex_init(&d->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&d->wake, &attr);
    pthread_condattr_destroy(&attr);
    d->max_per_ip = cfg->max_per_ip;
    d->timeout_us = cfg->header_timeout_ms * 1000;
    randombytes_buf(d->hash_key, sizeof(d->hash_key));
    /* at most one address per connection (and per accepting thread's reservation): at least
     * twice that many slots keeps the runs short */
    while (cap < 2 * ((size_t)cfg->max_connections + 256))
        cap *= 2;
    d->slot_mask = cap - 1;
    d->slots = d->max_per_ip ? lb_calloc(cap, sizeof(*d->slots)) : NULL;
    d->exempt = cfg->exempt_count ? lb_calloc(cfg->exempt_count, sizeof(*d->exempt)) : NULL;
    if ((d->max_per_ip && !d->slots) || (cfg->exempt_count && !d->exempt)) {
        door_free(d);
        return LB_ENOMEM;
    }
    for (; d->exempt_count < cfg->exempt_count; d->exempt_count++) {
        if (parse_key(cfg->exempt[d->exempt_count], &d->exempt[d->exempt_count]) != 0) {
            if (err)
                buf_appendf(err, "'%s' is not an IP address", cfg->exempt[d->exempt_count]);
            door_free(d);
            return LB_EINVAL;
        }
    }
    *out = d;
    return 0;
}

static void *watch(void *arg);

int door_start(struct door *d)
{
    if (d->timeout_us <= 0)
        return 0;
    if (pthread_create(&d->watchdog, NULL, watch, d) != 0)
        return LB_EIO;
    d->watching = true;
    return 0;
}

void door_free(struct door *d)
{
    if (!d)
        return;
    if (d->watching) {
        pthread_mutex_lock(&d->lock);
        d->stopping = true;
        pthread_cond_signal(&d->wake);
        pthread_mutex_unlock(&d->lock);
        pthread_join(d->watchdog, NULL);
    }
    if (pending.door == d)
        pending.door = NULL;
    while (d->conns) {
        struct door_conn *c = d->conns;
        d->conns = c->next;
        lb_free(c);
    }
    lb_free(d->slots);
    lb_free(d->exempt);
    pthread_cond_destroy(&d->wake);
    pthread_mutex_destroy(&d->lock);
    lb_free(d);
}

/* ---- connections ---- */

bool door_admit(struct door *d, const struct sockaddr *addr, size_t addr_len)
{
    struct door_key full, key;
    bool ok = true;

    pthread_mutex_lock(&d->lock);
    if (pending.door == d && pending.counted) /* libmicrohttpd dropped the last one it admitted */
        slot_release(d, &pending.key);
    pending.door = d;
    pending.counted = false;
    if (d->slots && key_of(addr, addr_len, &full, &key) && !is_exempt(d, &full)) {
        ok = slot_take(d, &key);
        pending.counted = ok;
        pending.key = key;
        if (!ok) {
            pending.door = NULL;
            atomic_fetch_add(&d->refused, 1);
        }
    }
    pthread_mutex_unlock(&d->lock);
    return ok;
}

struct door_conn *door_open(struct door *d, int fd, int64_t now_us)
{
    struct door_conn *c = lb_calloc(1, sizeof(*c));

    pthread_mutex_lock(&d->lock);
    if (pending.door == d) {
        if (c) {
            c->counted = pending.counted;
            c->key = pending.key;
        } else if (pending.counted) {
            slot_release(d, &pending.key);
        }
        pending.door = NULL;
    }
    if (c) {
        c->fd = fd;
        atomic_init(&c->head_due_us, d->timeout_us > 0 ? now_us + d->timeout_us : 0);
        c->next = d->conns;
        if (d->conns)
            d->conns->prev = c;
        d->conns = c;
        d->open++;
    }
    pthread_mutex_unlock(&d->lock);
    return c;
}

void door_close(struct door *d, struct door_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&d->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        d->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (c->counted)
        slot_release(d, &c->key);
    d->open--;
    pthread_mutex_unlock(&d->lock);
    lb_free(c);
}

bool door_head_arrived(struct door_conn *c)
{
    long long due;

    if (!c)
        return true;
    due = atomic_load(&c->head_due_us);
    do {
        if (due == DOOR_CUT)
            return false;
    } while (!atomic_compare_exchange_weak(&c->head_due_us, &due, 0));
    return true;
}

void door_head_wait(struct door *d, struct door_conn *c, int64_t now_us)
{
    long long due;

    if (!c || d->timeout_us <= 0)
        return;
    due = atomic_load(&c->head_due_us);
    do {
        if (due == DOOR_CUT)
            return;
    } while (!atomic_compare_exchange_weak(&c->head_due_us, &due, now_us + d->timeout_us));
}

/* Under d->lock: a connection still listed has not been closed by libmicrohttpd, which closes
 * the socket only after door_close, so its descriptor is still this connection's. */
static size_t sweep_locked(struct door *d, int64_t now_us)
{
    size_t cut = 0;

    for (struct door_conn *c = d->conns; c; c = c->next) {
        long long due = atomic_load(&c->head_due_us);
        while (due > 0 && due <= now_us) {
            if (atomic_compare_exchange_weak(&c->head_due_us, &due, DOOR_CUT)) {
                shutdown(c->fd, SHUT_RDWR);
                cut++;
                break;
            }
        }
    }
    atomic_fetch_add(&d->timed_out, cut);
    return cut;
}

size_t door_sweep(struct door *d, int64_t now_us)
{
    size_t cut;

    pthread_mutex_lock(&d->lock);
    cut = sweep_locked(d, now_us);
    pthread_mutex_unlock(&d->lock);
    return cut;
}

static void *watch(void *arg)
{
    struct door *d = arg;
    /* a late head is cut within an eighth of the timeout (10 to 250 ms) after it was due */
    int64_t period_us = d->timeout_us / 8;

    if (period_us < 10000)
        period_us = 10000;
    if (period_us > 250000)
        period_us = 250000;
    pthread_mutex_lock(&d->lock);
    while (!d->stopping) {
        int64_t at = time_mono_us() + period_us;
        struct timespec ts = {.tv_sec = at / 1000000, .tv_nsec = (at % 1000000) * 1000};
        pthread_cond_timedwait(&d->wake, &d->lock, &ts);
        if (!d->stopping)
            sweep_locked(d, time_mono_us());
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

void door_stats(struct door *d, struct door_stats *out)
{
    pthread_mutex_lock(&d->lock);
    out->open = d->open;
    pthread_mutex_unlock(&d->lock);
    out->refused = atomic_load(&d->refused);
    out->timed_out = atomic_load(&d->timed_out);
}
