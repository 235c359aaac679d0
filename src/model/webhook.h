/*
 * webhook.h - a registered webhook endpoint: where request events are POSTed, signed with its
 * secret.
 *
 * A record filled by the store owns its strings and events, released by webhook_clear, which
 * also wipes the secret before freeing it (each clear accepts a zeroed record and leaves it
 * zeroed); a record passed to the store for an insert is borrowed. The store keeps the secret
 * sealed on disk; a record always holds it in plaintext. Plain data: no behaviour, no I/O.
 */
#ifndef LB_MODEL_WEBHOOK_H
#define LB_MODEL_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

struct webhook {
    char *id;
    char *tenant_id; /* NULL: every tenant's events (a platform admin's endpoint) */
    char *url;
    char **events; /* event types delivered ("request.pending", ...) */
    size_t event_count;
    char *secret; /* the HMAC-SHA256 key, shown once at creation */
    int64_t created_at;
};

struct webhook_list {
    struct webhook *items;
    size_t count;
};

/* Frees what a record owns (wiping the secret) and zeroes it; accepts a zeroed record. */
void webhook_clear(struct webhook *w);
void webhook_list_clear(struct webhook_list *l);

#endif
