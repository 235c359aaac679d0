/* The SQLite backend's request event stream (store.h, migration 5). */
#include "store_sqlite_int.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

#include "util/banned.h"

#define EVENT_COLS "seq, id, type, tenant_id, request_id, tenant_visible, created_at, body"
/* The meta key holding the newest seq pruning deleted (every event up to it may be gone). */
#define META_PRUNED_THROUGH "events_pruned_through"

static int read_event(sqlite3_stmt *st, void *item)
{
    struct request_event *e = item;
    bool oom = false;

    memset(e, 0, sizeof(*e));
    e->seq = sqlite3_column_int64(st, 0);
    e->id = sqs_col_str(st, 1, &oom);
    e->type = sqs_col_str(st, 2, &oom);
    e->tenant_id = sqs_col_str(st, 3, &oom);
    e->request_id = sqs_col_str(st, 4, &oom);
    e->tenant_visible = sqlite3_column_int(st, 5) != 0;
    e->created_at = sqlite3_column_int64(st, 6);
    e->body = sqs_col_str(st, 7, &oom);
    if (oom) {
        request_event_clear(e);
        return LB_ENOMEM;
    }
    return 0;
}

int sqs_event_insert(struct store *base, const struct request_event *e, int64_t *seq)
{
    static const char sql[] = "INSERT INTO events(id, type, tenant_id, request_id,"
                              " tenant_visible, created_at, body) VALUES(?,?,?,?,?,?,?)";

    return sqs_write(sqs_of(base),
                     SQS_QUERY(sql, SQS_TEXT(e->id), SQS_TEXT(e->type), SQS_TEXT(e->tenant_id),
                               SQS_TEXT(e->request_id), SQS_INT(e->tenant_visible ? 1 : 0),
                               SQS_INT(e->created_at), SQS_TEXT(e->body)),
                     0, seq);
}

int sqs_event_list(struct store *base, const struct request_event_filter *f,
                   struct request_event_list *out)
{
    static const char all_sql[] = "SELECT " EVENT_COLS " FROM events WHERE seq>?1"
                                  " AND (?2=0 OR seq<=?2) ORDER BY seq LIMIT ?3";
    static const char tenant_sql[] = "SELECT " EVENT_COLS " FROM events WHERE tenant_id=?4"
                                     " AND tenant_visible=1 AND seq>?1 AND (?2=0 OR seq<=?2)"
                                     " ORDER BY seq LIMIT ?3";
    const struct sqs_query *q =
        f->tenant_id
            ? SQS_QUERY(tenant_sql, SQS_INT(f->after_seq), SQS_INT(f->through_seq),
                        SQS_INT(f->limit), SQS_TEXT(f->tenant_id))
            : SQS_QUERY(all_sql, SQS_INT(f->after_seq), SQS_INT(f->through_seq), SQS_INT(f->limit));
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sqs_query_list(sqs_of(base), q, SQS_LIST(out), read_event, NULL);
    if (rc)
        request_event_list_clear(out);
    return rc;
}

/* The one integer sql answers on cn (0 when it answers no row); SQLite converts the text of a
 * meta value. */
static int read_int64(struct conn *cn, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc;

    *out = 0;
    if (!st)
        return STORE_ERR(LB_ESTORE);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sqs_code(cn, rc);
    sqs_stmt_done(cn, st);
    return rc;
}

/* The meta value of META_PRUNED_THROUGH (0 when absent), read on cn. */
static int read_pruned_through(struct conn *cn, int64_t *out)
{
    static const char sql[] = "SELECT value FROM meta WHERE key='" META_PRUNED_THROUGH "'";

    return read_int64(cn, sql, out);
}

/* The newest seq ever given (AUTOINCREMENT keeps it after its row is deleted), read on cn. */
static int read_last(struct conn *cn, int64_t *out)
{
    static const char sql[] = "SELECT seq FROM sqlite_sequence WHERE name='events'";

    return read_int64(cn, sql, out);
}

int sqs_event_bounds(struct store *base, int64_t *pruned_through, int64_t *last)
{
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    int rc = cn ? 0 : LB_ESTORE;

    *pruned_through = *last = 0;
    /* two statements, two snapshots: the prune mark first, so it is never newer than last */
    if (rc == 0)
        rc = read_pruned_through(cn, pruned_through);
    if (rc == 0)
        rc = read_last(cn, last);
    sqs_release(s, cn, 0);
    return rc;
}

int sqs_event_prune(struct store *base, int64_t before, int64_t keep, int64_t *deleted)
{
    static const char old_sql[] = "SELECT MAX(seq) FROM events WHERE created_at<?";
    static const char del_sql[] = "DELETE FROM events WHERE seq<=?";
    static const char mark_sql[] = "INSERT OR REPLACE INTO meta(key, value)"
                                   " VALUES('" META_PRUNED_THROUGH "', ?)";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = NULL;
    int64_t last = 0, marked = 0, through = 0;
    char text[24];
    int rc = cn ? 0 : LB_ESTORE;

    *deleted = 0;
    if (rc == 0)
        rc = read_last(cn, &last);
    if (rc == 0)
        rc = read_pruned_through(cn, &marked);
    /* always a prefix of the stream, so "pruned through N" says exactly what may be gone */
    through = last - keep > 0 ? last - keep : 0;
    if (rc == 0 && (st = sqs_stmt(cn, old_sql)) == NULL)
        rc = STORE_ERR(LB_ESTORE);
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, before);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL &&
            sqlite3_column_int64(st, 0) > through)
            through = sqlite3_column_int64(st, 0);
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sqs_code(cn, rc);
        sqs_stmt_done(cn, st);
    }
    if (rc == 0 && through > marked) {
        if ((st = sqs_stmt(cn, del_sql)) == NULL)
            rc = STORE_ERR(LB_ESTORE);
        if (rc == 0) {
            sqlite3_bind_int64(st, 1, through);
            rc = sqs_run(cn, st);
        }
        if (rc == 0)
            *deleted = sqlite3_changes(cn->db);
        if (rc == 0 && (st = sqs_stmt(cn, mark_sql)) == NULL)
            rc = STORE_ERR(LB_ESTORE);
        if (rc == 0) {
            snprintf(text, sizeof(text), "%lld", (long long)through);
            sqs_bind_text(st, 1, text);
            rc = sqs_run(cn, st);
        }
    }
    return sqs_release(s, cn, rc);
}
