#include "grants.h"

#include "util/mem.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "util/banned.h"

/* One (operator, resource) of a grant, in one allocation: the check reads it whole. */
struct grant_entry {
    struct grant_entry *next;
    uint64_t hash;
    char request_id[ID_LEN];
    char tenant_id[ID_LEN]; /* the request's tenant */
    enum access_level level;
    int64_t ends_at;
    size_t op_len, res_len;
    char key[]; /* operator NUL resource NUL */
};

/* A request whose grant ended before its end time (revoked, canceled): a late grants_add of
 * it, from a listener that read the request before it ended, must not bring it back. Kept
 * until the grant's end time, after which any entry of it would be refused as ended. */
struct grant_tomb {
    struct grant_tomb *next;
    char request_id[ID_LEN];
    int64_t ends_at;
};

#define TOMB_BUCKETS 256

struct grants {
    pthread_rwlock_t lock;
    struct grant_tomb *tombs[TOMB_BUCKETS];
    struct grant_entry **buckets;
    size_t bucket_count; /* a power of two */
    size_t count;
    /* per-process SipHash keys, one for each half: callers cannot choose colliding keys */
    unsigned char key_op[crypto_shorthash_KEYBYTES], key_res[crypto_shorthash_KEYBYTES];
};

static uint64_t half_hash(const unsigned char *key, const char *s, size_t len)
{
    unsigned char out[crypto_shorthash_BYTES];
    uint64_t h;

    crypto_shorthash(out, (const unsigned char *)s, len, key);
    memcpy(&h, out, sizeof(h));
    return h;
}

/* SipHash of each half under its own key, combined: a keyed hash of the pair that needs no
 * copy of it (the check hashes once per call; BLAKE2b cost it a tenth of its time). */
static uint64_t entry_hash(const struct grants *g, const char *op, size_t op_len, const char *res,
                           size_t res_len)
{
    return half_hash(g->key_op, op, op_len) ^ half_hash(g->key_res, res, res_len);
}

static size_t tomb_bucket(const char *request_id)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a: ids are random UUIDs, not chosen keys */

    for (const char *p = request_id; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h % TOMB_BUCKETS;
}

/* Drops the tombs of bucket b whose grant has ended by now. */
static void tombs_prune(struct grants *g, size_t b, int64_t now)
{
    struct grant_tomb **pp = &g->tombs[b];

    while (*pp) {
        struct grant_tomb *t = *pp;
        if (t->ends_at <= now) {
            *pp = t->next;
            lb_free(t);
            continue;
        }
        pp = &t->next;
    }
}

static bool tomb_has(const struct grants *g, const char *request_id)
{
    for (const struct grant_tomb *t = g->tombs[tomb_bucket(request_id)]; t; t = t->next)
        if (strcmp(t->request_id, request_id) == 0)
            return true;
    return false;
}

/* Remembers that req's grant ended before its end time (a failed allocation forgets it: the
 * periodic rebuild of a multi-node store then settles what a late add brought back). */
static void tomb_add(struct grants *g, const struct request *req, int64_t now)
{
    size_t b = tomb_bucket(req->id);
    struct grant_tomb *t;

    tombs_prune(g, b, now);
    if (req->grant_ends_at <= now || tomb_has(g, req->id) || !(t = lb_calloc(1, sizeof(*t))))
        return;
    memcpy(t->request_id, req->id, ID_LEN - 1);
    t->request_id[ID_LEN - 1] = '\0';
    t->ends_at = req->grant_ends_at;
    t->next = g->tombs[b];
    g->tombs[b] = t;
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
    randombytes_buf(g->key_op, sizeof(g->key_op));
    randombytes_buf(g->key_res, sizeof(g->key_res));
    pthread_rwlock_init(&g->lock, NULL);
    return g;
}

static void entry_free(struct grant_entry *e)
{
    lb_free(e);
}

static const char *entry_resource(const struct grant_entry *e)
{
    return e->key + e->op_len + 1;
}

static bool entry_is(const struct grant_entry *e, uint64_t h, const char *op, size_t op_len,
                     const char *res, size_t res_len)
{
    return e->hash == h && e->op_len == op_len && e->res_len == res_len &&
           memcmp(e->key, op, op_len) == 0 && memcmp(entry_resource(e), res, res_len) == 0;
}

