#include "http/server.h"

#include "api/api.h"
#include "http/assets.h"
#include "http/door.h"
#include "http/events.h"
#include "http/head.h"
#include "http/metrics.h"
#include "http/ratelimit.h"
#include "http/tls.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"
#include "wire/wire.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/banned.h"

#define ROUTE_HEALTHZ ((int)api_route_count)
#define ROUTE_METRICS ((int)api_route_count + 1)
#define ROUTE_PORTAL ((int)api_route_count + 2)
#define ROUTE_READYZ ((int)api_route_count + 3)

/* The portal's pages run no inline script or style and load nothing from elsewhere. */
#define PORTAL_CSP                                                                                 \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

#define REQUEST_ID_LEN 24 /* 8 + up to 15 hex digits + NUL */
/* A write refused because the workers' queue is full is asked to come back this soon: the
 * queue is drained at commit speed, so a second is long for it. */
#define RETRY_AFTER_SATURATED 1

/* An answer rendered by whichever thread ran the call, sent by the connection's thread. */
struct answer {
    int status;
    const char *type;
    char *text; /* malloc'd; libmicrohttpd frees it */
    size_t len;
    char *set_cookie;                           /* (owned) a Set-Cookie header, or NULL */
    const struct http_asset *asset;             /* a portal file to send instead of text */
    char allow[API_ALLOW_LEN];                  /* a 405's Allow header */
    int64_t retry_after;                        /* a 429's or 503's Retry-After (s), 0: none */
    bool close;                                 /* close the connection after it (a refused head) */
    struct api_header headers[API_MAX_HEADERS]; /* a handler's own headers */
    size_t header_count;
    struct api_body_stream body_stream; /* (owned until sent) a body made as it is sent */
};

/* Per-request state, from the first callback to the completion notice. */
struct http_req {
    struct buf body;
    bool too_large;
    bool answered;   /* a response was queued before the body was read */
    bool rate_taken; /* counted against its token's rate before it was queued */
    bool ready;      /* a worker has filled `answer` */
    int64_t start_us;
    char request_id[REQUEST_ID_LEN];
    /* what a call needs, copied out of the connection before it may leave this thread */
    struct MHD_Connection *conn;
    const struct api_route *route;
    char *strings;            /* (owned) one allocation holding the five below */
    size_t strings_len;       /* its size, to wipe the token with it */
    char *path, *token;       /* path is cut into params by the router; token may be NULL */
    char *csrf;               /* the X-CSRF-Token header, or NULL */
    char *last_event_id;      /* the Last-Event-ID header, or NULL */
    struct api_stream stream; /* the event stream the call opens, if any */
    bool cookie;              /* the token came from the session cookie */
    char *url;                /* the path as asked, for the log */
    const char *params[API_MAX_PARAMS];
    char method[16];
    char ip[INET6_ADDRSTRLEN + 1];
    bool json_type;
    struct answer answer;
    struct http_req *next; /* worker queue */
};

struct http_server {
    struct MHD_Daemon *daemon;
    struct core *core; /* borrowed */
    struct metrics *metrics;
    struct door *door;
    struct tls_creds *tls; /* (owned) NULL: plain HTTP */
    struct http_config cfg;
    atomic_int inflight;
    atomic_ullong store_unavailable; /* calls answered 503: the store could not be reached */
    atomic_bool draining; /* stopping: new requests are refused (503), those in flight finish */
    atomic_ullong next_id;
    unsigned long long id_prefix;
    /* workers run the calls that write (and wait for their commit) off the event threads */
    pthread_t *workers;
    size_t worker_count;
    pthread_mutex_t queue_lock;
    pthread_cond_t queue_cond;
    struct http_req *queue_head, *queue_tail;
    size_t queue_depth; /* requests queued or about to be (queue_reserve); under queue_lock */
    size_t queue_limit; /* at most this many; more are answered 503 at once */
    atomic_uint workers_busy;
    atomic_ullong saturated;   /* writes answered 503: the queue was full */
    struct ratelimit *limiter; /* the per-token rate limit; NULL: none */
    bool stopping;
};

static const char *route_name(size_t i)
{
    if (i < api_route_count)
        return api_routes[i].name;
    return i == api_route_count       ? "healthz"
           : i == api_route_count + 1 ? "metrics"
           : i == api_route_count + 2 ? "portal"
                                      : "readyz";
}

/* ---- answering ---- */

static void answer_set(struct answer *a, int status, const char *type, char *text)
{
    free(a->text);
    a->status = status;
    a->type = type;
    a->text = text;
    a->len = text ? strlen(text) : 0;
}

static void answer_json(struct answer *a, int status, const char *type, json_t *body)
{
    char *text = body && status != 204 ? wire_text(body) : NULL;

    if (!text && status != 204) {
        answer_set(
            a, 503, "application/problem+json",
            lb_strdup("{\"type\":\"about:blank\",\"title\":\"Service Unavailable\","
                      "\"status\":503,\"code\":\"unavailable\",\"detail\":\"out of memory\"}"));
        return;
    }
    answer_set(a, status, type, text);
}

static void answer_problem(struct http_req *rq, int status, const char *code, const char *detail)
{
    json_t *p = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}", "type", "about:blank", "title",
                          api_status_title(status), "status", status, "detail", detail, "code",
                          code, "request_id", rq->request_id);

    answer_json(&rq->answer, status, "application/problem+json", p);
    json_decref(p);
}

/* A body made as it is sent (struct api_body_stream), between its pieces. */
struct body_stream {
    struct api_body_stream src;
    struct buf piece;
    size_t sent; /* of piece */
    bool done;
};

static ssize_t body_stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    struct body_stream *b = cls;
    size_t n;

    (void)pos;
    if (b->sent == b->piece.len) {
        buf_reset(&b->piece);
        b->sent = 0;
        if (b->done)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (b->src.next(b->src.ctx, &b->piece) != 0) {
            /* cut: the client sees the body end without its last line */
            log_warn("http: a streamed answer failed midway; its connection is cut");
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (b->piece.len == 0)
            return MHD_CONTENT_READER_END_OF_STREAM;
    }
    n = b->piece.len - b->sent < max ? b->piece.len - b->sent : max;
    memcpy(out, b->piece.data + b->sent, n);
    b->sent += n;
    return (ssize_t)n;
}

