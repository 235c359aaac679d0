/*
 * core_int.h - what the files of core/ share and nobody else sees: the struct core itself,
 * transaction and audit helpers, and the session cache.
 */
#ifndef LB_CORE_CORE_INT_H
#define LB_CORE_CORE_INT_H

#include "audit/audit.h"
#include "core/core.h"
#include "core/denials.h"
#include "core/events.h"
#include "core/owners.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>

struct session_cache;
struct hook_cache;

struct core {
    struct store *store; /* borrowed */
    struct clock clock;
    struct core_config cfg;
    pthread_rwlock_t policy_lock;
    struct policy *policy;           /* (owned) guarded by policy_lock */
    struct grants *grants;           /* (owned) */
    struct owners *owners;           /* (owned) which tenant owns a resource, for the doors */
    struct session_cache *sessions;  /* (owned) */
    struct throttle_table *throttle; /* (owned) the store's failed-login records, cached */
    struct denials *denials;         /* (owned) the doors' denials, on their way to the log */
    struct hook_cache *hooks;        /* (owned) webhook endpoints per tenant (hooks.c) */
    /* Orders the changes made to grants and owners with their rebuilds from the store (see
     * changes.c); the indexes' own locks serve the readers. */
    pthread_mutex_t sync_lock;
    /* Since when (Unix seconds; 0: it hears) this node cannot hear the other nodes' changes;
     * past deaf_grace_seconds the doors refuse to answer from memory that may be stale. */
    atomic_llong deaf_since;
    int64_t deaf_grace_seconds;
    /* The hooks are set and cleared by the daemon's thread while any thread that commits may
     * call them: a hook is called under the read lock, so one cleared (its context about to be
     * freed) is never called after core_set_*_hook returns. */
    pthread_rwlock_t hooks_lock;
    core_deadline_fn *on_deadline;
    void *on_deadline_ctx;
    core_outbox_fn *on_outbox;
    void *on_outbox_ctx;
    core_events_fn *on_events;
    void *on_events_ctx;
    unsigned char page_key[crypto_auth_hmacsha256_KEYBYTES];
    const struct audit_signer *audit_signer; /* (borrowed) signs exports' ends; NULL: unsigned */
    /* the last verification of the audit log: when, and the chains that broke (owned) */
    pthread_mutex_t verified_lock;
    int64_t verified_at;
    char **broken, **broken_why;
    size_t broken_count;
};

/* 0 when actor may read the audit log (its tenant's part, for a tenant user), else
 * LB_EFORBIDDEN. */
LB_MUST_CHECK int core_audit_may_read(const struct principal *actor);
/* Begins a store transaction. */
LB_MUST_CHECK int core_tx_begin(struct core *c);
/* Commits when rc is 0, else rolls back; returns the final code. */
int core_tx_end(struct core *c, int rc);
/* Composes the notices of r's change from `before` (or, with reminder, its reminder) into the
 * outbox, writes their request.notify record and tells the other lockboxd sharing the store
 * (core_publish), inside the caller's transaction; *queued tells whether it may have queued
 * messages (it is left alone when nothing changed). */
LB_MUST_CHECK int core_notify(struct core *c, const struct request *r, enum request_status before,
                              bool reminder, bool *queued);
/* Tells the notification dispatcher that a commit may have added messages. */
void core_outbox_wake(struct core *c);
/* Tells the scheduler about a deadline set by a committed transition. */
void core_deadline_set(struct core *c, int64_t at);
/* The streams the actor may see: the provider, every one; a tenant user, their tenant's. */
LB_MUST_CHECK int core_audit_streams_visible(struct core *c, const struct principal *actor,
                                             struct audit_stream_list *out);
/* Keeps t's stream to its syslog collector as its settings say (inside the caller's
 * transaction). */
LB_MUST_CHECK int core_tenant_stream_sync(struct core *c, const struct tenant *t);

