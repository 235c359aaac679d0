/* The PostgreSQL backend's query helpers: parameters, columns, prepared statements, and the
 * one runner every op goes through (store_pg_int.h). */
#include "store_pg_int.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strv.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

int pgs_err_at(int code, const char *file, int line)
{
    log_debug("store error code=%s at=%s:%d", lb_strerror(code), file, line);
    return code;
}

struct pg_store *pgs_of(struct store *st)
{
    return (struct pg_store *)st;
}

/* ---- parameters and columns ---- */

static char *next_slot(struct pgs_params *p)
{
    assert(p->count < PGS_PARAMS_MAX);
    return p->num[p->count];
}

void pgs_bind_text(struct pgs_params *p, const char *v)
{
    assert(p->count < PGS_PARAMS_MAX);
    p->value[p->count++] = v;
}

void pgs_bind_int(struct pgs_params *p, int64_t v)
{
    char *slot = next_slot(p);

    snprintf(slot, sizeof(p->num[0]), "%" PRId64, v);
    p->value[p->count++] = slot;
}

void pgs_bind_time(struct pgs_params *p, int64_t v)
{
    if (v)
        pgs_bind_int(p, v);
    else
        pgs_bind_text(p, NULL);
}

void pgs_bind_bool(struct pgs_params *p, bool v)
{
    pgs_bind_text(p, v ? "true" : "false");
}

const char *pgs_col_text(const struct pgs_row *row, int col)
{
    if (PQgetisnull(row->res, row->index, col))
        return NULL;
    return PQgetvalue(row->res, row->index, col);
}

char *pgs_col_str(const struct pgs_row *row, int col, bool *oom)
{
    const char *v = pgs_col_text(row, col);
    char *copy;

    if (!v)
        return NULL;
    copy = lb_strdup(v);
    if (!copy)
        *oom = true;
    return copy;
}

int64_t pgs_col_int(const struct pgs_row *row, int col)
{
    const char *v = pgs_col_text(row, col);

    return v ? (int64_t)strtoll(v, NULL, 10) : 0;
}

bool pgs_col_bool(const struct pgs_row *row, int col)
{
    const char *v = pgs_col_text(row, col);

    return v && (v[0] == 't' || v[0] == '1');
}

/* ---- statements ---- */

/* The server's word that it cannot serve this connection now: a connection exception (class
 * 08), or it is shutting down (57P01, also pg_terminate_backend's), crashed and restarts
 * (57P02), or is not accepting connections yet (57P03). */
static bool state_is_unreachable(const char *state)
{
    return strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
           strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0;
}

int pgs_code(struct pgs_conn *cn, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = cn->pg ? PQerrorMessage(cn->pg) : "no connection";
    int code = LB_ESTORE;

    if (state && strncmp(state, "23", 2) == 0)
        code = LB_EEXISTS;
    else if (state && strcmp(state, "53100") == 0)
        code = LB_ENOSPC;
    else if (state ? state_is_unreachable(state) /* lost without a word, or said so before */
                   : !cn->pg || PQstatus(cn->pg) == CONNECTION_BAD || cn->ended)
        code = LB_EUNAVAIL;
    if (code != LB_EEXISTS)
        log_debug("postgresql error sqlstate=%s msg=\"%.*s\"", state ? state : "-",
                  (int)strcspn(msg, "\n"), msg);
    if (code == LB_EUNAVAIL)
        pgs_health_lost(cn->health, msg);
    if (!cn->first_err)
        cn->first_err = code;
    return STORE_ERR(code);
}

static bool result_ok(const PGresult *res)
{
    ExecStatusType st = PQresultStatus(res);

    return res && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK);
}

/* libpq could not send on cn or lost a pipeline's results, with no word from the server: the
 * connection is not to be trusted again (libpq may only notice at its next read that the
 * server went away), so the call fails as the server's absence does. */
