/* The SQLite backend's requests, their decisions and deadlines (store.h, migrations 1 and 2). */
#include "store_sqlite_int.h"
#include "util/mem.h"
#include "util/strv.h"

#include <string.h>

#include "util/banned.h"

/* ---- requests ---- */

#define REQUEST_COLS                                                                               \
    "seq, id, tenant_id, ticket_id, requester_id, requester_username, resource_type,"              \
    " resource_ids, access_level, justification, duration_seconds, status,"                        \
    " customer_approval_required, internal_review_required, customer_visible,"                     \
    " approvals_required, created_at, expires_at, grant_starts_at, grant_ends_at,"                 \
    " grant_ended_at, status_reason, reminder_at"

static int read_request_row(sqlite3_stmt *st, struct request *r)
{
    bool oom = false;
    const char *status;
    int rc;

    memset(r, 0, sizeof(*r));
    r->seq = sqlite3_column_int64(st, 0);
    r->id = sqs_col_str(st, 1, &oom);
    r->tenant_id = sqs_col_str(st, 2, &oom);
    r->ticket_id = sqs_col_str(st, 3, &oom);
    r->requester_id = sqs_col_str(st, 4, &oom);
    r->requester_username = sqs_col_str(st, 5, &oom);
    r->resource_type = sqs_col_str(st, 6, &oom);
    rc = sqs_split_lines((const char *)sqlite3_column_text(st, 7), &r->resource_ids,
                         &r->resource_count);
    r->access_level = (enum access_level)sqlite3_column_int(st, 8);
    r->justification = sqs_col_str(st, 9, &oom);
    r->duration_seconds = sqlite3_column_int64(st, 10);
    status = (const char *)sqlite3_column_text(st, 11);
    r->status = (enum request_status)(status ? request_status_parse(status) : 0);
    r->customer_approval_required = sqlite3_column_int(st, 12) != 0;
    r->internal_review_required = sqlite3_column_int(st, 13) != 0;
    r->customer_visible = sqlite3_column_int(st, 14) != 0;
    r->approvals_required = sqlite3_column_int64(st, 15);
    r->created_at = sqlite3_column_int64(st, 16);
    r->expires_at = sqs_col_time(st, 17);
    r->grant_starts_at = sqs_col_time(st, 18);
    r->grant_ends_at = sqs_col_time(st, 19);
    r->grant_ended_at = sqs_col_time(st, 20);
    r->status_reason = sqs_col_str(st, 21, &oom);
    r->reminder_at = sqs_col_time(st, 22);
    if (oom || rc) {
        request_clear(r);
        return LB_ENOMEM;
    }
    return 0;
}

static int row_request(sqlite3_stmt *st, void *item)
{
    return read_request_row(st, item);
}

static int read_decisions(struct conn *cn, struct request *r)
{
    static const char sql[] = "SELECT kind, by_id, by_username, decision, at, reason, client_ip"
                              " FROM request_decisions WHERE request_id=? ORDER BY seq";
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    size_t cap = 0;
    bool oom = false;
    int rc;

    if (!st)
        return LB_ESTORE;
    sqs_bind_text(st, 1, r->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (lb_array_reserve(&r->decisions, &cap, r->decision_count, sizeof(*r->decisions)) != 0) {
            oom = true;
            break;
        }
        struct decision *d = &r->decisions[r->decision_count++];
        memset(d, 0, sizeof(*d));
        d->kind = strcmp((const char *)sqlite3_column_text(st, 0), "review") == 0
                      ? DECISION_REVIEW
                      : DECISION_CUSTOMER;
        d->by_id = sqs_col_str(st, 1, &oom);
        d->by_username = sqs_col_str(st, 2, &oom);
        d->approve = strcmp((const char *)sqlite3_column_text(st, 3), "approve") == 0;
        d->at = sqlite3_column_int64(st, 4);
        d->reason = sqs_col_str(st, 5, &oom);
        d->client_ip = sqs_col_str(st, 6, &oom);
        if (oom)
            break;
    }
    sqs_stmt_done(cn, st);
    if (oom)
        return LB_ENOMEM;
    return rc == SQLITE_DONE ? 0 : sqs_code(cn, rc);
}

/* The scheduler's next moment for r: its reminder, its pending deadline or its grant's end. */
static int64_t request_deadline(const struct request *r)
{
    if (r->status == REQ_PENDING && r->reminder_at && r->reminder_at < r->expires_at)
        return r->reminder_at;
    if (r->status == REQ_PENDING || r->status == REQ_PENDING_INTERNAL)
        return r->expires_at;
    if (r->status == REQ_APPROVED)
        return r->grant_ends_at;
    return 0;
}

