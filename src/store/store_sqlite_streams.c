/* The SQLite backend's audit streams to syslog collectors (store.h, migration 9). */
#include "store_sqlite_int.h"

#include <string.h>

#include "util/banned.h"

static int read_stream(sqlite3_stmt *st, void *item)
{
    struct audit_stream *s = item;
    bool oom = false;

    memset(s, 0, sizeof(*s));
    s->id = sqs_col_str(st, 0, &oom);
    s->url = sqs_col_str(st, 1, &oom);
    s->profile = sqs_col_str(st, 2, &oom);
    s->created_at = sqlite3_column_int64(st, 3);
    s->delivered = sqlite3_column_int64(st, 4);
    s->attempts = sqlite3_column_int64(st, 5);
    s->next_attempt_at = sqlite3_column_int64(st, 6);
    s->last_attempt_at = sqlite3_column_int64(st, 7);
    s->last_error = sqs_col_str(st, 8, &oom);
    if (oom) {
        audit_stream_clear(s);
        return LB_ENOMEM;
    }
    return 0;
}

static int read_stream_chain(sqlite3_stmt *st, void *item)
{
    struct audit_stream_chain *c = item;
    bool oom = false;

    memset(c, 0, sizeof(*c));
    c->chain = sqs_col_str(st, 0, &oom);
    c->sent_index = sqlite3_column_int64(st, 1);
    c->head_index = sqlite3_column_int64(st, 2);
    return oom ? LB_ENOMEM : 0;
}

int sqs_audit_stream_put(struct store *base, const struct audit_stream *s)
{
    static const char insert[] = "INSERT INTO audit_streams(id, url, profile, created_at)"
                                 " VALUES(?,?,?,?) ON CONFLICT(id) DO NOTHING";
    /* a new stream starts after the newest record of each chain it covers */
    static const char cursors[] =
        "INSERT OR IGNORE INTO audit_stream_cursors(stream, chain, chain_index)"
        " SELECT ?1, chain, head_index FROM audit_chains WHERE ?1='provider' OR chain=?1";
    static const char update[] =
        "UPDATE audit_streams SET url=?2, profile=?3, attempts=0, next_attempt_at=0,"
        " last_error=NULL WHERE id=?1 AND (url<>?2 OR profile<>?3)";
    struct sqlite_store *st = sqs_of(base);
    int rc = sqs_write(st,
                       SQS_QUERY(insert, SQS_TEXT(s->id), SQS_TEXT(s->url), SQS_TEXT(s->profile),
                                 SQS_INT(s->created_at)),
                       LB_EEXISTS, NULL);

    if (rc == 0)
        return sqs_write(st, SQS_QUERY(cursors, SQS_TEXT(s->id)), 0, NULL);
    if (rc != LB_EEXISTS)
        return rc;
    return sqs_write(st, SQS_QUERY(update, SQS_TEXT(s->id), SQS_TEXT(s->url), SQS_TEXT(s->profile)),
                     0, NULL);
}

int sqs_audit_stream_delete(struct store *base, const char *id, bool keep_sent)
{
    static const char cursors[] = "DELETE FROM audit_stream_cursors WHERE stream=?";
    static const char held[] = "DELETE FROM audit_stream_held WHERE stream=?";
    static const char stream[] = "DELETE FROM audit_streams WHERE id=?";
    struct sqlite_store *st = sqs_of(base);
    int rc = keep_sent ? 0 : sqs_write(st, SQS_QUERY(cursors, SQS_TEXT(id)), 0, NULL);

    if (rc == 0)
        rc = sqs_write(st, SQS_QUERY(held, SQS_TEXT(id)), 0, NULL);
    return rc ? rc : sqs_write(st, SQS_QUERY(stream, SQS_TEXT(id)), 0, NULL);
}

int sqs_audit_streams(struct store *base, struct audit_stream_list *out)
{
    static const char sql[] =
        "SELECT id, url, profile, created_at, delivered, attempts, next_attempt_at,"
        " last_attempt_at, last_error FROM audit_streams ORDER BY id";
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sqs_query_list(sqs_of(base), SQS_QUERY_NOARGS(sql), SQS_LIST(out), read_stream, NULL);
    if (rc)
        audit_stream_list_clear(out);
    return rc;
}

