/*
 * The doors' denials (core/denials.h) on a real SQLite store in memory, with times given by
 * hand: one access.denied record per operator, resource and minute, the next record counting
 * the collapsed ones, the tenant of each record, the bounds of the queue and the table, and the
 * writer thread's flush when it stops.
 */
#include "core/denials.h"
#include "store/store_sqlite.h"
#include "util/mem.h"

#include <jansson.h>
#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

#define T0 1795000040 /* 20 s into a minute */
#define TENANT "11111111-1111-4111-8111-111111111111"

struct fixture {
    struct store *st;
    struct denials *d;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct buf err = BUF_INIT;

    if (!f)
        return -1;
    assert_true(sodium_init() >= 0);
    assert_int_equal(store_sqlite_open(":memory:", &f->st, &err), 0);
    f->d = denials_new(60);
    assert_non_null(f->d);
    buf_release(&err);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    denials_free(f->d);
    store_close(f->st);
    free(f);
    return 0;
}

static void deny(struct denials *d, const char *op, const char *res, const char *owner, int64_t now)
{
    const struct denial_note n = {.operator_name = op,
                                  .resource_id = res,
                                  .owner_id = owner,
                                  .level = ACCESS_WRITE,
                                  .door = "pam",
                                  .actor = "enf",
                                  .actor_id = "22222222-2222-4222-8222-222222222222",
                                  .client_ip = "192.0.2.7"};

    denials_note(d, &n, now);
}

/* The access.denied records of item (NULL: all), oldest first. */
static void records(struct store *st, const char *item, struct audit_list *out)
{
    struct audit_filter f = {
        .activity = "access.denied", .item = item, .ascending = true, .limit = 1000};

    memset(out, 0, sizeof(*out));
    assert_int_equal(store_audit_query(st, &f, out), 0);
}

/* details[key] of a record as an integer (-1 when absent). */
static json_int_t detail_int(const struct audit_record *r, const char *key)
{
    json_t *j = json_loads(r->details, 0, NULL);
    json_int_t v;

    assert_non_null(j);
    v = json_is_integer(json_object_get(j, key)) ? json_integer_value(json_object_get(j, key)) : -1;
    json_decref(j);
    return v;
}

static const char *detail_str(const struct audit_record *r, const char *key, char *out, size_t n)
{
    json_t *j = json_loads(r->details, 0, NULL);

    assert_non_null(j);
    snprintf(out, n, "%s", json_string_value(json_object_get(j, key)));
    json_decref(j);
    return out;
}

static void one_record_per_minute_and_the_next_counts_the_rest(void **state)
{
    struct fixture *f = *state;
    struct denial_stats s;
    struct audit_list l;
    char text[64];

    for (int i = 0; i < 25; i++)
        deny(f->d, "eng", "/subscriptions/s1/vm1", TENANT, T0 + i); /* 20 s .. 44 s */
    deny(f->d, "eng", "/subscriptions/s1/vm2", TENANT, T0);         /* another resource */
    deny(f->d, "eng2", "/subscriptions/s1/vm1", TENANT, T0);        /* another operator */
    denials_stats(f->d, &s);
    assert_int_equal(s.queued, 3);
    assert_int_equal(s.collapsed, 24);
    assert_int_equal(denials_flush(f->d, f->st), 0);
    records(f->st, "/subscriptions/s1/vm1", &l);
    assert_int_equal(l.count, 2);
    assert_int_equal(l.items[0].time, T0);
    assert_string_equal(l.items[0].tenant_id, TENANT);
    assert_string_equal(l.items[0].actor, "enf");
    assert_string_equal(l.items[0].actor_type, "provider");
    assert_string_equal(l.items[0].client_ip, "192.0.2.7");
    assert_string_equal(detail_str(&l.items[0], "operator", text, sizeof(text)), "eng");
    assert_string_equal(detail_str(&l.items[0], "resource", text, sizeof(text)),
                        "/subscriptions/s1/vm1");
    assert_string_equal(detail_str(&l.items[0], "level", text, sizeof(text)), "write");
    assert_string_equal(detail_str(&l.items[0], "door", text, sizeof(text)), "pam");
    assert_int_equal(detail_int(&l.items[0], "collapsed"), 0);
    assert_string_equal(detail_str(&l.items[1], "operator", text, sizeof(text)), "eng2");
    audit_list_clear(&l);

    /* the next minute: a new record, carrying the 24 collapsed into the first */
    deny(f->d, "eng", "/subscriptions/s1/vm1", TENANT, T0 + 40);
    deny(f->d, "eng", "/subscriptions/s1/vm1", TENANT, T0 + 41);
    assert_int_equal(denials_flush(f->d, f->st), 0);
    records(f->st, "/subscriptions/s1/vm1", &l);
    assert_int_equal(l.count, 3);
    assert_int_equal(l.items[2].time, T0 + 40);
    assert_int_equal(detail_int(&l.items[2], "collapsed"), 24);
    audit_list_clear(&l);
    denials_stats(f->d, &s);
    assert_int_equal(s.written, 4);
    assert_int_equal(s.collapsed, 25);
    assert_int_equal(s.queued, 0);
    assert_int_equal(s.dropped + s.failed, 0);
}

