/* notify/: the mail a notification becomes (headers safe from injection, RFC 2047 for
 * non-ASCII, CRLF lines of bounded length), address checks, event names and the backoff; the
 * syslog messages of the audit streams and their collectors' URLs. */
#include "core/ids.h"
#include "notify/notify.h"
#include "notify/syslog.h"
#include "util/mem.h"

#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

static void fixed_id(char out[ID_LEN])
{
    memcpy(out, "00000000-0000-4000-8000-000000000001", ID_LEN);
}

struct fixture {
    struct request r;
    struct tenant t;
    struct ticket tk;
    char *ids[2];
};

static void fixture_init(struct fixture *f, const char *tenant_name, const char *justification)
{
    memset(f, 0, sizeof(*f));
    f->ids[0] = "/subscriptions/s1/vms/vm1";
    f->ids[1] = "/subscriptions/s1/vms/vm2";
    f->r.id = "11111111-2222-4333-8444-555555555555";
    f->r.tenant_id = "aaaaaaaa-2222-4333-8444-555555555555";
    f->r.ticket_id = "bbbbbbbb-2222-4333-8444-555555555555";
    f->r.requester_username = "eve";
    f->r.resource_type = "vm.remote_access";
    f->r.resource_ids = f->ids;
    f->r.resource_count = 2;
    f->r.access_level = ACCESS_READ;
    f->r.justification = (char *)justification;
    f->r.duration_seconds = 3600;
    f->r.status = REQ_PENDING;
    f->r.created_at = 1795000000;
    f->r.expires_at = 1795086400;
    f->t.id = f->r.tenant_id;
    f->t.name = (char *)tenant_name;
    f->t.settings.email_links = true;
    f->tk.title = "VM does not boot";
}

static char *render(struct fixture *f, const char *public_url, const char *to)
{
    struct notify_config cfg = {fixed_id, public_url, "lockbox@provider.example", true};
    struct notify_subject s = {NOTIFY_PENDING, &f->r, &f->t, &f->tk, 1795000000};
    char *out = NULL;

    assert_int_equal(notify_mail_render(&cfg, &s, to, "msg-1", &out), 0);
    return out;
}

/* The header block (up to the blank line), as a new string. */
static char *headers_of(const char *mail)
{
    const char *end = strstr(mail, "\r\n\r\n");

    assert_non_null(end);
    return lb_strndup(mail, (size_t)(end - mail) + 2);
}

static void every_line_ends_crlf_and_is_short(const char *mail)
{
    for (const char *p = mail; *p;) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        assert_true(nl > p && nl[-1] == '\r');
        assert_true(nl - p <= 998);
        assert_null(memchr(p, '\r', (size_t)(nl - p - 1)));
        p = nl + 1;
    }
}

static void mail_has_the_fields_and_a_link(void **state)
{
    struct fixture f;
    char *mail, *h;

    (void)state;
    fixture_init(&f, "contoso", "Read the boot log");
    mail = render(&f, "https://lockbox.example/portal", "bob@contoso.example");
    h = headers_of(mail);
    assert_non_null(strstr(h, "Date: Wed, 18 Nov 2026 11:06:40 +0000"));
    assert_non_null(strstr(h, "\r\nTo: <bob@contoso.example>\r\n"));
    assert_non_null(strstr(h, "Subject: [Lockbox] contoso: access request "
                              "11111111-2222-4333-8444-555555555555 is waiting for your approval"));
    assert_non_null(strstr(h, "Message-ID: <msg-1@provider.example>"));
    assert_non_null(strstr(h, "Content-Type: text/plain; charset=utf-8"));
    assert_non_null(strstr(mail, "/subscriptions/s1/vms/vm2"));
    assert_non_null(strstr(mail, "VM does not boot"));
    assert_non_null(strstr(mail, "2026-11-19T"));
    assert_non_null(strstr(
        mail, "https://lockbox.example/portal/requests/11111111-2222-4333-8444-555555555555"));
    every_line_ends_crlf_and_is_short(mail);
    lb_free(h);
    lb_free(mail);
}

