/*
 * store.h - the persistence interface of Lockbox; no SQL exists outside store/.
 *
 * A `struct store` is opened by a backend (store_sqlite_open, or store_pg_open for PostgreSQL,
 * whose schema is the same translated; see store_pg_int.h for where it differs), which
 * fills its `ops` table; callers use only the store_<object>_<verb>() wrappers below, never
 * the table, so a backend's calls can be traced and checked in one place. Every call returns
 * 0 or a negative LB_E* code: LB_ENOTFOUND when a looked-up row is absent, LB_EEXISTS when an
 * insert hits a unique key, LB_ENOMEM, LB_ENOSPC when the storage is full (a full disk or
 * quota: the transaction wrote nothing; reads go on, and writes work again once there is
 * room), and LB_ESTORE for any other backend failure (the backend logs the detail at debug
 * level with its file and line).
 *
 * Reachability: a backend whose database is a server (PostgreSQL) answers LB_EUNAVAIL when it
 * cannot reach it now (down, restarting, unreachable, the connection broke): the call did
 * nothing, and a transaction it belonged to is rolled back. While the server stays away such
 * calls fail at once, without waiting on the network, and the same store works again by itself
 * once the server answers; store_ping asks without doing anything. A commit whose answer was
 * lost with the connection may or may not have been applied: it answers LB_ESTORE, never
 * LB_EUNAVAIL. SQLite never answers LB_EUNAVAIL.
 *
 * Transactions: store_begin()..store_commit() (or store_rollback()) make every write between
 * them atomic and durable at commit; a state change, its audit records and (later) its outbox
 * messages are written in one. The handle is thread-safe: a transaction belongs to the thread
 * that began it and other threads wait for it to end; calls made outside a transaction are
 * each atomic on their own.
 *
 * Memory: calls that fill a caller's struct allocate its string and array fields; the caller
 * releases them with the matching *_clear() of model/ (which accepts a zeroed struct). Structs
 * passed in for inserts and updates are borrowed. The records themselves (tenants, users,
 * requests, ...) are model/'s: this header holds only the backend table and its wrappers.
 *
 * Schema (SQLite backend, migration 1; times are Unix seconds):
 *   meta(key PK, value)                         server secrets and schema facts
 *   tenants(id PK, name UNIQUE, plan, created_at, settings columns...)
 *   users(id PK, tenant_id NULL=provider, username UNIQUE, ..., totp_secret, totp_last_step)
 *   role_assignments(id PK, tenant_id NULL=provider, user_id, role, scope, UNIQUE(user,role,scope))
 *   sessions(token_hash PK, user_id, mfa, created_at, expires_at)
 *   tickets(seq INTEGER PK, id UNIQUE, tenant_id, ...), ticket_history(ticket_id, at, by, type,
 * text) requests(seq INTEGER PK, id UNIQUE, tenant_id, ..., status, expires_at, grant_*, deadline)
 *   request_decisions(request_id, seq, kind, by_id, by_username, decision, at, reason, client_ip)
 *   audit(seq INTEGER PK AUTOINCREMENT, time, tenant_id, actor..., item, request_id, details)
 *     append-only: triggers refuse UPDATE and DELETE.
 * Migration 2 (notifications):
 *   tenants + email_links, reminder_before_seconds; requests + reminder_at
 *   webhooks(id PK, tenant_id NULL=every tenant, url, events '\n'-joined, secret, created_at)
 *   outbox(seq INTEGER PK, id UNIQUE, tenant_id, request_id, event, channel, recipient,
 *          webhook_id, payload, tenant_visible, created_at, status, attempts,
 *          next_attempt_at, last_attempt_at, delivered_at, last_error)   the outbox
 * Migration 3 (resources belong to their tenant):
 *   tenants + resource_scopes ('\n'-joined prefixes; '' for stores made before: none owned)
 *   That two tenants' scopes never overlap is core's rule, checked inside the write
 *   transaction that changes them (SQLite has one writer; a backend with concurrent writers
 *   must serialise those transactions).
 * Migration 4 (login throttling):
 *   login_throttle(kind 0=username 1=address, name, failures, last_failure_at, locked_until,
 *                  PRIMARY KEY(kind, name))
 * Migration 5 (the request event stream):
 *   events(seq INTEGER PK AUTOINCREMENT, id, type, tenant_id, request_id, tenant_visible,
 *          created_at, body)   pruned from the oldest; meta events_pruned_through
 * Migration 6 (API tokens of service accounts):
 *   sessions + token_id (UNIQUE when set), name: a session with a token_id is an API token,
 *   listed and revoked (its row deleted) by that id; login sessions have neither
 * Migration 7: an index of a user's role assignments.
 * Migration 8 (the audit log's hash chains, audit/chain.h):
 *   audit + chain, chain_index (UNIQUE per chain), prev_hash, hash; a record's one allowed
 *   change is its chaining when it has no hash (records of stores made before)
 *   audit_chains(chain PK, head_index, head_hash, head_time, checkpoint_index,
 *                checkpoint_time)   a chain's newest record and checkpoint, kept by the writes
 *   audit_checkpoints(chain, chain_index, hash, time, key_id, signature, PK(chain, index))
 *     append-only
 *   audit_keys(id PK, public_key, created_at, retired_at)   the keys that sign checkpoints
 * Migration 9 (the log streamed to syslog collectors, notify/syslog.h):
 *   tenants + audit_syslog_url ('' for none), audit_syslog_profile
 *   audit_streams(id PK, url, profile, created_at, delivered, attempts, next_attempt_at,
 *                 last_attempt_at, last_error, lease_owner, lease_until)   "provider" or a
 *                 tenant's id
 *   audit_stream_cursors(stream, chain, chain_index, PK(stream, chain))   the last record of
 *     the chain the stream sent; a chain without one is sent from its first record
 *   audit_stream_held(stream, chain, chain_index, request_id, PK(stream, chain, index))
 *     records a tenant's stream passed while their request was under internal review
 * Migration 10 (retention, audit/chains.h):
 *   tenants + audit_retention_seconds (0: kept for ever); audit_chains + pruned_index: the
 *   chain's records through it (a signed checkpoint's index) may be deleted, and only those:
 *   the delete trigger refuses any other
 * Migration 11: audit indexes (tenant_id, actor, seq) and (tenant_id, activity, seq).
 *   A chain's next record is linked to its newest inside the write transaction (SQLite: one
 *   writer; a backend with concurrent writers must serialise a chain's appends).
 * Migration 12: audit index (tenant_id, time, seq): a tenant's search in a time window.
 * Migration 13: tenants + grant_report_mail (default 1): the mail of a grant's report.
 * Migration 14: requests + requester_display_name, requester_mfa, requester_isolated (NULL:
 *   unknown): what the JIT policy weighed of the requester, kept when the request is made;
 *   requests made before take them from their request.create record where it kept them.
 *
 * The event stream (model/request_event.h) is backend-neutral: an event's seq is given at
 * insert, never reused (not even after its row is pruned), and increases in commit order, so
 * a reader that has seen seq N never later finds a new event below N (SQLite: one writer; a
 * backend with concurrent writers must serialise the inserts of events up to their commit).
 * Pruning deletes a prefix of the stream and records the newest seq it deleted.
 *
 * Secrets at rest: users.totp_secret and webhooks.secret are kept sealed (store/seal.h, bound
 * to the row's column and id); callers see and pass plaintext. A store seals with the seal
 * given to store_seal_attach, whose key id it keeps in meta (STORE_META_SEAL_KEY_ID); until a
 * seal is attached, every call that reads or writes a secret fails with LB_EKEY.
 *
 * Several processes on one store (PostgreSQL): each keeps indexes in memory (the grants the
 * doors answer from, tenant scopes, sessions, login throttling), so every write transaction
 * that changes what they hold publishes the change (store_change_publish), delivered to the
 * others' listeners (store_changes_listen) after it commits, in commit order.
 *
 * Whole rows (store_table.h): store_table_each and store_table_insert read and write a table's
 * rows exactly as kept, every column as it is (seq numbers, sealed secrets as their sealed text,
 * audit records), for moving a store to another backend (store_copy.h); no other caller uses
 * them, and what they write is not checked against the domain's rules.
 */
