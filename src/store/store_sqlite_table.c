/* The SQLite backend's whole-row operations (store.h, store_table.h): statements built from the
 * table list, prepared for the one call (a copy runs each a handful of times, so the statement
 * cache, keyed by literal, is not for them). */
#include "store_sqlite_int.h"

#include <sqlite3.h>

#include "util/banned.h"

/* A statement for the text of sql on cn into *out; LB_ENOMEM when building sql failed. */
static int prepare(struct conn *cn, const struct buf *sql, sqlite3_stmt **out, struct buf *err)
{
    int rc;

    *out = NULL;
    if (!buf_ok(sql))
        return LB_ENOMEM;
    if ((rc = sqlite3_prepare_v2(cn->db, buf_cstr(sql), -1, out, NULL)) != SQLITE_OK) {
        if (err)
            buf_appendf(err, "%s", sqlite3_errmsg(cn->db));
        return sqs_code(cn, rc);
    }
    return 0;
}

/* The expression of t's newest seq given: 0 without one; a KEPT seq also counts what
 * sqlite_sequence remembers of deleted rows (bound as ?1, the table's name). */
static void append_last_seq(struct buf *b, const struct store_table *t)
{
    const char *seq = t->flags & STORE_TABLE_SEQ_ROWID ? "rowid" : "\"seq\"";

    if (!(t->flags & STORE_TABLE_SEQ))
        buf_puts(b, "0");
    else if (t->flags & STORE_TABLE_SEQ_KEPT)
        buf_appendf(b,
                    "max(COALESCE(max(%s), 0),"
                    " COALESCE((SELECT seq FROM sqlite_sequence WHERE name=?1), 0))",
                    seq);
    else
        buf_appendf(b, "COALESCE(max(%s), 0)", seq);
}

int sqs_table_stat(struct store *base, const struct store_table *t, int64_t *rows,
                   int64_t *last_seq)
{
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    struct buf sql = BUF_INIT;
    sqlite3_stmt *st = NULL;
    int rc;

    *rows = *last_seq = 0;
    if (!cn)
        return STORE_ERR(LB_ESTORE);
    buf_puts(&sql, "SELECT count(*), ");
    append_last_seq(&sql, t);
    buf_appendf(&sql, " FROM \"%s\"", t->name);
    if ((rc = prepare(cn, &sql, &st, NULL)) != 0)
        goto out;
    if (t->flags & STORE_TABLE_SEQ_KEPT)
        sqs_bind_text(st, 1, t->name);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *rows = sqlite3_column_int64(st, 0);
        *last_seq = sqlite3_column_int64(st, 1);
        rc = 0;
    } else {
        rc = sqs_code(cn, rc);
    }
out:
    sqlite3_finalize(st);
    buf_release(&sql);
    return sqs_release(s, cn, rc);
}

/* Reads column i of st's row into v as t's column i; LB_ESTORE (said in err) when the stored
 * value is not of the column's type (an SQLite column takes any). */
static int read_value(sqlite3_stmt *st, int i, const struct store_table *t, struct store_value *v,
                      struct buf *err)
{
    const struct store_column *c = &t->columns[i];
    int type = sqlite3_column_type(st, i);

    *v = (struct store_value){.is_null = type == SQLITE_NULL};
    if (type == SQLITE_NULL)
        return 0;
    if (c->type == STORE_COLUMN_TEXT && type != SQLITE_BLOB) {
        v->text = (const char *)sqlite3_column_text(st, i);
        return v->text ? 0 : LB_ENOMEM;
    }
    if (c->type != STORE_COLUMN_TEXT && type == SQLITE_INTEGER) {
        v->num = sqlite3_column_int64(st, i);
        return 0;
    }
    if (err)
        buf_appendf(err, "%s.%s holds a value of SQLite type %d where %s belongs", t->name, c->name,
                    type, c->type == STORE_COLUMN_TEXT ? "text" : "an integer");
    return STORE_ERR(LB_ESTORE);
}

int sqs_table_each(struct store *base, const struct store_table *t, store_row_fn *fn, void *ctx,
                   struct buf *err)
{
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    struct store_value row[STORE_TABLE_COLUMNS_MAX];
    struct buf sql = BUF_INIT;
    sqlite3_stmt *st = NULL;
    int rc;