static void no_link_without_email_links_or_url(void **state)
{
    struct fixture f;
    char *mail;

    (void)state;
    fixture_init(&f, "contoso", "x");
    f.t.settings.email_links = false;
    mail = render(&f, "https://lockbox.example", "bob@contoso.example");
    assert_null(strstr(mail, "http"));
    lb_free(mail);
    f.t.settings.email_links = true;
    mail = render(&f, NULL, "bob@contoso.example");
    assert_null(strstr(mail, "http"));
    lb_free(mail);
}

static void user_text_never_reaches_a_header(void **state)
{
    struct fixture f;
    char *mail, *h;

    (void)state;
    fixture_init(&f, "evil\r\nBcc: x@attacker.example\nX-A: 1",
                 "line one\r\nBcc: y@attacker.example\n.\r\nline four\rfive\x01six");
    mail = render(&f, NULL, "bob@contoso.example");
    h = headers_of(mail);
    assert_null(strstr(h, "\nBcc"));
    assert_null(strstr(h, "\nX-A"));
    assert_non_null(strstr(h, "Subject: [Lockbox] evilBcc: x@attacker.exampleX-A: 1:"));
    /* in the body, each line of the justification is indented under its field */
    assert_non_null(strstr(mail, "line one\r\n                  Bcc: y@attacker.example\r\n"));
    assert_non_null(strstr(mail, "line four\r\n                  fivesix"));
    every_line_ends_crlf_and_is_short(mail);
    lb_free(h);
    lb_free(mail);
}

static void non_ascii_subject_is_encoded(void **state)
{
    struct fixture f;
    char *mail, *h, *start, *end, decoded[256];
    size_t len = 0;

    (void)state;
    fixture_init(&f, "Cöntösö Ünïcode GmbH — Zürich", "x");
    mail = render(&f, NULL, "bob@contoso.example");
    h = headers_of(mail);
    for (const unsigned char *p = (const unsigned char *)h; *p; p++)
        assert_true(*p < 0x80);
    start = strstr(h, "=?UTF-8?B?");
    assert_non_null(start);
    /* the first encoded word decodes to the start of the subject */
    end = strstr(start + 10, "?=");
    assert_non_null(end);
    assert_int_equal(sodium_base642bin((unsigned char *)decoded, sizeof(decoded) - 1, start + 10,
                                       (size_t)(end - start - 10), NULL, &len, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    decoded[len] = '\0';
    assert_memory_equal(decoded, "[Lockbox] Cöntösö", strlen("[Lockbox] Cöntösö"));
    every_line_ends_crlf_and_is_short(mail);
    lb_free(h);
    lb_free(mail);
}

static void long_lines_are_broken(void **state)
{
    struct fixture f;
    char text[5001], *mail;

    (void)state;
    for (int i = 0; i < 5000; i++)
        text[i] = (char)('a' + i % 26);
    text[5000] = '\0';
    fixture_init(&f, "contoso", text);
    mail = render(&f, NULL, "bob@contoso.example");
    every_line_ends_crlf_and_is_short(mail);
    lb_free(mail);
}

static void unsafe_addresses_are_refused(void **state)
{
    static const char *const bad[] = {"",
                                      "bob",
                                      "@x.example",
                                      "bob@",
                                      "bob@x.example\r\nBcc: e@v.il",
                                      "bob@x.example>, <e@v.il",
                                      "bob smith@x.example",
                                      "bob@x@y.example",
                                      "b\"ob@x.example",
                                      "bøb@x.example"};
    struct fixture f;
    char *out = (char *)1;
    struct notify_config cfg = {fixed_id, NULL, "lockbox@provider.example", true};
    struct notify_subject s;

    (void)state;
    fixture_init(&f, "contoso", "x");
    s = (struct notify_subject){NOTIFY_PENDING, &f.r, &f.t, NULL, 1795000000};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(notify_address_is_safe(bad[i]));
        assert_int_equal(notify_mail_render(&cfg, &s, bad[i], "id", &out), LB_EINVAL);
        assert_null(out);
    }
    assert_true(notify_address_is_safe("bob.smith+lockbox@sub.x.example"));
}

static void event_names_round_trip(void **state)
{
    (void)state;
    for (int e = 0; e < NOTIFY_EVENT_COUNT; e++)
        if (e != NOTIFY_REPORT)
            assert_int_equal(notify_event_parse(notify_event_name((enum notify_event)e)), e);
    /* the report's mail is no webhook's event */
    assert_string_equal(notify_event_name(NOTIFY_REPORT), "request.report");
    assert_int_equal(notify_event_parse("request.report"), -1);
    assert_string_equal(notify_event_name(NOTIFY_PENDING), "request.pending");
    assert_string_equal(notify_event_name(NOTIFY_PENDING_INTERNAL), "request.pending_internal");
    assert_int_equal(notify_event_parse("request.nope"), -1);
}

static void backoff_doubles_to_an_hour_with_jitter(void **state)
{
    (void)state;
    for (int i = 0; i < 200; i++) {
        int64_t first = notify_backoff_seconds(0), fourth = notify_backoff_seconds(3);
        int64_t late = notify_backoff_seconds(40);
        assert_true(first >= 1 && first <= 1);
        assert_true(fourth >= 8 && fourth <= 10);
        assert_true(late >= 3600 && late <= 4500);
    }
}

static bool internal(const char *text)
{
    struct sockaddr_in v4 = {.sin_family = AF_INET};
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};

    if (inet_pton(AF_INET, text, &v4.sin_addr) == 1)
        return notify_address_is_internal((struct sockaddr *)&v4);
    assert_int_equal(inet_pton(AF_INET6, text, &v6.sin6_addr), 1);
    return notify_address_is_internal((struct sockaddr *)&v6);
}

