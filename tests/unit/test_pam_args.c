/*
 * pam_lockbox's module arguments: every key, the defaults, each way a line can be wrong (which
 * the module answers by denying), and the %h/%H expansion of resource=.
 */
#include "pam/pam_args.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

#define URL "url=http://127.0.0.1:8077"
#define TOKEN "token_file=/etc/lockbox/enforcer.token"
#define RESOURCE "resource=/subscriptions/s1/vms/%h"

static int parse(struct pam_args *a, struct buf *err, int argc, const char **argv)
{
    buf_reset(err);
    return pam_args_parse(argc, argv, a, err);
}

static void the_required_three_and_the_defaults(void **state)
{
    const char *argv[] = {URL, TOKEN, RESOURCE};
    struct pam_args a;
    struct buf err = BUF_INIT;

    (void)state;
    assert_int_equal(parse(&a, &err, 3, argv), LB_OK);
    assert_string_equal(a.url, "http://127.0.0.1:8077");
    assert_string_equal(a.token_file, "/etc/lockbox/enforcer.token");
    assert_string_equal(a.resource, "/subscriptions/s1/vms/%h");
    assert_string_equal(a.level, "read");
    assert_int_equal(a.timeout_ms, 2000);
    assert_string_equal(a.session_dir, "/run/lockbox/sessions");
    assert_null(a.ca_file);
    assert_null(a.only_group);
    assert_false(a.allow_http);
    assert_int_equal(err.len, 0);
    buf_release(&err);
}

static void every_key_in_any_order(void **state)
{
    const char *argv[] = {"only_group=ops",
                          "timeout_ms=600000",
                          "level=admin",
                          RESOURCE,
                          "ca_file=/etc/ssl/lb.pem",
                          TOKEN,
                          "session_dir=/run/x/s",
                          "allow_http=yes",
                          "url=https://lockbox.example/base"};
    struct pam_args a;
    struct buf err = BUF_INIT;

    (void)state;
    assert_int_equal(parse(&a, &err, 9, argv), LB_OK);
    assert_true(a.allow_http);
    assert_string_equal(a.url, "https://lockbox.example/base");
    assert_string_equal(a.level, "admin");
    assert_int_equal(a.timeout_ms, 600000);
    assert_string_equal(a.only_group, "ops");
    assert_string_equal(a.ca_file, "/etc/ssl/lb.pem");
    assert_string_equal(a.session_dir, "/run/x/s");
    buf_release(&err);
}

static void allow_http_is_yes_or_no(void **state)
{
    const char *yes[] = {URL, TOKEN, RESOURCE, "allow_http=yes"};
    const char *no[] = {URL, TOKEN, RESOURCE, "allow_http=no"};
    struct pam_args a;
    struct buf err = BUF_INIT;

    (void)state;
    assert_int_equal(parse(&a, &err, 4, yes), LB_OK);
    assert_true(a.allow_http);
    assert_int_equal(parse(&a, &err, 4, no), LB_OK);
    assert_false(a.allow_http);
    buf_release(&err);
}

static void each_bad_line_is_refused_with_its_reason(void **state)
{
    static const struct {
        const char *arg, *reason;
    } bad[] = {
        {"frobnicate=1", "unknown argument: \"frobnicate=1\""},
        {"url", "key=value"},
        {"url=", "an empty value"},
        {"urls=http://x", "unknown argument"},
        {"ur=http://x", "unknown argument"},
        {"=x", "unknown argument"},
        {"url=ftp://x", "not an http:// or https:// URL"},
        {"url=http://", "not an http:// or https:// URL"},
        {"url=http://x\001", "a control character"},
        {"level=root", "not one of read, write, admin"},
        {"level=READ", "not one of read, write, admin"},
        {"timeout_ms=0", "milliseconds"},
        {"timeout_ms=-5", "milliseconds"},
        {"timeout_ms=600001", "milliseconds"},
        {"timeout_ms=2s", "milliseconds"},
        {"timeout_ms= 20", "milliseconds"},
        {"timeout_ms=99999999999999999999999", "milliseconds"},
        {"ca_file=relative.pem", "not an absolute path"},
        {"session_dir=run/lockbox", "not an absolute path"},
        {"resource=subscriptions/s1", "not a resource id"},
        {"resource=/a/%z", "not a resource id"},
        {"resource=/a/%", "not a resource id"},
        {"allow_http=true", "not yes or no"},
        {"allow_http=YES", "not yes or no"},
        {"allow_http=", "an empty value"},
    };
    struct pam_args a;
    struct buf err = BUF_INIT;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        /* the required three, less the one of the same key, and the bad one */
        const char *base[] = {URL, TOKEN, RESOURCE}, *argv[4];
        size_t key = strcspn(bad[i].arg, "="), n = 0;

        for (size_t j = 0; j < 3; j++)
            if (strncmp(base[j], bad[i].arg, key + 1) != 0)
                argv[n++] = base[j];
        argv[n++] = bad[i].arg;
        assert_int_equal(parse(&a, &err, (int)n, argv), LB_EINVAL);
        if (!strstr(buf_cstr(&err), bad[i].reason))
            fail_msg("%s: reason \"%s\", want \"%s\"", bad[i].arg, buf_cstr(&err), bad[i].reason);
    }
    {
        const char *twice[] = {URL, TOKEN, RESOURCE, "url=http://other"};

        assert_int_equal(parse(&a, &err, 4, twice), LB_EINVAL);
        assert_string_equal(buf_cstr(&err), "argument given twice: \"url=http://other\"");
    }
    buf_release(&err);
}

