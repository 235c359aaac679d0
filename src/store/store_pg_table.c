/* The PostgreSQL backend's whole-row operations (store.h, store_table.h): statements built from
 * the table list and run unprepared (a copy runs each a handful of times; the statement cache,
 * keyed by literal, is not for them). Rows are read one at a time (libpq's single-row mode), so
 * a table of any size is walked in little memory, and inserted many to a statement, so a copy
 * costs a round trip per batch rather than per row. */
#include "store_pg_int.h"
#include "util/mem.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#define PARAMS_MAX 65535 /* the most parameters one statement may have (the protocol's limit) */
#define NUM_LEN 24       /* an int64 as text, with its NUL */

/* Writes what PostgreSQL said of the failed res into err: its message and detail. */
static void say(struct buf *err, const char *doing, const struct store_table *t,
                const PGresult *res)
{
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;

    if (!err)
        return;
    buf_appendf(err, "%s %s: %s", doing, t->name, msg ? msg : "the connection failed");
    if (detail)
        buf_appendf(err, " (%s)", detail);
}

/* Runs the text of sql with n parameters on cn into *res (the caller clears it, failed or not). */
static int run(struct pgs_conn *cn, const struct buf *sql, int n, const char *const *values,
               PGresult **res)
{
    ExecStatusType st;

    *res = NULL;
    if (!buf_ok(sql))
        return LB_ENOMEM;
    if (!cn->pg)
        return STORE_ERR(LB_ESTORE);
    *res = PQexecParams(cn->pg, buf_cstr(sql), n, NULL, values, NULL, NULL, 0);
    st = PQresultStatus(*res);
    if (*res && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK))
        return 0;
    return pgs_code(cn, *res);
}

int pgs_table_stat(struct store *base, const struct store_table *t, int64_t *rows,
                   int64_t *last_seq)
{
    struct pg_store *s = pgs_of(base);
    const char *values[] = {t->name};
    struct pgs_conn *cn = NULL;
    struct buf sql = BUF_INIT;
    PGresult *res = NULL;
    int rc;

    *rows = *last_seq = 0;
    buf_puts(&sql, "SELECT count(*), ");
    /* an identity's sequence remembers numbers given to rows since deleted; rows copied in
     * with their numbers are not in it */
    if (t->flags & STORE_TABLE_SEQ)
        buf_puts(&sql, "GREATEST(COALESCE(max(\"seq\"), 0), COALESCE((SELECT last_value"
                       " FROM pg_sequences WHERE format('%I.%I', schemaname, sequencename)"
                       " = pg_get_serial_sequence($1, 'seq')), 0))");
    else
        buf_puts(&sql, "0");
    buf_appendf(&sql, " FROM \"%s\"", t->name);
    if ((rc = pgs_acquire(s, PGS_READ, &cn)) != 0)
        goto out;
    rc = run(cn, &sql, t->flags & STORE_TABLE_SEQ ? 1 : 0, values, &res);
    if (rc == 0) {
        struct pgs_row row = {.res = res, .index = 0};
        *rows = pgs_col_int(&row, 0);
        *last_seq = pgs_col_int(&row, 1);
    }
out:
    PQclear(res);
    buf_release(&sql);
    pgs_release(s, cn, 0);
    return rc;
}

/* Reads row of res into values as t's columns. */
static void read_row(const PGresult *res, const struct store_table *t, struct store_value *values)
{
    struct pgs_row row = {.res = res, .index = 0};

    for (size_t i = 0; i < t->column_count; i++) {
        struct store_value *v = &values[i];
        *v = (struct store_value){.is_null = PQgetisnull(res, 0, (int)i) != 0};
        if (v->is_null)
            continue;
        if (t->columns[i].type == STORE_COLUMN_TEXT)
            v->text = pgs_col_text(&row, (int)i);
        else if (t->columns[i].type == STORE_COLUMN_BOOL)
            v->num = pgs_col_bool(&row, (int)i);
        else
            v->num = pgs_col_int(&row, (int)i);
    }
}

/* Walks the rows of the query sent on cn in single-row mode with fn; reads every result to the
 * end, so the connection is ready for the next statement whatever happened. */
static int walk(struct pgs_conn *cn, const struct store_table *t, store_row_fn *fn, void *ctx,
                struct buf *err)
{
    struct store_value row[STORE_TABLE_COLUMNS_MAX];
    PGresult *res;
    bool stopped = false;
    int rc = 0;

    while ((res = PQgetResult(cn->pg)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_SINGLE_TUPLE && !stopped) {
            read_row(res, t, row);
            if ((rc = fn(ctx, row)) != 0) {
                rc = rc < 0 ? rc : 0;
                stopped = true;
            }
        } else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && !stopped) {
            say(err, "reading", t, res);
            rc = pgs_code(cn, res);
            stopped = true;
        }
        PQclear(res);
    }
    return rc;
}

int pgs_table_each(struct store *base, const struct store_table *t, store_row_fn *fn, void *ctx,
                   struct buf *err)
{
    struct pg_store *s = pgs_of(base);
    struct pgs_conn *cn = NULL;
    struct buf sql = BUF_INIT;
    bool single;
    int rc;

