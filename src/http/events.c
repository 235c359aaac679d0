/* Server-Sent Events streams of GET /api/v1/events, and the hub that feeds them (events.h). */
#include "http/events.h"

#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "util/banned.h"

#define DEFAULT_HEARTBEAT_MS 15000
#define DEFAULT_CLIENT_BUFFER (256 * 1024)
#define CATCH_UP_PAGE 32 /* events a lagging stream reads from the store at once */
#define HUB_PAGE 64      /* events the hub reads from the store at once */
#define PRUNE_EVERY_US (60 * 1000000LL)
#define REQUEST_ID_MAX 24

#define WAKE_KEY 0 /* the epoll key of the hub's eventfd; streams have their serial */

/* Why a stream ended, for its log line. END_CUT and END_GONE close the connection at once. */
enum stream_end { END_NONE, END_CLOSING, END_SESSION, END_CUT, END_GONE, END_STORE };

struct stream {
    struct event_hub *hub;
    struct MHD_Connection *conn;
    int fd;          /* conn's socket: open while the stream is listed (libmicrohttpd frees the
                      * response, and so the stream, before it closes the socket) */
    uint64_t serial; /* its key in the hub's epoll set */
    struct event_view view;
    char *token; /* (owned) the session, re-checked at each heartbeat */
    char request_id[REQUEST_ID_MAX];
    struct buf out; /* queued text; [sent, len) is not handed out yet */
    size_t sent;
    size_t held;         /* unsent when the hub began its current batch of events */
    int64_t cursor;      /* every event up to this seq is queued or not this stream's */
    int64_t beat_due_us; /* the next heartbeat, unless something is written before */
    uint64_t events;     /* events queued, for the log */
    bool live;           /* caught up: the hub queues new events on it */
    bool suspended;      /* its connection waits (suspended) for the hub to resume it */
    bool listed;         /* in the hub's list (and counted open) */
    enum stream_end end; /* set: hand out what is queued, then end (END_CUT, _GONE: at once) */
    struct stream *prev, *next;
};

struct event_hub {
    struct core *core; /* borrowed */
    int64_t heartbeat_us;
    size_t client_buffer;
    pthread_mutex_t lock;
    pthread_t thread;
    /* the hub's thread waits on an epoll set: its eventfd (woken) and every stream's socket,
     * for the hang-up of a client that left while its stream was suspended (libmicrohttpd
     * does not watch a suspended connection) */
    int epfd, wakefd;
    uint64_t next_serial;
    bool started, stopping, closing, woken;
    int64_t last; /* the newest seq the hub has queued on its live streams */
    bool stale;   /* last may be behind the store: the hub skipped reading with no stream open */
    struct stream *streams;
    uint64_t open, opened, cut;
};

/* ---- formatting ---- */

/* One event as the stream sends it. */
static void format_event(struct buf *b, const struct request_event *e)
{
    buf_appendf(b, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)e->seq, e->type, e->body);
}

static void format_reset(struct buf *b, int64_t at)
{
    buf_appendf(b,
                "id: %lld\nevent: reset\ndata: {\"type\":\"reset\",\"last_event_id\":\"%lld\","
                "\"detail\":\"the events after the given Last-Event-ID are no longer kept (or "
                "it is not this server's): re-read the requests, then follow the stream from "
                "here\"}\n\n",
                (long long)at, (long long)at);
}

static bool view_sees(const struct event_view *v, const struct request_event *e)
{
    return v->all || (e->tenant_visible && strcmp(v->tenant_id, e->tenant_id) == 0);
}

static size_t unsent(const struct stream *s)
{
    return s->out.len - s->sent;
}

/* Appends text to s (under the hub's lock); false when out of memory (the stream then ends:
 * its client resumes). */
static bool queue_text(struct stream *s, const char *text, size_t len)
{
    if (s->sent == s->out.len) {
        buf_reset(&s->out);
        s->sent = 0;
    }
    buf_append(&s->out, text, len);
    s->beat_due_us = time_mono_us() + s->hub->heartbeat_us;
    if (buf_ok(&s->out))
        return true;
    s->end = END_CUT;
    return false;
}

/* Resumes s if its connection waits (under the hub's lock). */
static void wake_stream(struct stream *s)
{
    if (!s->suspended)
        return;
    s->suspended = false;
    MHD_resume_connection(s->conn);
}

/* ---- the content callback (libmicrohttpd's threads) ---- */

