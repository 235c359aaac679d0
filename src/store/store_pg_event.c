/*
 * The PostgreSQL backend's request event stream (store.h, migration 5).
 *
 * An event's seq comes from an identity: never given twice, and, since every write
 * transaction of every lockboxd holds the write lock until it has committed, given in commit
 * order. The newest seq ever given is the newest committed row's, or, when pruning took
 * that, the prune mark (pruning deletes a prefix and marks the newest seq it deleted).
 */
#include "store_pg_int.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

#include "util/banned.h"

#define EVENT_COLS "seq, id, type, tenant_id, request_id, tenant_visible, created_at, body"
/* The meta key holding the newest seq pruning deleted (every event up to it may be gone). */
#define META_PRUNED_THROUGH "events_pruned_through"
#define PRUNED_SQL "(SELECT value::bigint FROM meta WHERE key='" META_PRUNED_THROUGH "')"
/* The newest seq ever given (0: none), in one statement with the prune mark it depends on. */
#define LAST_SQL "GREATEST((SELECT max(seq) FROM events), " PRUNED_SQL ", 0)"

static int read_event(const struct pgs_row *row, void *item)
{
    struct request_event *e = item;
    bool oom = false;

    memset(e, 0, sizeof(*e));
    e->seq = pgs_col_int(row, 0);
    e->id = pgs_col_str(row, 1, &oom);
    e->type = pgs_col_str(row, 2, &oom);
    e->tenant_id = pgs_col_str(row, 3, &oom);
    e->request_id = pgs_col_str(row, 4, &oom);
    e->tenant_visible = pgs_col_bool(row, 5);
    e->created_at = pgs_col_int(row, 6);
    e->body = pgs_col_str(row, 7, &oom);
    if (oom) {
        request_event_clear(e);
        return LB_ENOMEM;
    }
    return 0;
}

static int read_seq(const struct pgs_row *row, void *item)
{
    *(int64_t *)item = pgs_col_int(row, 0);
    return 0;
}

int pgs_event_insert(struct store *base, const struct request_event *e, int64_t *seq)
{
    static const char sql[] = "INSERT INTO events(id, type, tenant_id, request_id,"
                              " tenant_visible, created_at, body) VALUES($1,$2,$3,$4,$5,$6,$7)"
                              " RETURNING seq";
    struct pg_store *s = pgs_of(base);
    struct pgs_conn *cn = NULL;
    struct pgs_params p = {0};
    int64_t given = 0;
    int rc;

    pgs_bind_text(&p, e->id);
    pgs_bind_text(&p, e->type);
    pgs_bind_text(&p, e->tenant_id);
    pgs_bind_text(&p, e->request_id);
    pgs_bind_bool(&p, e->tenant_visible);
    pgs_bind_int(&p, e->created_at);
    pgs_bind_text(&p, e->body);
    if (!seq)
        return pgs_defer(s, sql, &p);
    if ((rc = pgs_acquire(s, PGS_WRITE, &cn)) == 0)
        rc = pgs_get_on(cn, sql, &p, &given, read_seq);
    rc = pgs_release(s, cn, rc);
    if (rc == 0)
        *seq = given;
    return rc;
}

int pgs_event_list(struct store *base, const struct request_event_filter *f,
                   struct request_event_list *out)
{
    static const char sql[] = "SELECT " EVENT_COLS " FROM events WHERE seq>$1"
                              " AND ($2::bigint=0 OR seq<=$2) AND ($4::text IS NULL OR"
                              " (tenant_id=$4 AND tenant_visible)) ORDER BY seq LIMIT $3";
    struct pgs_params p = {0};
    struct pgs_query q = {.sql = sql,
                          .params = &p,
                          .read = read_event,
                          .items = &out->items,
                          .count = &out->count,
                          .size = sizeof(*out->items)};
    int rc;

    memset(out, 0, sizeof(*out));
    pgs_bind_int(&p, f->after_seq);
    pgs_bind_int(&p, f->through_seq);
    pgs_bind_int(&p, (int64_t)f->limit);
    pgs_bind_text(&p, f->tenant_id);
    if ((rc = pgs_list(pgs_of(base), &q)) != 0)
        request_event_list_clear(out);
    return rc;
}

struct bounds {
    int64_t pruned_through, last;
};

static int read_bounds(const struct pgs_row *row, void *item)
{
    struct bounds *b = item;

    b->pruned_through = pgs_col_int(row, 0);
    b->last = pgs_col_int(row, 1);
    return 0;
}

int pgs_event_bounds(struct store *base, int64_t *pruned_through, int64_t *last)
{
    /* one statement, one snapshot: the prune mark is never newer than last */
    static const char sql[] = "SELECT COALESCE(" PRUNED_SQL ", 0), " LAST_SQL;
    struct bounds b = {0};
    int rc = pgs_get(pgs_of(base), sql, NULL, &b, read_bounds);

    *pruned_through = rc == 0 ? b.pruned_through : 0;
    *last = rc == 0 ? b.last : 0;
    return rc;
}

/* Deletes the events through seq `through` and marks it, on cn; *deleted counts them. */
static int prune_through(struct pgs_conn *cn, int64_t through, int64_t *deleted)
{
    static const char del_sql[] = "DELETE FROM events WHERE seq<=$1";
    static const char mark_sql[] = "INSERT INTO meta(key, value)"
                                   " VALUES('" META_PRUNED_THROUGH "', $1)"
                                   " ON CONFLICT(key) DO UPDATE SET value=EXCLUDED.value";
    struct pgs_params del = {0}, mark = {0};
    int rc;

    pgs_bind_int(&del, through);
    rc = pgs_run(cn, &(struct pgs_query){.sql = del_sql, .params = &del, .changes = deleted});
    pgs_bind_int(&mark, through);
    if (rc == 0)
        rc = pgs_run(cn, &(struct pgs_query){.sql = mark_sql, .params = &mark});
    return rc;
}

int pgs_event_prune(struct store *base, int64_t before, int64_t keep, int64_t *deleted)
{
    /* always a prefix of the stream, so "pruned through N" says exactly what may be gone */
    static const char plan_sql[] = "SELECT COALESCE(" PRUNED_SQL ", 0), GREATEST(" LAST_SQL " - $2,"
                                   " (SELECT max(seq) FROM events WHERE created_at<$1), 0)";
    struct pg_store *s = pgs_of(base);
    struct pgs_conn *cn = NULL;
    struct pgs_params p = {0};
    struct bounds b = {0}; /* the mark now, and the newest seq to delete */
    int rc;

    *deleted = 0;
    pgs_bind_int(&p, before);
    pgs_bind_int(&p, keep);
    if ((rc = pgs_acquire(s, PGS_WRITE, &cn)) == 0)
        rc = pgs_get_on(cn, plan_sql, &p, &b, read_bounds);
    if (rc == 0 && b.last > b.pruned_through)
        rc = prune_through(cn, b.last, deleted);
    return pgs_release(s, cn, rc);
}
