/*
 * datadir.h - the data folder's lock: one process at a time uses a data folder (a lockboxd
 * serving it, or lockboxd migrate reading its store).
 *
 * datadir_lock takes an exclusive flock(2) on DIR/lockboxd.lock, creating the file (0600), and
 * answers its descriptor, which holds the lock until it is closed (at the latest when the
 * process ends, however it ends); -1 when it cannot, having logged why (util/log.h): a
 * read-only folder, one that cannot be written, or one another process holds. Thread-safe.
 */
#ifndef LB_DAEMON_DATADIR_H
#define LB_DAEMON_DATADIR_H

/* Locks the data folder dir; its lock's descriptor, or -1 (logged). */
int datadir_lock(const char *dir);

#endif
