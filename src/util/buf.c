#include "buf.h"

#include "mem.h"

#include <stdio.h>
#include <string.h>

#include "banned.h"

void buf_init(struct buf *b, size_t max)
{
    *b = (struct buf)BUF_INIT;
    b->max = max;
}

void buf_release(struct buf *b)
{
    size_t max = b->max;

    lb_free(b->data);
    buf_init(b, max);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    b->failed = false;
    if (b->data)
        b->data[0] = '\0';
}

static bool grow(struct buf *b, size_t extra)
{
    size_t need, cap;
    char *data;

    if (b->failed)
        return false;
    if (extra > (size_t)-1 - b->len - 1 || (b->max && b->len + extra > b->max)) {
        b->failed = true;
        return false;
    }
    need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > (size_t)-1 / 2 ? need : cap * 2;
    data = lb_realloc(b->data, cap);
    if (!data) {
        b->failed = true;
        return false;
    }
    b->data = data;
    b->cap = cap;
    return true;
}

void buf_append(struct buf *b, const void *data, size_t len)
{
    if (!grow(b, len))
        return;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

char *buf_space(struct buf *b, size_t n)
{
    return grow(b, n) ? b->data + b->len : NULL;
}

void buf_grew(struct buf *b, size_t n)
{
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_vappendf(struct buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    int n;

    va_copy(copy, ap);
    n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if (!grow(b, (size_t)n))
        return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void buf_appendf(struct buf *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    buf_vappendf(b, fmt, ap);
    va_end(ap);
}

const char *buf_cstr(const struct buf *b)
{
    return b->data ? b->data : "";
}

bool buf_ok(const struct buf *b)
{
    return !b->failed;
}

char *buf_take(struct buf *b)
{
    char *data;

    if (b->failed) {
        buf_release(b);
        return NULL;
    }
    data = b->data ? b->data : lb_strdup("");
    b->data = NULL;
    buf_release(b);
    return data;
}
