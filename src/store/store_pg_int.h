/*
 * store_pg_int.h - what the files of the PostgreSQL backend share: the handle, its
 * connections, and the helpers every query uses. Nobody outside store/store_pg*.c sees it.
 *
 * A query binds its parameters into a struct pgs_params (text, as libpq sends them; $1 is the
 * first bound), then runs with one helper: pgs_get (one row into a struct, LB_ENOTFOUND when
 * none), pgs_list (every row into a growing array), pgs_int (one integer), pgs_write (rows
 * written, counted); each takes a connection (a reader, or the writer inside the caller's
 * transaction or for a write), runs the statement prepared once per connection (cached by
 * the SQL literal's address, as store_sqlite's sqs_stmt) and hands the connection back,
 * committing a write made outside a transaction. An op that needs several statements on one
 * connection takes it with pgs_acquire and runs them with pgs_run. Errors follow store.h:
 * a unique key (SQLSTATE class 23, as SQLite's SQLITE_CONSTRAINT) is LB_EEXISTS, a full disk
 * (53100) LB_ENOSPC, a server that cannot be reached LB_EUNAVAIL (see "Reachability" below),
 * anything else LB_ESTORE; a connection that breaks fails its call and is opened again by the
 * next one.
 *
 * Inserts that may meet a unique key are written INSERT ... ON CONFLICT DO NOTHING and read
 * "no row written" as LB_EEXISTS: a failed statement would abort the PostgreSQL transaction
 * the whole group shares, where SQLite undoes only the statement, and the caller's
 * transaction must go on (it may still commit, as on SQLite). Any other failed statement (a
 * foreign key, a full disk) dooms its logical transaction: later statements fail, and its
 * commit fails with the first failure's code, keeping nothing of it (SQLite would keep its
 * other writes); the other members of the group are not touched.
 */
#ifndef LB_STORE_STORE_PG_INT_H
#define LB_STORE_STORE_PG_INT_H

#include "store/audit_sql.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/strv.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Logs where a store call failed, then yields the code (SQLite's *_BKPT). */
#define STORE_ERR(code) pgs_err_at((code), __FILE__, __LINE__)

#define PGS_STMT_CACHE 160 /* statements prepared per connection (every query of the backend) */
#define PGS_READERS 4      /* reader connections (READ COMMITTED, each statement a snapshot) */
/* Most transactions that share one COMMIT: PostgreSQL keeps 64 subtransaction ids of a
 * session at hand, and past that every other session's snapshots get slower. */
#define PGS_GROUP_MAX 64
#define PGS_GROUP_RING 256 /* outcomes kept for waiters of recent groups */
#define PGS_PARAMS_MAX 32  /* most parameters of one statement */

/*
 * The advisory locks (pg_advisory_xact_lock(class, object)), fixed numbers every lockboxd
 * agrees on: class 0x4C4258 ("LBX"), object 1 for writes, 2 for migrations. Each is held by
 * a transaction until it ends.
 */
#define PGS_LOCK_WRITE "4997720, 1"
#define PGS_LOCK_MIGRATE "4997720, 2"

/*
 * Reachability (store_pg_health.c). A call that finds the server away marks the store down: a
 * connect that fails, a connection lost without a word, or the server's own word that it is
 * going (SQLSTATE class 08, 57P01 to 57P03: a shutdown, a crash, a server not yet accepting
 * connections). Its call fails with LB_EUNAVAIL, and while the store is down every call does so
 * at once, before it takes a connection or the write lock, so no thread that serves HTTP waits
 * on the network for a server that is not there. The store's own thread, the prober, tries to
 * connect every PGS_PROBE_MS meanwhile (one try at a time, with a short connect timeout); once
 * it can, calls go through again, and every connection made before the outage is opened anew
 * on its next use (its epoch is older), whether or not it looks alive.
 */
#define PGS_PROBE_MS 500 /* between two tries of the prober */
/* libpq's connect_timeout (whole seconds, 2 at least): at open, where a slow first start may
 * be waited for, and for every later connection, which a call or the prober waits for */