static void body_stream_free(void *cls)
{
    struct body_stream *b = cls;

    b->src.free(b->src.ctx);
    buf_release(&b->piece);
    lb_free(b);
}

/* A response whose body a->body_stream makes as it is sent; it owns the stream from here. */
static struct MHD_Response *stream_response(struct answer *a)
{
    struct body_stream *b = lb_calloc(1, sizeof(*b));
    struct MHD_Response *resp = NULL;

    if (b) {
        b->src = a->body_stream;
        buf_init(&b->piece, 0);
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, body_stream_read, b,
                                                 body_stream_free);
    }
    if (!resp) {
        lb_free(b);
        return NULL; /* the stream stays the answer's, freed with it */
    }
    memset(&a->body_stream, 0, sizeof(a->body_stream));
    return resp;
}

/* A browser that reached us over TLS is told to come back only over TLS (a year). */
static void add_hsts(struct MHD_Connection *conn, struct MHD_Response *resp)
{
    if (MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION))
        MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
}

/* Queues rq's answer on its connection (this must run on the connection's thread). */
static enum MHD_Result send_answer(struct MHD_Connection *conn, struct http_req *rq)
{
    struct answer *a = &rq->answer;
    struct MHD_Response *resp = a->body_stream.next
                                    ? stream_response(a)
                                    : MHD_create_response_from_buffer(
                                          a->len, a->text ? a->text : (char *)"",
                                          a->text ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ok;

    if (!resp)
        return MHD_NO;
    a->text = NULL; /* libmicrohttpd owns it now */
    if (a->status != 204 && a->type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->type);
    for (size_t i = 0; i < a->header_count; i++)
        MHD_add_response_header(resp, a->headers[i].name, a->headers[i].value);
    if (a->set_cookie)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, a->set_cookie);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (a->text || a->type) /* nothing to sniff without a body (an authz answer) */
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Request-Id", rq->request_id);
    add_hsts(conn, resp);
    if (a->status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    if (a->status == 405 && a->allow[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, a->allow);
    if (a->retry_after > 0) {
        char secs[24];
        snprintf(secs, sizeof(secs), "%lld", (long long)a->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
    }
    if (a->close)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    ok = MHD_queue_response(conn, (unsigned)a->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* Sends a portal file (or index.html for a portal route): revalidated by ETag, under a CSP
 * that allows no inline script, never framed. */
static enum MHD_Result send_asset(struct MHD_Connection *conn, struct http_req *rq,
                                  const struct http_asset *a)
{
    const char *match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
    bool same = match && strcmp(match, a->etag) == 0;
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        same ? 0 : a->len, same ? (void *)"" : (void *)a->data, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ok;

    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, a->etag);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(resp, "Content-Security-Policy", PORTAL_CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Request-Id", rq->request_id);
    add_hsts(conn, resp);
    ok = MHD_queue_response(conn, same ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* The portal file for a GET of url outside /api/: /assets/X is web/X; any other path is a
 * page of the portal (/, /requests/ID, ...) and gets index.html. NULL: no such file. */
static const struct http_asset *portal_file(const char *url)
{
    if (strncmp(url, "/assets/", 8) == 0)
        return http_asset_find(url);
    return http_asset_find("/assets/index.html");
}

/* ---- request helpers ---- */

/* Writes the dotted quad of a (network order) into out (INET_ADDRSTRLEN bytes): inet_ntop's
 * own, which formats through sprintf, once per request. */
static void ipv4_text(const unsigned char a[4], char *out)
{
    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        if (v >= 100)
            *out++ = (char)('0' + v / 100);
        if (v >= 10)
            *out++ = (char)('0' + v / 10 % 10);
        *out++ = (char)('0' + v % 10);
        *out++ = i < 3 ? '.' : '\0';
    }
}

static void client_ip(struct http_server *s, struct MHD_Connection *conn, char *out, size_t len)
{
    /* the peer, unless it is a trusted proxy: then the last X-Forwarded-For entry */
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    const char *xff, *last;

    if (len < sizeof("unknown"))
        return;
    memcpy(out, "unknown", sizeof("unknown"));
    if (sa && sa->sa_family == AF_INET && len >= INET_ADDRSTRLEN)
        ipv4_text((const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr, out);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)len);
    for (size_t i = 0; i < s->cfg.trusted_proxy_count; i++) {
        if (strcmp(out, s->cfg.trusted_proxies[i]) != 0)
            continue;
        xff = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For");
        if (!xff)
            return;
        /* the last entry is the one our trusted proxy added */
        last = strrchr(xff, ',');
        last = last ? last + 1 : xff;
        while (*last == ' ')
            last++;
        unsigned char probe[sizeof(struct in6_addr)];
        if (inet_pton(AF_INET, last, probe) == 1 || inet_pton(AF_INET6, last, probe) == 1)
            snprintf(out, len, "%s", last);
        return;
    }
}

static bool is_json_type(const char *type)
{
    static const char json[] = "application/json";
    size_t n = sizeof(json) - 1;

    if (!type || strncasecmp(type, json, n) != 0)
        return false;
    return type[n] == '\0' || type[n] == ';' || type[n] == ' ';
}

static const char *query_value(void *ctx, const char *key)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, key);
}

static const char *header_value(void *ctx, const char *key)
{
    return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, key);
}

/* The bearer token of the Authorization header, else the portal's session cookie (*cookie
 * then true), or NULL. */
static const char *session_token(struct MHD_Connection *conn, bool *cookie)
{
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");

    *cookie = false;
    if (h && strncasecmp(h, "Bearer ", 7) == 0) {
        h += 7;
        while (*h == ' ')
            h++;
        return h;
    }
    h = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, API_SESSION_COOKIE);
    *cookie = h && *h;
    return *cookie ? h : NULL;
}

/* Copies s to at, stopping at end; returns where it stopped. */
static char *put_str(char *at, const char *end, const char *s)
{
    while (*s && at < end)
        *at++ = *s++;
    return at;
}

static char *put_int(char *at, const char *end, long long v)
{
    char digits[24];
    size_t n = 0;
    unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;

    do
        digits[n++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0 && at < end)
        *at++ = '-';
    while (n > 0 && at < end)
        *at++ = digits[--n];
    return at;
}

/* A printable copy of path for the log: control characters and '"' become '?', and it is cut
 * after LOG_PATH_MAX bytes. */
#define LOG_PATH_MAX 255
static char *put_path(char *at, const char *end, const char *path)
{
    for (size_t i = 0; path[i] && i < LOG_PATH_MAX && at < end; i++)
        *at++ = isprint((unsigned char)path[i]) && path[i] != '"' ? path[i] : '?';
    return at;
}

/* Counts the answer in the metrics and writes its access log line, by hand: what
 * "http method=%s path=\"%s\" status=%d us=%lld request_id=%s" would write, without the
 * formatted printing that was most of a line's cost. */
static void finish_log(struct http_server *s, struct http_req *rq, const char *method,
                       const char *path, int route, int status)
{
    int64_t us = time_mono_us() - rq->start_us;
    char line[LOG_LINE_MAX], *at = line;
    const char *end = line + sizeof(line);

    metrics_record(s->metrics, route, status, us);
    if (!log_enabled(LOG_LEVEL_INFO))
        return;
    at = put_str(at, end, "http method=");
    at = put_str(at, end, method);
    at = put_str(at, end, " path=\"");
    at = put_path(at, end, path);
    at = put_str(at, end, "\" status=");
    at = put_int(at, end, status);
    at = put_str(at, end, " us=");
    at = put_int(at, end, (long long)us);
    at = put_str(at, end, " request_id=");
    at = put_str(at, end, rq->request_id);
    log_text(LOG_LEVEL_INFO, line, (size_t)(at - line));
}

/* ---- the built-in routes ---- */

/* Appends the limits' counters and gauges: the per-token rate limit and the workers' queue. */
static void limits_metrics(struct http_server *s, struct buf *out)
{
    struct ratelimit_stats rs;
    size_t depth;

    ratelimit_stats(s->limiter, time_mono_us(), &rs);
    pthread_mutex_lock(&s->queue_lock);
    depth = s->queue_depth;
    pthread_mutex_unlock(&s->queue_lock);
    buf_appendf(out,
                "# HELP lockbox_http_rate_limited_total Calls answered 429: their token was over "
                "[limits] requests_per_second.\n"
                "# TYPE lockbox_http_rate_limited_total counter\n"
                "lockbox_http_rate_limited_total %llu\n"
                "# HELP lockbox_http_rate_limit_tokens Tokens whose bucket is not full now.\n"
                "# TYPE lockbox_http_rate_limit_tokens gauge\n"
                "lockbox_http_rate_limit_tokens %llu\n"
                "# HELP lockbox_http_rate_limit_slots Tokens the rate limit can follow at once "
                "(0: no limit).\n"
                "# TYPE lockbox_http_rate_limit_slots gauge\n"
                "lockbox_http_rate_limit_slots %llu\n"
                "# HELP lockbox_http_rate_limit_evictions_total Tokens pushed out of the rate "
                "limit's full table before their bucket refilled (each starts over full).\n"
                "# TYPE lockbox_http_rate_limit_evictions_total counter\n"
                "lockbox_http_rate_limit_evictions_total %llu\n"
                "# HELP lockbox_http_saturated_total Calls that write answered 503 at once: the "
                "workers' queue held [server] queue_limit.\n"
                "# TYPE lockbox_http_saturated_total counter\n"
                "lockbox_http_saturated_total %llu\n"
                "# HELP lockbox_http_queue_depth Calls that write waiting for a worker.\n"
                "# TYPE lockbox_http_queue_depth gauge\nlockbox_http_queue_depth %zu\n"
                "# HELP lockbox_http_queue_limit The most calls that may wait for a worker.\n"
                "# TYPE lockbox_http_queue_limit gauge\nlockbox_http_queue_limit %zu\n"
                "# HELP lockbox_http_workers_busy Workers running a call now.\n"
                "# TYPE lockbox_http_workers_busy gauge\nlockbox_http_workers_busy %u\n"
                "# HELP lockbox_http_workers Worker threads.\n"
                "# TYPE lockbox_http_workers gauge\nlockbox_http_workers %u\n",
                (unsigned long long)rs.limited, (unsigned long long)rs.tracked,
                (unsigned long long)rs.slots, (unsigned long long)rs.evicted,
                (unsigned long long)atomic_load(&s->saturated), depth, s->queue_limit,
                atomic_load(&s->workers_busy), s->cfg.workers ? s->cfg.workers : 16);
}

static enum MHD_Result serve_metrics(struct http_server *s, struct MHD_Connection *conn,
                                     struct http_req *rq)
{
    struct buf out = BUF_INIT, extra = BUF_INIT;
    struct store_stats st = {0};
    struct outbox_counts oc = {0};
    struct door_stats ds = {0};
    struct denial_stats dn = {0};
    struct event_hub_stats es = {0};

