/* Durations and times as people type them; see parse.h. */
#include "cli/parse.h"

#include "util/timeutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

static int64_t unit_seconds(char unit)
{
    switch (unit) {
    case '\0':
    case 's':
        return 1;
    case 'm':
        return 60;
    case 'h':
        return 3600;
    case 'd':
        return 86400;
    default:
        return 0;
    }
}

int parse_duration(const char *text, int64_t *seconds)
{
    char *end = NULL;
    long long n;
    int64_t unit;

    if (!text || !isdigit((unsigned char)text[0]))
        return LB_EINVAL;
    errno = 0;
    n = strtoll(text, &end, 10);
    if (errno || n <= 0 || (end[0] && end[1]) || !(unit = unit_seconds(end[0])))
        return LB_EINVAL;
    if (n > INT64_MAX / unit)
        return LB_EINVAL;
    *seconds = (int64_t)n * unit;
    return 0;
}

int parse_time(const char *text, int64_t now, int64_t *at)
{
    int64_t d;

    if (!text || !*text)
        return LB_EINVAL;
    if (strcmp(text, "now") == 0) {
        *at = now;
        return 0;
    }
    if (text[0] == '-' || text[0] == '+') {
        if (parse_duration(text + 1, &d) != 0)
            return LB_EINVAL;
        *at = text[0] == '-' ? now - d : now + d;
        return 0;
    }
    return time_parse_rfc3339(text, at);
}

int parse_count(const char *text, long min, long max, long *out)
{
    char *end = NULL;
    long n;

    if (!text || !isdigit((unsigned char)text[0]))
        return LB_EINVAL;
    errno = 0;
    n = strtol(text, &end, 10);
    if (errno || *end || n < min || n > max)
        return LB_EINVAL;
    *out = n;
    return 0;
}
