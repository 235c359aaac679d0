/*
 * framing: the request-head checks of http/framing.c. Input: a header block, one "Name: value"
 * a line ending in LF or CRLF; the first byte's low bit picks HTTP/1.1 (else 1.0).
 * The fields are laid out as libmicrohttpd 0.9.75 leaves them (colon and line ends zeroed) and
 * handed over without NUL terminators. Asserts: an accepted head has token names, no control
 * character in a value, one Host (HTTP/1.1), at most one Content-Length, no Transfer-Encoding
 * beside it and only "chunked"; and the layout check accepts every head so laid out whose lines
 * hold no NUL and are not folded.
 */
#include "http/framing.h"

#include "fuzz.h"

#include <strings.h>

#define MAX_FIELDS 64
/* the request line before the fields, its CRLF zeroed */
#define REQUEST_LINE "GET / HTTP/1.1\0"

static size_t count_named(const struct framing_field *f, size_t n, const char *name)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++)
        k += f[i].name_len == strlen(name) && strncasecmp(f[i].name, name, f[i].name_len) == 0;
    return k;
}

static bool plain(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
            return false;
    return true;
}

/* Cuts head into fields as libmicrohttpd does; false when a line is folded, holds a NUL or
 * has no colon (the layout check's promise is for the other heads). */
static bool lay_out(char *head, size_t len, struct framing_field *f, size_t *n, size_t *used)
{
    char *p = head + sizeof(REQUEST_LINE) - 1, *end = head + len;

    *n = 0;
    while (p < end && *n < MAX_FIELDS) {
        char *lf = memchr(p, '\n', (size_t)(end - p)), *line_end, *colon, *v;
        if (!lf)
            return false;
        line_end = lf > p && lf[-1] == '\r' ? lf - 1 : lf;
        if (line_end == p) { /* the empty line */
            *used = (size_t)(lf + 1 - head);
            memset(p, 0, (size_t)(lf + 1 - p));
            return *n > 0;
        }
        if (*p == ' ' || *p == '\t' || memchr(p, '\0', (size_t)(line_end - p)) ||
            !(colon = memchr(p, ':', (size_t)(line_end - p))))
            return false;
        for (v = colon + 1; v < line_end && (*v == ' ' || *v == '\t'); v++)
            ;
        f[*n] = (struct framing_field){p, (size_t)(colon - p), v, (size_t)(line_end - v)};
        if (f[*n].value_len == 0)
            return false;
        *colon = '\0';
        memset(line_end, 0, (size_t)(lf + 1 - line_end));
        ++*n;
        p = lf + 1;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct framing_field f[MAX_FIELDS];
    size_t n = 0, used = 0;
    bool v11, laid;
    char *head;
    const char *why;

    if (size < 1)
        return 0;
    v11 = data[0] & 1;
    /* exactly the head's bytes, so that a read past it is caught */
    head = malloc(sizeof(REQUEST_LINE) - 1 + size - 1);
    if (!head)
        abort(); /* a harness out of memory is libFuzzer's -rss_limit_mb, not a finding */
    memcpy(head, REQUEST_LINE, sizeof(REQUEST_LINE) - 1);
    memcpy(head + sizeof(REQUEST_LINE) - 1, data + 1, size - 1);
    laid = lay_out(head, sizeof(REQUEST_LINE) - 1 + size - 1, f, &n, &used);
    if (!laid)
        goto out;
    FUZZ_CHECK(framing_check_layout(head, used, f, n) == NULL);
    why = framing_check_fields(f, n, v11);
    if (!why) {
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(f[i].name_len > 0 && plain(f[i].value, f[i].value_len) &&
                       !memchr(f[i].name, ' ', f[i].name_len));
        FUZZ_CHECK(count_named(f, n, "Host") == (v11 ? 1u : count_named(f, n, "Host")));
        FUZZ_CHECK(count_named(f, n, "Host") <= 1 && count_named(f, n, "Content-Length") <= 1);
        FUZZ_CHECK(!count_named(f, n, "Transfer-Encoding") ||
                   (v11 && !count_named(f, n, "Content-Length")));
    }
out:
    free(head);
    return 0;
}
