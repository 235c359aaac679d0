/*
 * datadir.h - the data folder's lock: one process at a time uses a data folder (a lockboxd
 * serving it, or lockboxd migrate reading its store).
 *
 * datadir_lock takes an exclusive flock(2) on DIR/lockboxd.lock, creating the file (0600), and
 * answers its descriptor, which holds the lock until it is closed (at the latest when the
 * process ends, however it ends); -1 when it cannot, having logged why (util/log.h): a
 * read-only folder, one that cannot be written, or one another process holds.
 *
 * datadir_store_open opens, for a command of lockboxd's own (verify, audit-key), the store a
 * lockboxd on that folder uses: the PostgreSQL database of url when one is given, else
 * DIR/lockbox.db, which must exist (LB_ENOTFOUND: a command never makes an empty store).
 * Errors: those of the backends' open, with err saying why. Thread-safe.
 */
#ifndef LB_DAEMON_DATADIR_H
#define LB_DAEMON_DATADIR_H

#include "store/store.h"
#include "util/buf.h"

/* Locks the data folder dir; its lock's descriptor, or -1 (logged). */
int datadir_lock(const char *dir);
/* The store of the data folder dir, or of url (not NULL nor empty). */
LB_MUST_CHECK int datadir_store_open(const char *dir, const char *url, struct store **out,
                                     struct buf *err);

#endif