/* Reads the next page of s's backlog from the store into its queue (called with the hub's
 * lock, which it releases while reading). */
static void catch_up(struct event_hub *h, struct stream *s)
{
    struct request_event_list list = {0};
    struct event_view view = s->view;
    int64_t after = s->cursor, through = after, newest = 0;
    bool gap = false, reset = false;
    struct buf text = BUF_INIT;
    int rc;

    pthread_mutex_unlock(&h->lock);
    rc = core_events_read(h->core, &view, after, CATCH_UP_PAGE, &list, &through, &gap);
    if (rc == 0 && gap)
        rc = core_events_start(h->core, false, 0, &newest, &reset);
    if (rc == 0 && gap)
        format_reset(&text, newest);
    for (size_t i = 0; rc == 0 && i < list.count; i++)
        format_event(&text, &list.items[i]);
    pthread_mutex_lock(&h->lock);
    if (rc || !buf_ok(&text)) {
        log_warn("events: cannot read the stream request_id=%s error=%s", s->request_id,
                 lb_strerror(rc ? rc : LB_ENOMEM));
        s->end = END_STORE;
    } else {
        s->cursor = gap ? newest : through;
        s->events += list.count;
        if (text.len)
            (void)queue_text(s, text.data, text.len);
        /* a short read saw everything up to the store's newest: from the hub's place on, the
         * hub queues what comes */
        if (gap || list.count < CATCH_UP_PAGE)
            s->live = s->cursor >= h->last;
    }
    request_event_list_clear(&list);
    buf_release(&text);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    struct stream *s = cls;
    struct event_hub *h = s->hub;
    ssize_t n;

    (void)pos;
    pthread_mutex_lock(&h->lock);
    for (;;) {
        if (s->end == END_CUT || s->end == END_GONE) {
            n = MHD_CONTENT_READER_END_WITH_ERROR;
            break;
        }
        if (unsent(s) > 0) {
            size_t len = unsent(s) < max ? unsent(s) : max;
            memcpy(out, s->out.data + s->sent, len);
            s->sent += len;
            n = (ssize_t)len;
            break;
        }
        if (s->end != END_NONE) {
            n = MHD_CONTENT_READER_END_OF_STREAM;
            break;
        }
        if (!s->live) {
            catch_up(h, s);
            continue;
        }
        /* nothing to send: wait, without a thread, for the hub to resume us */
        s->suspended = true;
        MHD_suspend_connection(s->conn);
        n = 0;
        break;
    }
    pthread_mutex_unlock(&h->lock);
    return n;
}

static const char *end_name(enum stream_end e)
{
    static const char *const names[] = {
        [END_NONE] = "connection_closed", [END_CLOSING] = "server_stopping",
        [END_SESSION] = "session_ended",  [END_CUT] = "client_too_slow",
        [END_GONE] = "client_gone",       [END_STORE] = "store_error"};
    return names[e];
}

/* libmicrohttpd is done with the response: the stream is gone. */
static void stream_free(void *cls)
{
    struct stream *s = cls;
    struct event_hub *h = s->hub;

    pthread_mutex_lock(&h->lock);
    if (s->listed && s->fd >= 0)
        (void)epoll_ctl(h->epfd, EPOLL_CTL_DEL, s->fd, NULL);
    if (s->listed) {
        if (s->prev)
            s->prev->next = s->next;
        else
            h->streams = s->next;
        if (s->next)
            s->next->prev = s->prev;
        h->open--;
    }
    pthread_mutex_unlock(&h->lock);
    if (s->listed)
        log_info("events: stream ended request_id=%s reason=%s events=%llu", s->request_id,
                 end_name(s->end), (unsigned long long)s->events);
    if (s->token)
        sodium_memzero(s->token, strlen(s->token));
    lb_free(s->token);
    buf_release(&s->out);
    lb_free(s);
}