static void a_resource_no_tenant_owns_goes_to_the_providers_log(void **state)
{
    struct fixture *f = *state;
    struct audit_list l;

    deny(f->d, "eng", "/nobody/x", NULL, T0);
    assert_int_equal(denials_flush(f->d, f->st), 0);
    records(f->st, "/nobody/x", &l);
    assert_int_equal(l.count, 1);
    assert_null(l.items[0].tenant_id);
    audit_list_clear(&l);
}

static void the_queue_is_bounded(void **state)
{
    struct fixture *f = *state;
    struct denial_stats s;
    struct audit_list l;
    char res[64];

    for (int i = 0; i < DENIALS_QUEUE_MAX + 10; i++) {
        snprintf(res, sizeof(res), "/r/%d", i);
        deny(f->d, "eng", res, NULL, T0);
    }
    denials_stats(f->d, &s);
    assert_int_equal(s.queued, DENIALS_QUEUE_MAX);
    assert_int_equal(s.dropped, 10);
    /* a dropped denial was never written, so its pair's next denial is not collapsed */
    snprintf(res, sizeof(res), "/r/%d", DENIALS_QUEUE_MAX + 3);
    assert_int_equal(denials_flush(f->d, f->st), 0); /* in several transactions */
    deny(f->d, "eng", res, NULL, T0 + 1);
    assert_int_equal(denials_flush(f->d, f->st), 0);
    records(f->st, res, &l);
    assert_int_equal(l.count, 1);
    assert_int_equal(l.items[0].time, T0 + 1);
    audit_list_clear(&l);
    denials_stats(f->d, &s);
    assert_int_equal(s.written, DENIALS_QUEUE_MAX + 1);
    assert_int_equal(s.collapsed + s.failed, 0);
}

static void a_full_table_forgets_past_minutes_and_still_writes(void **state)
{
    struct fixture *f = *state;
    struct denial_stats s;
    char res[64];

    /* fill the table in one minute, then overflow it: the new pairs are written anyway */
    for (int i = 0; i < DENIALS_TABLE_MAX + 5; i++) {
        snprintf(res, sizeof(res), "/t/%d", i);
        deny(f->d, "eng", res, NULL, T0);
        if (i % 1000 == 0)
            assert_int_equal(denials_flush(f->d, f->st), 0);
    }
    assert_int_equal(denials_flush(f->d, f->st), 0);
    deny(f->d, "eng", "/t/8195", NULL, T0 + 1); /* not remembered: written again */
    deny(f->d, "eng", "/t/5", NULL, T0 + 1);    /* remembered: collapsed */
    denials_stats(f->d, &s);
    assert_int_equal(s.queued, 1);
    assert_int_equal(s.collapsed, 1);
    /* a minute later the old pairs make room: a new pair is remembered again */
    assert_int_equal(denials_flush(f->d, f->st), 0);
    deny(f->d, "eng", "/t/new", NULL, T0 + 60);
    deny(f->d, "eng", "/t/new", NULL, T0 + 61);
    denials_stats(f->d, &s);
    assert_int_equal(s.queued, 1);
    assert_int_equal(s.collapsed, 2);
    assert_int_equal(s.dropped, 0);
}

