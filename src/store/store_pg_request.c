/* The PostgreSQL backend's access requests and their decisions (store.h). */
#include "store_pg_int.h"
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
#define REQUEST_COL_COUNT 26

/* A fact about the requester in column col: NULL is unknown. */
static enum request_fact col_fact(const struct pgs_row *row, int col)
{
    if (!pgs_col_text(row, col))
        return FACT_UNKNOWN;
    return pgs_col_bool(row, col) ? FACT_YES : FACT_NO;
}

/* Binds a fact about the requester: NULL when unknown. */
static void bind_fact(struct pgs_params *p, enum request_fact f)
{
    pgs_bind_text(p, f == FACT_UNKNOWN ? NULL : f == FACT_YES ? "true" : "false");
}

static int read_request(const struct pgs_row *row, void *item)
{
    struct request *r = item;
    const char *status;
    bool oom = false;
    int rc;

    memset(r, 0, sizeof(*r));
    r->seq = pgs_col_int(row, 0);
    r->id = pgs_col_str(row, 1, &oom);
    r->tenant_id = pgs_col_str(row, 2, &oom);
    r->ticket_id = pgs_col_str(row, 3, &oom);
    r->requester_id = pgs_col_str(row, 4, &oom);
    r->requester_username = pgs_col_str(row, 5, &oom);
    r->resource_type = pgs_col_str(row, 6, &oom);
    rc = strv_split_lines(pgs_col_text(row, 7), &r->resource_ids, &r->resource_count);
    r->access_level = (enum access_level)pgs_col_int(row, 8);
    r->justification = pgs_col_str(row, 9, &oom);
    r->duration_seconds = pgs_col_int(row, 10);
    status = pgs_col_text(row, 11);
    r->status = (enum request_status)(status ? request_status_parse(status) : 0);
    r->customer_approval_required = pgs_col_bool(row, 12);
    r->internal_review_required = pgs_col_bool(row, 13);
    r->customer_visible = pgs_col_bool(row, 14);
    r->approvals_required = pgs_col_int(row, 15);
    r->created_at = pgs_col_int(row, 16);
    r->expires_at = pgs_col_int(row, 17);
    r->grant_starts_at = pgs_col_int(row, 18);
    r->grant_ends_at = pgs_col_int(row, 19);
    r->grant_ended_at = pgs_col_int(row, 20);
    r->status_reason = pgs_col_str(row, 21, &oom);
    r->reminder_at = pgs_col_int(row, 22);
    r->requester_display_name = pgs_col_str(row, 23, &oom);
    r->requester_mfa = col_fact(row, 24);
    r->requester_isolated = col_fact(row, 25);
    if (oom || rc) {
        request_clear(r);
        return LB_ENOMEM;
    }
    return 0;
}

#define DECISION_COLS "kind, by_id, by_username, decision, at, reason, client_ip"

/* The decision in the DECISION_COLS of row from column col on. */
static int read_decision_at(const struct pgs_row *row, int col, struct decision *d)
{
    const char *kind = pgs_col_text(row, col), *decision = pgs_col_text(row, col + 3);
    bool oom = false;

    memset(d, 0, sizeof(*d));
    d->kind = kind && strcmp(kind, "review") == 0 ? DECISION_REVIEW : DECISION_CUSTOMER;
    d->by_id = pgs_col_str(row, col + 1, &oom);
    d->by_username = pgs_col_str(row, col + 2, &oom);
    d->approve = decision && strcmp(decision, "approve") == 0;
    d->at = pgs_col_int(row, col + 4);
    d->reason = pgs_col_str(row, col + 5, &oom);
    d->client_ip = pgs_col_str(row, col + 6, &oom);
    if (oom) {
        decision_clear(d);
        return LB_ENOMEM;
    }
    return 0;
}

static int read_decision(const struct pgs_row *row, void *item)
{
    return read_decision_at(row, 0, item);
}

