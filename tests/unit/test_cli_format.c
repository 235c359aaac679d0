/* The CLI's human forms of durations and times. */
#include "cli/format.h"
#include "cli/parse.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

static void durations_read_largest_unit_first(void **state)
{
    static const struct {
        int64_t seconds;
        const char *text;
    } cases[] = {
        {0, "0s"},           {1, "1s"},       {59, "59s"},     {60, "1m"},        {90, "1m30s"},
        {3600, "1h"},        {5400, "1h30m"}, {28800, "8h"},   {86400, "1d"},     {90000, "1d1h"},
        {93784, "1d2h3m4s"}, {345600, "4d"},  {86401, "1d1s"}, {-5400, "-1h30m"}, {-1, "-1s"},
    };
    char out[FORMAT_DURATION_LEN];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        format_duration(cases[i].seconds, out);
        assert_string_equal(out, cases[i].text);
    }
}

static void extreme_durations_fit(void **state)
{
    char out[FORMAT_DURATION_LEN];

    (void)state;
    format_duration(INT64_MAX, out);
    assert_string_equal(out, "106751991167300d15h30m7s");
    format_duration(INT64_MIN, out);
    assert_string_equal(out, "-106751991167300d15h30m8s");
}

static void whole_units_parse_back(void **state)
{
    static const int64_t values[] = {1, 60, 900, 3600, 28800, 86400, 172800};
    char out[FORMAT_DURATION_LEN];
    int64_t back = 0;

    (void)state;
    /* A duration of one unit prints in a form `--duration` takes back. */
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        format_duration(values[i], out);
        assert_int_equal(parse_duration(out, &back), 0);
        assert_int_equal(back, values[i]);
    }
}

static void times_read_as_utc(void **state)
{
    char out[FORMAT_TIME_LEN];

    (void)state;
    format_time(1795342530, out);
    assert_string_equal(out, "2026-11-22 10:15:30 UTC");
    format_time(0, out);
    assert_string_equal(out, "1970-01-01 00:00:00 UTC");
}

/* What format_put_safe writes for s padded to width, as a string the caller frees. */
static char *put_safe(const char *s, size_t width, const char *newline)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    assert_non_null(f);
    format_put_safe(f, s, width, newline);
    assert_int_equal(fclose(f), 0);
    return text;
}

static void server_text_cannot_drive_the_terminal(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"alice", "alice"},
        {"\x1b[31mred\x1b[0m", "?[31mred?[0m"}, /* ANSI colour */
        {"\x1b]0;owned\x07", "?]0;owned?"},     /* window title */
        {"a\rb\nc\td", "a?b?c?d"},              /* no line overwritten, no row faked */
        {"del\x7f", "del?"},
        {"csi\xc2\x9b"
         "31m",
         "csi??31m"},                                             /* C1 CSI in UTF-8 */
        {"caf\xc3\xa9 \xe2\x9c\x93", "caf\xc3\xa9 \xe2\x9c\x93"}, /* other UTF-8 kept */
        {"\xc2\xa0nbsp", "\xc2\xa0nbsp"},                         /* U+00A0 is no control */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = put_safe(cases[i].in, 0, NULL);
        assert_string_equal(got, cases[i].out);
        free(got);
    }
    char *padded = put_safe("ab\x1b", 6, NULL);
    assert_string_equal(padded, "ab?   "); /* as many bytes as the input, then the padding */
    free(padded);
    char *lines = put_safe("one\ntwo\r\n", 0, "\n  ");
    assert_string_equal(lines, "one\n  two?\n  "); /* continued lines indented, CR still '?' */
    free(lines);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(durations_read_largest_unit_first),
        cmocka_unit_test(extreme_durations_fit),
        cmocka_unit_test(whole_units_parse_back),
        cmocka_unit_test(times_read_as_utc),
        cmocka_unit_test(server_text_cannot_drive_the_terminal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