int event_hub_open(struct event_hub *h, struct MHD_Connection *conn, const struct event_view *view,
                   const char *token, int64_t after, bool reset, const char *request_id)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct stream *s = lb_calloc(1, sizeof(*s));
    struct MHD_Response *resp = NULL;
    struct buf hello = BUF_INIT;
    int rc = LB_ENOMEM;

    if (!s)
        return LB_ENOMEM;
    s->hub = h;
    s->conn = conn;
    s->fd = ci ? ci->connect_fd : -1;
    /* the kernel holds no more for a client than lockboxd does (no autotuning to megabytes) */
    if (s->fd >= 0) {
        int size = h->client_buffer < (1 << 30) ? (int)h->client_buffer : 1 << 30;
        (void)setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    }
    s->view = *view;
    s->cursor = after;
    snprintf(s->request_id, sizeof(s->request_id), "%s", request_id);
    buf_init(&s->out, 0);
    /* a comment so the client sees the stream open at once, and its reconnection delay */
    buf_puts(&hello, ": lockbox events\nretry: 3000\n\n");
    if (reset)
        format_reset(&hello, after);
    if (!(s->token = lb_strdup(token)) || !buf_ok(&hello))
        goto fail;
    buf_append(&s->out, hello.data, hello.len);
    if (!buf_ok(&s->out))
        goto fail;
    resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_read, s, stream_free);
    if (!resp)
        goto fail;
    /* from here on the response owns s: stream_free releases it */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no"); /* nginx: pass it on at once */
    MHD_add_response_header(resp, "X-Request-Id", request_id);
    if (MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION)) /* as every answer */
        MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
    pthread_mutex_lock(&h->lock);
    if (h->closing) {
        /* the response frees s with itself; it was never listed */
        pthread_mutex_unlock(&h->lock);
        rc = LB_ECONFLICT;
        goto out;
    }
    s->beat_due_us = time_mono_us() + h->heartbeat_us;
    /* a stale place proves nothing of what the store holds past the cursor: read it first */
    s->live = !h->stale && s->cursor >= h->last;
    s->serial = ++h->next_serial;
    if (s->fd >= 0) {
        struct epoll_event ev = {.events = EPOLLRDHUP | EPOLLET, .data.u64 = s->serial};
        (void)epoll_ctl(h->epfd, EPOLL_CTL_ADD, s->fd, &ev);
    }
    s->next = h->streams;
    if (h->streams)
        h->streams->prev = s;
    h->streams = s;
    s->listed = true;
    h->open++;
    h->opened++;
    pthread_mutex_unlock(&h->lock);
    rc = MHD_queue_response(conn, MHD_HTTP_OK, resp) == MHD_YES ? 0 : LB_EIO;
    log_info("events: stream opened request_id=%s view=%s after=%lld reset=%d", request_id,
             view->all ? "all" : view->tenant_id, (long long)after, reset ? 1 : 0);
out:
    MHD_destroy_response(resp);
    buf_release(&hello);
    return rc;
fail:
    buf_release(&hello);
    buf_release(&s->out);
    lb_free(s->token);
    lb_free(s);
    return rc;
}

/* ---- the hub's thread ---- */

/* Queues one event (text: its formatted form) on every live stream that sees it (under the
 * hub's lock). Past client_buffer bytes unsent, a stream whose client had not taken what it
 * held before this batch is cut; one that had (a burst of events at once) reads the rest from
 * the store at its client's pace instead. */
static void fan_out(struct event_hub *h, const struct request_event *e, const char *text,
                    size_t len)
{
    for (struct stream *s = h->streams; s; s = s->next) {
        if (!s->live || s->end != END_NONE || e->seq <= s->cursor)
            continue;
        if (!view_sees(&s->view, e)) {
            s->cursor = e->seq;
            continue;
        }
        if (unsent(s) > 0 && unsent(s) + len > h->client_buffer && s->held == 0) {
            s->live = false; /* its cursor stays before e: catch_up reads e from the store */
            continue;
        }
        s->cursor = e->seq;
        if (unsent(s) > 0 && unsent(s) + len > h->client_buffer) {
            log_warn("events: stream cut: its client takes events too slowly request_id=%s "
                     "unsent=%zu limit=%zu",
                     s->request_id, unsent(s), h->client_buffer);
            s->end = END_CUT;
            buf_release(&s->out);
            s->sent = 0;
            h->cut++;
            /* it may wait to write to a client that takes nothing: end the connection now */
            if (s->fd >= 0)
                (void)shutdown(s->fd, SHUT_RDWR);
        } else if (queue_text(s, text, len)) {
            s->events++;
        }
        wake_stream(s);
    }
}

