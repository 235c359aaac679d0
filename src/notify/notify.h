/*
 * notify.h - notifications through a transactional outbox: composing them, and delivering them.
 *
 * Composing (notify_enqueue) runs inside the caller's store transaction, so a state change and
 * the messages that tell of it commit together or not at all: it renders one mail per address
 * (a whole RFC 5322 message, plain text, with a stable Message-ID) and one webhook body per
 * subscribed endpoint (JSON with a stable event id), and inserts each as a pending outbox row.
 * The same transaction appends the change to the event stream (notify_stream_append): the
 * webhook body once more, for the clients of GET /api/v1/events.
 * Nothing user-supplied reaches a mail header but through a filter that drops CR, LF and
 * other control characters; addresses that are not plain addr-specs are skipped.
 *
 * Delivering (struct notify_dispatcher) is a thread per channel (mail, webhooks: a slow
 * endpoint never holds up the mail) that takes due rows, sends each (SMTP over libcurl, or an
 * HTTP POST signed `X-Lockbox-Signature: t=UNIX,v1=HEX(HMAC-SHA256(secret,
 * t + "." + body))`), and records the outcome: delivered, or a retry with exponential backoff
 * and jitter until retry_seconds after the message was made, then failed. On a store shared
 * with other lockboxd, a lane claims the rows it sends in a write transaction, giving them a
 * lease (their next attempt moved past the time one sending may take, renewed as it goes), so
 * no two processes send one message while they run. Delivery is at least once: a crash
 * between sending and recording resends the same message (same id): at the restart, or on a
 * shared store when its lease ends, from whichever process runs.
 *
 * Everything passed in is borrowed. Errors: LB_ENOMEM, LB_EINVAL (with `err`), the store's.
 */
#ifndef LB_NOTIFY_NOTIFY_H
#define LB_NOTIFY_NOTIFY_H

#include "model/id.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

enum notify_event {
    NOTIFY_PENDING_INTERNAL,
    NOTIFY_PENDING,
    NOTIFY_REMINDER,
    NOTIFY_APPROVED,
    NOTIFY_DENIED,
    NOTIFY_EXPIRED,
    NOTIFY_CANCELED,
    NOTIFY_REVOKED,
    NOTIFY_COMPLETED,
    NOTIFY_REPORT, /* a grant's report was made: mail only, to the request's approvers */
    NOTIFY_EVENT_COUNT
};

/* "request.pending", ... (the webhook event type; request.report names mails only). */
const char *notify_event_name(enum notify_event e);
/* The event of a webhook's event name, or -1 (request.report is none: no webhook hears it). */
int notify_event_parse(const char *name);

/* Writes a new unique id (a UUID, NUL-terminated) into out. */
typedef void notify_id_fn(char out[ID_LEN]);

/* How messages are composed; immutable while the daemon runs. */
struct notify_config {
    notify_id_fn *new_id;
    const char *public_url; /* base of the portal's links; NULL or "": no link */
    const char *mail_from;  /* the sender address */
    bool mail_enabled;      /* false: no mail is composed (no SMTP server configured) */
};

/* What one event is about (all borrowed). */
struct notify_subject {
    enum notify_event event;
    const struct request *request;
    const struct tenant *tenant;
    const struct ticket *ticket; /* NULL when it cannot be read */
    int64_t now;
};

/* true when the endpoint subscribed to events of e. */
bool notify_webhook_wants(const struct webhook *w, enum notify_event e);

/* Composes and inserts a mail to each address (once each: the caller removes repeats; unsafe
 * addresses are skipped) and a webhook message to each endpoint of hooks that wants the event,
 * inside the caller's transaction; tenant_visible marks the rows the tenant may see. */
LB_MUST_CHECK int notify_enqueue(struct store *st, const struct notify_config *cfg,
                                 const struct notify_subject *s, char *const *emails,
                                 size_t email_count, const struct webhook_list *hooks,
                                 bool tenant_visible);

/* Appends the event of s to the request event stream (GET /api/v1/events, store.h) inside the
 * caller's transaction: the body a webhook of it gets, with an id of its own; tenant_visible
 * shows it to the tenant's users. */
LB_MUST_CHECK int notify_stream_append(struct store *st, const struct notify_config *cfg,
                                       const struct notify_subject *s, bool tenant_visible);

/* true for the addresses a webhook may not reach unless allowed: loopback, private, link-local,
 * shared, benchmarking, multicast, unspecified, and IPv4 ones of these inside IPv6 (mapped,
 * compatible, NAT64, 6to4). Anything but IPv4 and IPv6 counts as internal. */
bool notify_address_is_internal(const struct sockaddr *sa);

/* true when addr is a plain addr-spec we will put in a header (no spaces, controls, <>,;). */
bool notify_address_is_safe(const char *addr);

/* Renders the mail of s to one address as a whole message with CRLF lines (caller frees with
 * lb_free); id becomes its Message-ID's local part. */
LB_MUST_CHECK int notify_mail_render(const struct notify_config *cfg,
                                     const struct notify_subject *s, const char *to, const char *id,
                                     char **out);

/* ---- delivery ---- */

struct notify_delivery_config {
    const char *smtp_url; /* smtp:// (STARTTLS when offered) or smtps://; NULL or "": none */
    const char *smtp_from;
    const char *smtp_username; /* NULL or "": no AUTH */
    const char *smtp_password;
    const char *smtp_ca_file;   /* PEM bundle to verify the SMTP server with; NULL: system's */
    bool smtp_require_tls;      /* smtp://: refuse a server that does not offer STARTTLS */
    bool webhook_allow_private; /* false: webhooks to loopback and private addresses refused */
    int64_t retry_seconds;      /* give up this long after a message was made */
    int64_t timeout_ms;         /* one attempt */
    bool shared_store;          /* other processes deliver from the store too: claim with leases */
};

/* Sends messages: an SMTP and an HTTP handle kept between sends (connections are reused).
 * One sender belongs to one thread at a time. */
struct notify_sender;

/* A new sender over cfg (its strings are copied); free with notify_sender_free. */
LB_MUST_CHECK int notify_sender_new(const struct notify_delivery_config *cfg,
                                    struct notify_sender **out);
void notify_sender_free(struct notify_sender *s);
/* Sends m now: 0 when delivered; LB_EIO when it may work later; LB_ENOTFOUND when it never
 * will (its webhook was removed, no SMTP server is configured); LB_EFORBIDDEN when the
 * webhook's address is internal and that is not allowed. err says why. The webhook's URL and
 * secret are read from st. */
LB_MUST_CHECK int notify_send(struct notify_sender *s, struct store *st, const struct outbox_msg *m,
                              struct buf *err);

/* The delay before attempt number `attempts` + 1 (1 s doubling to 1 h, with up to 25% jitter). */
int64_t notify_backoff_seconds(int64_t attempts);

/* Called after every recorded outcome, for metrics. */
typedef void notify_outcome_fn(void *ctx, const struct outbox_msg *m);

/* The delivery threads. */
struct notify_dispatcher;

/* Starts the threads over st (borrowed; must outlive the dispatcher). */
LB_MUST_CHECK int notify_dispatcher_start(struct store *st,
                                          const struct notify_delivery_config *cfg,
                                          notify_outcome_fn *on_outcome, void *ctx,
                                          struct notify_dispatcher **out);
/* Wakes the threads: new messages were committed. Safe from any thread; NULL is a no-op. */
void notify_dispatcher_wake(struct notify_dispatcher *d);
/* Stops the threads (after the deliveries in progress) and frees them; NULL is a no-op. */
void notify_dispatcher_stop(struct notify_dispatcher *d);

#endif
