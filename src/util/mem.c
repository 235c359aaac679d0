#include "mem.h"

#include "banned.h"
#include "err.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef LB_TESTING
static atomic_long alloc_count;
static long fail_at = -1;
static atomic_int fail_init;

static int should_fail(void) {
  if (atomic_exchange(&fail_init, 1) == 0) {
    const char *v = getenv("LB_FAIL_ALLOC_AT");
    fail_at = v ? strtol(v, NULL, 10) : -1;
  }
  return fail_at > 0 && atomic_fetch_add(&alloc_count, 1) + 1 == fail_at;
}
#else
static int should_fail(void) { return 0; }
#endif

void *lb_malloc(size_t size) {
  if (should_fail())
    return NULL;
  return malloc(size ? size : 1);
}

void *lb_calloc(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size)
    return NULL;
  if (should_fail())
    return NULL;
  return calloc(n ? n : 1, size ? size : 1);
}

void *lb_realloc(void *p, size_t size) {
  if (should_fail())
    return NULL;
  return realloc(p, size ? size : 1);
}

char *lb_strndup(const char *s, size_t len) {
  char *copy = lb_malloc(len + 1);

  if (!copy)
    return NULL;
  memcpy(copy, s, len);
  copy[len] = '\0';
  return copy;
}

char *lb_strdup(const char *s) {
  if (!s)
    return NULL;
  return lb_strndup(s, strlen(s));
}

int lb_array_reserve(void *items, size_t *cap, size_t count, size_t size) {
  void **slot = items;
  size_t ncap = *cap ? *cap * 2 : 8;
  void *nv;

  if (count < *cap)
    return 0;
  if (ncap < *cap || ncap > SIZE_MAX / size ||
      !(nv = lb_realloc(*slot, ncap * size)))
    return LB_ENOMEM;
  *slot = nv;
  *cap = ncap;
  return 0;
}

void lb_free(void *p) { free(p); }