    if (!cn)
        return STORE_ERR(LB_ESTORE);
    if (t->column_count > STORE_TABLE_COLUMNS_MAX) {
        rc = STORE_ERR(LB_EINVAL);
        goto out;
    }
    buf_puts(&sql, "SELECT ");
    store_table_columns_sql(&sql, t, true);
    buf_appendf(&sql, " FROM \"%s\" ORDER BY ", t->name);
    for (size_t i = 0; i < t->key_count; i++)
        buf_appendf(&sql, "%s%d", i ? ", " : "", (int)i + 1);
    if ((rc = prepare(cn, &sql, &st, err)) != 0)
        goto out;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (size_t i = 0; i < t->column_count; i++)
            if ((rc = read_value(st, (int)i, t, &row[i], err)) != 0)
                goto out;
        if ((rc = fn(ctx, row)) != 0) {
            rc = rc < 0 ? rc : 0;
            goto out;
        }
    }
    rc = rc == SQLITE_DONE ? 0 : sqs_code(cn, rc);
    if (rc && err)
        buf_appendf(err, "reading %s: %s", t->name, sqlite3_errmsg(cn->db));
out:
    sqlite3_finalize(st);
    buf_release(&sql);
    return sqs_release(s, cn, rc);
}

/* Binds v as parameter at of st, as column c's type. */
static void bind_value(sqlite3_stmt *st, int at, const struct store_column *c,
                       const struct store_value *v)
{
    if (v->is_null)
        sqlite3_bind_null(st, at);
    else if (c->type == STORE_COLUMN_TEXT)
        sqs_bind_text(st, at, v->text);
    else
        sqlite3_bind_int64(st, at, c->type == STORE_COLUMN_BOOL ? v->num != 0 : v->num);
}

int sqs_table_insert(struct store *base, const struct store_table *t,
                     const struct store_value *rows, size_t count, struct buf *err)
{
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    struct buf sql = BUF_INIT;
    sqlite3_stmt *st = NULL;
    int rc;

    if (!cn)
        return STORE_ERR(LB_ESTORE);
    buf_appendf(&sql, "INSERT INTO \"%s\"(", t->name);
    store_table_columns_sql(&sql, t, true);
    buf_puts(&sql, ") VALUES(");
    for (size_t i = 0; i < t->column_count; i++)
        buf_appendf(&sql, "%s?%zu", i ? ", " : "", i + 1);
    buf_puts(&sql, ")");
    if ((rc = prepare(cn, &sql, &st, err)) != 0)
        goto out;
    for (size_t r = 0; rc == 0 && r < count; r++) {
        const struct store_value *row = rows + r * t->column_count;
        sqlite3_reset(st);
        for (size_t i = 0; i < t->column_count; i++)
            bind_value(st, (int)i + 1, &t->columns[i], &row[i]);
        if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
            rc = 0;
        } else {
            if (err)
                buf_appendf(err, "inserting into %s: %s", t->name, sqlite3_errmsg(cn->db));
            rc = sqs_code(cn, rc);
        }
    }
out:
    sqlite3_finalize(st);
    buf_release(&sql);
    return sqs_release(s, cn, rc);
}

int sqs_table_seq_set(struct store *base, const struct store_table *t, int64_t last_seq)
{
    /* rows inserted with their numbers already moved sqlite_sequence up to the highest */
    static const char add_sql[] = "INSERT INTO sqlite_sequence(name, seq) SELECT ?1, 0"
                                  " WHERE NOT EXISTS(SELECT 1 FROM sqlite_sequence WHERE name=?1)";
    static const char raise_sql[] = "UPDATE sqlite_sequence SET seq=max(seq, ?2) WHERE name=?1";
    struct sqlite_store *s = sqs_of(base);
    int rc;

    if (!(t->flags & STORE_TABLE_SEQ_KEPT) || last_seq <= 0)
        return 0;
    rc = sqs_write(s, SQS_QUERY(add_sql, SQS_TEXT(t->name)), 0, NULL);
    if (rc == 0)
        rc = sqs_write(s, SQS_QUERY(raise_sql, SQS_TEXT(t->name), SQS_INT(last_seq)), 0, NULL);
    return rc;
}