#define PGS_CONNECT_TIMEOUT_OPEN "10"
#define PGS_CONNECT_TIMEOUT "2"

struct pgs_health {
    const char *url; /* (borrowed) the store's */
    pthread_mutex_t lock;
    pthread_cond_t cond; /* wakes the prober: the store went down, or stops */
    pthread_t prober;
    bool inited, started, stopping;
    int64_t down_since_ms; /* under lock: monotonic, while down */
    atomic_bool down;
    atomic_uint epoch; /* bumped at each change of state */
};

/* Starts the prober of a zeroed h for url (borrowed: it must outlive h); LB_ENOMEM. */
int pgs_health_start(struct pgs_health *h, const char *url);
/* Stops the prober (waits for a try under way) and releases h; accepts a zeroed h. */
void pgs_health_stop(struct pgs_health *h);
/* true while the server is known to be away (false for a NULL h). */
bool pgs_health_is_down(struct pgs_health *h);
/* Marks the store down (logs why, once per outage) and wakes the prober; accepts NULL. */
void pgs_health_lost(struct pgs_health *h, const char *why);
/* The current epoch: a connection made in an older one is opened again before use. */
unsigned pgs_health_epoch(struct pgs_health *h);

/* One libpq connection and the statements prepared on it (statement "s<i>" is cache[i]). */
struct pgs_conn {
    PGconn *pg;                        /* NULL until connected, or after a failed connect */
    struct pgs_health *health;         /* (borrowed) told when the server cannot be reached;
                                        * NULL: nobody is */
    unsigned epoch;                    /* the health's epoch when pg was connected */
    const char *cache[PGS_STMT_CACHE]; /* SQL literals, keyed by address */
    size_t cached;
    bool busy;     /* a reader in use */
    bool implicit; /* a write outside a transaction: committed when released */
    int first_err; /* the LB_E* code of the first statement that failed since it was cleared
                    * (the writer's: when a group opens, when a savepoint is undone) */
    int pending;   /* statements sent in libpq's pipeline mode whose results are not read */
    bool ended;    /* the server ended the session (its FATAL came between statements) */
};

/*
 * Group commit, as store_sqlite's: a logical transaction is a SAVEPOINT inside the writer's
 * open PostgreSQL transaction (the group), which begins by taking the write lock, so the
 * groups of every lockboxd on the database run one at a time, as SQLite's writers do. When a
 * transaction ends while other threads wait to write, it leaves the group open and waits; the
 * last of the group COMMITs once and wakes the others with the outcome. Nobody's call returns
 * before its work is committed. Reads inside a transaction use the writer (they see its
 * writes); reads outside use a reader and see what is committed.
 */
enum pgs_mode { PGS_READ, PGS_WRITE };

#define PGS_NODE_BYTES 8
struct pgs_listener;

struct pg_store {
    struct store base;
    char *url; /* (owned) what every connection (re)connects to */
    struct pgs_conn writer;
    struct pgs_conn readers[PGS_READERS];
    pthread_mutex_t pool_lock;
    struct audit_sql_cache audit_sql; /* the audit search's statements by shape */
    pthread_cond_t pool_cond;
    pthread_mutex_t wlock; /* held from begin to the end of a logical transaction */
    pthread_cond_t group_done;
    atomic_int want; /* writers waiting for wlock */
    /* Written under wlock, read without it by any thread asking whether it is inside its own
     * transaction (which only that thread can make true): atomic, owner stored before in_tx. */
    atomic_bool in_tx;
    _Atomic(pthread_t) owner; /* the thread inside a logical transaction, valid while in_tx */
    bool group_open;
    int group_size;          /* committed members of the open group */
    int group_lost;          /* the group's transaction is gone (the connection broke, the
                              * server ended it): the code of the failure, else 0 */
    uint64_t group_id;       /* the open (or next) group */
    uint64_t finished_group; /* the last group closed */
    int group_rc[PGS_GROUP_RING];
    atomic_ullong transactions, commits;
    const struct seal *seal; /* (borrowed) set by seal_attach, before any concurrent use */
    char node[PGS_NODE_BYTES * 2 + 1]; /* this handle's random id, in the changes it publishes */
    struct pgs_listener *listener;     /* (owned) once store_changes_listen started it */
    struct pgs_health health;
};

