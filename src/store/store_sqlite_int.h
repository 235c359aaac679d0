/*
 * store_sqlite_int.h - what the files of the SQLite backend share: the handle, its
 * connections, and the helpers every query uses. Nobody outside store/store_sqlite*.c sees it.
 *
 * A query takes a connection with sqs_acquire (a reader, or the writer for a write), gets a
 * cached prepared statement with sqs_stmt, binds, steps, and hands the connection back with
 * sqs_release, which also commits a write made outside a transaction: sqs_write and
 * sqs_query_* do all of it for one statement. Errors follow store.h.
 */
#ifndef LB_STORE_STORE_SQLITE_INT_H
#define LB_STORE_STORE_SQLITE_INT_H

#include "store/audit_sql.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/strv.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Logs where a store call failed, then yields the code (SQLite's *_BKPT). */
#define STORE_ERR(code) sqs_err_at((code), __FILE__, __LINE__)

#define STMT_CACHE_SIZE 128
#define READERS 4      /* read connections: readers never wait for the writer (WAL) */
#define GROUP_MAX 64   /* most transactions that share one commit */
#define GROUP_RING 256 /* outcomes kept for waiters of recent groups */

struct stmt_slot {
    const char *sql; /* a string literal: the cache is keyed on its address */
    sqlite3_stmt *stmt;
};

/* One SQLite connection and its prepared statements. */
struct conn {
    sqlite3 *db;
    struct stmt_slot cache[STMT_CACHE_SIZE];
    bool busy;     /* a reader in use */
    bool implicit; /* a write outside a transaction: committed when released */
    int last_err;  /* the LB_E* code of its last failed statement (sqs_code) */
};

/*
 * Group commit: a logical transaction is a SAVEPOINT inside the writer's open SQLite
 * transaction (the group). When it ends while other writers wait for the writer lock, it
 * leaves the group open and waits; the last of the group COMMITs once (one fsync) and wakes
 * the others with the group's outcome. Nobody's call returns before its work is durable.
 */
enum conn_mode { CONN_READ, CONN_WRITE };

struct sqlite_store {
    struct store base;
    struct conn writer;
    struct conn readers[READERS];
    size_t reader_count; /* 0 for ":memory:": reads then use the writer */
    pthread_mutex_t pool_lock;
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
    int group_lost;          /* SQLite rolled the group's transaction back by itself (a full
                              * disk, an I/O error): the code of the failure, else 0 */
    uint64_t group_id;       /* the open (or next) group */
    uint64_t finished_group; /* the last group closed */
    int group_rc[GROUP_RING];
    atomic_ullong transactions, commits;
    const struct seal *seal; /* (borrowed) set once by seal_attach, before any concurrent use */
    struct audit_sql_cache audit_sql; /* the audit search's statements by shape */
};

/* store_sqlite.c: the handle and its connections. */
struct sqlite_store *sqs_of(struct store *st);
/* A connection for mode (waits for a free reader; the writer joins the caller's transaction),
 * or NULL when the caller's group was lost or an implicit transaction could not begin. */
struct conn *sqs_acquire(struct sqlite_store *s, enum conn_mode mode);
/* Hands cn back (accepts NULL); a write outside a transaction commits here (or, on rc, rolls
 * back). Returns the final code. */
int sqs_release(struct sqlite_store *s, struct conn *cn, int rc);

/*
 * store_sqlite_query.c: the one way an operation runs a statement. A struct sqs_query is a
 * statement (a string literal: its prepared statement is cached by address) and its
 * parameters, args[i] binding ?(i+1), so a statement numbering them ?1, ?2, ... may use one
 * twice. SQS_QUERY builds one for a single call:
 *
 *     return sqs_write(sqs_of(base), SQS_QUERY(sql, SQS_TEXT(id)), LB_ENOTFOUND, NULL);
 *
 * sqs_write, sqs_query_one, sqs_query_list and sqs_query_int each acquire a connection,
 * prepare, bind, step, read and release it; the pieces under them stay for the operations that
 * run several statements on one connection (the event stream's prune, sealing).
 */
enum sqs_arg_type { SQS_ARG_NULL, SQS_ARG_TEXT, SQS_ARG_INT, SQS_ARG_TIME };

struct sqs_arg {
    enum sqs_arg_type type;
    const char *text; /* SQS_ARG_TEXT (borrowed for the call; NULL binds NULL) */
    int64_t num;      /* SQS_ARG_INT; SQS_ARG_TIME (Unix seconds; 0 binds NULL) */
};

