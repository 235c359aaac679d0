/*
 * store_sqlite.h - the embedded SQLite backend of store.h.
 *
 * store_sqlite_open opens (creating if needed) the database at `path` (":memory:" for tests) in
 * WAL mode with synchronous=FULL, foreign keys on and a busy timeout, and applies the numbered
 * migrations it has not applied yet, each in its own transaction. The returned handle is freed
 * with store_close. Errors: LB_ESTORE (cannot open or migrate; `err`, if given, says why),
 * LB_ENOMEM.
 */
#ifndef LB_STORE_STORE_SQLITE_H
#define LB_STORE_STORE_SQLITE_H

#include "store/store.h"
#include "util/buf.h"

LB_MUST_CHECK int store_sqlite_open(const char *path, struct store **out, struct buf *err);

#endif
