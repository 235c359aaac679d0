/*
 * core/grants.h, the in-memory index the doors ask: a grant answers for its operator, resource,
 * tenant and level until it ends, the latest-ending grant is named, removal takes exactly one
 * request's entries, pairs that share their bytes in another split are told apart, and the index
 * keeps answering as it grows past its first table. Changes heard from other nodes arrive late
 * and maybe twice: adding twice keeps one entry, a grant removed before its end never comes
 * back by a late add or a rebuild, and a rebuild replaces the whole index at once.
 */
#include "core/grants.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

#define T0 1795000000
#define TENANT "11111111-1111-4111-8111-111111111111"
#define OTHER "22222222-2222-4222-8222-222222222222"

/* A request of op on the given resources (borrowed strings). */
static struct request req(const char *id, const char *op, char **res, size_t n,
                          enum access_level level, int64_t ends_at)
{
    return (struct request){.id = (char *)id,
                            .tenant_id = TENANT,
                            .requester_username = (char *)op,
                            .resource_ids = res,
                            .resource_count = n,
                            .access_level = level,
                            .grant_ends_at = ends_at};
}

static bool can(struct grants *g, const char *op, const char *res, const char *tenant,
                enum access_level level, int64_t now, struct grant_match *m)
{
    struct grant_match ignored;

    return grants_check(g, op, res, tenant, level, now, m ? m : &ignored);
}

static void a_grant_answers_for_its_pair_tenant_level_and_time(void **state)
{
    struct grants *g = grants_new();
    char *res[] = {"/s1/vm1", "/s1/vm2"};
    struct request r =
        req("aaaaaaaa-0000-4000-8000-000000000001", "eng", res, 2, ACCESS_WRITE, T0 + 100);
    struct grant_match m = {0};

    (void)state;
    assert_int_equal(grants_add(g, &r), 0);
    assert_int_equal(grants_count(g), 2);
    assert_true(can(g, "eng", "/s1/vm1", TENANT, ACCESS_READ, T0, &m));
    assert_string_equal(m.request_id, r.id);
    assert_int_equal(m.ends_at, T0 + 100);
    assert_true(can(g, "eng", "/s1/vm2", TENANT, ACCESS_WRITE, T0 + 99, NULL));
    assert_false(can(g, "eng", "/s1/vm2", TENANT, ACCESS_ADMIN, T0, NULL));
    assert_false(can(g, "eng", "/s1/vm1", TENANT, ACCESS_READ, T0 + 100, NULL)); /* ended */
    assert_false(can(g, "eng", "/s1/vm1", OTHER, ACCESS_READ, T0, NULL));        /* owner moved */
    assert_false(can(g, "eng2", "/s1/vm1", TENANT, ACCESS_READ, T0, NULL));
    assert_false(can(g, "eng", "/s1/vm3", TENANT, ACCESS_READ, T0, NULL));
    assert_false(can(g, "eng", "/s1/vm", TENANT, ACCESS_READ, T0, NULL));
    assert_false(can(g, "eng", "/s1/vm10", TENANT, ACCESS_READ, T0, NULL));
    grants_remove(g, &r, T0);
    assert_int_equal(grants_count(g), 0);
    assert_false(can(g, "eng", "/s1/vm1", TENANT, ACCESS_READ, T0, NULL));
    grants_free(g);
}

static void the_latest_end_is_named_and_removal_takes_one_request(void **state)
{
    struct grants *g = grants_new();
    char *res[] = {"/s1/vm1"};
    struct request early =
        req("aaaaaaaa-0000-4000-8000-000000000001", "eng", res, 1, ACCESS_ADMIN, T0 + 50);
    struct request late =
        req("aaaaaaaa-0000-4000-8000-000000000002", "eng", res, 1, ACCESS_READ, T0 + 500);
    struct grant_match m = {0};

    (void)state;
    assert_int_equal(grants_add(g, &early), 0);
    assert_int_equal(grants_add(g, &late), 0);
    assert_true(can(g, "eng", "/s1/vm1", TENANT, ACCESS_READ, T0, &m));
    assert_string_equal(m.request_id, late.id);
    assert_true(can(g, "eng", "/s1/vm1", TENANT, ACCESS_ADMIN, T0, &m));
    assert_string_equal(m.request_id, early.id); /* only it grants admin */
    grants_remove(g, &late, T0);
    assert_int_equal(grants_count(g), 1);
    assert_true(can(g, "eng", "/s1/vm1", TENANT, ACCESS_READ, T0, &m));
    assert_string_equal(m.request_id, early.id);
    grants_free(g);
}