static void the_writer_thread_writes_and_flushes_when_stopped(void **state)
{
    struct fixture *f = *state;
    struct denial_stats s;
    struct audit_list l;

    assert_int_equal(denials_start(f->d, f->st), 0);
    deny(f->d, "eng", "/w/1", NULL, T0);
    for (int i = 0; i < 2000; i++) {
        denials_stats(f->d, &s);
        if (s.written == 1)
            break;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(s.written, 1);
    for (int i = 0; i < 100; i++) {
        char res[32];
        snprintf(res, sizeof(res), "/w/more/%d", i);
        deny(f->d, "eng", res, NULL, T0);
    }
    denials_stop(f->d); /* writes what is queued before the thread ends */
    denials_stats(f->d, &s);
    assert_int_equal(s.queued, 0);
    assert_int_equal(s.written, 101);
    records(f->st, NULL, &l);
    assert_int_equal(l.count, 101);
    audit_list_clear(&l);
}

static void door_names(void **state)
{
    (void)state;
    assert_true(door_name_is_valid("pam"));
    assert_true(door_name_is_valid("check"));
    assert_true(door_name_is_valid("sshd.v2_x-1"));
    assert_true(door_name_is_valid("abcdefghijklmnopqrstuvwxyz012345"));   /* 32 */
    assert_false(door_name_is_valid("abcdefghijklmnopqrstuvwxyz0123456")); /* 33 */
    assert_false(door_name_is_valid(""));
    assert_false(door_name_is_valid("PAM"));
    assert_false(door_name_is_valid("pam door"));
    assert_false(door_name_is_valid("pam/1"));
}

static void allow(struct denials *d, const char *req, const char *res, const char *door,
                  int64_t now)
{
    const struct denial_note n = {.operator_name = "eng",
                                  .resource_id = res,
                                  .request_id = req,
                                  .owner_id = TENANT,
                                  .level = ACCESS_READ,
                                  .door = door,
                                  .actor = "enf",
                                  .actor_id = "22222222-2222-4222-8222-222222222222",
                                  .client_ip = "192.0.2.7"};

    denials_note(d, &n, now);
}

#define REQ "33333333-3333-4333-8333-333333333333"

/* An allowance is written the first time its (request, resource, door) is let in within a
 * minute, in the tenant's log with the request as its item; the rest of the minute is not. */
static void an_allowance_once_per_request_resource_door_and_minute(void **state)
{
    struct fixture *f = *state;
    struct audit_filter q = {
        .activity = "access.allowed", .item = REQ, .ascending = true, .limit = 100};
    struct denial_stats s;
    struct audit_list l = {0};
    char text[64];

    for (int i = 0; i < 10; i++)
        allow(f->d, REQ, "/subscriptions/s1/vm1", "pam", T0 + i);
    allow(f->d, REQ, "/subscriptions/s1/vm1", "nginx", T0);    /* another door */
    allow(f->d, REQ, "/subscriptions/s1/vm2", "pam", T0);      /* another resource */
    allow(f->d, REQ, "/subscriptions/s1/vm1", "pam", T0 + 60); /* the next minute */
    deny(f->d, "eng", "/subscriptions/s1/vm1", TENANT, T0);    /* a denial still counts */
    assert_int_equal(denials_flush(f->d, f->st), 0);
    denials_stats(f->d, &s);
    assert_int_equal(s.allowed, 4);
    assert_int_equal(s.written, 1);
    assert_int_equal(store_audit_query(f->st, &q, &l), 0);
    assert_int_equal(l.count, 4);
    assert_string_equal(l.items[0].tenant_id, TENANT);
    assert_string_equal(l.items[0].request_id, REQ);
    assert_string_equal(l.items[0].actor, "enf");
    assert_string_equal(detail_str(&l.items[0], "door", text, sizeof(text)), "pam");
    assert_string_equal(detail_str(&l.items[1], "door", text, sizeof(text)), "nginx");
    assert_string_equal(detail_str(&l.items[2], "resource", text, sizeof(text)),
                        "/subscriptions/s1/vm2");
    assert_string_equal(detail_str(&l.items[3], "level", text, sizeof(text)), "read");
    assert_int_equal(l.items[3].time, T0 + 60);
    audit_list_clear(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(one_record_per_minute_and_the_next_counts_the_rest, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_resource_no_tenant_owns_goes_to_the_providers_log, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(the_queue_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(a_full_table_forgets_past_minutes_and_still_writes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(the_writer_thread_writes_and_flushes_when_stopped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(an_allowance_once_per_request_resource_door_and_minute,
                                        setup, teardown),
        cmocka_unit_test(door_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
