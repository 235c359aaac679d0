/*
 * The audit log streamed to syslog collectors (syslog.h): a thread that sends each stream's
 * new records in chain order, over connections it keeps (libcurl, connect-only: TCP, or TLS
 * with the certificate verified), and records how far it got.
 */
#include "notify/syslog.h"

#include "notify/notify.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"
#include "wire/wire.h"

#include <curl/curl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/banned.h"

#define BATCH 256
#define OWNER_BYTES 8
#define POLL_SECONDS 1         /* a safety net beside the wake-ups after commits */
#define LEASE_SECONDS 60       /* a stream is one lockboxd's this long on a shared store */
#define TENANT_CONNECT_MS 5000 /* a tenant's collector that does not answer holds up no other */
#define HOSTNAME_MAX 255       /* RFC 5424 */
#define MSGID_MAX 32           /* RFC 5424 */
#define PRI_LOG_AUDIT_INFO 110 /* facility 13 (log audit) * 8 + severity 6 (informational) */

/* A chain's records sent on a connection, not yet recorded as sent. */
struct sent {
    char *chain;
    int64_t index;
    bool held; /* a held record (index alone), not a cursor through index */
};

/* A collector's connection, kept between batches, and what it carried that is not recorded
 * yet: recorded a visit later, once the connection is still open with every byte
 * acknowledged; sent again on another connection if it is not. */
struct conn {
    char *stream, *url;
    CURL *curl;
    bool refused; /* the last connection was to an internal address */
    struct sent *pending;
    size_t pending_count, pending_cap;
    int64_t pending_records;
};

struct notify_syslog {
    struct store *st; /* borrowed */
    char hostname[HOSTNAME_MAX + 1];
    char owner[2 * OWNER_BYTES + 1]; /* this process, as the holder of streams' leases */
    char *ca_file;
    bool allow_private, shared_store;
    long timeout_ms;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop, woken, started;
    struct conn *conns;
    size_t conn_count;
    char curl_error[CURL_ERROR_SIZE];
};

/* ---- URLs and messages ---- */

/* curl's part of u (a new string, freed with curl_free), or NULL. */
static char *url_part(CURLU *u, CURLUPart part)
{
    char *v = NULL;

    return curl_url_get(u, part, &v, 0) == CURLUE_OK ? v : NULL;
}

/* The URL libcurl connects to for a collector's: tcp:// as http://, tls:// as https://. */
static char *connect_url(const char *url, bool *tls)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *out = NULL, *copy = NULL;

    if (!u || curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        !(scheme = url_part(u, CURLUPART_SCHEME)))
        goto out;
    *tls = strcmp(scheme, "tls") == 0;
    if (curl_url_set(u, CURLUPART_SCHEME, *tls ? "https" : "http", 0) == CURLUE_OK &&
        (out = url_part(u, CURLUPART_URL)) != NULL)
        copy = lb_strdup(out);
out:
    curl_free(scheme);
    curl_free(out);
    curl_url_cleanup(u);
    return copy;
}

/* true when u has no user, password, query, fragment or path (but "/"). */
static bool only_host_and_port(CURLU *u)
{
    static const CURLUPart unwanted[] = {CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_QUERY,
                                         CURLUPART_FRAGMENT};
    char *path = url_part(u, CURLUPART_PATH);
    bool only = !path || !*path || strcmp(path, "/") == 0;

    curl_free(path);
    for (size_t i = 0; only && i < sizeof(unwanted) / sizeof(unwanted[0]); i++) {
        char *v = url_part(u, unwanted[i]);
        only = v == NULL;
        curl_free(v);
    }
    return only;
}

int notify_syslog_url_check(const char *url, struct buf *why)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *port = NULL;
    int rc = LB_EINVAL;

    if (!u)
        return LB_ENOMEM;
    if (strlen(url) > NOTIFY_SYSLOG_URL_MAX ||
        curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        !(scheme = url_part(u, CURLUPART_SCHEME)) ||
        (strcmp(scheme, "tcp") != 0 && strcmp(scheme, "tls") != 0)) {
        buf_puts(why, "want tcp://HOST:PORT or tls://HOST:PORT");
        goto out;
    }
    if (!(port = url_part(u, CURLUPART_PORT))) {
        buf_puts(why, "the collector's port is missing (tcp://HOST:PORT)");
        goto out;
    }
    if (!only_host_and_port(u)) {
        buf_puts(why, "a collector's URL has a host and a port only");
        goto out;
    }
    rc = 0;
