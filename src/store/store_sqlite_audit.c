/* The SQLite backend's audit log, append-only (store.h, migration 1). */
#include "store_sqlite_int.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

/* ---- audit ---- */

int sqs_audit_insert(struct store *base, const struct audit_record *rec, int64_t *seq)
{
    static const char sql[] =
        "INSERT INTO audit(time, tenant_id, actor, actor_id, actor_type, client_ip, activity,"
        " item, request_id, decision, details) VALUES(?,?,?,?,?,?,?,?,?,?,?)";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqlite3_bind_int64(st, 1, rec->time);
        sqs_bind_text(st, 2, rec->tenant_id);
        sqs_bind_text(st, 3, rec->actor);
        sqs_bind_text(st, 4, rec->actor_id);
        sqs_bind_text(st, 5, rec->actor_type);
        sqs_bind_text(st, 6, rec->client_ip);
        sqs_bind_text(st, 7, rec->activity);
        sqs_bind_text(st, 8, rec->item);
        sqs_bind_text(st, 9, rec->request_id);
        sqs_bind_text(st, 10, rec->decision);
        sqs_bind_text(st, 11, rec->details ? rec->details : "{}");
        rc = sqs_run(cn, st);
        if (rc == 0 && seq)
            *seq = sqlite3_last_insert_rowid(cn->db);
    }
    rc = sqs_release(s, cn, rc);
    return rc;
}

static int read_audit(sqlite3_stmt *st, struct audit_record *r)
{
    bool oom = false;

    memset(r, 0, sizeof(*r));
    r->seq = sqlite3_column_int64(st, 0);
    r->time = sqlite3_column_int64(st, 1);
    r->tenant_id = sqs_col_str(st, 2, &oom);
    r->actor = sqs_col_str(st, 3, &oom);
    r->actor_id = sqs_col_str(st, 4, &oom);
    r->actor_type = sqs_col_str(st, 5, &oom);
    r->client_ip = sqs_col_str(st, 6, &oom);
    r->activity = sqs_col_str(st, 7, &oom);
    r->item = sqs_col_str(st, 8, &oom);
    r->request_id = sqs_col_str(st, 9, &oom);
    r->decision = sqs_col_str(st, 10, &oom);
    r->details = sqs_col_str(st, 11, &oom);
    if (oom) {
        audit_record_clear(r);
        return LB_ENOMEM;
    }
    return 0;
}

int sqs_audit_query(struct store *base, const struct audit_filter *f, struct audit_list *out)
{
#define AUDIT_WHERE                                                                                \
    " WHERE (?1 IS NULL OR activity=?1) AND (?2 IS NULL OR actor=?2) AND (?3 IS NULL OR item=?3)"  \
    " AND (?4 IS NULL OR tenant_id=?4) AND (?5 IS NULL OR time>=?5) AND (?6 IS NULL OR time<?6)"   \
    " AND (?7=0 OR request_id IS NULL OR EXISTS(SELECT 1 FROM requests r"                          \
    " WHERE r.id=audit.request_id AND r.customer_visible=1))"
#define AUDIT_SELECT                                                                               \
    "SELECT seq, time, tenant_id, actor, actor_id, actor_type, client_ip, activity, item,"         \
    " request_id, decision, details FROM audit"
    static const char asc[] =
        AUDIT_SELECT AUDIT_WHERE " AND (?8=0 OR seq>?8) ORDER BY seq ASC LIMIT ?9";
    static const char desc[] =
        AUDIT_SELECT AUDIT_WHERE " AND (?8=0 OR seq<?8) ORDER BY seq DESC LIMIT ?9";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, f->ascending ? asc : desc);
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
    sqs_bind_text(st, 1, f->activity);
    sqs_bind_text(st, 2, f->actor);
    sqs_bind_text(st, 3, f->item);
    sqs_bind_text(st, 4, f->tenant_id);
    if (f->has_from)
        sqlite3_bind_int64(st, 5, f->from);
    if (f->has_to)
        sqlite3_bind_int64(st, 6, f->to);
    sqlite3_bind_int(st, 7, f->tenant_view);
    sqlite3_bind_int64(st, 8, f->after_seq);
    sqlite3_bind_int64(st, 9, (int64_t)f->limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->count < f->limit) {
        if ((rc = read_audit(st, &out->items[out->count])) != 0)
            break;
        out->count++;
    }
    rc = rc == SQLITE_DONE ? 0 : (rc < 0 ? rc : sqs_code(cn, rc));
    sqs_stmt_done(cn, st);
out:
    sqs_release(s, cn, 0);
    if (rc)
        audit_list_clear(out);
    return rc;
#undef AUDIT_WHERE
#undef AUDIT_SELECT
}
