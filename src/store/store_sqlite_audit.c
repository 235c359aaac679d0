/* The SQLite backend's audit log, append-only (store.h, migration 1). */
#include "store_sqlite_int.h"

#include <string.h>

#include "util/banned.h"

static int read_audit(sqlite3_stmt *st, void *item)
{
    struct audit_record *r = item;
    bool oom = false;

    memset(r, 0, sizeof(*r));
    r->seq = sqlite3_column_int64(st, 0);
    r->time = sqlite3_column_int64(st, 1);
    r->tenant_id = sqs_col_str(st, 2, &oom);
    r->actor = sqs_col_str(st, 3, &oom);
    r->actor_id = sqs_col_str(st, 4, &oom);
    r->actor_type = sqs_col_str(st, 5, &oom);
    r->client_ip = sqs_col_str(st, 6, &oom);
    r->activity = sqs_col_str(st, 7, &oom);
    r->item = sqs_col_str(st, 8, &oom);
    r->request_id = sqs_col_str(st, 9, &oom);
    r->decision = sqs_col_str(st, 10, &oom);
    r->details = sqs_col_str(st, 11, &oom);
    r->chain = sqs_col_str(st, 12, &oom);
    r->chain_index = sqlite3_column_int64(st, 13);
    r->prev_hash = sqs_col_str(st, 14, &oom);
    r->hash = sqs_col_str(st, 15, &oom);
    if (oom) {
        audit_record_clear(r);
        return LB_ENOMEM;
    }
    return 0;
}

/* Keeps rec as its chain's newest record in audit_chains (in the caller's transaction). */
static int chain_head_put(struct sqlite_store *s, const struct audit_record *rec)
{
    static const char sql[] =
        "INSERT INTO audit_chains(chain, head_index, head_hash, head_time) VALUES(?1,?2,?3,?4)"
        " ON CONFLICT(chain) DO UPDATE SET head_index=?2, head_hash=?3, head_time=?4";

    return sqs_write(s,
                     SQS_QUERY(sql, SQS_TEXT(rec->chain), SQS_INT(rec->chain_index),
                               SQS_TEXT(rec->hash), SQS_INT(rec->time)),
                     0, NULL);
}

int sqs_audit_insert(struct store *base, const struct audit_record *rec, int64_t *seq)
{
    static const char sql[] =
        "INSERT INTO audit(time, tenant_id, actor, actor_id, actor_type, client_ip, activity,"
        " item, request_id, decision, details, chain, chain_index, prev_hash, hash)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    struct sqlite_store *s = sqs_of(base);
    int rc = sqs_write(
        s,
        SQS_QUERY(sql, SQS_INT(rec->time), SQS_TEXT(rec->tenant_id), SQS_TEXT(rec->actor),
                  SQS_TEXT(rec->actor_id), SQS_TEXT(rec->actor_type), SQS_TEXT(rec->client_ip),
                  SQS_TEXT(rec->activity), SQS_TEXT(rec->item), SQS_TEXT(rec->request_id),
                  SQS_TEXT(rec->decision), SQS_TEXT(rec->details ? rec->details : "{}"),
                  SQS_TEXT(rec->chain), SQS_INT(rec->chain_index), SQS_TEXT(rec->prev_hash),
                  SQS_TEXT(rec->hash)),
        0, seq);

    if (rc == 0 && rec->chain)
        rc = chain_head_put(s, rec);
    return rc;
}

#define AUDIT_SELECT                                                                               \
    "SELECT seq, time, tenant_id, actor, actor_id, actor_type, client_ip, activity, item,"         \
    " request_id, decision, details, chain, chain_index, prev_hash, hash FROM audit"

/* The search's values into q's arguments, in its placeholders' order. */
struct audit_args {
    struct sqs_arg args[10];
    size_t count;
};

static void add_arg(void *ctx, const char *text, int64_t num)
{
    struct audit_args *a = ctx;

    if (a->count < sizeof(a->args) / sizeof(a->args[0]))
        a->args[a->count++] = text ? SQS_TEXT(text) : SQS_INT(num);
}

int sqs_audit_query(struct store *base, const struct audit_filter *f, struct audit_list *out)
{
    static const struct audit_sql_dialect dialect = {'?', AUDIT_SELECT, "=1"};
    struct sqlite_store *s = sqs_of(base);
    const char *sql = audit_sql_get(&s->audit_sql, &dialect, f);
    struct audit_args a = {0};
    struct sqs_query q;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!sql)
        return LB_ENOMEM;
    audit_sql_bind(f, add_arg, &a);
    q = (struct sqs_query){sql, a.args, a.count};
    rc = sqs_query_list(s, &q, SQS_LIST(out), read_audit, NULL);
    if (rc)
        audit_list_clear(out);
    return rc;
}