out:
    curl_free(scheme);
    curl_free(port);
    curl_url_cleanup(u);
    return rc;
}

bool notify_syslog_profile_is_valid(const char *profile)
{
    return profile && (strcmp(profile, "lockbox") == 0 || strcmp(profile, "m365") == 0);
}

/* Appends s as a header field: printable ASCII but space, at most max, "-" when empty. */
static void put_field(struct buf *b, const char *s, size_t max)
{
    size_t n = 0;

    for (; s && s[n] && n < max; n++) {
        char c = s[n] > ' ' && s[n] < 127 ? s[n] : '_';
        buf_append(b, &c, 1);
    }
    if (n == 0)
        buf_puts(b, "-");
}

int notify_syslog_format(const struct audit_record *r, bool m365, const char *hostname,
                         struct buf *out)
{
    char when[TIME_RFC3339_LEN];
    struct buf msg = BUF_INIT;
    json_t *o = m365 ? wire_audit_m365(r) : wire_audit(r);
    char *text = o ? wire_text(o) : NULL;
    int rc = LB_ENOMEM;

    if (!text)
        goto out;
    time_format_rfc3339(r->time, when);
    buf_appendf(&msg, "<%d>1 %s ", PRI_LOG_AUDIT_INFO, when);
    put_field(&msg, hostname, HOSTNAME_MAX);
    buf_puts(&msg, " lockbox - ");
    put_field(&msg, r->activity, MSGID_MAX);
    buf_puts(&msg, " - ");
    buf_puts(&msg, text);
    if (!buf_ok(&msg))
        goto out;
    buf_appendf(out, "%zu ", msg.len);
    buf_append(out, buf_cstr(&msg), msg.len);
    rc = buf_ok(out) ? 0 : LB_ENOMEM;
out:
    json_decref(o);
    lb_free(text);
    buf_release(&msg);
    return rc;
}

/* ---- connections ---- */

static curl_socket_t open_socket(void *ctx, curlsocktype purpose, struct curl_sockaddr *addr)
{
    struct conn *c = ctx;

    (void)purpose;
    if (notify_address_is_internal(&addr->addr)) {
        c->refused = true;
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype, addr->protocol);
}

static void pending_clear(struct conn *c)
{
    for (size_t i = 0; i < c->pending_count; i++)
        lb_free(c->pending[i].chain);
    c->pending_count = 0;
    c->pending_records = 0;
}

/* Closes c; what it carried unrecorded is sent again on the next. */
static void conn_close(struct conn *c)
{
    if (c->curl)
        curl_easy_cleanup(c->curl);
    c->curl = NULL;
    pending_clear(c);
}

/* The index chain was sent through on c, unrecorded (0: none). */
static int64_t pending_index(const struct conn *c, const char *chain)
{
    for (size_t i = 0; i < c->pending_count; i++)
        if (!c->pending[i].held && strcmp(c->pending[i].chain, chain) == 0)
            return c->pending[i].index;
    return 0;
}

/* true when the held record of chain at index is sent on c, unrecorded */
static bool pending_held(const struct conn *c, const char *chain, int64_t index)
{
    for (size_t i = 0; i < c->pending_count; i++)
        if (c->pending[i].held && c->pending[i].index == index &&
            strcmp(c->pending[i].chain, chain) == 0)
            return true;
    return false;
}

/* Notes that c carried chain through index (held: that one held record). */
static int pending_add(struct conn *c, const char *chain, int64_t index, bool held)
{
    for (size_t i = 0; !held && i < c->pending_count; i++)
        if (!c->pending[i].held && strcmp(c->pending[i].chain, chain) == 0) {
            c->pending[i].index = index;
            return 0;
        }
    if (lb_array_reserve(&c->pending, &c->pending_cap, c->pending_count, sizeof(*c->pending)))
        return LB_ENOMEM;
    if (!(c->pending[c->pending_count].chain = lb_strdup(chain)))
        return LB_ENOMEM;
    c->pending[c->pending_count].index = index;
    c->pending[c->pending_count++].held = held;
    return 0;
}

