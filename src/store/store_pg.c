/* The PostgreSQL backend (store_pg.h): its connections, transactions and group commit, meta,
 * and the ops table; the queries of each aggregate are in store_pg_<aggregate>.c. */
#include "store_pg.h"

#include "store_pg_int.h"
#include "util/log.h"
#include "util/mem.h"

#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "util/banned.h"

/* ---- connections ---- */

/* libpq prints notices (CREATE ... IF NOT EXISTS, a server going down) on stderr by default.
 * A FATAL error that came while no statement ran (a shutdown ending an idle session) is handed
 * here too: the connection is marked ended, whatever libpq's status says until it reads EOF. */
static void on_notice(void *arg, const char *message)
{
    struct pgs_conn *cn = arg;

    if (cn && strncmp(message, "FATAL:", 6) == 0)
        cn->ended = true;
    log_debug("postgresql notice: %.*s", (int)strcspn(message, "\n"), message);
}

static int connect_within(struct pgs_conn *cn, const char *url, const char *timeout,
                          struct buf *err)
{
    /* url's own settings win over the defaults before it (expand_dbname). Over TCP a peer
     * that vanished (a host down, a network cut) is found in seconds, not the kernel's
     * minutes: keepalives probe an idle connection, tcp_user_timeout (ms) bounds a statement
     * sent and never acknowledged; a Unix socket ignores them. */
    static const char *const keys[] = {"connect_timeout",
                                       "keepalives_idle",
                                       "keepalives_interval",
                                       "keepalives_count",
                                       "tcp_user_timeout",
                                       "application_name",
                                       "dbname",
                                       NULL};
    const char *values[] = {timeout, "10", "5", "3", "10000", "lockboxd", url, NULL};
    const char *why;

    if (cn->pg)
        PQfinish(cn->pg);
    cn->cached = 0; /* prepared statements live and die with their session */
    cn->pending = 0;
    cn->ended = false;
    cn->pg = PQconnectdbParams(keys, values, 1);
    if (cn->pg && PQstatus(cn->pg) == CONNECTION_OK) {
        PQsetNoticeProcessor(cn->pg, on_notice, cn);
        cn->epoch = pgs_health_epoch(cn->health);
        /* A group holds the write lock of every lockboxd: if this process stops (SIGSTOP, a
         * frozen VM, a network cut) inside one, the server ends the session and the lock
         * goes. A group is never idle that long on purpose. */
        return pgs_exec(cn, "SET idle_in_transaction_session_timeout = '60s'");
    }
    why = cn->pg ? PQerrorMessage(cn->pg) : "out of memory";
    log_debug("postgresql cannot connect: %.*s", (int)strcspn(why, "\n"), why);
    if (err)
        buf_appendf(err, "cannot connect to PostgreSQL: %.*s", (int)strcspn(why, "\n"), why);
    pgs_health_lost(cn->health, why);
    PQfinish(cn->pg);
    cn->pg = NULL;
    return STORE_ERR(LB_EUNAVAIL);
}

int pgs_connect(struct pgs_conn *cn, const char *url, struct buf *err)
{
    return connect_within(cn, url, PGS_CONNECT_TIMEOUT_OPEN, err);
}

int pgs_reconnect(struct pgs_conn *cn, const char *url, struct buf *err)
{
    return connect_within(cn, url, PGS_CONNECT_TIMEOUT, err);
}

/* false when the server has ended an idle connection: it sends a FATAL message (a restart,
 * a failover, pg_terminate_backend), then closes the socket. What waits is read without
 * blocking: the message, then the end of the stream, which marks the connection bad. */
static bool conn_alive(struct pgs_conn *cn)
{
    PGconn *pg = cn->pg;
    struct pollfd p = {.fd = PQsocket(pg), .events = POLLIN};

    for (int i = 0; i < 4 && PQstatus(pg) == CONNECTION_OK && p.fd >= 0; i++) {
        PGnotify *n;
        if (poll(&p, 1, 0) <= 0)
            return !cn->ended; /* nothing waiting: as good as it was */
        if (!PQconsumeInput(pg))
            return false;
        while ((n = PQnotifies(pg)) != NULL) /* parses what came */
            PQfreemem(n);
    }
    return false;
}

/* LB_EUNAVAIL at once while the server is known to be away: the prober finds it back. */
static int refuse_while_down(struct pg_store *s)
{
    return pgs_health_is_down(&s->health) ? STORE_ERR(LB_EUNAVAIL) : 0;
}

/* Makes sure an idle connection still works, connecting again when it does not: one that
 * the server closed is noticed here, before it fails a statement, and one made before an
 * outage is not trusted after it. */
