/*
 * outbox.h - one notification (a mail or a webhook delivery) to one recipient, as kept in the
 * transactional outbox, and its delivery state.
 *
 * notify/ writes a message in the transaction of the change it tells of; the delivery thread
 * sends it after the commit and records each attempt. A record filled by the store owns its
 * strings, released by outbox_msg_clear (each clear accepts a zeroed record and leaves it
 * zeroed); a record passed to the store for an insert or an update is borrowed, which is why
 * its strings are const: notify/ points them at static names and its caller's. The status
 * names are static strings; outbox_status_parse answers -1 for an unknown name. Plain data:
 * no behaviour, no I/O.
 */
#ifndef LB_MODEL_OUTBOX_H
#define LB_MODEL_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum outbox_status { OUTBOX_PENDING, OUTBOX_DELIVERED, OUTBOX_FAILED };

/* One notification to one recipient, written in the transaction of the change it tells of. */
struct outbox_msg {
    int64_t seq;
    const char *id; /* stable across retries: the mail's Message-ID, the webhook event's id */
    const char *tenant_id, *request_id;
    const char *event;      /* "request.pending", ... */
    const char *channel;    /* "email" or "webhook" */
    const char *recipient;  /* the address, or the webhook's URL */
    const char *webhook_id; /* NULL for mail */
    const char *payload;    /* mail: the whole message (CRLF lines); webhook: the JSON body */
    bool tenant_visible;    /* its recipient is the tenant's (an approver, a tenant webhook), not
                             * the provider's: only such rows are shown to tenant users */
    int64_t created_at;
    enum outbox_status status;
    int64_t attempts;
    int64_t next_attempt_at; /* 0 once delivered or failed */
    int64_t last_attempt_at, delivered_at;
    const char *last_error; /* may be NULL */
};

struct outbox_list {
    struct outbox_msg *items;
    size_t count;
};

struct outbox_counts {
    int64_t pending, delivered, failed;
};

/* Frees what a record owns and zeroes it; accepts a zeroed record. */
void outbox_msg_clear(struct outbox_msg *m);
void outbox_list_clear(struct outbox_list *l);

/* The name of a status ("pending", "delivered", "failed"), and its parser (-1: unknown). */
const char *outbox_status_name(enum outbox_status s);
int outbox_status_parse(const char *name);

#endif