#define SQS_TEXT(v) ((struct sqs_arg){.type = SQS_ARG_TEXT, .text = (v)})
#define SQS_INT(v) ((struct sqs_arg){.type = SQS_ARG_INT, .num = (int64_t)(v)})
#define SQS_TIME(v) ((struct sqs_arg){.type = SQS_ARG_TIME, .num = (v)})
#define SQS_NULL ((struct sqs_arg){.type = SQS_ARG_NULL})

struct sqs_query {
    const char *sql;
    const struct sqs_arg *args;
    size_t arg_count;
};

/* The query of sql with the parameters that follow (at least one), valid in the caller's
 * block. */
#define SQS_QUERY(sql_, ...)                                                                       \
    (&(const struct sqs_query){(sql_), (const struct sqs_arg[]){__VA_ARGS__},                      \
                               sizeof((const struct sqs_arg[]){__VA_ARGS__}) /                     \
                                   sizeof(struct sqs_arg)})
/* The query of sql, which has no parameters. */
#define SQS_QUERY_NOARGS(sql_) (&(const struct sqs_query){(sql_), NULL, 0})
/* The array, count and element size of a model list (`items`, `count`) for sqs_query_list. */
#define SQS_LIST(l) &(l)->items, &(l)->count, sizeof(*(l)->items)

/* Reads one row into item (a struct of the caller's list); 0 or LB_ENOMEM, having cleared
 * item. */
typedef int sqs_row_fn(sqlite3_stmt *st, void *item);
/* Reads what else item holds on the connection its row came from (a ticket's history, a
 * request's decisions); on failure it clears item. */
typedef int sqs_more_fn(struct conn *cn, void *item);

/* Runs q, a write, on the writer (in the caller's transaction, or in one of its own that
 * commits before the return). When no row changed it answers none_rc (0: that is fine);
 * *rowid (if not NULL) receives the id of the row inserted. */
int sqs_write(struct sqlite_store *s, const struct sqs_query *q, int none_rc, int64_t *rowid);
/* Reads the first row of q into item with read, then with more (if not NULL) the rest of it;
 * LB_ENOTFOUND, leaving item untouched, when there is no row. */
int sqs_query_one(struct sqlite_store *s, const struct sqs_query *q, void *item, sqs_row_fn *read,
                  sqs_more_fn *more);
/* Reads every row of q into the growing array *items of *count elements of size bytes (start
 * them zeroed), each with read and then more (if not NULL). On an error the items read so far
 * stay counted, for the caller's *_list_clear. */
int sqs_query_list(struct sqlite_store *s, const struct sqs_query *q, void *items, size_t *count,
                   size_t size, sqs_row_fn *read, sqs_more_fn *more);
/* The one integer q answers into *out (0 for NULL). */
int sqs_query_int(struct sqlite_store *s, const struct sqs_query *q, int64_t *out);

/* Logs file:line at debug level and yields code. */
int sqs_err_at(int code, const char *file, int line);
/* An SQLite result code as an LB_E* code (constraint: LB_EEXISTS; a full disk or quota,
 * SQLITE_FULL or an I/O error with ENOSPC or EDQUOT: LB_ENOSPC), remembered as cn's last. */
int sqs_code(struct conn *cn, int rc);
/* A prepared, reset statement for sql (a string literal: cached by address), or NULL. */
sqlite3_stmt *sqs_stmt(struct conn *cn, const char *sql);
/* Resets a cached statement, or finalizes one the cache had no room for. */
void sqs_stmt_done(struct conn *cn, sqlite3_stmt *st);
/* Binds q's parameters to st. */
void sqs_bind(sqlite3_stmt *st, const struct sqs_query *q);
/* Binds v, or NULL when v is NULL (text) or 0 (time). */
void sqs_bind_text(sqlite3_stmt *st, int i, const char *v);
void sqs_bind_time(sqlite3_stmt *st, int i, int64_t v);
/* Column i as Unix seconds, 0 for NULL. */
int64_t sqs_col_time(sqlite3_stmt *st, int i);
/* A new copy of column i's text, or NULL (sets *oom when the copy failed). */
char *sqs_col_str(sqlite3_stmt *st, int i, bool *oom);
/* A row reader: the first column's text into the `char *` item (a new string, or NULL). */
int sqs_row_str(sqlite3_stmt *st, void *item);
/* Steps a statement that returns no rows. */
int sqs_run(struct conn *cn, sqlite3_stmt *st);
/* Steps the bound statement st once: its row read with read into item, or LB_ENOTFOUND. */
int sqs_get_one(struct conn *cn, sqlite3_stmt *st, void *item, sqs_row_fn *read);
/* Steps the bound statement st, reading each row with read into the growing array *items of
 * *count elements of size bytes; resets st. On an error the rows read so far stay counted,
 * for the caller's *_list_clear. */
