/*
 * log.h - the daemon's log lines on stderr.
 *
 * One line per call, "time level message", with key=value fields in the message. The level is
 * tested before anything is formatted. log_set_level is called once at start-up, before any
 * thread runs (it is the process configuration, not shared mutable state). Never log a secret:
 * no password, token, TOTP code or secret key reaches these functions. Thread-safe: each line
 * is written with one write(2).
 */
#ifndef LB_UTIL_LOG_H
#define LB_UTIL_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Sets the most verbose level written. */
void log_set_level(enum log_level level);
/* Parses "error", "warn", "info" or "debug"; -1 for anything else. */
int log_level_parse(const char *name);
/* true when lines of this level are written. */
bool log_enabled(enum log_level level);

/* The longest line written, its newline included; a longer message is cut to fit. */
#define LOG_LINE_MAX 2048

void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes the len bytes of text as a message, formatted by the caller (the access log's line per
 * request, written by hand to spare formatted printing). */
void log_text(enum log_level level, const char *text, size_t len);

#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_write(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)                                                                              \
    do {                                                                                           \
        if (log_enabled(LOG_LEVEL_INFO))                                                           \
            log_write(LOG_LEVEL_INFO, __VA_ARGS__);                                                \
    } while (0)
#define log_debug(...)                                                                             \
    do {                                                                                           \
        if (log_enabled(LOG_LEVEL_DEBUG))                                                          \
            log_write(LOG_LEVEL_DEBUG, __VA_ARGS__);                                               \
    } while (0)

#endif
