/*
 * store_pg.h - the PostgreSQL backend of store.h (libpq), for several lockboxd on one database.
 *
 * store_pg_open connects to the database named by `url` (a libpq connection URL or key=value
 * string), applies the numbered migrations it has not applied yet (one lockboxd migrates while
 * the others starting with it wait, then find the work done) and answers a store that keeps
 * store.h's contract exactly as the SQLite backend does, across every lockboxd sharing the
 * database: their write transactions are serialised, so the event stream's order, the tenant
 * scopes' overlap rule, a single winning approver and TOTP replay protection hold as they do
 * with one process on SQLite. A call that finds the server away (it cannot connect, the
 * connection is lost, the server is shutting down or not yet accepting connections) fails with
 * LB_EUNAVAIL and does nothing; while it stays away calls fail so at once, without waiting on
 * the network, a thread of the store's own tries to connect twice a second, and once it can,
 * calls go through again on new connections, without reopening the store. The handle is freed
 * with store_close. Errors of the open: LB_EUNAVAIL (cannot connect; `err`, if given, says
 * why), LB_ESTORE (cannot migrate), LB_ENOMEM.
 */
#ifndef LB_STORE_STORE_PG_H
#define LB_STORE_STORE_PG_H

#include "store/store.h"
#include "util/buf.h"

LB_MUST_CHECK int store_pg_open(const char *url, struct store **out, struct buf *err);

#endif