static void pairs_split_differently_are_different(void **state)
{
    struct grants *g = grants_new();
    char *res[] = {"c"}, *res2[] = {"a"};
    struct request ab =
        req("aaaaaaaa-0000-4000-8000-000000000001", "ab", res, 1, ACCESS_READ, T0 + 50);
    struct request swapped =
        req("aaaaaaaa-0000-4000-8000-000000000002", "c", res2, 1, ACCESS_READ, T0 + 50);

    (void)state;
    assert_int_equal(grants_add(g, &ab), 0);
    assert_int_equal(grants_add(g, &swapped), 0);
    assert_true(can(g, "ab", "c", TENANT, ACCESS_READ, T0, NULL));
    assert_true(can(g, "c", "a", TENANT, ACCESS_READ, T0, NULL));
    assert_false(can(g, "a", "bc", TENANT, ACCESS_READ, T0, NULL));
    assert_false(can(g, "a", "c", TENANT, ACCESS_READ, T0, NULL));
    assert_false(can(g, "c", "ab", TENANT, ACCESS_READ, T0, NULL));
    grants_free(g);
}

static void it_grows_and_still_answers(void **state)
{
    struct grants *g = grants_new();
    char names[5000][32], *one[1];
    char id[ID_LEN];

    (void)state;
    for (int i = 0; i < 5000; i++) {
        snprintf(names[i], sizeof(names[i]), "/s1/vm-%d", i);
        snprintf(id, sizeof(id), "aaaaaaaa-0000-4000-8000-%012d", i);
        one[0] = names[i];
        struct request r = req(id, "eng", one, 1, ACCESS_READ, T0 + 10 + i);
        assert_int_equal(grants_add(g, &r), 0);
    }
    assert_int_equal(grants_count(g), 5000);
    for (int i = 0; i < 5000; i++) {
        struct grant_match m = {0};
        assert_true(can(g, "eng", names[i], TENANT, ACCESS_READ, T0, &m));
        assert_int_equal(m.ends_at, T0 + 10 + i);
    }
    assert_false(can(g, "eng", "/s1/vm-5000", TENANT, ACCESS_READ, T0, NULL));
    grants_free(g);
}

static void adding_twice_keeps_one_entry(void **state)
{
    struct grants *g = grants_new();
    char *res[] = {"/s1/vm1", "/s1/vm2"};
    struct request r =
        req("aaaaaaaa-0000-4000-8000-000000000009", "eng", res, 2, ACCESS_READ, T0 + 100);

    (void)state;
    assert_int_equal(grants_add(g, &r), 0);
    assert_int_equal(grants_add(g, &r), 0);
    assert_int_equal(grants_count(g), 2);
    grants_remove(g, &r, T0 + 100); /* ended at its end: nothing to remember */
    assert_int_equal(grants_count(g), 0);
    assert_int_equal(grants_add(g, &r), 0);
    assert_int_equal(grants_count(g), 2);
    grants_free(g);
}

static void a_grant_ended_early_never_comes_back(void **state)
{
    struct grants *g = grants_new();
    char *res[] = {"/s1/vm1"};
    struct request r =
        req("aaaaaaaa-0000-4000-8000-00000000000a", "eng", res, 1, ACCESS_READ, T0 + 100);
    struct request other =
        req("aaaaaaaa-0000-4000-8000-00000000000b", "eng", res, 1, ACCESS_READ, T0 + 100);
    struct grants *fresh;

    (void)state;
    assert_int_equal(grants_add(g, &r), 0);
    grants_remove(g, &r, T0 + 10);          /* revoked */
    assert_int_equal(grants_add(g, &r), 0); /* a listener that read it approved, late */
    assert_int_equal(grants_count(g), 0);
    assert_false(can(g, "eng", "/s1/vm1", TENANT, ACCESS_READ, T0 + 11, NULL));

    /* a rebuild from a read made before the revoke committed keeps it out too */
    assert_non_null(fresh = grants_new_like(g));
    assert_int_equal(grants_add(fresh, &r), 0);
    assert_int_equal(grants_add(fresh, &other), 0);
    grants_replace(g, fresh, T0 + 20);
    grants_free(fresh);
    assert_int_equal(grants_count(g), 1);
    struct grant_match m = {0};
    assert_true(can(g, "eng", "/s1/vm1", TENANT, ACCESS_READ, T0 + 21, &m));
    assert_string_equal(m.request_id, other.id); /* the rebuilt index answers, hashed alike */

    /* past its end the tomb goes: an entry of it would be refused as ended anyway */
    assert_non_null(fresh = grants_new_like(g));
    grants_replace(g, fresh, T0 + 100);
    grants_free(fresh);
    assert_int_equal(grants_count(g), 0);
    assert_int_equal(grants_add(g, &r), 0);
    assert_int_equal(grants_count(g), 1);
    assert_false(can(g, "eng", "/s1/vm1", TENANT, ACCESS_READ, T0 + 100, NULL));
    grants_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_grant_answers_for_its_pair_tenant_level_and_time),
        cmocka_unit_test(the_latest_end_is_named_and_removal_takes_one_request),
        cmocka_unit_test(pairs_split_differently_are_different),
        cmocka_unit_test(it_grows_and_still_answers),
        cmocka_unit_test(adding_twice_keeps_one_entry),
        cmocka_unit_test(a_grant_ended_early_never_comes_back),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
