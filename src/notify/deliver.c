/*
 * Sending one outbox message: a mail over SMTP, or a signed webhook POST, through libcurl.
 * Webhooks never follow redirects, speak only http and https, and (unless allowed) never
 * open a socket to a loopback, private, link-local or otherwise internal address, so a
 * tenant's endpoint cannot make lockboxd probe the operator's own network.
 */
#include "notify/notify.h"
#include "util/mem.h"
#include "util/timeutil.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "util/banned.h"

#define RESPONSE_MAX 4096

struct notify_sender {
    CURL *smtp, *http;
    char *smtp_url, *smtp_from, *smtp_username, *smtp_password, *smtp_ca_file;
    bool smtp_require_tls;
    bool allow_private;
    bool refused; /* the last webhook's address was internal */
    long timeout_ms;
    char curl_error[CURL_ERROR_SIZE];
};

static int copy_opt(char **dst, const char *src)
{
    *dst = NULL;
    if (src && *src && !(*dst = lb_strdup(src)))
        return LB_ENOMEM;
    return 0;
}

int notify_sender_new(const struct notify_delivery_config *cfg, struct notify_sender **out)
{
    struct notify_sender *s = lb_calloc(1, sizeof(*s));

    *out = NULL;
    if (!s)
        return LB_ENOMEM;
    s->allow_private = cfg->webhook_allow_private;
    s->smtp_require_tls = cfg->smtp_require_tls;
    s->timeout_ms = (long)cfg->timeout_ms;
    if (copy_opt(&s->smtp_url, cfg->smtp_url) || copy_opt(&s->smtp_from, cfg->smtp_from) ||
        copy_opt(&s->smtp_username, cfg->smtp_username) ||
        copy_opt(&s->smtp_password, cfg->smtp_password) ||
        copy_opt(&s->smtp_ca_file, cfg->smtp_ca_file) || !(s->smtp = curl_easy_init()) ||
        !(s->http = curl_easy_init())) {
        notify_sender_free(s);
        return LB_ENOMEM;
    }
    *out = s;
    return 0;
}

void notify_sender_free(struct notify_sender *s)
{
    if (!s)
        return;
    if (s->smtp)
        curl_easy_cleanup(s->smtp);
    if (s->http)
        curl_easy_cleanup(s->http);
    lb_free(s->smtp_url);
    lb_free(s->smtp_from);
    lb_free(s->smtp_username);
    lb_free(s->smtp_ca_file);
    if (s->smtp_password)
        sodium_memzero(s->smtp_password, strlen(s->smtp_password));
    lb_free(s->smtp_password);
    lb_free(s);
}

int64_t notify_backoff_seconds(int64_t attempts)
{
    int64_t base = attempts >= 12 ? 3600 : (int64_t)1 << attempts;

    if (base > 3600)
        base = 3600;
    return base + (int64_t)randombytes_uniform((uint32_t)(base / 4 + 1));
}

/* ---- mail ---- */

struct reader {
    const char *data;
    size_t len, pos;
};

static size_t read_payload(char *out, size_t size, size_t nmemb, void *ctx)
{
    struct reader *r = ctx;
    size_t n = size * nmemb;

    if (n > r->len - r->pos)
        n = r->len - r->pos;
    memcpy(out, r->data + r->pos, n);
    r->pos += n;
    return n;
}

