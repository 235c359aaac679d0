/*
 * events.h - the request event stream as core offers it: who sees which events, where a
 * stream (GET /api/v1/events) starts, reading it, and keeping it to its retention.
 *
 * Every transition appends its event inside its own transaction (core_notify, through
 * notify_stream_append), so the stream holds exactly the changes that committed, in commit
 * order, numbered by the store's seq: a client that resumes after the last seq it got misses
 * none. Events are pruned from the oldest (core_config's events_retention_*); a client whose
 * place is older than what is kept gets a reset instead (it re-reads the requests). After a
 * commit that may have appended events, core calls the events hook (core_set_events_hook), so
 * the server's streams hear of them without polling.
 *
 * Provider staff and enforcers see every event; a tenant's users see the events of their
 * tenant's requests that reached the customer (as a tenant's webhooks do). The functions are
 * thread-safe; lists are the caller's to clear. Errors: LB_EFORBIDDEN, LB_ENOMEM, the store's.
 */
#ifndef LB_CORE_EVENTS_H
#define LB_CORE_EVENTS_H

#include "core/authz.h"
#include "core/ids.h"
#include "model/request_event.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct core;

/* Which events one caller sees. */
struct event_view {
    bool all;               /* every event (provider staff, enforcers) */
    char tenant_id[ID_LEN]; /* else the tenant_visible events of this tenant */
};

/* Called after a commit that may have appended events; safe to call from any thread. */
typedef void core_events_fn(void *ctx);
void core_set_events_hook(struct core *c, core_events_fn *fn, void *ctx);
/* Tells the events hook that a commit may have appended events. */
void core_events_wake(struct core *c);

/* The view of actor: LB_EFORBIDDEN for a provider user with none of the roles that see
 * requests (platform_admin, support_engineer, internal_approver, auditor, enforcer). */
LB_MUST_CHECK int core_events_view(const struct principal *actor, struct event_view *out);

/* Where a stream starts: without a last id, after the newest event (*after; only what happens
 * from now on). With one, after it, unless events after it were pruned or the id is newer
 * than any this store gave (another store's): then *reset, and after the newest event. */
LB_MUST_CHECK int core_events_start(struct core *c, bool has_last_id, int64_t last_id,
                                    int64_t *after, bool *reset);

/* Reads up to limit events of v after `after`, oldest first. *through is the seq the reader
 * has seen every event of v up to: the last one read, or, when fewer than limit came, the
 * newest of the store at the read. *gap is true (and out empty) when events after `after`
 * were pruned before they could be read: the reader must reset. */
LB_MUST_CHECK int core_events_read(struct core *c, const struct event_view *v, int64_t after,
                                   size_t limit, struct request_event_list *out, int64_t *through,
                                   bool *gap);

/* Deletes what the retention no longer keeps (events_retention_seconds and _count of the
 * configuration); *deleted counts them. */
LB_MUST_CHECK int core_events_prune(struct core *c, int64_t *deleted);

#endif