#ifndef LB_STORE_STORE_H
#define LB_STORE_STORE_H

#include "model/audit.h"
#include "model/login_throttle.h"
#include "model/outbox.h"
#include "model/request.h"
#include "model/request_event.h"
#include "model/role.h"
#include "model/session.h"
#include "model/tenant.h"
#include "model/ticket.h"
#include "model/user.h"
#include "model/webhook.h"
#include "store/store_table.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_stats {
    uint64_t transactions; /* logical transactions committed */
    uint64_t commits;      /* durable commits (each one fsync of the log) */
};

/* Called once per approved request by store_request_each_approved; non-zero stops. */
typedef int store_request_fn(void *ctx, const struct request *req);

/* What a change told to the other lockboxd sharing the store is about (its key in brackets):
 * what they keep in memory about it is to be read again from the store. */
enum store_change {
    STORE_CHANGE_RESYNC,   /* (none) changes may have been missed: read everything again */
    STORE_CHANGE_REQUEST,  /* (request id) new events of it (a change that left its grant be) */
    STORE_CHANGE_TENANT,   /* (tenant id) its resource scopes */
    STORE_CHANGE_SESSION,  /* (token hash) the session or API token ended */
    STORE_CHANGE_THROTTLE, /* ("0:" username or "1:" address) its failed-login record */
    STORE_CHANGE_WEBHOOK,  /* (tenant id, "" for the every-tenant ones) its webhook endpoints */
    STORE_CHANGE_GRANT,    /* (request id) its grant began or ended; and new events of it */
    STORE_CHANGE_LOST,     /* (none) the listener cannot hear changes now (until a RESYNC) */
};