static int send_mail(struct notify_sender *s, const struct outbox_msg *m, struct buf *err)
{
    struct reader rd = {m->payload, strlen(m->payload), 0};
    struct curl_slist *rcpt = NULL;
    struct buf from = BUF_INIT, to = BUF_INIT;
    CURLcode cc;
    int rc = LB_ENOMEM;

    if (!s->smtp_url) {
        buf_puts(err, "no SMTP server is configured ([smtp] url)");
        return LB_ENOTFOUND;
    }
    buf_appendf(&from, "<%s>", s->smtp_from ? s->smtp_from : "lockbox@localhost");
    buf_appendf(&to, "<%s>", m->recipient);
    if (!buf_ok(&from) || !buf_ok(&to) || !(rcpt = curl_slist_append(NULL, buf_cstr(&to))))
        goto out;
    CURL *c = s->smtp;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, s->smtp_url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    /* a password never crosses the wire in clear: with AUTH, STARTTLS is required */
    curl_easy_setopt(
        c, CURLOPT_USE_SSL,
        (long)(s->smtp_require_tls || s->smtp_username ? CURLUSESSL_ALL : CURLUSESSL_TRY));
    if (s->smtp_ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, s->smtp_ca_file);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, buf_cstr(&from));
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_payload);
    curl_easy_setopt(c, CURLOPT_READDATA, &rd);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)rd.len);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, s->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, s->timeout_ms);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->curl_error);
    if (s->smtp_username) {
        curl_easy_setopt(c, CURLOPT_USERNAME, s->smtp_username);
        curl_easy_setopt(c, CURLOPT_PASSWORD, s->smtp_password ? s->smtp_password : "");
    }
    s->curl_error[0] = '\0';
    cc = curl_easy_perform(c);
    rc = 0;
    if (cc != CURLE_OK) {
        buf_appendf(err, "smtp: %s", s->curl_error[0] ? s->curl_error : curl_easy_strerror(cc));
        rc = cc == CURLE_OUT_OF_MEMORY ? LB_ENOMEM : LB_EIO;
    }
out:
    curl_slist_free_all(rcpt);
    buf_release(&from);
    buf_release(&to);
    return rc;
}

/* ---- webhooks ---- */

/* 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.0.0/24, 192.168/16, 198.18/15,
 * and 224/4 and above (multicast, reserved, broadcast). */
static bool v4_is_internal(const unsigned char *a)
{
    return a[0] == 0 || a[0] == 10 || a[0] == 127 || (a[0] == 100 && (a[1] & 0xc0) == 64) ||
           (a[0] == 169 && a[1] == 254) || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
           (a[0] == 192 && a[1] == 0 && a[2] == 0) || (a[0] == 192 && a[1] == 168) ||
           (a[0] == 198 && (a[1] & 0xfe) == 18) || a[0] >= 224;
}

static bool v6_is_internal(const unsigned char *a)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char zero[12] = {0};
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};

    /* IPv4 inside IPv6: mapped ::ffff:a.b.c.d, compatible ::a.b.c.d (and :: and ::1), NAT64
     * 64:ff9b::a.b.c.d, 6to4 2002:a.b.c.d:: */
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, zero, 12) == 0 || memcmp(a, nat64, 12) == 0)
        return v4_is_internal(a + 12);
    if (a[0] == 0x20 && a[1] == 0x02)
        return v4_is_internal(a + 2);
    return (a[0] == 0 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b && a[4] == 0 &&
            a[5] == 1) ||                             /* 64:ff9b:1::/48, local NAT64 */
           (a[0] & 0xfe) == 0xfc ||                   /* fc00::/7, unique local */
           (a[0] == 0xfe && (a[1] & 0x80) == 0x80) || /* fe80::/10, fec0::/10 */
           a[0] == 0xff;                              /* multicast */
}

