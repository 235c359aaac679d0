#include "http/ratelimit.h"

#include "util/mem.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "util/banned.h"

/* One token's bucket: `due_ns` is when its bucket would be full again (the generic cell rate
 * algorithm's theoretical arrival time); key 0 marks a free entry. */
struct slot {
    uint64_t key;
    int64_t due_ns;
};

/* A lock in 64 bytes of its own: threads on different shards do not share a cache line (not
 * alignas: the struct is on the heap, whose blocks are aligned to 16). */
union shard {
    pthread_mutex_t lock;
    char line[64];
};

struct ratelimit {
    int64_t interval_ns; /* one call's share of the bucket: 1 s / per_second */
    int64_t depth_ns;    /* the whole bucket: burst calls */
    size_t sets;         /* of RATELIMIT_WAYS slots each */
    struct slot *slots;
    union shard shards[RATELIMIT_SHARDS];
    unsigned char
        key[crypto_shorthash_KEYBYTES]; /* tokens are hashed keyed: no one aims at a set */
    atomic_ullong limited, evicted;
};

struct ratelimit *ratelimit_new(int64_t per_second, int64_t burst, size_t slots)
{
    struct ratelimit *rl;

    /* half of INT64_MAX: a slot's due time plus one interval must not overflow */
    if (per_second < 1 || per_second > RATELIMIT_MAX_PER_SECOND || burst < 1 ||
        burst > (INT64_MAX / 2) / (1000000000LL / per_second) || slots == 0)
        return NULL;
    if (!(rl = lb_calloc(1, sizeof(*rl))))
        return NULL;
    rl->interval_ns = 1000000000LL / per_second;
    rl->depth_ns = rl->interval_ns * burst;
    rl->sets = (slots + RATELIMIT_WAYS - 1) / RATELIMIT_WAYS;
    if (!(rl->slots = lb_calloc(rl->sets * RATELIMIT_WAYS, sizeof(*rl->slots)))) {
        lb_free(rl);
        return NULL;
    }
    for (size_t i = 0; i < RATELIMIT_SHARDS; i++)
        pthread_mutex_init(&rl->shards[i].lock, NULL);
    crypto_shorthash_keygen(rl->key);
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    for (size_t i = 0; i < RATELIMIT_SHARDS; i++)
        pthread_mutex_destroy(&rl->shards[i].lock);
    lb_free(rl->slots);
    sodium_memzero(rl->key, sizeof(rl->key));
    lb_free(rl);
}

static uint64_t hash_of(struct ratelimit *rl, const void *key, size_t key_len)
{
    unsigned char out[crypto_shorthash_BYTES];
    uint64_t h;

    crypto_shorthash(out, key, key_len, rl->key);
    memcpy(&h, out, sizeof(h));
    return h ? h : 1; /* 0 marks a free entry */
}

/* The entry of key in its set (ways), or the one it takes: a free or idle one, else the one
 * whose bucket is nearest to full (*evicted then). The caller holds the set's lock. */
static struct slot *slot_for(struct slot *ways, uint64_t key, int64_t now_ns, bool *evicted)
{
    struct slot *fullest = &ways[0], *spare = NULL;

    for (size_t i = 0; i < RATELIMIT_WAYS; i++) {
        if (ways[i].key == key)
            return &ways[i];
        if (!spare && (ways[i].key == 0 || ways[i].due_ns <= now_ns))
            spare = &ways[i];
        if (ways[i].due_ns < fullest->due_ns)
            fullest = &ways[i];
    }
    *evicted = !spare;
    spare = spare ? spare : fullest;
    spare->key = key;
    spare->due_ns = now_ns;
    return spare;
}

int64_t ratelimit_take(struct ratelimit *rl, const void *key, size_t key_len, int64_t now_us)
{
    uint64_t h;
    size_t set;
    int64_t now_ns = now_us * 1000, due, wait_ns = 0;
    bool evicted = false;
    struct slot *s;

    if (!rl)
        return 0;
    h = hash_of(rl, key, key_len);
    set = (size_t)(h % rl->sets);
    pthread_mutex_lock(&rl->shards[set % RATELIMIT_SHARDS].lock);
    s = slot_for(&rl->slots[set * RATELIMIT_WAYS], h, now_ns, &evicted);
    due = (s->due_ns > now_ns ? s->due_ns : now_ns) + rl->interval_ns;
    if (due - now_ns > rl->depth_ns)
        wait_ns = due - rl->depth_ns - now_ns;
    else
        s->due_ns = due;
    pthread_mutex_unlock(&rl->shards[set % RATELIMIT_SHARDS].lock);
    if (evicted)
        atomic_fetch_add_explicit(&rl->evicted, 1, memory_order_relaxed);
    if (wait_ns == 0)
        return 0;
    atomic_fetch_add_explicit(&rl->limited, 1, memory_order_relaxed);
    return (wait_ns + 999) / 1000;
}

int64_t ratelimit_retry_after(int64_t wait_us)
{
    int64_t s = (wait_us + 999999) / 1000000;

    return s < 1 ? 1 : s;
}

void ratelimit_stats(struct ratelimit *rl, int64_t now_us, struct ratelimit_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!rl)
        return;
    out->limited = atomic_load(&rl->limited);
    out->evicted = atomic_load(&rl->evicted);
    out->slots = rl->sets * RATELIMIT_WAYS;
    for (size_t set = 0; set < rl->sets; set++) {
        pthread_mutex_t *lock = &rl->shards[set % RATELIMIT_SHARDS].lock;
        pthread_mutex_lock(lock);
        for (size_t i = 0; i < RATELIMIT_WAYS; i++) {
            const struct slot *s = &rl->slots[set * RATELIMIT_WAYS + i];
            out->tracked += s->key != 0 && s->due_ns > now_us * 1000;
        }
        pthread_mutex_unlock(lock);
    }
}
