/*
 * door.h - who may hold a connection to lockboxd, and how long they may take to ask.
 *
 * The server tells the door of every connection libmicrohttpd accepts and closes. The door
 * counts open connections per client address and refuses one over max_per_ip (addresses listed
 * as exempt, the trusted proxies, are not counted; an IPv6 client is counted by its /64), and
 * gives each connection header_timeout_ms to deliver a whole request head, from its accepting
 * and again from each answer on a kept-alive connection: a watchdog thread shuts down the
 * socket of one that is late, however slowly it keeps sending. libmicrohttpd then closes it.
 *
 * Accepting is two calls on libmicrohttpd's accepting thread: door_admit() (its accept policy
 * callback) reserves the address's slot, door_open() (the connection's STARTED notice, which
 * follows on the same thread) attaches that slot to the connection; a reservation that no
 * door_open() took (libmicrohttpd failed in between) is released by the thread's next
 * door_admit(). door_close() (the CLOSED notice, before libmicrohttpd closes the socket) detaches
 * it under the lock the watchdog shuts sockets down under, so the watchdog never touches a
 * closed or reused descriptor. door_head_arrived() and door_head_wait() are lock-free (an atomic
 * deadline per connection), for the request path. Thread-safe throughout.
 * Errors: LB_ENOMEM, LB_EINVAL (an exempt address that is not an IP address), LB_EIO (no thread).
 */
#ifndef LB_HTTP_DOOR_H
#define LB_HTTP_DOOR_H

#include "util/buf.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct door_config {
    unsigned max_connections;  /* the server's whole limit: sizes the table of addresses */
    unsigned max_per_ip;       /* open connections one address may hold; 0: no limit */
    int64_t header_timeout_ms; /* time to deliver a request head; 0: no limit */
    char *const *exempt;       /* addresses never limited (trusted proxies), numeric */
    size_t exempt_count;
};

/* What the door has done, for /metrics. */
struct door_stats {
    uint64_t open;      /* connections open now */
    uint64_t refused;   /* refused at accept: their address held max_per_ip */
    uint64_t timed_out; /* shut down: no complete request head in time */
};

struct door;
struct door_conn;

/* A new door (caller frees with door_free); its watchdog runs from door_start. err, if not
 * NULL, names an exempt address that is not one. */
LB_MUST_CHECK int door_new(const struct door_config *cfg, struct door **out, struct buf *err);
/* Starts the watchdog thread (no thread when header_timeout_ms is 0). */
LB_MUST_CHECK int door_start(struct door *d);
/* Stops the watchdog and frees; connections still open must not be used afterwards. */
void door_free(struct door *d);

/* May a connection from addr be accepted? If so its slot is reserved for door_open. */
bool door_admit(struct door *d, const struct sockaddr *addr, size_t addr_len);
/* Registers the accepted connection on socket fd, taking this thread's reservation; its head is
 * due header_timeout_ms after now_us. A new entry (freed by door_close), or NULL when out of
 * memory (the connection is then neither counted nor watched). */
struct door_conn *door_open(struct door *d, int fd, int64_t now_us);
/* Forgets c (NULL is fine) and releases its address's slot; the socket is still open. */
void door_close(struct door *d, struct door_conn *c);

/* The connection's request head is complete: its clock stops. False when the watchdog already
 * shut the connection down (the request must not be served). c may be NULL. */
bool door_head_arrived(struct door_conn *c);
/* The connection waits for its next request head, due header_timeout_ms after now_us. */
void door_head_wait(struct door *d, struct door_conn *c, int64_t now_us);

/* Shuts down every connection whose head was due before now_us; answers how many. The
 * watchdog calls it; tests call it with a time of their own. */
size_t door_sweep(struct door *d, int64_t now_us);
void door_stats(struct door *d, struct door_stats *out);

#endif
