/*
 * clock.h - the injectable wall clock of core/.
 *
 * Core never reads the system clock directly: it asks a struct clock, so unit tests move time
 * without sleeping. clock_system() is the real one. A clock is a value; it owns nothing.
 */
#ifndef LB_CORE_CLOCK_H
#define LB_CORE_CLOCK_H

#include <stdint.h>

/* Returns the current time in Unix seconds. */
typedef int64_t lb_clock_fn(void *ctx);

struct clock {
    lb_clock_fn *now;
    void *ctx;
};

/* The system's wall clock. */
struct clock clock_system(void);

static inline int64_t clock_now(const struct clock *c)
{
    return c->now(c->ctx);
}

#endif