/* The kept connection of stream s, made when it has none (or another URL's). */
static int conn_of(struct notify_syslog *n, const struct audit_stream *s, struct conn **out)
{
    struct conn *c = NULL, *grown;

    for (size_t i = 0; i < n->conn_count && !c; i++)
        if (strcmp(n->conns[i].stream, s->id) == 0)
            c = &n->conns[i];
    if (c && strcmp(c->url, s->url) != 0) {
        char *url = lb_strdup(s->url);
        if (!url)
            return LB_ENOMEM;
        conn_close(c); /* what it carried unrecorded goes to the new collector */
        lb_free(c->url);
        c->url = url;
    }
    if (!c) {
        if (!(grown = lb_realloc(n->conns, (n->conn_count + 1) * sizeof(*grown))))
            return LB_ENOMEM;
        n->conns = grown;
        c = &n->conns[n->conn_count];
        memset(c, 0, sizeof(*c));
        c->stream = lb_strdup(s->id);
        c->url = lb_strdup(s->url);
        if (!c->stream || !c->url) {
            lb_free(c->stream);
            lb_free(c->url);
            return LB_ENOMEM;
        }
        n->conn_count++;
    }
    *out = c;
    return 0;
}

/* Forgets the connections of streams that are gone. */
static void conns_prune(struct notify_syslog *n, const struct audit_stream_list *streams)
{
    size_t kept = 0;

    for (size_t i = 0; i < n->conn_count; i++) {
        bool live = false;
        for (size_t j = 0; j < streams->count && !live; j++)
            live = strcmp(streams->items[j].id, n->conns[i].stream) == 0;
        if (live) {
            n->conns[kept++] = n->conns[i];
            continue;
        }
        conn_close(&n->conns[i]);
        lb_free(n->conns[i].pending);
        lb_free(n->conns[i].stream);
        lb_free(n->conns[i].url);
    }
    n->conn_count = kept;
}

/* true when c's connection is still open: a collector sends nothing, so a readable socket
 * means the peer closed it (or sent what we drop). */
static bool conn_alive(struct conn *c)
{
    curl_socket_t fd = CURL_SOCKET_BAD;
    struct pollfd p;
    char scratch[256];
    size_t got = 0;

    if (!c->curl || curl_easy_getinfo(c->curl, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK ||
        fd == CURL_SOCKET_BAD)
        return false;
    p = (struct pollfd){.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 0) <= 0)
        return true;
    CURLcode cc = curl_easy_recv(c->curl, scratch, sizeof(scratch), &got);
    return cc == CURLE_AGAIN || (cc == CURLE_OK && got > 0);
}

static int conn_open(struct notify_syslog *n, struct conn *c, bool provider, struct buf *err)
{
    bool tls = false;
    char *url = connect_url(c->url, &tls);
    CURLcode cc;

    conn_close(c);
    if (!url) {
        buf_puts(err, "the collector's URL cannot be read");
        return LB_EINVAL;
    }
    if (!(c->curl = curl_easy_init())) {
        lb_free(url);
        return LB_ENOMEM;
    }
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c->curl, CURLOPT_PROXY, ""); /* a proxy would connect past the check */
    if (!provider && !n->allow_private) {
        curl_easy_setopt(c->curl, CURLOPT_OPENSOCKETFUNCTION, open_socket);
        curl_easy_setopt(c->curl, CURLOPT_OPENSOCKETDATA, c);
    }
    if (tls && n->ca_file)
        curl_easy_setopt(c->curl, CURLOPT_CAINFO, n->ca_file);
    curl_easy_setopt(c->curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(c->curl, CURLOPT_SSL_ENABLE_ALPN, 0L); /* syslog, not HTTP */
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
                     provider || n->timeout_ms < TENANT_CONNECT_MS ? n->timeout_ms
                                                                   : TENANT_CONNECT_MS);
    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, n->curl_error);
    n->curl_error[0] = '\0';
    c->refused = false;
    cc = curl_easy_perform(c->curl);
    lb_free(url);
    if (cc == CURLE_OK)
        return 0;
    if (c->refused)
        buf_puts(err, "the collector's address is internal ([audit] syslog_allow_private)");
    else
        buf_appendf(err, "connect: %s", n->curl_error[0] ? n->curl_error : curl_easy_strerror(cc));
    conn_close(c);
    return LB_EIO;
}

