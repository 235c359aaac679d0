/* The CLI's parsing of durations, times and counts. */
#include "cli/parse.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

static void durations_take_units(void **state)
{
    int64_t s = 0;

    (void)state;
    assert_int_equal(parse_duration("90s", &s), 0);
    assert_int_equal(s, 90);
    assert_int_equal(parse_duration("15m", &s), 0);
    assert_int_equal(s, 900);
    assert_int_equal(parse_duration("4h", &s), 0);
    assert_int_equal(s, 14400);
    assert_int_equal(parse_duration("2d", &s), 0);
    assert_int_equal(s, 172800);
    assert_int_equal(parse_duration("3600", &s), 0);
    assert_int_equal(s, 3600);
}

static void bad_durations_are_refused(void **state)
{
    static const char *const bad[] = {
        "", "h", "4x", "-4h", "0s", "4hh", "4 h", " 4h", "1.5h", "99999999999999999999d", "4H"};
    int64_t s = 7;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse_duration(bad[i], &s), LB_EINVAL);
    assert_int_equal(parse_duration(NULL, &s), LB_EINVAL);
    assert_int_equal(s, 7);
}

static void times_are_absolute_or_relative(void **state)
{
    const int64_t now = 1795000000;
    int64_t t = 0;

    (void)state;
    assert_int_equal(parse_time("2026-11-22T10:15:30Z", now, &t), 0);
    assert_int_equal(t, 1795342530);
    assert_int_equal(parse_time("2026-11-22T11:15:30+01:00", now, &t), 0);
    assert_int_equal(t, 1795342530);
    assert_int_equal(parse_time("now", now, &t), 0);
    assert_int_equal(t, now);
    assert_int_equal(parse_time("-24h", now, &t), 0);
    assert_int_equal(t, now - 86400);
    assert_int_equal(parse_time("+15m", now, &t), 0);
    assert_int_equal(t, now + 900);
    assert_int_equal(parse_time("yesterday", now, &t), LB_EINVAL);
    assert_int_equal(parse_time("-", now, &t), LB_EINVAL);
    assert_int_equal(parse_time("", now, &t), LB_EINVAL);
    assert_int_equal(parse_time("2026-13-01T00:00:00Z", now, &t), LB_EINVAL);
}

static void counts_are_bounded(void **state)
{
    long n = 0;

    (void)state;
    assert_int_equal(parse_count("50", 1, 1000, &n), 0);
    assert_int_equal(n, 50);
    assert_int_equal(parse_count("0", 1, 1000, &n), LB_EINVAL);
    assert_int_equal(parse_count("1001", 1, 1000, &n), LB_EINVAL);
    assert_int_equal(parse_count("ten", 1, 1000, &n), LB_EINVAL);
    assert_int_equal(parse_count("5x", 1, 1000, &n), LB_EINVAL);
    assert_int_equal(parse_count("-5", 1, 1000, &n), LB_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(durations_take_units),
        cmocka_unit_test(bad_durations_are_refused),
        cmocka_unit_test(times_are_absolute_or_relative),
        cmocka_unit_test(counts_are_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
