/*
 * util/timeutil.h: RFC 3339 text written by hand agrees with gmtime_r and strftime over four
 * centuries of days, every second of a day, leap days and the edges of the range it writes
 * itself (years 0 to 9999, always four digits); and what it writes parses back.
 */
#include "util/timeutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

static void expect_as_libc(int64_t t)
{
    char mine[TIME_RFC3339_LEN], libc[TIME_RFC3339_LEN];
    time_t tt = (time_t)t;
    struct tm tm;
    int64_t back = 0;

    assert_non_null(gmtime_r(&tt, &tm));
    assert_true(strftime(libc, sizeof(libc), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0);
    time_format_rfc3339(t, mine);
    if (strcmp(mine, libc) != 0)
        fail_msg("t=%lld: wrote %s, libc %s", (long long)t, mine, libc);
    if (tm.tm_year + 1900 >= 0 && tm.tm_year + 1900 <= 9999) {
        assert_int_equal(time_parse_rfc3339(mine, &back), 0);
        assert_int_equal(back, t);
    }
}

static void days_of_four_centuries(void **state)
{
    (void)state;
    /* 1900..2300: every day, at a second that moves through the day */
    for (int64_t day = -25567; day < 120000; day++)
        expect_as_libc(day * 86400 + (day * 7919) % 86400);
}

static void seconds_of_a_day_and_the_edges(void **state)
{
    const int64_t edges[] = {0,
                             -1,
                             951782400 - 1, /* 2000-02-28T23:59:59Z, before a leap day */
                             951868800,     /* 2000-03-01 */
                             4107542400,    /* 2100-03-01: 2100 is no leap year */
                             -30610224000,  /* 1000-01-01T00:00:00Z */
                             253402300799,  /* 9999-12-31T23:59:59Z, the last written by hand */
                             253402300800,  /* 10000: libc's way */
                             -62167219201}; /* -0001: libc's way */

    (void)state;
    for (int64_t s = 0; s < 86400; s++)
        expect_as_libc(1795000000 / 86400 * 86400 + s);
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
        expect_as_libc(edges[i]);
}

static void years_below_1000_keep_four_digits(void **state)
{
    char text[TIME_RFC3339_LEN];
    int64_t back = 0;

    (void)state;
    /* strftime's %Y writes "0" and "999"; RFC 3339 wants four digits, which parse back */
    time_format_rfc3339(-62167219200, text);
    assert_string_equal(text, "0000-01-01T00:00:00Z");
    time_format_rfc3339(-30610224001, text);
    assert_string_equal(text, "0999-12-31T23:59:59Z");
    assert_int_equal(time_parse_rfc3339(text, &back), 0);
    assert_int_equal(back, -30610224001);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(days_of_four_centuries),
        cmocka_unit_test(seconds_of_a_day_and_the_edges),
        cmocka_unit_test(years_below_1000_keep_four_digits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
