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
    /* its place in its hash chain (audit/chain.h): the tenant's id, or "provider" */
    const char *chain;
    int64_t chain_index;   /* 1 for a chain's first record */
    const char *prev_hash; /* hex; 64 zeros before the first */
    const char *hash;      /* hex SHA-256 of the record's canonical encoding */
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
    bool by_time;          /* ordered by (time, seq), not seq: a time window's index serves it */
    int64_t after_seq;     /* cursor: 0 = start (by_time: past that record's time and seq) */
    size_t limit;
};

/* A chain's newest record and its newest signed checkpoint (0 and 0 before the first). */
struct audit_chain_head {
    char *chain;
    int64_t index, time;
    char *hash;
    int64_t checkpoint_index, checkpoint_time;
    int64_t pruned_index; /* retention: records through this checkpoint's index may be gone */
};

struct audit_chain_head_list {
    struct audit_chain_head *items;
    size_t count;
};

/* A signed statement that a chain's record `index` has `hash` (audit/chain.h). */
struct audit_checkpoint {
    const char *chain;
    int64_t index, time;
    const char *hash, *key_id, *signature; /* hex */
};

struct audit_checkpoint_list {
    struct audit_checkpoint *items;
    size_t count;
};

/* A public key that signs checkpoints; retired_at 0 while it signs. */
struct audit_key {
    const char *id, *public_key; /* hex */
    int64_t created_at, retired_at;
};

struct audit_key_list {
    struct audit_key *items;
    size_t count;
};

/* A stream of the log to a syslog collector (notify/syslog.h): the provider's (id "provider",
 * every chain) or a tenant's (its id, its own chain), and its delivery state. */
struct audit_stream {
    const char *id, *url;
    const char *profile; /* "lockbox" or "m365" (docs/audit-chain.md, "Field profiles") */
    int64_t created_at;
    int64_t delivered;                        /* records sent */
    int64_t attempts;                         /* failed attempts since the last success */
    int64_t next_attempt_at, last_attempt_at; /* 0: due now; never */
    const char *last_error;                   /* NULL after a success */
};

struct audit_stream_list {
    struct audit_stream *items;
    size_t count;
};

/* A chain with records a stream has still to send: it sent those through sent_index. */
struct audit_stream_chain {
    char *chain;
    int64_t sent_index, head_index;
};

struct audit_stream_chain_list {
    struct audit_stream_chain *items;
    size_t count;
};

/* A record a tenant's stream passed while its request was under internal review: sent if the
 * review lets the customer see the request, forgotten if not. */
struct audit_stream_held {
    char *chain, *request_id;
    int64_t index;
};

struct audit_stream_held_list {
    struct audit_stream_held *items;
    size_t count;
};

/* Frees what a record owns and zeroes it; accepts a zeroed record. */
void audit_record_clear(struct audit_record *r);
void audit_list_clear(struct audit_list *l);
void audit_chain_head_clear(struct audit_chain_head *h);
void audit_chain_head_list_clear(struct audit_chain_head_list *l);
void audit_checkpoint_clear(struct audit_checkpoint *c);
void audit_checkpoint_list_clear(struct audit_checkpoint_list *l);
void audit_key_clear(struct audit_key *k);
void audit_key_list_clear(struct audit_key_list *l);
void audit_stream_clear(struct audit_stream *s);
void audit_stream_list_clear(struct audit_stream_list *l);
void audit_stream_chain_list_clear(struct audit_stream_chain_list *l);
void audit_stream_held_list_clear(struct audit_stream_held_list *l);

#endif
