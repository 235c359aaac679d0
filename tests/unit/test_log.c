/*
 * util/log.h: a line is "time level message", the time RFC 3339 UTC with milliseconds; a
 * message written by the caller (log_text) reads as the same message formatted by log_write;
 * a long one is cut to LOG_LINE_MAX bytes with its newline; a level below the set one writes
 * nothing.
 */
#include "util/log.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

/* stderr goes into a pipe while a test writes; read_lines takes what was written */
static int saved_stderr = -1, pipe_read = -1;

static int capture(void **state)
{
    int p[2];

    (void)state;
    assert_int_equal(pipe(p), 0);
    saved_stderr = dup(STDERR_FILENO);
    assert_true(saved_stderr >= 0);
    assert_true(dup2(p[1], STDERR_FILENO) >= 0);
    close(p[1]);
    pipe_read = p[0];
    log_set_level(LOG_LEVEL_INFO);
    return 0;
}

static int release(void **state)
{
    (void)state;
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    close(pipe_read);
    return 0;
}

/* What was written so far (a new string; the pipe holds far more than these tests write). */
static char *taken(void)
{
    static char text[4 * LOG_LINE_MAX];
    ssize_t n;

    n = read(pipe_read, text, sizeof(text) - 1);
    text[n > 0 ? n : 0] = '\0';
    char *copy = strdup(text);
    if (!copy)
        abort(); /* out of memory: no test can go on */
    return copy;
}

/* true when line starts "YYYY-MM-DDTHH:MM:SS.mmmZ level " */
static bool has_prefix(const char *line, const char *level)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ ";
    size_t n = sizeof(shape) - 1;

    for (size_t i = 0; i < n; i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char)line[i]) : line[i] != shape[i])
            return false;
    return strncmp(line + n, level, strlen(level)) == 0 && line[n + strlen(level)] == ' ';
}

static void a_line_has_the_time_the_level_and_the_message(void **state)
{
    char *out;

    capture(state);
    log_write(LOG_LEVEL_WARN, "x=%d y=%s", 1, "two");
    log_text(LOG_LEVEL_INFO, "x=1 y=two", 9);
    log_text(LOG_LEVEL_DEBUG, "not written", 11);
    out = taken();
    release(state);
    char *second = strchr(out, '\n');
    assert_non_null(second);
    second++;
    assert_true(has_prefix(out, "warn"));
    assert_true(has_prefix(second, "info"));
    assert_memory_equal(out + 30, "x=1 y=two\n", 10);
    assert_string_equal(second + 30, "x=1 y=two\n");
    free(out);
}

static void a_long_message_is_cut_to_the_longest_line(void **state)
{
    char *big = malloc(3 * LOG_LINE_MAX), *out;

    assert_non_null(big);
    memset(big, 'a', 3 * LOG_LINE_MAX);
    capture(state);
    log_text(LOG_LEVEL_INFO, big, 3 * LOG_LINE_MAX);
    big[3 * LOG_LINE_MAX - 1] = '\0';
    log_write(LOG_LEVEL_INFO, "%s", big);
    out = taken();
    release(state);
    for (int i = 0; i < 2; i++) {
        char *nl = strchr(out + i * LOG_LINE_MAX, '\n');
        assert_non_null(nl);
        assert_int_equal(nl - out, (i + 1) * LOG_LINE_MAX - 1);
    }
    assert_int_equal(strlen(out), 2 * LOG_LINE_MAX);
    free(big);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_line_has_the_time_the_level_and_the_message),
        cmocka_unit_test(a_long_message_is_cut_to_the_longest_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
