/* The SQLite backend's requests, their decisions and deadlines (store.h, migrations 1 and 2). */
#include "store_sqlite_int.h"
#include "util/mem.h"
#include "util/strv.h"

#include <string.h>

#include "util/banned.h"

#define REQUEST_COLS                                                                               \
    "seq, id, tenant_id, ticket_id, requester_id, requester_username, resource_type,"              \
    " resource_ids, access_level, justification, duration_seconds, status,"                        \
    " customer_approval_required, internal_review_required, customer_visible,"                     \
    " approvals_required, created_at, expires_at, grant_starts_at, grant_ends_at,"                 \
    " grant_ended_at, status_reason, reminder_at, requester_display_name, requester_mfa,"          \
    " requester_isolated"

/* A fact about the requester in column col: NULL is unknown. */
static enum request_fact col_fact(sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return FACT_UNKNOWN;
    return sqlite3_column_int(st, col) ? FACT_YES : FACT_NO;
}

/* A fact about the requester as its column keeps it: NULL, 0 or 1. */
static struct sqs_arg fact_arg(enum request_fact f)
{
    return f == FACT_UNKNOWN ? SQS_NULL : SQS_INT(f == FACT_YES);
}

static int read_request(sqlite3_stmt *st, void *item)
{
    struct request *r = item;
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
    rc = strv_split_lines((const char *)sqlite3_column_text(st, 7), &r->resource_ids,
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
    r->requester_display_name = sqs_col_str(st, 23, &oom);
    r->requester_mfa = col_fact(st, 24);
    r->requester_isolated = col_fact(st, 25);
    if (oom || rc) {
        request_clear(r);
        return LB_ENOMEM;
    }
    return 0;
}

static int read_decision(sqlite3_stmt *st, void *item)
{
    struct decision *d = item;
    bool oom = false;

    memset(d, 0, sizeof(*d));
    d->kind = strcmp((const char *)sqlite3_column_text(st, 0), "review") == 0 ? DECISION_REVIEW
                                                                              : DECISION_CUSTOMER;
    d->by_id = sqs_col_str(st, 1, &oom);
    d->by_username = sqs_col_str(st, 2, &oom);
    d->approve = strcmp((const char *)sqlite3_column_text(st, 3), "approve") == 0;
    d->at = sqlite3_column_int64(st, 4);
    d->reason = sqs_col_str(st, 5, &oom);
    d->client_ip = sqs_col_str(st, 6, &oom);
    if (oom) {
        decision_clear(d);
        return LB_ENOMEM;
    }
    return 0;
}

/* A request's decisions, read on the connection its row came from (cleared on failure). */
static int read_decisions(struct conn *cn, void *item)
{
    static const char sql[] = "SELECT kind, by_id, by_username, decision, at, reason, client_ip"
                              " FROM request_decisions WHERE request_id=? ORDER BY seq";
    struct request *r = item;
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, r->id);
        rc = sqs_collect(cn, st, &r->decisions, &r->decision_count, sizeof(*r->decisions),
                         read_decision);
    }
    if (rc)
        request_clear(r);
    return rc;
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
        " grant_ended_at, status_reason, deadline, reminder_at, requester_display_name,"
        " requester_mfa, requester_isolated)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    char *ids = strv_join_lines(r->resource_ids, r->resource_count);
    int rc;

    if (!ids)
        return LB_ENOMEM;
    rc = sqs_write(
        sqs_of(base),
        SQS_QUERY(
            sql, SQS_TEXT(r->id), SQS_TEXT(r->tenant_id), SQS_TEXT(r->ticket_id),
            SQS_TEXT(r->requester_id), SQS_TEXT(r->requester_username), SQS_TEXT(r->resource_type),
            SQS_TEXT(ids), SQS_INT(r->access_level), SQS_TEXT(r->justification),
            SQS_INT(r->duration_seconds), SQS_TEXT(request_status_name(r->status)),
            SQS_INT(r->customer_approval_required), SQS_INT(r->internal_review_required),
            SQS_INT(r->customer_visible), SQS_INT(r->approvals_required), SQS_INT(r->created_at),
            SQS_TIME(r->expires_at), SQS_TIME(r->grant_starts_at), SQS_TIME(r->grant_ends_at),
            SQS_TIME(r->grant_ended_at), SQS_TEXT(r->status_reason), SQS_TIME(request_deadline(r)),
            SQS_TIME(r->reminder_at), SQS_TEXT(r->requester_display_name),
            fact_arg(r->requester_mfa), fact_arg(r->requester_isolated)),
        0, NULL);
    lb_free(ids);
    return rc;
}