static void a_missing_required_argument_is_named(void **state)
{
    const char *no_url[] = {TOKEN, RESOURCE}, *no_token[] = {URL, RESOURCE},
               *no_resource[] = {URL, TOKEN};
    struct pam_args a;
    struct buf err = BUF_INIT;

    (void)state;
    assert_int_equal(parse(&a, &err, 2, no_url), LB_EINVAL);
    assert_string_equal(buf_cstr(&err), "missing argument url=");
    assert_int_equal(parse(&a, &err, 2, no_token), LB_EINVAL);
    assert_string_equal(buf_cstr(&err), "missing argument token_file=");
    assert_int_equal(parse(&a, &err, 2, no_resource), LB_EINVAL);
    assert_string_equal(buf_cstr(&err), "missing argument resource=");
    assert_int_equal(parse(&a, &err, 0, NULL), LB_EINVAL);
    buf_release(&err);
}

static void expand(const char *tmpl, const char *want)
{
    struct buf out = BUF_INIT, err = BUF_INIT;

    assert_int_equal(pam_args_expand(tmpl, "web1", "web1.dc2.example", &out, &err), LB_OK);
    assert_string_equal(buf_cstr(&out), want);
    assert_int_equal(err.len, 0);
    buf_release(&out);
    buf_release(&err);
}

static void h_and_H_are_the_host_names(void **state)
{
    (void)state;
    expand("/subscriptions/s1/vms/%h", "/subscriptions/s1/vms/web1");
    expand("/subscriptions/s1/vms/%H", "/subscriptions/s1/vms/web1.dc2.example");
    expand("/%h/%H/%h", "/web1/web1.dc2.example/web1");
    expand("/a%%h", "/a%h");
    expand("/a%%%h", "/a%web1");
    expand("/plain", "/plain");
    expand("%h", "web1");
}

static void other_escapes_are_refused(void **state)
{
    static const char *const bad[] = {"/a/%x", "/a/%", "/a/%%%", "/%H%"};
    struct buf out = BUF_INIT, err = BUF_INIT;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        buf_reset(&out);
        buf_reset(&err);
        assert_int_equal(pam_args_expand(bad[i], "h", "h.example", &out, &err), LB_EINVAL);
        assert_non_null(strstr(buf_cstr(&err), bad[i]));
    }
    buf_release(&out);
    buf_release(&err);
}

static void only_H_asks_the_resolver(void **state)
{
    (void)state;
    assert_true(pam_args_wants_full_host("/vms/%H"));
    assert_true(pam_args_wants_full_host("/%h/%H"));
    assert_false(pam_args_wants_full_host("/vms/%h"));
    assert_false(pam_args_wants_full_host("/vms/%%H"));
    assert_false(pam_args_wants_full_host("/vms/%"));
    assert_false(pam_args_wants_full_host(""));
}

static void the_host_names_of_this_host(void **state)
{
    struct buf s = BUF_INIT, f = BUF_INIT, err = BUF_INIT;
    char name[256];

    (void)state;
    assert_int_equal(gethostname(name, sizeof(name)), 0);
    assert_int_equal(pam_args_host_names(true, &s, &f, &err), LB_OK);
    /* short: gethostname up to its first dot; full: starts with it */
    assert_int_equal(s.len, strcspn(name, "."));
    assert_memory_equal(buf_cstr(&s), name, s.len);
    assert_true(f.len >= s.len);
    assert_memory_equal(buf_cstr(&f), buf_cstr(&s), s.len);
    buf_release(&f);
    /* without %H no lookup and no full name */
    buf_reset(&s);
    assert_int_equal(pam_args_host_names(false, &s, &f, &err), LB_OK);
    assert_int_equal(f.len, 0);
    buf_release(&s);
    buf_release(&f);
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_required_three_and_the_defaults),
        cmocka_unit_test(every_key_in_any_order),
        cmocka_unit_test(allow_http_is_yes_or_no),
        cmocka_unit_test(each_bad_line_is_refused_with_its_reason),
        cmocka_unit_test(a_missing_required_argument_is_named),
        cmocka_unit_test(h_and_H_are_the_host_names),
        cmocka_unit_test(other_escapes_are_refused),
        cmocka_unit_test(only_H_asks_the_resolver),
        cmocka_unit_test(the_host_names_of_this_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
