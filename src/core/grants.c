#include "grants.h"

#include "util/mem.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "util/banned.h"

struct grant_entry {
    struct grant_entry *next;
    uint64_t hash;
    char *operator_name, *resource_id; /* (owned) */
    char request_id[ID_LEN];
    char tenant_id[ID_LEN]; /* the request's tenant */
    enum access_level level;
    int64_t ends_at;
};

struct grants {
    pthread_rwlock_t lock;
    struct grant_entry **buckets;
    size_t bucket_count; /* a power of two */
    size_t count;
    unsigned char key[crypto_generichash_KEYBYTES]; /* per-process hash key */
};

static uint64_t entry_hash(const struct grants *g, const char *op, const char *res)
{
    crypto_generichash_state st;
    unsigned char out[8];
    uint64_t h;

    /* BLAKE2b over "op\0res" keyed per process: callers cannot choose colliding keys */
    crypto_generichash_init(&st, g->key, sizeof(g->key), sizeof(out));
    crypto_generichash_update(&st, (const unsigned char *)op, strlen(op) + 1);
    crypto_generichash_update(&st, (const unsigned char *)res, strlen(res));
    crypto_generichash_final(&st, out, sizeof(out));
    memcpy(&h, out, sizeof(h));
    return h;
}

struct grants *grants_new(void)
{
    struct grants *g = lb_calloc(1, sizeof(*g));

    if (!g)
        return NULL;
    g->bucket_count = 1024;
    g->buckets = lb_calloc(g->bucket_count, sizeof(*g->buckets));
    if (!g->buckets) {
        lb_free(g);
        return NULL;
    }
    randombytes_buf(g->key, sizeof(g->key));
    pthread_rwlock_init(&g->lock, NULL);
    return g;
}

static void entry_free(struct grant_entry *e)
{
    lb_free(e->operator_name);
    lb_free(e->resource_id);
    lb_free(e);
}

void grants_free(struct grants *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->bucket_count; i++) {
        struct grant_entry *e = g->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            entry_free(e);
        }
    }
    lb_free(g->buckets);
    pthread_rwlock_destroy(&g->lock);
    lb_free(g);
}

/* Doubles the table when it is loaded past 1; keeps the old one on allocation failure. */
static void maybe_grow(struct grants *g)
{
    size_t n = g->bucket_count * 2;
    struct grant_entry **b;

    if (g->count <= g->bucket_count)
        return;
    b = lb_calloc(n, sizeof(*b));
    if (!b)
        return;
    for (size_t i = 0; i < g->bucket_count; i++) {
        struct grant_entry *e = g->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    }
    lb_free(g->buckets);
    g->buckets = b;
    g->bucket_count = n;
}

int grants_add(struct grants *g, const struct request *req)
{
    struct grant_entry **made =
        lb_calloc(req->resource_count ? req->resource_count : 1, sizeof(*made));
    int rc = LB_ENOMEM;

    if (!made)
        return LB_ENOMEM;
    for (size_t i = 0; i < req->resource_count; i++) {
        struct grant_entry *e = lb_calloc(1, sizeof(*e));
        if (!e)
            goto out;
        made[i] = e;
        e->operator_name = lb_strdup(req->requester_username);
        e->resource_id = lb_strdup(req->resource_ids[i]);
        if (!e->operator_name || !e->resource_id)
            goto out;
        memcpy(e->request_id, req->id, ID_LEN - 1);
        e->request_id[ID_LEN - 1] = '\0';
        memcpy(e->tenant_id, req->tenant_id, ID_LEN - 1);
        e->tenant_id[ID_LEN - 1] = '\0';
        e->level = req->access_level;
        e->ends_at = req->grant_ends_at;
        e->hash = entry_hash(g, e->operator_name, e->resource_id);
    }
    pthread_rwlock_wrlock(&g->lock);
    for (size_t i = 0; i < req->resource_count; i++) {
        size_t b = made[i]->hash & (g->bucket_count - 1);
        made[i]->next = g->buckets[b];
        g->buckets[b] = made[i];
        g->count++;
        made[i] = NULL;
        maybe_grow(g);
    }
    pthread_rwlock_unlock(&g->lock);
    rc = 0;
out:
    for (size_t i = 0; i < req->resource_count; i++)
        if (made[i])
            entry_free(made[i]);
    lb_free(made);
    return rc;
}

void grants_remove(struct grants *g, const struct request *req)
{
    pthread_rwlock_wrlock(&g->lock);
    for (size_t i = 0; i < req->resource_count; i++) {
        uint64_t h = entry_hash(g, req->requester_username, req->resource_ids[i]);
        struct grant_entry **pp = &g->buckets[h & (g->bucket_count - 1)];
        while (*pp) {
            struct grant_entry *e = *pp;
            if (e->hash == h && strcmp(e->request_id, req->id) == 0 &&
                strcmp(e->resource_id, req->resource_ids[i]) == 0) {
                *pp = e->next;
                entry_free(e);
                g->count--;
                continue;
            }
            pp = &e->next;
        }
    }
    pthread_rwlock_unlock(&g->lock);
}

bool grants_check(struct grants *g, const char *operator_name, const char *resource_id,
                  const char *owner_id, enum access_level level, int64_t now,
                  struct grant_match *match)
{
    uint64_t h = entry_hash(g, operator_name, resource_id);
    bool found = false;

    pthread_rwlock_rdlock(&g->lock);
    for (struct grant_entry *e = g->buckets[h & (g->bucket_count - 1)]; e; e = e->next) {
        if (e->hash != h || e->level < level || e->ends_at <= now ||
            strcmp(e->tenant_id, owner_id) != 0 || strcmp(e->operator_name, operator_name) != 0 ||
            strcmp(e->resource_id, resource_id) != 0)
            continue;
        if (!found || e->ends_at > match->ends_at) {
            memcpy(match->request_id, e->request_id, ID_LEN);
            match->ends_at = e->ends_at;
            found = true;
        }
    }
    pthread_rwlock_unlock(&g->lock);
    return found;
}

size_t grants_count(struct grants *g)
{
    size_t n;

    pthread_rwlock_rdlock(&g->lock);
    n = g->count;
    pthread_rwlock_unlock(&g->lock);
    return n;
}