static int read_head(sqlite3_stmt *st, void *item)
{
    struct audit_chain_head *h = item;
    bool oom = false;

    memset(h, 0, sizeof(*h));
    h->chain = sqs_col_str(st, 0, &oom);
    h->index = sqlite3_column_int64(st, 1);
    h->time = sqlite3_column_int64(st, 2);
    h->hash = sqs_col_str(st, 3, &oom);
    h->checkpoint_index = sqlite3_column_int64(st, 4);
    h->checkpoint_time = sqlite3_column_int64(st, 5);
    h->pruned_index = sqlite3_column_int64(st, 6);
    if (oom) {
        audit_chain_head_clear(h);
        return LB_ENOMEM;
    }
    return 0;
}

int sqs_audit_chain_head(struct store *base, const char *chain, struct audit_chain_head *out)
{
    /* the newest record itself, not audit_chains' copy: the record decides */
    static const char sql[] =
        "SELECT a.chain, a.chain_index, a.time, a.hash, COALESCE(c.checkpoint_index, 0),"
        " COALESCE(c.checkpoint_time, 0), COALESCE(c.pruned_index, 0)"
        " FROM audit a LEFT JOIN audit_chains c ON c.chain=a.chain"
        " WHERE a.chain=?1 ORDER BY a.chain_index DESC LIMIT 1";

    return sqs_query_one(sqs_of(base), SQS_QUERY(sql, SQS_TEXT(chain)), out, read_head, NULL);
}

int sqs_audit_chains(struct store *base, bool due_only, struct audit_chain_head_list *out)
{
    static const char all[] = "SELECT chain, head_index, head_time, head_hash, checkpoint_index,"
                              " checkpoint_time, pruned_index FROM audit_chains WHERE ?1=0 OR"
                              " head_index > checkpoint_index ORDER BY chain";
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sqs_query_list(sqs_of(base), SQS_QUERY(all, SQS_INT(due_only)), SQS_LIST(out), read_head,
                        NULL);
    if (rc)
        audit_chain_head_list_clear(out);
    return rc;
}

int sqs_audit_chain_records(struct store *base, const char *chain, int64_t after_index,
                            size_t limit, struct audit_list *out)
{
    static const char sql[] =
        AUDIT_SELECT " WHERE chain=?1 AND chain_index>?2 ORDER BY chain_index LIMIT ?3";
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sqs_query_list(sqs_of(base),
                        SQS_QUERY(sql, SQS_TEXT(chain), SQS_INT(after_index), SQS_INT(limit)),
                        SQS_LIST(out), read_audit, NULL);
    if (rc)
        audit_list_clear(out);
    return rc;
}

int sqs_audit_checkpoint_insert(struct store *base, const struct audit_checkpoint *cp)
{
    static const char sql[] =
        "INSERT INTO audit_checkpoints(chain, chain_index, hash, time, key_id, signature)"
        " VALUES(?,?,?,?,?,?) ON CONFLICT DO NOTHING";
    static const char mark[] = "UPDATE audit_chains SET checkpoint_index=?2, checkpoint_time=?3"
                               " WHERE chain=?1 AND checkpoint_index<?2";
    struct sqlite_store *s = sqs_of(base);
    int rc = sqs_write(s,
                       SQS_QUERY(sql, SQS_TEXT(cp->chain), SQS_INT(cp->index), SQS_TEXT(cp->hash),
                                 SQS_INT(cp->time), SQS_TEXT(cp->key_id), SQS_TEXT(cp->signature)),
                       0, NULL);

    if (rc == 0)
        rc = sqs_write(s,
                       SQS_QUERY(mark, SQS_TEXT(cp->chain), SQS_INT(cp->index), SQS_INT(cp->time)),
                       0, NULL);
    return rc;
}

static int read_checkpoint(sqlite3_stmt *st, void *item)
{
    struct audit_checkpoint *c = item;
    bool oom = false;

    memset(c, 0, sizeof(*c));
    c->chain = sqs_col_str(st, 0, &oom);
    c->index = sqlite3_column_int64(st, 1);
    c->hash = sqs_col_str(st, 2, &oom);
    c->time = sqlite3_column_int64(st, 3);
    c->key_id = sqs_col_str(st, 4, &oom);
    c->signature = sqs_col_str(st, 5, &oom);
    if (oom) {
        audit_checkpoint_clear(c);
        return LB_ENOMEM;
    }
    return 0;
}

int sqs_audit_checkpoints(struct store *base, const char *chain, int64_t after_index, size_t limit,
                          struct audit_checkpoint_list *out)
{
    static const char sql[] =
        "SELECT chain, chain_index, hash, time, key_id, signature FROM audit_checkpoints"
        " WHERE chain=?1 AND chain_index>?2 ORDER BY chain_index LIMIT ?3";
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sqs_query_list(sqs_of(base),
                        SQS_QUERY(sql, SQS_TEXT(chain), SQS_INT(after_index), SQS_INT(limit)),
                        SQS_LIST(out), read_checkpoint, NULL);
    if (rc)
        audit_checkpoint_list_clear(out);
    return rc;
}

