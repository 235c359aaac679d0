/* The PostgreSQL backend's audit log: appended, queried, never changed (store.h). */
#include "store_pg_int.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

static int read_seq(const struct pgs_row *row, void *item)
{
    *(int64_t *)item = pgs_col_int(row, 0);
    return 0;
}

/* Keeps rec as its chain's newest record in audit_chains (pipelined in a transaction). */
static int chain_head_put(struct pg_store *s, const struct audit_record *rec)
{
    static const char sql[] =
        "INSERT INTO audit_chains(chain, head_index, head_hash, head_time) VALUES($1,$2,$3,$4)"
        " ON CONFLICT(chain) DO UPDATE SET head_index=$2, head_hash=$3, head_time=$4";
    struct pgs_params h = {0};

    pgs_bind_text(&h, rec->chain);
    pgs_bind_int(&h, rec->chain_index);
    pgs_bind_text(&h, rec->hash);
    pgs_bind_int(&h, rec->time);
    return pgs_defer(s, sql, &h);
}

int pgs_audit_insert(struct store *base, const struct audit_record *rec, int64_t *seq)
{
    static const char sql[] =
        "INSERT INTO audit(time, tenant_id, actor, actor_id, actor_type, client_ip, activity,"
        " item, request_id, decision, details, chain, chain_index, prev_hash, hash)"
        " VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) RETURNING seq";
    struct pg_store *s = pgs_of(base);
    struct pgs_conn *cn = NULL;
    struct pgs_params p = {0};
    int64_t got = 0;
    int rc;

    pgs_bind_int(&p, rec->time);
    pgs_bind_text(&p, rec->tenant_id);
    pgs_bind_text(&p, rec->actor);
    pgs_bind_text(&p, rec->actor_id);
    pgs_bind_text(&p, rec->actor_type);
    pgs_bind_text(&p, rec->client_ip);
    pgs_bind_text(&p, rec->activity);
    pgs_bind_text(&p, rec->item);
    pgs_bind_text(&p, rec->request_id);
    pgs_bind_text(&p, rec->decision);
    pgs_bind_text(&p, rec->details ? rec->details : "{}");
    pgs_bind_text(&p, rec->chain);
    if (rec->chain)
        pgs_bind_int(&p, rec->chain_index);
    else
        pgs_bind_text(&p, NULL);
    pgs_bind_text(&p, rec->prev_hash);
    pgs_bind_text(&p, rec->hash);
    if (!seq) {
        rc = pgs_defer(s, sql, &p);
    } else {
        if ((rc = pgs_acquire(s, PGS_WRITE, &cn)) == 0)
            rc = pgs_get_on(cn, sql, &p, &got, read_seq);
        if (rc == 0)
            *seq = got;
        rc = pgs_release(s, cn, rc);
    }
    if (rc || !rec->chain)
        return rc;
    return chain_head_put(s, rec);
}

static int read_audit(const struct pgs_row *row, void *item)
{
    struct audit_record *r = item;
    bool oom = false;

    memset(r, 0, sizeof(*r));
    r->seq = pgs_col_int(row, 0);
    r->time = pgs_col_int(row, 1);
    r->tenant_id = pgs_col_str(row, 2, &oom);
    r->actor = pgs_col_str(row, 3, &oom);
    r->actor_id = pgs_col_str(row, 4, &oom);
    r->actor_type = pgs_col_str(row, 5, &oom);
    r->client_ip = pgs_col_str(row, 6, &oom);
    r->activity = pgs_col_str(row, 7, &oom);
    r->item = pgs_col_str(row, 8, &oom);
    r->request_id = pgs_col_str(row, 9, &oom);
    r->decision = pgs_col_str(row, 10, &oom);
    r->details = pgs_col_str(row, 11, &oom);
    r->chain = pgs_col_str(row, 12, &oom);
    r->chain_index = pgs_col_int(row, 13);
    r->prev_hash = pgs_col_str(row, 14, &oom);
    r->hash = pgs_col_str(row, 15, &oom);
    if (oom) {
        audit_record_clear(r);
        return LB_ENOMEM;
    }
    return 0;
}

#define AUDIT_SELECT                                                                               \
    "SELECT seq, time, tenant_id, actor, actor_id, actor_type, client_ip, activity, item,"         \
    " request_id, decision, details, chain, chain_index, prev_hash, hash FROM audit"