/* Called by the store's listener with each change another process committed (key borrowed,
 * NULL for STORE_CHANGE_RESYNC), one at a time, on the listener's thread. */
typedef void store_change_fn(void *ctx, enum store_change kind, const char *key);

/* The meta key holding the id of the key that sealed the store's secrets. */
#define STORE_META_SEAL_KEY_ID "seal_key_id"

struct store;
struct seal;

/* The backend table: one function per operation, each doing exactly what its wrapper below
 * says (callers never use it: they call the wrappers). A backend fills every entry. */
struct store_ops {
    void (*close)(struct store *st);
    int (*begin)(struct store *st);
    int (*commit)(struct store *st);
    void (*rollback)(struct store *st);
    void (*stats)(struct store *st, struct store_stats *out);
    int (*seal_attach)(struct store *st, const struct seal *seal);
    int (*change_publish)(struct store *st, enum store_change kind, const char *key);
    int (*changes_listen)(struct store *st, store_change_fn *fn, void *ctx, int64_t resync_ms);
    void (*changes_stop)(struct store *st);

    int (*meta_get)(struct store *st, const char *key, char **value);
    int (*meta_set)(struct store *st, const char *key, const char *value);

    int (*tenant_insert)(struct store *st, const struct tenant *t);
    int (*tenant_get)(struct store *st, const char *id, struct tenant *out);
    int (*tenant_list)(struct store *st, const char *only_id, struct tenant **items, size_t *count);
    int (*tenant_update_settings)(struct store *st, const struct tenant *t);
    int (*tenant_update_scopes)(struct store *st, const struct tenant *t);

    int (*user_insert)(struct store *st, const struct user *u);
    int (*user_get)(struct store *st, const char *id, struct user *out);
    int (*user_get_by_username)(struct store *st, const char *username, struct user *out);
    int (*user_set_totp_step)(struct store *st, const char *id, int64_t step);
    int (*user_list_for_tenant)(struct store *st, const char *tenant_id, struct user_list *out);

    int (*role_insert)(struct store *st, const struct role_assignment *r);
    int (*role_get)(struct store *st, const char *id, struct role_assignment *out);
    int (*role_delete)(struct store *st, const char *id);
    int (*role_list_for_user)(struct store *st, const char *user_id, struct role_list *out);
    int (*role_list_for_tenant)(struct store *st, const char *tenant_id, struct role_list *out);
    int (*role_count)(struct store *st, const char *tenant_id, const char *role, const char *scope,
                      int64_t *count);

    int (*session_insert)(struct store *st, const struct session *s);
    int (*session_get)(struct store *st, const char *token_hash, struct session *out);
    int (*session_expire)(struct store *st, const char *token_hash, int64_t at);
    int (*token_get)(struct store *st, const char *token_id, struct session *out);
    int (*token_list)(struct store *st, const char *user_id, struct session_list *out);
    int (*token_delete)(struct store *st, const char *token_id);

    int (*ticket_insert)(struct store *st, const struct ticket *t);
    int (*ticket_get)(struct store *st, const char *id, struct ticket *out);
    int (*ticket_list)(struct store *st, const char *tenant_id, int64_t before_seq, size_t limit,
                       struct ticket_list *out);
    int (*ticket_event_append)(struct store *st, const char *ticket_id,
                               const struct ticket_event *ev);

    int (*request_insert)(struct store *st, const struct request *r);
    int (*request_update)(struct store *st, const struct request *r);
    int (*request_decision_insert)(struct store *st, const char *request_id,
                                   const struct decision *d);
    int (*request_get)(struct store *st, const char *id, struct request *out);
    int (*request_list)(struct store *st, const struct request_filter *f, struct request_list *out);
    int (*request_each_approved)(struct store *st, store_request_fn *fn, void *ctx);
    int (*request_next_deadline)(struct store *st, int64_t *at);
    int (*request_due)(struct store *st, int64_t now, size_t limit, char ***ids, size_t *count);

