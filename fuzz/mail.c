/*
 * mail: the notification mail lockboxd composes from text its users typed (notify_mail_render
 * in notify/mail.c) and the address check of its recipients. The SMTP dialogue itself is
 * libcurl's; what lockbox writes into it is this message. Input: the first byte picks the
 * event and status; then NUL-separated: recipient, tenant name, ticket title, requester,
 * resource type, justification, reason, resource ids... (the tenant's name cut to the API's 128
 * bytes).
 * Asserts: a message is made exactly for a safe recipient; its lines all end in CRLF (no bare
 * CR or LF: no header or SMTP command can be injected), none is over 998 bytes, and its head
 * is ASCII, each line a "Name: value" field or a folded continuation.
 */
#include "fuzz.h"
#include "notify/notify.h"
#include "util/mem.h"

#define MAX_FIELDS 12

static void check_message(const char *m)
{
    const char *body = strstr(m, "\r\n\r\n");
    size_t line = 0;

    FUZZ_CHECK(body != NULL);
    for (const char *p = m; *p; p++) {
        FUZZ_CHECK(*p != '\r' || p[1] == '\n');
        FUZZ_CHECK(*p != '\n' || (p > m && p[-1] == '\r'));
        line = *p == '\n' ? 0 : line + 1;
        FUZZ_CHECK(line <= 998);
        if (p < body)
            FUZZ_CHECK((unsigned char)*p < 0x7f);
    }
    for (const char *l = m; l < body; l = strstr(l, "\r\n") + 2) {
        const char *colon = strchr(l, ':'), *end = strstr(l, "\r\n");
        FUZZ_CHECK(*l == ' ' || *l == '\t' || (colon && colon < end && colon > l));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf, *f[MAX_FIELDS], *msg = NULL;
    size_t n = 0;
    struct notify_config cfg = {.mail_from = "lockbox@example.com"};
    struct tenant t = {.id = "t1"};
    struct ticket tk = {.id = "k1"};
    struct request r = {.id = "r1", .ticket_id = "k1", .duration_seconds = 3600};
    struct notify_subject s = {.request = &r, .tenant = &t, .ticket = &tk, .now = 1795000000};
    int rc;

    if (size < 1)
        return 0;
    buf = fuzz_cstr(data + 1, size - 1);
    for (size_t i = 0; i < size && n < MAX_FIELDS; i += strlen(buf + i) + 1)
        f[n++] = buf + i;
    for (size_t i = n; i < MAX_FIELDS; i++)
        f[i] = "";
    s.event = data[0] % NOTIFY_EVENT_COUNT;
    r.status = (enum request_status)(data[0] >> 4) % (REQ_COMPLETED + 1);
    if (strlen(f[1]) > 128)
        f[1][128] = '\0'; /* the API's bound on a tenant's name, which the Subject holds */
    t.name = f[1];
    tk.title = f[2];
    r.requester_username = f[3];
    r.resource_type = f[4];
    r.justification = f[5];
    r.status_reason = f[6];
    r.resource_ids = f + 7;
    r.resource_count = n > 7 ? n - 7 : 0;
    t.settings.email_links = data[0] & 8;
    cfg.public_url = data[0] & 4 ? "https://lockbox.example" : NULL;
    rc = notify_mail_render(&cfg, &s, f[0], "m1", &msg);
    FUZZ_CHECK((rc == 0) == notify_address_is_safe(f[0]));
    if (msg)
        check_message(msg);
    lb_free(msg);
    free(buf);
    return 0;
}
