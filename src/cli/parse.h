/*
 * parse.h - the CLI's parsing of durations and times typed by people.
 *
 * Durations: a positive whole number with a unit, `90s`, `15m`, `4h`, `2d` (a bare number is
 * seconds). Times: RFC 3339 (`2026-11-22T10:15:30Z`, fractions and offsets allowed), `now`, or a
 * relative form `-24h` / `+15m` from `now`. Counts: a whole decimal number within bounds. Pure
 * functions; 0 on success, LB_EINVAL when the text is not one of these forms or overflows.
 */
#ifndef LB_CLI_PARSE_H
#define LB_CLI_PARSE_H

#include "util/err.h"

#include <stdint.h>

/* Parses a duration into whole seconds (> 0). */
LB_MUST_CHECK int parse_duration(const char *text, int64_t *seconds);
/* Parses an absolute or relative time into Unix seconds, relative to now. */
LB_MUST_CHECK int parse_time(const char *text, int64_t now, int64_t *at);

/* Parses a whole number in [min, max]. */
LB_MUST_CHECK int parse_count(const char *text, long min, long max, long *out);

#endif
