/* liblockbox: following the event stream (GET /api/v1/events, Server-Sent Events). */
#include "client/client_int.h"
#include "lockbox/lockbox.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/timeutil.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define EVENT_MAX (4u << 20)    /* one event's lines; the server's are far smaller */
#define PROBLEM_MAX (64u << 10) /* a refusal's body */
#define TICK_EVERY_US 250000
#define DEFAULT_IDLE_MS 60000

/* The state of one follow: the parser of the stream and what stopped it. */
struct follow {
    const struct lockbox_follow_options *opt;
    CURL *curl;
    bool checked; /* the answer's status and type were looked at */
    long status;
    bool stopped;       /* a callback asked to stop */
    int failed;         /* a LOCKBOX_E* code that ended the transfer, or 0 */
    struct buf problem; /* a refusal's body */
    struct buf line;    /* the line being read */
    bool skip_lf;       /* a CR ended the last line: a LF right after it belongs to it */
    struct buf data;    /* the event's data lines */
    bool has_data;
    char id[64], type[64]; /* the last id given (it persists), the event's type */
    int64_t next_tick_us;
};

/* Handles one complete line of the stream (without its end). */
static void take_line(struct follow *f)
{
    const char *line = buf_cstr(&f->line);
    const char *colon = strchr(line, ':');
    size_t name_len = colon ? (size_t)(colon - line) : strlen(line);
    const char *value = colon ? colon + 1 : "";

    if (*value == ' ')
        value++;
    if (f->line.len == 0) {
        /* a blank line dispatches the event, if it has data */
        if (f->has_data && !f->stopped) {
            struct lockbox_event ev = {
                .id = f->id, .type = f->type[0] ? f->type : "message", .data = buf_cstr(&f->data)};
            if (f->opt->on_event(f->opt->ctx, &ev) != 0)
                f->stopped = true;
        }
        buf_reset(&f->data);
        f->has_data = false;
        f->type[0] = '\0';
        return;
    }
    if (name_len == 0) /* a comment: the heartbeat */
        return;
    if (name_len == 4 && strncmp(line, "data", 4) == 0) {
        if (f->has_data)
            buf_append(&f->data, "\n", 1);
        buf_puts(&f->data, value);
        f->has_data = true;
        if (!buf_ok(&f->data))
            f->failed = f->data.len >= EVENT_MAX ? LOCKBOX_EPROTOCOL : LOCKBOX_ENOMEM;
    } else if (name_len == 5 && strncmp(line, "event", 5) == 0) {
        if (strlen(value) >= sizeof(f->type))
            f->failed = LOCKBOX_EPROTOCOL;
        else
            memcpy(f->type, value, strlen(value) + 1);
    } else if (name_len == 2 && strncmp(line, "id", 2) == 0) {
        if (strlen(value) >= sizeof(f->id))
            f->failed = LOCKBOX_EPROTOCOL;
        else
            memcpy(f->id, value, strlen(value) + 1);
    } /* retry: and unknown fields are ignored, as the SSE standard says */
}

/* Looks at the answer once: a 200 must be an event stream. */
static void check_answer(struct follow *f)
{
    char *type = NULL;

    f->checked = true;
    curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &f->status);
    if (f->status != 200)
        return;
    curl_easy_getinfo(f->curl, CURLINFO_CONTENT_TYPE, &type);
    if (!type || strncmp(type, "text/event-stream", 17) != 0)
        f->failed = LOCKBOX_EPROTOCOL;
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct follow *f = ctx;
    size_t n = size * nmemb;

    if (!f->checked)
        check_answer(f);
    if (f->status != 200 && !f->failed) {
        buf_append(&f->problem, data, n);
        return buf_ok(&f->problem) ? n : 0;
    }
    for (size_t i = 0; i < n && !f->failed && !f->stopped; i++) {
        char c = data[i];
        if (f->skip_lf) {
            f->skip_lf = false;
            if (c == '\n')
                continue;
        }
        if (c == '\r' || c == '\n') {
            f->skip_lf = c == '\r';
            take_line(f);
            buf_reset(&f->line);
            continue;
        }
        buf_append(&f->line, &c, 1);
        if (!buf_ok(&f->line))
            f->failed = f->line.len >= EVENT_MAX ? LOCKBOX_EPROTOCOL : LOCKBOX_ENOMEM;
    }
    return f->failed || f->stopped ? 0 : n;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct follow *f = ctx;
    int64_t now = time_mono_us();

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    if (f->stopped)
        return 1;
    if (!f->opt->on_tick || now < f->next_tick_us)
        return 0;
    f->next_tick_us = now + TICK_EVERY_US;
    if (f->opt->on_tick(f->opt->ctx) != 0)
        f->stopped = true;
    return f->stopped ? 1 : 0;
}

static struct curl_slist *stream_headers(const struct lockbox *lb, const char *last_id)
{
    struct curl_slist *h = curl_slist_append(NULL, "Accept: text/event-stream"), *next;
    struct buf line = BUF_INIT;

    if (!h)
        return NULL;
    if (lb->token)
        buf_appendf(&line, "Authorization: Bearer %s", lb->token);
    next = !lb->token ? h : buf_ok(&line) ? curl_slist_append(h, buf_cstr(&line)) : NULL;
    if (line.data)
        memset(line.data, 0, line.len);
    buf_release(&line);
    if (!next)
        goto fail;
    h = next;
    if (last_id) {
        buf_appendf(&line, "Last-Event-ID: %s", last_id);
        next = buf_ok(&line) ? curl_slist_append(h, buf_cstr(&line)) : NULL;
        buf_release(&line);
        if (!next)
            goto fail;
        h = next;
    }
    return h;
fail:
    curl_slist_free_all(h);
    return NULL;
}