static int conn_ready(struct pg_store *s, struct pgs_conn *cn)
{
    bool was = cn->pg != NULL;
    int rc;

    if ((rc = refuse_while_down(s)) != 0)
        return rc;
    if (cn->pg && cn->epoch == pgs_health_epoch(&s->health) && conn_alive(cn))
        return 0;
    rc = pgs_reconnect(cn, s->url, NULL);
    if (rc == 0 && was)
        log_info("store: connected to PostgreSQL again");
    return rc;
}

static void conn_close(struct pgs_conn *cn)
{
    PQfinish(cn->pg);
    memset(cn, 0, sizeof(*cn));
}

/* ---- transactions and group commit ---- */

bool pgs_in_tx(struct pg_store *s)
{
    return atomic_load(&s->in_tx) && pthread_equal(atomic_load(&s->owner), pthread_self());
}

/* true when the open group's PostgreSQL transaction is gone (the connection broke, the server
 * ended it): every member's work is lost and s->group_lost says why. A savepoint or a
 * statement now would run outside any transaction, committing on its own: none may. A
 * member's failed statement leaves the transaction aborted, not lost: its savepoint undoes it. */
static bool group_is_lost(struct pg_store *s)
{
    if (s->group_open && !s->group_lost) {
        PGconn *pg = s->writer.pg;
        PGTransactionStatusType ts = pg ? PQtransactionStatus(pg) : PQTRANS_UNKNOWN;
        if (!pg || PQstatus(pg) != CONNECTION_OK || ts == PQTRANS_IDLE || ts == PQTRANS_UNKNOWN)
            s->group_lost = s->writer.first_err                   ? s->writer.first_err
                            : pg && PQstatus(pg) == CONNECTION_OK ? STORE_ERR(LB_ESTORE)
                                                                  : STORE_ERR(LB_EUNAVAIL);
    }
    return s->group_lost != 0;
}

/* Closes the open group with its outcome grc (0: committed) and wakes its members. */
static void group_close(struct pg_store *s, int grc)
{
    uint64_t g = s->group_id;

    s->group_open = false;
    s->group_size = 0;
    s->group_lost = 0;
    s->group_rc[g % PGS_GROUP_RING] = grc;
    s->finished_group = g;
    s->group_id = g + 1;
    pthread_cond_broadcast(&s->group_done);
}

/* COMMITs the group; PostgreSQL answers a COMMIT of a failed transaction with a ROLLBACK. */
static int group_commit(struct pg_store *s)
{
    struct pgs_conn *cn = &s->writer;
    PGresult *res;
    int rc = 0;

    if ((rc = pgs_pipeline_end(cn)) != 0 || PQtransactionStatus(cn->pg) != PQTRANS_INTRANS)
        return rc ? rc : STORE_ERR(LB_ESTORE);
    /* A server that ended the session while the group was idle (a shutdown) said so already:
     * read it before the COMMIT, which then is known not to have been applied. */
    if (!conn_alive(cn) && (PQstatus(cn->pg) != CONNECTION_OK || cn->ended))
        return pgs_code(cn, NULL);
    res = PQexec(cn->pg, "COMMIT");
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = pgs_code(cn, res);
        /* Only the server's own error (a SQLSTATE) says the COMMIT was not applied; a
         * connection that broke without a word may have lost its answer after it was. */
        if (rc == LB_EUNAVAIL && !PQresultErrorField(res, PG_DIAG_SQLSTATE)) {
            log_warn("store: the connection to PostgreSQL broke during a COMMIT: whether it "
                     "was applied is unknown");
            rc = STORE_ERR(LB_ESTORE);
        }
    } else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
        rc = STORE_ERR(LB_ESTORE);
    PQclear(res);
    if (rc && PQstatus(cn->pg) == CONNECTION_OK && PQtransactionStatus(cn->pg) != PQTRANS_IDLE)
        (void)pgs_exec(cn, "ROLLBACK");
    return rc;
}