bool notify_address_is_internal(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return v4_is_internal(
            (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr.s_addr);
    if (sa->sa_family == AF_INET6)
        return v6_is_internal(((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
    return true;
}

static curl_socket_t open_socket(void *ctx, curlsocktype purpose, struct curl_sockaddr *addr)
{
    struct notify_sender *s = ctx;

    (void)purpose;
    if (!s->allow_private && notify_address_is_internal(&addr->addr)) {
        s->refused = true;
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype, addr->protocol);
}

static size_t discard(char *data, size_t size, size_t nmemb, void *ctx)
{
    size_t *seen = ctx;

    (void)data;
    *seen += size * nmemb;
    return *seen > RESPONSE_MAX ? 0 : size * nmemb;
}

/* "X-Lockbox-Signature: t=UNIX,v1=HEX(HMAC-SHA256(secret, t + "." + body))". */
static void signature_header(struct buf *b, const char *secret, int64_t t, const char *body)
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char ts[24], hex[2 * sizeof(mac) + 1];

    snprintf(ts, sizeof(ts), "%lld", (long long)t);
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
    buf_appendf(b, "X-Lockbox-Signature: t=%s,v1=%s", ts, hex);
    sodium_memzero(&st, sizeof(st));
}

static struct curl_slist *webhook_headers(const struct webhook *w, const struct outbox_msg *m)
{
    struct curl_slist *h = NULL, *next;
    struct buf sig = BUF_INIT, ev = BUF_INIT, id = BUF_INIT;
    const char *lines[5];

    signature_header(&sig, w->secret, time_now(), m->payload);
    buf_appendf(&ev, "X-Lockbox-Event: %s", m->event);
    buf_appendf(&id, "X-Lockbox-Delivery: %s", m->id);
    lines[0] = "Content-Type: application/json";
    lines[1] = "User-Agent: Lockbox-Webhook/0.1";
    lines[2] = buf_cstr(&sig);
    lines[3] = buf_cstr(&ev);
    lines[4] = buf_cstr(&id);
    for (size_t i = 0; i < 5; i++) {
        if (!buf_ok(&sig) || !buf_ok(&ev) || !buf_ok(&id) ||
            !(next = curl_slist_append(h, lines[i]))) {
            curl_slist_free_all(h);
            h = NULL;
            break;
        }
        h = next;
    }
    buf_release(&sig);
    buf_release(&ev);
    buf_release(&id);
    return h;
}

static int post_webhook(struct notify_sender *s, const struct webhook *w,
                        const struct outbox_msg *m, struct buf *err)
{
    struct curl_slist *headers = webhook_headers(w, m);
    CURL *c = s->http;
    size_t seen = 0;
    long status = 0;
    CURLcode cc;

    if (!headers)
        return LB_ENOMEM;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, w->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, m->payload);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(m->payload));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &seen);
    /* no proxy from the environment: it would connect on our behalf past the address check */
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, s);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, s->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, s->timeout_ms);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->curl_error);
    s->curl_error[0] = '\0';
    s->refused = false;
    cc = curl_easy_perform(c);
    curl_slist_free_all(headers);
    if (s->refused && cc != CURLE_OK) {
        /* refused, and no other address of the host answered */
        buf_puts(err, "webhook: refused to connect to an internal address (loopback, private or "
                      "link-local); see [notify] webhook_allow_private");
        return LB_EFORBIDDEN;
    }
    if (cc == CURLE_WRITE_ERROR && seen > RESPONSE_MAX)
        cc = CURLE_OK; /* a long answer: only the status matters */
    if (cc != CURLE_OK) {
        buf_appendf(err, "webhook: %s", s->curl_error[0] ? s->curl_error : curl_easy_strerror(cc));
        return cc == CURLE_OUT_OF_MEMORY ? LB_ENOMEM : LB_EIO;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
        buf_appendf(err, "webhook: the endpoint answered HTTP %ld", status);
        return LB_EIO;
    }
    return 0;
}

static int send_webhook(struct notify_sender *s, struct store *st, const struct outbox_msg *m,
                        struct buf *err)
{
    struct webhook w = {0};
    int rc = m->webhook_id ? store_webhook_get(st, m->webhook_id, &w) : LB_ENOTFOUND;

    if (rc == LB_ENOTFOUND) {
        buf_puts(err, "the webhook was removed");
        return LB_ENOTFOUND;
    }
    if (rc == 0)
        rc = post_webhook(s, &w, m, err);
    webhook_clear(&w);
    return rc;
}

int notify_send(struct notify_sender *s, struct store *st, const struct outbox_msg *m,
                struct buf *err)
{
    if (strcmp(m->channel, "email") == 0)
        return send_mail(s, m, err);
    return send_webhook(s, st, m, err);
}
