/* The PostgreSQL backend's audit streams to syslog collectors (store.h, migration 9). */
#include "store_pg_int.h"

#include <string.h>

#include "util/banned.h"

static int read_stream(const struct pgs_row *row, void *item)
{
    struct audit_stream *s = item;
    bool oom = false;

    memset(s, 0, sizeof(*s));
    s->id = pgs_col_str(row, 0, &oom);
    s->url = pgs_col_str(row, 1, &oom);
    s->profile = pgs_col_str(row, 2, &oom);
    s->created_at = pgs_col_int(row, 3);
    s->delivered = pgs_col_int(row, 4);
    s->attempts = pgs_col_int(row, 5);
    s->next_attempt_at = pgs_col_int(row, 6);
    s->last_attempt_at = pgs_col_int(row, 7);
    s->last_error = pgs_col_str(row, 8, &oom);
    if (oom) {
        audit_stream_clear(s);
        return LB_ENOMEM;
    }
    return 0;
}

static int read_stream_chain(const struct pgs_row *row, void *item)
{
    struct audit_stream_chain *c = item;
    bool oom = false;

    memset(c, 0, sizeof(*c));
    c->chain = pgs_col_str(row, 0, &oom);
    c->sent_index = pgs_col_int(row, 1);
    c->head_index = pgs_col_int(row, 2);
    return oom ? LB_ENOMEM : 0;
}

int pgs_audit_stream_put(struct store *base, const struct audit_stream *s)
{
    static const char insert[] = "INSERT INTO audit_streams(id, url, profile, created_at)"
                                 " VALUES($1,$2,$3,$4) ON CONFLICT DO NOTHING";
    /* a new stream starts after the newest record of each chain it covers */
    static const char cursors[] =
        "INSERT INTO audit_stream_cursors(stream, chain, chain_index)"
        " SELECT $1, chain, head_index FROM audit_chains WHERE $1='provider' OR chain=$1"
        " ON CONFLICT DO NOTHING";
    static const char update[] =
        "UPDATE audit_streams SET url=$2, profile=$3, attempts=0, next_attempt_at=0,"
        " last_error=NULL WHERE id=$1 AND (url<>$2 OR profile<>$3)";
    struct pg_store *st = pgs_of(base);
    struct pgs_params p = {0};
    int rc;

    pgs_bind_text(&p, s->id);
    pgs_bind_text(&p, s->url);
    pgs_bind_text(&p, s->profile);
    pgs_bind_int(&p, s->created_at);
    rc = pgs_insert(st, insert, &p);
    p.count = 1;
    if (rc == 0)
        return pgs_write(st, cursors, &p, NULL);
    if (rc != LB_EEXISTS)
        return rc;
    p.count = 3;
    return pgs_write(st, update, &p, NULL);
}

int pgs_audit_stream_delete(struct store *base, const char *id, bool keep_sent)
{
    static const char cursors[] = "DELETE FROM audit_stream_cursors WHERE stream=$1";
    static const char held[] = "DELETE FROM audit_stream_held WHERE stream=$1";
    static const char stream[] = "DELETE FROM audit_streams WHERE id=$1";
    struct pg_store *st = pgs_of(base);
    struct pgs_params p = {0};
    int rc;

    pgs_bind_text(&p, id);
    rc = keep_sent ? 0 : pgs_write(st, cursors, &p, NULL);
    if (rc == 0)
        rc = pgs_write(st, held, &p, NULL);
    return rc ? rc : pgs_write(st, stream, &p, NULL);
}

int pgs_audit_streams(struct store *base, struct audit_stream_list *out)
{
    static const char sql[] =
        "SELECT id, url, profile, created_at, delivered, attempts, next_attempt_at,"
        " last_attempt_at, last_error FROM audit_streams ORDER BY id";
    struct pgs_query q = {.sql = sql,
                          .read = read_stream,
                          .items = &out->items,
                          .count = &out->count,
                          .size = sizeof(*out->items)};
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = pgs_list(pgs_of(base), &q)) != 0)
        audit_stream_list_clear(out);
    return rc;
}

int pgs_audit_stream_backlog(struct store *base, const char *id,
                             struct audit_stream_chain_list *out)
{
    static const char sql[] =
        "SELECT c.chain, COALESCE(k.chain_index, 0), c.head_index FROM audit_chains c"
        " LEFT JOIN audit_stream_cursors k ON k.stream=$1 AND k.chain=c.chain"
        " WHERE ($1='provider' OR c.chain=$1) AND c.head_index > COALESCE(k.chain_index, 0)"
        " ORDER BY c.chain";
    struct pgs_params p = {0};
    struct pgs_query q = {.sql = sql,
                          .params = &p,
                          .read = read_stream_chain,
                          .items = &out->items,
                          .count = &out->count,
                          .size = sizeof(*out->items)};
    int rc;

