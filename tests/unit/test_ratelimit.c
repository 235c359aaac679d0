/* http/ratelimit: the per-token bucket with an explicit clock: a burst, then the rate; tokens
 * apart; an idle token forgotten at no cost; a full set pushing out the fullest bucket; a
 * bounded table under many tokens; Retry-After in whole seconds. */
#include "http/ratelimit.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

#define SECOND 1000000LL
#define T0 (1000 * SECOND) /* a monotonic clock does not start at 0 */

static int64_t take(struct ratelimit *rl, const char *token, int64_t now)
{
    return ratelimit_take(rl, token, strlen(token), now);
}

/* How many of n calls at now go ahead. */
static int allowed(struct ratelimit *rl, const char *token, int n, int64_t now)
{
    int ok = 0;

    for (int i = 0; i < n; i++)
        ok += take(rl, token, now) == 0;
    return ok;
}

static void test_burst_then_rate(void **state)
{
    struct ratelimit *rl = ratelimit_new(10, 5, RATELIMIT_SLOTS);
    struct ratelimit_stats st;

    (void)state;
    assert_non_null(rl);
    assert_int_equal(allowed(rl, "lbx_a", 5, T0), 5);
    /* the sixth waits for one call's share: 1/10 s */
    assert_int_equal(take(rl, "lbx_a", T0), SECOND / 10);
    assert_int_equal(take(rl, "lbx_a", T0 + SECOND / 20), SECOND / 20);
    /* a refused call is not counted: after 0.1 s exactly one more goes */
    assert_int_equal(take(rl, "lbx_a", T0 + SECOND / 10), 0);
    assert_true(take(rl, "lbx_a", T0 + SECOND / 10) > 0);
    /* at the rate, every call goes */
    for (int i = 2; i < 50; i++)
        assert_int_equal(take(rl, "lbx_a", T0 + i * SECOND / 10), 0);
    /* idle for the bucket's time: a whole burst again, and no more */
    assert_int_equal(allowed(rl, "lbx_a", 8, T0 + 60 * SECOND), 5);
    ratelimit_stats(rl, T0 + 60 * SECOND, &st);
    assert_int_equal(st.limited, 2 + 1 + 3);
    assert_int_equal(st.tracked, 1);
    assert_int_equal(st.slots, RATELIMIT_SLOTS);
    ratelimit_stats(rl, T0 + 61 * SECOND, &st);
    assert_int_equal(st.tracked, 0); /* full again: nothing to remember */
    ratelimit_free(rl);
}

static void test_tokens_apart(void **state)
{
    struct ratelimit *rl = ratelimit_new(1, 3, RATELIMIT_SLOTS);

    (void)state;
    assert_int_equal(allowed(rl, "lbx_a", 10, T0), 3);
    assert_int_equal(allowed(rl, "lbx_b", 10, T0), 3);
    /* the key is every byte of the token */
    assert_int_equal(allowed(rl, "lbx_ab", 10, T0), 3);
    /* one a second: the next call of a waits a second, one half a second later half that */
    assert_int_equal(take(rl, "lbx_a", T0), SECOND);
    assert_int_equal(take(rl, "lbx_a", T0 + SECOND / 2), SECOND / 2);
    assert_int_equal(take(rl, "lbx_a", T0 + SECOND), 0);
    ratelimit_free(rl);
}

static void test_retry_after(void **state)
{
    (void)state;
    assert_int_equal(ratelimit_retry_after(0), 1);
    assert_int_equal(ratelimit_retry_after(1), 1);
    assert_int_equal(ratelimit_retry_after(SECOND), 1);
    assert_int_equal(ratelimit_retry_after(SECOND + 1), 2);
    assert_int_equal(ratelimit_retry_after(59 * SECOND + SECOND / 2), 60);
}

/* One set (8 slots): the ninth busy token takes the place of the fullest bucket, which starts
 * over full; an idle token's place is taken at no cost. */
