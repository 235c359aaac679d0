/*
 * ratelimit.h - the per-token rate limit: a token bucket for each bearer token that calls.
 *
 * Each token may make `burst` calls at once and `per_second` a second on average after that
 * (a token bucket, kept as its generic cell rate form: one deadline per token, no timer).
 * A token is known only by a keyed 64-bit hash of it (SipHash with a key drawn at start), never
 * by the secret; two tokens that share a hash share a bucket. The table is fixed when made:
 * `slots` entries in sets of RATELIMIT_WAYS, locked by RATELIMIT_SHARDS mutexes, so a call
 * costs one hash, one short critical section and no allocation. A token comes into the set its
 * hash names, taking a free entry or one whose bucket has refilled (an idle token: forgetting it
 * loses nothing); in a set full of tokens that are not idle it takes the place of the one
 * nearest to full, which starts over with a full bucket when it calls again (at most `burst`
 * calls more than its due; counted in `evicted`). Time is given by the caller (a monotonic
 * clock in microseconds), so tests move it without sleeping.
 * A struct ratelimit is made by ratelimit_new and freed by ratelimit_free; NULL means "no
 * limit" to every call. Thread-safe.
 */
#ifndef LB_HTTP_RATELIMIT_H
#define LB_HTTP_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_WAYS 8
#define RATELIMIT_SHARDS 64
/* The table's size: tokens calling within burst / per_second seconds of each other. */
#define RATELIMIT_SLOTS 16384
/* The highest rate: one call a microsecond. */
#define RATELIMIT_MAX_PER_SECOND 1000000

struct ratelimit;

/* What the limit has done, for /metrics. */
struct ratelimit_stats {
    uint64_t limited; /* calls refused since start */
    uint64_t evicted; /* tokens pushed out of a full set before their bucket refilled */
    uint64_t tracked; /* tokens whose bucket is not full at `now` */
    uint64_t slots;   /* the table's size */
};

/* A new limit of per_second calls a second (1..RATELIMIT_MAX_PER_SECOND) with bursts of
 * `burst` (>= 1) in a table of `slots` entries (rounded up to a whole number of sets and
 * shards); NULL when out of memory or the numbers are out of range. */
struct ratelimit *ratelimit_new(int64_t per_second, int64_t burst, size_t slots);
void ratelimit_free(struct ratelimit *rl);

/* Counts one call of the token key (key_len bytes) at now_us: 0 when it may go ahead, else
 * the microseconds until it may (the call is not counted then). rl NULL: always 0. */
int64_t ratelimit_take(struct ratelimit *rl, const void *key, size_t key_len, int64_t now_us);

/* A wait in microseconds as a Retry-After: whole seconds, rounded up, at least 1. */
int64_t ratelimit_retry_after(int64_t wait_us);

/* Fills out at now_us (all zero when rl is NULL). */
void ratelimit_stats(struct ratelimit *rl, int64_t now_us, struct ratelimit_stats *out);

#endif
