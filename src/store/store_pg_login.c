/* The PostgreSQL backend's login throttle records (store.h, migration 4). */
#include "store_pg_int.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

#define THROTTLE_COLS "kind, name, failures, last_failure_at, locked_until"

static int read_throttle(const struct pgs_row *row, void *item)
{
    struct login_throttle *t = item;
    bool oom = false;

    memset(t, 0, sizeof(*t));
    t->kind = pgs_col_int(row, 0) == THROTTLE_ADDRESS ? THROTTLE_ADDRESS : THROTTLE_USERNAME;
    t->name = pgs_col_str(row, 1, &oom);
    t->failures = pgs_col_int(row, 2);
    t->last_failure_at = pgs_col_int(row, 3);
    t->locked_until = pgs_col_int(row, 4);
    if (oom) {
        login_throttle_clear(t);
        return LB_ENOMEM;
    }
    return 0;
}

int pgs_login_throttle_get(struct store *base, enum throttle_kind kind, const char *name,
                           struct login_throttle *out)
{
    static const char sql[] = "SELECT " THROTTLE_COLS " FROM login_throttle"
                              " WHERE kind=$1 AND name=$2";
    struct pgs_params p = {0};

    pgs_bind_int(&p, (int64_t)kind);
    pgs_bind_text(&p, name);
    return pgs_get(pgs_of(base), sql, &p, out, read_throttle);
}

int pgs_login_throttle_put(struct store *base, const struct login_throttle *t)
{
    static const char sql[] = "INSERT INTO login_throttle(" THROTTLE_COLS ")"
                              " VALUES($1,$2,$3,$4,$5) ON CONFLICT(kind, name) DO UPDATE"
                              " SET failures=EXCLUDED.failures,"
                              " last_failure_at=EXCLUDED.last_failure_at,"
                              " locked_until=EXCLUDED.locked_until";
    struct pgs_params p = {0};

    pgs_bind_int(&p, (int64_t)t->kind);
    pgs_bind_text(&p, t->name);
    pgs_bind_int(&p, t->failures);
    pgs_bind_int(&p, t->last_failure_at);
    pgs_bind_int(&p, t->locked_until);
    return pgs_write(pgs_of(base), sql, &p, NULL);
}

int pgs_login_throttle_delete(struct store *base, enum throttle_kind kind, const char *name)
{
    static const char sql[] = "DELETE FROM login_throttle WHERE kind=$1 AND name=$2";
    struct pgs_params p = {0};

    pgs_bind_int(&p, (int64_t)kind);
    pgs_bind_text(&p, name);
    return pgs_write(pgs_of(base), sql, &p, NULL);
}

int pgs_login_throttle_list(struct store *base, int kind, int64_t now, int64_t since,
                            struct login_throttle_list *out)
{
    static const char sql[] = "SELECT " THROTTLE_COLS " FROM login_throttle"
                              " WHERE ($1::integer < 0 OR kind=$1) AND (locked_until>$2"
                              " OR last_failure_at>=$3) ORDER BY kind, name COLLATE \"C\"";
    struct pgs_params p = {0};
    struct pgs_query q = {.sql = sql,
                          .params = &p,
                          .read = read_throttle,
                          .items = &out->items,
                          .count = &out->count,
                          .size = sizeof(*out->items)};
    int rc;

    memset(out, 0, sizeof(*out));
    pgs_bind_int(&p, kind);
    pgs_bind_int(&p, now);
    pgs_bind_int(&p, since);
    if ((rc = pgs_list(pgs_of(base), &q)) != 0)
        login_throttle_list_clear(out);
    return rc;
}

int pgs_login_throttle_prune(struct store *base, int64_t now, int64_t since)
{
    static const char sql[] =
        "DELETE FROM login_throttle WHERE locked_until<=$1 AND last_failure_at<$2";
    struct pgs_params p = {0};

    pgs_bind_int(&p, now);
    pgs_bind_int(&p, since);
    return pgs_write(pgs_of(base), sql, &p, NULL);
}
