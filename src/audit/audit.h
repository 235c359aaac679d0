/*
 * audit.h - appending to the audit log.
 *
 * audit_append writes one record through the store, inside the caller's transaction, so a
 * state change and its audit record commit together or not at all. The record's `details` are
 * a JSON object built here from a list of typed fields: audit/ owns that wire format, since
 * the record's hash in its chain covers exactly those bytes. Everything passed in is borrowed.
 * Returns 0, LB_ENOMEM or the store's error. Thread-safe as the store is.
 */
#ifndef LB_AUDIT_AUDIT_H
#define LB_AUDIT_AUDIT_H

#include "audit/chain.h"
#include "store/store.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum audit_field_type { AUDIT_STR, AUDIT_INT, AUDIT_BOOL, AUDIT_STRV, AUDIT_JSON };

struct audit_field {
    const char *key;
    enum audit_field_type type;
    const char *str;   /* AUDIT_STR (NULL is written as null); AUDIT_JSON: JSON text, or NULL */
    int64_t num;       /* AUDIT_INT, AUDIT_BOOL */
    char *const *strv; /* AUDIT_STRV */
    size_t strv_count;
};

#define AF_STR(k, v) ((struct audit_field){.key = (k), .type = AUDIT_STR, .str = (v)})
#define AF_INT(k, v) ((struct audit_field){.key = (k), .type = AUDIT_INT, .num = (v)})
#define AF_BOOL(k, v) ((struct audit_field){.key = (k), .type = AUDIT_BOOL, .num = (v)})
#define AF_JSON(k, v) ((struct audit_field){.key = (k), .type = AUDIT_JSON, .str = (v)})
#define AF_STRV(k, v, n)                                                                           \
    ((struct audit_field){.key = (k), .type = AUDIT_STRV, .strv = (v), .strv_count = (n)})

struct audit_entry {
    int64_t time;
    const char *tenant_id;  /* NULL: provider-wide */
    const char *actor;      /* username, or "system" */
    const char *actor_id;   /* NULL for system */
    const char *actor_type; /* customer, provider, operator, system */
    const char *client_ip;  /* NULL for system */
    const char *activity;   /* one of API.md's names */
    const char *item;
    const char *request_id; /* the request this record belongs to, or NULL */
    const char *decision;   /* "approve", "deny" or NULL */
    const struct audit_field *fields;
    size_t field_count;
};

/* Appends one record, linked to the newest of its chain (audit/chain.h); *seq (if not NULL)
 * receives its sequence number. */
LB_MUST_CHECK int audit_append(struct store *st, const struct audit_entry *e, int64_t *seq);

/* true when the details JSON text (a record's) holds key as the string want; false when it
 * holds another value or none, or cannot be read. */
bool audit_details_str_is(const char *details, const char *key, const char *want);
/* The string details[key] of a record's details JSON text, as a new string (caller frees with
 * lb_free) in *out; NULL there when it holds none. 0 or LB_ENOMEM. */
LB_MUST_CHECK int audit_details_str(const char *details, const char *key, char **out);

/* Gives r (its tenant_id and content set) its place after the newest record of its chain in
 * st: sets r->chain, chain_index, prev_hash (pointing into *head, which the caller clears)
 * and hash (pointing at hash). Inside the caller's transaction. */
LB_MUST_CHECK int audit_link(struct store *st, struct audit_record *r,
                             char hash[AUDIT_HASH_HEX_LEN], struct audit_chain_head *head);

#endif