static void internal_addresses_are_told_apart(void **state)
{
    static const char *const inside[] = {"0.0.0.0",
                                         "10.1.2.3",
                                         "100.64.0.1",
                                         "127.0.0.1",
                                         "169.254.169.254",
                                         "172.16.0.1",
                                         "172.31.255.255",
                                         "192.0.0.8",
                                         "192.168.1.1",
                                         "198.18.0.1",
                                         "198.19.255.1",
                                         "224.0.0.1",
                                         "255.255.255.255",
                                         "::",
                                         "::1",
                                         "::ffff:127.0.0.1",
                                         "::ffff:10.0.0.1",
                                         "::169.254.169.254",
                                         "64:ff9b::a9fe:a9fe",
                                         "64:ff9b:1::1",
                                         "2002:a9fe:a9fe::1",
                                         "2002:7f00:1::",
                                         "fc00::1",
                                         "fd12:3456::1",
                                         "fe80::1",
                                         "fec0::1",
                                         "ff02::1"};
    static const char *const outside[] = {"8.8.8.8",          "1.1.1.1",         "172.32.0.1",
                                          "100.128.0.1",      "192.0.2.1",       "198.20.0.1",
                                          "2001:db8::1",      "2606:4700::1111", "::ffff:8.8.8.8",
                                          "64:ff9b::808:808", "2002:808:808::1"};

    (void)state;
    for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++)
        if (!internal(inside[i]))
            fail_msg("%s should be internal", inside[i]);
    for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++)
        if (internal(outside[i]))
            fail_msg("%s should not be internal", outside[i]);
}

