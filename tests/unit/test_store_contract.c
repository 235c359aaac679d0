/*
 * The store's contract (store/store.h) against each backend: the same cases on SQLite (a
 * temporary file; no argument) and on PostgreSQL (argument `pg`: a database of the run's own
 * on the cluster of LOCKBOX_TEST_PG_URL, emptied before each case and dropped after; without
 * that URL the run is skipped, 77).
 * Every op answers the same rows, orders and codes on both; transactions are atomic, a
 * failed insert inside one leaves it usable, concurrent transactions share commits.
 */
#include "pg_testdb.h"
#include "store/seal.h"
#include "store/store.h"
#include "store/store_pg.h"
#include "store/store_sqlite.h"
#include "store_rows.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strv.h"

#include <pthread.h>
#include <setjmp.h>
#include <sodium.h>
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

#define S(text) ((char *)(text))

static bool use_pg;
static char pg_db[64], pg_url[512]; /* the run's PostgreSQL database */

struct fixture {
    struct store *st;
    struct seal *seal;
    char dir[64], path[128]; /* SQLite */
};

static void open_store(struct fixture *f)
{
    if (use_pg) {
        assert_true(testdb_reset(pg_url));
        f->st = rows_pg_open(pg_url);
    } else {
        rows_tempdir(f->dir, sizeof(f->dir), "contract");
        snprintf(f->path, sizeof(f->path), "%s/lockbox.db", f->dir);
        f->st = rows_sqlite_open(f->path);
    }
}

static int setup_bare(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    open_store(f);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    struct fixture *f;

    setup_bare(state);
    f = *state;
    assert_int_equal(seal_new_ephemeral(&f->seal), 0);
    assert_int_equal(store_seal_attach(f->st, f->seal), 0);
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    store_close(f->st);
    seal_free(f->seal);
    if (!use_pg) {
        rows_sqlite_unlink(f->path);
        assert_int_equal(rmdir(f->dir), 0);
    }
    free(f);
    return 0;
}

/* ---- seed rows (store_rows.h) ---- */

/* A tenant t1 (with user u1 "alice" and ticket k1) for the cases that need one. */
static void seed(struct store *st)
{
    rows_tenant_add(st, "t1", "Acme", 10);
    assert_int_equal(rows_user_add(st, "u1", "t1", "alice", NULL, NULL), 0);
    rows_ticket_add(st, "k1", "t1", 20);
}

static bool has_meta(struct store *st, const char *key)
{
    char *v = NULL;
    int rc = store_meta_get(st, key, &v);

    assert_true(rc == 0 || rc == LB_ENOTFOUND);
    lb_free(v);
    return rc == 0;
}

/* ---- cases ---- */

static void meta_is_a_map(void **state)
{
    struct fixture *f = *state;
    struct store *st = f->st;
    char *v = NULL;

    assert_int_equal(store_meta_get(st, "k", &v), LB_ENOTFOUND);
    assert_int_equal(store_meta_set(st, "k", "one"), 0);
    assert_int_equal(store_meta_set(st, "k", "two"), 0);
    assert_int_equal(store_meta_get(st, "k", &v), 0);
    assert_string_equal(v, "two");
    lb_free(v);
}

/* A readiness probe's question: answered, inside a transaction too, and nothing changes. */
static void a_ping_answers(void **state)
{
    struct fixture *f = *state;
    struct store *st = f->st;
    struct store_stats before, after;

    store_stats_get(st, &before);
    assert_int_equal(store_ping(st), 0);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_ping(st), 0);
    store_rollback(st);
    store_stats_get(st, &after);
    assert_int_equal(after.transactions, before.transactions);
}

