#include "timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "banned.h"

/* The civil date of day z counted from 1970-01-01 (Howard Hinnant's civil_from_days). */
static void civil_from_days(int64_t z, int64_t *year, int *month, int *day)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;

    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

/* Writes v as n decimal digits at out. */
static void put_digits(char *out, int64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        out[i] = (char)('0' + v % 10);
}

void time_format_rfc3339(int64_t t, char out[TIME_RFC3339_LEN])
{
    int64_t days = t / 86400, secs = t % 86400, year;
    int month, day;
    time_t tt = (time_t)t;
    struct tm tm;

    if (secs < 0) {
        secs += 86400;
        days--;
    }
    civil_from_days(days, &year, &month, &day);
    if (year >= 0 && year <= 9999) {
        /* by hand: the doors write one per answer, and gmtime_r takes glibc's zone lock */
        put_digits(out, year, 4);
        out[4] = '-';
        put_digits(out + 5, month, 2);
        out[7] = '-';
        put_digits(out + 8, day, 2);
        out[10] = 'T';
        put_digits(out + 11, secs / 3600, 2);
        out[13] = ':';
        put_digits(out + 14, secs / 60 % 60, 2);
        out[16] = ':';
        put_digits(out + 17, secs % 60, 2);
        out[19] = 'Z';
        out[20] = '\0';
        return;
    }
    if (!gmtime_r(&tt, &tm) || strftime(out, TIME_RFC3339_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, TIME_RFC3339_LEN, "1970-01-01T00:00:00Z");
}

static int digits(const char *s, int n, int *value)
{
    *value = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return LB_EINVAL;
        *value = *value * 10 + (s[i] - '0');
    }
    return 0;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    return days[month - 1] + (month == 2 && leap);
}

/* Days from 1970-01-01 to the given civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}

int time_parse_rfc3339(const char *s, int64_t *t)
{
    int year, mon, day, hour, min, sec, off_h, off_m, sign;
    const char *p;

    if (strlen(s) < 20 || digits(s, 4, &year) || s[4] != '-' || digits(s + 5, 2, &mon) ||
        s[7] != '-' || digits(s + 8, 2, &day) || (s[10] != 'T' && s[10] != 't') ||
        digits(s + 11, 2, &hour) || s[13] != ':' || digits(s + 14, 2, &min) || s[16] != ':' ||
        digits(s + 17, 2, &sec))
        return LB_EINVAL;
    if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) || hour > 23 || min > 59 ||
        sec > 60)
        return LB_EINVAL;
    p = s + 19;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return LB_EINVAL;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        sign = 0, off_h = 0, off_m = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':' &&
               !digits(p + 1, 2, &off_h) && !digits(p + 4, 2, &off_m) && off_h < 24 && off_m < 60) {
        sign = *p == '+' ? 1 : -1;
    } else {
        return LB_EINVAL;
    }
    *t = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + (sec == 60 ? 59 : sec) -
         sign * (off_h * 3600 + off_m * 60);
    return 0;
}

int64_t time_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

int64_t time_mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
