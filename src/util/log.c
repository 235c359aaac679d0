#include "log.h"

#include "timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

static enum log_level max_level = LOG_LEVEL_INFO;

void log_set_level(enum log_level level)
{
    max_level = level;
}

int log_level_parse(const char *name)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i]) == 0)
            return (int)i;
    return -1;
}

bool log_enabled(enum log_level level)
{
    return level <= max_level;
}

/* Writes "time level " at the start of line (LOG_LINE_MAX bytes); returns its length. The time
 * is written by hand (time_format_rfc3339, then the milliseconds): strftime and snprintf were
 * most of the cost of the access log's line per request. */
static size_t put_prefix(enum log_level level, char *line)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    struct timespec ts;
    long ms;
    size_t n, name_len = strlen(names[level]);

    clock_gettime(CLOCK_REALTIME, &ts);
    time_format_rfc3339(ts.tv_sec, line);
    n = strlen(line) - 1; /* at its 'Z' */
    ms = ts.tv_nsec / 1000000;
    line[n++] = '.';
    line[n++] = (char)('0' + ms / 100);
    line[n++] = (char)('0' + ms / 10 % 10);
    line[n++] = (char)('0' + ms % 10);
    line[n++] = 'Z';
    line[n++] = ' ';
    memcpy(line + n, names[level], name_len);
    n += name_len;
    line[n++] = ' ';
    return n;
}

/* Ends the line of n bytes (cut to fit) with a newline and writes it with one write(2). */
static void put_line(char *line, size_t n)
{
    if (n > LOG_LINE_MAX - 1)
        n = LOG_LINE_MAX - 1;
    line[n++] = '\n';
    if (write(STDERR_FILENO, line, n) < 0)
        return;
}

void log_write(enum log_level level, const char *fmt, ...)
{
    char line[LOG_LINE_MAX];
    size_t n;
    va_list ap;
    int r;

    if (!log_enabled(level))
        return;
    n = put_prefix(level, line);
    va_start(ap, fmt);
    r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    put_line(line, r < 0 ? n : n + (size_t)r);
}

void log_text(enum log_level level, const char *text, size_t len)
{
    char line[LOG_LINE_MAX];
    size_t n;

    if (!log_enabled(level))
        return;
    n = put_prefix(level, line);
    if (len > sizeof(line) - 1 - n)
        len = sizeof(line) - 1 - n;
    memcpy(line + n, text, len);
    put_line(line, n + len);
}
