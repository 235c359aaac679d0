/* The SQLite backend's login throttle records (store.h, migration 3). */
#include "store_sqlite_int.h"
#include "util/mem.h"

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
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqlite3_bind_int(st, 1, (int)kind);
        sqs_bind_text(st, 2, name);
        rc = sqs_get_one(cn, st, out, read_throttle);
    }
    sqs_release(s, cn, 0);
    return rc;
}

int sqs_login_throttle_put(struct store *base, const struct login_throttle *t)
{
    static const char sql[] = "INSERT OR REPLACE INTO login_throttle(" THROTTLE_COLS ")"
                              " VALUES(?,?,?,?,?)";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqlite3_bind_int(st, 1, (int)t->kind);
        sqs_bind_text(st, 2, t->name);
        sqlite3_bind_int64(st, 3, t->failures);
        sqlite3_bind_int64(st, 4, t->last_failure_at);
        sqlite3_bind_int64(st, 5, t->locked_until);
        rc = sqs_run(cn, st);
    }
    return sqs_release(s, cn, rc);
}

int sqs_login_throttle_delete(struct store *base, enum throttle_kind kind, const char *name)
{
    static const char sql[] = "DELETE FROM login_throttle WHERE kind=? AND name=?";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqlite3_bind_int(st, 1, (int)kind);
        sqs_bind_text(st, 2, name);
        rc = sqs_run(cn, st);
    }
    return sqs_release(s, cn, rc);
}

int sqs_login_throttle_list(struct store *base, int kind, int64_t now, int64_t since,
                            struct login_throttle_list *out)
{
    static const char sql[] = "SELECT " THROTTLE_COLS " FROM login_throttle"
                              " WHERE (?1 < 0 OR kind=?1) AND (locked_until>?2"
                              " OR last_failure_at>=?3) ORDER BY kind, name";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    memset(out, 0, sizeof(*out));
    if (st) {
        sqlite3_bind_int(st, 1, kind);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_int64(st, 3, since);
        rc = sqs_collect(cn, st, &out->items, &out->count, sizeof(*out->items), read_throttle);
    }
    sqs_release(s, cn, 0);
    if (rc)
        login_throttle_list_clear(out);
    return rc;
}

int sqs_login_throttle_prune(struct store *base, int64_t now, int64_t since)
{
    static const char sql[] = "DELETE FROM login_throttle WHERE locked_until<=? AND"
                              " last_failure_at<?";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int64(st, 2, since);
        rc = sqs_run(cn, st);
    }
    return sqs_release(s, cn, rc);
}
