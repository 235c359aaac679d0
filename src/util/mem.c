#include "mem.h"

#include "err.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#ifdef LB_TESTING
static atomic_long alloc_count;
static atomic_long fail_at;
static atomic_long failed_count;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static void env_read(void)
{
    const char *v = getenv("LB_FAIL_ALLOC_AT");

    atomic_store(&fail_at, v ? strtol(v, NULL, 10) : 0);
}

void lb_mem_fail_set(long nth)
{
    pthread_once(&env_once, env_read);
    atomic_store(&fail_at, 0);
    atomic_store(&alloc_count, 0);
    atomic_store(&failed_count, 0);
    atomic_store(&fail_at, nth > 0 ? nth : 0);
}

bool lb_mem_fail_now(void)
{
    long at;

    pthread_once(&env_once, env_read);
    at = atomic_load(&fail_at);
    if (at <= 0 || atomic_fetch_add(&alloc_count, 1) + 1 != at)
        return false;
    atomic_fetch_add(&failed_count, 1);
    return true;
}

long lb_mem_failed(void)
{
    return atomic_load(&failed_count);
}

static bool should_fail(void)
{
    return lb_mem_fail_now();
}
#else
static bool should_fail(void)
{
    return false;
}
#endif

void *lb_malloc(size_t size)
{
    if (should_fail())
        return NULL;
    return malloc(size ? size : 1);
}

void *lb_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    if (should_fail())
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *lb_realloc(void *p, size_t size)
{
    if (should_fail())
        return NULL;
    return realloc(p, size ? size : 1);
}

char *lb_strndup(const char *s, size_t len)
{
    char *copy = lb_malloc(len + 1);

    if (!copy)
        return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

char *lb_strdup(const char *s)
{
    if (!s)
        return NULL;
    return lb_strndup(s, strlen(s));
}

int lb_array_reserve(void *items, size_t *cap, size_t count, size_t size)
{
    void **slot = items;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *nv;

    if (count < *cap)
        return 0;
    if (ncap < *cap || ncap > SIZE_MAX / size || !(nv = lb_realloc(*slot, ncap * size)))
        return LB_ENOMEM;
    *slot = nv;
    *cap = ncap;
    return 0;
}

void lb_free(const void *p)
{
    free((void *)p);
}
