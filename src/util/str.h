/*
 * str.h - non-owning string slices.
 *
 * A struct str borrows `len` bytes at `ptr` (not necessarily NUL-terminated); whoever made it
 * keeps the bytes alive. Header-only and allocation-free.
 */
#ifndef LB_UTIL_STR_H
#define LB_UTIL_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct str {
    const char *ptr;
    size_t len;
};

#define STR_LIT(s) ((struct str){(s), sizeof(s) - 1})

/* A slice of a C string (NULL gives the empty slice). */
static inline struct str str_from(const char *s)
{
    return (struct str){s ? s : "", s ? strlen(s) : 0};
}

/* true when a and b hold the same bytes. */
static inline bool str_eq(struct str a, struct str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* true when s begins with prefix. */
static inline bool str_has_prefix(struct str s, struct str prefix)
{
    return s.len >= prefix.len && memcmp(s.ptr, prefix.ptr, prefix.len) == 0;
}

#endif
