#include "throttle.h"

#include "util/err.h"
#include "util/mem.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "util/banned.h"

#define TABLE_BUCKETS 4096

int64_t throttle_backoff(int64_t failures, int64_t free_failures)
{
    int64_t k = failures - free_failures - 1;

    if (k < 0)
        return 0;
    if (k >= 6) /* 2^6 is past the cap already */
        return THROTTLE_BACKOFF_MAX_SECONDS;
    return (int64_t)1 << k < THROTTLE_BACKOFF_MAX_SECONDS ? (int64_t)1 << k
                                                          : THROTTLE_BACKOFF_MAX_SECONDS;
}

bool throttle_is_stale(const struct login_limits *l, const struct login_throttle *t, int64_t now)
{
    return t->locked_until <= now &&
           (t->failures == 0 || now - t->last_failure_at >= l->lockout_seconds);
}

int64_t throttle_wait(const struct login_limits *l, const struct login_throttle *t, int64_t now)
{
    int64_t free_failures, backoff, wait;

    if (t->locked_until > now)
        return t->locked_until - now;
    if (throttle_is_stale(l, t, now))
        return 0;
    free_failures =
        t->kind == THROTTLE_USERNAME ? l->max_failures / 2 : l->max_failures_per_address;
    backoff = throttle_backoff(t->failures, free_failures);
    if (backoff > l->lockout_seconds)
        backoff = l->lockout_seconds;
    wait = t->last_failure_at + backoff - now;
    /* a clock set back never makes anyone wait longer than the backoff itself */
    return wait < 0 ? 0 : wait > backoff ? backoff : wait;
}

bool throttle_fail(const struct login_limits *l, struct login_throttle *t, int64_t now)
{
    if (throttle_is_stale(l, t, now)) {
        t->failures = 0;
        t->locked_until = 0;
    }
    if (t->failures < INT64_MAX)
        t->failures++;
    t->last_failure_at = now;
    if (t->kind == THROTTLE_USERNAME && t->failures >= l->max_failures) {
        t->failures = 0;
        t->locked_until = now + l->lockout_seconds;
        return true;
    }
    return false;
}

void throttle_address_key(const char *ip, char out[THROTTLE_ADDRESS_LEN])
{
    struct in6_addr a6;
    struct in_addr a4;
    char text[INET6_ADDRSTRLEN];

    if (inet_pton(AF_INET6, ip, &a6) == 1) {
        if (IN6_IS_ADDR_V4MAPPED(&a6)) {
            memcpy(&a4, &a6.s6_addr[12], sizeof(a4));
            inet_ntop(AF_INET, &a4, out, THROTTLE_ADDRESS_LEN);
            return;
        }
        memset(&a6.s6_addr[8], 0, 8);
        inet_ntop(AF_INET6, &a6, text, sizeof(text));
        snprintf(out, THROTTLE_ADDRESS_LEN, "%s/64", text);
        return;
    }
    snprintf(out, THROTTLE_ADDRESS_LEN, "%s", ip);
}

/* ---- the table ---- */

struct entry {
    struct entry *next;
    struct login_throttle t; /* t.name (owned) */
};

struct throttle_table {
    pthread_mutex_t lock;
    unsigned char key[crypto_generichash_KEYBYTES]; /* names are chosen by clients: keyed */
    struct entry *buckets[TABLE_BUCKETS];
    size_t count, max;
};

struct throttle_table *throttle_table_new(size_t max_entries)
{
    struct throttle_table *tt = lb_calloc(1, sizeof(*tt));

    if (!tt)
        return NULL;
    pthread_mutex_init(&tt->lock, NULL);
    crypto_generichash_keygen(tt->key);
    tt->max = max_entries;
    return tt;
}

static void entry_free(struct entry *e)
{
    login_throttle_clear(&e->t);
    lb_free(e);
}

/* Frees the entries of buckets (an array of TABLE_BUCKETS lists). */
static void buckets_free(struct entry **buckets)
{
    for (size_t i = 0; i < TABLE_BUCKETS; i++)
        for (struct entry *e = buckets[i], *next; e; e = next) {
            next = e->next;
            entry_free(e);
        }
}

void throttle_table_free(struct throttle_table *tt)
{
    if (!tt)
        return;
    buckets_free(tt->buckets);
    pthread_mutex_destroy(&tt->lock);
    lb_free(tt);
}

static size_t bucket_of(struct throttle_table *tt, enum throttle_kind kind, const char *name)
{
    crypto_generichash_state st;
    unsigned char h[8], k = (unsigned char)kind;
    uint64_t v = 0;

    crypto_generichash_init(&st, tt->key, sizeof(tt->key), sizeof(h));
    crypto_generichash_update(&st, &k, 1);
    crypto_generichash_update(&st, (const unsigned char *)name, strlen(name));
    crypto_generichash_final(&st, h, sizeof(h));
    for (size_t i = 0; i < sizeof(h); i++)
        v = (v << 8) | h[i];
    return (size_t)(v % TABLE_BUCKETS);
}