static int pipeline_broken(struct pgs_conn *cn)
{
    const char *msg = PQerrorMessage(cn->pg);

    log_debug("postgresql pipeline failed msg=\"%.*s\"", (int)strcspn(msg, "\n"), msg);
    pgs_health_lost(cn->health, msg);
    if (!cn->first_err)
        cn->first_err = LB_EUNAVAIL;
    return STORE_ERR(LB_EUNAVAIL);
}

/* Reads one pending result of a pipeline (and the NULL that ends it); the first failure's
 * code, else 0. A statement skipped for an earlier failure (PGRES_PIPELINE_ABORTED) is not
 * one: its cause was counted. */
static int pipeline_read_one(struct pgs_conn *cn)
{
    PGresult *res = PQgetResult(cn->pg);
    int rc = 0;

    if (!res)
        return pipeline_broken(cn);
    if (PQresultStatus(res) == PGRES_FATAL_ERROR)
        rc = pgs_code(cn, res);
    PQclear(res);
    while ((res = PQgetResult(cn->pg)) != NULL) /* a statement's results end with NULL */
        PQclear(res);
    return rc;
}

int pgs_pipeline_end(struct pgs_conn *cn)
{
    PGresult *res;
    int rc = 0, one;

    if (!cn->pg || PQpipelineStatus(cn->pg) == PQ_PIPELINE_OFF)
        return 0;
    if (PQpipelineSync(cn->pg) != 1) {
        rc = pipeline_broken(cn);
    } else {
        for (; cn->pending > 0 && PQstatus(cn->pg) == CONNECTION_OK; cn->pending--)
            if ((one = pipeline_read_one(cn)) != 0 && !rc)
                rc = one;
        res = PQstatus(cn->pg) == CONNECTION_OK ? PQgetResult(cn->pg) : NULL;
        if (PQresultStatus(res) != PGRES_PIPELINE_SYNC && !rc) /* the sync's own result */
            rc = res ? pgs_code(cn, res) : pipeline_broken(cn);
        PQclear(res);
    }
    cn->pending = 0;
    if (PQstatus(cn->pg) == CONNECTION_OK && PQexitPipelineMode(cn->pg) != 1 && !rc)
        rc = pgs_code(cn, NULL);
    return rc;
}

int pgs_exec(struct pgs_conn *cn, const char *sql)
{
    PGresult *res;
    int rc = 0;

    if (!cn->pg)
        return STORE_ERR(LB_EUNAVAIL); /* its connect failed */
    /* a failure in the pipeline aborted the transaction: sql may be what undoes it */
    if ((rc = pgs_pipeline_end(cn)) != 0 && PQstatus(cn->pg) != CONNECTION_OK)
        return rc;
    res = PQexec(cn->pg, sql);
    rc = 0;
    if (!result_ok(res))
        rc = pgs_code(cn, res);
    PQclear(res);
    return rc;
}

/* The index of sql among cn's prepared statements; cn->cached when it is not one of them. */
static size_t cached_index(const struct pgs_conn *cn, const char *sql)
{
    size_t i = 0;

    while (i < cn->cached && cn->cache[i] != sql)
        i++;
    return i;
}

/* The name of sql's statement on cn, prepared now if it was not (name: room for "s" and an
 * index); *name = "" when the cache is full: run it unnamed. */
static int prepare(struct pgs_conn *cn, const char *sql, char name[24])
{
    PGresult *res;
    size_t i = cached_index(cn, sql);

    if (i < cn->cached) {
        snprintf(name, 24, "s%zu", i);
        return 0;
    }
    if (i == PGS_STMT_CACHE) {
        name[0] = '\0';
        return 0;
    }
    snprintf(name, 24, "s%zu", i);
    res = PQprepare(cn->pg, name, sql, 0, NULL);
    if (!result_ok(res)) {
        int rc = pgs_code(cn, res);
        /* loud only when the SQL is at fault, not the connection or the transaction */
        if (PQstatus(cn->pg) == CONNECTION_OK && PQtransactionStatus(cn->pg) != PQTRANS_INERROR)
            log_error("store: cannot prepare a statement: %.*s",
                      (int)strcspn(PQerrorMessage(cn->pg), "\n"), PQerrorMessage(cn->pg));
        PQclear(res);
        return rc;
    }
    PQclear(res);
    cn->cache[cn->cached++] = sql;
    return 0;
}