/* Reads the events committed after the hub's place and queues them on the live streams. */
static void pump(struct event_hub *h)
{
    const struct event_view all = {.all = true};
    struct request_event_list list = {0};
    struct buf *texts = NULL;
    int64_t after, through, newest = 0;
    size_t got;
    bool gap, reset;
    int rc;

    pthread_mutex_lock(&h->lock);
    for (struct stream *s = h->streams; s; s = s->next)
        s->held = unsent(s);
    bool nobody = h->streams == NULL;
    if (nobody)
        h->stale = true;
    pthread_mutex_unlock(&h->lock);
    /* Nobody listens: reading would cost every commit three statements for nothing. The
     * hub's place stays behind (stale); a stream opened later catches up from its own cursor
     * first, and the hub's next reads skip what it has (fan_out compares with each stream's
     * cursor). */
    if (nobody)
        return;
    do {
        pthread_mutex_lock(&h->lock);
        after = h->last;
        pthread_mutex_unlock(&h->lock);
        rc = core_events_read(h->core, &all, after, HUB_PAGE, &list, &through, &gap);
        if (rc == 0 && gap)
            rc = core_events_start(h->core, false, 0, &newest, &reset);
        if (rc) {
            log_warn("events: cannot read new events error=%s", lb_strerror(rc));
            return;
        }
        if (gap) {
            /* pruned before the hub read them: each live stream finds its own place (and,
             * missing events, resets) */
            pthread_mutex_lock(&h->lock);
            for (struct stream *s = h->streams; s; s = s->next)
                if (s->live && s->end == END_NONE) {
                    s->live = false;
                    wake_stream(s);
                }
            h->last = newest;
            pthread_mutex_unlock(&h->lock);
            return;
        }
        texts = list.count ? lb_calloc(list.count, sizeof(*texts)) : NULL;
        for (size_t i = 0; texts && i < list.count; i++)
            format_event(&texts[i], &list.items[i]);
        pthread_mutex_lock(&h->lock);
        for (size_t i = 0; i < list.count; i++) {
            if (texts && buf_ok(&texts[i]))
                fan_out(h, &list.items[i], texts[i].data, texts[i].len);
            else /* out of memory: the streams it missed end; their clients resume */
                for (struct stream *s = h->streams; s; s = s->next)
                    if (s->live && s->end == END_NONE && s->cursor < list.items[i].seq) {
                        s->end = END_CUT;
                        wake_stream(s);
                    }
        }
        if (through > h->last)
            h->last = through;
        if (list.count < HUB_PAGE)
            h->stale = false; /* read up to the store's newest */
        pthread_mutex_unlock(&h->lock);
        for (size_t i = 0; texts && i < list.count; i++)
            buf_release(&texts[i]);
        lb_free(texts);
        texts = NULL;
        got = list.count;
        request_event_list_clear(&list);
    } while (got == HUB_PAGE);
}

/* Heartbeats (under the hub's lock): a comment on each stream silent for a heartbeat, whose
 * session is first re-checked; returns when the next one is due. */
static int64_t beat(struct event_hub *h, int64_t now)
{
    static const char comment[] = ": heartbeat\n\n";
    int64_t next = now + h->heartbeat_us;

    for (struct stream *s = h->streams; s; s = s->next) {
        if (s->end != END_NONE)
            continue;
        if (s->beat_due_us <= now) {
            struct principal p = {0};
            if (core_authenticate(h->core, s->token, &p) == LB_EUNAUTH)
                s->end = END_SESSION;
            else
                (void)queue_text(s, comment, sizeof(comment) - 1);
            principal_clear(&p);
            s->beat_due_us = now + h->heartbeat_us;
            wake_stream(s);
        }
        if (s->beat_due_us < next)
            next = s->beat_due_us;
    }
    return next;
}

/* A client hung up (under the hub's lock): its stream ends now, suspended or not. */
static void hung_up(struct event_hub *h, uint64_t serial)
{
    for (struct stream *s = h->streams; s; s = s->next)
        if (s->serial == serial) {
            if (s->end == END_NONE || s->end == END_CLOSING)
                s->end = END_GONE;
            wake_stream(s);
            return;
        }
}

/* Waits (without the hub's lock) until due_us, a wake-up or a client's hang-up. */
static void wait_until(struct event_hub *h, int64_t due_us)
{
    struct epoll_event evs[32];
    int64_t now = time_mono_us(), wait_us = due_us > now ? due_us - now : 0;
    int n = epoll_wait(h->epfd, evs, 32, (int)((wait_us + 999) / 1000));
    uint64_t count;

    pthread_mutex_lock(&h->lock);
    for (int i = 0; i < n; i++) {
        if (evs[i].data.u64 == WAKE_KEY)
            (void)!read(h->wakefd, &count, sizeof(count));
        else
            hung_up(h, evs[i].data.u64);
    }
    pthread_mutex_unlock(&h->lock);
}