/* A statement's parameters, as text ($1 is the first bound); a NULL value is SQL NULL. Not
 * to be copied: values may point into num. */
struct pgs_params {
    int count;
    const char *value[PGS_PARAMS_MAX];
    char num[PGS_PARAMS_MAX][24];
};

void pgs_bind_text(struct pgs_params *p, const char *v);
void pgs_bind_int(struct pgs_params *p, int64_t v);
/* A time: NULL for 0 (no time), as store_sqlite binds it. */
void pgs_bind_time(struct pgs_params *p, int64_t v);
void pgs_bind_bool(struct pgs_params *p, bool v);

/* One row of a result, handed to a pgs_read_fn. */
struct pgs_row {
    const PGresult *res;
    int index;
};

/* Reads one row into item; 0, or LB_ENOMEM (the item then owns nothing). */
typedef int pgs_read_fn(const struct pgs_row *row, void *item);

/* Column col as a borrowed string (NULL for NULL), a new copy (NULL for NULL; sets *oom
 * when the copy failed), an integer (0 for NULL: a time not set), a boolean. */
const char *pgs_col_text(const struct pgs_row *row, int col);
char *pgs_col_str(const struct pgs_row *row, int col, bool *oom);
int64_t pgs_col_int(const struct pgs_row *row, int col);
bool pgs_col_bool(const struct pgs_row *row, int col);

/* Logs file:line at debug level and yields code. */
int pgs_err_at(int code, const char *file, int line);
struct pg_store *pgs_of(struct store *st);
/* true when the calling thread is inside its logical transaction on s */
bool pgs_in_tx(struct pg_store *s);

/* A connection for mode into *cn (waits for a free reader; the writer joins the caller's
 * transaction, or begins one of its own for a write outside one); connects again first when
 * the connection was lost. */
int pgs_acquire(struct pg_store *s, enum pgs_mode mode, struct pgs_conn **cn);
/* Hands cn back (accepts NULL); a write outside a transaction commits here (rolls back when
 * rc is not 0). Returns the final code. */
int pgs_release(struct pg_store *s, struct pgs_conn *cn, int rc);

/* Runs sql (a literal: prepared once on cn, cached by address) with p (NULL: none) on cn.
 * With read, the rows are read into the growing array *items of *count elements of size
 * bytes (on an error the rows read so far stay counted, for the caller's *_list_clear); with
 * limit, at most that many. *changes (if not NULL) is the number of rows written. */
struct pgs_query {
    const char *sql;
    const struct pgs_params *params;
    pgs_read_fn *read;
    void *items; /* (a T **) */
    size_t *count;
    size_t size;
    size_t limit; /* 0: every row */
    int64_t *changes;
};
int pgs_run(struct pgs_conn *cn, const struct pgs_query *q);
/* Runs sql on cn and reads its first row into item with read; LB_ENOTFOUND when none. */
int pgs_get_on(struct pgs_conn *cn, const char *sql, const struct pgs_params *p, void *item,
               pgs_read_fn *read);
/* Runs sql on cn, its whole result into *out (the caller PQclears it; NULL on an error). */
int pgs_result_on(struct pgs_conn *cn, const char *sql, const struct pgs_params *p, PGresult **out);
/* Runs sql on cn answering one integer in *out (0 when it answers no row or NULL). */
int pgs_int_on(struct pgs_conn *cn, const char *sql, const struct pgs_params *p, int64_t *out);

/* The same, each on a connection of its own for the call (a reader, or the writer inside the
 * caller's transaction). */
int pgs_get(struct pg_store *s, const char *sql, const struct pgs_params *p, void *item,
            pgs_read_fn *read);
