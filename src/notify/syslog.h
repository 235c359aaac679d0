/*
 * syslog.h - the audit log streamed to the customers' and the provider's SIEM, as RFC 5424
 * syslog messages over TCP or TLS (docs/audit-chain.md, "Streaming to a SIEM").
 *
 * A stream (model/audit.h) is the provider's (every chain, from [audit] syslog_url) or a
 * tenant's (its own chain, from its audit_syslog_url setting). The store keeps, per stream and
 * chain, the last record sent, so the log itself is the stream's transactional outbox: a
 * record that committed is a record the stream will send, after any outage, in chain order,
 * each once. One thread sends every stream's new records: one message per record, its JSON
 * (the stream's field profile, "lockbox" or "m365") as MSG, octet-counted (RFC 6587 and
 * 5425). A batch is recorded as sent a visit later, once its connection is still open and the
 * collector's host acknowledged every byte, else it is sent again on a new connection; a
 * failed attempt is retried with backoff (1 s doubling, at most NOTIFY_SYSLOG_BACKOFF_MAX
 * seconds, five times that after ten failures), never given up, and the stream's state
 * (delivered, attempts, last error) is kept for GET /api/v1/audit/status. A collector may see
 * a record twice (lockboxd killed before it recorded a batch); (chain, chain_index) names it.
 * A tenant's stream shows what its users may read: a record of a request under internal review
 * is held and sent when the review lets the customer see it, never if the review rejects it.
 * On a store shared with other lockboxd, a stream is leased to one of them at a time, renewed
 * before each batch; only the holder records what was sent.
 *
 * Everything passed in is borrowed (the configuration's strings are copied). Errors:
 * LB_ENOMEM, LB_EINVAL (a URL, with `why`), LB_EIO (the collector), the store's.
 */
#ifndef LB_NOTIFY_SYSLOG_H
#define LB_NOTIFY_SYSLOG_H

#include "model/audit.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdint.h>

#define NOTIFY_SYSLOG_BACKOFF_MAX 60
#define NOTIFY_SYSLOG_URL_MAX 2048
#define NOTIFY_SYSLOG_PROVIDER "provider" /* the provider's stream's id */

struct notify_syslog_config {
    const char *hostname; /* the messages' HOSTNAME; NULL or "": this host's name */
    const char *ca_file;  /* a PEM bundle verifying tls:// collectors; NULL or "": the system's */
    bool allow_private;   /* a tenant's collector may be a loopback or private address */
    int64_t timeout_ms;   /* one connection, or one batch's sending */
    bool shared_store;    /* other lockboxd stream from the store too: lease each stream */
};

/* 0 when url names a collector: tcp://HOST:PORT or tls://HOST:PORT, nothing else; else
 * LB_EINVAL and why says what is wrong. */
LB_MUST_CHECK int notify_syslog_url_check(const char *url, struct buf *why);

/* true for a known field profile: "lockbox" or "m365". */
bool notify_syslog_profile_is_valid(const char *profile);

/* Appends r's message, octet-counted ("LEN SP <110>1 TIME HOST lockbox - ACTIVITY - JSON"), to
 * out; LB_ENOMEM. */
LB_MUST_CHECK int notify_syslog_format(const struct audit_record *r, bool m365,
                                       const char *hostname, struct buf *out);

struct notify_syslog;

/* Starts the thread over st (borrowed; must outlive it). */
LB_MUST_CHECK int notify_syslog_start(struct store *st, const struct notify_syslog_config *cfg,
                                      struct notify_syslog **out);
/* Wakes the thread: records were committed. Safe from any thread; NULL is a no-op. */
void notify_syslog_wake(struct notify_syslog *s);
/* Stops the thread (after the batch in progress) and frees it; NULL is a no-op. */
void notify_syslog_stop(struct notify_syslog *s);

#endif