static PGresult *execute(struct pgs_conn *cn, const struct pgs_query *q, int *rc)
{
    const struct pgs_params *p = q->params;
    int n = p ? p->count : 0;
    const char *const *values = p ? p->value : NULL;
    char name[24];

    if (!cn || !cn->pg) {
        *rc = STORE_ERR(LB_EUNAVAIL); /* its connect failed */
        return NULL;
    }
    if ((*rc = pgs_pipeline_end(cn)) != 0 || (*rc = prepare(cn, q->sql, name)) != 0)
        return NULL;
    if (name[0])
        return PQexecPrepared(cn->pg, name, n, values, NULL, NULL, 0);
    return PQexecParams(cn->pg, q->sql, n, NULL, values, NULL, NULL, 0);
}

/* Reads the rows of res into q's array. */
static int collect(const PGresult *res, const struct pgs_query *q)
{
    char **array = q->items;
    size_t cap = 0, rows = (size_t)PQntuples(res);
    int rc = 0;

    if (q->limit && rows > q->limit)
        rows = q->limit;
    for (size_t i = 0; i < rows; i++) {
        struct pgs_row row = {.res = res, .index = (int)i};
        if (lb_array_reserve(array, &cap, *q->count, q->size) != 0)
            return LB_ENOMEM;
        if ((rc = q->read(&row, *array + *q->count * q->size)) != 0)
            return rc;
        (*q->count)++;
    }
    return 0;
}

int pgs_run(struct pgs_conn *cn, const struct pgs_query *q)
{
    int rc = 0;
    PGresult *res = execute(cn, q, &rc);

    if (rc)
        return rc;
    if (!result_ok(res)) {
        rc = pgs_code(cn, res);
        goto out;
    }
    if (q->changes)
        *q->changes = strtoll(PQcmdTuples(res), NULL, 10);
    if (q->read)
        rc = collect(res, q);
out:
    PQclear(res);
    return rc;
}

int pgs_result_on(struct pgs_conn *cn, const char *sql, const struct pgs_params *p, PGresult **out)
{
    struct pgs_query q = {.sql = sql, .params = p};
    int rc = 0;
    PGresult *res = execute(cn, &q, &rc);

    *out = NULL;
    if (rc)
        return rc;
    if (!result_ok(res)) {
        rc = pgs_code(cn, res);
        PQclear(res);
        return rc;
    }
    *out = res;
    return 0;
}

int pgs_get_on(struct pgs_conn *cn, const char *sql, const struct pgs_params *p, void *item,
               pgs_read_fn *read)
{
    PGresult *res = NULL;
    int rc = pgs_result_on(cn, sql, p, &res);

    if (rc == 0)
        rc = PQntuples(res) == 0 ? LB_ENOTFOUND
                                 : read(&(struct pgs_row){.res = res, .index = 0}, item);
    PQclear(res);
    return rc;
}

static int read_int(const struct pgs_row *row, void *item)
{
    *(int64_t *)item = pgs_col_int(row, 0);
    return 0;
}

int pgs_int_on(struct pgs_conn *cn, const char *sql, const struct pgs_params *p, int64_t *out)
{
    int rc = pgs_get_on(cn, sql, p, out, read_int);

    if (rc == LB_ENOTFOUND) {
        *out = 0;
        rc = 0;
    }
    return rc;
}

/* ---- one call, one connection ---- */

