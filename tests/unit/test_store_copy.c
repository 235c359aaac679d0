/*
 * store_copy (store/store_copy.h) and the whole-row ops under it: a SQLite store filled through
 * the store's own calls is copied into an empty store, SQLite (no argument) or PostgreSQL
 * (argument `pg`: a database of the run's own on the cluster of LOCKBOX_TEST_PG_URL, emptied
 * before each case; skipped, 77, without it). The copy holds every row of every table as the
 * source does, column for column; the copied store opens with the source's key and numbers new
 * rows past the copied ones; a target with a row is refused untouched; a copy that fails or is
 * stopped halfway, or whose check finds a difference, leaves the target empty. And the table
 * list (store/store_table.h) names exactly the tables and columns of both backends' schemas.
 */
#include "pg_testdb.h"
#include "store/seal.h"
#include "store/store.h"
#include "store/store_copy.h"
#include "store/store_pg.h"
#include "store/store_sqlite.h"
#include "store/store_table.h"
#include "store_rows.h"
#include "util/log.h"
#include "util/mem.h"

#include <libpq-fe.h>
#include <setjmp.h>
#include <sodium.h>
#include <sqlite3.h>
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
#define TOTP_SEED "JBSWY3DPEHPK3PXP"
#define DISPLAY_NAME "Ünïcode ✓" /* not ASCII */

static bool use_pg;
static char pg_db[64], pg_url[512]; /* the run's PostgreSQL database */