    core_store_stats(s->core, &st);
    core_denial_stats(s->core, &dn);
    core_outbox_count(s->core, &oc);
    door_stats(s->door, &ds);
    buf_appendf(&extra,
                "# HELP lockbox_active_grants Entries in the in-memory grant index.\n"
                "# TYPE lockbox_active_grants gauge\nlockbox_active_grants %zu\n"
                "# HELP lockbox_store_transactions_total Transactions committed.\n"
                "# TYPE lockbox_store_transactions_total counter\n"
                "lockbox_store_transactions_total %llu\n"
                "# HELP lockbox_store_commits_total Durable commits (group commit: one fsync "
                "each).\n# TYPE lockbox_store_commits_total counter\n"
                "lockbox_store_commits_total %llu\n"
                "# HELP lockbox_notifications Notifications (mail and webhook) by state.\n"
                "# TYPE lockbox_notifications gauge\n"
                "lockbox_notifications{status=\"pending\"} %lld\n"
                "lockbox_notifications{status=\"delivered\"} %lld\n"
                "lockbox_notifications{status=\"failed\"} %lld\n"
                "# HELP lockbox_http_connections Connections open now.\n"
                "# TYPE lockbox_http_connections gauge\nlockbox_http_connections %llu\n"
                "# HELP lockbox_http_connections_refused_total Connections refused at accept: "
                "their address held max_connections_per_ip.\n"
                "# TYPE lockbox_http_connections_refused_total counter\n"
                "lockbox_http_connections_refused_total %llu\n"
                "# HELP lockbox_http_connections_timed_out_total Connections cut: no whole "
                "request head within header_timeout_ms.\n"
                "# TYPE lockbox_http_connections_timed_out_total counter\n"
                "lockbox_http_connections_timed_out_total %llu\n"
                "# HELP lockbox_access_denials_total Denials at the doors, by what became of "
                "them: written (an access.denied record), collapsed (counted into their "
                "operator's and resource's record of its window), dropped (the writer's queue "
                "was full), failed (the store refused the write).\n"
                "# TYPE lockbox_access_denials_total counter\n"
                "lockbox_access_denials_total{outcome=\"written\"} %llu\n"
                "lockbox_access_denials_total{outcome=\"collapsed\"} %llu\n"
                "lockbox_access_denials_total{outcome=\"dropped\"} %llu\n"
                "lockbox_access_denials_total{outcome=\"failed\"} %llu\n"
                "# HELP lockbox_access_denials_queued Denials waiting to be written.\n"
                "# TYPE lockbox_access_denials_queued gauge\nlockbox_access_denials_queued %llu\n"
                "# HELP lockbox_access_allowances_total access.allowed records written: the "
                "first of a request, resource and door in its window, for the grant's report.\n"
                "# TYPE lockbox_access_allowances_total counter\n"
                "lockbox_access_allowances_total %llu\n",
                core_grant_count(s->core), (unsigned long long)st.transactions,
                (unsigned long long)st.commits, (long long)oc.pending, (long long)oc.delivered,
                (long long)oc.failed, (unsigned long long)ds.open, (unsigned long long)ds.refused,
                (unsigned long long)ds.timed_out, (unsigned long long)dn.written,
                (unsigned long long)dn.collapsed, (unsigned long long)dn.dropped,
                (unsigned long long)dn.failed, (unsigned long long)dn.queued,
                (unsigned long long)dn.allowed);
    event_hub_stats(s->cfg.events, &es);
    buf_appendf(&extra,
                "# HELP lockbox_event_streams Event streams (GET /api/v1/events) open now.\n"
                "# TYPE lockbox_event_streams gauge\nlockbox_event_streams %llu\n"
                "# HELP lockbox_event_streams_cut_total Event streams ended because their "
                "client fell client_buffer_bytes behind.\n"
                "# TYPE lockbox_event_streams_cut_total counter\n"
                "lockbox_event_streams_cut_total %llu\n",
                (unsigned long long)es.open, (unsigned long long)es.cut);
    buf_appendf(&extra,
                "# HELP lockbox_store_up 1 when the store answered a trivial query at this "
                "scrape; 0 when it could not be reached or failed.\n"
                "# TYPE lockbox_store_up gauge\nlockbox_store_up %d\n"
                "# HELP lockbox_store_unavailable_total Calls answered 503 because the store "
                "could not be reached (nothing of them was done).\n"
                "# TYPE lockbox_store_unavailable_total counter\n"
                "lockbox_store_unavailable_total %llu\n"
                "# HELP lockbox_store_changes_heard 1 while this node hears the changes the "
                "other lockboxd on its store commit (always 1 on SQLite); 0 past one resync "
                "period without: the doors then refuse.\n"
                "# TYPE lockbox_store_changes_heard gauge\nlockbox_store_changes_heard %d\n",
                core_store_ping(s->core) == 0,
                (unsigned long long)atomic_load(&s->store_unavailable),
                !core_changes_deaf_now(s->core));
    limits_metrics(s, &extra);
    if (s->tls)
        buf_appendf(&extra,
                    "# HELP lockbox_tls_certificate_not_after_seconds When the certificate "
                    "served expires (Unix time): alert well before it.\n"
                    "# TYPE lockbox_tls_certificate_not_after_seconds gauge\n"
                    "lockbox_tls_certificate_not_after_seconds %lld\n",
                    (long long)tls_creds_not_after(s->tls));
    metrics_render(s->metrics, route_name, buf_cstr(&extra), &out);
    buf_release(&extra);
    answer_set(&rq->answer, 200, "text/plain; version=0.0.4", buf_take(&out));
    if (!rq->answer.text)
        return MHD_NO;
    return send_answer(conn, rq);
}

/* Readiness, for a load balancer: whether this node can reach its store now (a trivial
 * query; answered at once while the store knows its server is away). Its 503s are no error in
 * the log: a balancer asks every few seconds all through an outage, which the store logs. */
static enum MHD_Result serve_readyz(struct http_server *s, struct MHD_Connection *conn,
                                    struct http_req *rq, const char *method, const char *url)
{
    int rc = core_store_ping(s->core);
    json_t *body =
        rc == 0 ? json_pack("{s:s}", "status", "ready")
                : json_pack("{s:s, s:s}", "status", "unavailable", "reason",
                            rc == LB_EUNAVAIL ? "the store cannot be reached" : "the store failed");

