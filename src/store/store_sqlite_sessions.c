/* The SQLite backend's sessions and API tokens (store.h, migrations 1 and 6). */
#include "store_sqlite_int.h"

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

    return sqs_write(sqs_of(base),
                     SQS_QUERY(sql, SQS_TEXT(se->token_hash), SQS_TEXT(se->user_id),
                               SQS_TEXT(se->token_id), SQS_TEXT(se->name), SQS_INT(se->mfa),
                               SQS_INT(se->created_at), SQS_INT(se->expires_at)),
                     0, NULL);
}

int sqs_session_expire(struct store *base, const char *token_hash, int64_t at)
{
    static const char sql[] =
        "UPDATE sessions SET expires_at=?1 WHERE token_hash=?2 AND expires_at>?1";

    return sqs_write(sqs_of(base), SQS_QUERY(sql, SQS_INT(at), SQS_TEXT(token_hash)), LB_ENOTFOUND,
                     NULL);
}

int sqs_session_get(struct store *base, const char *token_hash, struct session *out)
{
    static const char sql[] = "SELECT " SESSION_COLS " FROM sessions WHERE token_hash=?";

    return sqs_query_one(sqs_of(base), SQS_QUERY(sql, SQS_TEXT(token_hash)), out, read_session,
                         NULL);
}

int sqs_token_get(struct store *base, const char *token_id, struct session *out)
{
    static const char sql[] = "SELECT " SESSION_COLS " FROM sessions WHERE token_id=?";

    return sqs_query_one(sqs_of(base), SQS_QUERY(sql, SQS_TEXT(token_id)), out, read_session, NULL);
}

int sqs_token_list(struct store *base, const char *user_id, struct session_list *out)
{
    static const char sql[] = "SELECT " SESSION_COLS " FROM sessions"
                              " WHERE user_id=? AND token_id IS NOT NULL"
                              " ORDER BY created_at, rowid";
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sqs_query_list(sqs_of(base), SQS_QUERY(sql, SQS_TEXT(user_id)), SQS_LIST(out),
                        read_session, NULL);
    if (rc)
        session_list_clear(out);
    return rc;
}

int sqs_token_delete(struct store *base, const char *token_id)
{
    static const char sql[] = "DELETE FROM sessions WHERE token_id=?";

    return sqs_write(sqs_of(base), SQS_QUERY(sql, SQS_TEXT(token_id)), LB_ENOTFOUND, NULL);
}
