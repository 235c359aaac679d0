/* The JIT policy: API.md's default, the catalog, and policy files good and bad. */
#include "api/policy_file.h"
#include "core/policy.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

static void default_policy_follows_api_md(void **state)
{
    struct policy *p = NULL;
    struct policy_verdict v;

    (void)state;
    assert_int_equal(policy_default(&p), 0);
    policy_evaluate(p, "vm.remote_access", ACCESS_READ, true, false, &v);
    assert_true(v.reject); /* no MFA */
    assert_non_null(v.reason);
    policy_evaluate(p, "vm.remote_access", ACCESS_ADMIN, true, true, &v);
    assert_false(v.reject);
    assert_true(v.internal_review); /* admin access */
    policy_evaluate(p, "storage.data", ACCESS_READ, false, true, &v);
    assert_false(v.reject);
    assert_true(v.internal_review); /* no isolated identity */
    policy_evaluate(p, "storage.data", ACCESS_WRITE, true, true, &v);
    assert_false(v.reject);
    assert_false(v.internal_review);
    policy_free(p);
}

static void default_catalog_holds_api_md_types(void **state)
{
    static const char *const types[] = {
        "vm.remote_access", "vm.memory_dump",     "vm.managed_disk",       "storage.data",
        "sql.data",         "data_explorer.data", "subscription.transfer", "exchange.mailbox",
        "sharepoint.site",  "onedrive.files"};
    struct policy *p = NULL;

    (void)state;
    assert_int_equal(policy_default(&p), 0);
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        assert_true(policy_has_type(p, types[i]));
    assert_false(policy_has_type(p, "vm.everything"));
    assert_false(policy_has_type(p, ""));
    policy_free(p);
}

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/lockbox-policy-XXXXXX");
    int fd = path ? mkstemp(path) : -1;
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        abort(); /* the test cannot write its file: no test can go on */
    return path;
}

static int load_text(const char *text, struct policy **p, struct buf *err)
{
    char *path = write_temp(text);
    int rc = policy_file_load(path, p, err);

    unlink(path);
    free(path);
    return rc;
}

static void policy_file_replaces_the_rules(void **state)
{
    struct policy *p = NULL;
    struct policy_verdict v;
    struct buf err = BUF_INIT;

    (void)state;
    assert_int_equal(
        load_text("{\"resource_types\": [\"custom.db\"], \"rules\": ["
                  "{\"mfa\": false, \"effect\": \"reject\", \"reason\": \"mfa\"},"
                  "{\"resource_types\": [\"custom.db\"], \"access_levels\": [\"admin\"],"
                  " \"effect\": \"reject\", \"reason\": \"no admin on db\"},"
                  "{\"effect\": \"allow\", \"internal_review\": true, "
                  "\"max_duration_seconds\": 600}]}",
                  &p, &err),
        0);
    assert_true(policy_has_type(p, "custom.db"));
    assert_true(policy_has_type(p, "vm.remote_access")); /* added to the default catalog */
    policy_evaluate(p, "custom.db", ACCESS_ADMIN, true, true, &v);
    assert_true(v.reject);
    assert_string_equal(v.reason, "no admin on db");
    policy_evaluate(p, "custom.db", ACCESS_READ, true, true, &v);
    assert_false(v.reject);
    assert_true(v.internal_review);
    assert_int_equal(v.max_duration_seconds, 600);
    policy_evaluate(p, "custom.db", ACCESS_READ, true, false, &v);
    assert_true(v.reject);
    policy_free(p);
    buf_release(&err);
}

static void policy_file_with_no_matching_rule_rejects(void **state)
{
    struct policy *p = NULL;
    struct policy_verdict v;
    struct buf err = BUF_INIT;

    (void)state;
    assert_int_equal(load_text("{\"rules\": [{\"mfa\": true, \"effect\": \"allow\"}]}", &p, &err),
                     0);
    policy_evaluate(p, "storage.data", ACCESS_READ, true, false, &v);
    assert_true(v.reject);
    policy_free(p);
    buf_release(&err);
}

static void bad_policy_files_are_refused_with_a_reason(void **state)
{
    static const char *const bad[] = {
        "",
        "{",
        "[]",
        "{\"rules\": 5}",
        "{\"rules\": [{\"effect\": \"maybe\"}]}",
        "{\"rules\": [{\"effect\": \"allow\", \"access_levels\": [\"root\"]}]}",
        "{\"rules\": [{\"effect\": \"allow\", \"mfa\": \"yes\"}]}",
        "{\"rules\": [{\"effect\": \"allow\", \"max_duration_seconds\": -1}]}",
        "{\"resource_types\": [7], \"rules\": []}",
    };
    struct policy *p = NULL;
    struct buf err = BUF_INIT;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        buf_reset(&err);
        assert_int_equal(load_text(bad[i], &p, &err), LB_EINVAL);
        assert_null(p);
        assert_true(err.len > 0);
    }
    buf_reset(&err);
    assert_int_equal(policy_file_load("/nonexistent/policy.json", &p, &err), LB_EIO);
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_policy_follows_api_md),
        cmocka_unit_test(default_catalog_holds_api_md_types),
        cmocka_unit_test(policy_file_replaces_the_rules),
        cmocka_unit_test(policy_file_with_no_matching_rule_rejects),
        cmocka_unit_test(bad_policy_files_are_refused_with_a_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