    int (*audit_insert)(struct store *st, const struct audit_record *rec, int64_t *seq);
    int (*audit_query)(struct store *st, const struct audit_filter *f, struct audit_list *out);
    int (*audit_chain_head)(struct store *st, const char *chain, struct audit_chain_head *out);
    int (*audit_chains)(struct store *st, bool due_only, struct audit_chain_head_list *out);
    int (*audit_chain_records)(struct store *st, const char *chain, int64_t after_index,
                               size_t limit, struct audit_list *out);
    int (*audit_checkpoint_insert)(struct store *st, const struct audit_checkpoint *cp);
    int (*audit_checkpoints)(struct store *st, const char *chain, int64_t after_index, size_t limit,
                             struct audit_checkpoint_list *out);
    int (*audit_key_insert)(struct store *st, const struct audit_key *k);
    int (*audit_keys)(struct store *st, struct audit_key_list *out);
    int (*audit_unchained)(struct store *st, size_t limit, struct audit_list *out);
    int (*audit_link)(struct store *st, const struct audit_record *rec);
    int (*audit_chain_names)(struct store *st, char ***names, size_t *count);
    int (*audit_checkpoint_before)(struct store *st, const char *chain, int64_t time,
                                   int64_t max_index, struct audit_checkpoint *out);
    int (*audit_prune_mark)(struct store *st, const char *chain, int64_t index);
    int (*audit_prune)(struct store *st, const char *chain, size_t limit, int64_t *deleted);
    int (*audit_stream_put)(struct store *st, const struct audit_stream *s);
    int (*audit_stream_delete)(struct store *st, const char *id, bool keep_sent);
    int (*audit_streams)(struct store *st, struct audit_stream_list *out);
    int (*audit_stream_backlog)(struct store *st, const char *id,
                                struct audit_stream_chain_list *out);
    int (*audit_stream_update)(struct store *st, const struct audit_stream *s, const char *owner,
                               const char *chain, int64_t index);
    int (*audit_stream_hold)(struct store *st, const char *stream, const char *chain, int64_t index,
                             const char *request_id);
    int (*audit_stream_held)(struct store *st, const char *stream, size_t limit,
                             struct audit_stream_held_list *out);
    int (*audit_stream_release)(struct store *st, const char *stream, const char *chain,
                                int64_t index);
    int (*audit_stream_claim)(struct store *st, const char *id, const char *owner, int64_t now,
                              int64_t until);

    int (*webhook_insert)(struct store *st, const struct webhook *w);
    int (*webhook_get)(struct store *st, const char *id, struct webhook *out);
    int (*webhook_delete)(struct store *st, const char *id);
    int (*webhook_list)(struct store *st, const char *tenant_id, bool with_global,
                        struct webhook_list *out);

    int (*outbox_insert)(struct store *st, const struct outbox_msg *m);
    int (*outbox_due)(struct store *st, const char *channel, int64_t now, size_t limit,
                      struct outbox_list *out);
    int (*outbox_next_due)(struct store *st, const char *channel, int64_t *at);
    int (*outbox_update)(struct store *st, const struct outbox_msg *m);
    int (*outbox_list_for_request)(struct store *st, const char *request_id, bool tenant_only,
                                   struct outbox_list *out);
    int (*outbox_count)(struct store *st, struct outbox_counts *out);

    int (*login_throttle_get)(struct store *st, enum throttle_kind kind, const char *name,
                              struct login_throttle *out);
    int (*login_throttle_put)(struct store *st, const struct login_throttle *t);
    int (*login_throttle_delete)(struct store *st, enum throttle_kind kind, const char *name);
    int (*login_throttle_list)(struct store *st, int kind, int64_t now, int64_t since,
                               struct login_throttle_list *out);
    int (*login_throttle_prune)(struct store *st, int64_t now, int64_t since);

    int (*event_insert)(struct store *st, const struct request_event *e, int64_t *seq);
    int (*event_list)(struct store *st, const struct request_event_filter *f,
                      struct request_event_list *out);
    int (*event_bounds)(struct store *st, int64_t *pruned_through, int64_t *last);
    int (*event_prune)(struct store *st, int64_t before, int64_t keep, int64_t *deleted);

    int (*table_stat)(struct store *st, const struct store_table *t, int64_t *rows,
                      int64_t *last_seq);
    int (*table_each)(struct store *st, const struct store_table *t, store_row_fn *fn, void *ctx,
                      struct buf *err);
    int (*table_insert)(struct store *st, const struct store_table *t,
                        const struct store_value *rows, size_t count, struct buf *err);
    int (*table_seq_set)(struct store *st, const struct store_table *t, int64_t last_seq);
    int (*ping)(struct store *st);
};

struct store {
    const struct store_ops *ops;
};

/* ---- the calls: wrappers of store_ops (one place to trace or check a backend's calls) ----
 * Each answers 0 or an error of the top of this file. A call that fills `out` allocates what
 * it holds (the caller clears it with model/'s *_clear) and leaves it zeroed or untouched on
 * failure; records passed in are borrowed. */

/* Closes the store and frees the handle; accepts NULL. */
void store_close(struct store *st);
/* Begins a transaction on the calling thread (others wait for it to end). */
LB_MUST_CHECK int store_begin(struct store *st);
/* Commits the calling thread's transaction, durably. */
LB_MUST_CHECK int store_commit(struct store *st);
/* Rolls the calling thread's transaction back. */
void store_rollback(struct store *st);
/* The counts of logical transactions and durable commits so far. */
void store_stats_get(struct store *st, struct store_stats *out);
/* Seals secrets with seal from now on (borrowed: it must outlive the store; see the top of
 * this file); LB_EKEY when the store was sealed with another key. */