/* The entry of (kind, name) in bucket b, or NULL; *prev_next points at the link to it. */
static struct entry *find(struct throttle_table *tt, size_t b, enum throttle_kind kind,
                          const char *name, struct entry ***prev_next)
{
    struct entry **link = &tt->buckets[b];

    for (; *link; link = &(*link)->next)
        if ((*link)->t.kind == kind && strcmp((*link)->t.name, name) == 0)
            break;
    if (prev_next)
        *prev_next = link;
    return *link;
}

int64_t throttle_table_wait(struct throttle_table *tt, const struct login_limits *l,
                            const char *username, const char *address, int64_t now)
{
    size_t bu = bucket_of(tt, THROTTLE_USERNAME, username);
    size_t ba = bucket_of(tt, THROTTLE_ADDRESS, address);
    int64_t wait = 0, w;
    struct entry *e;

    pthread_mutex_lock(&tt->lock);
    if ((e = find(tt, bu, THROTTLE_USERNAME, username, NULL)) != NULL)
        wait = throttle_wait(l, &e->t, now);
    if ((e = find(tt, ba, THROTTLE_ADDRESS, address, NULL)) != NULL &&
        (w = throttle_wait(l, &e->t, now)) > wait)
        wait = w;
    pthread_mutex_unlock(&tt->lock);
    return wait;
}

/* Drops every stale record (the caller holds the lock). */
static void sweep(struct throttle_table *tt, const struct login_limits *l, int64_t now)
{
    for (size_t i = 0; i < TABLE_BUCKETS; i++) {
        struct entry **link = &tt->buckets[i];
        while (*link) {
            struct entry *e = *link;
            if (throttle_is_stale(l, &e->t, now)) {
                *link = e->next;
                entry_free(e);
                tt->count--;
            } else {
                link = &e->next;
            }
        }
    }
}

static void forget_locked(struct throttle_table *tt, size_t b, enum throttle_kind kind,
                          const char *name)
{
    struct entry **link, *e = find(tt, b, kind, name, &link);

    if (e) {
        *link = e->next;
        entry_free(e);
        tt->count--;
    }
}

void throttle_table_set(struct throttle_table *tt, const struct login_limits *l,
                        const struct login_throttle *t, int64_t now)
{
    size_t b = bucket_of(tt, t->kind, t->name);
    struct entry *e, *fresh = NULL;
    char *name = NULL;

    if (!throttle_is_stale(l, t, now)) {
        fresh = lb_calloc(1, sizeof(*fresh));
        name = lb_strdup(t->name);
    }
    pthread_mutex_lock(&tt->lock);
    if (!fresh) {
        forget_locked(tt, b, t->kind, t->name);
        goto out;
    }
    if ((e = find(tt, b, t->kind, t->name, NULL)) != NULL) {
        e->t.failures = t->failures;
        e->t.last_failure_at = t->last_failure_at;
        e->t.locked_until = t->locked_until;
        goto out;
    }
    if (tt->count >= tt->max)
        sweep(tt, l, now);
    if (!name || tt->count >= tt->max)
        goto out; /* full of records in force: the store still answers */
    fresh->t = *t;
    fresh->t.name = name;
    fresh->next = tt->buckets[b];
    tt->buckets[b] = fresh;
    tt->count++;
    fresh = NULL;
    name = NULL;
out:
    pthread_mutex_unlock(&tt->lock);
    lb_free(fresh);
    lb_free(name);
}

int throttle_table_replace(struct throttle_table *tt, const struct login_limits *l,
                           const struct login_throttle *items, size_t count, int64_t now)
{
    struct entry **fresh = lb_calloc(TABLE_BUCKETS, sizeof(*fresh)), *e;
    size_t kept = 0;

    if (!fresh)
        return LB_ENOMEM;
    for (size_t i = 0; i < count && kept < tt->max; i++) {
        size_t b = bucket_of(tt, items[i].kind, items[i].name);
        if (throttle_is_stale(l, &items[i], now))
            continue;
        if (!(e = lb_calloc(1, sizeof(*e))) || !(e->t.name = lb_strdup(items[i].name))) {
            lb_free(e);
            buckets_free(fresh);
            lb_free(fresh);
            return LB_ENOMEM;
        }
        e->t.kind = items[i].kind;
        e->t.failures = items[i].failures;
        e->t.last_failure_at = items[i].last_failure_at;
        e->t.locked_until = items[i].locked_until;
        e->next = fresh[b];
        fresh[b] = e;
        kept++;
    }
    pthread_mutex_lock(&tt->lock);
    for (size_t i = 0; i < TABLE_BUCKETS; i++) {
        e = tt->buckets[i];
        tt->buckets[i] = fresh[i];
        fresh[i] = e;
    }
    tt->count = kept;
    pthread_mutex_unlock(&tt->lock);
    buckets_free(fresh); /* the old entries, freed outside the lock */
    lb_free(fresh);
    return 0;
}

void throttle_table_forget(struct throttle_table *tt, enum throttle_kind kind, const char *name)
{
    size_t b = bucket_of(tt, kind, name);

    pthread_mutex_lock(&tt->lock);
    forget_locked(tt, b, kind, name);
    pthread_mutex_unlock(&tt->lock);
}

size_t throttle_table_count(struct throttle_table *tt)
{
    size_t n;

    pthread_mutex_lock(&tt->lock);
    n = tt->count;
    pthread_mutex_unlock(&tt->lock);
    return n;
}
