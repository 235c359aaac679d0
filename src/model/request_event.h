/*
 * request_event.h - one event of the request event stream (GET /api/v1/events), as kept.
 *
 * notify/ composes an event's body (the webhook body of the same change) inside the
 * transaction of the change; store/ keeps it under a sequence number `seq` that orders the
 * stream and resumes it (a client's Last-Event-ID); http/ sends it. An event is shown to the
 * provider's staff and enforcers, and, when tenant_visible, to the users of its tenant. An
 * event filled by the store owns its strings, released by request_event_clear; one passed to
 * the store for an insert is borrowed, which is why its strings are const (notify/ points
 * them at the request's). No behaviour, no I/O.
 */
#ifndef LB_MODEL_REQUEST_EVENT_H
#define LB_MODEL_REQUEST_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct request_event {
    int64_t seq;           /* the stream's order and the event's SSE id; set by the store */
    const char *id;        /* the body's "id" (a UUID) */
    const char *type;      /* "request.pending", ... (the webhook event type) */
    const char *tenant_id; /* the request's tenant */
    const char *request_id;
    bool tenant_visible; /* the request reached the customer: the tenant's users see it */
    int64_t created_at;  /* Unix seconds */
    const char *body;    /* JSON {"id","type","time","tenant_id","request"} */
};

struct request_event_list {
    struct request_event *items;
    size_t count;
};

/* Which events a read returns: those after after_seq and at most through_seq (0: no bound),
 * with tenant_id only the tenant_visible ones of that tenant (NULL: every event), oldest
 * first, at most limit. */
struct request_event_filter {
    int64_t after_seq, through_seq;
    const char *tenant_id;
    size_t limit;
};

/* Frees what an event owns and zeroes it; accepts a zeroed event. */
void request_event_clear(struct request_event *e);
void request_event_list_clear(struct request_event_list *l);

#endif