void grants_free(struct grants *g)
{
    if (!g)
        return;
    for (size_t b = 0; b < TOMB_BUCKETS; b++)
        tombs_prune(g, b, INT64_MAX);
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

/* true when g holds e's (operator, resource) for e's request already. */
static bool entry_find(const struct grants *g, const struct grant_entry *e)
{
    for (const struct grant_entry *o = g->buckets[e->hash & (g->bucket_count - 1)]; o; o = o->next)
        if (entry_is(o, e->hash, e->key, e->op_len, entry_resource(e), e->res_len) &&
            strcmp(o->request_id, e->request_id) == 0)
            return true;
    return false;
}

int grants_add(struct grants *g, const struct request *req)
{
    struct grant_entry **made =
        lb_calloc(req->resource_count ? req->resource_count : 1, sizeof(*made));
    int rc = LB_ENOMEM;

    if (!made)
        return LB_ENOMEM;
    size_t op_len = strlen(req->requester_username);

    for (size_t i = 0; i < req->resource_count; i++) {
        size_t res_len = strlen(req->resource_ids[i]);
        struct grant_entry *e = lb_calloc(1, sizeof(*e) + op_len + res_len + 2);
        if (!e)
            goto out;
        made[i] = e;
        e->op_len = op_len;
        e->res_len = res_len;
        memcpy(e->key, req->requester_username, op_len + 1);
        memcpy(e->key + op_len + 1, req->resource_ids[i], res_len + 1);
        memcpy(e->request_id, req->id, ID_LEN - 1);
        e->request_id[ID_LEN - 1] = '\0';
        memcpy(e->tenant_id, req->tenant_id, ID_LEN - 1);
        e->tenant_id[ID_LEN - 1] = '\0';
        e->level = req->access_level;
        e->ends_at = req->grant_ends_at;
        e->hash = entry_hash(g, e->key, op_len, entry_resource(e), res_len);
    }
    pthread_rwlock_wrlock(&g->lock);
    for (size_t i = 0; i < req->resource_count && !tomb_has(g, req->id); i++) {
        size_t b = made[i]->hash & (g->bucket_count - 1);
        if (entry_find(g, made[i]))
            continue; /* added before: from this node's commit, or heard from another */
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

void grants_remove(struct grants *g, const struct request *req, int64_t now)
{
    size_t op_len = strlen(req->requester_username);

    pthread_rwlock_wrlock(&g->lock);
    tomb_add(g, req, now);
    for (size_t i = 0; i < req->resource_count; i++) {
        const char *res = req->resource_ids[i];
        size_t res_len = strlen(res);
        uint64_t h = entry_hash(g, req->requester_username, op_len, res, res_len);
        struct grant_entry **pp = &g->buckets[h & (g->bucket_count - 1)];
        while (*pp) {
            struct grant_entry *e = *pp;
            if (entry_is(e, h, req->requester_username, op_len, res, res_len) &&
                strcmp(e->request_id, req->id) == 0) {
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
    size_t op_len = strlen(operator_name), res_len = strlen(resource_id);
    uint64_t h = entry_hash(g, operator_name, op_len, resource_id, res_len);
    bool found = false;

    pthread_rwlock_rdlock(&g->lock);
    for (struct grant_entry *e = g->buckets[h & (g->bucket_count - 1)]; e; e = e->next) {
        if (!entry_is(e, h, operator_name, op_len, resource_id, res_len) || e->level < level ||
            e->ends_at <= now || strcmp(e->tenant_id, owner_id) != 0)
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

struct grants *grants_new_like(const struct grants *g)
{
    struct grants *fresh = grants_new();

    if (!fresh)
        return NULL;
    memcpy(fresh->key_op, g->key_op, sizeof(g->key_op));
    memcpy(fresh->key_res, g->key_res, sizeof(g->key_res));
    return fresh;
}

/* Frees the entries of fresh whose request g knows to have ended. */
static void drop_tombed(const struct grants *g, struct grants *fresh)
{
    for (size_t i = 0; i < fresh->bucket_count; i++) {
        struct grant_entry **pp = &fresh->buckets[i];
        while (*pp) {
            struct grant_entry *e = *pp;
            if (tomb_has(g, e->request_id)) {
                *pp = e->next;
                entry_free(e);
                fresh->count--;
                continue;
            }
            pp = &e->next;
        }
    }
}

void grants_replace(struct grants *g, struct grants *fresh, int64_t now)
{
    struct grant_entry **buckets;
    size_t bucket_count, count;

    pthread_rwlock_wrlock(&g->lock);
    for (size_t b = 0; b < TOMB_BUCKETS; b++)
        tombs_prune(g, b, now);
    drop_tombed(g, fresh);
    buckets = g->buckets;
    bucket_count = g->bucket_count;
    count = g->count;
    g->buckets = fresh->buckets;
    g->bucket_count = fresh->bucket_count;
    g->count = fresh->count;
    fresh->buckets = buckets;
    fresh->bucket_count = bucket_count;
    fresh->count = count;
    pthread_rwlock_unlock(&g->lock);
}

size_t grants_count(struct grants *g)
{
    size_t n;

    pthread_rwlock_rdlock(&g->lock);
    n = g->count;
    pthread_rwlock_unlock(&g->lock);
    return n;
}