static void tenants_round_trip(void **state)
{
    struct fixture *f = *state;
    struct store *st = f->st;
    struct tenant t = {0}, *all = NULL;
    size_t n = 0;

    rows_tenant_add(st, "t1", "Acme", 10);
    rows_tenant_add(st, "t3", "Beta", 20);
    rows_tenant_add(st, "T2", "Gamma", 20);
    struct tenant dup = {.id = S("t1"), .name = S("Other"), .plan = S("p")};
    assert_int_equal(store_tenant_insert(st, &dup), LB_EEXISTS);
    dup.id = S("t9");
    dup.name = S("Acme");
    assert_int_equal(store_tenant_insert(st, &dup), LB_EEXISTS);

    assert_int_equal(store_tenant_get(st, "t1", &t), 0);
    assert_string_equal(t.name, "Acme");
    assert_true(t.settings.lockbox_enabled && !t.settings.email_links);
    assert_true(t.settings.grant_report_mail);
    assert_int_equal(t.settings.required_approvals, 2);
    assert_int_equal(t.settings.reminder_before_seconds, 300);
    assert_int_equal(t.settings.notification_email_count, 2);
    assert_string_equal(t.settings.notification_emails[1], "b@example.com");
    assert_int_equal(t.resource_scope_count, 2);
    assert_string_equal(t.resource_scopes[0], "/srv/a/");

    /* newest first, then by id in byte order ("T2" before "t3") */
    assert_int_equal(store_tenant_list(st, NULL, &all, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(all[0].id, "T2");
    assert_string_equal(all[1].id, "t3");
    assert_string_equal(all[2].id, "t1");
    for (size_t i = 0; i < n; i++)
        tenant_clear(&all[i]);
    lb_free(all);
    assert_int_equal(store_tenant_list(st, "t3", &all, &n), 0);
    assert_int_equal(n, 1);
    tenant_clear(&all[0]);
    lb_free(all);

    struct tenant upd = t; /* borrows t's strings */
    upd.settings.lockbox_enabled = false;
    upd.settings.grant_report_mail = false;
    upd.settings.notification_email_count = 1;
    upd.resource_scope_count = 0;
    assert_int_equal(store_tenant_update_settings(st, &upd), 0);
    assert_int_equal(store_tenant_update_scopes(st, &upd), 0);
    tenant_clear(&t);
    assert_int_equal(store_tenant_get(st, "t1", &t), 0);
    assert_false(t.settings.lockbox_enabled);
    assert_false(t.settings.grant_report_mail);
    assert_int_equal(t.settings.notification_email_count, 1);
    assert_int_equal(t.resource_scope_count, 0);
    tenant_clear(&t);
    struct tenant none = {.id = S("nope")};
    assert_int_equal(store_tenant_update_settings(st, &none), LB_ENOTFOUND);
    assert_int_equal(store_tenant_update_scopes(st, &none), LB_ENOTFOUND);
    assert_int_equal(store_tenant_get(st, "nope", &t), LB_ENOTFOUND);
}

static void users_and_roles(void **state)
{
    struct fixture *f = *state;
    struct store *st = f->st;
    struct user u = {0};
    struct user_list ul = {0};
    struct role_list rl = {0};
    struct role_assignment r = {0};
    int64_t count = -1;

    rows_tenant_add(st, "t1", "Acme", 10);
    assert_int_equal(rows_user_add(st, "u1", "t1", "bob", NULL, "JBSWY3DPEHPK3PXP"), 0);
    assert_int_equal(rows_user_add(st, "u2", "t1", "Alice", NULL, NULL), 0);
    assert_int_equal(rows_user_add(st, "u3", NULL, "root", NULL, NULL), 0);
    assert_int_equal(rows_user_add(st, "u4", "t1", "bob", NULL, NULL), LB_EEXISTS);

    assert_int_equal(store_user_get(st, "u1", &u), 0);
    assert_string_equal(u.totp_secret, "JBSWY3DPEHPK3PXP"); /* sealed at rest, plain here */
    assert_int_equal(u.totp_last_step, 5);
    assert_false(u.isolated_identity);
    user_clear(&u);
    assert_int_equal(store_user_get_by_username(st, "root", &u), 0);
    assert_null(u.tenant_id);
    assert_true(u.isolated_identity);
    user_clear(&u);
    assert_int_equal(store_user_get_by_username(st, "nobody", &u), LB_ENOTFOUND);

    assert_int_equal(store_user_list_for_tenant(st, "t1", &ul), 0);
    assert_int_equal(ul.count, 2);
    assert_string_equal(ul.items[0].username, "Alice"); /* byte order */
    assert_string_equal(ul.items[1].totp_secret, "JBSWY3DPEHPK3PXP");
    user_list_clear(&ul);
    assert_int_equal(store_user_list_for_tenant(st, NULL, &ul), 0);
    assert_int_equal(ul.count, 1);
    user_list_clear(&ul);

    /* a TOTP step is used once */
    assert_int_equal(store_user_set_totp_step(st, "u1", 6), 0);
    assert_int_equal(store_user_set_totp_step(st, "u1", 6), LB_ECONFLICT);
    assert_int_equal(store_user_set_totp_step(st, "u1", 4), LB_ECONFLICT);

    struct role_assignment a = rows_role("r1", "t1", "u1", "approver", 50);
    assert_int_equal(store_role_insert(st, &a), 0);
    a.id = S("r2");
    assert_int_equal(store_role_insert(st, &a), LB_EEXISTS); /* same user, role, scope */
    a.role = S("admin");
    assert_int_equal(store_role_insert(st, &a), 0);
    a.id = S("r0");
    a.tenant_id = NULL;
    a.user_id = S("u3");
    a.created_at = 50;
    assert_int_equal(store_role_insert(st, &a), 0);
    assert_int_equal(store_role_get(st, "r1", &r), 0);
    assert_string_equal(r.username, "bob");
    role_assignment_clear(&r);
    assert_int_equal(store_role_list_for_user(st, "u1", &rl), 0);
    assert_int_equal(rl.count, 2);
    assert_string_equal(rl.items[0].id, "r1"); /* same time: insertion order */
    assert_string_equal(rl.items[1].id, "r2");
    role_list_clear(&rl);
    assert_int_equal(store_role_list_for_tenant(st, NULL, &rl), 0);
    assert_int_equal(rl.count, 1);
    assert_string_equal(rl.items[0].id, "r0");
    role_list_clear(&rl);
    assert_int_equal(store_role_count(st, "t1", "approver", "/", &count), 0);
    assert_int_equal(count, 1);
    assert_int_equal(store_role_delete(st, "r1"), 0);
    assert_int_equal(store_role_delete(st, "r1"), LB_ENOTFOUND);
    assert_int_equal(store_role_count(st, "t1", "approver", "/", &count), 0);
    assert_int_equal(count, 0);
}

static void sessions_and_tokens(void **state)
{
    struct fixture *f = *state;
    struct store *st = f->st;
    struct session se = {0};
    struct session_list sl = {0};

    seed(st);
    struct session login = rows_session("h1", "u1", 1000);
    struct session token = rows_api_token("h2", "u1", "tok1");
    assert_int_equal(store_session_insert(st, &login), 0);
    assert_int_equal(store_session_insert(st, &login), LB_EEXISTS);
    assert_int_equal(store_session_insert(st, &token), 0);
    token.token_hash = S("h3");
    assert_int_equal(store_session_insert(st, &token), LB_EEXISTS); /* one token id */
    token.token_id = S("tok2");
    assert_int_equal(store_session_insert(st, &token), 0);

    assert_int_equal(store_session_get(st, "h1", &se), 0);
    assert_true(se.mfa);
    assert_null(se.token_id);
    session_clear(&se);
    assert_int_equal(store_session_expire(st, "h1", 500), 0);
    assert_int_equal(store_session_expire(st, "h1", 600), LB_ENOTFOUND);
    assert_int_equal(store_session_get(st, "h1", &se), 0);
    assert_int_equal(se.expires_at, 500);
    session_clear(&se);

    assert_int_equal(store_token_get(st, "tok1", &se), 0);
    assert_string_equal(se.name, "ci");
    session_clear(&se);
    assert_int_equal(store_token_list(st, "u1", &sl), 0);
    assert_int_equal(sl.count, 2);
    assert_string_equal(sl.items[0].token_id, "tok1");
    session_list_clear(&sl);
    assert_int_equal(store_token_delete(st, "tok1"), 0);
    assert_int_equal(store_token_delete(st, "tok1"), LB_ENOTFOUND);
    assert_int_equal(store_token_get(st, "tok1", &se), LB_ENOTFOUND);
}

static void tickets_and_history(void **state)
{
    struct fixture *f = *state;
    struct store *st = f->st;
    struct ticket t = {0};
    struct ticket_list tl = {0};

    seed(st);
    rows_ticket_add(st, "k2", "t1", 30);
    rows_ticket_add(st, "k3", "t1", 40);
    struct ticket_event ev = {.at = 50, .by = S("alice"), .type = S("comment"), .text = S("hi")};
    assert_int_equal(store_ticket_event_append(st, "k2", &ev), 0);
    ev.text = S("again");
    assert_int_equal(store_ticket_event_append(st, "k2", &ev), 0);
    assert_int_equal(store_ticket_get(st, "k2", &t), 0);
    assert_string_equal(t.created_by_username, "alice");
    assert_int_equal(t.history_count, 2);
    assert_string_equal(t.history[1].text, "again");
    int64_t seq2 = t.seq;
    ticket_clear(&t);
    assert_int_equal(store_ticket_get(st, "nope", &t), LB_ENOTFOUND);

    assert_int_equal(store_ticket_list(st, "t1", 0, 2, &tl), 0);
    assert_int_equal(tl.count, 2);
    assert_string_equal(tl.items[0].id, "k3");
    assert_string_equal(tl.items[1].id, "k2");
    assert_int_equal(tl.items[1].history_count, 2);
    ticket_list_clear(&tl);
    assert_int_equal(store_ticket_list(st, "t1", seq2, 10, &tl), 0);
    assert_int_equal(tl.count, 1);
    assert_string_equal(tl.items[0].id, "k1");
    ticket_list_clear(&tl);
}

static void requests_round_trip(void **state)
{
    struct fixture *f = *state;
    struct store *st = f->st;
    struct request got = {0};

    seed(st);
    struct request r = rows_request("q1", REQ_PENDING, 100);
    r.reminder_at = 1000;
    assert_int_equal(store_request_insert(st, &r), 0);
    assert_int_equal(store_request_insert(st, &r), LB_EEXISTS);
    struct decision d = rows_decision(DECISION_CUSTOMER, 150, NULL, "10.0.0.1");
    assert_int_equal(store_request_decision_insert(st, "q1", &d), 0);
    d.kind = DECISION_REVIEW;
    d.approve = false;
    d.reason = S("no");
    assert_int_equal(store_request_decision_insert(st, "q1", &d), 0);

    assert_int_equal(store_request_get(st, "q1", &got), 0);
    assert_int_equal(got.status, REQ_PENDING);
    assert_int_equal(got.access_level, ACCESS_WRITE);
    assert_int_equal(got.resource_count, 2);
    assert_string_equal(got.resource_ids[1], "/srv/a/DB2");
    assert_true(got.customer_approval_required && got.customer_visible);
    assert_false(got.internal_review_required);
    assert_int_equal(got.expires_at, 3700);
    assert_int_equal(got.grant_starts_at, 0);
    assert_int_equal(got.reminder_at, 1000);
    assert_null(got.status_reason);
    assert_int_equal(got.decision_count, 2);
    assert_int_equal(got.decisions[0].kind, DECISION_CUSTOMER);
    assert_true(got.decisions[0].approve);
    assert_null(got.decisions[0].reason);
    assert_string_equal(got.decisions[1].reason, "no");
    request_clear(&got);

    r.status = REQ_APPROVED;
    r.expires_at = 0;
    r.grant_starts_at = 200;
    r.grant_ends_at = 800;
    r.reminder_at = 0;
    r.status_reason = S("ok");
    assert_int_equal(store_request_update(st, &r), 0);
    assert_int_equal(store_request_get(st, "q1", &got), 0);
    assert_int_equal(got.status, REQ_APPROVED);
    assert_int_equal(got.expires_at, 0);
    assert_int_equal(got.grant_ends_at, 800);
    assert_string_equal(got.status_reason, "ok");
    request_clear(&got);
    r.id = S("nope");
    assert_int_equal(store_request_update(st, &r), LB_ENOTFOUND);
    assert_int_equal(store_request_get(st, "nope", &got), LB_ENOTFOUND);
}

/* What the request keeps of its requester (migration 14) comes back as written, unknown
 * (NULL) included, from a get and from a list alike, and an update leaves it. */
static void a_requests_requester_facts_round_trip(void **state)
{
    struct fixture *f = *state;
    struct store *st = f->st;
    struct request got = {0};
    struct request_list l = {0};
    struct request_filter all = {.status = -1, .limit = 10};

    seed(st);
    struct request r = rows_request("q1", REQ_PENDING, 100);
    r.requester_display_name = S("Eve Engineer");
    r.requester_mfa = FACT_YES;
    r.requester_isolated = FACT_NO;
    assert_int_equal(store_request_insert(st, &r), 0);
    struct request old = rows_request("q2", REQ_PENDING, 110); /* made before: all unknown */
    assert_int_equal(store_request_insert(st, &old), 0);

    assert_int_equal(store_request_get(st, "q1", &got), 0);
    assert_string_equal(got.requester_display_name, "Eve Engineer");
    assert_int_equal(got.requester_mfa, FACT_YES);
    assert_int_equal(got.requester_isolated, FACT_NO);
    request_clear(&got);
    assert_int_equal(store_request_get(st, "q2", &got), 0);
    assert_null(got.requester_display_name);
    assert_int_equal(got.requester_mfa, FACT_UNKNOWN);
    assert_int_equal(got.requester_isolated, FACT_UNKNOWN);
    request_clear(&got);

    r.status = REQ_DENIED;
    r.requester_display_name = NULL; /* an update does not touch them */
    r.requester_mfa = FACT_UNKNOWN;
    assert_int_equal(store_request_update(st, &r), 0);
    assert_int_equal(store_request_list(st, &all, &l), 0);
    assert_int_equal(l.count, 2);
    assert_string_equal(l.items[0].id, "q2");
    assert_int_equal(l.items[0].requester_mfa, FACT_UNKNOWN);
    assert_string_equal(l.items[1].id, "q1");
    assert_string_equal(l.items[1].requester_display_name, "Eve Engineer");
    assert_int_equal(l.items[1].requester_mfa, FACT_YES);
    assert_int_equal(l.items[1].requester_isolated, FACT_NO);
    request_list_clear(&l);
}

static int count_approved(void *ctx, const struct request *r)
{
    (*(int *)ctx)++;
    return r->status == REQ_APPROVED ? 0 : -1;
}

static void request_lists_and_deadlines(void **state)
{
    struct fixture *f = *state;
    struct store *st = f->st;
    struct request_list l = {0};
    char **ids = NULL;
    size_t n = 0;
    int64_t at = -1;
    int approved = 0;

    seed(st);
    struct request r = rows_request("q1", REQ_PENDING_INTERNAL, 100); /* deadline 3700 */
    assert_int_equal(store_request_insert(st, &r), 0);
    r = rows_request("q2", REQ_PENDING, 200); /* reminder 1000 before its deadline 3800 */
    r.reminder_at = 1000;
    r.requester_username = S("bob");
    assert_int_equal(store_request_insert(st, &r), 0);
    r = rows_request("q3", REQ_APPROVED, 300); /* deadline: the grant's end, 900 */
    r.expires_at = 0;
    r.grant_ends_at = 900;
    r.justification = S("Ünïcode and MIXED case");
    assert_int_equal(store_request_insert(st, &r), 0);
    r = rows_request("q4", REQ_DENIED, 400); /* no deadline */
    assert_int_equal(store_request_insert(st, &r), 0);

    struct request_filter all = {.status = -1, .limit = 10};
    assert_int_equal(store_request_list(st, &all, &l), 0);
    assert_int_equal(l.count, 4);
    assert_string_equal(l.items[0].id, "q4"); /* newest first */
    int64_t seq3 = l.items[1].seq;
    request_list_clear(&l);

    struct request_filter fl = {.status = REQ_PENDING, .tenant_id = "t1", .limit = 10};
    assert_int_equal(store_request_list(st, &fl, &l), 0);
    assert_int_equal(l.count, 1);
    assert_string_equal(l.items[0].id, "q2");
    request_list_clear(&l);
    fl = (struct request_filter){.status = -1, .customer_visible_only = true, .limit = 2};
    assert_int_equal(store_request_list(st, &fl, &l), 0);
    assert_int_equal(l.count, 2); /* q4, q3: the limit */
    request_list_clear(&l);
    fl = (struct request_filter){.status = -1, .requester_username = "bob", .limit = 10};
    assert_int_equal(store_request_list(st, &fl, &l), 0);
    assert_int_equal(l.count, 1);
    request_list_clear(&l);
    fl = (struct request_filter){.status = -1, .before_seq = seq3, .limit = 10};
    assert_int_equal(store_request_list(st, &fl, &l), 0);
    assert_int_equal(l.count, 2);
    assert_string_equal(l.items[0].id, "q2");
    request_list_clear(&l);
    fl = (struct request_filter){.status = -1,
                                 .has_created_from = true,
                                 .created_from = 200,
                                 .has_created_to = true,
                                 .created_to = 400,
                                 .limit = 10};
    assert_int_equal(store_request_list(st, &fl, &l), 0);
    assert_int_equal(l.count, 2); /* q3, q2 */
    request_list_clear(&l);
    /* text: ASCII case folded, anything else as it is */
    fl = (struct request_filter){.status = -1, .text = "mixed CASE", .limit = 10};
    assert_int_equal(store_request_list(st, &fl, &l), 0);
    assert_int_equal(l.count, 1);
    request_list_clear(&l);
    fl.text = "ÜNï";
    assert_int_equal(store_request_list(st, &fl, &l), 0);
    assert_int_equal(l.count, 1);
    request_list_clear(&l);
    fl.text = "ünï";
    assert_int_equal(store_request_list(st, &fl, &l), 0);
    assert_int_equal(l.count, 0);
    request_list_clear(&l);
    fl.text = "db2 fix";
    assert_int_equal(store_request_list(st, &fl, &l), 0);
    assert_int_equal(l.count, 3); /* "/srv/a/DB2 Fix the Backup" */
    request_list_clear(&l);

    assert_int_equal(store_request_each_approved(st, count_approved, &approved), 0);
    assert_int_equal(approved, 1);
    assert_int_equal(store_request_next_deadline(st, &at), 0);
    assert_int_equal(at, 900);
    assert_int_equal(store_request_due(st, 1000, 10, &ids, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(ids[0], "q3");
    assert_string_equal(ids[1], "q2");
    strv_free(ids, n);
    assert_int_equal(store_request_due(st, 10, 10, &ids, &n), 0);
    assert_int_equal(n, 0);
    strv_free(ids, n);
}

static void audit_appends_and_queries(void **state)
{
    struct fixture *f = *state;
    struct store *st = f->st;
    struct audit_list l = {0};
    int64_t s1, s2, s3, s4;

    seed(st);
    struct request r = rows_request("hidden", REQ_PENDING_INTERNAL, 100);
    assert_int_equal(store_request_insert(st, &r), 0);
    rows_audit_add(st, "login", NULL, 100, &s1);
    rows_audit_add(st, "request.create", "hidden", 200, &s2);
    rows_audit_add(st, "login", NULL, 300, &s3);
    rows_audit_add(st, "logout", NULL, 400, &s4);
    assert_true(s1 < s2 && s2 < s3 && s3 < s4);

    struct audit_filter fl = {.limit = 10};
    assert_int_equal(store_audit_query(st, &fl, &l), 0);
    assert_int_equal(l.count, 4);
    assert_int_equal(l.items[0].seq, s4);
    assert_string_equal(l.items[0].details, "{}");
    assert_null(l.items[0].client_ip);
    audit_list_clear(&l);
    fl = (struct audit_filter){.ascending = true, .after_seq = s1, .limit = 2};
    assert_int_equal(store_audit_query(st, &fl, &l), 0);
    assert_int_equal(l.count, 2);
    assert_int_equal(l.items[0].seq, s2);
    audit_list_clear(&l);
    fl = (struct audit_filter){
        .activity = "login", .has_from = true, .from = 0, .has_to = true, .to = 300, .limit = 10};
    assert_int_equal(store_audit_query(st, &fl, &l), 0);
    assert_int_equal(l.count, 1);
    audit_list_clear(&l);
    fl = (struct audit_filter){.tenant_view = true, .tenant_id = "t1", .limit = 10};
    assert_int_equal(store_audit_query(st, &fl, &l), 0);
    assert_int_equal(l.count, 3); /* not the request's that never reached the customer */
    audit_list_clear(&l);
}

static void webhooks_and_outbox(void **state)
{
    struct fixture *f = *state;
    struct store *st = f->st;
    struct webhook w = {0};
    struct webhook_list wl = {0};
    struct outbox_list ol = {0};
    struct outbox_counts c = {0};
    int64_t at = -1;

    seed(st);
    struct webhook in = rows_webhook("w1", "t1");
    assert_int_equal(store_webhook_insert(st, &in), 0);
    assert_int_equal(store_webhook_insert(st, &in), LB_EEXISTS);
    in.id = S("w0");
    in.tenant_id = NULL;
    in.event_count = 1;
    assert_int_equal(store_webhook_insert(st, &in), 0);
    assert_int_equal(store_webhook_get(st, "w1", &w), 0);
    assert_string_equal(w.secret, "s3cret");
    assert_int_equal(w.event_count, 2);
    webhook_clear(&w);
    assert_int_equal(store_webhook_list(st, "t1", false, &wl), 0);
    assert_int_equal(wl.count, 1);
    webhook_list_clear(&wl);
    assert_int_equal(store_webhook_list(st, "t1", true, &wl), 0);
    assert_int_equal(wl.count, 2);
    assert_string_equal(wl.items[0].id, "w1"); /* same time: insertion order */
    webhook_list_clear(&wl);
    assert_int_equal(store_webhook_list(st, NULL, false, &wl), 0);
    assert_int_equal(wl.count, 1);
    assert_string_equal(wl.items[0].secret, "s3cret");
    webhook_list_clear(&wl);
    assert_int_equal(store_webhook_delete(st, "w0"), 0);
    assert_int_equal(store_webhook_delete(st, "w0"), LB_ENOTFOUND);

    struct outbox_msg m = rows_outbox_msg("m1");
    assert_int_equal(store_outbox_insert(st, &m), 0);
    assert_int_equal(store_outbox_insert(st, &m), LB_EEXISTS);
    m.id = S("m2");
    m.channel = S("webhook");
    m.webhook_id = S("w1");
    m.tenant_visible = false;
    m.next_attempt_at = 40;
    assert_int_equal(store_outbox_insert(st, &m), 0);
    assert_int_equal(store_outbox_next_due(st, "email", &at), 0);
    assert_int_equal(at, 50);
    assert_int_equal(store_outbox_due(st, "email", 49, 10, &ol), 0);
    assert_int_equal(ol.count, 0);
    outbox_list_clear(&ol);
    assert_int_equal(store_outbox_due(st, "email", 50, 10, &ol), 0);
    assert_int_equal(ol.count, 1);
    assert_string_equal(ol.items[0].payload, "Subject: x\r\n\r\nbody");
    assert_null(ol.items[0].webhook_id);
    struct outbox_msg sent = ol.items[0];
    sent.status = OUTBOX_DELIVERED;
    sent.attempts = 1;
    sent.next_attempt_at = 0;
    sent.last_attempt_at = sent.delivered_at = 60;
    assert_int_equal(store_outbox_update(st, &sent), 0);
    outbox_list_clear(&ol);
    assert_int_equal(store_outbox_next_due(st, "email", &at), 0);
    assert_int_equal(at, 0);
    assert_int_equal(store_outbox_list_for_request(st, "q1", true, &ol), 0);
    assert_int_equal(ol.count, 1);
    assert_int_equal(ol.items[0].status, OUTBOX_DELIVERED);
    assert_int_equal(ol.items[0].delivered_at, 60);
    assert_int_equal(ol.items[0].next_attempt_at, 0);
    outbox_list_clear(&ol);
    assert_int_equal(store_outbox_list_for_request(st, "q1", false, &ol), 0);
    assert_int_equal(ol.count, 2);
    outbox_list_clear(&ol);
    assert_int_equal(store_outbox_count(st, &c), 0);
    assert_true(c.pending == 1 && c.delivered == 1 && c.failed == 0);
    m.id = S("nope");
    assert_int_equal(store_outbox_update(st, &m), LB_ENOTFOUND);
}

static void login_throttle_records(void **state)
{
    struct fixture *f = *state;
    struct store *st = f->st;
    struct login_throttle t = {0};
    struct login_throttle_list l = {0};

    struct login_throttle in = {
        .kind = THROTTLE_USERNAME, .name = S("bob"), .failures = 1, .last_failure_at = 100};
    assert_int_equal(store_login_throttle_put(st, &in), 0);
    in.failures = 5;
    in.locked_until = 500;
    assert_int_equal(store_login_throttle_put(st, &in), 0); /* replaces */
    in.name = S("Alice");
    in.locked_until = 0;
    in.last_failure_at = 10;
    assert_int_equal(store_login_throttle_put(st, &in), 0);
    in.kind = THROTTLE_ADDRESS;
    in.name = S("10.0.0.1");
    in.last_failure_at = 200;
    assert_int_equal(store_login_throttle_put(st, &in), 0);

    assert_int_equal(store_login_throttle_get(st, THROTTLE_USERNAME, "bob", &t), 0);
    assert_int_equal(t.failures, 5);
    assert_int_equal(t.locked_until, 500);
    login_throttle_clear(&t);
    assert_int_equal(store_login_throttle_get(st, THROTTLE_ADDRESS, "bob", &t), LB_ENOTFOUND);
    assert_int_equal(store_login_throttle_list(st, -1, 300, 0, &l), 0);
    assert_int_equal(l.count, 3);
    assert_string_equal(l.items[0].name, "Alice"); /* kind, then name in byte order */
    assert_int_equal(l.items[2].kind, THROTTLE_ADDRESS);
    login_throttle_list_clear(&l);
    assert_int_equal(store_login_throttle_list(st, THROTTLE_USERNAME, 300, 50, &l), 0);
    assert_int_equal(l.count, 1); /* bob: locked; Alice failed before `since` */
    login_throttle_list_clear(&l);
    assert_int_equal(store_login_throttle_prune(st, 300, 50), 0);
    assert_int_equal(store_login_throttle_get(st, THROTTLE_USERNAME, "Alice", &t), LB_ENOTFOUND);
    assert_int_equal(store_login_throttle_delete(st, THROTTLE_USERNAME, "bob"), 0);
    assert_int_equal(store_login_throttle_delete(st, THROTTLE_USERNAME, "bob"), 0);
    assert_int_equal(store_login_throttle_get(st, THROTTLE_USERNAME, "bob", &t), LB_ENOTFOUND);
}

static void the_event_stream(void **state)
{
    struct fixture *f = *state;
    struct store *st = f->st;
    struct request_event_list l = {0};
    int64_t pruned = -1, last = -1, deleted = -1;

    assert_int_equal(store_event_bounds(st, &pruned, &last), 0);
    assert_true(pruned == 0 && last == 0);
    int64_t e1 = rows_event_add(st, "t1", "q1", true, 100);
    int64_t e2 = rows_event_add(st, "t1", "q1", false, 200);
    int64_t e3 = rows_event_add(st, "t2", "q1", true, 300);
    assert_true(e1 < e2 && e2 < e3);
    struct request_event_filter fl = {.after_seq = e1, .limit = 10};
    assert_int_equal(store_event_list(st, &fl, &l), 0);
    assert_int_equal(l.count, 2);
    assert_int_equal(l.items[0].seq, e2);
    assert_false(l.items[0].tenant_visible);
    request_event_list_clear(&l);
    fl = (struct request_event_filter){.through_seq = e2, .limit = 10};
    assert_int_equal(store_event_list(st, &fl, &l), 0);
    assert_int_equal(l.count, 2);
    request_event_list_clear(&l);
    fl = (struct request_event_filter){.tenant_id = "t1", .limit = 10};
    assert_int_equal(store_event_list(st, &fl, &l), 0);
    assert_int_equal(l.count, 1); /* the tenant's visible ones */
    request_event_list_clear(&l);

    /* pruning takes a prefix: what is older than 150, and all but the newest one */
    assert_int_equal(store_event_prune(st, 150, 1, &deleted), 0);
    assert_int_equal(deleted, 2);
    assert_int_equal(store_event_bounds(st, &pruned, &last), 0);
    assert_int_equal(pruned, e2);
    assert_int_equal(last, e3);
    assert_int_equal(store_event_prune(st, 1000, 0, &deleted), 0);
    assert_int_equal(deleted, 1);
    assert_int_equal(store_event_bounds(st, &pruned, &last), 0);
    assert_true(pruned == e3 && last == e3); /* a seq is kept after its row is gone */
    assert_true(rows_event_add(st, "t1", "q1", true, 400) > e3);
    assert_int_equal(store_event_prune(st, 0, 5, &deleted), 0);
    assert_int_equal(deleted, 0);
}

/* ---- transactions ---- */

static void a_rolled_back_transaction_leaves_nothing(void **state)
{
    struct fixture *f = *state;
    struct store *st = f->st;
    struct tenant t = {0};
    int64_t seq = 0;

    assert_int_equal(store_begin(st), 0);
    rows_tenant_add(st, "t1", "Acme", 10);
    assert_int_equal(store_meta_set(st, "k", "v"), 0);
    rows_audit_add(st, "x", NULL, 1, &seq);
    assert_true(has_meta(st, "k")); /* its own writes, seen inside */
    store_rollback(st);
    assert_false(has_meta(st, "k"));
    assert_int_equal(store_tenant_get(st, "t1", &t), LB_ENOTFOUND);
    struct audit_list l = {0};
    struct audit_filter fl = {.limit = 10};
    assert_int_equal(store_audit_query(st, &fl, &l), 0);
    assert_int_equal(l.count, 0);
    audit_list_clear(&l);
}

static void a_duplicate_inside_a_transaction_leaves_it_usable(void **state)
{
    struct fixture *f = *state;
    struct store *st = f->st;
    struct tenant t = {0};

    rows_tenant_add(st, "t1", "Acme", 10);
    assert_int_equal(store_begin(st), 0);
    struct tenant dup = {.id = S("t1"), .name = S("Other"), .plan = S("p")};
    assert_int_equal(store_tenant_insert(st, &dup), LB_EEXISTS);
    assert_int_equal(rows_user_add(st, "u1", "t1", "alice", NULL, NULL), 0);
    assert_int_equal(rows_user_add(st, "u2", "t1", "alice", NULL, NULL), LB_EEXISTS);
    assert_int_equal(store_meta_set(st, "after", "yes"), 0);
    assert_int_equal(store_commit(st), 0);
    assert_true(has_meta(st, "after"));
    assert_int_equal(store_tenant_get(st, "t1", &t), 0);
    assert_string_equal(t.name, "Acme");
    tenant_clear(&t);
}

struct reader {
    struct store *st;
    bool saw;
};

static void *read_uncommitted(void *arg)
{
    struct reader *r = arg;

    r->saw = has_meta(r->st, "pending");
    return NULL;
}

static void other_threads_see_only_what_is_committed(void **state)
{
    struct fixture *f = *state;
    struct reader r = {.st = f->st};
    pthread_t th;

    assert_int_equal(store_begin(f->st), 0);
    assert_int_equal(store_meta_set(f->st, "pending", "1"), 0);
    assert_int_equal(pthread_create(&th, NULL, read_uncommitted, &r), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_false(r.saw);
    assert_int_equal(store_commit(f->st), 0);
    read_uncommitted(&r);
    assert_true(r.saw);
}

#define WRITERS 8
#define TX_EACH 25

struct writer {
    struct store *st;
    int index, failed;
};

/* TX_EACH transactions, each an audit record and a meta row; every third rolled back. */
static void *write_many(void *arg)
{
    struct writer *w = arg;
    char key[32];

    for (int i = 0; i < TX_EACH; i++) {
        struct audit_record rec = {.time = i,
                                   .actor = S("w"),
                                   .actor_type = S("system"),
                                   .activity = S(i % 3 == 2 ? "undone" : "done")};
        snprintf(key, sizeof(key), "w%d-%d", w->index, i);
        if (store_begin(w->st) != 0) {
            w->failed++;
            continue;
        }
        if (store_audit_insert(w->st, &rec, NULL) != 0 || store_meta_set(w->st, key, "1") != 0)
            w->failed++;
        if (i % 3 == 2)
            store_rollback(w->st);
        else if (store_commit(w->st) != 0)
            w->failed++;
    }
    return NULL;
}

static void concurrent_transactions_share_commits(void **state)
{
    struct fixture *f = *state;
    struct store *st = f->st;
    struct writer w[WRITERS];
    pthread_t th[WRITERS];
    struct store_stats before, after;
    struct audit_list l = {0};
    int kept = 0;

    for (int i = 0; i < TX_EACH; i++)
        kept += i % 3 != 2;
    store_stats_get(st, &before);
    for (int i = 0; i < WRITERS; i++) {
        w[i] = (struct writer){.st = st, .index = i};
        assert_int_equal(pthread_create(&th[i], NULL, write_many, &w[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].failed, 0);
    }
    store_stats_get(st, &after);
    assert_int_equal(after.transactions - before.transactions, WRITERS * kept);
    assert_true(after.commits - before.commits <= after.transactions - before.transactions);
    struct audit_filter fl = {.limit = 10000};
    assert_int_equal(store_audit_query(st, &fl, &l), 0);
    assert_int_equal(l.count, WRITERS * kept);
    for (size_t i = 0; i < l.count; i++)
        assert_string_equal(l.items[i].activity, "done");
    audit_list_clear(&l);
    assert_true(has_meta(st, "w7-0"));
    assert_false(has_meta(st, "w7-2"));
}

/* ---- secrets ---- */

static void secrets_need_the_stores_key(void **state)
{
    struct fixture *f = *state;
    struct store *st = f->st;
    struct seal *other = NULL;

    rows_tenant_add(st, "t1", "Acme", 10);
    /* no seal yet: nothing secret is written or read */
    assert_int_equal(rows_user_add(st, "u1", "t1", "alice", NULL, "JBSWY3DPEHPK3PXP"), LB_EKEY);
    assert_int_equal(seal_new_ephemeral(&f->seal), 0);
    assert_int_equal(store_seal_attach(st, f->seal), 0);
    assert_int_equal(rows_user_add(st, "u1", "t1", "alice", NULL, "JBSWY3DPEHPK3PXP"), 0);
    char *id = NULL;
    assert_int_equal(store_meta_get(st, STORE_META_SEAL_KEY_ID, &id), 0);
    lb_free(id);
    /* a store sealed with one key refuses another */
    assert_int_equal(seal_new_ephemeral(&other), 0);
    assert_int_equal(store_seal_attach(st, other), LB_EKEY);
    assert_int_equal(store_seal_attach(st, f->seal), 0);
    seal_free(other);
}

/* A record in a chain, its hashes made up (the store does not check them). */
static void chained_add(struct store *st, const char *chain, int64_t index)
{
    char hash[65];
    struct audit_record rec = rows_audit("x", NULL, 100 + index);

    snprintf(hash, sizeof(hash), "%064lld", (long long)index);
    rec.chain = chain;
    rec.chain_index = index;
    rec.prev_hash = hash;
    rec.hash = hash;
    assert_int_equal(store_audit_insert(st, &rec, NULL), 0);
}

/* The chains stream id has still to send, as "chain:sent:head ..." */
static void assert_backlog(struct store *st, const char *id, const char *want)
{
    struct audit_stream_chain_list l = {0};
    char got[256] = "";
    size_t n = 0;

    assert_int_equal(store_audit_stream_backlog(st, id, &l), 0);
    for (size_t i = 0; i < l.count; i++)
        n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%s:%lld:%lld", i ? " " : "",
                              l.items[i].chain, (long long)l.items[i].sent_index,
                              (long long)l.items[i].head_index);
    assert_string_equal(got, want);
    audit_stream_chain_list_clear(&l);
}

static void audit_streams_and_cursors(void **state)
{
    struct fixture *f = *state;
    struct store *st = f->st;
    struct audit_stream t1 = {
        .id = "t1", .url = "tcp://a:1", .profile = "lockbox", .created_at = 5};
    struct audit_stream prov = {.id = "provider", .url = "tls://b:2", .profile = "m365"};
    struct audit_stream_list l = {0};

    chained_add(st, "t1", 1);
    chained_add(st, "t1", 2);
    chained_add(st, "t2", 1);
    /* a new stream starts after the newest record of each chain it covers */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_audit_stream_put(st, &t1), 0);
    assert_int_equal(store_audit_stream_put(st, &prov), 0);
    assert_int_equal(store_commit(st), 0);
    assert_backlog(st, "t1", "");
    assert_backlog(st, "provider", "");
    chained_add(st, "t1", 3);
    chained_add(st, "t2", 2);
    chained_add(st, "t3", 1); /* a chain begun later is sent whole */
    assert_backlog(st, "t1", "t1:2:3");
    assert_backlog(st, "provider", "t1:2:3 t2:1:2 t3:0:1");
    /* what was sent, and the delivery state */
    t1.delivered = 1;
    t1.last_attempt_at = 9;
    assert_int_equal(store_audit_stream_update(st, &t1, "a", "t1", 3), 0);
    assert_backlog(st, "t1", "");
    assert_int_equal(store_audit_stream_update(st, &t1, "a", "t1", 1), 0); /* never back */
    assert_backlog(st, "t1", "");
    prov.attempts = 2;
    prov.next_attempt_at = 20;
    prov.last_error = "connect: refused";
    assert_int_equal(store_audit_stream_update(st, &prov, "a", NULL, 0), 0);
    assert_backlog(st, "provider", "t1:2:3 t2:1:2 t3:0:1");
    assert_int_equal(store_audit_streams(st, &l), 0);
    assert_int_equal(l.count, 2);
    assert_string_equal(l.items[0].id, "provider");
    assert_string_equal(l.items[0].profile, "m365");
    assert_int_equal(l.items[0].attempts, 2);
    assert_int_equal(l.items[0].next_attempt_at, 20);
    assert_string_equal(l.items[0].last_error, "connect: refused");
    assert_string_equal(l.items[1].url, "tcp://a:1");
    assert_int_equal(l.items[1].delivered, 1);
    assert_int_equal(l.items[1].created_at, 5);
    assert_null(l.items[1].last_error);
    audit_stream_list_clear(&l);
    /* a state for another url than the stream's now is not recorded */
    struct audit_stream stale = t1;
    stale.url = "tcp://old:1";
    assert_int_equal(store_audit_stream_update(st, &stale, "a", "t1", 1), LB_ENOTFOUND);
    assert_backlog(st, "t1", "");
    /* another collector: a fresh delivery state, what was sent stays sent */
    prov.url = "tcp://c:3";
    assert_int_equal(store_audit_stream_put(st, &prov), 0);
    assert_int_equal(store_audit_streams(st, &l), 0);
    assert_string_equal(l.items[0].url, "tcp://c:3");
    assert_int_equal(l.items[0].attempts, 0);
    assert_null(l.items[0].last_error);
    audit_stream_list_clear(&l);
    assert_backlog(st, "provider", "t1:2:3 t2:1:2 t3:0:1");
    /* one holder at a time, until its lease ends */
    assert_int_equal(store_audit_stream_claim(st, "provider", "a", 100, 160), 0);
    assert_int_equal(store_audit_stream_claim(st, "provider", "a", 110, 170), 0);
    assert_int_equal(store_audit_stream_claim(st, "provider", "b", 120, 180), LB_ECONFLICT);
    assert_int_equal(store_audit_stream_claim(st, "provider", "b", 171, 230), 0);
    assert_int_equal(store_audit_stream_claim(st, "provider", "a", 172, 232), LB_ECONFLICT);
    assert_int_equal(store_audit_stream_claim(st, "provider", "b", 173, 0), 0); /* released */
    assert_int_equal(store_audit_stream_claim(st, "provider", "a", 174, 234), 0);
    assert_int_equal(store_audit_stream_claim(st, "gone", "a", 174, 234), LB_ECONFLICT);
    /* only the holder records a stream's delivery */
    assert_int_equal(store_audit_stream_update(st, &prov, "b", "t2", 2), LB_ENOTFOUND);
    assert_int_equal(store_audit_stream_update(st, &prov, "a", "t2", 2), 0);
    assert_backlog(st, "provider", "t1:2:3 t3:0:1");
    /* records held for a review, by chain and index, each once */
    struct audit_stream_held_list held = {0};
    assert_int_equal(store_audit_stream_hold(st, "t1", "t1", 3, "q1"), 0);
    assert_int_equal(store_audit_stream_hold(st, "t1", "t1", 3, "q1"), 0);
    assert_int_equal(store_audit_stream_hold(st, "t1", "t1", 2, "q1"), 0);
    assert_int_equal(store_audit_stream_held(st, "t1", 10, &held), 0);
    assert_int_equal(held.count, 2);
    assert_int_equal(held.items[0].index, 2);
    assert_string_equal(held.items[1].request_id, "q1");
    audit_stream_held_list_clear(&held);
    assert_int_equal(store_audit_stream_release(st, "t1", "t1", 2), 0);
    assert_int_equal(store_audit_stream_release(st, "t1", "t1", 2), 0);
    assert_int_equal(store_audit_stream_held(st, "t1", 10, &held), 0);
    assert_int_equal(held.count, 1);
    audit_stream_held_list_clear(&held);
    /* forgotten, with what it sent and held */
    assert_int_equal(store_audit_stream_delete(st, "t1", false), 0);
    assert_int_equal(store_audit_stream_held(st, "t1", 10, &held), 0);
    assert_int_equal(held.count, 0);
    assert_int_equal(store_audit_stream_delete(st, "t1", false), 0);
    assert_int_equal(store_audit_streams(st, &l), 0);
    assert_int_equal(l.count, 1);
    audit_stream_list_clear(&l);
    assert_int_equal(store_audit_stream_put(st, &t1), 0);
    assert_backlog(st, "t1", "");
    /* ended but remembering what it sent, made again it goes on from there */
    assert_backlog(st, "provider", "t1:2:3 t3:0:1");
    assert_int_equal(store_audit_stream_delete(st, "provider", true), 0);
    assert_int_equal(store_audit_stream_put(st, &prov), 0);
    assert_backlog(st, "provider", "t1:2:3"); /* a chain it never sent starts at its head */
}

static void audit_retention_prunes_through_a_checkpoint(void **state)
{
    struct fixture *f = *state;
    struct store *st = f->st;
    struct audit_checkpoint cp = {0};
    struct audit_chain_head h = {0};
    struct audit_list l = {0};
    int64_t n = -1;

    for (int64_t i = 1; i <= 5; i++)
        chained_add(st, "t1", i);
    chained_add(st, "t2", 1);
    for (int64_t i = 2; i <= 4; i += 2) {
        char hash[65];
        snprintf(hash, sizeof(hash), "%064lld", (long long)i);
        struct audit_checkpoint c = {.chain = "t1",
                                     .index = i,
                                     .hash = hash,
                                     .time = 40 * i,
                                     .key_id = "k",
                                     .signature = "s"};
        assert_int_equal(store_audit_checkpoint_insert(st, &c), 0);
    }
    /* the newest checkpoint signed by a time, of a record at most an index */
    assert_int_equal(store_audit_checkpoint_before(st, "t1", 100, 100, &cp), 0);
    assert_int_equal(cp.index, 2);
    audit_checkpoint_clear(&cp);
    assert_int_equal(store_audit_checkpoint_before(st, "t1", 500, 100, &cp), 0);
    assert_int_equal(cp.index, 4);
    audit_checkpoint_clear(&cp);
    assert_int_equal(store_audit_checkpoint_before(st, "t1", 500, 3, &cp), 0);
    assert_int_equal(cp.index, 2);
    audit_checkpoint_clear(&cp);
    assert_int_equal(store_audit_checkpoint_before(st, "t1", 79, 100, &cp), LB_ENOTFOUND);
    assert_int_equal(store_audit_checkpoint_before(st, "t2", 500, 100, &cp), LB_ENOTFOUND);
    /* nothing goes before the mark */
    assert_int_equal(store_audit_prune(st, "t1", 10, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(store_audit_prune_mark(st, "t1", 2), 0);
    assert_int_equal(store_audit_prune_mark(st, "t1", 2), LB_ECONFLICT);
    assert_int_equal(store_audit_prune_mark(st, "t1", 1), LB_ECONFLICT);
    assert_int_equal(store_audit_prune_mark(st, "nope", 1), LB_ECONFLICT);
    assert_int_equal(store_audit_chain_head(st, "t1", &h), 0);
    assert_int_equal(h.pruned_index, 2);
    assert_int_equal(h.index, 5);
    audit_chain_head_clear(&h);
    /* then the records through it, oldest first, a batch at a time; the rest stays */
    assert_int_equal(store_audit_prune(st, "t1", 1, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(store_audit_chain_records(st, "t1", 0, 10, &l), 0);
    assert_int_equal(l.count, 4);
    assert_int_equal(l.items[0].chain_index, 2);
    audit_list_clear(&l);
    assert_int_equal(store_audit_prune(st, "t1", 10, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(store_audit_prune(st, "t1", 10, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(store_audit_chain_records(st, "t1", 0, 10, &l), 0);
    assert_int_equal(l.count, 3);
    assert_int_equal(l.items[0].chain_index, 3);
    audit_list_clear(&l);
    assert_int_equal(store_audit_prune(st, "t2", 10, &n), 0);
    assert_int_equal(n, 0);
    struct audit_chain_head_list all = {0};
    assert_int_equal(store_audit_chains(st, false, &all), 0);
    assert_int_equal(all.count, 2);
    assert_int_equal(all.items[0].pruned_index, 2);
    assert_int_equal(all.items[1].pruned_index, 0);
    audit_chain_head_list_clear(&all);
}

static int make_db(void **state)
{
    (void)state;
    return use_pg && !testdb_create(pg_db, sizeof(pg_db), pg_url, sizeof(pg_url));
}

static int drop_db(void **state)
{
    (void)state;
    if (use_pg)
        testdb_drop(pg_db);
    return 0;
}

int main(int argc, char **argv)
{
#define CASE(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        CASE(meta_is_a_map),
        CASE(a_ping_answers),
        CASE(tenants_round_trip),
        CASE(users_and_roles),
        CASE(sessions_and_tokens),
        CASE(tickets_and_history),
        CASE(requests_round_trip),
        CASE(a_requests_requester_facts_round_trip),
        CASE(request_lists_and_deadlines),
        CASE(audit_appends_and_queries),
        CASE(audit_streams_and_cursors),
        CASE(audit_retention_prunes_through_a_checkpoint),
        CASE(webhooks_and_outbox),
        CASE(login_throttle_records),
        CASE(the_event_stream),
        CASE(a_rolled_back_transaction_leaves_nothing),
        CASE(a_duplicate_inside_a_transaction_leaves_it_usable),
        CASE(other_threads_see_only_what_is_committed),
        CASE(concurrent_transactions_share_commits),
        cmocka_unit_test_setup_teardown(secrets_need_the_stores_key, setup_bare, teardown),
    };
#undef CASE

    use_pg = argc > 1 && strcmp(argv[1], "pg") == 0;
    if (use_pg && !testdb_cluster()) {
        printf("no PostgreSQL cluster (LOCKBOX_TEST_PG_URL): skipped\n");
        return TESTDB_SKIP;
    }
    if (sodium_init() < 0)
        return 1;
    log_set_level(LOG_LEVEL_WARN); /* not every migration of every case */
    return cmocka_run_group_tests_name(
        use_pg ? "store contract: postgresql" : "store contract: sqlite", tests, make_db, drop_db);
}