/* Reads r's decisions on cn, in the order they were made. */
static int read_decisions(struct pgs_conn *cn, struct request *r)
{
    static const char sql[] =
        "SELECT " DECISION_COLS " FROM request_decisions WHERE request_id=$1 ORDER BY seq";
    struct pgs_params p = {0};
    struct pgs_query q = {.sql = sql,
                          .params = &p,
                          .read = read_decision,
                          .items = &r->decisions,
                          .count = &r->decision_count,
                          .size = sizeof(*r->decisions)};

    pgs_bind_text(&p, r->id);
    return pgs_run(cn, &q);
}

/* The scheduler's next moment for r: its reminder, its pending deadline or its grant's end
 * (store_sqlite's rule, so both backends wake the scheduler alike). */
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

static void bind_request(struct pgs_params *p, const struct request *r, const char *ids)
{
    pgs_bind_text(p, r->id);
    pgs_bind_text(p, r->tenant_id);
    pgs_bind_text(p, r->ticket_id);
    pgs_bind_text(p, r->requester_id);
    pgs_bind_text(p, r->requester_username);
    pgs_bind_text(p, r->resource_type);
    pgs_bind_text(p, ids);
    pgs_bind_int(p, (int64_t)r->access_level);
    pgs_bind_text(p, r->justification);
    pgs_bind_int(p, r->duration_seconds);
    pgs_bind_text(p, request_status_name(r->status));
    pgs_bind_bool(p, r->customer_approval_required);
    pgs_bind_bool(p, r->internal_review_required);
    pgs_bind_bool(p, r->customer_visible);
    pgs_bind_int(p, r->approvals_required);
    pgs_bind_int(p, r->created_at);
    pgs_bind_time(p, r->expires_at);
    pgs_bind_time(p, r->grant_starts_at);
    pgs_bind_time(p, r->grant_ends_at);
    pgs_bind_time(p, r->grant_ended_at);
    pgs_bind_text(p, r->status_reason);
    pgs_bind_time(p, request_deadline(r));
    pgs_bind_time(p, r->reminder_at);
    pgs_bind_text(p, r->requester_display_name);
    bind_fact(p, r->requester_mfa);
    bind_fact(p, r->requester_isolated);
}

int pgs_request_insert(struct store *base, const struct request *r)
{
    static const char sql[] =
        "INSERT INTO requests(id, tenant_id, ticket_id, requester_id, requester_username,"
        " resource_type, resource_ids, access_level, justification, duration_seconds, status,"
        " customer_approval_required, internal_review_required, customer_visible,"
        " approvals_required, created_at, expires_at, grant_starts_at, grant_ends_at,"
        " grant_ended_at, status_reason, deadline, reminder_at, requester_display_name,"
        " requester_mfa, requester_isolated)"
        " VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,"
        "$23,$24,$25,$26)";
    char *ids = strv_join_lines(r->resource_ids, r->resource_count);
    struct pgs_params p = {0};
    int rc;

    if (!ids)
        return LB_ENOMEM;
    bind_request(&p, r, ids);
    /* pipelined: a taken id (a unique key, LB_EEXISTS) fails the logical transaction */
    rc = pgs_defer(pgs_of(base), sql, &p);
    lb_free(ids);
    return rc;
}

int pgs_request_update(struct store *base, const struct request *r)
{
    static const char sql[] =
        "UPDATE requests SET status=$1, customer_approval_required=$2, customer_visible=$3,"
        " expires_at=$4, grant_starts_at=$5, grant_ends_at=$6, grant_ended_at=$7,"
        " status_reason=$8, deadline=$9, reminder_at=$10 WHERE id=$11";
    struct pgs_params p = {0};

    pgs_bind_text(&p, request_status_name(r->status));
    pgs_bind_bool(&p, r->customer_approval_required);
    pgs_bind_bool(&p, r->customer_visible);
    pgs_bind_time(&p, r->expires_at);
    pgs_bind_time(&p, r->grant_starts_at);
    pgs_bind_time(&p, r->grant_ends_at);
    pgs_bind_time(&p, r->grant_ended_at);
    pgs_bind_text(&p, r->status_reason);
    pgs_bind_time(&p, request_deadline(r));
    pgs_bind_time(&p, r->reminder_at);
    pgs_bind_text(&p, r->id);
    /* inside a transaction the row was read under the write lock: pipelined, not counted */
    if (pgs_in_tx(pgs_of(base)))
        return pgs_defer(pgs_of(base), sql, &p);
    return pgs_change(pgs_of(base), sql, &p);
}

