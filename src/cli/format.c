/* Durations and times as people read them; see format.h. */
#include "cli/format.h"

#include "util/timeutil.h"

#include <stdbool.h>
#include <stdio.h>

#include "util/banned.h"

void format_duration(int64_t seconds, char out[FORMAT_DURATION_LEN])
{
    static const struct {
        char unit;
        uint64_t seconds;
    } units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
    /* The magnitude as unsigned, so INT64_MIN has one too. */
    uint64_t left = seconds < 0 ? 0 - (uint64_t)seconds : (uint64_t)seconds;
    size_t len = 0;

    if (seconds < 0)
        out[len++] = '-';
    out[len] = '\0';
    if (left == 0) {
        snprintf(out, FORMAT_DURATION_LEN, "0s");
        return;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        uint64_t n = left / units[i].seconds;
        if (!n)
            continue;
        left -= n * units[i].seconds;
        int w = snprintf(out + len, FORMAT_DURATION_LEN - len, "%llu%c", (unsigned long long)n,
                         units[i].unit);
        if (w < 0 || (size_t)w >= FORMAT_DURATION_LEN - len)
            return;
        len += (size_t)w;
    }
}

void format_time(int64_t t, char out[FORMAT_TIME_LEN])
{
    char iso[TIME_RFC3339_LEN];

    time_format_rfc3339(t, iso);
    /* "2026-11-22T10:15:30Z" -> "2026-11-22 10:15:30 UTC" */
    snprintf(out, FORMAT_TIME_LEN, "%.10s %.8s UTC", iso, iso + 11);
}

void format_put_safe(FILE *out, const char *s, size_t width, const char *newline)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;

    for (; p[n]; n++) {
        if (p[n] == '\n' && newline) {
            fputs(newline, out);
            continue;
        }
        /* C1 controls (U+0080..U+009F, such as CSI U+009B) are 0xC2 0x80..0x9F in UTF-8 */
        bool c1 = (p[n] == 0xC2 && p[n + 1] >= 0x80 && p[n + 1] <= 0x9F) ||
                  (n > 0 && p[n - 1] == 0xC2 && p[n] >= 0x80 && p[n] <= 0x9F);
        fputc(p[n] < 0x20 || p[n] == 0x7F || c1 ? '?' : p[n], out);
    }
    for (; n < width; n++)
        fputc(' ', out);
}