int sqs_request_insert(struct store *base, const struct request *r)
{
    static const char sql[] =
        "INSERT INTO requests(id, tenant_id, ticket_id, requester_id, requester_username,"
        " resource_type, resource_ids, access_level, justification, duration_seconds, status,"
        " customer_approval_required, internal_review_required, customer_visible,"
        " approvals_required, created_at, expires_at, grant_starts_at, grant_ends_at,"
        " grant_ended_at, status_reason, deadline, reminder_at)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    struct sqlite_store *s = sqs_of(base);
    char *ids = sqs_join_lines(r->resource_ids, r->resource_count);
    struct conn *cn;
    sqlite3_stmt *st;
    int rc = LB_ESTORE;

    if (!ids)
        return LB_ENOMEM;
    cn = sqs_acquire(s, CONN_WRITE);
    st = sqs_stmt(cn, sql);
    if (st) {
        sqs_bind_text(st, 1, r->id);
        sqs_bind_text(st, 2, r->tenant_id);
        sqs_bind_text(st, 3, r->ticket_id);
        sqs_bind_text(st, 4, r->requester_id);
        sqs_bind_text(st, 5, r->requester_username);
        sqs_bind_text(st, 6, r->resource_type);
        sqs_bind_text(st, 7, ids);
        sqlite3_bind_int(st, 8, (int)r->access_level);
        sqs_bind_text(st, 9, r->justification);
        sqlite3_bind_int64(st, 10, r->duration_seconds);
        sqs_bind_text(st, 11, request_status_name(r->status));
        sqlite3_bind_int(st, 12, r->customer_approval_required);
        sqlite3_bind_int(st, 13, r->internal_review_required);
        sqlite3_bind_int(st, 14, r->customer_visible);
        sqlite3_bind_int64(st, 15, r->approvals_required);
        sqlite3_bind_int64(st, 16, r->created_at);
        sqs_bind_time(st, 17, r->expires_at);
        sqs_bind_time(st, 18, r->grant_starts_at);
        sqs_bind_time(st, 19, r->grant_ends_at);
        sqs_bind_time(st, 20, r->grant_ended_at);
        sqs_bind_text(st, 21, r->status_reason);
        sqs_bind_time(st, 22, request_deadline(r));
        sqs_bind_time(st, 23, r->reminder_at);
        rc = sqs_run(cn, st);
    }
    rc = sqs_release(s, cn, rc);
    lb_free(ids);
    return rc;
}

int sqs_request_update(struct store *base, const struct request *r)
{
    static const char sql[] =
        "UPDATE requests SET status=?, customer_approval_required=?, customer_visible=?,"
        " expires_at=?, grant_starts_at=?, grant_ends_at=?, grant_ended_at=?, status_reason=?,"
        " deadline=?, reminder_at=? WHERE id=?";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, request_status_name(r->status));
        sqlite3_bind_int(st, 2, r->customer_approval_required);
        sqlite3_bind_int(st, 3, r->customer_visible);
        sqs_bind_time(st, 4, r->expires_at);
        sqs_bind_time(st, 5, r->grant_starts_at);
        sqs_bind_time(st, 6, r->grant_ends_at);
        sqs_bind_time(st, 7, r->grant_ended_at);
        sqs_bind_text(st, 8, r->status_reason);
        sqs_bind_time(st, 9, request_deadline(r));
        sqs_bind_time(st, 10, r->reminder_at);
        sqs_bind_text(st, 11, r->id);
        rc = sqs_run(cn, st);
        if (rc == 0 && sqlite3_changes(cn->db) == 0)
            rc = LB_ENOTFOUND;
    }
    rc = sqs_release(s, cn, rc);
    return rc;
}

int sqs_request_decision_insert(struct store *base, const char *request_id,
                                const struct decision *d)
{
    static const char sql[] = "INSERT INTO request_decisions(request_id, kind, by_id, by_username,"
                              " decision, at, reason, client_ip) VALUES(?,?,?,?,?,?,?,?)";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, request_id);
        sqs_bind_text(st, 2, d->kind == DECISION_REVIEW ? "review" : "customer");
        sqs_bind_text(st, 3, d->by_id);
        sqs_bind_text(st, 4, d->by_username);
        sqs_bind_text(st, 5, d->approve ? "approve" : "deny");
        sqlite3_bind_int64(st, 6, d->at);
        sqs_bind_text(st, 7, d->reason);
        sqs_bind_text(st, 8, d->client_ip);
        rc = sqs_run(cn, st);
    }
    rc = sqs_release(s, cn, rc);
    return rc;
}