    /* what the operator should fix though the node serves (it runs as root) */
    if (body && s->cfg.readyz_warning)
        json_object_set_new(body, "warnings", json_pack("[s]", s->cfg.readyz_warning));
    answer_json(&rq->answer, rc == 0 ? 200 : 503, "application/json", body);
    json_decref(body);
    if (rq->answer.status == 503)
        rq->answer.retry_after = API_RETRY_AFTER_UNAVAIL;
    finish_log(s, rq, method, url, ROUTE_READYZ, rq->answer.status);
    return send_answer(conn, rq);
}

/* ---- running an API call ---- */

static const char *no_query(void *ctx, const char *key)
{
    (void)ctx;
    (void)key;
    return NULL;
}

/* Counts an authenticated call against its token's rate limit; true (and call answered 429
 * with Retry-After) when the token is over it. Keyed on the token itself: a session's calls
 * share one bucket whatever user or route, and the limiter keeps only a keyed hash of it. */
static bool over_rate_limit(struct http_server *s, struct http_req *rq, struct api_call *call)
{
    int64_t wait_us, secs;

    if (!s->limiter)
        return false;
    wait_us = ratelimit_take(s->limiter, rq->token, strlen(rq->token), time_mono_us());
    if (wait_us == 0)
        return false;
    secs = ratelimit_retry_after(wait_us);
    api_fail(call, LB_ERATELIMIT, "too many calls with this token: try again in %lld s",
             (long long)secs);
    call->retry_after = secs;
    return true;
}

/* Runs the call described by rq on the current thread and renders its answer. */
static void execute(struct http_server *s, struct http_req *rq, bool on_conn_thread)
{
    struct api_call call = {.core = s->core, .client_ip = rq->ip};
    const struct api_route *route = rq->route;
    struct principal p = {0};
    json_error_t jerr;
    int rc;

    memcpy(call.params, rq->params, sizeof(call.params));
    /* only the connection's own thread may read its query string */
    call.query = on_conn_thread ? query_value : no_query;
    call.header = on_conn_thread ? header_value : no_query;
    call.query_ctx = rq->conn;
    call.secure_cookie = s->cfg.secure_cookies;
    call.last_event_id = rq->last_event_id;
    if (route->auth) {
        rc = rq->token ? core_authenticate(s->core, rq->token, &p) : LB_EUNAUTH;
        if (rc) {
            api_fail(&call, rc,
                     rc == LB_EUNAUTH ? "a valid bearer token (or session) is required"
                                      : "cannot check the token");
            goto out;
        }
        if (!rq->rate_taken && over_rate_limit(s, rq, &call))
            goto out;
        /* a cookie rides along with any request to us, even one another site's page makes:
         * what changes state must also prove it came from our page */
        if (rq->cookie && strcmp(rq->method, "GET") != 0 &&
            !core_csrf_check(s->core, rq->token, rq->csrf)) {
            api_fail(&call, LB_EFORBIDDEN,
                     "a call made with the session cookie must carry its X-CSRF-Token");
            goto out;
        }
        p.client_ip = rq->ip;
        call.principal = &p;
        call.token = rq->token;
        call.cookie_session = rq->cookie;
    }
    if (route->body && rq->body.len > 0) {
        call.body = json_loadb(rq->body.data, rq->body.len, JSON_REJECT_DUPLICATES, &jerr);
        if (!call.body) {
            api_fail(&call, LB_EINVAL, "malformed JSON: %s (line %d, column %d)", jerr.text,
                     jerr.line, jerr.column);
            goto out;
        }
    }
    route->handler(&call);
out:
    if (call.code)
        answer_problem(rq, call.status, call.code, buf_cstr(&call.detail));
    else if (call.stream.open) {
        rq->stream = call.stream; /* on_request opens it; the answer is the stream */
        rq->answer.status = 200;
    } else if (call.body_stream.next) {
        answer_set(&rq->answer, call.status, call.body_stream.content_type, NULL);
        rq->answer.body_stream = call.body_stream;
        memset(&call.body_stream, 0, sizeof(call.body_stream));
    } else if (call.no_body)
        answer_set(&rq->answer, call.status, NULL, NULL);
    else
        answer_json(&rq->answer, call.status, "application/json", call.response);
    if (!call.code) {
        memcpy(rq->answer.headers, call.headers, sizeof(call.headers));
        rq->answer.header_count = call.header_count;
        rq->answer.set_cookie = call.set_cookie;
        call.set_cookie = NULL;
    }
    rq->answer.retry_after = call.status == 429 || call.status == 503 ? call.retry_after : 0;
    /* an outage of the store is logged once by the store, not once per call it refuses */
    if (call.lb_code == LB_EUNAVAIL)
        atomic_fetch_add(&s->store_unavailable, 1);
    else if (call.status >= 500)
        log_error("http request_id=%s status=%d detail=\"%s\"", rq->request_id, call.status,
                  buf_cstr(&call.detail));
    finish_log(s, rq, rq->method, rq->url, (int)(route - api_routes), rq->answer.status);
    json_decref(call.body);
    call.body = NULL;
    principal_clear(&p);
    api_call_release(&call);
}

/* Calls that write wait for their commit: they run on a worker, not on an event thread. */
static bool runs_on_worker(const struct api_route *route)
{
    return strcmp(route->method, "GET") != 0 && route->handler != api_access_check;
}

/* Before a call that writes takes a place in the workers' queue: one that does not
 * authenticate is answered 401 at once, and one whose token is over its rate 429, so that
 * neither holds a place others need (made-up tokens must not push real writers to 503); true
 * when it was answered. A token that cannot be checked now (the store away) is left to the
 * worker, which answers as it always does. */
static bool refused_before_queue(struct http_server *s, struct http_req *rq)
{
    struct api_call call = {.core = s->core, .client_ip = rq->ip};
    struct principal p = {0};
    bool answered = false;
    int rc;

    if (!rq->route->auth)
        return false;
    rc = rq->token ? core_authenticate(s->core, rq->token, &p) : LB_EUNAUTH;
    if (rc == LB_EUNAUTH) {
        api_fail(&call, rc, "a valid bearer token (or session) is required");
        answered = true;
    } else if (rc == 0 && s->limiter) {
        rq->rate_taken = true;
        answered = over_rate_limit(s, rq, &call);
    }
    principal_clear(&p);
    if (answered) {
        answer_problem(rq, call.status, call.code, buf_cstr(&call.detail));
        rq->answer.retry_after = call.retry_after;
        finish_log(s, rq, rq->method, rq->url, (int)(rq->route - api_routes), call.status);
    }
    api_call_release(&call);
    return answered;
}

/* Takes a place in the workers' queue, before the connection is suspended; false when the
 * queue holds queue_limit requests already. */
static bool queue_reserve(struct http_server *s)
{
    bool ok;

    pthread_mutex_lock(&s->queue_lock);
    ok = s->queue_depth < s->queue_limit;
    if (ok)
        s->queue_depth++;
    pthread_mutex_unlock(&s->queue_lock);
    return ok;
}

/* Queues rq in the place queue_reserve took. */
static void queue_push(struct http_server *s, struct http_req *rq)
{
    pthread_mutex_lock(&s->queue_lock);
    rq->next = NULL;
    if (s->queue_tail)
        s->queue_tail->next = rq;
    else
        s->queue_head = rq;
    s->queue_tail = rq;
    pthread_cond_signal(&s->queue_cond);
    pthread_mutex_unlock(&s->queue_lock);
}

static void *worker_main(void *arg)
{
    struct http_server *s = arg;
    struct http_req *rq;

    for (;;) {
        pthread_mutex_lock(&s->queue_lock);
        while (!s->queue_head && !s->stopping)
            pthread_cond_wait(&s->queue_cond, &s->queue_lock);
        rq = s->queue_head;
        if (rq) {
            s->queue_head = rq->next;
            if (!s->queue_head)
                s->queue_tail = NULL;
            s->queue_depth--;
        }
        pthread_mutex_unlock(&s->queue_lock);
        if (!rq)
            return NULL; /* stopping and nothing left */
        atomic_fetch_add(&s->workers_busy, 1);
        execute(s, rq, false);
        atomic_fetch_sub(&s->workers_busy, 1);
        rq->ready = true;
        MHD_resume_connection(rq->conn);
    }
}

/* Copies url (twice: the router cuts one), token, csrf and last_id (each may be NULL) out of
 * the connection into one allocation; false when out of memory. */
static bool copy_strings(struct http_req *rq, const char *url, const char *token, const char *csrf,
                         const char *last_id)
{
    const char *from[] = {url, url, token, csrf, last_id};
    char **to[] = {&rq->path, &rq->url, &rq->token, &rq->csrf, &rq->last_event_id};
    size_t len[5], total = 0;
    char *at;

    for (size_t i = 0; i < 5; i++) {
        len[i] = from[i] ? strlen(from[i]) + 1 : 0;
        total += len[i];
    }
    if (!(rq->strings = lb_malloc(total)))
        return false;
    rq->strings_len = total;
    at = rq->strings;
    for (size_t i = 0; i < 5; i++) {
        *to[i] = from[i] ? memcpy(at, from[i], len[i]) : NULL;
        at += len[i];
    }
    return true;
}

/* Finds the route and copies out of the connection what the call needs; answers at once
 * what needs no call (404, 405, 413, 415). Returns false when rq->answer is already set. */
static bool prepare(struct http_server *s, struct MHD_Connection *conn, struct http_req *rq,
                    const char *url, const char *method)
{
    const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    const char *csrf = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-CSRF-Token");
    const char *last_id = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Last-Event-ID");
    const char *token = session_token(conn, &rq->cookie);
    bool other_method = false;
    size_t method_len = strnlen(method, sizeof(rq->method) - 1);

    rq->conn = conn;
    memcpy(rq->method, method, method_len);
    rq->method[method_len] = '\0';
    client_ip(s, conn, rq->ip, sizeof(rq->ip));
    if (!copy_strings(rq, url, token, csrf, last_id)) {
        answer_problem(rq, 503, "unavailable", "out of memory");
        return false;
    }
    rq->route = api_route_find(method, rq->path, rq->params, &other_method);
    if (!rq->route && other_method) {
        answer_problem(rq, 405, "method_not_allowed", "this method is not allowed here");
        api_route_allow(rq->path, rq->answer.allow);
    } else if (!rq->route)
        answer_problem(rq, 404, "not_found", "no such endpoint");
    else if (rq->too_large)
        answer_problem(rq, 413, "payload_too_large", "the body is larger than 1 MiB");
    else if (rq->route->body && rq->body.len > 0 && !is_json_type(type))
        answer_problem(rq, 415, "unsupported_media_type",
                       "the body must be sent as Content-Type: application/json");
    else
        return true;
    finish_log(s, rq, method, url, rq->route ? (int)(rq->route - api_routes) : -1,
               rq->answer.status);
    return false;
}

/* Answers GET /api/v1/events (authorised, its start known) with an event stream. */
static enum MHD_Result open_stream(struct http_server *s, struct MHD_Connection *conn,
                                   struct http_req *rq)
{
    int rc = s->cfg.events ? event_hub_open(s->cfg.events, conn, &rq->stream.view, rq->token,
                                            rq->stream.after, rq->stream.reset, rq->request_id)
                           : LB_ECONFLICT;