int pgs_list(struct pg_store *s, const struct pgs_query *q);
int pgs_int(struct pg_store *s, const char *sql, const struct pgs_params *p, int64_t *out);
/* Runs a write (on the writer); *changes (if not NULL) counts the rows it wrote. */
int pgs_write(struct pg_store *s, const char *sql, const struct pgs_params *p, int64_t *changes);
/* A write that must change a row: LB_ENOTFOUND when it changed none (an UPDATE or DELETE of
 * a row that is not there). */
int pgs_change(struct pg_store *s, const char *sql, const struct pgs_params *p);
/* An INSERT ... ON CONFLICT DO NOTHING: LB_EEXISTS when it wrote no row. */
int pgs_insert(struct pg_store *s, const char *sql, const struct pgs_params *p);

/*
 * Pipelined writes. Inside the caller's transaction, a write whose answer nobody reads (an
 * audit record, an event, a decision, a published change) is sent in libpq's pipeline mode
 * and not waited for: a logical transaction's writes cost one round trip together, not one
 * each, while every node waits for the write lock its group holds. The next statement that
 * needs an answer on the writer, or the logical transaction's commit, ends the pipeline
 * (pgs_pipeline_end) and reads every result; a failure among them dooms the logical
 * transaction as a failed statement does, with the first failure's code, so nothing of it
 * is kept. Outside a transaction pgs_defer is pgs_write.
 */
int pgs_defer(struct pg_store *s, const char *sql, const struct pgs_params *p);
/* Ends cn's pipeline, if one is open: sends a sync, reads every pending result, leaves
 * pipeline mode. 0, or the code of the first statement of it that failed. */
int pgs_pipeline_end(struct pgs_conn *cn);

/* The LB_E* code of a failed result (NULL: libpq could not even make one), remembered as
 * cn's first_err unless one is kept already. */
int pgs_code(struct pgs_conn *cn, const PGresult *res);
/* Runs sql (no parameters, no rows wanted; several statements allowed) on cn. */
int pgs_exec(struct pgs_conn *cn, const char *sql);
/* Connects cn to url (closing what it had), quiet: libpq's notices go to the debug log.
 * LB_EUNAVAIL when it cannot (cn's health is told). */
int pgs_connect(struct pgs_conn *cn, const char *url, struct buf *err);
/* The same with the short timeout of a connection made after the open (PGS_CONNECT_TIMEOUT). */
int pgs_reconnect(struct pgs_conn *cn, const char *url, struct buf *err);

/* store_pg_schema.c: applies the migrations cn's database has not had, under the migration
 * lock (a lockboxd starting beside another waits for it, then finds nothing to do). */
int pgs_migrate(struct pgs_conn *cn, struct buf *err);

/* store_pg_changes.c: the changes told to and heard from other lockboxd (store.h);
 * pgs_node_init gives the handle its id, pgs_changes_stop ends the listener (if any). */
void pgs_node_init(struct pg_store *s);
int pgs_change_publish(struct store *base, enum store_change kind, const char *key);
int pgs_changes_listen(struct store *base, store_change_fn *fn, void *ctx, int64_t resync_ms);
void pgs_changes_stop(struct store *base);

/* store_pg_seal.c: secrets at rest, as store_sqlite_seal.c. pgs_seal writes into *out a new
 * sealed copy of plain, bound to column ("users.totp_secret") and the row's id; pgs_unseal
 * replaces the sealed *value (when not NULL) with its plaintext. Both fail with LB_EKEY
 * without a seal. */
int pgs_seal(struct pg_store *s, const char *column, const char *id, const char *plain, char **out);
int pgs_unseal(struct pg_store *s, const char *column, const char *id, char **value);
int pgs_seal_attach(struct store *base, const struct seal *seal);

/* store_pg.c: meta */
int pgs_meta_get(struct store *base, const char *key, char **value);
int pgs_meta_set(struct store *base, const char *key, const char *value);
/* A trivial query on a reader (store_ping). */
int pgs_ping(struct store *base);

