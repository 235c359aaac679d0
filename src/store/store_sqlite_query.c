/* The SQLite backend's query helpers: statements, binding, reading rows, and the one
 * acquire-prepare-bind-step-release wrapper every operation goes through (store_sqlite_int.h). */
#include "store_sqlite_int.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strv.h"

#include <assert.h>
#include <errno.h>
#include <sqlite3.h>
#include <string.h>

#include "util/banned.h"

int sqs_err_at(int code, const char *file, int line)
{
    log_debug("store error code=%s at=%s:%d", lb_strerror(code), file, line);
    return code;
}

static int code_of(struct conn *cn, int rc)
{
    int sys = sqlite3_system_errno(cn->db);

    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        return LB_EEXISTS;
    case SQLITE_NOMEM:
        return LB_ENOMEM;
    case SQLITE_FULL:
        return LB_ENOSPC;
    case SQLITE_IOERR:
        return sys == ENOSPC || sys == EDQUOT ? LB_ENOSPC : LB_ESTORE;
    default:
        return LB_ESTORE;
    }
}

int sqs_code(struct conn *cn, int rc)
{
    int code = code_of(cn, rc);

    if (code == LB_ESTORE || code == LB_ENOSPC)
        log_debug("sqlite error rc=%d errno=%d msg=\"%s\"", rc, sqlite3_system_errno(cn->db),
                  sqlite3_errmsg(cn->db));
    cn->last_err = code;
    return STORE_ERR(code);
}

/* A prepared, reset statement for sql (a literal), or NULL. */
sqlite3_stmt *sqs_stmt(struct conn *cn, const char *sql)
{
    sqlite3_stmt *st = NULL;
    size_t i;

    if (!cn)
        return NULL;
    for (i = 0; i < STMT_CACHE_SIZE && cn->cache[i].sql; i++) {
        if (cn->cache[i].sql == sql) {
            sqlite3_reset(cn->cache[i].stmt);
            sqlite3_clear_bindings(cn->cache[i].stmt);
            return cn->cache[i].stmt;
        }
    }
    if (sqlite3_prepare_v3(cn->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        log_error("store: cannot prepare statement: %s", sqlite3_errmsg(cn->db));
        return NULL;
    }
    if (i < STMT_CACHE_SIZE) {
        cn->cache[i].sql = sql;
        cn->cache[i].stmt = st;
    }
    return st;
}

/* Resets a cached statement, or finalizes one the cache had no room for. */
void sqs_stmt_done(struct conn *cn, sqlite3_stmt *st)
{
    for (size_t i = 0; i < STMT_CACHE_SIZE && cn->cache[i].sql; i++)
        if (cn->cache[i].stmt == st) {
            sqlite3_reset(st);
            return;
        }
    sqlite3_finalize(st);
}

void sqs_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

void sqs_bind_time(sqlite3_stmt *st, int i, int64_t v)
{
    if (v)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

char *sqs_col_str(sqlite3_stmt *st, int i, bool *oom)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    char *copy;

    if (!v)
        return NULL;
    copy = lb_strdup((const char *)v);
    if (!copy)
        *oom = true;
    return copy;
}

int sqs_exec(struct conn *cn, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(cn->db, sql, NULL, NULL, &msg);

    if (rc != SQLITE_OK) {
        log_error("store: %s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return sqs_code(cn, rc);
    }
    return 0;
}

int sqs_tx(struct conn *cn, const char *sql)
{
    sqlite3_stmt *st;
    int rc;

    assert(cn != NULL); /* the writer's connection, always open (unlike a reader, maybe none) */
    if (!(st = sqs_stmt(cn, sql)))
        return sqs_code(cn, sqlite3_errcode(cn->db));
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        log_error("store: %s: %s", sql, sqlite3_errmsg(cn->db));
    sqs_stmt_done(cn, st);
    return rc == SQLITE_DONE ? 0 : sqs_code(cn, rc);
}

int sqs_row_str(sqlite3_stmt *st, void *item)
{
    bool oom = false;

    *(char **)item = sqs_col_str(st, 0, &oom);
    return oom ? LB_ENOMEM : 0;
}

int64_t sqs_col_time(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, i);
}

int sqs_get_one(struct conn *cn, sqlite3_stmt *st, void *item, sqs_row_fn *read)
{
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW)
        rc = read(st, item);
    else
        rc = rc == SQLITE_DONE ? LB_ENOTFOUND : sqs_code(cn, rc);
    sqs_stmt_done(cn, st);
    return rc;
}