    if (t->column_count > STORE_TABLE_COLUMNS_MAX)
        return STORE_ERR(LB_EINVAL);
    buf_puts(&sql, "SELECT ");
    store_table_columns_sql(&sql, t, false);
    buf_appendf(&sql, " FROM \"%s\" ORDER BY ", t->name);
    for (size_t i = 0; i < t->key_count; i++)
        buf_appendf(&sql, "%s%zu", i ? ", " : "", i + 1);
    if (!buf_ok(&sql)) {
        rc = LB_ENOMEM;
        goto out;
    }
    if ((rc = pgs_acquire(s, PGS_READ, &cn)) != 0)
        goto out;
    if (!cn->pg || !PQsendQueryParams(cn->pg, buf_cstr(&sql), 0, NULL, NULL, NULL, NULL, 0)) {
        say(err, "reading", t, NULL);
        rc = pgs_code(cn, NULL);
        goto out;
    }
    /* it fails only when not called right after the send: then every result is read and
     * the call fails */
    single = PQsetSingleRowMode(cn->pg) != 0;
    rc = walk(cn, t, fn, ctx, err);
    if (rc == 0 && !single)
        rc = STORE_ERR(LB_ESTORE);
out:
    buf_release(&sql);
    pgs_release(s, cn, 0);
    return rc;
}

/* Inserts count rows of t (at most PARAMS_MAX values) with one statement on cn. */
static int insert_batch(struct pgs_conn *cn, const struct store_table *t,
                        const struct store_value *rows, size_t count, struct buf *err)
{
    size_t n = count * t->column_count;
    const char **values = lb_calloc(n, sizeof(*values));
    char(*nums)[NUM_LEN] = lb_calloc(n, sizeof(*nums));
    struct buf sql = BUF_INIT;
    PGresult *res = NULL;
    int rc = LB_ENOMEM;

    if (!values || !nums)
        goto out;
    buf_appendf(&sql, "INSERT INTO \"%s\"(", t->name);
    store_table_columns_sql(&sql, t, false);
    buf_puts(&sql, ") VALUES");
    for (size_t r = 0, k = 0; r < count; r++) {
        buf_puts(&sql, r ? ",(" : "(");
        for (size_t i = 0; i < t->column_count; i++, k++) {
            const struct store_value *v = &rows[k];
            buf_appendf(&sql, "%s$%zu", i ? "," : "", k + 1);
            if (v->is_null)
                values[k] = NULL;
            else if (t->columns[i].type == STORE_COLUMN_TEXT)
                values[k] = v->text;
            else if (t->columns[i].type == STORE_COLUMN_BOOL)
                values[k] = v->num ? "true" : "false";
            else
                values[k] = nums[k];
            if (!v->is_null && t->columns[i].type == STORE_COLUMN_INT)
                snprintf(nums[k], NUM_LEN, "%" PRId64, v->num);
        }
        buf_puts(&sql, ")");
    }
    if ((rc = run(cn, &sql, (int)n, values, &res)) != 0 && rc != LB_ENOMEM)
        say(err, "inserting into", t, res);
out:
    PQclear(res);
    buf_release(&sql);
    lb_free(values);
    lb_free(nums);
    return rc;
}

int pgs_table_insert(struct store *base, const struct store_table *t,
                     const struct store_value *rows, size_t count, struct buf *err)
{
    struct pg_store *s = pgs_of(base);
    size_t per = t->column_count ? PARAMS_MAX / t->column_count : 0;
    struct pgs_conn *cn = NULL;
    int rc;

    if (!per)
        return STORE_ERR(LB_EINVAL);
    if ((rc = pgs_acquire(s, PGS_WRITE, &cn)) != 0)
        return rc;
    for (size_t done = 0; rc == 0 && done < count; done += per) {
        size_t n = count - done < per ? count - done : per;
        rc = insert_batch(cn, t, rows + done * t->column_count, n, err);
    }
    return pgs_release(s, cn, rc);
}

int pgs_table_seq_set(struct store *base, const struct store_table *t, int64_t last_seq)
{
    struct pg_store *s = pgs_of(base);
    struct pgs_conn *cn = NULL;
    struct buf sql = BUF_INIT;
    PGresult *res = NULL;
    char num[NUM_LEN];
    const char *values[] = {t->name, num};
    int rc;

    if (!(t->flags & STORE_TABLE_SEQ))
        return 0;
    snprintf(num, sizeof(num), "%" PRId64, last_seq);
    /* setval's minimum is 1: a table that never numbered a row keeps its fresh sequence */
    buf_appendf(&sql,
                "SELECT setval(pg_get_serial_sequence($1, 'seq'), m) FROM"
                " (SELECT GREATEST($2::bigint, COALESCE(max(\"seq\"), 0)) AS m FROM \"%s\") x"
                " WHERE m > 0",
                t->name);
    if ((rc = pgs_acquire(s, PGS_WRITE, &cn)) == 0)
        rc = run(cn, &sql, 2, values, &res);
    PQclear(res);
    buf_release(&sql);
    return pgs_release(s, cn, rc);
}
