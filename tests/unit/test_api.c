/* api/'s own helpers: the bounds of a client's free JSON value, and the one status table. */
#include "api/api_int.h"
#include "util/mem.h"

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

/* A new value of depth arrays nested in each other, the innermost holding inner (or empty). */
static json_t *nested(size_t depth, const char *inner)
{
    struct buf text = BUF_INIT;
    json_t *v;

    for (size_t i = 0; i < depth; i++)
        buf_puts(&text, "[");
    buf_puts(&text, inner);
    for (size_t i = 0; i < depth; i++)
        buf_puts(&text, "]");
    assert_true(buf_ok(&text));
    v = json_loads(buf_cstr(&text), JSON_DECODE_ANY, NULL);
    assert_non_null(v);
    buf_release(&text);
    return v;
}

static void depth_counts_arrays_and_objects(void **state)
{
    json_t *v;

    (void)state;
    v = json_string("x");
    assert_false(api_value_is_deeper_than(v, 0));
    json_decref(v);
    v = json_array();
    assert_true(api_value_is_deeper_than(v, 0));
    assert_false(api_value_is_deeper_than(v, 1));
    json_decref(v);
    v = nested(API_JSON_MAX_DEPTH, "1");
    assert_false(api_value_is_deeper_than(v, API_JSON_MAX_DEPTH));
    assert_true(api_value_is_deeper_than(v, API_JSON_MAX_DEPTH - 1));
    json_decref(v);
    v = nested(API_JSON_MAX_DEPTH + 1, "");
    assert_true(api_value_is_deeper_than(v, API_JSON_MAX_DEPTH));
    json_decref(v);
    v = nested(2045, "");
    assert_true(api_value_is_deeper_than(v, API_JSON_MAX_DEPTH));
    json_decref(v);
    /* objects count as arrays do, and only the deepest branch matters */
    v = json_loads("{\"a\": 1, \"b\": [{\"c\": [2]}], \"d\": []}", 0, NULL);
    assert_non_null(v);
    assert_false(api_value_is_deeper_than(v, 4));
    assert_true(api_value_is_deeper_than(v, 3));
    json_decref(v);
}

static void field_json_reads_the_value_or_names_the_field(void **state)
{
    struct api_call call = {0};
    json_t *body = json_object();
    char *text = NULL;

    (void)state;
    assert_true(
        api_field_json(&call, body, "details", API_JSON_MAX_DEPTH, API_JSON_MAX_LEN, &text));
    assert_null(text);
    json_object_set_new(body, "details", json_null());
    assert_true(
        api_field_json(&call, body, "details", API_JSON_MAX_DEPTH, API_JSON_MAX_LEN, &text));
    assert_null(text);
    json_object_set_new(body, "details", json_pack("{s:[i,s]}", "k", 1, "v"));
    assert_true(
        api_field_json(&call, body, "details", API_JSON_MAX_DEPTH, API_JSON_MAX_LEN, &text));
    assert_string_equal(text, "{\"k\":[1,\"v\"]}");
    lb_free(text);
    json_object_set_new(body, "details", nested(API_JSON_MAX_DEPTH, "7"));
    assert_true(
        api_field_json(&call, body, "details", API_JSON_MAX_DEPTH, API_JSON_MAX_LEN, &text));
    assert_int_equal(strlen(text), 2 * API_JSON_MAX_DEPTH + 1);
    lb_free(text);
    assert_int_equal(call.status, 0);

    json_object_set_new(body, "details", nested(API_JSON_MAX_DEPTH + 1, ""));
    assert_false(
        api_field_json(&call, body, "details", API_JSON_MAX_DEPTH, API_JSON_MAX_LEN, &text));
    assert_null(text);
    assert_int_equal(call.status, 400);
    assert_string_equal(call.code, "invalid_argument");
    assert_non_null(strstr(buf_cstr(&call.detail), "details"));
    assert_non_null(strstr(buf_cstr(&call.detail), "32"));
    json_decref(body);
    api_call_release(&call);
}

