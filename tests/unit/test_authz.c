/* Authorization: scopes matched on whole path segments, and who may approve a request. */
#include "core/authz.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

static void scopes_cover_whole_segments_only(void **state)
{
    (void)state;
    assert_true(scope_covers("/", "/subscriptions/s1/vm1"));
    assert_true(scope_covers("/subscriptions/s1", "/subscriptions/s1"));
    assert_true(scope_covers("/subscriptions/s1", "/subscriptions/s1/vms/vm1"));
    assert_false(scope_covers("/subscriptions/s1", "/subscriptions/s10"));
    assert_false(scope_covers("/subscriptions/s1", "/subscriptions/s10/vm"));
    assert_false(scope_covers("/subscriptions/s1", "/subscriptions"));
    assert_false(scope_covers("/subscriptions/s1/vms", "/subscriptions/s1"));
    assert_false(scope_covers("/a", "/b"));
    assert_false(scope_covers("/subscriptions/s1", "/Subscriptions/s1"));
}

static void scopes_are_validated(void **state)
{
    (void)state;
    assert_true(scope_is_valid("/"));
    assert_true(scope_is_valid("/subscriptions/s1"));
    assert_false(scope_is_valid(""));
    assert_false(scope_is_valid("subscriptions"));
    assert_false(scope_is_valid("/subscriptions/"));
    assert_false(scope_is_valid("/a//b"));
    assert_false(scope_is_valid("//"));
}

static void resource_ids_are_canonical(void **state)
{
    (void)state;
    assert_true(resource_id_is_valid("/subscriptions/s1"));
    assert_true(resource_id_is_valid("/a/.b/..c/b..")); /* dots inside a name are names */
    assert_false(resource_id_is_valid("/"));
    assert_false(resource_id_is_valid("/a/../b"));
    assert_false(resource_id_is_valid("/a/./b"));
    assert_false(resource_id_is_valid("/.."));
    assert_false(resource_id_is_valid("/a/."));
    assert_false(resource_id_is_valid("/a/"));
    assert_false(resource_id_is_valid("/a//b"));
    assert_false(resource_id_is_valid("a/b"));
    assert_false(resource_id_is_valid("/a\tb"));
}

static void scopes_overlap_when_one_covers_the_other(void **state)
{
    (void)state;
    assert_true(scopes_overlap("/s/1", "/s/1"));
    assert_true(scopes_overlap("/s", "/s/1"));
    assert_true(scopes_overlap("/s/1/x", "/s/1"));
    assert_false(scopes_overlap("/s/1", "/s/10"));
    assert_false(scopes_overlap("/s/10", "/s/1"));
    assert_false(scopes_overlap("/a", "/b"));
}

static void roles_parse_by_name(void **state)
{
    (void)state;
    assert_int_equal(provider_role_parse("platform_admin"), PROV_PLATFORM_ADMIN);
    assert_int_equal(provider_role_parse("enforcer"), PROV_ENFORCER);
    assert_int_equal(provider_role_parse("tenant_admin"), 0);
    assert_int_equal(provider_role_parse(""), 0);
    assert_string_equal(provider_role_name(PROV_INTERNAL_APPROVER), "internal_approver");
    assert_true(tenant_role_is_valid("lockbox_approver"));
    assert_true(tenant_role_is_valid("member"));
    assert_false(tenant_role_is_valid("platform_admin"));
    assert_false(tenant_role_is_valid("root"));
}

static void role_names_are_listed_for_messages(void **state)
{
    struct buf b = BUF_INIT;

    (void)state;
    provider_role_names_append(&b);
    assert_string_equal(buf_cstr(&b),
                        "platform_admin, support_engineer, internal_approver, enforcer, auditor");
    buf_reset(&b);
    tenant_role_names_append(&b);
    assert_string_equal(buf_cstr(&b), "tenant_admin, lockbox_approver, owner, auditor, member");
    buf_release(&b);
}

/* A tenant principal of tenant "t1" holding one role at one scope. */
static void one_role(struct principal *p, struct role_assignment *ra, const char *role,
                     const char *scope)
{
    memset(p, 0, sizeof(*p));
    memset(ra, 0, sizeof(*ra));
    p->user_id = "u1";
    p->username = "user";
    p->tenant_id = "t1";
    ra->tenant_id = "t1";
    ra->user_id = "u1";
    ra->role = (char *)role;
    ra->scope = (char *)scope;
    p->tenant_roles.items = ra;
    p->tenant_roles.count = 1;
}

static void approvers_must_cover_every_resource(void **state)
{
    char *s1[] = {"/subscriptions/s1/vm1"};
    char *s1s2[] = {"/subscriptions/s1/vm1", "/subscriptions/s2/vm2"};
    char *s10[] = {"/subscriptions/s10/vm"};
    struct principal p;
    struct role_assignment ra;

    (void)state;
    one_role(&p, &ra, "tenant_admin", "/");
    assert_true(principal_can_approve(&p, "t1", s1s2, 2));
    assert_false(principal_can_approve(&p, "t2", s1, 1));   /* another tenant */
    one_role(&p, &ra, "tenant_admin", "/subscriptions/s1"); /* admin only counts at / */
    assert_false(principal_can_approve(&p, "t1", s1, 1));
    one_role(&p, &ra, "lockbox_approver", "/subscriptions/s1");
    assert_true(principal_can_approve(&p, "t1", s1, 1));
    assert_false(principal_can_approve(&p, "t1", s1s2, 2));
    assert_false(principal_can_approve(&p, "t1", s10, 1));
    one_role(&p, &ra, "owner", "/");
    assert_true(principal_can_approve(&p, "t1", s1s2, 2));
    one_role(&p, &ra, "auditor", "/");
    assert_false(principal_can_approve(&p, "t1", s1, 1));
    one_role(&p, &ra, "member", "/");
    assert_false(principal_can_approve(&p, "t1", s1, 1));
}

static void provider_users_never_approve_for_a_tenant(void **state)
{
    char *s1[] = {"/subscriptions/s1/vm1"};
    struct principal p = {.user_id = "u",
                          .username = "admin",
                          .provider_roles = PROV_PLATFORM_ADMIN | PROV_INTERNAL_APPROVER};

    (void)state;
    assert_false(principal_can_approve(&p, "t1", s1, 1));
    assert_true(principal_has_provider_role(&p, PROV_PLATFORM_ADMIN));
    assert_false(principal_has_provider_role(&p, PROV_ENFORCER));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scopes_cover_whole_segments_only),
        cmocka_unit_test(scopes_are_validated),
        cmocka_unit_test(resource_ids_are_canonical),
        cmocka_unit_test(scopes_overlap_when_one_covers_the_other),
        cmocka_unit_test(roles_parse_by_name),
        cmocka_unit_test(role_names_are_listed_for_messages),
        cmocka_unit_test(approvers_must_cover_every_resource),
        cmocka_unit_test(provider_users_never_approve_for_a_tenant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
