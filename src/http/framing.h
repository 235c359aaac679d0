/*
 * framing.h - the checks that keep a request's framing unambiguous (RFC 9112 section 6.3).
 *
 * libmicrohttpd parses the request head; the server runs these checks on what it parsed, in the
 * first access-handler call (every header field is there, none of the body has been read), and
 * refuses with 400 what a careful server must not guess at: two Content-Length fields,
 * Content-Length beside Transfer-Encoding, a transfer coding other than chunked, Transfer-Encoding
 * in HTTP/1.0, a missing or repeated Host, a field name that is not a token (a space before the
 * colon), a control character such as a bare CR in a field value. framing_check_layout() finds
 * from where libmicrohttpd 0.9.75 left the fields in its read buffer what it hides from the
 * field values themselves: obsolete line folding (it glues the continuation onto the field's
 * name) and NUL bytes (it cuts the value at the first one).
 * Pure functions over borrowed strings, thread-safe. Each answers NULL when the head is
 * acceptable, else a static sentence saying what was wrong (a problem's detail).
 */
#ifndef LB_HTTP_FRAMING_H
#define LB_HTTP_FRAMING_H

#include <stdbool.h>
#include <stddef.h>

/* One header field as parsed: name and value are borrowed, neither need be NUL-terminated. */
struct framing_field {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

/* Checks the fields (in arrival order) of one request; http_1_1: the request is HTTP/1.1 or
 * later (Host required, Transfer-Encoding allowed). */
const char *framing_check_fields(const struct framing_field *f, size_t count, bool http_1_1);

/* Checks that the fields lie in head[0, head_len) as libmicrohttpd 0.9.75 leaves one field a
 * line: in order, "NAME\0" (the colon zeroed), spaces or tabs, "VALUE", then the line end zeroed
 * (1 or 2 bytes; after the last field also the empty line's, 2 to 4 bytes) and nothing else.
 * head is the start of the request line (the method libmicrohttpd passes), head_len its
 * MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE; the fields point into head. */
const char *framing_check_layout(const char *head, size_t head_len, const struct framing_field *f,
                                 size_t count);

#endif