    if (rc == 0)
        return MHD_YES;
    answer_problem(rq, 503, "unavailable",
                   rc == LB_ECONFLICT ? "the event stream is not available (lockboxd is stopping)"
                                      : "cannot open the event stream now");
    return send_answer(conn, rq);
}

/* Answers a write that finds the workers' queue full: 503 at once, nothing of it done, rather
 * than a queue (and a memory) that grows as long as the load lasts. */
static enum MHD_Result refuse_saturated(struct http_server *s, struct MHD_Connection *conn,
                                        struct http_req *rq)
{
    atomic_fetch_add(&s->saturated, 1);
    answer_problem(rq, 503, "unavailable",
                   "lockboxd is saturated: too many calls that write are waiting; nothing was "
                   "done; try again shortly");
    rq->answer.retry_after = RETRY_AFTER_SATURATED;
    finish_log(s, rq, rq->method, rq->url, (int)(rq->route - api_routes), 503);
    return send_answer(conn, rq);
}

/* ---- libmicrohttpd callbacks ---- */

/* The door's record of conn (NULL when it has none). */
static struct door_conn *conn_door(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci ? ci->socket_context : NULL;
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addr_len)
{
    struct http_server *s = cls;

    return door_admit(s->door, addr, addr_len) ? MHD_YES : MHD_NO;
}

/* STARTED comes on the thread that just admitted the connection; CLOSED before libmicrohttpd
 * closes its socket (daemon.c, MHD_cleanup_connections), so the door never shuts down a
 * descriptor that was closed or reused. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *s = cls;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = door_open(s->door, ci ? ci->connect_fd : -1, time_mono_us());
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        door_close(s->door, *socket_context);
        *socket_context = NULL;
    }
}

/* Answers a request whose head is refused, and closes its connection: what follows the head
 * is never read as a body or as another request. */
static enum MHD_Result refuse_head(struct http_server *s, struct MHD_Connection *conn,
                                   struct http_req *rq, const char *method, const char *url,
                                   int status, const char *detail)
{
    rq->answered = true;
    answer_problem(rq, status,
                   status == 414   ? "uri_too_long"
                   : status == 431 ? "header_fields_too_large"
                                   : "invalid_argument",
                   detail);
    rq->answer.close = true;
    finish_log(s, rq, method, url, -1, status);
    return send_answer(conn, rq);
}

/* Writes prefix as 8 hex digits and n as 8 to 15 (what "%08llx%08llx" would, written by hand:
 * one per request). */
static void request_id(unsigned long long prefix, unsigned long long n, char out[REQUEST_ID_LEN])
{
    static const char hex[] = "0123456789abcdef";
    int digits = 8;

    while (digits < 15 && (n >> (4 * digits)) != 0)
        digits++;
    for (int i = 7; i >= 0; i--, prefix >>= 4)
        out[i] = hex[prefix & 0xf];
    for (int i = 8 + digits - 1; i >= 8; i--, n >>= 4)
        out[i] = hex[n & 0xf];
    out[8 + digits] = '\0';
}

static struct http_req *req_new(struct http_server *s, struct MHD_Connection *conn)
{
    struct http_req *rq = lb_calloc(1, sizeof(*rq));
    const char *len;

