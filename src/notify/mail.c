/*
 * The mail of a notification: a whole plain-text message. Header fields hold only text that
 * went through header_text (no control characters, RFC 2047 words for anything not ASCII);
 * user text goes only into the body, with its line breaks made CRLF and long lines broken.
 */
#include "notify/notify.h"
#include "util/mem.h"
#include "util/timeutil.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/banned.h"

#define MAIL_MAX (1u << 20)
#define LINE_MAX_BYTES 900 /* RFC 5322 allows 998; leave room for the indent */

bool notify_address_is_safe(const char *addr)
{
    const char *at = strchr(addr, '@');
    size_t len = strlen(addr);

    if (len < 3 || len > 254 || !at || at == addr || !at[1] || strchr(at + 1, '@'))
        return false;
    for (const unsigned char *p = (const unsigned char *)addr; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || strchr("<>()[],;:\\\"", *p))
            return false;
    return true;
}

static bool is_ascii_printable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p >= 0x7f)
            return false;
    return true;
}

static bool is_continuation(unsigned char c)
{
    return (c & 0xc0) == 0x80;
}

/* Length of the UTF-8 sequence starting at p (1 for a stray byte). Only continuation bytes
 * count: a lead byte before a CR, a LF or a control must not carry it past body_text. */
static size_t utf8_len(const unsigned char *p)
{
    if (*p >= 0xf0 && is_continuation(p[1]) && is_continuation(p[2]) && is_continuation(p[3]))
        return 4;
    if (*p >= 0xe0 && is_continuation(p[1]) && is_continuation(p[2]))
        return 3;
    if (*p >= 0xc0 && is_continuation(p[1]))
        return 2;
    return 1;
}

/* Appends s as header text: control characters dropped; non-ASCII as RFC 2047 words. */
static void header_text(struct buf *b, const char *s)
{
    struct buf clean = BUF_INIT;
    const unsigned char *p;

    for (p = (const unsigned char *)s; *p; p++)
        if (*p >= 0x20 && *p != 0x7f)
            buf_append(&clean, p, 1);
    if (is_ascii_printable(buf_cstr(&clean))) {
        buf_puts(b, buf_cstr(&clean));
        buf_release(&clean);
        return;
    }
    /* encoded words of at most 45 bytes of text each, never splitting a character */
    p = (const unsigned char *)buf_cstr(&clean);
    while (*p) {
        size_t n = 0;
        char b64[sodium_base64_ENCODED_LEN(48, sodium_base64_VARIANT_ORIGINAL)];
        while (p[n] && n + utf8_len(p + n) <= 45)
            n += utf8_len(p + n);
        if (n == 0)
            n = utf8_len(p);
        sodium_bin2base64(b64, sizeof(b64), p, n, sodium_base64_VARIANT_ORIGINAL);
        buf_appendf(b, "%s=?UTF-8?B?%s?=", (const char *)p == buf_cstr(&clean) ? "" : "\r\n ", b64);
        p += n;
    }
    buf_release(&clean);
}

/* Appends user text to the body: CRLF line breaks, later lines indented, controls dropped,
 * lines broken before LINE_MAX_BYTES (at a character boundary). */
static void body_text(struct buf *b, const char *s, const char *indent)
{
    size_t col = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        if (*p == '\r' || *p == '\n') {
            p += (*p == '\r' && p[1] == '\n') ? 2 : 1;
            buf_appendf(b, "\r\n%s", indent);
            col = 0;
            continue;
        }
        size_t n = utf8_len(p);
        if (*p < 0x20 && *p != '\t') {
            p++;
            continue;
        }
        if (col + n > LINE_MAX_BYTES) {
            buf_appendf(b, "\r\n%s", indent);
            col = 0;
        }
        buf_append(b, p, n);
        col += n;
        p += n;
    }
}

static void field(struct buf *b, const char *name, const char *value)
{
    buf_appendf(b, "%-17s ", name);
    body_text(b, value, "                  ");
    buf_puts(b, "\r\n");
}

static void field_time(struct buf *b, const char *name, int64_t t)
{
    char text[TIME_RFC3339_LEN];

    time_format_rfc3339(t, text);
    buf_appendf(b, "%-17s %s (UTC)\r\n", name, text);
}