int pgs_get(struct pg_store *s, const char *sql, const struct pgs_params *p, void *item,
            pgs_read_fn *read)
{
    struct pgs_conn *cn = NULL;
    int rc = pgs_acquire(s, PGS_READ, &cn);

    if (rc == 0)
        rc = pgs_get_on(cn, sql, p, item, read);
    pgs_release(s, cn, 0);
    return rc;
}

int pgs_list(struct pg_store *s, const struct pgs_query *q)
{
    struct pgs_conn *cn = NULL;
    int rc = pgs_acquire(s, PGS_READ, &cn);

    if (rc == 0)
        rc = pgs_run(cn, q);
    pgs_release(s, cn, 0);
    return rc;
}

int pgs_int(struct pg_store *s, const char *sql, const struct pgs_params *p, int64_t *out)
{
    struct pgs_conn *cn = NULL;
    int rc = pgs_acquire(s, PGS_READ, &cn);

    *out = 0;
    if (rc == 0)
        rc = pgs_int_on(cn, sql, p, out);
    pgs_release(s, cn, 0);
    return rc;
}

int pgs_write(struct pg_store *s, const char *sql, const struct pgs_params *p, int64_t *changes)
{
    struct pgs_conn *cn = NULL;
    struct pgs_query q = {.sql = sql, .params = p, .changes = changes};
    int rc = pgs_acquire(s, PGS_WRITE, &cn);

    if (rc == 0)
        rc = pgs_run(cn, &q);
    return pgs_release(s, cn, rc);
}

int pgs_change(struct pg_store *s, const char *sql, const struct pgs_params *p)
{
    struct pgs_conn *cn = NULL;
    int64_t changes = 0;
    struct pgs_query q = {.sql = sql, .params = p, .changes = &changes};
    int rc = pgs_acquire(s, PGS_WRITE, &cn);

    if (rc == 0)
        rc = pgs_run(cn, &q);
    if (rc == 0 && changes == 0)
        rc = LB_ENOTFOUND;
    return pgs_release(s, cn, rc);
}

int pgs_insert(struct pg_store *s, const char *sql, const struct pgs_params *p)
{
    struct pgs_conn *cn = NULL;
    int64_t changes = 0;
    struct pgs_query q = {.sql = sql, .params = p, .changes = &changes};
    int rc = pgs_acquire(s, PGS_WRITE, &cn);

    if (rc == 0)
        rc = pgs_run(cn, &q);
    if (rc == 0 && changes == 0)
        rc = LB_EEXISTS;
    return pgs_release(s, cn, rc);
}

/* Sends q in cn's pipeline (entered now if it was not); its result is read by
 * pgs_pipeline_end. A statement not prepared yet ends the pipeline first: PQprepare waits. */
static int pipeline_send(struct pgs_conn *cn, const char *sql, const struct pgs_params *p)
{
    char name[24];
    int rc;

    if (!cn->pg)
        return STORE_ERR(LB_EUNAVAIL);
    if (cached_index(cn, sql) == cn->cached && (rc = pgs_pipeline_end(cn)) != 0)
        return rc;
    if ((rc = prepare(cn, sql, name)) != 0)
        return rc;
    if (PQpipelineStatus(cn->pg) == PQ_PIPELINE_OFF && PQenterPipelineMode(cn->pg) != 1)
        return pipeline_broken(cn);
    if ((name[0] ? PQsendQueryPrepared(cn->pg, name, p->count, p->value, NULL, NULL, 0)
                 : PQsendQueryParams(cn->pg, sql, p->count, NULL, p->value, NULL, NULL, 0)) != 1)
        return pipeline_broken(cn);
    cn->pending++;
    return 0;
}

int pgs_defer(struct pg_store *s, const char *sql, const struct pgs_params *p)
{
    struct pgs_conn *cn = NULL;
    int rc;

    if (!pgs_in_tx(s))
        return pgs_write(s, sql, p, NULL);
    if ((rc = pgs_acquire(s, PGS_WRITE, &cn)) == 0)
        rc = pipeline_send(cn, sql, p);
    return pgs_release(s, cn, rc);
}
