/*
 * Changes between the lockboxd on one database (store.h's store_change_publish and
 * store_changes_listen): a change is a NOTIFY on one channel, sent inside the writer's
 * transaction, so PostgreSQL delivers it when (and only if) that transaction commits, in
 * commit order, and drops it with a savepoint rolled back. Its payload is "NODE KIND KEY":
 * NODE, a random id of this store handle, lets the listener skip what this process did
 * itself (it updated its memory after its own commit). The listener is a thread with a
 * connection of its own that LISTENs, hands each change to the callback, and asks for a
 * resync after every (re)connect (what was committed while it was not listening is not
 * delivered) and every resync_ms.
 */
#include "store_pg_int.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/banned.h"

#define PGS_CHANNEL "lockbox_changes"
#define RECONNECT_MS 1000 /* the pause between attempts to connect again */

struct pgs_listener {
    struct pg_store *s; /* borrowed */
    store_change_fn *fn;
    void *ctx;
    int64_t resync_ms;
    pthread_t thread;
    int wake[2]; /* a pipe: stop writes into it */
    struct pgs_conn conn;
};

void pgs_node_init(struct pg_store *s)
{
    unsigned char id[PGS_NODE_BYTES];

    randombytes_buf(id, sizeof(id));
    sodium_bin2hex(s->node, sizeof(s->node), id, sizeof(id));
}

int pgs_change_publish(struct store *base, enum store_change kind, const char *key)
{
    static const char sql[] = "SELECT pg_notify('" PGS_CHANNEL "', $1)";
    struct pg_store *s = pgs_of(base);
    struct pgs_params p = {0};
    struct buf payload = BUF_INIT;
    int rc;

    buf_appendf(&payload, "%s %d %s", s->node, (int)kind, key ? key : "");
    if (!buf_ok(&payload))
        return LB_ENOMEM;
    pgs_bind_text(&p, buf_cstr(&payload));
    rc = pgs_defer(s, sql, &p); /* libpq copies the payload as it sends */
    buf_release(&payload);
    return rc;
}

/* Hands one change to the callback, unless this process made it or it is not one of ours. */
static void dispatch(struct pgs_listener *l, const char *payload)
{
    size_t node_len = strcspn(payload, " ");
    char *end = NULL;
    long kind;

    if (node_len == strlen(l->s->node) && memcmp(payload, l->s->node, node_len) == 0)
        return;
    if (payload[node_len] != ' ')
        return;
    kind = strtol(payload + node_len + 1, &end, 10);
    if (end == payload + node_len + 1 || *end != ' ' || kind <= STORE_CHANGE_RESYNC ||
        kind > STORE_CHANGE_GRANT)
        return;
    l->fn(l->ctx, (enum store_change)kind, end + 1);
}

/* Waits up to ms for the listening connection (fd, -1: none) or the stop pipe; true when
 * stop was asked. */
static bool wait_or_stop(struct pgs_listener *l, int fd, int64_t ms)
{
    struct pollfd p[2] = {{.fd = l->wake[0], .events = POLLIN}, {.fd = fd, .events = POLLIN}};
    int n = poll(p, fd >= 0 ? 2 : 1, ms > INT_MAX ? INT_MAX : (int)(ms < 0 ? 0 : ms));

    return n > 0 && (p[0].revents & (POLLIN | POLLHUP)) != 0;
}

/* Connects and LISTENs; 0, or the failure (the connection is then closed). */
static int listen_start(struct pgs_listener *l)
{
    int rc = pgs_connect(&l->conn, l->s->url, NULL);

    if (rc == 0)
        rc = pgs_exec(&l->conn, "LISTEN " PGS_CHANNEL);
    if (rc != 0) {
        PQfinish(l->conn.pg);
        l->conn.pg = NULL;
    }
    return rc;
}

/* Reads what came on the connection and dispatches it; false when the connection broke. */
static bool drain(struct pgs_listener *l)
{
    PGnotify *n;

    if (!PQconsumeInput(l->conn.pg) || PQstatus(l->conn.pg) != CONNECTION_OK)
        return false;
    while ((n = PQnotifies(l->conn.pg)) != NULL) {
        dispatch(l, n->extra);
        PQfreemem(n);
    }
    return true;
}

static void *listener_main(void *arg)
{
    struct pgs_listener *l = arg;
    int64_t next_resync = 0;
    bool lost = false;

    for (;;) {
        if (!l->conn.pg) {
            if (listen_start(l) != 0) {
                if (!lost) {
                    log_warn("store: cannot listen for other nodes' changes; trying again");
                    l->fn(l->ctx, STORE_CHANGE_LOST, NULL);
                }
                lost = true;
                if (wait_or_stop(l, -1, RECONNECT_MS))
                    break;
                continue;
            }
            if (lost)
                log_info("store: listening for other nodes' changes again");
            lost = false;
            next_resync = 0; /* changes made while nobody listened are not delivered */
        }
        if (time_mono_us() / 1000 >= next_resync) {
            l->fn(l->ctx, STORE_CHANGE_RESYNC, NULL);
            next_resync = time_mono_us() / 1000 + l->resync_ms;
        }
        if (wait_or_stop(l, PQsocket(l->conn.pg), next_resync - time_mono_us() / 1000))
            break;
        if (!drain(l)) {
            log_warn("store: lost the connection that listens for other nodes' changes");
            l->fn(l->ctx, STORE_CHANGE_LOST, NULL);
            lost = true;
            PQfinish(l->conn.pg);
            l->conn.pg = NULL;
        }
    }
    return NULL;
}

int pgs_changes_listen(struct store *base, store_change_fn *fn, void *ctx, int64_t resync_ms)
{
    struct pg_store *s = pgs_of(base);
    struct pgs_listener *l;

    if (s->listener)
        return LB_EEXISTS;
    if (!(l = lb_calloc(1, sizeof(*l))))
        return LB_ENOMEM;
    l->s = s;
    l->fn = fn;
    l->ctx = ctx;
    l->resync_ms = resync_ms > 0 ? resync_ms : 1000;
    if (pipe(l->wake) != 0) {
        lb_free(l);
        return LB_EIO;
    }
    (void)fcntl(l->wake[0], F_SETFD, FD_CLOEXEC);
    (void)fcntl(l->wake[1], F_SETFD, FD_CLOEXEC);
    if (pthread_create(&l->thread, NULL, listener_main, l) != 0) {
        close(l->wake[0]);
        close(l->wake[1]);
        lb_free(l);
        return LB_ENOMEM;
    }
    s->listener = l;
    return 0;
}

void pgs_changes_stop(struct store *base)
{
    struct pg_store *s = pgs_of(base);
    struct pgs_listener *l = s->listener;

    if (!l)
        return;
    if (write(l->wake[1], "x", 1) != 1)
        log_warn("store: cannot wake the change listener: %s", strerror(errno));
    pthread_join(l->thread, NULL);
    PQfinish(l->conn.pg);
    close(l->wake[0]);
    close(l->wake[1]);
    lb_free(l);
    s->listener = NULL;
}