/* Ends the caller's logical transaction (member: it released its savepoint) and unlocks. */
static int group_finish(struct pg_store *s, bool member, int rc)
{
    uint64_t g = s->group_id;
    int grc = 0;

    atomic_store(&s->in_tx, false);
    if (s->group_size > 0 && s->group_size < PGS_GROUP_MAX && atomic_load(&s->want) > 0) {
        /* another writer is coming: it (or the last after it) commits for us */
        while (member && s->finished_group < g)
            pthread_cond_wait(&s->group_done, &s->wlock);
        if (member)
            rc = s->group_rc[g % PGS_GROUP_RING];
        pthread_mutex_unlock(&s->wlock);
        return rc;
    }
    if (s->group_open && group_is_lost(s)) {
        grc = s->group_lost;
    } else if (s->group_open) {
        grc = s->group_size > 0 ? group_commit(s) : pgs_exec(&s->writer, "ROLLBACK");
        if (!grc && s->group_size > 0) {
            atomic_fetch_add(&s->commits, 1);
            atomic_fetch_add(&s->transactions, (unsigned long long)s->group_size);
        }
    }
    group_close(s, grc);
    pthread_mutex_unlock(&s->wlock);
    return member ? grc : rc;
}

/* Opens a group: a PostgreSQL transaction holding the write lock, and the first savepoint,
 * in one round trip. */
static int group_open(struct pg_store *s)
{
    static const char sql[] = "BEGIN; SELECT pg_advisory_xact_lock(" PGS_LOCK_WRITE ");"
                              " SAVEPOINT tx";
    int rc;

    s->writer.first_err = 0;
    if ((rc = conn_ready(s, &s->writer)) != 0)
        return rc;
    if ((rc = pgs_exec(&s->writer, sql)) != 0) {
        if (PQstatus(s->writer.pg) == CONNECTION_OK &&
            PQtransactionStatus(s->writer.pg) != PQTRANS_IDLE)
            (void)pgs_exec(&s->writer, "ROLLBACK");
        return rc;
    }
    s->group_open = true;
    return 0;
}

static int pg_begin(struct store *st)
{
    struct pg_store *s = pgs_of(st);
    int rc = 0;

    /* not even the write lock is waited for while the server is away */
    if ((rc = refuse_while_down(s)) != 0)
        return rc;
    atomic_fetch_add(&s->want, 1);
    pthread_mutex_lock(&s->wlock);
    atomic_fetch_sub(&s->want, 1);
    /* a lost group fails its members; this transaction starts a new one */
    if (s->group_open && group_is_lost(s))
        group_close(s, s->group_lost);
    if (!s->group_open) {
        if ((rc = group_open(s)) != 0) {
            pthread_mutex_unlock(&s->wlock);
            return rc;
        }
    } else if ((rc = pgs_exec(&s->writer, "SAVEPOINT tx")) != 0) {
        return group_finish(s, false, rc);
    }
    atomic_store(&s->owner, pthread_self());
    atomic_store(&s->in_tx, true);
    return 0;
}

/* Undoes the caller's savepoint; its failure, if any, is no longer the group's concern. */
static void undo_savepoint(struct pg_store *s)
{
    if (pgs_exec(&s->writer, "ROLLBACK TO tx; RELEASE tx") == 0)
        s->writer.first_err = 0;
}

/* A committed member keeps its savepoint (the next member's nests inside it, and ROLLBACK TO
 * finds the newest): a RELEASE would cost a round trip and change nothing the group's COMMIT
 * does not. At most PGS_GROUP_MAX are kept; a rolled back member releases its own. */
static int pg_commit(struct store *st)
{
    struct pg_store *s = pgs_of(st);
    /* the results of its pipelined writes, read now: a failure among them dooms it, even
     * when libpq has not yet seen the transaction aborted (the server ends the session) */
    int piped = pgs_pipeline_end(&s->writer), rc;

    if (group_is_lost(s))
        return group_finish(s, false, s->group_lost);
    if (piped || PQtransactionStatus(s->writer.pg) == PQTRANS_INERROR) {
        /* a statement failed and its caller commits anyway: nothing of it may stay */
        rc = s->writer.first_err ? s->writer.first_err : piped ? piped : STORE_ERR(LB_ESTORE);
        undo_savepoint(s);
        return group_finish(s, false, rc);
    }
    s->group_size++;
    return group_finish(s, true, 0);
}

static void pg_rollback(struct store *st)
{
    struct pg_store *s = pgs_of(st);

    if (!group_is_lost(s))
        undo_savepoint(s);
    (void)group_finish(s, false, 0);
}

/* A free reader, marked busy (waits for one). */
static struct pgs_conn *take_reader(struct pg_store *s)
{
    struct pgs_conn *cn = NULL;