struct fixture {
    struct store *src, *dst;
    struct seal *seal;
    char dir[64], src_path[128], dst_path[128];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    rows_tempdir(f->dir, sizeof(f->dir), "copy");
    snprintf(f->src_path, sizeof(f->src_path), "%s/src.db", f->dir);
    snprintf(f->dst_path, sizeof(f->dst_path), "%s/dst.db", f->dir);
    f->src = rows_sqlite_open(f->src_path);
    assert_int_equal(seal_new_ephemeral(&f->seal), 0);
    assert_int_equal(store_seal_attach(f->src, f->seal), 0);
    if (use_pg) {
        assert_true(testdb_reset(pg_url));
        f->dst = rows_pg_open(pg_url);
    } else {
        f->dst = rows_sqlite_open(f->dst_path);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    store_close(f->src);
    store_close(f->dst);
    seal_free(f->seal);
    rows_sqlite_unlink(f->src_path);
    rows_sqlite_unlink(f->dst_path);
    assert_int_equal(rmdir(f->dir), 0);
    free(f);
    return 0;
}

/* ---- a source with rows in every table ---- */

/* The rows of store_rows.h, with what tests a copy's fidelity: text with control characters,
 * quotes and letters past ASCII, NULLs beside values. */
static void add_request(struct store *st, const char *id, enum request_status status)
{
    struct request r = rows_request(id, status, 30);

    r.requester_id = S("u2");
    r.requester_username = S("eve");
    r.justification = S("fix\nthe\tbackup");
    r.internal_review_required = status == REQ_APPROVED;
    r.expires_at = status == REQ_PENDING ? 4000 : 0;
    r.grant_starts_at = status == REQ_APPROVED ? 40 : 0;
    r.grant_ends_at = status == REQ_APPROVED ? 9000000000 : 0;
    r.reminder_at = status == REQ_PENDING ? 3000 : 0;
    r.status_reason = status == REQ_APPROVED ? S("ok") : NULL;
    assert_int_equal(store_request_insert(st, &r), 0);
}

static void add_decision(struct store *st, enum decision_kind kind, const char *reason)
{
    struct decision d = rows_decision(kind, 35, reason, reason ? "10.0.0.1" : NULL);

    assert_int_equal(store_request_decision_insert(st, "q1", &d), 0);
}

/* A hash of 64 hex digits, the digit d repeated (the copy moves hashes, it does not check them). */
static const char *hash_of(char d)
{
    static char h[16][65];
    int i = d >= 'a' ? d - 'a' + 10 : d - '0';

    memset(h[i], d, 64);
    h[i][64] = '\0';
    return h[i];
}

/* the chains' records (the first unchained, as one an older lockboxd wrote), a checkpoint and
 * its key */
static void add_audit(struct store *st, const char *activity, const char *request_id, int n)
{
    struct audit_record rec = rows_audit(activity, request_id, 50);

    if (n > 0) { /* 0: unchained */
        rec.chain = request_id ? S("t1") : S("provider");
        rec.chain_index = request_id ? n : 1;
        rec.prev_hash = hash_of((char)('0' + n - 1));
        rec.hash = hash_of((char)('0' + n));
    }
    rec.tenant_id = request_id ? S("t1") : NULL;
    rec.actor_id = S("u1");
    rec.client_ip = request_id ? S("10.0.0.1") : NULL;
    rec.decision = request_id ? S("approve") : NULL;
    rec.details = S("{\"why\":\"é \\\"quoted\\\"\"}");
    assert_int_equal(store_audit_insert(st, &rec, NULL), 0);
}

static void add_event(struct store *st, int64_t at)
{
    struct request_event e = rows_event("t1", "q2", at % 2 == 0, at);

    e.body = S("{\"n\":1}");
    assert_int_equal(store_event_insert(st, &e, NULL), 0);
}

static void add_notifications(struct store *st)
{
    struct webhook w = rows_webhook("w1", "t1");
    struct outbox_msg m = rows_outbox_msg("m1");
    struct login_throttle lt = {
        .kind = THROTTLE_USERNAME, .name = S("bob"), .failures = 5, .last_failure_at = 100};

    assert_int_equal(store_webhook_insert(st, &w), 0);
    w.id = S("w0");
    w.tenant_id = NULL;
    assert_int_equal(store_webhook_insert(st, &w), 0);
    assert_int_equal(store_outbox_insert(st, &m), 0);
    m.id = S("m2");
    m.channel = S("webhook");
    m.webhook_id = S("w1");
    m.tenant_visible = false;
    m.status = OUTBOX_FAILED;
    m.last_error = S("refused");
    assert_int_equal(store_outbox_insert(st, &m), 0);
    assert_int_equal(store_login_throttle_put(st, &lt), 0);
    lt.kind = THROTTLE_ADDRESS;
    lt.name = S("10.0.0.1");
    lt.locked_until = 900;
    assert_int_equal(store_login_throttle_put(st, &lt), 0);
}

/* Rows in every table, with the gaps a store in use has: a deleted role and API token, pruned
 * events. */
static void fill(struct store *st)
{
    struct ticket_event ev = {.at = 25, .by = S("alice"), .type = S("comment"), .text = S("hi")};
    struct session se = rows_session("h1", "u1", 99);
    int64_t deleted = 0;

    rows_tenant_add(st, "t1", "Acme", 10);
    rows_tenant_add(st, "t2", "Globex", 10);
    assert_int_equal(rows_user_add(st, "u1", "t1", "alice", DISPLAY_NAME, NULL), 0);
    assert_int_equal(rows_user_add(st, "u2", NULL, "eve", DISPLAY_NAME, TOTP_SEED), 0);
    rows_role_add(st, "r1", "t1", "u1", "lockbox_approver", 20);
    rows_role_add(st, "r2", "t1", "u1", "owner", 20);
    rows_role_add(st, "r3", "t1", "u2", "auditor", 20);
    assert_int_equal(store_role_delete(st, "r2"), 0);
    assert_int_equal(store_session_insert(st, &se), 0);
    se = rows_api_token("h2", "u2", "tok1");
    assert_int_equal(store_session_insert(st, &se), 0);
    se.token_hash = S("h3");
    se.token_id = S("tok2");
    assert_int_equal(store_session_insert(st, &se), 0);
    assert_int_equal(store_token_delete(st, "tok1"), 0);
    rows_ticket_add(st, "k1", "t1", 20);
    rows_ticket_add(st, "k2", "t1", 20);
    assert_int_equal(store_ticket_event_append(st, "k1", &ev), 0);
    ev.text = S("again");
    assert_int_equal(store_ticket_event_append(st, "k1", &ev), 0);
    add_request(st, "q1", REQ_APPROVED);
    add_request(st, "q2", REQ_PENDING);
    add_decision(st, DECISION_REVIEW, NULL);
    add_decision(st, DECISION_CUSTOMER, "go ahead");
    for (int i = 0; i < 3; i++)
        add_audit(st, "request.create", "q1", i);
    add_audit(st, "user.create", NULL, 3);
    struct audit_checkpoint cp = {.chain = S("t1"),
                                  .index = 2,
                                  .hash = hash_of('3'),
                                  .time = 60,
                                  .key_id = S("k1"),
                                  .signature = hash_of('f')};
    struct audit_key key = {.id = S("k1"), .public_key = hash_of('e'), .created_at = 1};
    assert_int_equal(store_audit_checkpoint_insert(st, &cp), 0);
    assert_int_equal(store_audit_key_insert(st, &key), 0);
    struct audit_stream stream = {.id = "t1", .url = "tls://siem:6514", .profile = "m365"};
    assert_int_equal(store_audit_stream_put(st, &stream), 0);
    stream.attempts = 1;
    stream.last_error = "connect: refused";
    assert_int_equal(store_audit_stream_update(st, &stream, "node-1", "t1", 1), 0);
    assert_int_equal(store_audit_stream_hold(st, "t1", "t1", 2, "q1"), 0);
    assert_int_equal(store_audit_stream_claim(st, "t1", "node-1", 10, 70), 0);
    add_notifications(st);
    for (int64_t at = 1; at <= 4; at++)
        add_event(st, at);
    assert_int_equal(store_event_prune(st, 3, 2, &deleted), 0); /* 1 and 2 */
    assert_int_equal(deleted, 2);
}

/* ---- reading a store back ---- */

struct dump {
    const struct store_table *t;
    struct buf text; /* one line per row, each value typed: N (NULL), i<n>, t<len>:<text> */
};

static int dump_row(void *ctx, const struct store_value *row)
{
    struct dump *d = ctx;

    for (size_t i = 0; i < d->t->column_count; i++) {
        const struct store_value *v = &row[i];
        if (v->is_null)
            buf_puts(&d->text, "N ");
        else if (d->t->columns[i].type == STORE_COLUMN_TEXT)
            buf_appendf(&d->text, "t%zu:%s ", strlen(v->text), v->text);
        else
            buf_appendf(&d->text, "i%lld ", (long long)v->num);
    }
    buf_puts(&d->text, "\n");
    return 0;
}

/* Every row of t in st, as text (the caller releases it). */
static struct buf dump(struct store *st, const struct store_table *t)
{
    struct dump d = {.t = t, .text = BUF_INIT};
    struct buf err = BUF_INIT;

