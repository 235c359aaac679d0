/*
 * timeutil.h - wall-clock time as Unix seconds and its RFC 3339 text form.
 *
 * Lockbox keeps every instant as int64_t Unix seconds (names end in `_at`) and shows it as
 * RFC 3339 UTC with a `Z` ("2026-11-22T10:15:30Z"). Parsing accepts fractions (dropped) and
 * numeric offsets. Pure functions; thread-safe.
 */
#ifndef LB_UTIL_TIMEUTIL_H
#define LB_UTIL_TIMEUTIL_H

#include "err.h"

#include <stddef.h>
#include <stdint.h>

/* Enough for "YYYY-MM-DDTHH:MM:SSZ" and a NUL. */
#define TIME_RFC3339_LEN 32

/* Writes t as RFC 3339 UTC into out (at least TIME_RFC3339_LEN bytes); years 0 to 9999 by
 * hand, with four digits and no lock (the doors write one per answer), others as strftime. */
void time_format_rfc3339(int64_t t, char out[TIME_RFC3339_LEN]);
/* Parses RFC 3339 text into *t; LB_EINVAL when it is not a valid time. */
LB_MUST_CHECK int time_parse_rfc3339(const char *text, int64_t *t);
/* The current wall-clock time in Unix seconds. */
int64_t time_now(void);
/* Monotonic microseconds, for measuring durations. */
int64_t time_mono_us(void);

#endif