static CURLcode stream_options(struct lockbox *lb, struct follow *f, struct curl_slist *headers,
                               const char *url, long idle_ms)
{
    CURL *c = lb->curl;
    CURLcode cc = CURLE_OK;

#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (cc == CURLE_OK)                                                                        \
            cc = curl_easy_setopt(c, opt, val);                                                    \
    } while (0)
    curl_easy_reset(c);
    lb->curl_error[0] = '\0';
    SET(CURLOPT_ERRORBUFFER, lb->curl_error);
    SET(CURLOPT_URL, url);
    SET(CURLOPT_HTTPGET, 1L);
    SET(CURLOPT_HTTPHEADER, headers);
    SET(CURLOPT_WRITEFUNCTION, on_data);
    SET(CURLOPT_WRITEDATA, f);
    SET(CURLOPT_NOPROGRESS, 0L);
    SET(CURLOPT_XFERINFOFUNCTION, on_progress);
    SET(CURLOPT_XFERINFODATA, f);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    /* straight to the URL, as every call (client.c): the token must not go to a proxy */
    SET(CURLOPT_PROXY, "");
    SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    SET(CURLOPT_CONNECTTIMEOUT_MS, lb->connect_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, 0L); /* a stream has no end to wait for */
    /* heartbeats keep an idle stream above 1 byte in idle_ms; a dead one falls below */
    SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
    SET(CURLOPT_LOW_SPEED_TIME, (idle_ms + 999) / 1000);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    /* a stream's connection is never kept for another call: its answer does not end as a
     * reusable one does (it is stopped, or cut) */
    SET(CURLOPT_FORBID_REUSE, 1L);
    SET(CURLOPT_SSL_VERIFYPEER, lb->insecure ? 0L : 1L);
    SET(CURLOPT_SSL_VERIFYHOST, lb->insecure ? 0L : 2L);
    SET(CURLOPT_USERAGENT, "liblockbox/" LOCKBOX_VERSION);
    if (lb->ca_file)
        SET(CURLOPT_CAINFO, lb->ca_file);
#undef SET
    return cc;
}

static void set_detail(struct lockbox_reply *reply, const char *what)
{
    if (reply && !reply->detail)
        reply->detail = lb_strdup(what);
}

/* The outcome of a follow whose transfer ended with cc. */
static int outcome(struct lockbox *lb, struct follow *f, CURLcode cc, long idle_ms,
                   struct lockbox_reply *reply)
{
    if (f->stopped)
        return LOCKBOX_OK;
    if (f->failed == LOCKBOX_EPROTOCOL)
        set_detail(reply, "the server's event stream is malformed");
    if (f->failed)
        return f->failed;
    if (cc == CURLE_OUT_OF_MEMORY)
        return LOCKBOX_ENOMEM;
    if (!buf_ok(&f->problem))
        return f->problem.len >= PROBLEM_MAX ? LOCKBOX_EPROTOCOL : LOCKBOX_ENOMEM;
    if (f->status != 200 && f->status != 0 && (cc == CURLE_OK || cc == CURLE_WRITE_ERROR))
        return f->status >= 400 ? client_take_problem(reply, buf_cstr(&f->problem))
                                : LOCKBOX_EPROTOCOL;
    if (cc == CURLE_OK) {
        set_detail(reply, "the server ended the stream");
    } else if (cc == CURLE_OPERATION_TIMEDOUT && f->status == 200) {
        char what[96];
        snprintf(what, sizeof(what), "nothing came for %ld ms (not even a heartbeat)", idle_ms);
        set_detail(reply, what);
    } else {
        set_detail(reply, client_curl_error(lb, cc));
    }
    return LOCKBOX_EUNREACHABLE;
}

int lockbox_events_follow(struct lockbox *lb, const struct lockbox_follow_options *opt,
                          struct lockbox_reply *reply)
{
    struct follow f = {.opt = opt};
    struct curl_slist *headers = NULL;
    struct buf url = BUF_INIT;
    long idle_ms;
    CURLcode cc;
    int rc = LOCKBOX_ENOMEM;

    if (!lb || !opt || !opt->on_event ||
        (opt->last_event_id &&
         (strlen(opt->last_event_id) >= sizeof(f.id) || strpbrk(opt->last_event_id, "\r\n"))))
        return LOCKBOX_EINVAL;
    idle_ms = opt->idle_timeout_ms > 0 ? opt->idle_timeout_ms : DEFAULT_IDLE_MS;
    buf_init(&f.problem, PROBLEM_MAX);
    buf_init(&f.line, EVENT_MAX);
    buf_init(&f.data, EVENT_MAX);
    if (opt->last_event_id)
        memcpy(f.id, opt->last_event_id, strlen(opt->last_event_id) + 1);
    pthread_mutex_lock(&lb->lock);
    f.curl = lb->curl;
    buf_appendf(&url, "%s/api/v1/events", lb->url);
    if (!buf_ok(&url) || !(headers = stream_headers(lb, opt->last_event_id)))
        goto out;
    cc = stream_options(lb, &f, headers, buf_cstr(&url), idle_ms);
    if (cc == CURLE_OK)
        cc = curl_easy_perform(lb->curl);
    if (!f.checked && cc == CURLE_OK)
        check_answer(&f);
    if (reply)
        reply->status = f.status;
    rc = outcome(lb, &f, cc, idle_ms, reply);
out:
    pthread_mutex_unlock(&lb->lock);
    curl_slist_free_all(headers);
    buf_release(&url);
    buf_release(&f.problem);
    buf_release(&f.line);
    buf_release(&f.data);
    return rc;
}
