/*
 * audit_sql.h - the audit search's statements, one per shape of its filter, for both backends.
 *
 * A statement written once for every filter, `(?1 IS NULL OR activity=?1) AND ...`, lets
 * neither SQLite nor PostgreSQL use an index for the filters given: a sparse filter scanned the
 * whole log. So each shape (which of activity, actor, item, tenant, from and to are given, the
 * tenant view, the order and what it orders by, a cursor) has its own statement naming only those
 * conditions, built the first time it is asked for and kept by the store for its life (backends
 * cache prepared statements by the text's address). Its values come from audit_sql_bind, in the
 * order of its placeholders. A cache is thread-safe; its strings are freed with it. Errors: NULL
 * when out of memory.
 */
#ifndef LB_STORE_AUDIT_SQL_H
#define LB_STORE_AUDIT_SQL_H

#include "model/audit.h"

#include <pthread.h>
#include <stdint.h>

#define AUDIT_SQL_SHAPES 1024

struct audit_sql_cache {
    pthread_mutex_t lock;
    char *sql[AUDIT_SQL_SHAPES];
};

/* How a backend writes what differs: its placeholder ('?' or '$'), the columns it selects
 * ("SELECT ... FROM audit"), and a request's customer_visible as true. */
struct audit_sql_dialect {
    char placeholder;
    const char *select;
    const char *visible;
};

void audit_sql_cache_init(struct audit_sql_cache *c);
void audit_sql_cache_free(struct audit_sql_cache *c);
/* The shape of f. */
unsigned audit_sql_shape(const struct audit_filter *f);
/* The statement for f (kept by c), or NULL. */
const char *audit_sql_get(struct audit_sql_cache *c, const struct audit_sql_dialect *d,
                          const struct audit_filter *f);
/* Receives the statement's values in order: text (NULL never), or num. */
typedef void audit_sql_bind_fn(void *ctx, const char *text, int64_t num);
/* Hands fn the values of f's statement, in the order of its placeholders. */
void audit_sql_bind(const struct audit_filter *f, audit_sql_bind_fn *fn, void *ctx);

#endif