    if (!rq)
        return NULL;
    buf_init(&rq->body, HTTP_MAX_BODY);
    rq->start_us = time_mono_us();
    request_id(s->id_prefix, atomic_fetch_add(&s->next_id, 1), rq->request_id);
    len = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (len && strtoull(len, NULL, 10) > HTTP_MAX_BODY)
        rq->too_large = true;
    atomic_fetch_add(&s->inflight, 1);
    return rq;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct http_server *s = cls;
    struct http_req *rq = *con_cls;
    const char *head = method, *detail = NULL;
    int refused;

    /* HEAD is answered as GET would be (RFC 9110); libmicrohttpd sends only the headers */
    if (strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
        method = MHD_HTTP_METHOD_GET;
    if (!rq) {
        /* the head is complete: its clock stops, unless the watchdog cut it meanwhile */
        if (!door_head_arrived(conn_door(conn)))
            return MHD_NO;
        rq = req_new(s, conn);
        if (!rq)
            return MHD_NO;
        *con_cls = rq;
        refused = http_head_check(conn, head, version, &detail);
        if (refused)
            return refuse_head(s, conn, rq, method, url, refused, detail);
        if (atomic_load(&s->draining)) {
            rq->answered = true;
            answer_problem(rq, 503, "unavailable", "lockboxd is shutting down");
            finish_log(s, rq, method, url, -1, 503);
            return send_answer(conn, rq);
        }
        /* refuse an announced oversize body before reading any of it */
        if (!rq->too_large)
            return MHD_YES;
        rq->answered = true;
        answer_problem(rq, 413, "payload_too_large", "the body is larger than 1 MiB");
        finish_log(s, rq, method, url, -1, 413);
        return send_answer(conn, rq);
    }
    if (rq->answered) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!rq->too_large) {
            buf_append(&rq->body, upload_data, *upload_data_size);
            rq->too_large = !buf_ok(&rq->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (rq->ready) /* back from a worker */
        return send_answer(conn, rq);
    if (strcmp(url, "/healthz") == 0 && strcmp(method, "GET") == 0) {
        finish_log(s, rq, method, url, ROUTE_HEALTHZ, 200);
        answer_set(&rq->answer, 200, "application/json", lb_strdup("{\"status\":\"ok\"}"));
        return send_answer(conn, rq);
    }
    if (strcmp(url, "/readyz") == 0 && strcmp(method, "GET") == 0)
        return serve_readyz(s, conn, rq, method, url);
    if (strcmp(url, "/metrics") == 0 && strcmp(method, "GET") == 0) {
        finish_log(s, rq, method, url, ROUTE_METRICS, 200);
        return serve_metrics(s, conn, rq);
    }
    if (strcmp(method, "GET") == 0 && strncmp(url, "/api/", 5) != 0 && strcmp(url, "/api") != 0) {
        const struct http_asset *a = portal_file(url);
        if (a) {
            finish_log(s, rq, method, url, ROUTE_PORTAL, 200);
            return send_asset(conn, rq, a);
        }
        finish_log(s, rq, method, url, ROUTE_PORTAL, 404);
        answer_problem(rq, 404, "not_found", "no such file");
        return send_answer(conn, rq);
    }
    if (!prepare(s, conn, rq, url, method))
        return send_answer(conn, rq);
    if (runs_on_worker(rq->route)) {
        if (refused_before_queue(s, rq))
            return send_answer(conn, rq);
        if (!queue_reserve(s))
            return refuse_saturated(s, conn, rq);
        MHD_suspend_connection(conn);
        queue_push(s, rq);
        return MHD_YES;
    }
    execute(s, rq, true);
    if (rq->stream.open)
        return open_stream(s, conn, rq);
    return send_answer(conn, rq);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    struct http_server *s = cls;
    struct http_req *rq = *con_cls;

    (void)code;
    /* a kept-alive connection now waits for its next head, on the door's clock */
    door_head_wait(s->door, conn_door(conn), time_mono_us());
    if (!rq)
        return;
    buf_release(&rq->body);
    if (rq->strings)
        sodium_memzero(rq->strings, rq->strings_len); /* the token is in there */
    lb_free(rq->strings);
    if (rq->answer.set_cookie)
        sodium_memzero(rq->answer.set_cookie, strlen(rq->answer.set_cookie));
    lb_free(rq->answer.set_cookie);
    free(rq->answer.text);
    if (rq->answer.body_stream.free) /* made, never sent */
        rq->answer.body_stream.free(rq->answer.body_stream.ctx);
    lb_free(rq);
    *con_cls = NULL;
    atomic_fetch_sub(&s->inflight, 1);
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, bool *v6)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    size_t hlen;

    if (!colon || colon == listen || !colon[1])
        return LB_EINVAL;
    hlen = (size_t)(colon - listen);
    if (listen[0] == '[' && colon[-1] == ']') {
        listen++;
        hlen -= 2;
    }
    if (hlen >= sizeof(host))
        return LB_EINVAL;
    memcpy(host, listen, hlen);
    host[hlen] = '\0';
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof(host), "127.0.0.1");
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || !res)
        return LB_EINVAL;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    return 0;
}

