#include "owners.h"

#include "util/mem.h"

#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <string.h>

#include "util/banned.h"

struct owner_entry {
    struct owner_entry *next;
    uint64_t hash;
    char *scope; /* (owned) */
    size_t scope_len;
    char tenant_id[ID_LEN];
};

struct owners {
    pthread_rwlock_t lock;
    struct owner_entry **buckets;
    size_t bucket_count; /* a power of two */
    size_t count;
    unsigned char key[crypto_shorthash_KEYBYTES]; /* per-process: callers cannot aim collisions */
};

static uint64_t prefix_hash(const struct owners *o, const char *s, size_t len)
{
    unsigned char out[crypto_shorthash_BYTES];
    uint64_t h;

    crypto_shorthash(out, (const unsigned char *)s, len, o->key);
    memcpy(&h, out, sizeof(h));
    return h;
}

struct owners *owners_new(void)
{
    struct owners *o = lb_calloc(1, sizeof(*o));

    if (!o)
        return NULL;
    o->bucket_count = 256;
    o->buckets = lb_calloc(o->bucket_count, sizeof(*o->buckets));
    if (!o->buckets) {
        lb_free(o);
        return NULL;
    }
    randombytes_buf(o->key, sizeof(o->key));
    pthread_rwlock_init(&o->lock, NULL);
    return o;
}

static void entry_free(struct owner_entry *e)
{
    lb_free(e->scope);
    lb_free(e);
}

static void entries_free(struct owner_entry *e)
{
    for (struct owner_entry *next; e; e = next) {
        next = e->next;
        entry_free(e);
    }
}

void owners_free(struct owners *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->bucket_count; i++)
        entries_free(o->buckets[i]);
    lb_free(o->buckets);
    pthread_rwlock_destroy(&o->lock);
    lb_free(o);
}

/* Doubles the table when it is loaded past 1; keeps the old one on allocation failure. */
static void maybe_grow(struct owners *o)
{
    size_t n = o->bucket_count * 2;
    struct owner_entry **b;

    if (o->count <= o->bucket_count || !(b = lb_calloc(n, sizeof(*b))))
        return;
    for (size_t i = 0; i < o->bucket_count; i++) {
        for (struct owner_entry *e = o->buckets[i], *next; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    }
    lb_free(o->buckets);
    o->buckets = b;
    o->bucket_count = n;
}

/* New entries for scopes, chained through next; NULL with *rc set on failure. */
static struct owner_entry *entries_new(const struct owners *o, const char *tenant_id,
                                       char *const *scopes, size_t count, int *rc)
{
    struct owner_entry *head = NULL;

    for (size_t i = 0; i < count; i++) {
        struct owner_entry *e = lb_calloc(1, sizeof(*e));
        if (!e || !(e->scope = lb_strdup(scopes[i]))) {
            lb_free(e);
            entries_free(head);
            *rc = LB_ENOMEM;
            return NULL;
        }
        e->scope_len = strlen(e->scope);
        e->hash = prefix_hash(o, e->scope, e->scope_len);
        memcpy(e->tenant_id, tenant_id, ID_LEN - 1);
        e->next = head;
        head = e;
    }
    *rc = 0;
    return head;
}

int owners_set(struct owners *o, const char *tenant_id, char *const *scopes, size_t count)
{
    int rc;
    struct owner_entry *fresh = entries_new(o, tenant_id, scopes, count, &rc);

    if (rc)
        return rc;
    pthread_rwlock_wrlock(&o->lock);
    for (size_t i = 0; i < o->bucket_count; i++) {
        for (struct owner_entry **pp = &o->buckets[i]; *pp;) {
            struct owner_entry *e = *pp;
            if (strcmp(e->tenant_id, tenant_id) != 0) {
                pp = &e->next;
                continue;
            }
            *pp = e->next;
            entry_free(e);
            o->count--;
        }
    }
    for (struct owner_entry *next; fresh; fresh = next) {
        next = fresh->next;
        size_t b = fresh->hash & (o->bucket_count - 1);
        fresh->next = o->buckets[b];
        o->buckets[b] = fresh;
        o->count++;
        maybe_grow(o);
    }
    pthread_rwlock_unlock(&o->lock);
    return 0;
}

/* The entry whose scope is resource_id's first len bytes, or NULL (under the read lock). */
static const struct owner_entry *lookup(const struct owners *o, const char *resource_id, size_t len)
{
    uint64_t h = prefix_hash(o, resource_id, len);

    for (const struct owner_entry *e = o->buckets[h & (o->bucket_count - 1)]; e; e = e->next)
        if (e->hash == h && e->scope_len == len && memcmp(e->scope, resource_id, len) == 0)
            return e;
    return NULL;
}

bool owners_find(struct owners *o, const char *resource_id, char tenant_id[ID_LEN])
{
    const struct owner_entry *found = NULL;

    if (resource_id[0] != '/')
        return false;
    pthread_rwlock_rdlock(&o->lock);
    /* a scope covers the resource when it is the whole id or ends where a segment does */
    for (size_t i = 1; o->count && !found; i++) {
        if (resource_id[i] == '/' || resource_id[i] == '\0')
            found = lookup(o, resource_id, i);
        if (resource_id[i] == '\0')
            break;
    }
    if (found)
        memcpy(tenant_id, found->tenant_id, ID_LEN);
    pthread_rwlock_unlock(&o->lock);
    return found != NULL;
}

size_t owners_count(struct owners *o)
{
    size_t n;

    pthread_rwlock_rdlock(&o->lock);
    n = o->count;
    pthread_rwlock_unlock(&o->lock);
    return n;
}