/* Sends all of data on c, waiting while the socket is full, within the timeout. */
static int conn_send(struct notify_syslog *n, struct conn *c, const char *data, size_t len,
                     struct buf *err)
{
    int64_t deadline = time_mono_us() + (int64_t)n->timeout_ms * 1000;
    curl_socket_t fd = CURL_SOCKET_BAD;

    curl_easy_getinfo(c->curl, CURLINFO_ACTIVESOCKET, &fd);
    while (len > 0) {
        size_t sent = 0;
        CURLcode cc = curl_easy_send(c->curl, data, len, &sent);
        if (cc == CURLE_OK) {
            data += sent;
            len -= sent;
            continue;
        }
        int64_t left_ms = (deadline - time_mono_us()) / 1000;
        if (cc != CURLE_AGAIN || left_ms <= 0 || fd == CURL_SOCKET_BAD) {
            buf_appendf(err, "send: %s", cc == CURLE_AGAIN ? "timed out" : curl_easy_strerror(cc));
            conn_close(c);
            return LB_EIO;
        }
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        poll(&p, 1, (int)left_ms);
    }
    return 0;
}

/* ---- one stream ---- */

/* true when the thread was asked to stop. */
static bool stopping(struct notify_syslog *n)
{
    pthread_mutex_lock(&n->lock);
    bool stop = n->stop;
    pthread_mutex_unlock(&n->lock);
    return stop;
}

/* The wait before attempt number attempts + 1: 1 s doubling, at most a minute, then five
 * once it has failed ten times (a collector gone for good costs the thread little). */
static int64_t backoff(int64_t attempts)
{
    int64_t wait = notify_backoff_seconds(attempts - 1);
    int64_t most = attempts < 10 ? NOTIFY_SYSLOG_BACKOFF_MAX : 5 * NOTIFY_SYSLOG_BACKOFF_MAX;

    return wait < most ? wait : most;
}

/* What a tenant's stream does with a record. */
enum showing {
    SHOW, /* of no request, or of one that reached the customer */
    HOLD, /* of a request under internal review: decided when the review is */
    SKIP, /* of a request that never reached the customer (rejected at review) */
};

/* The last request asked about (records come grouped by request). */
struct visibility {
    char *request_id;
    enum showing showing;
};

/* What a stream does with r: the provider's shows everything. */
static int showing_of(struct notify_syslog *n, struct visibility *v, bool provider,
                      const char *request_id, enum showing *out)
{
    struct request q = {0};
    int rc;

    *out = SHOW;
    if (provider || !request_id)
        return 0;
    if (!v->request_id || strcmp(v->request_id, request_id) != 0) {
        rc = store_request_get(n->st, request_id, &q);
        if (rc && rc != LB_ENOTFOUND)
            return rc;
        lb_free(v->request_id);
        v->request_id = lb_strdup(request_id);
        v->showing = rc == 0 && q.customer_visible                 ? SHOW
                     : rc == 0 && q.status == REQ_PENDING_INTERNAL ? HOLD
                                                                   : SKIP;
        request_clear(&q);
        if (!v->request_id)
            return LB_ENOMEM;
    }
    *out = v->showing;
    return 0;
}

/* One visit's work on a stream. */
struct visit {
    struct notify_syslog *n;
    struct audit_stream *s;
    struct conn *c;
    bool provider, m365;
    struct visibility v;
    struct buf *err;
};

/* Sends out on the connection (nothing when empty). */
static int send_out(struct visit *x, const struct buf *out)
{
    return out->len ? conn_send(x->n, x->c, buf_cstr(out), out->len, x->err) : 0;
}

/* On a shared store, keeps the stream this process's for another while; LB_ECONFLICT when
 * another lockboxd took it. */
