/*
 * store_rows.h - the rows and stores the store tests share (tests/unit only, not installed).
 *
 * The store's contract test, its copy test and the backends' own tests write the same tenants,
 * users, tickets, requests, audit records, ... and open and remove stores the same way: built
 * once here, with parameters for what the tests vary. A builder rows_<object>() returns a
 * record filled with the usual values; it borrows the strings passed in and static ones of this
 * module, so it is to be inserted or changed field by field (a field pointed elsewhere), never
 * cleared with <object>_clear(). rows_<object>_add() builds and inserts one; it fails the
 * running cmocka test when the store refuses, except where it returns the store's code for the
 * caller to check. The store helpers fail the running test on any error. Call them from the
 * thread that runs the test (cmocka's failures jump back to it). The prefix is rows_, not
 * store_rows_: store_ names the store's own calls.
 */
#ifndef LB_TESTS_STORE_ROWS_H
#define LB_TESTS_STORE_ROWS_H

#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- stores ---- */

/* Makes a new folder /tmp/lockbox-<tag>-XXXXXX; its name into dir (dir_len bytes). */
void rows_tempdir(char *dir, size_t dir_len, const char *tag);

/* Opens the SQLite store at path (made when missing); the caller closes it (store_close). */
struct store *rows_sqlite_open(const char *path);

/* Opens the PostgreSQL store at the libpq URL url; the caller closes it (store_close). */
struct store *rows_pg_open(const char *url);

/* Removes the SQLite file at path with its -wal and -shm files (those missing are no error). */
void rows_sqlite_unlink(const char *path);

/* ---- rows ---- */

/* Inserts tenant id named name: lockbox on, two approvals, two mail addresses and two scopes. */
void rows_tenant_add(struct store *st, const char *id, const char *name, int64_t created_at);

/* Inserts user id of tenant_id (NULL: an isolated identity) with display_name (NULL: the
 * username) and totp_secret (NULL: none); answers store_user_insert's code. */
int rows_user_add(struct store *st, const char *id, const char *tenant_id, const char *username,
                  const char *display_name, const char *totp_secret);

/* Inserts ticket id of tenant_id, "disk full", opened by u1. */
void rows_ticket_add(struct store *st, const char *id, const char *tenant_id, int64_t created_at);

/* A role of user_id in tenant_id (NULL: no tenant) on the scope "/". */
struct role_assignment rows_role(const char *id, const char *tenant_id, const char *user_id,
                                 const char *role, int64_t created_at);

/* Inserts rows_role(id, tenant_id, user_id, role, created_at). */
void rows_role_add(struct store *st, const char *id, const char *tenant_id, const char *user_id,
                   const char *role, int64_t created_at);

/* A login session of user_id with MFA, made at 10. */
struct session rows_session(const char *token_hash, const char *user_id, int64_t expires_at);

/* An API token "ci" of user_id, made at 10, expiring at 5000. */
struct session rows_api_token(const char *token_hash, const char *user_id, const char *token_id);

/* A request of u1 "alice" in tenant t1 on ticket k1 for write access to two hosts for 600 s,
 * "Fix the Backup", one customer approval; visible to the customer unless
 * REQ_PENDING_INTERNAL, expiring 3600 s after created_at. */
struct request rows_request(const char *id, enum request_status status, int64_t created_at);

/* An approving decision of u1 "alice" at at, with reason and client_ip (either may be NULL). */
struct decision rows_decision(enum decision_kind kind, int64_t at, const char *reason,
                              const char *client_ip);

/* An audit record of user "alice" in tenant t1 on item "x" (details, client IP: none). */
struct audit_record rows_audit(const char *activity, const char *request_id, int64_t time);

/* Inserts rows_audit(activity, request_id, time); its seq into *seq when seq is not NULL. */
void rows_audit_add(struct store *st, const char *activity, const char *request_id, int64_t time,
                    int64_t *seq);

/* A "request.pending" event of request_id in tenant_id, body "{}". */
struct request_event rows_event(const char *tenant_id, const char *request_id, bool visible,
                                int64_t created_at);

/* Inserts rows_event(tenant_id, request_id, visible, created_at); answers its seq. */
int64_t rows_event_add(struct store *st, const char *tenant_id, const char *request_id,
                       bool visible, int64_t created_at);

/* A webhook of tenant_id (NULL: every tenant) to https://t1.example/hook for two events,
 * secret "s3cret", made at 10. */
struct webhook rows_webhook(const char *id, const char *tenant_id);

/* A pending mail of request q1 in tenant t1 to a@example.com, made at 10, due at 50. */
struct outbox_msg rows_outbox_msg(const char *id);

#endif
