/* The SQLite backend's audit log, append-only (store.h, migration 1). */
#include "store_sqlite_int.h"

#include <string.h>

#include "util/banned.h"

static int read_audit(sqlite3_stmt *st, void *item)
{
    struct audit_record *r = item;
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

int sqs_audit_insert(struct store *base, const struct audit_record *rec, int64_t *seq)
{
    static const char sql[] =
        "INSERT INTO audit(time, tenant_id, actor, actor_id, actor_type, client_ip, activity,"
        " item, request_id, decision, details) VALUES(?,?,?,?,?,?,?,?,?,?,?)";

    return sqs_write(
        sqs_of(base),
        SQS_QUERY(sql, SQS_INT(rec->time), SQS_TEXT(rec->tenant_id), SQS_TEXT(rec->actor),
                  SQS_TEXT(rec->actor_id), SQS_TEXT(rec->actor_type), SQS_TEXT(rec->client_ip),
                  SQS_TEXT(rec->activity), SQS_TEXT(rec->item), SQS_TEXT(rec->request_id),
                  SQS_TEXT(rec->decision), SQS_TEXT(rec->details ? rec->details : "{}")),
        0, seq);
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
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sqs_query_list(sqs_of(base),
                        SQS_QUERY(f->ascending ? asc : desc, SQS_TEXT(f->activity),
                                  SQS_TEXT(f->actor), SQS_TEXT(f->item), SQS_TEXT(f->tenant_id),
                                  f->has_from ? SQS_INT(f->from) : SQS_NULL,
                                  f->has_to ? SQS_INT(f->to) : SQS_NULL, SQS_INT(f->tenant_view),
                                  SQS_INT(f->after_seq), SQS_INT(f->limit)),
                        SQS_LIST(out), read_audit, NULL);
    if (rc)
        audit_list_clear(out);
    return rc;
#undef AUDIT_WHERE
#undef AUDIT_SELECT
}