int sqs_request_update(struct store *base, const struct request *r)
{
    static const char sql[] =
        "UPDATE requests SET status=?, customer_approval_required=?, customer_visible=?,"
        " expires_at=?, grant_starts_at=?, grant_ends_at=?, grant_ended_at=?, status_reason=?,"
        " deadline=?, reminder_at=? WHERE id=?";

    return sqs_write(sqs_of(base),
                     SQS_QUERY(sql, SQS_TEXT(request_status_name(r->status)),
                               SQS_INT(r->customer_approval_required), SQS_INT(r->customer_visible),
                               SQS_TIME(r->expires_at), SQS_TIME(r->grant_starts_at),
                               SQS_TIME(r->grant_ends_at), SQS_TIME(r->grant_ended_at),
                               SQS_TEXT(r->status_reason), SQS_TIME(request_deadline(r)),
                               SQS_TIME(r->reminder_at), SQS_TEXT(r->id)),
                     LB_ENOTFOUND, NULL);
}

int sqs_request_decision_insert(struct store *base, const char *request_id,
                                const struct decision *d)
{
    static const char sql[] = "INSERT INTO request_decisions(request_id, kind, by_id, by_username,"
                              " decision, at, reason, client_ip) VALUES(?,?,?,?,?,?,?,?)";

    return sqs_write(sqs_of(base),
                     SQS_QUERY(sql, SQS_TEXT(request_id),
                               SQS_TEXT(d->kind == DECISION_REVIEW ? "review" : "customer"),
                               SQS_TEXT(d->by_id), SQS_TEXT(d->by_username),
                               SQS_TEXT(d->approve ? "approve" : "deny"), SQS_INT(d->at),
                               SQS_TEXT(d->reason), SQS_TEXT(d->client_ip)),
                     0, NULL);
}

int sqs_request_get(struct store *base, const char *id, struct request *out)
{
    static const char sql[] = "SELECT " REQUEST_COLS " FROM requests WHERE id=?";

    return sqs_query_one(sqs_of(base), SQS_QUERY(sql, SQS_TEXT(id)), out, read_request,
                         read_decisions);
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
    const char *status =
        f->status >= 0 ? request_status_name((enum request_status)f->status) : NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sqs_query_list(
        sqs_of(base),
        SQS_QUERY(sql, SQS_TEXT(f->tenant_id), SQS_TEXT(status), SQS_TEXT(f->requester_username),
                  SQS_INT(f->customer_visible_only), SQS_INT(f->before_seq), SQS_INT(f->limit),
                  f->has_created_from ? SQS_INT(f->created_from) : SQS_NULL,
                  f->has_created_to ? SQS_INT(f->created_to) : SQS_NULL, SQS_TEXT(f->text)),
        SQS_LIST(out), read_request, read_decisions);
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
        if ((rc = read_request(st, &r)) != 0)
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

    return sqs_query_int(sqs_of(base), SQS_QUERY_NOARGS(sql), at);
}

int sqs_request_due(struct store *base, int64_t now, size_t limit, char ***ids, size_t *count)
{
    static const char sql[] = "SELECT id FROM requests WHERE deadline IS NOT NULL AND deadline<=?"
                              " ORDER BY deadline LIMIT ?";
    char **v = NULL;
    size_t n = 0;
    int rc = sqs_query_list(sqs_of(base), SQS_QUERY(sql, SQS_INT(now), SQS_INT(limit)), &v, &n,
                            sizeof(*v), sqs_row_str, NULL);

    if (rc) {
        strv_free(v, n);
        return rc;
    }
    *ids = v;
    *count = n;
    return 0;
}