    pthread_mutex_lock(&s->pool_lock);
    for (;;) {
        for (size_t i = 0; i < PGS_READERS && !cn; i++)
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

static void give_reader(struct pg_store *s, struct pgs_conn *cn)
{
    pthread_mutex_lock(&s->pool_lock);
    cn->busy = false;
    pthread_cond_signal(&s->pool_cond);
    pthread_mutex_unlock(&s->pool_lock);
}

int pgs_acquire(struct pg_store *s, enum pgs_mode mode, struct pgs_conn **out)
{
    struct pgs_conn *cn;
    int rc;

    *out = NULL;
    if (pgs_in_tx(s)) {
        if (group_is_lost(s))
            return s->group_lost;
        *out = &s->writer;
        return 0;
    }
    if ((rc = refuse_while_down(s)) != 0)
        return rc;
    if (mode == PGS_WRITE) {
        if ((rc = pg_begin(&s->base)) != 0)
            return rc;
        s->writer.implicit = true;
        *out = &s->writer;
        return 0;
    }
    cn = take_reader(s);
    if ((rc = conn_ready(s, cn)) != 0) {
        give_reader(s, cn);
        return rc;
    }
    *out = cn;
    return 0;
}

int pgs_release(struct pg_store *s, struct pgs_conn *cn, int rc)
{
    if (!cn)
        return rc;
    if (cn == &s->writer) {
        if (!cn->implicit)
            return rc;
        cn->implicit = false;
        if (rc) {
            pg_rollback(&s->base);
            return rc;
        }
        return pg_commit(&s->base);
    }
    give_reader(s, cn);
    return rc;
}

/* ---- meta ---- */

static int read_value(const struct pgs_row *row, void *item)
{
    bool oom = false;

    *(char **)item = pgs_col_str(row, 0, &oom);
    return oom ? LB_ENOMEM : 0;
}

int pgs_meta_get(struct store *base, const char *key, char **value)
{
    static const char sql[] = "SELECT value FROM meta WHERE key=$1";
    struct pgs_params p = {0};

    pgs_bind_text(&p, key);
    return pgs_get(pgs_of(base), sql, &p, value, read_value);
}

int pgs_meta_set(struct store *base, const char *key, const char *value)
{
    static const char sql[] = "INSERT INTO meta(key, value) VALUES($1, $2)"
                              " ON CONFLICT(key) DO UPDATE SET value=EXCLUDED.value";
    struct pgs_params p = {0};

    pgs_bind_text(&p, key);
    pgs_bind_text(&p, value);
    return pgs_write(pgs_of(base), sql, &p, NULL);
}

/* ---- open and close ---- */

static void pg_stats(struct store *base, struct store_stats *out)
{
    struct pg_store *s = pgs_of(base);

    out->transactions = atomic_load(&s->transactions);
    out->commits = atomic_load(&s->commits);
}

static void pg_close(struct store *base)
{
    struct pg_store *s = pgs_of(base);

    pgs_changes_stop(base);
    pgs_health_stop(&s->health); /* before the url it reads goes */
    for (size_t i = 0; i < PGS_READERS; i++)
        conn_close(&s->readers[i]);
    conn_close(&s->writer);
    pthread_mutex_destroy(&s->pool_lock);
    audit_sql_cache_free(&s->audit_sql);
    pthread_cond_destroy(&s->pool_cond);
    pthread_mutex_destroy(&s->wlock);
    pthread_cond_destroy(&s->group_done);
    lb_free(s->url);
    lb_free(s);
}

static const struct store_ops pg_ops = {
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .meta_get = pgs_meta_get,
    .meta_set = pgs_meta_set,
    .tenant_insert = pgs_tenant_insert,
    .tenant_get = pgs_tenant_get,
    .tenant_list = pgs_tenant_list,
    .tenant_update_settings = pgs_tenant_update_settings,
    .tenant_update_scopes = pgs_tenant_update_scopes,
    .user_insert = pgs_user_insert,
    .user_get = pgs_user_get,
    .user_get_by_username = pgs_user_get_by_username,
    .user_set_totp_step = pgs_user_set_totp_step,
    .user_list_for_tenant = pgs_user_list_for_tenant,
    .role_insert = pgs_role_insert,
    .role_get = pgs_role_get,
    .role_delete = pgs_role_delete,
    .role_list_for_user = pgs_role_list_for_user,
    .role_list_for_tenant = pgs_role_list_for_tenant,
    .role_count = pgs_role_count,
    .session_insert = pgs_session_insert,
    .session_get = pgs_session_get,
    .session_expire = pgs_session_expire,
    .token_get = pgs_token_get,
    .token_list = pgs_token_list,
    .token_delete = pgs_token_delete,
    .ticket_insert = pgs_ticket_insert,
    .ticket_get = pgs_ticket_get,
    .ticket_list = pgs_ticket_list,
    .ticket_event_append = pgs_ticket_event_append,
    .request_insert = pgs_request_insert,
    .request_update = pgs_request_update,
    .request_decision_insert = pgs_request_decision_insert,
    .request_get = pgs_request_get,
    .request_list = pgs_request_list,
    .request_each_approved = pgs_request_each_approved,
    .request_next_deadline = pgs_request_next_deadline,
    .request_due = pgs_request_due,
    .audit_insert = pgs_audit_insert,
    .audit_query = pgs_audit_query,
    .audit_chain_head = pgs_audit_chain_head,
    .audit_chains = pgs_audit_chains,
    .audit_chain_records = pgs_audit_chain_records,
    .audit_checkpoint_insert = pgs_audit_checkpoint_insert,
    .audit_checkpoints = pgs_audit_checkpoints,
    .audit_key_insert = pgs_audit_key_insert,
    .audit_keys = pgs_audit_keys,
    .audit_unchained = pgs_audit_unchained,
    .audit_link = pgs_audit_link,
    .audit_chain_names = pgs_audit_chain_names,
    .audit_checkpoint_before = pgs_audit_checkpoint_before,
    .audit_prune_mark = pgs_audit_prune_mark,
    .audit_prune = pgs_audit_prune,
    .audit_stream_put = pgs_audit_stream_put,
    .audit_stream_delete = pgs_audit_stream_delete,
    .audit_streams = pgs_audit_streams,
    .audit_stream_backlog = pgs_audit_stream_backlog,
    .audit_stream_update = pgs_audit_stream_update,
    .audit_stream_claim = pgs_audit_stream_claim,
    .audit_stream_hold = pgs_audit_stream_hold,
    .audit_stream_held = pgs_audit_stream_held,
    .audit_stream_release = pgs_audit_stream_release,
    .webhook_insert = pgs_webhook_insert,
    .webhook_get = pgs_webhook_get,
    .webhook_delete = pgs_webhook_delete,
    .webhook_list = pgs_webhook_list,
    .outbox_insert = pgs_outbox_insert,
    .outbox_due = pgs_outbox_due,
    .outbox_next_due = pgs_outbox_next_due,
    .outbox_update = pgs_outbox_update,
    .outbox_list_for_request = pgs_outbox_list_for_request,
    .outbox_count = pgs_outbox_count,
    .stats = pg_stats,
    .ping = pgs_ping,
    .seal_attach = pgs_seal_attach,
    .change_publish = pgs_change_publish,
    .changes_listen = pgs_changes_listen,
    .changes_stop = pgs_changes_stop,
    .login_throttle_get = pgs_login_throttle_get,
    .login_throttle_put = pgs_login_throttle_put,
    .login_throttle_delete = pgs_login_throttle_delete,
    .login_throttle_list = pgs_login_throttle_list,
    .login_throttle_prune = pgs_login_throttle_prune,
    .event_insert = pgs_event_insert,
    .event_list = pgs_event_list,
    .event_bounds = pgs_event_bounds,
    .event_prune = pgs_event_prune,
    .table_stat = pgs_table_stat,
    .table_each = pgs_table_each,
    .table_insert = pgs_table_insert,
    .table_seq_set = pgs_table_seq_set,
};

int store_pg_open(const char *url, struct store **out, struct buf *err)
{
    struct pg_store *s = lb_calloc(1, sizeof(*s));
    int rc = LB_ENOMEM;

    if (!s)
        return LB_ENOMEM;
    s->base.ops = &pg_ops;
    s->group_id = 1;
    pgs_node_init(s);
    pthread_mutex_init(&s->pool_lock, NULL);
    audit_sql_cache_init(&s->audit_sql);
    pthread_cond_init(&s->pool_cond, NULL);
    pthread_mutex_init(&s->wlock, NULL);
    pthread_cond_init(&s->group_done, NULL);
    if (!(s->url = lb_strdup(url)))
        goto fail;
    if ((rc = pgs_connect(&s->writer, url, err)) != 0 || (rc = pgs_migrate(&s->writer, err)) != 0)
        goto fail;
    /* from here on a server that goes away is noticed and waited out (an open that cannot
     * connect fails instead) */
    if ((rc = pgs_health_start(&s->health, s->url)) != 0)
        goto fail;
    s->writer.health = &s->health;
    s->writer.epoch = pgs_health_epoch(&s->health);
    for (size_t i = 0; i < PGS_READERS; i++)
        s->readers[i].health = &s->health;
    /* readers connect when first used: a store that only writes keeps one connection */
    *out = &s->base;
    return 0;
fail:
    pg_close(&s->base);
    return rc;
}
