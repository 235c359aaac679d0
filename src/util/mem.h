/*
 * mem.h - the allocator every Lockbox layer uses.
 *
 * Thin wrappers over malloc that return NULL on failure (callers turn that into LB_ENOMEM:
 * Lockbox never aborts on out-of-memory, since liblockbox and the PAM module run inside other
 * processes). lb_calloc checks n * size for overflow. In test builds (LB_TESTING defined) the
 * environment variable LB_FAIL_ALLOC_AT=N makes the Nth allocation fail, so tests can walk
 * every failure path, and lb_mem_fail_set does the same from inside a test; lb_mem_fail_now lets
 * a test's own allocators (jansson's, libcurl's) share the one counter. Thread-safe.
 */
#ifndef LB_UTIL_MEM_H
#define LB_UTIL_MEM_H

#include <stdbool.h>
#include <stddef.h>

/* malloc(size), or NULL. */
void *lb_malloc(size_t size);
/* zeroed n * size bytes, or NULL (also on overflow). */
void *lb_calloc(size_t n, size_t size);
/* realloc(p, size), or NULL leaving p untouched. */
void *lb_realloc(void *p, size_t size);
/* a new copy of s (caller frees with lb_free), or NULL; lb_strdup(NULL) is NULL. */
char *lb_strdup(const char *s);
/* a new NUL-terminated copy of the first len bytes of s, or NULL. */
char *lb_strndup(const char *s, size_t len);
/* Makes room for one more element in *items (count used of *cap, each size bytes), doubling
 * from 8; 0, or LB_ENOMEM leaving *items and *cap untouched. */
int lb_array_reserve(void *items, size_t *cap, size_t count, size_t size);
/* free(p); accepts NULL, and a pointer to const: a record's strings are const when callers
 * lend it theirs for an insert, and owned when the store filled it (as Linux's kfree). */
void lb_free(const void *p);

#ifdef LB_TESTING
/* Test hook: counting from now, the nth allocation fails (0: none); also resets lb_mem_failed.
 * It replaces LB_FAIL_ALLOC_AT, which is read at the first allocation or call of a hook. */
void lb_mem_fail_set(long nth);
/* Counts one allocation and answers whether it must fail (lb_malloc & co. call it too). */
bool lb_mem_fail_now(void);
/* How many allocations were failed since lb_mem_fail_set (0 or 1). */
long lb_mem_failed(void);
#endif

#endif
