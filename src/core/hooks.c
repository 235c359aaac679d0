/*
 * The webhook endpoints each notice is told to, kept in memory: every change of a request
 * reads its tenant's endpoints and the every-tenant ones, inside the write transaction, where
 * on PostgreSQL each read is a round trip holding every node's write lock. The cache keeps
 * what it read per tenant ("" for the every-tenant endpoints), without secrets (a delivery
 * reads its endpoint's secret when it sends). A create or delete forgets its tenant's entry
 * after it commits (and, through the change feed, on every other node); a read that raced a
 * forget is not kept (a generation count), so a list is never older than the last change
 * this node heard of.
 */
#include "core_int.h"
#include "util/mem.h"
#include "util/strv.h"

#include <string.h>

#include "util/banned.h"

#define HOOK_BUCKETS 256

struct hook_entry {
    struct hook_entry *next;
    char *key; /* the tenant's id, "" for the every-tenant endpoints */
    struct webhook_list list;
};

struct hook_cache {
    pthread_mutex_t lock;
    unsigned long long generation; /* bumped by every forget */
    struct hook_entry *buckets[HOOK_BUCKETS];
};

static size_t bucket_of(const char *key)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a: tenant ids are random UUIDs */

    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h % HOOK_BUCKETS;
}

struct hook_cache *hook_cache_new(void)
{
    struct hook_cache *hc = lb_calloc(1, sizeof(*hc));

    if (hc)
        pthread_mutex_init(&hc->lock, NULL);
    return hc;
}

static void entry_free(struct hook_entry *e)
{
    lb_free(e->key);
    webhook_list_clear(&e->list);
    lb_free(e);
}

/* Forgets every entry (bucket by bucket) whose key is key, or every one for NULL; under the
 * lock. */
static void forget_locked(struct hook_cache *hc, const char *key)
{
    for (size_t b = key ? bucket_of(key) : 0; b < HOOK_BUCKETS; b++) {
        struct hook_entry **pp = &hc->buckets[b];
        while (*pp) {
            struct hook_entry *e = *pp;
            if (!key || strcmp(e->key, key) == 0) {
                *pp = e->next;
                entry_free(e);
                continue;
            }
            pp = &e->next;
        }
        if (key)
            break;
    }
    hc->generation++;
}

void hook_cache_free(struct hook_cache *hc)
{
    if (!hc)
        return;
    forget_locked(hc, NULL);
    pthread_mutex_destroy(&hc->lock);
    lb_free(hc);
}

/* A copy of w without its secret into *out. */
static int copy_hook(const struct webhook *w, struct webhook *out)
{
    memset(out, 0, sizeof(*out));
    out->id = lb_strdup(w->id);
    out->tenant_id = w->tenant_id ? lb_strdup(w->tenant_id) : NULL;
    out->url = lb_strdup(w->url);
    out->created_at = w->created_at;
    if (!out->id || !out->url || (w->tenant_id && !out->tenant_id) ||
        strv_dup(w->events, w->event_count, &out->events) != 0) {
        webhook_clear(out);
        return LB_ENOMEM;
    }
    out->event_count = w->event_count;
    return 0;
}

static int copy_list(const struct webhook_list *from, struct webhook_list *out)
{
    memset(out, 0, sizeof(*out));
    if (from->count == 0)
        return 0;
    if (!(out->items = lb_calloc(from->count, sizeof(*out->items))))
        return LB_ENOMEM;
    for (; out->count < from->count; out->count++)
        if (copy_hook(&from->items[out->count], &out->items[out->count]) != 0) {
            webhook_list_clear(out);
            return LB_ENOMEM;
        }
    return 0;
}

/* Copies the cached list of key into out: true when there was one (*rc is the copy's code). */
static bool lookup(struct hook_cache *hc, const char *key, struct webhook_list *out, int *rc)
{
    bool hit = false;

    pthread_mutex_lock(&hc->lock);
    for (struct hook_entry *e = hc->buckets[bucket_of(key)]; e && !hit; e = e->next)
        if (strcmp(e->key, key) == 0) {
            hit = true;
            *rc = copy_list(&e->list, out);
        }
    pthread_mutex_unlock(&hc->lock);
    return hit;
}

/* Keeps a copy of list as key's, unless a forget came after generation (the read is then
 * older than a change); a failed allocation keeps nothing. */
static void remember(struct hook_cache *hc, const char *key, const struct webhook_list *list,
                     unsigned long long generation)
{
    struct hook_entry *e = lb_calloc(1, sizeof(*e));
    size_t b = bucket_of(key);

    if (!e)
        return;
    if (!(e->key = lb_strdup(key)) || copy_list(list, &e->list) != 0) {
        entry_free(e);
        return;
    }
    pthread_mutex_lock(&hc->lock);
    if (hc->generation == generation) {
        e->next = hc->buckets[b];
        hc->buckets[b] = e;
        e = NULL;
    }
    pthread_mutex_unlock(&hc->lock);
    if (e)
        entry_free(e);
}

int core_hooks_get(struct core *c, const char *tenant_id, struct webhook_list *out)
{
    struct hook_cache *hc = c->hooks;
    const char *key = tenant_id ? tenant_id : "";
    unsigned long long generation;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (lookup(hc, key, out, &rc))
        return rc;
    pthread_mutex_lock(&hc->lock);
    generation = hc->generation;
    pthread_mutex_unlock(&hc->lock);
    if ((rc = store_webhook_list(c->store, tenant_id, false, out)) == 0)
        remember(hc, key, out, generation);
    return rc;
}

void core_hooks_forget(struct core *c, const char *tenant_id, bool all)
{
    pthread_mutex_lock(&c->hooks->lock);
    forget_locked(c->hooks, all ? NULL : tenant_id ? tenant_id : "");
    pthread_mutex_unlock(&c->hooks->lock);
}
