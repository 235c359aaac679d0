/*
 * format.h - the CLI's human forms of durations and times, the inverse of parse.h.
 *
 * Durations print as the largest units first, zero parts left out: 5400 seconds is `1h30m`,
 * 28800 is `8h`, 93784 is `1d2h3m4s`, 0 is `0s`; a negative duration gets a leading `-`.
 * Times print as `2026-11-22 10:15:30 UTC`. Text from the server (anyone's username in the
 * audit log, say) is written with every terminal control character shown as '?', so it cannot
 * move the cursor, recolour or retitle the terminal. Pure functions writing into the caller's
 * buffer or stream; thread-safe.
 */
#ifndef LB_CLI_FORMAT_H
#define LB_CLI_FORMAT_H

#include <stdint.h>
#include <stdio.h>

/* Enough for the longest duration ("-106751991167300d15h30m8s") and a NUL. */
#define FORMAT_DURATION_LEN 32
/* Enough for "YYYY-MM-DD HH:MM:SS UTC" with a wide year, and a NUL. */
#define FORMAT_TIME_LEN 40

/* Writes seconds as a duration such as "1h30m" into out. */
void format_duration(int64_t seconds, char out[FORMAT_DURATION_LEN]);
/* Writes the Unix time t as "2026-11-22 10:15:30 UTC" into out. */
void format_time(int64_t t, char out[FORMAT_TIME_LEN]);
/* Writes s to out with C0 controls, DEL and (UTF-8) C1 controls as '?' (one per byte, so it
 * writes as many bytes as strlen(s)), then pads with spaces to width bytes. With newline set, a
 * '\n' is written as that string instead (say "\n" and an indent, so a line of the text can
 * never pass for a line of the output's own). */
void format_put_safe(FILE *out, const char *s, size_t width, const char *newline);

#endif