static void *hub_main(void *arg)
{
    struct event_hub *h = arg;
    int64_t now = time_mono_us(), next_poll = now, next_prune = now + PRUNE_EVERY_US, deleted = 0;

    pthread_mutex_lock(&h->lock);
    while (!h->stopping) {
        now = time_mono_us();
        if (h->woken || now >= next_poll) {
            /* a commit woke us, or (other lockboxd on the same store) it is time to look */
            h->woken = false;
            next_poll = now + h->heartbeat_us;
            pthread_mutex_unlock(&h->lock);
            pump(h);
            pthread_mutex_lock(&h->lock);
        }
        if (now >= next_prune) {
            next_prune = now + PRUNE_EVERY_US;
            pthread_mutex_unlock(&h->lock);
            int rc = core_events_prune(h->core, &deleted);
            if (rc)
                log_warn("events: cannot prune the stream error=%s", lb_strerror(rc));
            else if (deleted)
                log_info("events: pruned events=%lld", (long long)deleted);
            pthread_mutex_lock(&h->lock);
        }
        int64_t due = beat(h, time_mono_us());
        if (next_poll < due)
            due = next_poll;
        if (next_prune < due)
            due = next_prune;
        if (h->woken || h->stopping)
            continue;
        pthread_mutex_unlock(&h->lock);
        wait_until(h, due);
        pthread_mutex_lock(&h->lock);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

/* ---- the hub ---- */

int event_hub_new(struct core *core, const struct event_hub_config *cfg, struct event_hub **out)
{
    struct event_hub *h = lb_calloc(1, sizeof(*h));
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = WAKE_KEY};
    int64_t deleted = 0;
    bool reset = false;
    int rc;

    if (!h)
        return LB_ENOMEM;
    h->core = core;
    h->heartbeat_us = (cfg->heartbeat_ms > 0 ? cfg->heartbeat_ms : DEFAULT_HEARTBEAT_MS) * 1000;
    h->client_buffer = cfg->client_buffer ? cfg->client_buffer : DEFAULT_CLIENT_BUFFER;
    /* what the retention no longer keeps goes before the first client resumes; from the
     * newest event on, the hub feeds the streams (one that starts before reads its backlog) */
    if ((rc = core_events_prune(core, &deleted)) != 0 ||
        (rc = core_events_start(core, false, 0, &h->last, &reset)) != 0) {
        lb_free(h);
        return rc;
    }
    h->epfd = epoll_create1(EPOLL_CLOEXEC);
    h->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (h->epfd < 0 || h->wakefd < 0 || epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->wakefd, &ev) != 0) {
        if (h->epfd >= 0)
            close(h->epfd);
        if (h->wakefd >= 0)
            close(h->wakefd);
        lb_free(h);
        return LB_EIO;
    }
    pthread_mutex_init(&h->lock, NULL);
    *out = h;
    return 0;
}

int event_hub_start(struct event_hub *h)
{
    if (pthread_create(&h->thread, NULL, hub_main, h) != 0)
        return LB_EIO;
    h->started = true;
    return 0;
}

/* Wakes the hub's thread from its epoll_wait. */
static void signal_hub(struct event_hub *h)
{
    uint64_t one = 1;

    while (write(h->wakefd, &one, sizeof(one)) < 0 && errno == EINTR)
        ;
}

void event_hub_wake(void *hub)
{
    struct event_hub *h = hub;

    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    h->woken = true;
    pthread_mutex_unlock(&h->lock);
    signal_hub(h);
}

void event_hub_close_all(struct event_hub *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    h->closing = true;
    for (struct stream *s = h->streams; s; s = s->next) {
        if (s->end == END_NONE)
            s->end = END_CLOSING;
        wake_stream(s);
    }
    pthread_mutex_unlock(&h->lock);
}

void event_hub_stats(struct event_hub *h, struct event_hub_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    out->open = h->open;
    out->opened = h->opened;
    out->cut = h->cut;
    pthread_mutex_unlock(&h->lock);
}

void event_hub_free(struct event_hub *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    h->stopping = true;
    pthread_mutex_unlock(&h->lock);
    signal_hub(h);
    if (h->started)
        pthread_join(h->thread, NULL);
    if (h->streams)
        log_error("events: %llu streams still open at exit", (unsigned long long)h->open);
    close(h->epfd);
    close(h->wakefd);
    pthread_mutex_destroy(&h->lock);
    lb_free(h);
}