LB_MUST_CHECK int store_seal_attach(struct store *st, const struct seal *seal);

/* Tells every other process serving the store of a change, when the caller's transaction
 * commits (and not if it rolls back); called inside it, after the write. A store that only
 * one process may open (SQLite: the data folder's lock) has nobody to tell: a no-op. */
LB_MUST_CHECK int store_change_publish(struct store *st, enum store_change kind, const char *key);
/* Starts the listener (once per store, until store_changes_stop or store_close): fn hears every
 * change other processes publish, soon after they commit, and STORE_CHANGE_RESYNC when it may have
 * missed some (at start, after a lost connection) and every resync_ms besides, so that nothing kept
 * in memory stays wrong for long even if a change was lost. A single-process store starts
 * nothing. */
LB_MUST_CHECK int store_changes_listen(struct store *st, store_change_fn *fn, void *ctx,
                                       int64_t resync_ms);
/* Stops the listener, after the callback it may be running returns; no-op when none. */
void store_changes_stop(struct store *st);

/* The value of the meta key (a new string: caller frees with lb_free); LB_ENOTFOUND. */
LB_MUST_CHECK int store_meta_get(struct store *st, const char *key, char **value);
/* Sets the meta key to value, inserting or replacing it. */
LB_MUST_CHECK int store_meta_set(struct store *st, const char *key, const char *value);

/* Inserts a tenant; LB_EEXISTS when its id or name is taken. */
LB_MUST_CHECK int store_tenant_insert(struct store *st, const struct tenant *t);
/* The tenant id; LB_ENOTFOUND. */
LB_MUST_CHECK int store_tenant_get(struct store *st, const char *id, struct tenant *out);
/* Every tenant (only_id not NULL: that one, if it exists), newest first, as a new array of
 * *count (caller clears each with tenant_clear and frees the array with lb_free). */
LB_MUST_CHECK int store_tenant_list(struct store *st, const char *only_id, struct tenant **items,
                                    size_t *count);
/* Writes t's settings over those of tenant t->id; LB_ENOTFOUND. */
LB_MUST_CHECK int store_tenant_update_settings(struct store *st, const struct tenant *t);
/* Replaces the resource scopes of tenant t->id with t's; LB_ENOTFOUND. */
LB_MUST_CHECK int store_tenant_update_scopes(struct store *st, const struct tenant *t);

/* Inserts a user (its TOTP seed sealed); LB_EEXISTS when the id or username is taken. */
LB_MUST_CHECK int store_user_insert(struct store *st, const struct user *u);
/* The user id; LB_ENOTFOUND. */
LB_MUST_CHECK int store_user_get(struct store *st, const char *id, struct user *out);
/* The user named username; LB_ENOTFOUND. */
LB_MUST_CHECK int store_user_get_by_username(struct store *st, const char *username,
                                             struct user *out);
/* Records step as the user's last TOTP step used; LB_ECONFLICT when it is not newer than the
 * one kept (a replayed code). */
LB_MUST_CHECK int store_user_set_totp_step(struct store *st, const char *id, int64_t step);
/* The tenant's users (provider users for NULL), ordered by username. */
LB_MUST_CHECK int store_user_list_for_tenant(struct store *st, const char *tenant_id,
                                             struct user_list *out);

/* Inserts a role assignment; LB_EEXISTS when the user holds the role at that scope. */
LB_MUST_CHECK int store_role_insert(struct store *st, const struct role_assignment *r);
/* The assignment id, with its user's username; LB_ENOTFOUND. */
LB_MUST_CHECK int store_role_get(struct store *st, const char *id, struct role_assignment *out);
/* Deletes the assignment id; LB_ENOTFOUND. */
LB_MUST_CHECK int store_role_delete(struct store *st, const char *id);
/* The user's assignments, oldest first. */
LB_MUST_CHECK int store_role_list_for_user(struct store *st, const char *user_id,
                                           struct role_list *out);
/* The tenant's assignments (provider roles for NULL), oldest first. */
LB_MUST_CHECK int store_role_list_for_tenant(struct store *st, const char *tenant_id,
                                             struct role_list *out);
/* How many assignments of role at exactly scope the tenant has. */
LB_MUST_CHECK int store_role_count(struct store *st, const char *tenant_id, const char *role,
                                   const char *scope, int64_t *count);

/* Inserts a session (or an API token, one with a token_id). */
LB_MUST_CHECK int store_session_insert(struct store *st, const struct session *s);
/* The session of token_hash, ended ones too; LB_ENOTFOUND. */
LB_MUST_CHECK int store_session_get(struct store *st, const char *token_hash, struct session *out);
/* Ends a session at `at` (logout); LB_ENOTFOUND when there is none, or it ended before. */
LB_MUST_CHECK int store_session_expire(struct store *st, const char *token_hash, int64_t at);
/* The API token token_id, as its session; LB_ENOTFOUND when there is none (or it was
 * revoked). */