int sqs_collect(struct conn *cn, sqlite3_stmt *st, void *items, size_t *count, size_t size,
                sqs_row_fn *read);
/* Runs sql (no parameters, no rows wanted) on cn. */
int sqs_exec(struct conn *cn, const char *sql);
/* Runs one transaction-control statement (BEGIN, SAVEPOINT, COMMIT, ...; a literal) on cn,
 * prepared once and then kept in cn's cache: they run several times per logical transaction. */
int sqs_tx(struct conn *cn, const char *sql);

/* store_sqlite_schema.c: the numbered migrations (applied on cn at open; `err`, if given,
 * says which failed) and the meta table. */
int sqs_migrate(struct conn *cn, struct buf *err);
int sqs_meta_get(struct store *base, const char *key, char **value);
int sqs_meta_set(struct store *base, const char *key, const char *value);

/* store_sqlite_tenants.c */
int sqs_tenant_insert(struct store *base, const struct tenant *t);
int sqs_tenant_get(struct store *base, const char *id, struct tenant *out);
int sqs_tenant_list(struct store *base, const char *only_id, struct tenant **items, size_t *count);
int sqs_tenant_update_settings(struct store *base, const struct tenant *t);
int sqs_tenant_update_scopes(struct store *base, const struct tenant *t);

/* store_sqlite_users.c: users and their role assignments. */
int sqs_user_insert(struct store *base, const struct user *u);
int sqs_user_get(struct store *base, const char *id, struct user *out);
int sqs_user_get_by_username(struct store *base, const char *username, struct user *out);
int sqs_user_set_totp_step(struct store *base, const char *id, int64_t step);
int sqs_user_list_for_tenant(struct store *base, const char *tenant_id, struct user_list *out);
int sqs_role_insert(struct store *base, const struct role_assignment *r);
int sqs_role_get(struct store *base, const char *id, struct role_assignment *out);
int sqs_role_delete(struct store *base, const char *id);
int sqs_role_list_for_user(struct store *base, const char *user_id, struct role_list *out);
int sqs_role_list_for_tenant(struct store *base, const char *tenant_id, struct role_list *out);
int sqs_role_count(struct store *base, const char *tenant_id, const char *role, const char *scope,
                   int64_t *count);

/* store_sqlite_tickets.c */
int sqs_ticket_insert(struct store *base, const struct ticket *t);
int sqs_ticket_get(struct store *base, const char *id, struct ticket *out);
int sqs_ticket_list(struct store *base, const char *tenant_id, int64_t before_seq, size_t limit,
                    struct ticket_list *out);
int sqs_ticket_event_append(struct store *base, const char *ticket_id,
                            const struct ticket_event *ev);

/* store_sqlite_requests.c: requests, their decisions and the scheduler's deadlines. */
int sqs_request_insert(struct store *base, const struct request *r);
int sqs_request_update(struct store *base, const struct request *r);
int sqs_request_decision_insert(struct store *base, const char *request_id,
                                const struct decision *d);
int sqs_request_get(struct store *base, const char *id, struct request *out);
int sqs_request_list(struct store *base, const struct request_filter *f, struct request_list *out);
int sqs_request_each_approved(struct store *base, store_request_fn *fn, void *ctx);
int sqs_request_next_deadline(struct store *base, int64_t *at);
int sqs_request_due(struct store *base, int64_t now, size_t limit, char ***ids, size_t *count);

/* store_sqlite_audit.c */
int sqs_audit_insert(struct store *base, const struct audit_record *rec, int64_t *seq);
int sqs_audit_query(struct store *base, const struct audit_filter *f, struct audit_list *out);
int sqs_audit_chain_head(struct store *base, const char *chain, struct audit_chain_head *out);
int sqs_audit_chains(struct store *base, bool due_only, struct audit_chain_head_list *out);
int sqs_audit_chain_records(struct store *base, const char *chain, int64_t after_index,
                            size_t limit, struct audit_list *out);
int sqs_audit_checkpoint_insert(struct store *base, const struct audit_checkpoint *cp);
int sqs_audit_checkpoints(struct store *base, const char *chain, int64_t after_index, size_t limit,
                          struct audit_checkpoint_list *out);
int sqs_audit_key_insert(struct store *base, const struct audit_key *k);
int sqs_audit_keys(struct store *base, struct audit_key_list *out);
int sqs_audit_unchained(struct store *base, size_t limit, struct audit_list *out);
int sqs_audit_link(struct store *base, const struct audit_record *rec);
int sqs_audit_chain_names(struct store *base, char ***names, size_t *count);
int sqs_audit_checkpoint_before(struct store *base, const char *chain, int64_t time,
                                int64_t max_index, struct audit_checkpoint *out);