/* An audit entry acted by p at now (fields to be filled by the caller). */
struct audit_entry core_audit_entry(struct core *c, const struct principal *p, const char *activity,
                                    const char *tenant_id, const char *item);
/* Writes a detail line into err when err is not NULL; returns code. */
int core_fail(struct buf *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Whether a read made just after a commit, to answer with what was committed, should be tried
 * again: it found the store away (rc LB_EUNAVAIL, which would tell the client that nothing was
 * done) and less than CORE_COMMITTED_READ_WAIT_MS went by waiting (about a server's restart).
 * Sleeps 100 ms before it says yes; *waited_ms starts at 0. */
#define CORE_COMMITTED_READ_WAIT_MS 10000
bool core_committed_read_again(int rc, int *waited_ms);
/* true when p is provider staff who may read requests and tickets. */
bool core_is_provider_staff(const struct principal *p);
/* Loads a tenant the actor may see: its own for tenant users, any for provider staff. */
LB_MUST_CHECK int core_tenant_load_visible(struct core *c, const struct principal *actor,
                                           const char *tenant_id, struct tenant *out);

/* Loads request id as the actor may see it (GET /requests/{id}): LB_ENOTFOUND when absent or
 * hidden from the actor, LB_EFORBIDDEN (whatever the id) for a provider user who is not staff. */
LB_MUST_CHECK int core_request_load_visible(struct core *c, const struct principal *actor,
                                            const char *id, struct request *r);

/* Tells the other lockboxd sharing the store of a change, inside the caller's transaction. */
LB_MUST_CHECK int core_publish(struct core *c, enum store_change kind, const char *key);
/* core_publish of the failed-login record of (kind, name). */
LB_MUST_CHECK int core_throttle_publish(struct core *c, enum throttle_kind kind, const char *name);
/* Applies a committed request's grant to the index (added while approved, removed once it
 * ended), ordered with the index's rebuilds. */
LB_MUST_CHECK int core_grant_apply(struct core *c, const struct request *r);
/* Loads tenant_id's resource scopes from the store into the owners index (every tenant's for
 * NULL), ordered with other changes to it: whoever loads last loads the newest. */
LB_MUST_CHECK int core_owners_reload(struct core *c, const char *tenant_id);
/* true when this node has not heard the other nodes' changes for longer than the grace: what
 * it holds in memory may be stale, and the doors must not answer from it. */
bool core_changes_deaf(struct core *c, int64_t now);
/* Reads every active grant from the store and puts them in place of the index's at once
 * (at start, and at every resync). */
LB_MUST_CHECK int core_grants_rebuild(struct core *c);
/* Caches the failed-login records still in force, forgetting what the cache held. */
LB_MUST_CHECK int core_throttle_reload(struct core *c);

/* The webhook endpoints of tenant_id (NULL: the every-tenant ones), as store_webhook_list
 * without with_global, from memory when this node has read them since their last change. */
LB_MUST_CHECK int core_hooks_get(struct core *c, const char *tenant_id, struct webhook_list *out);
/* Forgets the endpoints of tenant_id (NULL: the every-tenant ones; all: everyone's). */
void core_hooks_forget(struct core *c, const char *tenant_id, bool all);
struct hook_cache *hook_cache_new(void);
void hook_cache_free(struct hook_cache *hc);

/* Session cache: token hash -> identity; sessions never change once made. */
struct session_cache *session_cache_new(void);
void session_cache_free(struct session_cache *sc);
/* Ends the cached session of hash at now (or leaves it ended, when not cached), so a revoked
 * token is refused at once even by a lookup racing its revocation. */
void session_cache_expire(struct session_cache *sc, const char *hash, int64_t now);
/* Forgets every session not ended at now (read again from the store at their next use);
 * ended ones stay, as session_cache_expire leaves them. */
void session_cache_drop_live(struct session_cache *sc, int64_t now);

#endif