LB_MUST_CHECK int store_token_get(struct store *st, const char *token_id, struct session *out);
/* The API tokens of user_id, expired ones too, oldest first. */
LB_MUST_CHECK int store_token_list(struct store *st, const char *user_id, struct session_list *out);
/* Revokes the API token token_id: its row goes (the audit log keeps its history);
 * LB_ENOTFOUND when there is none. */
LB_MUST_CHECK int store_token_delete(struct store *st, const char *token_id);

/* Inserts a ticket (without history: see store_ticket_event_append). */
LB_MUST_CHECK int store_ticket_insert(struct store *st, const struct ticket *t);
/* The ticket id with its history, oldest first; LB_ENOTFOUND. */
LB_MUST_CHECK int store_ticket_get(struct store *st, const char *id, struct ticket *out);
/* The tenant's tickets with their history, newest first: those before before_seq (0: from the
 * newest), at most limit. */
LB_MUST_CHECK int store_ticket_list(struct store *st, const char *tenant_id, int64_t before_seq,
                                    size_t limit, struct ticket_list *out);
/* Appends ev to the history of ticket_id. */
LB_MUST_CHECK int store_ticket_event_append(struct store *st, const char *ticket_id,
                                            const struct ticket_event *ev);

/* Inserts a request (its decisions are inserted one by one: see
 * store_request_decision_insert); its deadline follows from its state. */
LB_MUST_CHECK int store_request_insert(struct store *st, const struct request *r);
/* Writes r's state, grant, reason and reminder over request r->id; LB_ENOTFOUND. */
LB_MUST_CHECK int store_request_update(struct store *st, const struct request *r);
/* Appends d to the decisions of request_id. */
LB_MUST_CHECK int store_request_decision_insert(struct store *st, const char *request_id,
                                                const struct decision *d);
/* The request id with its decisions; LB_ENOTFOUND. */
LB_MUST_CHECK int store_request_get(struct store *st, const char *id, struct request *out);
/* The requests f selects with their decisions, newest first. */
LB_MUST_CHECK int store_request_list(struct store *st, const struct request_filter *f,
                                     struct request_list *out);
/* Calls fn with each approved request (without its decisions), on a read of its own; a
 * non-zero answer of fn stops the walk, a negative one is then the call's answer. */
LB_MUST_CHECK int store_request_each_approved(struct store *st, store_request_fn *fn, void *ctx);
/* The soonest deadline of any request (its reminder, pending expiry or grant end); 0 when
 * none. */
LB_MUST_CHECK int store_request_next_deadline(struct store *st, int64_t *at);
/* The ids of at most limit requests whose deadline is at or before now, soonest first, as a
 * new array of *count (caller frees with strv_free). */
LB_MUST_CHECK int store_request_due(struct store *st, int64_t now, size_t limit, char ***ids,
                                    size_t *count);

/* Appends rec (its seq is ignored) to the audit log; *seq (if not NULL) is its number. */
LB_MUST_CHECK int store_audit_insert(struct store *st, const struct audit_record *rec,
                                     int64_t *seq);
/* The records f selects, in f's order, at most f->limit. */
LB_MUST_CHECK int store_audit_query(struct store *st, const struct audit_filter *f,
                                    struct audit_list *out);
/* The newest record of chain (its index, time and hash, read from the record itself) and its
 * chain's last checkpoint; LB_ENOTFOUND for a chain without records. */
LB_MUST_CHECK int store_audit_chain_head(struct store *st, const char *chain,
                                         struct audit_chain_head *out);
/* Every chain's head as last recorded, by chain; due_only: those with records after their
 * last checkpoint. */
LB_MUST_CHECK int store_audit_chains(struct store *st, bool due_only,
                                     struct audit_chain_head_list *out);
/* At most limit records of chain after after_index, in chain order. */
LB_MUST_CHECK int store_audit_chain_records(struct store *st, const char *chain,
                                            int64_t after_index, size_t limit,
                                            struct audit_list *out);
/* Keeps a signed checkpoint (one already kept for its chain and index stays as it is). */
LB_MUST_CHECK int store_audit_checkpoint_insert(struct store *st,
                                                const struct audit_checkpoint *cp);
/* At most limit checkpoints of chain after after_index, in chain order. */
LB_MUST_CHECK int store_audit_checkpoints(struct store *st, const char *chain, int64_t after_index,
                                          size_t limit, struct audit_checkpoint_list *out);