/* The search's values into p, in its placeholders' order. */
static void add_param(void *ctx, const char *text, int64_t num)
{
    if (text)
        pgs_bind_text(ctx, text);
    else
        pgs_bind_int(ctx, num);
}

int pgs_audit_query(struct store *base, const struct audit_filter *f, struct audit_list *out)
{
    static const struct audit_sql_dialect dialect = {'$', AUDIT_SELECT, ""};
    struct pg_store *s = pgs_of(base);
    struct pgs_params p = {0};
    struct pgs_query q = {.sql = audit_sql_get(&s->audit_sql, &dialect, f),
                          .params = &p,
                          .read = read_audit,
                          .items = &out->items,
                          .count = &out->count,
                          .size = sizeof(*out->items),
                          .limit = f->limit};
    int rc;

    memset(out, 0, sizeof(*out));
    if (!q.sql)
        return LB_ENOMEM;
    audit_sql_bind(f, add_param, &p);
    if ((rc = pgs_list(s, &q)) != 0)
        audit_list_clear(out);
    return rc;
}

static int read_head(const struct pgs_row *row, void *item)
{
    struct audit_chain_head *h = item;
    bool oom = false;

    memset(h, 0, sizeof(*h));
    h->chain = pgs_col_str(row, 0, &oom);
    h->index = pgs_col_int(row, 1);
    h->time = pgs_col_int(row, 2);
    h->hash = pgs_col_str(row, 3, &oom);
    h->checkpoint_index = pgs_col_int(row, 4);
    h->checkpoint_time = pgs_col_int(row, 5);
    h->pruned_index = pgs_col_int(row, 6);
    if (oom) {
        audit_chain_head_clear(h);
        return LB_ENOMEM;
    }
    return 0;
}

int pgs_audit_chain_head(struct store *base, const char *chain, struct audit_chain_head *out)
{
    /* the newest record itself, not audit_chains' copy: the record decides */
    static const char sql[] =
        "SELECT a.chain, a.chain_index, a.time, a.hash, COALESCE(c.checkpoint_index, 0),"
        " COALESCE(c.checkpoint_time, 0), COALESCE(c.pruned_index, 0)"
        " FROM audit a LEFT JOIN audit_chains c ON c.chain=a.chain"
        " WHERE a.chain=$1 ORDER BY a.chain_index DESC LIMIT 1";
    struct pgs_params p = {0};

    pgs_bind_text(&p, chain);
    return pgs_get(pgs_of(base), sql, &p, out, read_head);
}

int pgs_audit_chains(struct store *base, bool due_only, struct audit_chain_head_list *out)
{
    static const char sql[] =
        "SELECT chain, head_index, head_time, head_hash, checkpoint_index,"
        " checkpoint_time, pruned_index FROM audit_chains WHERE NOT $1::boolean OR"
        " head_index > checkpoint_index ORDER BY chain";
    struct pgs_params p = {0};
    struct pgs_query q = {.sql = sql,
                          .params = &p,
                          .read = read_head,
                          .items = &out->items,
                          .count = &out->count,
                          .size = sizeof(*out->items)};
    int rc;

    memset(out, 0, sizeof(*out));
    pgs_bind_bool(&p, due_only);
    if ((rc = pgs_list(pgs_of(base), &q)) != 0)
        audit_chain_head_list_clear(out);
    return rc;
}

int pgs_audit_chain_records(struct store *base, const char *chain, int64_t after_index,
                            size_t limit, struct audit_list *out)
{
    static const char sql[] =
        AUDIT_SELECT " WHERE chain=$1 AND chain_index>$2 ORDER BY chain_index LIMIT $3";
    struct pgs_params p = {0};
    struct pgs_query q = {.sql = sql,
                          .params = &p,
                          .read = read_audit,
                          .items = &out->items,
                          .count = &out->count,
                          .size = sizeof(*out->items),
                          .limit = limit};
    int rc;

    memset(out, 0, sizeof(*out));
    pgs_bind_text(&p, chain);
    pgs_bind_int(&p, after_index);
    pgs_bind_int(&p, (int64_t)limit);
    if ((rc = pgs_list(pgs_of(base), &q)) != 0)
        audit_list_clear(out);
    return rc;
}