int pgs_request_decision_insert(struct store *base, const char *request_id,
                                const struct decision *d)
{
    static const char sql[] =
        "INSERT INTO request_decisions(request_id, kind, by_id, by_username, decision, at,"
        " reason, client_ip) VALUES($1,$2,$3,$4,$5,$6,$7,$8)";
    struct pgs_params p = {0};

    pgs_bind_text(&p, request_id);
    pgs_bind_text(&p, d->kind == DECISION_REVIEW ? "review" : "customer");
    pgs_bind_text(&p, d->by_id);
    pgs_bind_text(&p, d->by_username);
    pgs_bind_text(&p, d->approve ? "approve" : "deny");
    pgs_bind_int(&p, d->at);
    pgs_bind_text(&p, d->reason);
    pgs_bind_text(&p, d->client_ip);
    return pgs_defer(pgs_of(base), sql, &p);
}

/* Reads the request in the first row of res and the decisions of every row (none: NULLs). */
static int read_request_rows(const PGresult *res, struct request *out)
{
    int rows = PQntuples(res), rc;

    if (rows == 0)
        return LB_ENOTFOUND;
    if ((rc = read_request(&(struct pgs_row){.res = res, .index = 0}, out)) != 0)
        return rc;
    if (PQgetisnull(res, 0, REQUEST_COL_COUNT))
        return 0;
    if (!(out->decisions = lb_calloc((size_t)rows, sizeof(*out->decisions)))) {
        request_clear(out);
        return LB_ENOMEM;
    }
    for (int i = 0; i < rows; i++, out->decision_count++) {
        struct pgs_row row = {.res = res, .index = i};
        if ((rc = read_decision_at(&row, REQUEST_COL_COUNT, &out->decisions[i])) != 0) {
            request_clear(out);
            return rc;
        }
    }
    return 0;
}

/* One statement, the request joined with its decisions: in a transaction it is a round trip
 * holding every node's write lock. */
int pgs_request_get(struct store *base, const char *id, struct request *out)
{
    static const char sql[] =
        "SELECT q.*, " DECISION_COLS " FROM (SELECT " REQUEST_COLS " FROM requests WHERE id=$1) q"
        " LEFT JOIN request_decisions d ON d.request_id=q.id ORDER BY d.seq";
    struct pg_store *s = pgs_of(base);
    struct pgs_conn *cn = NULL;
    struct pgs_params p = {0};
    PGresult *res = NULL;
    int rc = pgs_acquire(s, PGS_READ, &cn);

    memset(out, 0, sizeof(*out));
    pgs_bind_text(&p, id);
    if (rc == 0)
        rc = pgs_result_on(cn, sql, &p, &res);
    if (rc == 0)
        rc = read_request_rows(res, out);
    PQclear(res);
    pgs_release(s, cn, 0);
    return rc;
}