int sqs_audit_prune_mark(struct store *base, const char *chain, int64_t index);
int sqs_audit_prune(struct store *base, const char *chain, size_t limit, int64_t *deleted);
int sqs_audit_stream_put(struct store *base, const struct audit_stream *s);
int sqs_audit_stream_delete(struct store *base, const char *id, bool keep_sent);
int sqs_audit_streams(struct store *base, struct audit_stream_list *out);
int sqs_audit_stream_backlog(struct store *base, const char *id,
                             struct audit_stream_chain_list *out);
int sqs_audit_stream_update(struct store *base, const struct audit_stream *s, const char *owner,
                            const char *chain, int64_t index);
int sqs_audit_stream_hold(struct store *base, const char *stream, const char *chain, int64_t index,
                          const char *request_id);
int sqs_audit_stream_held(struct store *base, const char *stream, size_t limit,
                          struct audit_stream_held_list *out);
int sqs_audit_stream_release(struct store *base, const char *stream, const char *chain,
                             int64_t index);
int sqs_audit_stream_claim(struct store *base, const char *id, const char *owner, int64_t now,
                           int64_t until);

/* store_sqlite_seal.c: secrets at rest. sqs_seal writes into *out a new sealed copy of plain,
 * bound to column ("users.totp_secret") and the row's id; sqs_unseal replaces the sealed
 * *value (when not NULL) with its plaintext. Both fail with LB_EKEY without a seal. */
int sqs_seal(struct sqlite_store *s, const char *column, const char *id, const char *plain,
             char **out);
int sqs_unseal(struct sqlite_store *s, const char *column, const char *id, char **value);
int sqs_seal_attach(struct store *base, const struct seal *seal);

/* store_sqlite_login.c: the login throttle's operations of store_ops. */
int sqs_login_throttle_get(struct store *base, enum throttle_kind kind, const char *name,
                           struct login_throttle *out);
int sqs_login_throttle_put(struct store *base, const struct login_throttle *t);
int sqs_login_throttle_delete(struct store *base, enum throttle_kind kind, const char *name);
int sqs_login_throttle_list(struct store *base, int kind, int64_t now, int64_t since,
                            struct login_throttle_list *out);
int sqs_login_throttle_prune(struct store *base, int64_t now, int64_t since);

/* store_sqlite_events.c: the request event stream's operations of store_ops. */
int sqs_event_insert(struct store *base, const struct request_event *e, int64_t *seq);
int sqs_event_list(struct store *base, const struct request_event_filter *f,
                   struct request_event_list *out);
int sqs_event_bounds(struct store *base, int64_t *pruned_through, int64_t *last);
int sqs_event_prune(struct store *base, int64_t before, int64_t keep, int64_t *deleted);

/* store_sqlite_sessions.c: sessions and API tokens. */
int sqs_session_insert(struct store *base, const struct session *se);
int sqs_session_get(struct store *base, const char *token_hash, struct session *out);
int sqs_session_expire(struct store *base, const char *token_hash, int64_t at);
int sqs_token_get(struct store *base, const char *token_id, struct session *out);
int sqs_token_list(struct store *base, const char *user_id, struct session_list *out);
int sqs_token_delete(struct store *base, const char *token_id);

/* store_sqlite_notify.c: the webhook and outbox operations of store_ops. */
int sqs_webhook_insert(struct store *base, const struct webhook *w);
int sqs_webhook_get(struct store *base, const char *id, struct webhook *out);
int sqs_webhook_delete(struct store *base, const char *id);
int sqs_webhook_list(struct store *base, const char *tenant_id, bool with_global,
                     struct webhook_list *out);
int sqs_outbox_insert(struct store *base, const struct outbox_msg *m);
int sqs_outbox_due(struct store *base, const char *channel, int64_t now, size_t limit,
                   struct outbox_list *out);
int sqs_outbox_next_due(struct store *base, const char *channel, int64_t *at);
int sqs_outbox_update(struct store *base, const struct outbox_msg *m);
int sqs_outbox_list_for_request(struct store *base, const char *request_id, bool tenant_only,
                                struct outbox_list *out);
int sqs_outbox_count(struct store *base, struct outbox_counts *out);

/* store_sqlite_table.c: whole rows of the tables of store_table.h. */
int sqs_table_stat(struct store *base, const struct store_table *t, int64_t *rows,
                   int64_t *last_seq);
int sqs_table_each(struct store *base, const struct store_table *t, store_row_fn *fn, void *ctx,
                   struct buf *err);
int sqs_table_insert(struct store *base, const struct store_table *t,
                     const struct store_value *rows, size_t count, struct buf *err);
int sqs_table_seq_set(struct store *base, const struct store_table *t, int64_t last_seq);

#endif