int pgs_audit_checkpoint_insert(struct store *base, const struct audit_checkpoint *cp)
{
    static const char sql[] =
        "INSERT INTO audit_checkpoints(chain, chain_index, hash, time, key_id, signature)"
        " VALUES($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING";
    static const char mark[] = "UPDATE audit_chains SET checkpoint_index=$2, checkpoint_time=$3"
                               " WHERE chain=$1 AND checkpoint_index<$2";
    struct pg_store *s = pgs_of(base);
    struct pgs_params p = {0}, m = {0};
    int rc;

    pgs_bind_text(&p, cp->chain);
    pgs_bind_int(&p, cp->index);
    pgs_bind_text(&p, cp->hash);
    pgs_bind_int(&p, cp->time);
    pgs_bind_text(&p, cp->key_id);
    pgs_bind_text(&p, cp->signature);
    if ((rc = pgs_write(s, sql, &p, NULL)) != 0)
        return rc;
    pgs_bind_text(&m, cp->chain);
    pgs_bind_int(&m, cp->index);
    pgs_bind_int(&m, cp->time);
    return pgs_write(s, mark, &m, NULL);
}

static int read_checkpoint(const struct pgs_row *row, void *item)
{
    struct audit_checkpoint *c = item;
    bool oom = false;

    memset(c, 0, sizeof(*c));
    c->chain = pgs_col_str(row, 0, &oom);
    c->index = pgs_col_int(row, 1);
    c->hash = pgs_col_str(row, 2, &oom);
    c->time = pgs_col_int(row, 3);
    c->key_id = pgs_col_str(row, 4, &oom);
    c->signature = pgs_col_str(row, 5, &oom);
    if (oom) {
        audit_checkpoint_clear(c);
        return LB_ENOMEM;
    }
    return 0;
}

int pgs_audit_checkpoints(struct store *base, const char *chain, int64_t after_index, size_t limit,
                          struct audit_checkpoint_list *out)
{
    static const char sql[] =
        "SELECT chain, chain_index, hash, time, key_id, signature FROM audit_checkpoints"
        " WHERE chain=$1 AND chain_index>$2 ORDER BY chain_index LIMIT $3";
    struct pgs_params p = {0};
    struct pgs_query q = {.sql = sql,
                          .params = &p,
                          .read = read_checkpoint,
                          .items = &out->items,
                          .count = &out->count,
                          .size = sizeof(*out->items),
                          .limit = limit};
    int rc;

    memset(out, 0, sizeof(*out));
    pgs_bind_text(&p, chain);
    pgs_bind_int(&p, after_index);
    pgs_bind_int(&p, (int64_t)limit);
    if ((rc = pgs_list(pgs_of(base), &q)) != 0)
        audit_checkpoint_list_clear(out);
    return rc;
}

int pgs_audit_key_insert(struct store *base, const struct audit_key *k)
{
    static const char sql[] = "INSERT INTO audit_keys(id, public_key, created_at, retired_at)"
                              " VALUES($1,$2,$3,$4) ON CONFLICT(id) DO UPDATE SET"
                              " retired_at=CASE WHEN $4 > 0 THEN $4 ELSE audit_keys.retired_at END";
    struct pgs_params p = {0};

    pgs_bind_text(&p, k->id);
    pgs_bind_text(&p, k->public_key);
    pgs_bind_int(&p, k->created_at);
    pgs_bind_int(&p, k->retired_at);
    return pgs_write(pgs_of(base), sql, &p, NULL);
}

static int read_key(const struct pgs_row *row, void *item)
{
    struct audit_key *k = item;
    bool oom = false;

    memset(k, 0, sizeof(*k));
    k->id = pgs_col_str(row, 0, &oom);
    k->public_key = pgs_col_str(row, 1, &oom);
    k->created_at = pgs_col_int(row, 2);
    k->retired_at = pgs_col_int(row, 3);
    if (oom) {
        audit_key_clear(k);
        return LB_ENOMEM;
    }
    return 0;
}

int pgs_audit_keys(struct store *base, struct audit_key_list *out)
{
    static const char sql[] =
        "SELECT id, public_key, created_at, retired_at FROM audit_keys ORDER BY created_at, id";
    struct pgs_query q = {.sql = sql,
                          .read = read_key,
                          .items = &out->items,
                          .count = &out->count,
                          .size = sizeof(*out->items)};
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = pgs_list(pgs_of(base), &q)) != 0)
        audit_key_list_clear(out);
    return rc;
}

