/* The SQLite backend's handle: its connections (one writer, a pool of readers), transactions
 * and group commit, and the table of its operations (store_sqlite.h, store_sqlite_int.h). */
#include "store_sqlite.h"

#include "store_sqlite_int.h"
#include "util/mem.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <string.h>

#include "util/banned.h"

struct sqlite_store *sqs_of(struct store *st)
{
    return (struct sqlite_store *)st;
}

/* ---- transactions and group commit ---- */

static bool in_my_tx(struct sqlite_store *s)
{
    return atomic_load(&s->in_tx) && pthread_equal(atomic_load(&s->owner), pthread_self());
}

/* true when SQLite has rolled the open group's transaction back by itself (SQLITE_FULL,
 * SQLITE_IOERR, ...): every member's work is gone and s->group_lost says why. A savepoint or a
 * statement now would run outside any transaction, committing on its own: none may. */
static bool group_is_lost(struct sqlite_store *s)
{
    if (s->group_open && !s->group_lost && sqlite3_get_autocommit(s->writer.db))
        s->group_lost = s->writer.last_err ? s->writer.last_err : STORE_ERR(LB_ESTORE);
    return s->group_lost != 0;
}

/* Closes the open group with its outcome grc (0: committed) and wakes its members. */
static void group_close(struct sqlite_store *s, int grc)
{
    uint64_t g = s->group_id;

    s->group_open = false;
    s->group_size = 0;
    s->group_lost = 0;
    s->group_rc[g % GROUP_RING] = grc;
    s->finished_group = g;
    s->group_id = g + 1;
    pthread_cond_broadcast(&s->group_done);
}

/* Ends the caller's logical transaction (member: it released its savepoint) and unlocks. */
static int group_finish(struct sqlite_store *s, bool member, int rc)
{
    uint64_t g = s->group_id;
    int grc = 0;

    atomic_store(&s->in_tx, false);
    if (s->group_size > 0 && s->group_size < GROUP_MAX && atomic_load(&s->want) > 0) {
        /* another writer is coming: it (or the last after it) commits for us */
        while (member && s->finished_group < g)
            pthread_cond_wait(&s->group_done, &s->wlock);
        if (member)
            rc = s->group_rc[g % GROUP_RING];
        pthread_mutex_unlock(&s->wlock);
        return rc;
    }
    if (s->group_open && group_is_lost(s)) {
        grc = s->group_lost;
    } else if (s->group_open) {
        grc = s->group_size > 0 ? sqs_tx(&s->writer, "COMMIT") : sqs_tx(&s->writer, "ROLLBACK");
        if (grc && s->group_size > 0 && !sqlite3_get_autocommit(s->writer.db))
            (void)sqs_tx(&s->writer, "ROLLBACK"); /* SQLite may have rolled it back already */
        if (!grc && s->group_size > 0) {
            atomic_fetch_add(&s->commits, 1);
            atomic_fetch_add(&s->transactions, (unsigned long long)s->group_size);
        }
    }
    group_close(s, grc);
    pthread_mutex_unlock(&s->wlock);
    return member ? grc : rc;
}

static int sq_begin(struct store *st)
{
    struct sqlite_store *s = sqs_of(st);
    int rc = 0;

    atomic_fetch_add(&s->want, 1);
    pthread_mutex_lock(&s->wlock);
    atomic_fetch_sub(&s->want, 1);
    /* a group SQLite rolled back fails its members; this transaction starts a new one */
    if (s->group_open && group_is_lost(s))
        group_close(s, s->group_lost);
    if (!s->group_open) {
        s->writer.last_err = 0;
        if ((rc = sqs_tx(&s->writer, "BEGIN IMMEDIATE")) != 0) {
            pthread_mutex_unlock(&s->wlock);
            return rc;
        }
        s->group_open = true;
    }
    if ((rc = sqs_tx(&s->writer, "SAVEPOINT tx")) != 0)
        return group_finish(s, false, rc);
    atomic_store(&s->owner, pthread_self());
    atomic_store(&s->in_tx, true);
    return 0;
}