static int lease(struct visit *x)
{
    int64_t now = time_now();

    if (!x->n->shared_store)
        return 0;
    return store_audit_stream_claim(x->n->st, x->s->id, x->n->owner, now, now + LEASE_SECONDS);
}

/* Sends one batch of chain's records after what was sent; *more when there may be others. */
static int send_batch(struct visit *x, struct audit_stream_chain *ch, bool *more)
{
    int64_t from = pending_index(x->c, ch->chain), sent = 0;
    struct audit_list l = {0};
    struct buf out = BUF_INIT;
    int rc = lease(x);

    *more = false;
    if (from < ch->sent_index)
        from = ch->sent_index;
    if (rc == 0)
        rc = store_audit_chain_records(x->n->st, ch->chain, from, BATCH, &l);
    for (size_t i = 0; rc == 0 && i < l.count; i++) {
        const struct audit_record *r = &l.items[i];
        enum showing sh = SHOW;
        if ((rc = showing_of(x->n, &x->v, x->provider, r->request_id, &sh)) != 0)
            break;
        if (sh == HOLD)
            rc = store_audit_stream_hold(x->n->st, x->s->id, r->chain, r->chain_index,
                                         r->request_id);
        else if (sh == SHOW && (rc = notify_syslog_format(r, x->m365, x->n->hostname, &out)) == 0)
            sent++;
    }
    if (rc == 0)
        rc = send_out(x, &out);
    if (rc == 0 && l.count > 0 &&
        (rc = pending_add(x->c, ch->chain, l.items[l.count - 1].chain_index, false)) == 0)
        x->c->pending_records += sent;
    *more = rc == 0 && l.count == BATCH;
    audit_list_clear(&l);
    buf_release(&out);
    return rc;
}

/* Sends the held records whose review let the customer see their request; forgets those of
 * requests that will never reach the customer. */
static int send_held(struct visit *x)
{
    struct audit_stream_held_list held = {0};
    struct buf out = BUF_INIT;
    int rc = x->provider ? 0 : store_audit_stream_held(x->n->st, x->s->id, BATCH, &held);

    for (size_t i = 0; rc == 0 && i < held.count; i++) {
        const struct audit_stream_held *h = &held.items[i];
        struct audit_list l = {0};
        enum showing sh = SHOW;
        if (pending_held(x->c, h->chain, h->index) ||
            (rc = showing_of(x->n, &x->v, false, h->request_id, &sh)) != 0 || sh == HOLD)
            continue;
        if (sh == SKIP) {
            rc = store_audit_stream_release(x->n->st, x->s->id, h->chain, h->index);
            continue;
        }
        rc = store_audit_chain_records(x->n->st, h->chain, h->index - 1, 1, &l);
        if (rc == 0 && l.count == 1 && l.items[0].chain_index == h->index &&
            (rc = notify_syslog_format(&l.items[0], x->m365, x->n->hostname, &out)) == 0 &&
            (rc = pending_add(x->c, h->chain, h->index, true)) == 0)
            x->c->pending_records++;
        audit_list_clear(&l);
    }
    if (rc == 0)
        rc = send_out(x, &out);
    audit_stream_held_list_clear(&held);
    buf_release(&out);
    return rc;
}

/* true when the tenant's stream holds records (or cannot tell: then it looks). */
static bool holds(struct visit *x)
{
    struct audit_stream_held_list one = {0};
    bool any = store_audit_stream_held(x->n->st, x->s->id, 1, &one) != 0 || one.count > 0;

    audit_stream_held_list_clear(&one);
    return any;
}