int sqs_request_get(struct store *base, const char *id, struct request *out)
{
    static const char sql[] = "SELECT " REQUEST_COLS " FROM requests WHERE id=?";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (!st)
        goto out;
    sqs_bind_text(st, 1, id);
    rc = sqs_get_one(cn, st, out, row_request);
    if (rc == 0 && (rc = read_decisions(cn, out)) != 0)
        request_clear(out);
out:
    sqs_release(s, cn, 0);
    return rc;
}

int sqs_request_list(struct store *base, const struct request_filter *f, struct request_list *out)
{
    static const char sql[] =
        "SELECT " REQUEST_COLS " FROM requests"
        " WHERE (?1 IS NULL OR tenant_id=?1) AND (?2 IS NULL OR status=?2)"
        " AND (?3 IS NULL OR requester_username=?3) AND (?4=0 OR customer_visible=1)"
        " AND (?5=0 OR seq<?5) AND (?7 IS NULL OR created_at>=?7) AND (?8 IS NULL OR created_at<?8)"
        " AND (?9 IS NULL OR instr(lower(id || ' ' || requester_username || ' ' || resource_ids"
        " || ' ' || justification), lower(?9))>0)"
        " ORDER BY seq DESC LIMIT ?6";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    memset(out, 0, sizeof(*out));
    if (!st)
        goto out;
    out->items = lb_calloc(f->limit ? f->limit : 1, sizeof(*out->items));
    if (!out->items) {
        sqs_stmt_done(cn, st);
        rc = LB_ENOMEM;
        goto out;
    }
    sqs_bind_text(st, 1, f->tenant_id);
    sqs_bind_text(st, 2,
                  f->status >= 0 ? request_status_name((enum request_status)f->status) : NULL);
    sqs_bind_text(st, 3, f->requester_username);
    sqlite3_bind_int(st, 4, f->customer_visible_only);
    sqlite3_bind_int64(st, 5, f->before_seq);
    sqlite3_bind_int64(st, 6, (int64_t)f->limit);
    if (f->has_created_from)
        sqlite3_bind_int64(st, 7, f->created_from);
    if (f->has_created_to)
        sqlite3_bind_int64(st, 8, f->created_to);
    sqs_bind_text(st, 9, f->text);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->count < f->limit) {
        if ((rc = read_request_row(st, &out->items[out->count])) != 0)
            break;
        out->count++;
    }
    rc = rc == SQLITE_DONE ? 0 : (rc < 0 ? rc : sqs_code(cn, rc));
    sqs_stmt_done(cn, st);
    for (size_t i = 0; rc == 0 && i < out->count; i++)
        rc = read_decisions(cn, &out->items[i]);
out:
    sqs_release(s, cn, 0);
    if (rc)
        request_list_clear(out);
    return rc;
}

int sqs_request_each_approved(struct store *base, store_request_fn *fn, void *ctx)
{
    static const char sql[] = "SELECT " REQUEST_COLS " FROM requests WHERE status='approved'";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    struct request r;
    int rc = LB_ESTORE;

    if (!st)
        goto out;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = read_request_row(st, &r)) != 0)
            break;
        rc = fn(ctx, &r);
        request_clear(&r);
        if (rc)
            break;
    }
    rc = rc == SQLITE_DONE ? 0 : (rc < 0 ? rc : (rc == SQLITE_ROW ? 0 : sqs_code(cn, rc)));
    sqs_stmt_done(cn, st);
out:
    sqs_release(s, cn, 0);
    return rc;
}

int sqs_request_next_deadline(struct store *base, int64_t *at)
{
    static const char sql[] = "SELECT min(deadline) FROM requests WHERE deadline IS NOT NULL";

    return sqs_query_int(sqs_of(base), sql, NULL, at);
}

int sqs_request_due(struct store *base, int64_t now, size_t limit, char ***ids, size_t *count)
{
    static const char sql[] = "SELECT id FROM requests WHERE deadline IS NOT NULL AND deadline<=?"
                              " ORDER BY deadline LIMIT ?";
    struct sqlite_store *s = sqs_of(base);
    bool oom = false;
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    char **v = lb_calloc(limit ? limit : 1, sizeof(*v));
    size_t n = 0;
    int rc = LB_ESTORE;

    if (!st || !v) {
        rc = st ? LB_ENOMEM : LB_ESTORE;
        if (st)
            sqs_stmt_done(cn, st);
        goto out;
    }
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, (int64_t)limit);
    while (n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW && !oom)
        v[n++] = sqs_col_str(st, 0, &oom);
    rc = oom ? LB_ENOMEM : (rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sqs_code(cn, rc));
    sqs_stmt_done(cn, st);
out:
    sqs_release(s, cn, 0);
    if (rc) {
        strv_free(v, n);
        return rc;
    }
    *ids = v;
    *count = n;
    return 0;
}
