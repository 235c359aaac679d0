/*
 * throttle.h - login throttling: how long a login must wait after failed ones, and the
 * in-memory table that answers that before any password is hashed.
 *
 * Failed logins are counted per username, whether or not it exists (an unknown username is
 * slowed and locked exactly like a known one), and per client address. A username's first
 * max_failures / 2 failures are answered at once; after each further one the next login waits
 * 1, 2, 4... seconds (at most THROTTLE_BACKOFF_MAX_SECONDS, and never past a lockout); the
 * max_failures-th locks the username for lockout_seconds and starts its count over. An
 * address is slowed the same way once it has max_failures_per_address failures, and is never
 * locked, so a shared address (NAT, a proxy) is not shut out by a few people's mistakes.
 * Failures are forgotten lockout_seconds after the last one. A waiting login is refused
 * whether or not its password is right. The caller forgets a username's failures when it
 * logs in (not its address's: one good account must not clear an address's record).
 *
 * throttle_* functions are pure arithmetic on a struct login_throttle (model/). The table
 * caches the store's records: the store stays the authority (lockouts survive a restart and
 * are shared by every lockboxd of one store), the table lets a refused login cost no I/O and
 * no hashing. It holds at most max_entries records, dropping forgotten ones when full and
 * caching nothing more while it stays full. Its calls lock internally: thread-safe.
 */
#ifndef LB_CORE_THROTTLE_H
#define LB_CORE_THROTTLE_H

#include "model/login_throttle.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct login_limits {
    int64_t max_failures;             /* a username's failures that lock it */
    int64_t lockout_seconds;          /* how long a lock lasts; failures are forgotten after */
    int64_t max_failures_per_address; /* an address's failures answered before it is slowed */
};

#define THROTTLE_BACKOFF_MAX_SECONDS 60
#define THROTTLE_ADDRESS_LEN 56 /* an IPv6 address, "/64" and a NUL */

/* The wait after `failures` failures when the first `free_failures` cost none: 0, then 1, 2,
 * 4... seconds, at most THROTTLE_BACKOFF_MAX_SECONDS. */
int64_t throttle_backoff(int64_t failures, int64_t free_failures);
/* true when t holds nothing in force at now (no lock, its failures forgotten). */
bool throttle_is_stale(const struct login_limits *l, const struct login_throttle *t, int64_t now);
/* Seconds a login must still wait at now because of t (0: it may go ahead). */
int64_t throttle_wait(const struct login_limits *l, const struct login_throttle *t, int64_t now);
/* Counts a failed login at now into t; true when this failure locked t (usernames only). */
bool throttle_fail(const struct login_limits *l, struct login_throttle *t, int64_t now);
/* Writes the address key of a client address: an IPv4 address (also one mapped into IPv6) as
 * it is, an IPv6 one as its /64 (one site's or host's usual share), anything else as given
 * (cut to fit). */
void throttle_address_key(const char *ip, char out[THROTTLE_ADDRESS_LEN]);

struct throttle_table;

/* A new empty table of at most max_entries records; NULL when out of memory. */
struct throttle_table *throttle_table_new(size_t max_entries);
void throttle_table_free(struct throttle_table *tt);
/* The longest wait at now of the cached records of username and address (an address key). */
int64_t throttle_table_wait(struct throttle_table *tt, const struct login_limits *l,
                            const char *username, const char *address, int64_t now);
/* Caches a copy of t, or forgets its kind and name when t is stale at now. */
void throttle_table_set(struct throttle_table *tt, const struct login_limits *l,
                        const struct login_throttle *t, int64_t now);
/* Forgets the record of kind and name. */
void throttle_table_forget(struct throttle_table *tt, enum throttle_kind kind, const char *name);
/* The table becomes copies of the count records in force at now among items (at most its
 * maximum), swapped in at once: a check meanwhile sees the old records or the new, never
 * none. 0, or LB_ENOMEM with the table unchanged. */
int throttle_table_replace(struct throttle_table *tt, const struct login_limits *l,
                           const struct login_throttle *items, size_t count, int64_t now);
/* The number of cached records. */
size_t throttle_table_count(struct throttle_table *tt);

#endif