    memset(out, 0, sizeof(*out));
    pgs_bind_text(&p, id);
    if ((rc = pgs_list(pgs_of(base), &q)) != 0)
        audit_stream_chain_list_clear(out);
    return rc;
}

int pgs_audit_stream_update(struct store *base, const struct audit_stream *s, const char *owner,
                            const char *chain, int64_t index)
{
    static const char state[] =
        "UPDATE audit_streams SET delivered=$3, attempts=$4, next_attempt_at=$5,"
        " last_attempt_at=$6, last_error=$7 WHERE id=$1 AND url=$2"
        " AND (lease_owner IS NULL OR lease_owner=$8)";
    static const char cursor[] =
        "INSERT INTO audit_stream_cursors(stream, chain, chain_index) VALUES($1,$2,$3)"
        " ON CONFLICT(stream, chain) DO UPDATE SET"
        " chain_index=GREATEST(audit_stream_cursors.chain_index, EXCLUDED.chain_index)";
    struct pg_store *st = pgs_of(base);
    struct pgs_params p = {0}, c = {0};
    int rc;

    pgs_bind_text(&p, s->id);
    pgs_bind_text(&p, s->url);
    pgs_bind_int(&p, s->delivered);
    pgs_bind_int(&p, s->attempts);
    pgs_bind_int(&p, s->next_attempt_at);
    pgs_bind_int(&p, s->last_attempt_at);
    pgs_bind_text(&p, s->last_error);
    pgs_bind_text(&p, owner);
    if ((rc = pgs_change(st, state, &p)) != 0 || !chain)
        return rc;
    pgs_bind_text(&c, s->id);
    pgs_bind_text(&c, chain);
    pgs_bind_int(&c, index);
    return pgs_write(st, cursor, &c, NULL);
}

int pgs_audit_stream_claim(struct store *base, const char *id, const char *owner, int64_t now,
                           int64_t until)
{
    static const char sql[] = "UPDATE audit_streams SET lease_owner=$2, lease_until=$4"
                              " WHERE id=$1 AND (lease_until<=$3 OR lease_owner=$2)";
    struct pgs_params p = {0};
    int rc;

    pgs_bind_text(&p, id);
    pgs_bind_text(&p, owner);
    pgs_bind_int(&p, now);
    pgs_bind_int(&p, until);
    rc = pgs_change(pgs_of(base), sql, &p);
    return rc == LB_ENOTFOUND ? LB_ECONFLICT : rc;
}

int pgs_audit_stream_hold(struct store *base, const char *stream, const char *chain, int64_t index,
                          const char *request_id)
{
    static const char sql[] =
        "INSERT INTO audit_stream_held(stream, chain, chain_index, request_id)"
        " VALUES($1,$2,$3,$4) ON CONFLICT DO NOTHING";
    struct pgs_params p = {0};

    pgs_bind_text(&p, stream);
    pgs_bind_text(&p, chain);
    pgs_bind_int(&p, index);
    pgs_bind_text(&p, request_id);
    return pgs_write(pgs_of(base), sql, &p, NULL);
}

static int read_held(const struct pgs_row *row, void *item)
{
    struct audit_stream_held *h = item;
    bool oom = false;

    memset(h, 0, sizeof(*h));
    h->chain = pgs_col_str(row, 0, &oom);
    h->index = pgs_col_int(row, 1);
    h->request_id = pgs_col_str(row, 2, &oom);
    return oom ? LB_ENOMEM : 0;
}

int pgs_audit_stream_held(struct store *base, const char *stream, size_t limit,
                          struct audit_stream_held_list *out)
{
    static const char sql[] = "SELECT chain, chain_index, request_id FROM audit_stream_held"
                              " WHERE stream=$1 ORDER BY chain, chain_index LIMIT $2";
    struct pgs_params p = {0};
    struct pgs_query q = {.sql = sql,
                          .params = &p,
                          .read = read_held,
                          .items = &out->items,
                          .count = &out->count,
                          .size = sizeof(*out->items)};
    int rc;

    memset(out, 0, sizeof(*out));
    pgs_bind_text(&p, stream);
    pgs_bind_int(&p, (int64_t)limit);
    if ((rc = pgs_list(pgs_of(base), &q)) != 0)
        audit_stream_held_list_clear(out);
    return rc;
}

int pgs_audit_stream_release(struct store *base, const char *stream, const char *chain,
                             int64_t index)
{
    static const char sql[] =
        "DELETE FROM audit_stream_held WHERE stream=$1 AND chain=$2 AND chain_index=$3";
    struct pgs_params p = {0};

    pgs_bind_text(&p, stream);
    pgs_bind_text(&p, chain);
    pgs_bind_int(&p, index);
    return pgs_write(pgs_of(base), sql, &p, NULL);
}
