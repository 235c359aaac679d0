/*
 * events.h - the server's side of GET /api/v1/events: Server-Sent Events streams that wait
 * without holding a thread.
 *
 * A stream is a libmicrohttpd response whose content callback hands out what is queued for
 * it and, when nothing is, suspends its connection: an idle stream costs a socket and a small
 * struct, never a thread. One hub thread hears of commits (event_hub_wake, core's events
 * hook), reads the new events from the store once, and queues each on the streams that may
 * see it (core/events.h), resuming those that were waiting. It waits on an epoll set of every
 * stream's socket too, so a client that hangs up ends its stream at once (libmicrohttpd does
 * not watch a suspended connection; a client that half-closes counts as gone). It writes a
 * heartbeat comment on a stream silent for heartbeat_ms (and then re-checks its session: a stream
 * whose session ended or was logged out ends), re-reads the store at that pace in case another
 * lockboxd wrote to it, and prunes the store's events to their retention once a minute.
 *
 * A stream that resumes (Last-Event-ID) or lags reads its backlog from the store itself, a
 * page at a time as its client takes it. What a stream holds unsent is bounded by
 * client_buffer bytes (and its socket's send buffer is set to as much): a client that has not
 * taken what it held when new events come, and would pass that bound, is cut at once (its
 * client resumes by its last id); one that had (a burst of many events at once) reads the
 * rest from the store at its own pace instead. Wire format per event:
 * "id: SEQ\nevent: TYPE\ndata: JSON\n\n"; a reset (events the client needs were pruned, or
 * its id is not this store's) is "event: reset" whose id is where the stream goes on.
 *
 * Lock order: the hub's lock, then libmicrohttpd's (suspend and resume are called under the
 * hub's lock; libmicrohttpd calls the content callbacks and frees responses holding none of
 * its own). event_hub_close_all ends every stream and refuses new ones; it runs before the
 * daemon stops, which must not happen with a suspended connection. The hub borrows core.
 * Thread-safe. Errors: LB_ENOMEM, LB_EIO (no thread), LB_ECONFLICT (closing: no new stream).
 */
#ifndef LB_HTTP_EVENTS_H
#define LB_HTTP_EVENTS_H

#include "core/core.h"
#include "core/events.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct MHD_Connection;
struct event_hub;

struct event_hub_config {
    int64_t heartbeat_ms; /* a comment on a stream silent this long; 0: 15 s */
    size_t client_buffer; /* unsent bytes a live stream may hold; 0: 256 KiB */
};

/* What the hub has done, for /metrics. */
struct event_hub_stats {
    uint64_t open;   /* streams open now */
    uint64_t opened; /* streams opened since start */
    uint64_t cut;    /* streams ended because their client fell client_buffer behind */
};

/* A new hub over core (borrowed); its thread runs from event_hub_start. Free with
 * event_hub_free after the server stopped. */
LB_MUST_CHECK int event_hub_new(struct core *core, const struct event_hub_config *cfg,
                                struct event_hub **out);
LB_MUST_CHECK int event_hub_start(struct event_hub *h);
/* Stops the thread and frees the hub (no stream may be open); accepts NULL. */
void event_hub_free(struct event_hub *h);
/* New events may have committed: the hub reads them soon. Safe from any thread; the
 * signature of core_events_fn. */
void event_hub_wake(void *hub);

/* Opens a stream on conn (from its access handler) for view, sending the events after
 * `after` (and first a reset when reset); token (copied) is the session re-checked at each
 * heartbeat, request_id (copied) names the stream in the log. Queues the 200 response. */
LB_MUST_CHECK int event_hub_open(struct event_hub *h, struct MHD_Connection *conn,
                                 const struct event_view *view, const char *token, int64_t after,
                                 bool reset, const char *request_id);
/* Ends every open stream (each after what it has queued is handed out) and refuses new ones. */
void event_hub_close_all(struct event_hub *h);
void event_hub_stats(struct event_hub *h, struct event_hub_stats *out);

#endif
