/* The SQLite backend's sessions and API tokens (store.h, migrations 1 and 6). */
#include "store_sqlite_int.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

#define SESSION_COLS "token_hash, user_id, token_id, name, mfa, created_at, expires_at"

static int read_session(sqlite3_stmt *st, void *item)
{
    struct session *se = item;
    bool oom = false;

    memset(se, 0, sizeof(*se));
    se->token_hash = sqs_col_str(st, 0, &oom);
    se->user_id = sqs_col_str(st, 1, &oom);
    se->token_id = sqs_col_str(st, 2, &oom);
    se->name = sqs_col_str(st, 3, &oom);
    se->mfa = sqlite3_column_int(st, 4) != 0;
    se->created_at = sqlite3_column_int64(st, 5);
    se->expires_at = sqlite3_column_int64(st, 6);
    if (oom) {
        session_clear(se);
        return LB_ENOMEM;
    }
    return 0;
}

int sqs_session_insert(struct store *base, const struct session *se)
{
    static const char sql[] = "INSERT INTO sessions(" SESSION_COLS ") VALUES(?,?,?,?,?,?,?)";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, se->token_hash);
        sqs_bind_text(st, 2, se->user_id);
        sqs_bind_text(st, 3, se->token_id);
        sqs_bind_text(st, 4, se->name);
        sqlite3_bind_int(st, 5, se->mfa);
        sqlite3_bind_int64(st, 6, se->created_at);
        sqlite3_bind_int64(st, 7, se->expires_at);
        rc = sqs_run(cn, st);
    }
    return sqs_release(s, cn, rc);
}

int sqs_session_expire(struct store *base, const char *token_hash, int64_t at)
{
    static const char sql[] =
        "UPDATE sessions SET expires_at=?1 WHERE token_hash=?2 AND expires_at>?1";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqlite3_bind_int64(st, 1, at);
        sqs_bind_text(st, 2, token_hash);
        rc = sqs_run(cn, st);
        if (rc == 0 && sqlite3_changes(cn->db) == 0)
            rc = LB_ENOTFOUND;
    }
    return sqs_release(s, cn, rc);
}

/* The one session a keyed query selects, into out. */
static int session_by(struct sqlite_store *s, const char *sql, const char *key, struct session *out)
{
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, key);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            rc = read_session(st, out);
        else
            rc = rc == SQLITE_DONE ? LB_ENOTFOUND : sqs_code(cn, rc);
        sqs_stmt_done(cn, st);
    }
    sqs_release(s, cn, 0);
    return rc;
}

int sqs_session_get(struct store *base, const char *token_hash, struct session *out)
{
    static const char sql[] = "SELECT " SESSION_COLS " FROM sessions WHERE token_hash=?";

    return session_by(sqs_of(base), sql, token_hash, out);
}

int sqs_token_get(struct store *base, const char *token_id, struct session *out)
{
    static const char sql[] = "SELECT " SESSION_COLS " FROM sessions WHERE token_id=?";

    return session_by(sqs_of(base), sql, token_id, out);
}

int sqs_token_list(struct store *base, const char *user_id, struct session_list *out)
{
    static const char sql[] = "SELECT " SESSION_COLS " FROM sessions"
                              " WHERE user_id=? AND token_id IS NOT NULL"
                              " ORDER BY created_at, rowid";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    memset(out, 0, sizeof(*out));
    if (st) {
        sqs_bind_text(st, 1, user_id);
        rc = sqs_collect(cn, st, &out->items, &out->count, sizeof(*out->items), read_session);
    }
    sqs_release(s, cn, 0);
    if (rc)
        session_list_clear(out);
    return rc;
}

int sqs_token_delete(struct store *base, const char *token_id)
{
    static const char sql[] = "DELETE FROM sessions WHERE token_id=?";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, token_id);
        rc = sqs_run(cn, st);
        if (rc == 0 && sqlite3_changes(cn->db) == 0)
            rc = LB_ENOTFOUND;
    }
    return sqs_release(s, cn, rc);
}
