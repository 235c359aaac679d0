#include "http/framing.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "util/banned.h"

/* RFC 9110 section 5.6.2: tchar. */
static bool is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_token(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_tchar((unsigned char)s[i]))
            return false;
    return true;
}

/* A field value holds visible characters, obs-text, spaces and tabs only (RFC 9110 5.5): a CR,
 * a NUL or another control character is refused rather than passed on. */
static bool has_control(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return true;
    }
    return false;
}

static bool name_is(const struct framing_field *f, const char *name)
{
    size_t n = strlen(name);

    return f->name_len == n && strncasecmp(f->name, name, n) == 0;
}

const char *framing_check_fields(const struct framing_field *f, size_t count, bool http_1_1)
{
    const struct framing_field *coding = NULL;
    size_t hosts = 0, lengths = 0, codings = 0;

    for (size_t i = 0; i < count; i++) {
        if (!is_token(f[i].name, f[i].name_len))
            return "a header field name is empty or not a token (a space before the colon, a "
                   "control character?)";
        if (has_control(f[i].value, f[i].value_len))
            return "a header field value holds a control character (a bare CR?)";
        if (name_is(&f[i], "Host")) {
            hosts++;
        } else if (name_is(&f[i], "Content-Length")) {
            lengths++;
        } else if (name_is(&f[i], "Transfer-Encoding")) {
            codings++;
            coding = &f[i];
        }
    }
    if (lengths > 1)
        return "more than one Content-Length header field: the body's length is ambiguous";
    if (codings > 1)
        return "more than one Transfer-Encoding header field";
    if (coding && lengths)
        return "both Content-Length and Transfer-Encoding: the body's length is ambiguous";
    if (coding && !http_1_1)
        return "Transfer-Encoding in an HTTP/1.0 request";
    if (coding && !(coding->value_len == 7 && strncasecmp(coding->value, "chunked", 7) == 0))
        return "a Transfer-Encoding other than exactly chunked (the only coding supported)";
    if (hosts > 1)
        return "more than one Host header field";
    if (http_1_1 && hosts == 0)
        return "an HTTP/1.1 request without a Host header field";
    return NULL;
}

/* Whether every byte of [from, to) is zero. */
static bool all_zero(uintptr_t from, uintptr_t to)
{
    for (const char *p = (const char *)from; (uintptr_t)p < to; p++)
        if (*p)
            return false;
    return true;
}

const char *framing_check_layout(const char *head, size_t head_len, const struct framing_field *f,
                                 size_t count)
{
    static const char folded[] = "a header field is continued on the next line (obsolete line "
                                 "folding), which is not accepted";
    static const char nul[] = "a header field holds a NUL byte";
    const uintptr_t start = (uintptr_t)head, end = start + head_len;
    uintptr_t prev = start;

    /* each field where its line is: a folded field's name was moved out of the head (its
     * continuation glued onto it) and the name's place zeroed */
    for (size_t i = 0; i < count; i++) {
        const uintptr_t name = (uintptr_t)f[i].name, colon = name + f[i].name_len;
        const uintptr_t value = (uintptr_t)f[i].value, value_end = value + f[i].value_len;

        if (name <= prev || colon >= end || value <= colon || value_end > end ||
            *(const char *)colon != '\0')
            return folded;
        for (const char *p = (const char *)colon + 1; (uintptr_t)p < value; p++)
            if (*p != ' ' && *p != '\t')
                return folded;
        prev = value_end;
    }
    /* between a value as parsed and the next line only the zeroed line end (after the last
     * field also the empty line's): more is what followed a NUL in the value */
    for (size_t i = 0; i < count; i++) {
        const bool last = i + 1 == count;
        const uintptr_t value_end = (uintptr_t)f[i].value + f[i].value_len;
        const uintptr_t next = last ? end : (uintptr_t)f[i + 1].name;
        const size_t gap = next - value_end;

        if (gap < (last ? 2u : 1u) || gap > (last ? 4u : 2u) || !all_zero(value_end, next))
            return nul;
    }
    return NULL;
}