/* Bytes sent on c that its peer has not acknowledged yet, or -1 when it cannot be told. */
static int unacknowledged(struct conn *c)
{
    curl_socket_t fd = CURL_SOCKET_BAD;
    int queued = -1;

    if (curl_easy_getinfo(c->curl, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK ||
        fd == CURL_SOCKET_BAD || ioctl(fd, SIOCOUTQ, &queued) != 0)
        return -1;
    return queued;
}

/* Records what c carried on the last visit once the connection is still open and its peer
 * acknowledged every byte (a collector that died meanwhile reset it); on a closed connection
 * drops it, to be sent again. One transaction. */
static int settle(struct visit *x)
{
    struct conn *c = x->c;
    struct audit_stream *s = x->s;
    int rc;

    if (c->pending_count == 0)
        return 0;
    if (!conn_alive(c)) {
        conn_close(c);
        return 0;
    }
    if (unacknowledged(c) > 0)
        return 0; /* still on its way: the next visit looks again (-1, cannot tell: open is
                   * all it can know) */
    s->delivered += c->pending_records;
    s->attempts = 0;
    s->next_attempt_at = 0;
    s->last_attempt_at = time_now();
    lb_free(s->last_error);
    s->last_error = NULL;
    if ((rc = store_begin(x->n->st)) != 0)
        return rc;
    for (size_t i = 0; rc == 0 && i < c->pending_count; i++) {
        const struct sent *p = &c->pending[i];
        rc = p->held ? store_audit_stream_release(x->n->st, s->id, p->chain, p->index)
                     : store_audit_stream_update(x->n->st, s, x->n->owner, p->chain, p->index);
    }
    if (rc == 0 && c->pending_count > 0)
        rc = store_audit_stream_update(x->n->st, s, x->n->owner, NULL, 0);
    if (rc == 0 && (rc = store_commit(x->n->st)) == 0) {
        pending_clear(c);
        return 0;
    }
    store_rollback(x->n->st);
    conn_close(c); /* not recorded: sent again */
    return rc;
}

/* Sends what stream s has still to send, chain by chain, then what it held. */
static int stream_run(struct notify_syslog *n, struct audit_stream *s, struct buf *err)
{
    struct audit_stream_chain_list backlog = {0};
    struct visit x = {.n = n,
                      .s = s,
                      .provider = strcmp(s->id, NOTIFY_SYSLOG_PROVIDER) == 0,
                      .m365 = strcmp(s->profile, "m365") == 0,
                      .err = err};
    bool more = false;
    int rc = conn_of(n, s, &x.c);

    if (rc == 0)
        rc = settle(&x);
    if (rc == 0)
        rc = store_audit_stream_backlog(n->st, s->id, &backlog);
    if (rc || (backlog.count == 0 && (x.provider || !holds(&x))))
        goto out; /* nothing to send: not even a lease taken */
    if ((rc = lease(&x)) != 0)
        goto out;
    if (!conn_alive(x.c) && (rc = conn_open(n, x.c, x.provider, err)) != 0)
        goto out;
    for (size_t i = 0; rc == 0 && i < backlog.count; i++) {
        do
            rc = send_batch(&x, &backlog.items[i], &more);
        while (rc == 0 && more && !stopping(n));
    }
    if (rc == 0)
        rc = send_held(&x);
out:
    lb_free(x.v.request_id);
    audit_stream_chain_list_clear(&backlog);
    return rc;
}

/* Runs stream s if it is due and (on a shared store) this process's; *next: when to look
 * again. */
static void stream_visit(struct notify_syslog *n, struct audit_stream *s, int64_t *next)
{
    struct buf err = BUF_INIT;
    int64_t now = time_now();
    int rc;

    if (s->next_attempt_at > now) {
        if (s->next_attempt_at < *next)
            *next = s->next_attempt_at;
        return;
    }
    rc = stream_run(n, s, &err);
    /* LB_ENOTFOUND: the stream went or changed meanwhile; LB_ECONFLICT: another lockboxd
     * sends it */
    if (rc == 0 || rc == LB_ENOTFOUND || rc == LB_ECONFLICT)
        goto out;
    s->attempts++;
    s->last_attempt_at = now;
    s->next_attempt_at = now + backoff(s->attempts);
    lb_free(s->last_error);
    s->last_error = lb_strdup(buf_ok(&err) && err.len ? buf_cstr(&err) : lb_strerror(rc));
    if (s->attempts == 1 || s->attempts % 10 == 0)
        log_warn("syslog: stream=%s url=%s attempts=%lld error=\"%s\"", s->id, s->url,
                 (long long)s->attempts, s->last_error ? s->last_error : "");
    if (store_audit_stream_update(n->st, s, n->owner, NULL, 0) == 0 && s->next_attempt_at < *next)
        *next = s->next_attempt_at;
out:
    buf_release(&err);
}

/* At the stop: records what the connections carried (when their peers acknowledged it; what
 * they did not is sent again by the next lockboxd), then frees the streams this process holds
 * for another at once, not when their leases end (a stream another holds stays its). */
static void finish(struct notify_syslog *n)
{
    struct audit_stream_list streams = {0};

    if (store_audit_streams(n->st, &streams) != 0)
        return;
    for (size_t i = 0; i < streams.count; i++) {
        struct visit x = {.n = n, .s = &streams.items[i]};
        if (conn_of(n, x.s, &x.c) == 0)
            (void)!settle(&x);
        if (n->shared_store)
            (void)!store_audit_stream_claim(n->st, x.s->id, n->owner, time_now(), 0);
    }
    audit_stream_list_clear(&streams);
}

static void *syslog_main(void *arg)
{
    struct notify_syslog *n = arg;

    for (;;) {
        struct audit_stream_list streams = {0};
        int64_t next = time_now() + POLL_SECONDS;

        if (store_audit_streams(n->st, &streams) == 0) {
            conns_prune(n, &streams);
            for (size_t i = 0; i < streams.count && !stopping(n); i++)
                stream_visit(n, &streams.items[i], &next);
        }
        audit_stream_list_clear(&streams);
        pthread_mutex_lock(&n->lock);
        struct timespec until = {.tv_sec = (time_t)next};
        while (!n->stop && !n->woken && pthread_cond_timedwait(&n->cond, &n->lock, &until) == 0)
            ;
        bool stop = n->stop;
        n->woken = false;
        pthread_mutex_unlock(&n->lock);
        if (stop)
            break;
    }
    finish(n);
    return NULL;
}

/* ---- the thread ---- */

static void syslog_free(struct notify_syslog *n)
{
    struct audit_stream_list none = {0};

    conns_prune(n, &none);
    lb_free(n->conns);
    lb_free(n->ca_file);
    pthread_mutex_destroy(&n->lock);
    pthread_cond_destroy(&n->cond);
    lb_free(n);
}

int notify_syslog_start(struct store *st, const struct notify_syslog_config *cfg,
                        struct notify_syslog **out)
{
    struct notify_syslog *n = lb_calloc(1, sizeof(*n));
    pthread_condattr_t attr;

    *out = NULL;
    if (!n)
        return LB_ENOMEM;
    n->st = st;
    unsigned char who[OWNER_BYTES];
    randombytes_buf(who, sizeof(who));
    sodium_bin2hex(n->owner, sizeof(n->owner), who, sizeof(who));
    n->allow_private = cfg->allow_private;
    n->shared_store = cfg->shared_store;
    n->timeout_ms = (long)cfg->timeout_ms;
    if (cfg->hostname && *cfg->hostname)
        snprintf(n->hostname, sizeof(n->hostname), "%s", cfg->hostname);
    else if (gethostname(n->hostname, sizeof(n->hostname) - 1) != 0)
        snprintf(n->hostname, sizeof(n->hostname), "-");
    pthread_mutex_init(&n->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_REALTIME);
    pthread_cond_init(&n->cond, &attr);
    pthread_condattr_destroy(&attr);
    if (cfg->ca_file && *cfg->ca_file && !(n->ca_file = lb_strdup(cfg->ca_file))) {
        syslog_free(n);
        return LB_ENOMEM;
    }
    if (pthread_create(&n->thread, NULL, syslog_main, n) != 0) {
        syslog_free(n);
        return LB_EIO;
    }
    n->started = true;
    *out = n;
    return 0;
}

void notify_syslog_wake(struct notify_syslog *n)
{
    if (!n)
        return;
    pthread_mutex_lock(&n->lock);
    n->woken = true;
    pthread_cond_signal(&n->cond);
    pthread_mutex_unlock(&n->lock);
}

void notify_syslog_stop(struct notify_syslog *n)
{
    if (!n)
        return;
    pthread_mutex_lock(&n->lock);
    n->stop = true;
    pthread_cond_broadcast(&n->cond);
    pthread_mutex_unlock(&n->lock);
    if (n->started)
        pthread_join(n->thread, NULL);
    syslog_free(n);
}
