/* http/framing: the header-field checks, and the layout check against heads laid out as
 * libmicrohttpd 0.9.75 leaves them (line ends and the colon zeroed, a folded field's name moved
 * out of the head, a value cut at its first NUL). */
#include "http/framing.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

#define MAX_FIELDS 16

/* A head parsed the way libmicrohttpd 0.9.75 does it, in memory of its own. */
struct parsed {
    char buf[512];   /* the head, line ends, the colons and what follows a NUL as it leaves them */
    char moved[128]; /* where a folded field's name goes (outside the head) */
    size_t head_len;
    struct framing_field f[MAX_FIELDS];
    size_t count;
};

/* Parses raw (len bytes) as connection.c does: a line ends at CRLF (both zeroed) or LF (zeroed);
 * the request line is skipped; a field line is cut at its first ':' found by strchr (which
 * stops at a NUL), the colon zeroed, leading spaces and tabs skipped, the value taken by
 * strlen; a line starting with a space or tab is appended to the previous field's name (which
 * moves out of the head, its old place zeroed). */
static void parse_like_mhd(const char *raw, size_t len, struct parsed *p)
{
    size_t pos = 0, moved_len = 0;
    bool first = true;
    char *pending_name = NULL, *pending_value = NULL;

    memset(p, 0, sizeof(*p));
    assert_true(len < sizeof(p->buf));
    memcpy(p->buf, raw, len);
    for (;;) {
        char *line = p->buf + pos;
        size_t end = pos;
        while (end < len && p->buf[end] != '\n')
            end++;
        assert_true(end < len); /* every test head is complete */
        if (end > pos && p->buf[end - 1] == '\r')
            p->buf[end - 1] = '\0';
        p->buf[end] = '\0';
        pos = end + 1;
        if (first) {
            first = false;
            continue;
        }
        if (pending_name && (line[0] == ' ' || line[0] == '\t')) { /* obs-fold: glued on */
            size_t n = strlen(pending_name), t = 0;
            while (line[t] == ' ' || line[t] == '\t')
                t++;
            memcpy(p->moved + moved_len, pending_name, n);
            memcpy(p->moved + moved_len + n, line + t, strlen(line + t) + 1);
            memset(pending_name, 0, n + 1);
            pending_name = p->moved + moved_len;
            moved_len += n + strlen(line + t) + 1;
            continue;
        }
        if (pending_name) {
            p->f[p->count++] = (struct framing_field){pending_name, strlen(pending_name),
                                                      pending_value, strlen(pending_value)};
            pending_name = NULL;
        }
        if (line[0] == '\0')
            break;
        char *colon = strchr(line, ':');
        if (!colon) {
            fail_msg("a field line without a colon: %s", line);
            return;
        }
        *colon++ = '\0';
        while (*colon == ' ' || *colon == '\t')
            colon++;
        pending_name = line;
        pending_value = colon;
    }
    p->head_len = pos;
}

#define PARSE(p, lit) parse_like_mhd(lit, sizeof(lit) - 1, p)

static const char *check_raw(const char *raw, size_t len)
{
    static struct parsed p;

    parse_like_mhd(raw, len, &p);
    return framing_check_layout(p.buf, p.head_len, p.f, p.count);
}

#define LAYOUT(lit) check_raw(lit, sizeof(lit) - 1)