static void undo_savepoint(struct sqlite_store *s)
{
    (void)sqs_tx(&s->writer, "ROLLBACK TO tx");
    (void)sqs_tx(&s->writer, "RELEASE tx");
}

static int sq_commit(struct store *st)
{
    struct sqlite_store *s = sqs_of(st);
    int rc;

    if (group_is_lost(s))
        return group_finish(s, false, s->group_lost);
    if ((rc = sqs_tx(&s->writer, "RELEASE tx")) != 0) {
        if (!group_is_lost(s))
            undo_savepoint(s);
        return group_finish(s, false, rc);
    }
    s->group_size++;
    return group_finish(s, true, 0);
}

static void sq_rollback(struct store *st)
{
    struct sqlite_store *s = sqs_of(st);

    if (!group_is_lost(s))
        undo_savepoint(s);
    (void)group_finish(s, false, 0);
}

/* The connection for one store call: the writer inside the caller's transaction; for a write
 * outside one, the writer in a transaction of its own; else a free reader. */
struct conn *sqs_acquire(struct sqlite_store *s, enum conn_mode mode)
{
    struct conn *cn = NULL;

    if (in_my_tx(s))
        return group_is_lost(s) ? NULL : &s->writer;
    if (mode == CONN_WRITE || s->reader_count == 0) {
        if (sq_begin(&s->base) != 0)
            return NULL;
        s->writer.implicit = true;
        return &s->writer;
    }
    pthread_mutex_lock(&s->pool_lock);
    for (;;) {
        for (size_t i = 0; i < s->reader_count && !cn; i++)
            if (!s->readers[i].busy)
                cn = &s->readers[i];
        if (cn)
            break;
        pthread_cond_wait(&s->pool_cond, &s->pool_lock);
    }
    cn->busy = true;
    pthread_mutex_unlock(&s->pool_lock);
    return cn;
}

/* Gives back what acquire gave; an implicit transaction commits (or, on rc, rolls back). */
int sqs_release(struct sqlite_store *s, struct conn *cn, int rc)
{
    if (!cn)
        return rc;
    if (cn == &s->writer) {
        if (!cn->implicit)
            return rc;
        cn->implicit = false;
        if (rc) {
            sq_rollback(&s->base);
            return rc;
        }
        return sq_commit(&s->base);
    }
    pthread_mutex_lock(&s->pool_lock);
    cn->busy = false;
    pthread_cond_signal(&s->pool_cond);
    pthread_mutex_unlock(&s->pool_lock);
    return rc;
}

/* ---- open and close ---- */

static void conn_close(struct conn *cn)
{
    for (size_t i = 0; i < STMT_CACHE_SIZE && cn->cache[i].sql; i++)
        sqlite3_finalize(cn->cache[i].stmt);
    sqlite3_close(cn->db);
    memset(cn, 0, sizeof(*cn));
}

static void sq_close(struct store *base)
{
    struct sqlite_store *s = sqs_of(base);

    for (size_t i = 0; i < s->reader_count; i++)
        conn_close(&s->readers[i]);
    conn_close(&s->writer);
    pthread_mutex_destroy(&s->pool_lock);
    audit_sql_cache_free(&s->audit_sql);
    pthread_cond_destroy(&s->pool_cond);
    pthread_mutex_destroy(&s->wlock);
    pthread_cond_destroy(&s->group_done);
    lb_free(s);
}