int http_listen_open(const char *listen_addr, int *out, struct buf *err)
{
    struct sockaddr_storage ss = {0};
    socklen_t len;
    bool v6 = false;
    int fd, on = 1;

    *out = -1;
    if (parse_listen(listen_addr, &ss, &v6) != 0) {
        buf_appendf(err, "bad listen address '%s' (want HOST:PORT)", listen_addr);
        return LB_EINVAL;
    }
    len = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    /* as libmicrohttpd's own socket: a restart rebinds at once; [::] is IPv6 alone */
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0) ||
        bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 1024) != 0) {
        buf_appendf(err, "cannot listen on %s: %s", listen_addr, strerror(errno));
        if (fd >= 0)
            close(fd);
        return LB_EIO;
    }
    *out = fd;
    return 0;
}

static void stop_workers(struct http_server *s)
{
    pthread_mutex_lock(&s->queue_lock);
    s->stopping = true;
    pthread_cond_broadcast(&s->queue_cond);
    pthread_mutex_unlock(&s->queue_lock);
    for (size_t i = 0; i < s->worker_count; i++)
        pthread_join(s->workers[i], NULL);
    s->worker_count = 0;
}

static void server_free(struct http_server *s)
{
    stop_workers(s);
    pthread_mutex_destroy(&s->queue_lock);
    pthread_cond_destroy(&s->queue_cond);
    lb_free(s->workers);
    ratelimit_free(s->limiter);
    metrics_free(s->metrics);
    door_free(s->door);
    tls_creds_free(s->tls); /* after the daemon: no handshake runs any more */
    lb_free(s);
}