static void field_json_bounds_the_size(void **state)
{
    struct api_call call = {0};
    json_t *body = json_object();
    char filler[API_JSON_MAX_LEN];
    char *text = NULL;

    (void)state;
    /* a string of n bytes is n + 2 bytes of JSON */
    memset(filler, 'x', sizeof(filler));
    filler[API_JSON_MAX_LEN - 2] = '\0';
    json_object_set_new(body, "details", json_string(filler));
    assert_true(
        api_field_json(&call, body, "details", API_JSON_MAX_DEPTH, API_JSON_MAX_LEN, &text));
    assert_int_equal(strlen(text), API_JSON_MAX_LEN);
    lb_free(text);
    filler[API_JSON_MAX_LEN - 2] = 'x';
    filler[API_JSON_MAX_LEN - 1] = '\0';
    json_object_set_new(body, "details", json_string(filler));
    assert_false(
        api_field_json(&call, body, "details", API_JSON_MAX_DEPTH, API_JSON_MAX_LEN, &text));
    assert_null(text);
    assert_int_equal(call.status, 400);
    assert_non_null(strstr(buf_cstr(&call.detail), "details"));
    assert_non_null(strstr(buf_cstr(&call.detail), "16384 bytes"));
    json_decref(body);
    api_call_release(&call);
}

static void a_full_disk_is_503_and_says_so(void **state)
{
    struct api_call call = {0};
    const char *code = NULL;

    (void)state;
    assert_int_equal(api_status_of(LB_ENOSPC, &code), 503);
    assert_string_equal(code, "unavailable");
    assert_non_null(api_status_detail(LB_ENOSPC));
    /* whatever the call would have said, the answer names the cause */
    api_fail(&call, LB_ENOSPC, "cannot record the action");
    assert_int_equal(call.status, 503);
    assert_string_equal(call.code, "unavailable");
    assert_non_null(strstr(buf_cstr(&call.detail), "the server's storage is full"));
    api_call_release(&call);
    /* other codes keep the caller's detail */
    assert_null(api_status_detail(LB_ESTORE));
    assert_int_equal(api_status_of(LB_ESTORE, &code), 500);
    api_fail(&call, LB_ENOTFOUND, "no such request");
    assert_int_equal(call.status, 404);
    assert_string_equal(buf_cstr(&call.detail), "no such request");
    api_call_release(&call);
    assert_string_equal(lb_strerror(LB_ENOSPC), "LB_ENOSPC");
}

static void a_store_away_is_503_with_retry_after(void **state)
{
    struct api_call call = {0};
    struct buf err = BUF_INIT;
    const char *code = NULL;

    (void)state;
    assert_int_equal(api_status_of(LB_EUNAVAIL, &code), 503);
    assert_string_equal(code, "unavailable");
    assert_string_equal(lb_strerror(LB_EUNAVAIL), "LB_EUNAVAIL");
    /* core's own detail gives way to the cause, and the client is told when to come back */
    buf_appendf(&err, "cannot approve the request");
    api_reply_core_error(&call, LB_EUNAVAIL, &err, "cannot decide");
    assert_int_equal(call.status, 503);
    assert_string_equal(call.code, "unavailable");
    assert_int_equal(call.lb_code, LB_EUNAVAIL);
    assert_int_equal(call.retry_after, API_RETRY_AFTER_UNAVAIL);
    assert_non_null(strstr(buf_cstr(&call.detail), "the store cannot be reached now"));
    assert_non_null(strstr(buf_cstr(&call.detail), "nothing was changed"));
    /* a later answer of the same call is not taken for one */
    api_fail(&call, LB_EINVAL, "x: is required");
    assert_int_equal(call.lb_code, LB_EINVAL);
    api_fail_status(&call, 400, "invalid_argument", "y");
    assert_int_equal(call.lb_code, 0);
    /* a full disk asks for no retry after a few seconds: an operator must make room */
    api_call_release(&call);
    call = (struct api_call){0};
    api_fail(&call, LB_ENOSPC, "cannot write");
    assert_int_equal(call.retry_after, 0);
    api_call_release(&call);
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(depth_counts_arrays_and_objects),
        cmocka_unit_test(field_json_reads_the_value_or_names_the_field),
        cmocka_unit_test(field_json_bounds_the_size),
        cmocka_unit_test(a_full_disk_is_503_and_says_so),
        cmocka_unit_test(a_store_away_is_503_with_retry_after),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
