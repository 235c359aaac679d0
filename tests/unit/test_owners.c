/* The owners index: which tenant owns a resource, by whole path segments, as scopes change. */
#include "core/owners.h"

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

#define TA "aaaaaaaa-0000-4000-8000-000000000000"
#define TB "bbbbbbbb-0000-4000-8000-000000000000"

/* The owner of resource_id, or "" when none. */
static const char *owner(struct owners *o, const char *resource_id)
{
    static char id[ID_LEN];

    if (!owners_find(o, resource_id, id))
        id[0] = '\0';
    return id;
}

static void finds_the_owner_on_whole_segments(void **state)
{
    struct owners *o = owners_new();
    char *a[] = {"/subscriptions/s1", "/subscriptions/s10/rg"};
    char *b[] = {"/subscriptions/s2"};

    (void)state;
    assert_non_null(o);
    assert_string_equal(owner(o, "/subscriptions/s1"), "");
    assert_int_equal(owners_set(o, TA, a, 2), 0);
    assert_int_equal(owners_set(o, TB, b, 1), 0);
    assert_int_equal(owners_count(o), 3);
    assert_string_equal(owner(o, "/subscriptions/s1"), TA);
    assert_string_equal(owner(o, "/subscriptions/s1/vms/vm1"), TA);
    assert_string_equal(owner(o, "/subscriptions/s1/"), TA);
    assert_string_equal(owner(o, "/subscriptions/s10/rg/vm"), TA);
    assert_string_equal(owner(o, "/subscriptions/s2/x"), TB);
    assert_string_equal(owner(o, "/subscriptions/s10"), "");     /* s1 does not cover s10 */
    assert_string_equal(owner(o, "/subscriptions/s10/rgx"), ""); /* nor rg rgx */
    assert_string_equal(owner(o, "/subscriptions"), "");
    assert_string_equal(owner(o, "/"), "");
    assert_string_equal(owner(o, "subscriptions/s1"), "");
    assert_string_equal(owner(o, ""), "");
    owners_free(o);
}

static void a_new_set_replaces_the_old(void **state)
{
    struct owners *o = owners_new();
    char *first[] = {"/x", "/y"}, *second[] = {"/z"};

    (void)state;
    assert_int_equal(owners_set(o, TA, first, 2), 0);
    assert_int_equal(owners_set(o, TA, second, 1), 0);
    assert_string_equal(owner(o, "/x/1"), "");
    assert_string_equal(owner(o, "/y"), "");
    assert_string_equal(owner(o, "/z/1"), TA);
    /* a scope moved to another tenant */
    assert_int_equal(owners_set(o, TA, NULL, 0), 0);
    assert_int_equal(owners_set(o, TB, second, 1), 0);
    assert_string_equal(owner(o, "/z/1"), TB);
    assert_int_equal(owners_count(o), 1);
    owners_free(o);
}

static void grows_past_its_first_table(void **state)
{
    struct owners *o = owners_new();
    char names[3000][24], *v[3000], probe[40];

    (void)state;
    for (int i = 0; i < 3000; i++) {
        snprintf(names[i], sizeof(names[i]), "/t/%d", i);
        v[i] = names[i];
    }
    assert_int_equal(owners_set(o, TA, v, 3000), 0);
    assert_int_equal(owners_count(o), 3000);
    for (int i = 0; i < 3000; i += 7) {
        snprintf(probe, sizeof(probe), "/t/%d/vm", i);
        assert_string_equal(owner(o, probe), TA);
    }
    assert_string_equal(owner(o, "/t/3000"), "");
    owners_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finds_the_owner_on_whole_segments),
        cmocka_unit_test(a_new_set_replaces_the_old),
        cmocka_unit_test(grows_past_its_first_table),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
