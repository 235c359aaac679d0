/*
 * store_copy.h - moving a whole store into another one (a SQLite store into a new PostgreSQL
 * database: lockboxd migrate), whatever their backends, over store.h's whole-row operations.
 *
 * store_copy copies every table of store_table.h from `from` into `to`, row for row and every
 * column as it is kept: ids, seq numbers, sealed secrets as their sealed text (never opened:
 * the target needs the same key), meta rows, the audit log (inserted, never changed), sessions
 * and API tokens. It runs in one transaction of `to`: it checks that `to` holds no row in any
 * table, copies, checks the copy (each table's row count on both sides, and the audit log
 * record for record, every field), moves each seq past the source's newest, and commits; on any
 * failure it rolls back, leaving `to` as it was. `from` is only read and must not change
 * meanwhile, and nothing else may write `to` (the caller sees to both: lockboxd migrate holds
 * the source's data folder lock and claims the database). Neither store needs a seal attached.
 * Both handles are borrowed.
 *
 * Errors: LB_EPRECONDITION when `to` is not empty (nothing written), LB_ECONFLICT when the check
 * finds the copy different from the source, a backend's code otherwise (LB_EEXISTS for a row the
 * target refused, LB_ESTORE, LB_ENOSPC, LB_ENOMEM), or what the progress function answered;
 * `err`, if given, says which table and why.
 */
#ifndef LB_STORE_STORE_COPY_H
#define LB_STORE_STORE_COPY_H

#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where a copy is, handed to its progress function. */
struct store_copy_progress {
    const char *table;   /* the table being copied, or checked */
    bool checking;       /* false: copying rows; true: checking the audit log record for record */
    int64_t done, total; /* rows (records, when checking) done, of the table's total */
    bool finished;       /* the table's last call of this phase */
};

/* Told of the copy's progress: as each table begins, after every batch of rows, and once at
 * the end of each table (finished). A negative answer stops the copy (rolled back), which then
 * answers it. */
typedef int store_copy_progress_fn(void *ctx, const struct store_copy_progress *p);

/* What a copy did. */
struct store_copy_report {
    size_t tables;         /* tables copied */
    int64_t rows;          /* rows copied, every table's */
    int64_t audit_checked; /* audit records compared with the source's */
};

/* Copies from into the empty to, checks the copy and commits it (see the top of this file);
 * fn (if not NULL) hears of the progress; *report (if not NULL) says what was done. */
LB_MUST_CHECK int store_copy(struct store *from, struct store *to, store_copy_progress_fn *fn,
                             void *ctx, struct store_copy_report *report, struct buf *err);

#endif