static int conn_open(struct conn *cn, const char *path, bool writer, struct buf *err)
{
    int rc = sqlite3_open_v2(
        path, &cn->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);

    if (rc != SQLITE_OK) {
        if (err)
            buf_appendf(err, "cannot open %s: %s", path,
                        cn->db ? sqlite3_errmsg(cn->db) : sqlite3_errstr(rc));
        sqlite3_close(cn->db);
        cn->db = NULL;
        return LB_ESTORE;
    }
    sqlite3_busy_timeout(cn->db, 5000);
    /* temp_store=MEMORY keeps each logical transaction's savepoint journal (every page it
     * changes) in memory: past 64 KiB SQLite would spill it to a new temporary file */
    if ((writer && ((rc = sqs_exec(cn, "PRAGMA journal_mode=WAL")) != 0 ||
                    (rc = sqs_exec(cn, "PRAGMA synchronous=FULL")) != 0 ||
                    (rc = sqs_exec(cn, "PRAGMA temp_store=MEMORY")) != 0)) ||
        (rc = sqs_exec(cn, "PRAGMA foreign_keys=ON")) != 0) {
        if (err)
            buf_appendf(err, "cannot configure %s: %s", path, sqlite3_errmsg(cn->db));
        return rc;
    }
    return 0;
}

static void sq_stats(struct store *base, struct store_stats *out)
{
    struct sqlite_store *s = sqs_of(base);

    out->transactions = atomic_load(&s->transactions);
    out->commits = atomic_load(&s->commits);
}

/* One process holds a SQLite store (lockboxd locks its data folder): nobody to tell. */
static int sq_change_publish(struct store *base, enum store_change kind, const char *key)
{
    (void)base;
    (void)kind;
    (void)key;
    return 0;
}

static int sq_changes_listen(struct store *base, store_change_fn *fn, void *ctx, int64_t resync_ms)
{
    (void)base;
    (void)fn;
    (void)ctx;
    (void)resync_ms;
    return 0;
}

static void sq_changes_stop(struct store *base)
{
    (void)base;
}

/* A read of the meta table on a reader: the file is still there and readable. */
static int sq_ping(struct store *base)
{
    static const char sql[] = "SELECT count(*) FROM meta";
    int64_t rows = 0;

    return sqs_query_int(sqs_of(base), SQS_QUERY_NOARGS(sql), &rows);
}