/* Keeps a checkpoint-signing public key; one kept already takes k's retired_at. */
LB_MUST_CHECK int store_audit_key_insert(struct store *st, const struct audit_key *k);
/* Every checkpoint-signing public key, oldest first. */
LB_MUST_CHECK int store_audit_keys(struct store *st, struct audit_key_list *out);
/* At most limit records written before the chains (migration 8), oldest first. */
LB_MUST_CHECK int store_audit_unchained(struct store *st, size_t limit, struct audit_list *out);
/* Gives such a record (by rec->seq) its place in its chain: rec's chain, chain_index,
 * prev_hash and hash; LB_ENOTFOUND when it has one already. */
LB_MUST_CHECK int store_audit_link(struct store *st, const struct audit_record *rec);
/* The name of every chain that has records, from the records themselves (not their heads), by
 * name, as a new array of *count (caller frees with strv_free). */
LB_MUST_CHECK int store_audit_chain_names(struct store *st, char ***names, size_t *count);
/* The newest checkpoint of chain signed at or before time, of a record at most max_index;
 * LB_ENOTFOUND when there is none. */
LB_MUST_CHECK int store_audit_checkpoint_before(struct store *st, const char *chain, int64_t time,
                                                int64_t max_index, struct audit_checkpoint *out);
/* Lets chain's records through index (a signed checkpoint's) be deleted: its pruned_index;
 * LB_ECONFLICT when it is there already or further (never lowered). */
LB_MUST_CHECK int store_audit_prune_mark(struct store *st, const char *chain, int64_t index);
/* Deletes at most limit of chain's records through its pruned_index, oldest first; *deleted
 * counts them (0: none is left). */
LB_MUST_CHECK int store_audit_prune(struct store *st, const char *chain, size_t limit,
                                    int64_t *deleted);
/* Keeps s as a stream of the log to a syslog collector (notify/syslog.h). A new one starts
 * after the newest record of each chain it covers (every chain for "provider", else the chain
 * its id names) but where a cursor kept from before says; one kept already takes s's url and
 * profile, and when they changed, a fresh delivery state (what it sent stays sent). Its two
 * writes belong in one transaction. */
LB_MUST_CHECK int store_audit_stream_put(struct store *st, const struct audit_stream *s);
/* Forgets the stream id and what it held (0 when there was none), and how far it sent unless
 * keep_sent (the stream, made again, then goes on from there). */
LB_MUST_CHECK int store_audit_stream_delete(struct store *st, const char *id, bool keep_sent);
/* Every stream, by id. */
LB_MUST_CHECK int store_audit_streams(struct store *st, struct audit_stream_list *out);
/* The chains the stream id has records of still to send, by chain. */
LB_MUST_CHECK int store_audit_stream_backlog(struct store *st, const char *id,
                                             struct audit_stream_chain_list *out);
/* Records s's delivery state (delivered, attempts, next and last attempt, last error) and,
 * when chain is not NULL, that it sent chain through index (a cursor never moves back);
 * LB_ENOTFOUND when the stream is gone, now goes to another url, or is leased to another
 * owner than owner. */
LB_MUST_CHECK int store_audit_stream_update(struct store *st, const struct audit_stream *s,
                                            const char *owner, const char *chain, int64_t index);
/* Keeps record index of chain, of request request_id, for stream to decide later (kept once). */
LB_MUST_CHECK int store_audit_stream_hold(struct store *st, const char *stream, const char *chain,
                                          int64_t index, const char *request_id);
/* At most limit of the records stream holds, by chain and index. */
LB_MUST_CHECK int store_audit_stream_held(struct store *st, const char *stream, size_t limit,
                                          struct audit_stream_held_list *out);
/* Forgets a record stream held (0 when it held none). */
LB_MUST_CHECK int store_audit_stream_release(struct store *st, const char *stream,
                                             const char *chain, int64_t index);
/* Takes (or keeps) the stream id for owner until `until` unless another owner holds it at now
 * (other lockboxd on a shared store): 0, LB_ECONFLICT when another holds it (or it is gone). */
LB_MUST_CHECK int store_audit_stream_claim(struct store *st, const char *id, const char *owner,
                                           int64_t now, int64_t until);

/* Inserts a webhook endpoint (its secret sealed). */
LB_MUST_CHECK int store_webhook_insert(struct store *st, const struct webhook *w);
/* The endpoint id; LB_ENOTFOUND. */
LB_MUST_CHECK int store_webhook_get(struct store *st, const char *id, struct webhook *out);
/* Deletes the endpoint id; LB_ENOTFOUND. */
LB_MUST_CHECK int store_webhook_delete(struct store *st, const char *id);
/* The endpoints of tenant_id (NULL: the every-tenant ones), plus with with_global the
 * every-tenant ones too; oldest first. */
LB_MUST_CHECK int store_webhook_list(struct store *st, const char *tenant_id, bool with_global,
                                     struct webhook_list *out);

/* Inserts a message into the outbox (in the transaction of the change it tells of). */
LB_MUST_CHECK int store_outbox_insert(struct store *st, const struct outbox_msg *m);
/* At most limit pending messages of channel ("email", "webhook") whose next attempt is due at
 * now, soonest first. */