int pgs_audit_unchained(struct store *base, size_t limit, struct audit_list *out)
{
    static const char sql[] = AUDIT_SELECT " WHERE hash IS NULL ORDER BY seq LIMIT $1";
    struct pgs_params p = {0};
    struct pgs_query q = {.sql = sql,
                          .params = &p,
                          .read = read_audit,
                          .items = &out->items,
                          .count = &out->count,
                          .size = sizeof(*out->items),
                          .limit = limit};
    int rc;

    memset(out, 0, sizeof(*out));
    pgs_bind_int(&p, (int64_t)limit);
    if ((rc = pgs_list(pgs_of(base), &q)) != 0)
        audit_list_clear(out);
    return rc;
}

int pgs_audit_link(struct store *base, const struct audit_record *rec)
{
    static const char sql[] = "UPDATE audit SET chain=$2, chain_index=$3, prev_hash=$4, hash=$5"
                              " WHERE seq=$1 AND hash IS NULL";
    struct pg_store *s = pgs_of(base);
    struct pgs_params p = {0};
    int rc;

    pgs_bind_int(&p, rec->seq);
    pgs_bind_text(&p, rec->chain);
    pgs_bind_int(&p, rec->chain_index);
    pgs_bind_text(&p, rec->prev_hash);
    pgs_bind_text(&p, rec->hash);
    if ((rc = pgs_change(s, sql, &p)) != 0)
        return rc;
    return chain_head_put(s, rec);
}

static int read_name(const struct pgs_row *row, void *item)
{
    bool oom = false;

    *(char **)item = pgs_col_str(row, 0, &oom);
    return oom ? LB_ENOMEM : 0;
}

int pgs_audit_chain_names(struct store *base, char ***names, size_t *count)
{
    static const char sql[] =
        "SELECT DISTINCT chain FROM audit WHERE chain IS NOT NULL ORDER BY chain";
    char **v = NULL;
    size_t n = 0;
    struct pgs_query q = {
        .sql = sql, .read = read_name, .items = &v, .count = &n, .size = sizeof(*v)};
    int rc = pgs_list(pgs_of(base), &q);

    if (rc) {
        strv_free(v, n);
        return rc;
    }
    *names = v;
    *count = n;
    return 0;
}

int pgs_audit_checkpoint_before(struct store *base, const char *chain, int64_t time,
                                int64_t max_index, struct audit_checkpoint *out)
{
    static const char sql[] =
        "SELECT chain, chain_index, hash, time, key_id, signature FROM audit_checkpoints"
        " WHERE chain=$1 AND chain_index<=$3 AND time<=$2 ORDER BY chain_index DESC LIMIT 1";
    struct pgs_params p = {0};

    pgs_bind_text(&p, chain);
    pgs_bind_int(&p, time);
    pgs_bind_int(&p, max_index);
    return pgs_get(pgs_of(base), sql, &p, out, read_checkpoint);
}

int pgs_audit_prune_mark(struct store *base, const char *chain, int64_t index)
{
    static const char sql[] =
        "UPDATE audit_chains SET pruned_index=$2 WHERE chain=$1 AND pruned_index<$2";
    struct pgs_params p = {0};
    int rc;

    pgs_bind_text(&p, chain);
    pgs_bind_int(&p, index);
    rc = pgs_change(pgs_of(base), sql, &p);
    return rc == LB_ENOTFOUND ? LB_ECONFLICT : rc;
}

int pgs_audit_prune(struct store *base, const char *chain, size_t limit, int64_t *deleted)
{
    static const char sql[] =
        "DELETE FROM audit WHERE seq IN (SELECT a.seq FROM audit a JOIN audit_chains c"
        " ON c.chain=a.chain WHERE a.chain=$1 AND a.chain_index<=c.pruned_index"
        " ORDER BY a.chain_index LIMIT $2)";
    struct pgs_params p = {0};

    *deleted = 0;
    pgs_bind_text(&p, chain);
    pgs_bind_int(&p, (int64_t)limit);
    return pgs_write(pgs_of(base), sql, &p, deleted);
}
