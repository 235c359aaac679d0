/*
 * buf.h - a growable, always NUL-terminated byte buffer.
 *
 * A struct buf is embedded by its user (BUF_INIT or buf_init) and released with buf_release.
 * It owns its data. Appends never fail loudly: an allocation failure or growth past `max`
 * (0 means no limit) sets the sticky `failed` flag and later appends do nothing, so a caller
 * appends a whole message and checks `failed` (or buf_ok) once. buf_take hands the data over
 * to the caller (free with lb_free) and leaves the buffer empty. Not thread-safe.
 */
#ifndef LB_UTIL_BUF_H
#define LB_UTIL_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct buf {
    char *data; /* (owned) NULL until the first append; buf_cstr never returns NULL */
    size_t len;
    size_t cap;
    size_t max; /* growth limit in bytes, 0 = none */
    bool failed;
};

#define BUF_INIT                                                                                   \
    {                                                                                              \
        NULL, 0, 0, 0, false                                                                       \
    }

/* Sets up an empty buffer limited to max bytes (0 = no limit). */
void buf_init(struct buf *b, size_t max);
/* Frees the data and empties the buffer; it may be used again. */
void buf_release(struct buf *b);
/* Empties the buffer, keeping its memory and clearing `failed`. */
void buf_reset(struct buf *b);
/* Appends len bytes. */
void buf_append(struct buf *b, const void *data, size_t len);
/* Room for n more bytes at the end, to be written in place and counted with buf_grew; NULL
 * when the buffer cannot grow (it is then failed). */
char *buf_space(struct buf *b, size_t n);
/* Counts n bytes written into buf_space's room (n at most what it gave). */
void buf_grew(struct buf *b, size_t n);
/* Appends a NUL-terminated string. */
void buf_puts(struct buf *b, const char *s);
/* Appends printf-formatted text. */
void buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends vprintf-formatted text. */
void buf_vappendf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* The contents as a C string ("" when empty). */
const char *buf_cstr(const struct buf *b);
/* true unless an append failed. */
bool buf_ok(const struct buf *b);
/* Returns the data (caller frees with lb_free; never NULL unless allocation failed) and
 * empties the buffer; NULL if an append had failed. */
char *buf_take(struct buf *b);

#endif