static const struct store_ops sqlite_ops = {
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .stats = sq_stats,
    .ping = sq_ping,
    .seal_attach = sqs_seal_attach,
    .change_publish = sq_change_publish,
    .changes_listen = sq_changes_listen,
    .changes_stop = sq_changes_stop,
    .meta_get = sqs_meta_get,
    .meta_set = sqs_meta_set,
    .tenant_insert = sqs_tenant_insert,
    .tenant_get = sqs_tenant_get,
    .tenant_list = sqs_tenant_list,
    .tenant_update_settings = sqs_tenant_update_settings,
    .tenant_update_scopes = sqs_tenant_update_scopes,
    .user_insert = sqs_user_insert,
    .user_get = sqs_user_get,
    .user_get_by_username = sqs_user_get_by_username,
    .user_set_totp_step = sqs_user_set_totp_step,
    .user_list_for_tenant = sqs_user_list_for_tenant,
    .role_insert = sqs_role_insert,
    .role_get = sqs_role_get,
    .role_delete = sqs_role_delete,
    .role_list_for_user = sqs_role_list_for_user,
    .role_list_for_tenant = sqs_role_list_for_tenant,
    .role_count = sqs_role_count,
    .session_insert = sqs_session_insert,
    .session_get = sqs_session_get,
    .session_expire = sqs_session_expire,
    .token_get = sqs_token_get,
    .token_list = sqs_token_list,
    .token_delete = sqs_token_delete,
    .ticket_insert = sqs_ticket_insert,
    .ticket_get = sqs_ticket_get,
    .ticket_list = sqs_ticket_list,
    .ticket_event_append = sqs_ticket_event_append,
    .request_insert = sqs_request_insert,
    .request_update = sqs_request_update,
    .request_decision_insert = sqs_request_decision_insert,
    .request_get = sqs_request_get,
    .request_list = sqs_request_list,
    .request_each_approved = sqs_request_each_approved,
    .request_next_deadline = sqs_request_next_deadline,
    .request_due = sqs_request_due,
    .audit_insert = sqs_audit_insert,
    .audit_query = sqs_audit_query,
    .audit_chain_head = sqs_audit_chain_head,
    .audit_chains = sqs_audit_chains,
    .audit_chain_records = sqs_audit_chain_records,
    .audit_checkpoint_insert = sqs_audit_checkpoint_insert,
    .audit_checkpoints = sqs_audit_checkpoints,
    .audit_key_insert = sqs_audit_key_insert,
    .audit_keys = sqs_audit_keys,
    .audit_unchained = sqs_audit_unchained,
    .audit_link = sqs_audit_link,
    .audit_chain_names = sqs_audit_chain_names,
    .audit_checkpoint_before = sqs_audit_checkpoint_before,
    .audit_prune_mark = sqs_audit_prune_mark,
    .audit_prune = sqs_audit_prune,
    .audit_stream_put = sqs_audit_stream_put,
    .audit_stream_delete = sqs_audit_stream_delete,
    .audit_streams = sqs_audit_streams,
    .audit_stream_backlog = sqs_audit_stream_backlog,
    .audit_stream_update = sqs_audit_stream_update,
    .audit_stream_claim = sqs_audit_stream_claim,
    .audit_stream_hold = sqs_audit_stream_hold,
    .audit_stream_held = sqs_audit_stream_held,
    .audit_stream_release = sqs_audit_stream_release,
    .webhook_insert = sqs_webhook_insert,
    .webhook_get = sqs_webhook_get,
    .webhook_delete = sqs_webhook_delete,
    .webhook_list = sqs_webhook_list,
    .outbox_insert = sqs_outbox_insert,
    .outbox_due = sqs_outbox_due,
    .outbox_next_due = sqs_outbox_next_due,
    .outbox_update = sqs_outbox_update,
    .outbox_list_for_request = sqs_outbox_list_for_request,
    .outbox_count = sqs_outbox_count,
    .login_throttle_get = sqs_login_throttle_get,
    .login_throttle_put = sqs_login_throttle_put,
    .login_throttle_delete = sqs_login_throttle_delete,
    .login_throttle_list = sqs_login_throttle_list,
    .login_throttle_prune = sqs_login_throttle_prune,
    .event_insert = sqs_event_insert,
    .event_list = sqs_event_list,
    .event_bounds = sqs_event_bounds,
    .event_prune = sqs_event_prune,
    .table_stat = sqs_table_stat,
    .table_each = sqs_table_each,
    .table_insert = sqs_table_insert,
    .table_seq_set = sqs_table_seq_set,
};

/* SQLite's library-wide settings, made once before its first use. Its memory statistics,
 * which nothing here reads, would take a process-wide mutex at every allocation. */
static void sqlite_configure(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int store_sqlite_open(const char *path, struct store **out, struct buf *err)
{
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    struct sqlite_store *s = lb_calloc(1, sizeof(*s));
    int rc;

    (void)pthread_once(&configured, sqlite_configure);
    if (!s)
        return LB_ENOMEM;
    s->base.ops = &sqlite_ops;
    s->group_id = 1;
    pthread_mutex_init(&s->pool_lock, NULL);
    audit_sql_cache_init(&s->audit_sql);
    pthread_cond_init(&s->pool_cond, NULL);
    pthread_mutex_init(&s->wlock, NULL);
    pthread_cond_init(&s->group_done, NULL);
    if ((rc = conn_open(&s->writer, path, true, err)) != 0 ||
        (rc = sqs_migrate(&s->writer, err)) != 0)
        goto fail;
    /* an in-memory database exists once per connection: it gets no readers */
    if (strcmp(path, ":memory:") != 0) {
        for (; s->reader_count < READERS; s->reader_count++)
            if ((rc = conn_open(&s->readers[s->reader_count], path, false, err)) != 0) {
                conn_close(&s->readers[s->reader_count]);
                goto fail;
            }
    }
    *out = &s->base;
    return 0;
fail:
    sq_close(&s->base);
    return rc;
}