static void syslog_urls_are_checked(void **state)
{
    static const char *const good[] = {"tcp://127.0.0.1:514", "tls://siem.example.com:6514",
                                       "tls://[::1]:6514", "tcp://siem:514/"};
    static const char *const bad[] = {
        "tcp://127.0.0.1",      "http://siem:514",    "udp://siem:514",
        "tcp://siem:514/x",     "tcp://u:p@siem:514", "tls://siem:6514?a=1",
        "tls://siem:6514#frag", "siem:514",           "",
        "tcp://siem:99999"};
    struct buf why = BUF_INIT;

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_int_equal(notify_syslog_url_check(good[i], &why), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        buf_reset(&why);
        assert_int_equal(notify_syslog_url_check(bad[i], &why), LB_EINVAL);
        assert_true(why.len > 0);
    }
    buf_release(&why);
    assert_true(notify_syslog_profile_is_valid("lockbox"));
    assert_true(notify_syslog_profile_is_valid("m365"));
    assert_false(notify_syslog_profile_is_valid("cef"));
    assert_false(notify_syslog_profile_is_valid(NULL));
}

static const struct audit_record syslog_record = {
    .seq = 7,
    .time = 1796300000,
    .tenant_id = "t1",
    .actor = "eve",
    .actor_type = "customer",
    .client_ip = "192.0.2.1",
    .activity = "request.approve",
    .item = "r1",
    .request_id = "r1",
    .decision = "approve",
    .details = "{\"reason\":\"ok\"}",
    .chain = "t1",
    .chain_index = 3,
    .prev_hash = "0000000000000000000000000000000000000000000000000000000000000002",
    .hash = "0000000000000000000000000000000000000000000000000000000000000003",
};

/* The message after its octet count, checked against the count. */
static const char *framed(const struct buf *b)
{
    char *end = NULL;
    unsigned long n = strtoul(buf_cstr(b), &end, 10);

    assert_true(end && *end == ' ');
    assert_int_equal(n, b->len - (size_t)(end + 1 - buf_cstr(b)));
    return end + 1;
}

static void syslog_messages_are_rfc5424(void **state)
{
    struct buf b = BUF_INIT;
    struct audit_record r = syslog_record;
    const char *msg;

    (void)state;
    assert_int_equal(notify_syslog_format(&r, false, "lockbox-1", &b), 0);
    msg = framed(&b);
    assert_non_null(strstr(msg, "<110>1 2026-12-03T"));
    assert_non_null(strstr(msg, "Z lockbox-1 lockbox - request.approve - {"));
    assert_non_null(strstr(msg, "\"chain_index\":3"));
    assert_non_null(strstr(msg, "\"decision\":\"approve\""));
    assert_null(strchr(msg, '\n'));
    buf_reset(&b);
    assert_int_equal(notify_syslog_format(&r, true, "lockbox-1", &b), 0);
    msg = framed(&b);
    assert_non_null(strstr(msg, "\"Operation\":\"request.approve\""));
    assert_non_null(strstr(msg, "\"ApprovalDecision\":\"approve\""));
    assert_non_null(strstr(msg, "\"ClientIP\":\"192.0.2.1\""));
    /* header fields: printable, bounded, "-" when empty */
    buf_reset(&b);
    r.activity = "a very long activity name, with spaces, past 32";
    assert_int_equal(notify_syslog_format(&r, false, "", &b), 0);
    msg = framed(&b);
    assert_non_null(strstr(msg, "Z - lockbox - a_very_long_activity_name,_with_ - {"));
    buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mail_has_the_fields_and_a_link),
        cmocka_unit_test(no_link_without_email_links_or_url),
        cmocka_unit_test(user_text_never_reaches_a_header),
        cmocka_unit_test(non_ascii_subject_is_encoded),
        cmocka_unit_test(long_lines_are_broken),
        cmocka_unit_test(unsafe_addresses_are_refused),
        cmocka_unit_test(event_names_round_trip),
        cmocka_unit_test(backoff_doubles_to_an_hour_with_jitter),
        cmocka_unit_test(internal_addresses_are_told_apart),
        cmocka_unit_test(syslog_urls_are_checked),
        cmocka_unit_test(syslog_messages_are_rfc5424),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
