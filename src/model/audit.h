/*
 * audit.h - one record of the audit log as kept, and the filter of a read of it.
 *
 * audit/ builds a record (its `details` JSON included) and appends it inside the transaction
 * of the change it tells of; the log is append-only. A record filled by the store owns its
 * strings, released by audit_record_clear (each clear accepts a zeroed record and leaves it
 * zeroed); a record passed to the store for an insert is borrowed, which is why its strings
 * are const: audit/ points them at its caller's. Plain data: no behaviour, no I/O.
 */
#ifndef LB_MODEL_AUDIT_H
#define LB_MODEL_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct audit_record {
    int64_t seq;
    int64_t time;
    const char *tenant_id; /* NULL for provider-wide records */
    const char *actor, *actor_id, *actor_type, *client_ip;
    const char *activity, *item;
    const char *request_id; /* the request the record belongs to, or NULL */
    const char *decision;   /* "approve", "deny" or NULL */
    const char *details;    /* a JSON object's text, written by audit/ */
};

struct audit_list {
    struct audit_record *items;
    size_t count;
};

struct audit_filter {
    const char *activity, *actor, *item, *tenant_id; /* NULL: any */
    bool tenant_view;      /* hide records of requests that did not reach the customer */
    int64_t from, to;      /* from inclusive, to exclusive, where set */
    bool has_from, has_to; /* else unbounded (any instant, 0 too, is a bound) */
    bool ascending;        /* oldest first */
    int64_t after_seq;     /* cursor: 0 = start */
    size_t limit;
};

/* Frees what a record owns and zeroes it; accepts a zeroed record. */
void audit_record_clear(struct audit_record *r);
void audit_list_clear(struct audit_list *l);

#endif
