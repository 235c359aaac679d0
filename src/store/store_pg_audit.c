/* The PostgreSQL backend's audit log: appended, queried, never changed (store.h). */
#include "store_pg_int.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

static int read_seq(const struct pgs_row *row, void *item)
{
    *(int64_t *)item = pgs_col_int(row, 0);
    return 0;
}

int pgs_audit_insert(struct store *base, const struct audit_record *rec, int64_t *seq)
{
    static const char sql[] =
        "INSERT INTO audit(time, tenant_id, actor, actor_id, actor_type, client_ip, activity,"
        " item, request_id, decision, details) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)"
        " RETURNING seq";
    struct pg_store *s = pgs_of(base);
    struct pgs_conn *cn = NULL;
    struct pgs_params p = {0};
    int64_t got = 0;
    int rc;

    pgs_bind_int(&p, rec->time);
    pgs_bind_text(&p, rec->tenant_id);
    pgs_bind_text(&p, rec->actor);
    pgs_bind_text(&p, rec->actor_id);
    pgs_bind_text(&p, rec->actor_type);
    pgs_bind_text(&p, rec->client_ip);
    pgs_bind_text(&p, rec->activity);
    pgs_bind_text(&p, rec->item);
    pgs_bind_text(&p, rec->request_id);
    pgs_bind_text(&p, rec->decision);
    pgs_bind_text(&p, rec->details ? rec->details : "{}");
    if (!seq)
        return pgs_defer(s, sql, &p);
    if ((rc = pgs_acquire(s, PGS_WRITE, &cn)) == 0)
        rc = pgs_get_on(cn, sql, &p, &got, read_seq);
    if (rc == 0)
        *seq = got;
    return pgs_release(s, cn, rc);
}

static int read_audit(const struct pgs_row *row, void *item)
{
    struct audit_record *r = item;
    bool oom = false;

    memset(r, 0, sizeof(*r));
    r->seq = pgs_col_int(row, 0);
    r->time = pgs_col_int(row, 1);
    r->tenant_id = pgs_col_str(row, 2, &oom);
    r->actor = pgs_col_str(row, 3, &oom);
    r->actor_id = pgs_col_str(row, 4, &oom);
    r->actor_type = pgs_col_str(row, 5, &oom);
    r->client_ip = pgs_col_str(row, 6, &oom);
    r->activity = pgs_col_str(row, 7, &oom);
    r->item = pgs_col_str(row, 8, &oom);
    r->request_id = pgs_col_str(row, 9, &oom);
    r->decision = pgs_col_str(row, 10, &oom);
    r->details = pgs_col_str(row, 11, &oom);
    if (oom) {
        audit_record_clear(r);
        return LB_ENOMEM;
    }
    return 0;
}

#define AUDIT_SELECT                                                                               \
    "SELECT seq, time, tenant_id, actor, actor_id, actor_type, client_ip, activity, item,"         \
    " request_id, decision, details FROM audit"
#define AUDIT_WHERE                                                                                \
    " WHERE ($1::text IS NULL OR activity=$1) AND ($2::text IS NULL OR actor=$2)"                  \
    " AND ($3::text IS NULL OR item=$3) AND ($4::text IS NULL OR tenant_id=$4)"                    \
    " AND ($5::bigint IS NULL OR time>=$5) AND ($6::bigint IS NULL OR time<$6)"                    \
    " AND (NOT $7::boolean OR request_id IS NULL OR EXISTS(SELECT 1 FROM requests r"               \
    " WHERE r.id=audit.request_id AND r.customer_visible))"

static void bind_filter(struct pgs_params *p, const struct audit_filter *f)
{
    pgs_bind_text(p, f->activity);
    pgs_bind_text(p, f->actor);
    pgs_bind_text(p, f->item);
    pgs_bind_text(p, f->tenant_id);
    if (f->has_from)
        pgs_bind_int(p, f->from);
    else
        pgs_bind_text(p, NULL);
    if (f->has_to)
        pgs_bind_int(p, f->to);
    else
        pgs_bind_text(p, NULL);
    pgs_bind_bool(p, f->tenant_view);
    pgs_bind_int(p, f->after_seq);
    pgs_bind_int(p, (int64_t)f->limit);
}

int pgs_audit_query(struct store *base, const struct audit_filter *f, struct audit_list *out)
{
    static const char asc[] =
        AUDIT_SELECT AUDIT_WHERE " AND ($8::bigint=0 OR seq>$8) ORDER BY seq ASC LIMIT $9";
    static const char desc[] =
        AUDIT_SELECT AUDIT_WHERE " AND ($8::bigint=0 OR seq<$8) ORDER BY seq DESC LIMIT $9";
    struct pgs_params p = {0};
    struct pgs_query q = {.sql = f->ascending ? asc : desc,
                          .params = &p,
                          .read = read_audit,
                          .items = &out->items,
                          .count = &out->count,
                          .size = sizeof(*out->items),
                          .limit = f->limit};
    int rc;

    memset(out, 0, sizeof(*out));
    bind_filter(&p, f);
    if ((rc = pgs_list(pgs_of(base), &q)) != 0)
        audit_list_clear(out);
    return rc;
}