static void layout_accepts_heads_as_sent(void **state)
{
    (void)state;
    assert_null(LAYOUT("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert_null(LAYOUT("GET / HTTP/1.1\r\nHost:x\r\nAccept:  \t*/*\r\nX-Empty:\r\n\r\n"));
    assert_null(LAYOUT("GET / HTTP/1.1\nHost: x\nX-A: b\n\n"));
    assert_null(LAYOUT("GET / HTTP/1.1\r\nHost: x\nX-A: b\r\n\n"));
    assert_null(LAYOUT("GET / HTTP/1.0\r\n\r\n"));
    /* a value's trailing spaces stay in it */
    assert_null(LAYOUT("GET / HTTP/1.1\r\nHost: x  \r\n\r\n"));
}

static void layout_finds_nul_bytes(void **state)
{
    (void)state;
    assert_string_equal(LAYOUT("GET / HTTP/1.1\r\nX-A: a\0b\r\nHost: x\r\n\r\n"),
                        "a header field holds a NUL byte");
    assert_non_null(LAYOUT("GET / HTTP/1.1\r\nHost: x\0y\r\n\r\n"));
    assert_non_null(LAYOUT("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\0 60\r\n\r\n"));
    /* a NUL right at the end of a value hides nothing after it */
    assert_non_null(LAYOUT("GET / HTTP/1.1\r\nX-A: a\0\r\nHost: x\r\n\r\n"));
    assert_null(LAYOUT("GET / HTTP/1.1\r\nX-A: a\0\nHost: x\r\n\r\n"));
}

static void layout_finds_folded_lines(void **state)
{
    static const char want[] = "a header field is continued on the next line (obsolete line "
                               "folding), which is not accepted";

    (void)state;
    assert_string_equal(LAYOUT("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n"), want);
    assert_string_equal(LAYOUT("GET / HTTP/1.1\r\nX-A: a\r\n\tb\r\nHost: x\r\n\r\n"), want);
    assert_string_equal(LAYOUT("POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n 2\r\n\r\n"),
                        want);
}

static void layout_refuses_fields_outside_the_head(void **state)
{
    struct parsed p;

    (void)state;
    PARSE(&p, "GET / HTTP/1.1\r\nHost: x\r\nX-A: b\r\n\r\n");
    assert_null(framing_check_layout(p.buf, p.head_len, p.f, p.count));
    /* a head said to be shorter than where its fields lie */
    assert_non_null(framing_check_layout(p.buf, p.head_len - 6, p.f, p.count));
    /* fields out of order */
    struct framing_field swapped[2] = {p.f[1], p.f[0]};
    assert_non_null(framing_check_layout(p.buf, p.head_len, swapped, 2));
}

static const char *fields(bool http_1_1, size_t n, const char *const *nv)
{
    struct framing_field f[MAX_FIELDS];

    for (size_t i = 0; i < n; i++)
        f[i] = (struct framing_field){nv[2 * i], strlen(nv[2 * i]), nv[2 * i + 1],
                                      strlen(nv[2 * i + 1])};
    return framing_check_fields(f, n, http_1_1);
}

#define FIELDS(v11, ...)                                                                           \
    fields(v11, sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *) / 2,                  \
           (const char *const[]){__VA_ARGS__})

static void fields_accept_unambiguous_heads(void **state)
{
    (void)state;
    assert_null(FIELDS(true, "Host", "x", "Content-Length", "2", "Accept", "*/*"));
    assert_null(FIELDS(true, "host", "x", "transfer-encoding", "chunked"));
    assert_null(FIELDS(true, "Host", "x", "Transfer-Encoding", "Chunked"));
    assert_null(FIELDS(false, "Content-Length", "0"));
    assert_null(FIELDS(true, "Host", "x", "X-Text", "tab\there, obs-text \xc3\xa9"));
}

static void fields_refuse_ambiguous_lengths(void **state)
{
    (void)state;
    assert_string_equal(FIELDS(true, "Host", "x", "Content-Length", "2", "content-length", "2"),
                        "more than one Content-Length header field: the body's length is "
                        "ambiguous");
    assert_string_equal(
        FIELDS(true, "Host", "x", "Content-Length", "2", "Transfer-Encoding", "chunked"),
        "both Content-Length and Transfer-Encoding: the body's length is ambiguous");
    assert_string_equal(
        FIELDS(true, "Host", "x", "Transfer-Encoding", "chunked", "Transfer-Encoding", "chunked"),
        "more than one Transfer-Encoding header field");
    assert_string_equal(FIELDS(false, "Transfer-Encoding", "chunked"),
                        "Transfer-Encoding in an HTTP/1.0 request");
    static const char *const codings[] = {
        "chunked, identity", "identity", "gzip", "gzip, chunked", "chunked ", "", "chunkedx"};
    for (size_t i = 0; i < sizeof(codings) / sizeof(codings[0]); i++)
        assert_string_equal(FIELDS(true, "Host", "x", "Transfer-Encoding", codings[i]),
                            "a Transfer-Encoding other than exactly chunked (the only coding "
                            "supported)");
}

static void fields_refuse_bad_names_values_and_hosts(void **state)
{
    (void)state;
    assert_string_equal(FIELDS(true, "Host", "x", "Content-Length ", "2"),
                        "a header field name is empty or not a token (a space before the colon, "
                        "a control character?)");
    assert_non_null(FIELDS(true, "Host", "x", "", "2"));
    assert_non_null(FIELDS(true, "Host", "x", "X\rY", "2"));
    assert_string_equal(FIELDS(true, "Host", "x\rContent-Length: 5"),
                        "a header field value holds a control character (a bare CR?)");
    assert_non_null(FIELDS(true, "Host", "x", "X-A", "a\x01"));
    assert_non_null(FIELDS(true, "Host", "x", "X-A", "a\x7f"));
    assert_string_equal(FIELDS(true, "Accept", "*/*"),
                        "an HTTP/1.1 request without a Host header field");
    assert_string_equal(FIELDS(true, "Host", "a", "HOST", "b"), "more than one Host header field");
    assert_string_equal(FIELDS(false, "Host", "a", "Host", "b"), "more than one Host header field");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layout_accepts_heads_as_sent),
        cmocka_unit_test(layout_finds_nul_bytes),
        cmocka_unit_test(layout_finds_folded_lines),
        cmocka_unit_test(layout_refuses_fields_outside_the_head),
        cmocka_unit_test(fields_accept_unambiguous_heads),
        cmocka_unit_test(fields_refuse_ambiguous_lengths),
        cmocka_unit_test(fields_refuse_bad_names_values_and_hosts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
