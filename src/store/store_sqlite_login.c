/* The SQLite backend's login throttle records (store.h, migration 4). */
#include "store_sqlite_int.h"

#include <string.h>

#include "util/banned.h"

#define THROTTLE_COLS "kind, name, failures, last_failure_at, locked_until"

static int read_throttle(sqlite3_stmt *st, void *item)
{
    struct login_throttle *t = item;
    bool oom = false;

    memset(t, 0, sizeof(*t));
    t->kind = sqlite3_column_int(st, 0) == THROTTLE_ADDRESS ? THROTTLE_ADDRESS : THROTTLE_USERNAME;
    t->name = sqs_col_str(st, 1, &oom);
    t->failures = sqlite3_column_int64(st, 2);
    t->last_failure_at = sqlite3_column_int64(st, 3);
    t->locked_until = sqlite3_column_int64(st, 4);
    if (oom) {
        login_throttle_clear(t);
        return LB_ENOMEM;
    }
    return 0;
}

int sqs_login_throttle_get(struct store *base, enum throttle_kind kind, const char *name,
                           struct login_throttle *out)
{
    static const char sql[] = "SELECT " THROTTLE_COLS " FROM login_throttle"
                              " WHERE kind=? AND name=?";

    return sqs_query_one(sqs_of(base), SQS_QUERY(sql, SQS_INT(kind), SQS_TEXT(name)), out,
                         read_throttle, NULL);
}

int sqs_login_throttle_put(struct store *base, const struct login_throttle *t)
{
    static const char sql[] = "INSERT OR REPLACE INTO login_throttle(" THROTTLE_COLS ")"
                              " VALUES(?,?,?,?,?)";

    return sqs_write(sqs_of(base),
                     SQS_QUERY(sql, SQS_INT(t->kind), SQS_TEXT(t->name), SQS_INT(t->failures),
                               SQS_INT(t->last_failure_at), SQS_INT(t->locked_until)),
                     0, NULL);
}

int sqs_login_throttle_delete(struct store *base, enum throttle_kind kind, const char *name)
{
    static const char sql[] = "DELETE FROM login_throttle WHERE kind=? AND name=?";

    return sqs_write(sqs_of(base), SQS_QUERY(sql, SQS_INT(kind), SQS_TEXT(name)), 0, NULL);
}

int sqs_login_throttle_list(struct store *base, int kind, int64_t now, int64_t since,
                            struct login_throttle_list *out)
{
    static const char sql[] = "SELECT " THROTTLE_COLS " FROM login_throttle"
                              " WHERE (?1 < 0 OR kind=?1) AND (locked_until>?2"
                              " OR last_failure_at>=?3) ORDER BY kind, name";
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sqs_query_list(sqs_of(base), SQS_QUERY(sql, SQS_INT(kind), SQS_INT(now), SQS_INT(since)),
                        SQS_LIST(out), read_throttle, NULL);
    if (rc)
        login_throttle_list_clear(out);
    return rc;
}

int sqs_login_throttle_prune(struct store *base, int64_t now, int64_t since)
{
    static const char sql[] = "DELETE FROM login_throttle WHERE locked_until<=? AND"
                              " last_failure_at<?";

    return sqs_write(sqs_of(base), SQS_QUERY(sql, SQS_INT(now), SQS_INT(since)), 0, NULL);
}