static void test_full_set(void **state)
{
    struct ratelimit *rl = ratelimit_new(1, 2, RATELIMIT_WAYS);
    struct ratelimit_stats st;
    char name[16];

    (void)state;
    assert_non_null(rl);
    for (int i = 0; i < RATELIMIT_WAYS; i++) {
        snprintf(name, sizeof(name), "lbx_%d", i);
        /* token i empties its bucket at T0 + i/10 s: token 0's refills first */
        assert_int_equal(allowed(rl, name, 3, T0 + i * SECOND / 10), 2);
    }
    ratelimit_stats(rl, T0 + SECOND, &st);
    assert_int_equal(st.slots, RATELIMIT_WAYS);
    assert_int_equal(st.tracked, RATELIMIT_WAYS);
    assert_int_equal(st.evicted, 0);
    assert_int_equal(allowed(rl, "lbx_new", 3, T0 + SECOND), 2);
    ratelimit_stats(rl, T0 + SECOND, &st);
    assert_int_equal(st.evicted, 1);
    assert_int_equal(st.tracked, RATELIMIT_WAYS);
    /* the one pushed out was token 0 (nearest to full): it starts over with a whole burst;
     * token 7, kept, is still refused */
    assert_int_equal(allowed(rl, "lbx_7", 1, T0 + SECOND), 0);
    assert_int_equal(allowed(rl, "lbx_0", 3, T0 + SECOND), 2);
    /* two seconds later every bucket is full: a new token takes an idle place */
    assert_int_equal(allowed(rl, "lbx_other", 1, T0 + 10 * SECOND), 1);
    ratelimit_stats(rl, T0 + 10 * SECOND, &st);
    assert_int_equal(st.evicted, 2); /* lbx_0 came back by pushing another out; no more */
    assert_int_equal(st.tracked, 1);
    ratelimit_free(rl);
}

/* Many more tokens than the table holds: each new one is served, the table stays its size. */
static void test_many_tokens(void **state)
{
    struct ratelimit *rl = ratelimit_new(1, 1, RATELIMIT_SLOTS);
    struct ratelimit_stats st;
    char name[24];
    int served = 0;

    (void)state;
    for (int i = 0; i < 4 * RATELIMIT_SLOTS; i++) {
        snprintf(name, sizeof(name), "lbx_%d", i);
        served += take(rl, name, T0) == 0;
    }
    assert_int_equal(served, 4 * RATELIMIT_SLOTS);
    ratelimit_stats(rl, T0, &st);
    assert_int_equal(st.slots, RATELIMIT_SLOTS);
    assert_int_equal(st.tracked, RATELIMIT_SLOTS);
    assert_int_equal(st.evicted, 3 * RATELIMIT_SLOTS);
    ratelimit_free(rl);
}

static void test_off_and_bounds(void **state)
{
    struct ratelimit_stats st;

    (void)state;
    assert_int_equal(take(NULL, "lbx_a", T0), 0);
    ratelimit_stats(NULL, T0, &st);
    assert_int_equal(st.limited + st.tracked + st.slots + st.evicted, 0);
    assert_null(ratelimit_new(0, 1, RATELIMIT_SLOTS));
    assert_null(ratelimit_new(RATELIMIT_MAX_PER_SECOND + 1, 1, RATELIMIT_SLOTS));
    assert_null(ratelimit_new(1, 0, RATELIMIT_SLOTS));
    assert_null(ratelimit_new(1, 1, 0));
    /* a bucket so deep that a due time plus an interval would overflow */
    assert_null(ratelimit_new(1, INT64_MAX / 1000000000LL, RATELIMIT_SLOTS));
    ratelimit_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_rate), cmocka_unit_test(test_tokens_apart),
        cmocka_unit_test(test_retry_after),     cmocka_unit_test(test_full_set),
        cmocka_unit_test(test_many_tokens),     cmocka_unit_test(test_off_and_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