int sqs_audit_key_insert(struct store *base, const struct audit_key *k)
{
    static const char sql[] = "INSERT INTO audit_keys(id, public_key, created_at, retired_at)"
                              " VALUES(?1,?2,?3,?4) ON CONFLICT(id) DO UPDATE SET"
                              " retired_at=CASE WHEN ?4 > 0 THEN ?4 ELSE audit_keys.retired_at END";

    return sqs_write(sqs_of(base),
                     SQS_QUERY(sql, SQS_TEXT(k->id), SQS_TEXT(k->public_key),
                               SQS_INT(k->created_at), SQS_INT(k->retired_at)),
                     0, NULL);
}

static int read_key(sqlite3_stmt *st, void *item)
{
    struct audit_key *k = item;
    bool oom = false;

    memset(k, 0, sizeof(*k));
    k->id = sqs_col_str(st, 0, &oom);
    k->public_key = sqs_col_str(st, 1, &oom);
    k->created_at = sqlite3_column_int64(st, 2);
    k->retired_at = sqlite3_column_int64(st, 3);
    if (oom) {
        audit_key_clear(k);
        return LB_ENOMEM;
    }
    return 0;
}

int sqs_audit_keys(struct store *base, struct audit_key_list *out)
{
    static const char sql[] =
        "SELECT id, public_key, created_at, retired_at FROM audit_keys ORDER BY created_at, id";
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sqs_query_list(sqs_of(base), SQS_QUERY_NOARGS(sql), SQS_LIST(out), read_key, NULL);
    if (rc)
        audit_key_list_clear(out);
    return rc;
}

int sqs_audit_unchained(struct store *base, size_t limit, struct audit_list *out)
{
    static const char sql[] = AUDIT_SELECT " WHERE hash IS NULL ORDER BY seq LIMIT ?1";
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sqs_query_list(sqs_of(base), SQS_QUERY(sql, SQS_INT(limit)), SQS_LIST(out), read_audit,
                        NULL);
    if (rc)
        audit_list_clear(out);
    return rc;
}

int sqs_audit_link(struct store *base, const struct audit_record *rec)
{
    static const char sql[] = "UPDATE audit SET chain=?2, chain_index=?3, prev_hash=?4, hash=?5"
                              " WHERE seq=?1 AND hash IS NULL";
    struct sqlite_store *s = sqs_of(base);
    int rc =
        sqs_write(s,
                  SQS_QUERY(sql, SQS_INT(rec->seq), SQS_TEXT(rec->chain), SQS_INT(rec->chain_index),
                            SQS_TEXT(rec->prev_hash), SQS_TEXT(rec->hash)),
                  LB_ENOTFOUND, NULL);

    if (rc == 0)
        rc = chain_head_put(s, rec);
    return rc;
}

int sqs_audit_chain_names(struct store *base, char ***names, size_t *count)
{
    static const char sql[] =
        "SELECT DISTINCT chain FROM audit WHERE chain IS NOT NULL ORDER BY chain";
    char **v = NULL;
    size_t n = 0;
    int rc =
        sqs_query_list(sqs_of(base), SQS_QUERY_NOARGS(sql), &v, &n, sizeof(*v), sqs_row_str, NULL);

    if (rc) {
        strv_free(v, n);
        return rc;
    }
    *names = v;
    *count = n;
    return 0;
}

int sqs_audit_checkpoint_before(struct store *base, const char *chain, int64_t time,
                                int64_t max_index, struct audit_checkpoint *out)
{
    static const char sql[] =
        "SELECT chain, chain_index, hash, time, key_id, signature FROM audit_checkpoints"
        " WHERE chain=?1 AND chain_index<=?3 AND time<=?2 ORDER BY chain_index DESC LIMIT 1";

    return sqs_query_one(sqs_of(base),
                         SQS_QUERY(sql, SQS_TEXT(chain), SQS_INT(time), SQS_INT(max_index)), out,
                         read_checkpoint, NULL);
}

int sqs_audit_prune_mark(struct store *base, const char *chain, int64_t index)
{
    static const char sql[] =
        "UPDATE audit_chains SET pruned_index=?2 WHERE chain=?1 AND pruned_index<?2";

    return sqs_write(sqs_of(base), SQS_QUERY(sql, SQS_TEXT(chain), SQS_INT(index)), LB_ECONFLICT,
                     NULL);
}

int sqs_audit_prune(struct store *base, const char *chain, size_t limit, int64_t *deleted)
{
    static const char sql[] =
        "DELETE FROM audit WHERE seq IN (SELECT a.seq FROM audit a JOIN audit_chains c"
        " ON c.chain=a.chain WHERE a.chain=?1 AND a.chain_index<=c.pruned_index"
        " ORDER BY a.chain_index LIMIT ?2)";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = NULL;
    int rc = cn ? 0 : LB_ESTORE;

    *deleted = 0;
    if (rc == 0 && (st = sqs_stmt(cn, sql)) == NULL)
        rc = STORE_ERR(LB_ESTORE);
    if (rc == 0) {
        sqs_bind_text(st, 1, chain);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
        if ((rc = sqs_run(cn, st)) == 0)
            *deleted = sqlite3_changes(cn->db);
    }
    return sqs_release(s, cn, rc);
}