int sqs_collect(struct conn *cn, sqlite3_stmt *st, void *items, size_t *count, size_t size,
                sqs_row_fn *read)
{
    char **array = items;
    size_t cap = 0;
    int rc;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (lb_array_reserve(array, &cap, *count, size) != 0) {
            rc = LB_ENOMEM;
            break;
        }
        if ((rc = read(st, *array + *count * size)) != 0)
            break;
        (*count)++;
    }
    rc = rc == SQLITE_DONE ? 0 : (rc < 0 ? rc : sqs_code(cn, rc));
    sqs_stmt_done(cn, st);
    return rc;
}

/* Runs a statement that returns no rows. */
int sqs_run(struct conn *cn, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);

    sqs_stmt_done(cn, st);
    return rc == SQLITE_DONE ? 0 : sqs_code(cn, rc);
}

void sqs_bind(sqlite3_stmt *st, const struct sqs_query *q)
{
    for (size_t i = 0; i < q->arg_count; i++) {
        const struct sqs_arg *a = &q->args[i];
        int at = (int)i + 1;

        switch (a->type) {
        case SQS_ARG_NULL:
            sqlite3_bind_null(st, at);
            break;
        case SQS_ARG_TEXT:
            sqs_bind_text(st, at, a->text);
            break;
        case SQS_ARG_INT:
            sqlite3_bind_int64(st, at, a->num);
            break;
        case SQS_ARG_TIME:
            sqs_bind_time(st, at, a->num);
            break;
        }
    }
}

int sqs_write(struct sqlite_store *s, const struct sqs_query *q, int none_rc, int64_t *rowid)
{
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, q->sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind(st, q);
        rc = sqs_run(cn, st);
        if (rc == 0 && none_rc && sqlite3_changes(cn->db) == 0)
            rc = none_rc;
        if (rc == 0 && rowid)
            *rowid = sqlite3_last_insert_rowid(cn->db);
    }
    return sqs_release(s, cn, rc);
}

int sqs_query_one(struct sqlite_store *s, const struct sqs_query *q, void *item, sqs_row_fn *read,
                  sqs_more_fn *more)
{
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, q->sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind(st, q);
        rc = sqs_get_one(cn, st, item, read);
        if (rc == 0 && more)
            rc = more(cn, item);
    }
    sqs_release(s, cn, 0);
    return rc;
}

int sqs_query_list(struct sqlite_store *s, const struct sqs_query *q, void *items, size_t *count,
                   size_t size, sqs_row_fn *read, sqs_more_fn *more)
{
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, q->sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind(st, q);
        rc = sqs_collect(cn, st, items, count, size, read);
        for (size_t i = 0; rc == 0 && more && i < *count; i++)
            rc = more(cn, *(char **)items + i * size);
    }
    sqs_release(s, cn, 0);
    return rc;
}

int sqs_query_int(struct sqlite_store *s, const struct sqs_query *q, int64_t *out)
{
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, q->sql);
    int rc = LB_ESTORE;

    *out = 0;
    if (st) {
        sqs_bind(st, q);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqs_col_time(st, 0);
            rc = 0;
        } else {
            rc = sqs_code(cn, rc);
        }
        sqs_stmt_done(cn, st);
    }
    sqs_release(s, cn, 0);
    return rc;
}