static void rfc5322_date(int64_t t, char out[64])
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    strftime(out, 64, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

/* The subject's words and the opening sentence of each event. */
static void event_words(enum notify_event e, const char **subject, const char **opening)
{
    static const char *const text[NOTIFY_EVENT_COUNT][2] = {
        [NOTIFY_PENDING_INTERNAL] = {"needs an internal review",
                                     "A support engineer's access request needs an internal "
                                     "review before it reaches the customer."},
        [NOTIFY_PENDING] = {"is waiting for your approval",
                            "A support engineer asks for access to your organisation's data. "
                            "Nothing is accessed unless an approver approves."},
        [NOTIFY_REMINDER] = {"still waits for a decision",
                             "Reminder: this access request still waits for your decision and "
                             "expires soon."},
        [NOTIFY_APPROVED] = {"was approved", "The access request was approved."},
        [NOTIFY_DENIED] = {"was denied", "The access request was denied."},
        [NOTIFY_EXPIRED] = {"expired", "The access request expired without a decision; no access "
                                       "was granted."},
        [NOTIFY_CANCELED] = {"was canceled", "The requester canceled the access request."},
        [NOTIFY_REVOKED] = {"was revoked", "The access grant was revoked before its end."},
        [NOTIFY_COMPLETED] = {"has ended", "The access grant ran its time and has ended."},
        [NOTIFY_REPORT] = {"report: what was done under the grant",
                           "The access grant has ended, and its report is made: every action "
                           "the support engineer recorded under it, every door that let them in "
                           "or refused them, and the messages sent about the request."},
    };

    *subject = text[e][0];
    *opening = text[e][1];
}

static void headers(struct buf *b, const struct notify_config *cfg, const struct notify_subject *s,
                    const char *to, const char *id)
{
    const char *domain = strchr(cfg->mail_from, '@');
    const char *words, *opening;
    char date[64];

    event_words(s->event, &words, &opening);
    rfc5322_date(s->now, date);
    buf_appendf(b, "Date: %s\r\nFrom: Lockbox <%s>\r\nTo: <%s>\r\nSubject: ", date, cfg->mail_from,
                to);
    struct buf subject = BUF_INIT;
    buf_appendf(&subject, "[Lockbox] %s: access request %s %s", s->tenant->name, s->request->id,
                words);
    header_text(b, buf_cstr(&subject));
    buf_release(&subject);
    buf_appendf(b,
                "\r\nMessage-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
                "Auto-Submitted: auto-generated\r\nX-Lockbox-Event: %s\r\n"
                "X-Lockbox-Request: %s\r\n\r\n",
                id, domain && notify_address_is_safe(cfg->mail_from) ? domain + 1 : "lockbox",
                notify_event_name(s->event), s->request->id);
}

static void body(struct buf *b, const struct notify_config *cfg, const struct notify_subject *s)
{
    const struct request *r = s->request;
    const char *words, *opening;
    char line[128];

    event_words(s->event, &words, &opening);
    body_text(b, opening, "");
    buf_puts(b, "\r\n\r\n");
    snprintf(line, sizeof(line), "%s (%s)", s->tenant->name, s->tenant->id);
    field(b, "Tenant:", line);
    field(b, "Request:", r->id);
    field(b, "Status:", request_status_name(r->status));
    field(b, "Support ticket:", r->ticket_id);
    if (s->ticket)
        field(b, "Ticket title:", s->ticket->title);
    field(b, "Requested by:", r->requester_username);
    field(b, "Resource type:", r->resource_type);
    for (size_t i = 0; i < r->resource_count; i++)
        field(b, i ? "" : "Resources:", r->resource_ids[i]);
    field(b, "Access level:", access_level_name(r->access_level));
    snprintf(line, sizeof(line), "%lld seconds (%.1f hours)", (long long)r->duration_seconds,
             (double)r->duration_seconds / 3600.0);
    field(b, "Duration:", line);
    field(b, "Justification:", r->justification);
    if (r->status == REQ_PENDING || r->status == REQ_PENDING_INTERNAL)
        field_time(b, "Decide before:", r->expires_at);
    if (r->grant_starts_at)
        field_time(b, "Grant starts:", r->grant_starts_at);
    if (r->grant_ends_at)
        field_time(b, r->grant_ended_at ? "Grant ended:" : "Grant ends:",
                   r->grant_ended_at ? r->grant_ended_at : r->grant_ends_at);
    if (r->status_reason)
        field(b, "Reason:", r->status_reason);
    buf_puts(b, "\r\n");
    if (s->event == NOTIFY_REPORT)
        buf_appendf(b,
                    "Read the report on the request's page in the Lockbox portal, with\r\n"
                    "`lockbox request report %s`, or at\r\nGET /api/v1/requests/%s/report.\r\n",
                    r->id, r->id);
    if (s->tenant->settings.email_links && cfg->public_url && *cfg->public_url)
        buf_appendf(b, "Open the request: %s/requests/%s\r\n", cfg->public_url, r->id);
    else
        buf_puts(b, "Open the Lockbox portal and look up the request by its id to act on it.\r\n");
    buf_puts(b, "\r\n-- \r\nSent by Lockbox. This message grants no access by itself.\r\n");
}

int notify_mail_render(const struct notify_config *cfg, const struct notify_subject *s,
                       const char *to, const char *id, char **out)
{
    struct buf b;

    *out = NULL;
    if (!notify_address_is_safe(to))
        return LB_EINVAL;
    buf_init(&b, MAIL_MAX);
    headers(&b, cfg, s, to, id);
    body(&b, cfg, s);
    if (!(*out = buf_take(&b)))
        return LB_ENOMEM;
    return 0;
}