int sqs_audit_stream_backlog(struct store *base, const char *id,
                             struct audit_stream_chain_list *out)
{
    static const char sql[] =
        "SELECT c.chain, COALESCE(k.chain_index, 0), c.head_index FROM audit_chains c"
        " LEFT JOIN audit_stream_cursors k ON k.stream=?1 AND k.chain=c.chain"
        " WHERE (?1='provider' OR c.chain=?1) AND c.head_index > COALESCE(k.chain_index, 0)"
        " ORDER BY c.chain";
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sqs_query_list(sqs_of(base), SQS_QUERY(sql, SQS_TEXT(id)), SQS_LIST(out),
                        read_stream_chain, NULL);
    if (rc)
        audit_stream_chain_list_clear(out);
    return rc;
}

int sqs_audit_stream_update(struct store *base, const struct audit_stream *s, const char *owner,
                            const char *chain, int64_t index)
{
    static const char state[] =
        "UPDATE audit_streams SET delivered=?3, attempts=?4, next_attempt_at=?5,"
        " last_attempt_at=?6, last_error=?7 WHERE id=?1 AND url=?2"
        " AND (lease_owner IS NULL OR lease_owner=?8)";
    static const char cursor[] =
        "INSERT INTO audit_stream_cursors(stream, chain, chain_index) VALUES(?1,?2,?3)"
        " ON CONFLICT(stream, chain) DO UPDATE SET chain_index=max(chain_index, ?3)";
    struct sqlite_store *st = sqs_of(base);
    int rc =
        sqs_write(st,
                  SQS_QUERY(state, SQS_TEXT(s->id), SQS_TEXT(s->url), SQS_INT(s->delivered),
                            SQS_INT(s->attempts), SQS_INT(s->next_attempt_at),
                            SQS_INT(s->last_attempt_at), SQS_TEXT(s->last_error), SQS_TEXT(owner)),
                  LB_ENOTFOUND, NULL);

    if (rc || !chain)
        return rc;
    return sqs_write(st, SQS_QUERY(cursor, SQS_TEXT(s->id), SQS_TEXT(chain), SQS_INT(index)), 0,
                     NULL);
}

int sqs_audit_stream_claim(struct store *base, const char *id, const char *owner, int64_t now,
                           int64_t until)
{
    static const char sql[] = "UPDATE audit_streams SET lease_owner=?2, lease_until=?4"
                              " WHERE id=?1 AND (lease_until<=?3 OR lease_owner=?2)";

    return sqs_write(sqs_of(base),
                     SQS_QUERY(sql, SQS_TEXT(id), SQS_TEXT(owner), SQS_INT(now), SQS_INT(until)),
                     LB_ECONFLICT, NULL);
}

int sqs_audit_stream_hold(struct store *base, const char *stream, const char *chain, int64_t index,
                          const char *request_id)
{
    static const char sql[] =
        "INSERT INTO audit_stream_held(stream, chain, chain_index, request_id) VALUES(?,?,?,?)"
        " ON CONFLICT DO NOTHING";

    return sqs_write(
        sqs_of(base),
        SQS_QUERY(sql, SQS_TEXT(stream), SQS_TEXT(chain), SQS_INT(index), SQS_TEXT(request_id)), 0,
        NULL);
}

static int read_held(sqlite3_stmt *st, void *item)
{
    struct audit_stream_held *h = item;
    bool oom = false;

    memset(h, 0, sizeof(*h));
    h->chain = sqs_col_str(st, 0, &oom);
    h->index = sqlite3_column_int64(st, 1);
    h->request_id = sqs_col_str(st, 2, &oom);
    return oom ? LB_ENOMEM : 0;
}

int sqs_audit_stream_held(struct store *base, const char *stream, size_t limit,
                          struct audit_stream_held_list *out)
{
    static const char sql[] = "SELECT chain, chain_index, request_id FROM audit_stream_held"
                              " WHERE stream=?1 ORDER BY chain, chain_index LIMIT ?2";
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sqs_query_list(sqs_of(base), SQS_QUERY(sql, SQS_TEXT(stream), SQS_INT(limit)),
                        SQS_LIST(out), read_held, NULL);
    if (rc)
        audit_stream_held_list_clear(out);
    return rc;
}

int sqs_audit_stream_release(struct store *base, const char *stream, const char *chain,
                             int64_t index)
{
    static const char sql[] =
        "DELETE FROM audit_stream_held WHERE stream=? AND chain=? AND chain_index=?";

    return sqs_write(sqs_of(base),
                     SQS_QUERY(sql, SQS_TEXT(stream), SQS_TEXT(chain), SQS_INT(index)), 0, NULL);
}