static int start_workers(struct http_server *s, unsigned count)
{
    s->workers = lb_calloc(count, sizeof(*s->workers));
    if (!s->workers)
        return LB_ENOMEM;
    for (; s->worker_count < count; s->worker_count++)
        if (pthread_create(&s->workers[s->worker_count], NULL, worker_main, s) != 0)
            return LB_EIO;
    return 0;
}

/* The per-token rate limit and the workers' queue bound of cfg. */
static int start_limits(struct http_server *s, const struct http_config *cfg)
{
    unsigned workers = cfg->workers ? cfg->workers : 16;

    s->queue_limit = cfg->queue_limit ? cfg->queue_limit : (size_t)workers * 64;
    if (cfg->rate_per_second == 0)
        return 0;
    s->limiter =
        ratelimit_new(cfg->rate_per_second, cfg->rate_burst ? cfg->rate_burst : 1, RATELIMIT_SLOTS);
    return s->limiter ? 0 : LB_ENOMEM;
}

/* Loads the TLS identity when cfg names one; *tls stays false for plain HTTP. */
static int start_tls(struct http_server *s, const struct http_config *cfg, bool *tls,
                     struct buf *err)
{
    *tls = cfg->tls_cert && *cfg->tls_cert;
    if (!*tls)
        return 0;
    if (MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK) != MHD_YES) {
        buf_appendf(err, "libmicrohttpd %s was built without TLS (GnuTLS) support",
                    MHD_get_version());
        return LB_EINVAL;
    }
    return tls_creds_new(cfg->tls_cert, cfg->tls_key, &s->tls, err);
}

int http_server_start(const struct http_config *cfg, struct core *core, struct http_server **out,
                      struct buf *err)
{
    struct http_server *s;
    struct buf proxy_err = BUF_INIT;
    unsigned threads = cfg->threads, flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                                             MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO;
    unsigned max_connections = cfg->max_connections ? cfg->max_connections : 4096;
    struct door_config dc = {.max_connections = max_connections,
                             .max_per_ip = cfg->max_connections_per_ip,
                             .header_timeout_ms = cfg->header_timeout_ms,
                             .exempt = cfg->trusted_proxies,
                             .exempt_count = cfg->trusted_proxy_count};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    bool tls = false;
    int rc;

    if (!threads)
        threads = cores > 0 ? (unsigned)cores : 1;
    /* libmicrohttpd shares the limit out among its threads: each must get one */
    if (threads > max_connections)
        threads = max_connections;
    s = lb_calloc(1, sizeof(*s));
    if (!s) {
        close(cfg->listen_fd);
        return LB_ENOMEM;
    }
    pthread_mutex_init(&s->queue_lock, NULL);
    pthread_cond_init(&s->queue_cond, NULL);
    s->core = core;
    s->cfg = *cfg;
    /* random: nodes of one group started in the same second must not share ids */
    s->id_prefix = (unsigned long long)randombytes_random();
    s->metrics = metrics_new(api_route_count + 4);
    rc = s->metrics ? door_new(&dc, &s->door, &proxy_err) : LB_ENOMEM;
    if (rc == LB_EINVAL)
        buf_appendf(err, "trusted_proxies: %s", buf_cstr(&proxy_err));
    buf_release(&proxy_err);
    if (!rc)
        rc = start_tls(s, cfg, &tls, err);
    if (!rc)
        rc = door_start(s->door);
    if (!rc)
        rc = start_limits(s, cfg);
    if (!rc)
        rc = start_workers(s, cfg->workers ? cfg->workers : 16);
    if (rc) {
        close(cfg->listen_fd);
        server_free(s);
        return rc;
    }
    if (tls) {
        flags |= MHD_USE_TLS;
        s->cfg.secure_cookies = true; /* the portal's cookie never leaves TLS */
    }
    if (!http_head_layout_checked())
        log_warn("http: libmicrohttpd %s (not 0.9.75): NUL bytes and folded lines in request "
                 "heads are not detected",
                 MHD_get_version());
    /* the idle timeout (30 s) ends silent connections; the door's header timeout ends slow
     * ones, which one byte now and then keeps from being idle */
    s->daemon = MHD_start_daemon(
        flags, 0, on_accept, s, on_request, s, MHD_OPTION_LISTEN_SOCKET, cfg->listen_fd,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
        MHD_OPTION_CONNECTION_LIMIT, max_connections, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)HTTP_CONN_MEMORY, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
        /* both ignored without MHD_USE_TLS */
        MHD_OPTION_HTTPS_CERT_CALLBACK, tls_creds_retrieve, MHD_OPTION_HTTPS_PRIORITIES,
        TLS_PRIORITIES, MHD_OPTION_END);
    if (!s->daemon) {
        buf_appendf(err, "cannot serve on %s", cfg->listen);
        server_free(s);
        return LB_EIO;
    }
    *out = s;
    return 0;
}

int http_server_reload_tls(struct http_server *s, bool *changed, struct buf *info, struct buf *err)
{
    if (!s->tls)
        return LB_ENOTFOUND;
    return tls_creds_reload(s->tls, changed, info, err);
}

void http_server_describe_tls(struct http_server *s, struct buf *out)
{
    if (s->tls)
        tls_creds_describe(s->tls, out);
}

uint16_t http_server_port(struct http_server *s)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);

    return info ? info->port : 0;
}

void http_server_stop(struct http_server *s, int grace_ms)
{
    if (!s)
        return;
    /* Not MHD_quiesce_daemon: with an epoll thread pool, libmicrohttpd 0.9.75 races its own
     * workers removing the listen socket and can abort. New requests are answered 503. */
    atomic_store(&s->draining, true);
    /* event streams end now (suspended connections must not outlive the daemon) */
    event_hub_close_all(s->cfg.events);
    for (int waited = 0; atomic_load(&s->inflight) > 0 && waited < grace_ms; waited += 10)
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    /* workers finish what is queued and resume those connections before the daemon stops */
    stop_workers(s);
    MHD_stop_daemon(s->daemon);
    server_free(s);
}