    if (store_table_each(st, t, dump_row, &d, &err) != 0)
        fail_msg("table_each %s: %s", t->name, buf_cstr(&err));
    assert_true(buf_ok(&d.text));
    buf_release(&err);
    return d.text;
}

static int64_t rows_of(struct store *st, const char *table)
{
    int64_t rows = -1, last_seq = -1;

    assert_int_equal(store_table_stat(st, store_table_find(table), &rows, &last_seq), 0);
    return rows;
}

/* Every table of st is empty. */
static void assert_empty(struct store *st)
{
    for (size_t i = 0; i < store_table_count; i++) {
        int64_t rows = rows_of(st, store_tables[i].name);
        if (rows != 0)
            fail_msg("table %s holds %lld rows", store_tables[i].name, (long long)rows);
    }
}

/* ---- progress ---- */

struct watch {
    size_t finished;          /* tables whose copy ended */
    bool checked;             /* the audit check ended */
    const char *stop_after;   /* a table: stop the copy when it is copied (NULL: never) */
    struct store *change;     /* (with stop_after NULL) a store to add an audit record to ... */
    const char *change_after; /* ... once this table is copied */
    int64_t audit_rows;       /* what the audit table's last call said */
};

static int watch_progress(void *ctx, const struct store_copy_progress *p)
{
    struct watch *w = ctx;

    assert_true(p->done <= p->total);
    if (!p->finished)
        return 0;
    assert_int_equal(p->done, p->total);
    if (p->checking) {
        assert_string_equal(p->table, "audit");
        w->checked = true;
        return 0;
    }
    w->finished++;
    if (strcmp(p->table, "audit") == 0)
        w->audit_rows = p->done;
    if (w->stop_after && strcmp(p->table, w->stop_after) == 0)
        return LB_EIO;
    if (w->change && strcmp(p->table, w->change_after) == 0)
        add_audit(w->change, "late.record", NULL, 0);
    return 0;
}

static int copy(struct fixture *f, struct watch *w, struct store_copy_report *r, struct buf *err)
{
    return store_copy(f->src, f->dst, w ? watch_progress : NULL, w, r, err);
}

/* ---- cases ---- */

static void a_copy_holds_every_row_as_the_source(void **state)
{
    struct fixture *f = *state;
    struct store_copy_report r = {0};
    struct watch w = {0};
    struct buf err = BUF_INIT;
    int64_t total = 0;

    fill(f->src);
    if (copy(f, &w, &r, &err) != 0)
        fail_msg("store_copy: %s", buf_cstr(&err));
    for (size_t i = 0; i < store_table_count; i++) {
        const struct store_table *t = &store_tables[i];
        struct buf a = dump(f->src, t), b = dump(f->dst, t);
        int64_t rows = rows_of(f->src, t->name);
        if (rows == 0 && strcmp(t->name, "tenants") != 0)
            fail_msg("the source's table %s is empty: fill() misses it", t->name);
        assert_string_equal(buf_cstr(&b), buf_cstr(&a));
        total += rows;
        buf_release(&a);
        buf_release(&b);
    }
    assert_int_equal(r.tables, store_table_count);
    assert_int_equal(r.rows, total);
    assert_int_equal(r.audit_checked, 4);
    assert_int_equal(w.finished, store_table_count);
    assert_true(w.checked);
    assert_int_equal(w.audit_rows, 4);
    buf_release(&err);
}

static void the_copy_opens_with_the_sources_key_and_numbers_on(void **state)
{
    struct fixture *f = *state;
    struct buf err = BUF_INIT;
    struct user u = {0};
    struct webhook wh = {0};
    struct role_list roles = {0};
    struct seal *other = NULL;
    int64_t seq = 0, a_pruned, a_last, b_pruned, b_last;

    fill(f->src);
    assert_int_equal(copy(f, NULL, NULL, &err), 0);
    /* the seal's key id came with meta: another key is refused, the source's opens */
    assert_int_equal(seal_new_ephemeral(&other), 0);
    assert_int_equal(store_seal_attach(f->dst, other), LB_EKEY);
    seal_free(other);
    assert_int_equal(store_seal_attach(f->dst, f->seal), 0);
    assert_int_equal(store_user_get_by_username(f->dst, "eve", &u), 0);
    assert_string_equal(u.totp_secret, TOTP_SEED);
    user_clear(&u);
    assert_int_equal(store_webhook_get(f->dst, "w1", &wh), 0);
    assert_string_equal(wh.secret, "s3cret");
    webhook_clear(&wh);
    /* sessions and API tokens: the same, revoked ones still gone */
    struct session se = {0};
    assert_int_equal(store_session_get(f->dst, "h1", &se), 0);
    assert_true(se.mfa);
    session_clear(&se);
    assert_int_equal(store_token_get(f->dst, "tok2", &se), 0);
    session_clear(&se);
    assert_int_equal(store_token_get(f->dst, "tok1", &se), LB_ENOTFOUND);
    /* the order kept by insertion (SQLite's rowid, PostgreSQL's seq) */
    rows_role_add(f->dst, "r4", "t1", "u1", "member", 20);
    assert_int_equal(store_role_list_for_tenant(f->dst, "t1", &roles), 0);
    assert_int_equal(roles.count, 3);
    assert_string_equal(roles.items[0].id, "r1");
    assert_string_equal(roles.items[2].id, "r4");
    role_list_clear(&roles);
    /* new rows number on past the copied ones */
    struct audit_record rec = {
        .time = 60, .actor = S("x"), .actor_type = S("system"), .activity = S("after.copy")};
    assert_int_equal(store_audit_insert(f->dst, &rec, &seq), 0);
    assert_int_equal(seq, 5);
    assert_int_equal(store_event_bounds(f->src, &a_pruned, &a_last), 0);
    assert_int_equal(store_event_bounds(f->dst, &b_pruned, &b_last), 0);
    assert_int_equal(b_pruned, a_pruned);
    assert_int_equal(b_last, a_last);
    add_event(f->dst, 70);
    assert_int_equal(store_event_bounds(f->dst, &b_pruned, &b_last), 0);
    assert_int_equal(b_last, a_last + 1);
    buf_release(&err);
}

/* A seq that is never reused continues past rows since deleted, even when none is left. */
static void a_kept_seq_continues_past_deleted_rows(void **state)
{
    struct fixture *f = *state;
    int64_t deleted = 0, pruned, last;

    for (int64_t at = 1; at <= 3; at++)
        add_event(f->src, at);
    assert_int_equal(store_event_prune(f->src, 100, 0, &deleted), 0);
    assert_int_equal(deleted, 3);
    assert_int_equal(copy(f, NULL, NULL, NULL), 0);
    assert_int_equal(rows_of(f->dst, "events"), 0);
    add_event(f->dst, 10);
    assert_int_equal(store_event_bounds(f->dst, &pruned, &last), 0);
    assert_int_equal(pruned, 3);
    assert_int_equal(last, 4);
}

static void a_target_that_holds_a_row_is_refused(void **state)
{
    struct fixture *f = *state;
    struct buf err = BUF_INIT;

    fill(f->src);
    assert_int_equal(store_meta_set(f->dst, "someone", "was here"), 0);
    assert_int_equal(copy(f, NULL, NULL, &err), LB_EPRECONDITION);
    assert_non_null(strstr(buf_cstr(&err), "not empty"));
    assert_non_null(strstr(buf_cstr(&err), "meta (1)"));
    assert_int_equal(rows_of(f->dst, "meta"), 1);
    assert_int_equal(rows_of(f->dst, "users"), 0);
    buf_release(&err);
}

static void a_copy_stopped_halfway_leaves_the_target_empty(void **state)
{
    struct fixture *f = *state;
    struct watch w = {.stop_after = "audit"};
    struct buf err = BUF_INIT;
    int64_t seq = 0;

    fill(f->src);
    assert_int_equal(copy(f, &w, NULL, &err), LB_EIO);
    assert_empty(f->dst);
    /* nothing is left over: the next copy goes through, and numbers on from the source's */
    assert_int_equal(copy(f, NULL, NULL, NULL), 0);
    struct audit_record rec = {
        .time = 60, .actor = S("x"), .actor_type = S("system"), .activity = S("after.copy")};
    assert_int_equal(store_audit_insert(f->dst, &rec, &seq), 0);
    assert_int_equal(seq, 5);
    buf_release(&err);
}

/* A row the target refuses (here one whose request is missing: the source was written with
 * its foreign keys off) fails the copy, naming the table, and leaves the target empty. */
static void a_refused_row_leaves_the_target_empty(void **state)
{
    struct fixture *f = *state;
    struct buf err = BUF_INIT;
    sqlite3 *db = NULL;

    fill(f->src);
    assert_int_equal(sqlite3_open(f->src_path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "PRAGMA foreign_keys=OFF;"
                                  "INSERT INTO request_decisions(request_id, kind, by_id,"
                                  " by_username, decision, at) VALUES('gone', 'customer', 'u1',"
                                  " 'alice', 'approve', 1)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(copy(f, NULL, NULL, &err), LB_EEXISTS);
    assert_non_null(strstr(buf_cstr(&err), "request_decisions"));
    assert_empty(f->dst);
    buf_release(&err);
}

/* A source that changes under the copy (lockboxd migrate holds its folder's lock so that none
 * does) fails the check. */
static void a_difference_fails_the_check(void **state)
{
    struct fixture *f = *state;
    struct watch w = {.change = f->src, .change_after = "events"};
    struct buf err = BUF_INIT;

    fill(f->src);
    assert_int_equal(copy(f, &w, NULL, &err), LB_ECONFLICT);
    assert_non_null(strstr(buf_cstr(&err), "audit"));
    assert_empty(f->dst);
    buf_release(&err);
}

/* ---- the table list and the schemas ---- */

/* The table list's picture of a backend: "table.column:type" lines, sorted. */
static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sorted_lines(char **lines, size_t n, struct buf *out)
{
    qsort(lines, n, sizeof(*lines), by_text);
    for (size_t i = 0; i < n; i++) {
        buf_appendf(out, "%s\n", lines[i]);
        free(lines[i]);
    }
}

static char *line_of(const char *table, const char *column, const char *type)
{
    size_t n = strlen(table) + strlen(column) + strlen(type) + 3;
    char *s = malloc(n);

    assert_non_null(s);
    snprintf(s, n, "%s.%s:%s", table, column, type);
    return s;
}

/* The list's columns with the types a backend declares: SQLite's (no rowid seq), or
 * PostgreSQL's ("int" for INTEGER and BIGINT alike). */
static void expected(bool pg, struct buf *out)
{
    char *lines[512];
    size_t n = 0;

    for (size_t i = 0; i < store_table_count; i++) {
        const struct store_table *t = &store_tables[i];
        assert_true(t->column_count <= STORE_TABLE_COLUMNS_MAX);
        assert_true(t->key_count >= 1 && t->key_count <= t->column_count);
        if (t->flags & STORE_TABLE_SEQ)
            assert_string_equal(t->columns[0].name, "seq");
        for (size_t c = 0; c < t->column_count; c++) {
            const char *type = t->columns[c].type == STORE_COLUMN_TEXT         ? "text"
                               : pg && t->columns[c].type == STORE_COLUMN_BOOL ? "boolean"
                               : pg                                            ? "int"
                                                                               : "integer";
            if (!pg && c == 0 && (t->flags & STORE_TABLE_SEQ_ROWID))
                continue;
            assert_true(n < 512);
            lines[n++] = line_of(t->name, t->columns[c].name, type);
        }
    }
    sorted_lines(lines, n, out);
}

static void sqlite_schema(const char *path, struct buf *out)
{
    static const char sql[] = "SELECT m.name, c.name, lower(c.type) FROM sqlite_master m,"
                              " pragma_table_info(m.name) c WHERE m.type='table'"
                              " AND m.name NOT LIKE 'sqlite_%'";
    char *lines[512];
    size_t n = 0;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        assert_true(n < 512);
        lines[n++] = line_of((const char *)sqlite3_column_text(st, 0),
                             (const char *)sqlite3_column_text(st, 1),
                             (const char *)sqlite3_column_text(st, 2));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    sorted_lines(lines, n, out);
}

static void pg_schema(const char *url, struct buf *out)
{
    static const char sql[] =
        "SELECT table_name, column_name, CASE WHEN data_type IN ('integer', 'bigint')"
        " THEN 'int' ELSE data_type END FROM information_schema.columns"
        " WHERE table_schema='public' AND table_name <> 'schema_migrations'";
    PGconn *pg = PQconnectdb(url);
    PGresult *res = PQexec(pg, sql);
    char *lines[512];
    size_t n = 0;

    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    for (int i = 0; i < PQntuples(res); i++) {
        assert_true(n < 512);
        lines[n++] = line_of(PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
    }
    PQclear(res);
    PQfinish(pg);
    sorted_lines(lines, n, out);
}

static void the_table_list_is_the_schema(void **state)
{
    struct fixture *f = *state;
    struct buf want = BUF_INIT, have = BUF_INIT;

    expected(false, &want);
    sqlite_schema(f->src_path, &have);
    assert_string_equal(buf_cstr(&have), buf_cstr(&want));
    if (use_pg) {
        buf_reset(&want);
        buf_reset(&have);
        expected(true, &want);
        pg_schema(pg_url, &have);
        assert_string_equal(buf_cstr(&have), buf_cstr(&want));
    }
    buf_release(&want);
    buf_release(&have);
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
        CASE(the_table_list_is_the_schema),
        CASE(a_copy_holds_every_row_as_the_source),
        CASE(the_copy_opens_with_the_sources_key_and_numbers_on),
        CASE(a_kept_seq_continues_past_deleted_rows),
        CASE(a_target_that_holds_a_row_is_refused),
        CASE(a_copy_stopped_halfway_leaves_the_target_empty),
        CASE(a_refused_row_leaves_the_target_empty),
        CASE(a_difference_fails_the_check),
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
    return cmocka_run_group_tests_name(use_pg ? "store copy: sqlite to postgresql"
                                              : "store copy: sqlite to sqlite",
                                       tests, make_db, drop_db);
}