/* store_pg_tenant.c */
int pgs_tenant_insert(struct store *base, const struct tenant *t);
int pgs_tenant_get(struct store *base, const char *id, struct tenant *out);
int pgs_tenant_list(struct store *base, const char *only_id, struct tenant **items, size_t *count);
int pgs_tenant_update_settings(struct store *base, const struct tenant *t);
int pgs_tenant_update_scopes(struct store *base, const struct tenant *t);

/* store_pg_user.c: users and role assignments */
int pgs_user_insert(struct store *base, const struct user *u);
int pgs_user_get(struct store *base, const char *id, struct user *out);
int pgs_user_get_by_username(struct store *base, const char *username, struct user *out);
int pgs_user_set_totp_step(struct store *base, const char *id, int64_t step);
int pgs_user_list_for_tenant(struct store *base, const char *tenant_id, struct user_list *out);
int pgs_role_insert(struct store *base, const struct role_assignment *r);
int pgs_role_get(struct store *base, const char *id, struct role_assignment *out);
int pgs_role_delete(struct store *base, const char *id);
int pgs_role_list_for_user(struct store *base, const char *user_id, struct role_list *out);
int pgs_role_list_for_tenant(struct store *base, const char *tenant_id, struct role_list *out);
int pgs_role_count(struct store *base, const char *tenant_id, const char *role, const char *scope,
                   int64_t *count);

/* store_pg_session.c: sessions and API tokens */
int pgs_session_insert(struct store *base, const struct session *se);
int pgs_session_get(struct store *base, const char *token_hash, struct session *out);
int pgs_session_expire(struct store *base, const char *token_hash, int64_t at);
int pgs_token_get(struct store *base, const char *token_id, struct session *out);
int pgs_token_list(struct store *base, const char *user_id, struct session_list *out);
int pgs_token_delete(struct store *base, const char *token_id);

/* store_pg_ticket.c */
int pgs_ticket_insert(struct store *base, const struct ticket *t);
int pgs_ticket_get(struct store *base, const char *id, struct ticket *out);
int pgs_ticket_list(struct store *base, const char *tenant_id, int64_t before_seq, size_t limit,
                    struct ticket_list *out);
int pgs_ticket_event_append(struct store *base, const char *ticket_id,
                            const struct ticket_event *ev);

/* store_pg_request.c */
int pgs_request_insert(struct store *base, const struct request *r);
int pgs_request_update(struct store *base, const struct request *r);
int pgs_request_decision_insert(struct store *base, const char *request_id,
                                const struct decision *d);
int pgs_request_get(struct store *base, const char *id, struct request *out);
int pgs_request_list(struct store *base, const struct request_filter *f, struct request_list *out);
int pgs_request_each_approved(struct store *base, store_request_fn *fn, void *ctx);
int pgs_request_next_deadline(struct store *base, int64_t *at);
int pgs_request_due(struct store *base, int64_t now, size_t limit, char ***ids, size_t *count);

/* store_pg_audit.c */
int pgs_audit_insert(struct store *base, const struct audit_record *rec, int64_t *seq);
int pgs_audit_query(struct store *base, const struct audit_filter *f, struct audit_list *out);
int pgs_audit_chain_head(struct store *base, const char *chain, struct audit_chain_head *out);
int pgs_audit_chains(struct store *base, bool due_only, struct audit_chain_head_list *out);
int pgs_audit_chain_records(struct store *base, const char *chain, int64_t after_index,
                            size_t limit, struct audit_list *out);
int pgs_audit_checkpoint_insert(struct store *base, const struct audit_checkpoint *cp);
int pgs_audit_checkpoints(struct store *base, const char *chain, int64_t after_index, size_t limit,
                          struct audit_checkpoint_list *out);
