/*
 * server.h - the HTTP server of lockboxd (libmicrohttpd with its internal epoll thread pool).
 *
 * Event threads (one per core) parse requests and answer reads and the access check at once;
 * calls that write are handed to a pool of workers (the connection is suspended meanwhile), so
 * waiting for a commit never stalls an event thread and concurrent commits can group.
 * The server turns each HTTP request into one api/ call: it finds the route, enforces the
 * 1 MiB body limit (413) and the JSON Content-Type (415), authenticates the bearer token
 * (401), parses the JSON (400), runs the handler and writes its JSON or problem+json answer.
 * It serves /healthz and /metrics itself, logs one line per request (method, path, status,
 * microseconds, request id; never a secret) and counts each in the metrics. The client IP is
 * the socket's peer, or the last X-Forwarded-For entry when the peer is a trusted proxy.
 * Before anything of a request is used, its head is checked (head.h, framing.h): ambiguous
 * framing is answered 400, a request line over HTTP_MAX_REQUEST_LINE 414, a head over
 * HTTP_MAX_HEAD or HTTP_MAX_FIELDS 431, each as problem+json on a connection then closed, so
 * nothing after that head is read. The door (door.h) limits the connections of each client
 * address and cuts those whose request head is not complete within header_timeout_ms.
 * With tls_cert and tls_key it serves HTTPS only (tls.h: TLS 1.2 and 1.3, reloaded by
 * http_server_reload_tls), adds Strict-Transport-Security to its answers and marks the
 * portal's cookie Secure.
 * GET /api/v1/events becomes a Server-Sent Events stream of the event hub (events.h); stopping
 * ends every stream first, so no connection is left suspended.
 * Limits that hold under load (ratelimit.h): an authenticated call whose token is over its
 * rate (rate_per_second, rate_burst) is answered 429 rate_limited with Retry-After (a write
 * before it is queued, so it never holds a place others need); a call that
 * writes finding queue_limit others waiting for a worker is answered 503 unavailable with
 * Retry-After at once and never queued, so memory does not grow with the load. /metrics shows
 * both, and the queue's depth.
 * The server borrows core, which must outlive it. Errors: LB_EINVAL (bad listen address, a
 * trusted proxy that is not an IP address; a TLS file that holds no valid certificate or key),
 * LB_EIO (cannot listen, cannot read a TLS file; `err` says why), LB_ENOMEM.
 * GET /readyz also carries http_config.readyz_warning ("warnings"), for one the operator
 * should fix while the node serves (lockboxd running as root).
 */
#ifndef LB_HTTP_SERVER_H
#define LB_HTTP_SERVER_H

#include "core/core.h"
#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_BODY (1024 * 1024)
/* The request line (method, target, version) and the whole head (request line and header
 * fields) a request may have, and its number of header fields. libmicrohttpd answers heads it
 * cannot hold in a connection's HTTP_CONN_MEMORY itself (with an HTML body), so these stay
 * well inside it and a head above them is answered by lockboxd (problem+json). */
#define HTTP_MAX_REQUEST_LINE (8 * 1024)
#define HTTP_MAX_HEAD (16 * 1024)
#define HTTP_MAX_FIELDS 100
#define HTTP_CONN_MEMORY (32 * 1024)

struct http_config {
    const char *listen;           /* "host:port", "[v6]:port", as the log names it */
    int listen_fd;                /* its listening socket (http_listen_open); the server owns it */
    unsigned threads;             /* event threads; 0: one per core */
    unsigned workers;             /* threads for calls that write; 0: 16 */
    char *const *trusted_proxies; /* peer addresses allowed to set X-Forwarded-For */
    size_t trusted_proxy_count;
    bool secure_cookies;      /* the portal is reached over TLS: its cookie is marked Secure */
    const char *tls_cert;     /* PEM chain served over TLS (tls.h); NULL or "": plain HTTP */
    const char *tls_key;      /* its PEM private key */
    unsigned max_connections; /* open at once; 0: 4096 */
    unsigned max_connections_per_ip; /* open at once from one address; 0: no limit */
    unsigned header_timeout_ms;      /* time to send a whole request head; 0: no limit */
    struct event_hub *events;        /* (borrowed) serves GET /api/v1/events; NULL: answered 503 */
    int64_t rate_per_second;         /* calls a second one token may make; 0: no limit */
    int64_t rate_burst;              /* and at once; 0: 1 */
    unsigned queue_limit;            /* calls that write waiting for a worker; 0: workers x 64 */
    const char *readyz_warning;      /* (borrowed) GET /readyz's "warnings" carry it; NULL: none */
};

struct http_server;
struct event_hub;

/* Binds and listens on listen_addr (SO_REUSEADDR; an IPv6 address is IPv6 alone): *fd is the
 * socket for http_config.listen_fd. Apart from the server so lockboxd can bind a port as root
 * and start the server once it is not. LB_EINVAL: a bad address; LB_EIO: bind failed. */
LB_MUST_CHECK int http_listen_open(const char *listen_addr, int *fd, struct buf *err);
/* Starts serving cfg->listen_fd, which it owns from then on and closes when it stops; after a
 * failure the caller must not use it (closed, or left to the process's end). */
LB_MUST_CHECK int http_server_start(const struct http_config *cfg, struct core *core,
                                    struct http_server **out, struct buf *err);
/* Loads the TLS certificate and key files again for new handshakes (tls_creds_reload); on
 * failure the current ones stay; *changed says whether the files held a new pair.
 * LB_ENOTFOUND when the server is plain HTTP. */
LB_MUST_CHECK int http_server_reload_tls(struct http_server *s, bool *changed, struct buf *info,
                                         struct buf *err);
/* Writes the served certificate's subject, serial and expiry; nothing for plain HTTP. */
void http_server_describe_tls(struct http_server *s, struct buf *out);
/* The port actually bound (useful with port 0). */
uint16_t http_server_port(struct http_server *s);
/* Stops accepting, waits up to grace_ms for requests in flight, then stops and frees. */
void http_server_stop(struct http_server *s, int grace_ms);

#endif