LB_MUST_CHECK int store_outbox_due(struct store *st, const char *channel, int64_t now, size_t limit,
                                   struct outbox_list *out);
/* The soonest next attempt of a pending message of channel; 0 when none. */
LB_MUST_CHECK int store_outbox_next_due(struct store *st, const char *channel, int64_t *at);
/* Writes m's delivery state (status, attempts, times, last_error) over message m->id;
 * LB_ENOTFOUND. */
LB_MUST_CHECK int store_outbox_update(struct store *st, const struct outbox_msg *m);
/* A request's messages, oldest first; with tenant_only, only tenant_visible ones. */
LB_MUST_CHECK int store_outbox_list_for_request(struct store *st, const char *request_id,
                                                bool tenant_only, struct outbox_list *out);
/* How many messages are pending, delivered and failed. */
LB_MUST_CHECK int store_outbox_count(struct store *st, struct outbox_counts *out);

/* The failed-login record of (kind, name); LB_ENOTFOUND when there is none. */
LB_MUST_CHECK int store_login_throttle_get(struct store *st, enum throttle_kind kind,
                                           const char *name, struct login_throttle *out);
/* Writes t over any record of the same kind and name. */
LB_MUST_CHECK int store_login_throttle_put(struct store *st, const struct login_throttle *t);
/* Forgets the record of (kind, name); 0 also when there was none. */
LB_MUST_CHECK int store_login_throttle_delete(struct store *st, enum throttle_kind kind,
                                              const char *name);
/* The records of kind (-1: both) locked at now, or with a failure at or after since. */
LB_MUST_CHECK int store_login_throttle_list(struct store *st, int kind, int64_t now, int64_t since,
                                            struct login_throttle_list *out);
/* Deletes the records that are neither locked at now nor have a failure at or after since. */
LB_MUST_CHECK int store_login_throttle_prune(struct store *st, int64_t now, int64_t since);

/* Appends e (its seq is ignored) to the event stream inside the caller's transaction; *seq
 * (if not NULL) is the number it got. */
LB_MUST_CHECK int store_event_insert(struct store *st, const struct request_event *e, int64_t *seq);
/* The events f selects, oldest first (caller clears out with request_event_list_clear). */
LB_MUST_CHECK int store_event_list(struct store *st, const struct request_event_filter *f,
                                   struct request_event_list *out);
/* The newest seq ever given (*last, 0: none), and the newest that pruning may have deleted
 * (*pruned_through, 0: none). */
LB_MUST_CHECK int store_event_bounds(struct store *st, int64_t *pruned_through, int64_t *last);
/* Deletes the events made before `before` and all but the newest `keep` (and every older one,
 * so that what is gone is a prefix of the stream); *deleted counts them. */
LB_MUST_CHECK int store_event_prune(struct store *st, int64_t before, int64_t keep,
                                    int64_t *deleted);

/* How many rows table t holds (*rows), and the newest seq it has given (*last_seq; 0 for a
 * table without STORE_TABLE_SEQ or that never gave one), deleted rows' too when the table's seq
 * is STORE_TABLE_SEQ_KEPT. */
LB_MUST_CHECK int store_table_stat(struct store *st, const struct store_table *t, int64_t *rows,
                                   int64_t *last_seq);
/* Calls fn with every row of t in the order of its key, on one read; a non-zero answer of fn
 * stops the walk, a negative one is then the call's answer. `err` (if given) says what failed:
 * a value its column's type cannot hold is LB_ESTORE. */
LB_MUST_CHECK int store_table_each(struct store *st, const struct store_table *t, store_row_fn *fn,
                                   void *ctx, struct buf *err);
/* Inserts count rows (count * t->column_count values) into t as they are, seq numbers included,
 * in the caller's transaction; a row breaking a key or a reference fails the call (LB_EEXISTS;
 * on PostgreSQL the whole transaction with it), `err` (if given) saying why. */
LB_MUST_CHECK int store_table_insert(struct store *st, const struct store_table *t,
                                     const struct store_value *rows, size_t count, struct buf *err);
/* Makes t's seq give new rows numbers above last_seq and above every row's, as a copy of rows
 * that kept their numbers needs (last_seq: the source's, from store_table_stat). SQLite numbers
 * a new row past the highest by itself, so there only a STORE_TABLE_SEQ_KEPT seq is set. On
 * PostgreSQL this outlives a rolled back transaction (a sequence is not transactional): call it
 * last. */
LB_MUST_CHECK int store_table_seq_set(struct store *st, const struct store_table *t,
                                      int64_t last_seq);
/* 0 when the store answers now (a trivial query), LB_EUNAVAIL when its server cannot be
 * reached (at once while it is known to be away), or another error; changes nothing. */
LB_MUST_CHECK int store_ping(struct store *st);

#endif
