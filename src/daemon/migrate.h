/*
 * migrate.h - `lockboxd migrate --from DIR --to URL`: moves the SQLite store of a data folder
 * into an empty PostgreSQL database.
 *
 * migrate_main runs the command on its arguments (argv[0] is "migrate") and answers the
 * process's exit code. It takes the data folder's lock (no lockboxd may run on DIR meanwhile),
 * opens DIR/lockbox.db with the SQLite backend and the database with store_pg_open (which
 * applies the migrations), claims the database (no lockboxd may start on it meanwhile), and
 * copies and checks the store with store_copy in one PostgreSQL transaction: the database ends
 * up holding a checked copy, or nothing. It shows the progress on stderr (a bar per table on a
 * terminal, else a line per table) and prints a summary on stdout. It never prints the URL,
 * which may hold a password. Exit codes, as documented in --help and lockboxd(8):
 *   0  copied and checked
 *   1  failed: DIR or its store, the database, or the copy (nothing was written to it)
 *   2  usage
 *   3  refused: the database is not empty (nothing was written)
 *   4  the check found the copy different from the source (nothing was kept)
 */
#ifndef LB_DAEMON_MIGRATE_H
#define LB_DAEMON_MIGRATE_H

#define MIGRATE_EXIT_OK 0
#define MIGRATE_EXIT_FAILED 1
#define MIGRATE_EXIT_USAGE 2
#define MIGRATE_EXIT_NOT_EMPTY 3
#define MIGRATE_EXIT_MISMATCH 4

/* Runs `lockboxd migrate` with argc arguments argv (argv[0] "migrate"); the exit code. */
int migrate_main(int argc, char **argv);

#endif