int pgs_request_list(struct store *base, const struct request_filter *f, struct request_list *out)
{
    /* lower() under COLLATE "C" folds ASCII only, as SQLite's */
    static const char sql[] =
        "SELECT " REQUEST_COLS " FROM requests"
        " WHERE ($1::text IS NULL OR tenant_id=$1) AND ($2::text IS NULL OR status=$2)"
        " AND ($3::text IS NULL OR requester_username=$3) AND (NOT $4::boolean OR customer_visible)"
        " AND ($5::bigint=0 OR seq<$5) AND ($7::bigint IS NULL OR created_at>=$7)"
        " AND ($8::bigint IS NULL OR created_at<$8) AND ($9::text IS NULL OR"
        " strpos(lower((id || ' ' || requester_username || ' ' || resource_ids || ' ' ||"
        " justification) COLLATE \"C\"), lower($9 COLLATE \"C\"))>0)"
        " ORDER BY seq DESC LIMIT $6";
    struct pg_store *s = pgs_of(base);
    struct pgs_conn *cn = NULL;
    struct pgs_params p = {0};
    struct pgs_query q = {.sql = sql,
                          .params = &p,
                          .read = read_request,
                          .items = &out->items,
                          .count = &out->count,
                          .size = sizeof(*out->items),
                          .limit = f->limit};
    int rc;

    memset(out, 0, sizeof(*out));
    pgs_bind_text(&p, f->tenant_id);
    pgs_bind_text(&p, f->status >= 0 ? request_status_name((enum request_status)f->status) : NULL);
    pgs_bind_text(&p, f->requester_username);
    pgs_bind_bool(&p, f->customer_visible_only);
    pgs_bind_int(&p, f->before_seq);
    pgs_bind_int(&p, (int64_t)f->limit);
    if (f->has_created_from)
        pgs_bind_int(&p, f->created_from);
    else
        pgs_bind_text(&p, NULL);
    if (f->has_created_to)
        pgs_bind_int(&p, f->created_to);
    else
        pgs_bind_text(&p, NULL);
    pgs_bind_text(&p, f->text);
    rc = pgs_acquire(s, PGS_READ, &cn);
    if (rc == 0)
        rc = pgs_run(cn, &q);
    for (size_t i = 0; rc == 0 && i < out->count; i++)
        rc = read_decisions(cn, &out->items[i]);
    pgs_release(s, cn, 0);
    if (rc)
        request_list_clear(out);
    return rc;
}

int pgs_request_each_approved(struct store *base, store_request_fn *fn, void *ctx)
{
    static const char sql[] = "SELECT " REQUEST_COLS " FROM requests WHERE status='approved'";
    struct request_list all = {0};
    struct pgs_query q = {.sql = sql,
                          .read = read_request,
                          .items = &all.items,
                          .count = &all.count,
                          .size = sizeof(*all.items)};
    int rc = pgs_list(pgs_of(base), &q);

    /* the connection is back in the pool before fn runs: fn may call the store */
    for (size_t i = 0; rc == 0 && i < all.count; i++)
        rc = fn(ctx, &all.items[i]);
    request_list_clear(&all);
    return rc;
}

int pgs_request_next_deadline(struct store *base, int64_t *at)
{
    static const char sql[] = "SELECT min(deadline) FROM requests WHERE deadline IS NOT NULL";

    return pgs_int(pgs_of(base), sql, NULL, at);
}

static int read_id(const struct pgs_row *row, void *item)
{
    bool oom = false;

    *(char **)item = pgs_col_str(row, 0, &oom);
    return oom ? LB_ENOMEM : 0;
}

int pgs_request_due(struct store *base, int64_t now, size_t limit, char ***ids, size_t *count)
{
    static const char sql[] = "SELECT id FROM requests WHERE deadline IS NOT NULL AND"
                              " deadline<=$1 ORDER BY deadline LIMIT $2";
    char **v = NULL;
    size_t n = 0;
    struct pgs_params p = {0};
    struct pgs_query q = {.sql = sql,
                          .params = &p,
                          .read = read_id,
                          .items = &v,
                          .count = &n,
                          .size = sizeof(*v),
                          .limit = limit};
    int rc;

    pgs_bind_int(&p, now);
    pgs_bind_int(&p, (int64_t)limit);
    rc = pgs_list(pgs_of(base), &q);
    if (rc == 0 && !v && !(v = lb_calloc(1, sizeof(*v))))
        rc = LB_ENOMEM; /* as on SQLite: an empty array, not NULL */
    if (rc) {
        strv_free(v, n);
        return rc;
    }
    *ids = v;
    *count = n;
    return 0;
}