int pgs_audit_key_insert(struct store *base, const struct audit_key *k);
int pgs_audit_keys(struct store *base, struct audit_key_list *out);
int pgs_audit_unchained(struct store *base, size_t limit, struct audit_list *out);
int pgs_audit_link(struct store *base, const struct audit_record *rec);
int pgs_audit_chain_names(struct store *base, char ***names, size_t *count);
int pgs_audit_checkpoint_before(struct store *base, const char *chain, int64_t time,
                                int64_t max_index, struct audit_checkpoint *out);
int pgs_audit_prune_mark(struct store *base, const char *chain, int64_t index);
int pgs_audit_prune(struct store *base, const char *chain, size_t limit, int64_t *deleted);
int pgs_audit_stream_put(struct store *base, const struct audit_stream *s);
int pgs_audit_stream_delete(struct store *base, const char *id, bool keep_sent);
int pgs_audit_streams(struct store *base, struct audit_stream_list *out);
int pgs_audit_stream_backlog(struct store *base, const char *id,
                             struct audit_stream_chain_list *out);
int pgs_audit_stream_update(struct store *base, const struct audit_stream *s, const char *owner,
                            const char *chain, int64_t index);
int pgs_audit_stream_hold(struct store *base, const char *stream, const char *chain, int64_t index,
                          const char *request_id);
int pgs_audit_stream_held(struct store *base, const char *stream, size_t limit,
                          struct audit_stream_held_list *out);
int pgs_audit_stream_release(struct store *base, const char *stream, const char *chain,
                             int64_t index);
int pgs_audit_stream_claim(struct store *base, const char *id, const char *owner, int64_t now,
                           int64_t until);

/* store_pg_notify.c: webhooks and the outbox */
int pgs_webhook_insert(struct store *base, const struct webhook *w);
int pgs_webhook_get(struct store *base, const char *id, struct webhook *out);
int pgs_webhook_delete(struct store *base, const char *id);
int pgs_webhook_list(struct store *base, const char *tenant_id, bool with_global,
                     struct webhook_list *out);
int pgs_outbox_insert(struct store *base, const struct outbox_msg *m);
int pgs_outbox_due(struct store *base, const char *channel, int64_t now, size_t limit,
                   struct outbox_list *out);
int pgs_outbox_next_due(struct store *base, const char *channel, int64_t *at);
int pgs_outbox_update(struct store *base, const struct outbox_msg *m);
int pgs_outbox_list_for_request(struct store *base, const char *request_id, bool tenant_only,
                                struct outbox_list *out);
int pgs_outbox_count(struct store *base, struct outbox_counts *out);

/* store_pg_login.c: the login throttle */
int pgs_login_throttle_get(struct store *base, enum throttle_kind kind, const char *name,
                           struct login_throttle *out);
int pgs_login_throttle_put(struct store *base, const struct login_throttle *t);
int pgs_login_throttle_delete(struct store *base, enum throttle_kind kind, const char *name);
int pgs_login_throttle_list(struct store *base, int kind, int64_t now, int64_t since,
                            struct login_throttle_list *out);
int pgs_login_throttle_prune(struct store *base, int64_t now, int64_t since);

/* store_pg_event.c: the request event stream */
int pgs_event_insert(struct store *base, const struct request_event *e, int64_t *seq);
int pgs_event_list(struct store *base, const struct request_event_filter *f,
                   struct request_event_list *out);
int pgs_event_bounds(struct store *base, int64_t *pruned_through, int64_t *last);
int pgs_event_prune(struct store *base, int64_t before, int64_t keep, int64_t *deleted);

/* store_pg_table.c: whole rows of the tables of store_table.h */
int pgs_table_stat(struct store *base, const struct store_table *t, int64_t *rows,
                   int64_t *last_seq);
int pgs_table_each(struct store *base, const struct store_table *t, store_row_fn *fn, void *ctx,
                   struct buf *err);
int pgs_table_insert(struct store *base, const struct store_table *t,
                     const struct store_value *rows, size_t count, struct buf *err);
int pgs_table_seq_set(struct store *base, const struct store_table *t, int64_t last_seq);

#endif
