/*
 * denials.h - the doors' denials on their way to the audit log, collapsed per operator,
 * resource and minute; and the first allowance of each (request, resource, door) per minute.
 *
 * A door's check that answers "not allowed" hands its denial to denials_note() on the thread
 * that answers: nothing there touches the disk. A bounded table remembers, per (operator,
 * resource), the minute of the last access.denied record queued for it: a denial of a pair
 * already queued this minute is only counted (collapsed); any other is queued, carrying how
 * many of that pair's denials were collapsed since its previous record. A "minute" is a window
 * of the clock (now / window_seconds; 60 by default). A writer, a thread of its own
 * (denials_start) or the caller (denials_flush), takes what is queued and appends it to the
 * audit log in transactions of at most DENIALS_BATCH records, each record in the log of the
 * tenant owning the resource (the provider's, tenant NULL, when none does). denials_stop lets
 * the thread write what is still queued before it ends. A denial is not an acknowledged write:
 * past DENIALS_QUEUE_MAX queued, or when the store fails, records are dropped and counted
 * (denials_stats). When the table is full of pairs denied this minute, a new pair is written
 * but not remembered; pairs of past minutes are forgotten to make room (a count they still
 * held then reaches only the stats).
 *
 * An allowed check goes the same way (a note with request_id set), so that a grant's report
 * can tell which doors let its operator in: an access.allowed record in the log of the
 * grant's tenant, its item the request, the first time a (request, resource, door) is let in
 * within a minute; the other allowances of that minute are not counted. As allowances are the
 * hot path's common answer, each thread first asks a small cache of its own (a keyed SipHash of
 * the pair and the minute it was last noted there, no lock), so that the shared table and its
 * mutex are reached about once per pair, minute and thread (the cache is direct-mapped: pairs
 * sharing a slot push each other out). Allowances' pairs are remembered apart, up to
 * DENIALS_ALLOWED_MAX; an allowance of a new pair when they are all of this minute is dropped
 * (counted), since one not remembered would be written at each check. Thread-safe throughout
 * (one mutex).
 * Errors: LB_ENOMEM, LB_EIO (no thread), the store's.
 */
#ifndef LB_CORE_DENIALS_H
#define LB_CORE_DENIALS_H

#include "core/ids.h"
#include "store/store.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DENIALS_TABLE_MAX 8192    /* (operator, resource) pairs remembered */
#define DENIALS_ALLOWED_MAX 65536 /* and (request, resource, door) pairs of allowances */
#define DENIALS_QUEUE_MAX 8192    /* records waiting for the writer */
#define DENIALS_BATCH 512         /* records per transaction */
#define DOOR_NAME_MAX 32          /* a door's name: 1..32 of [a-z0-9_.-] */

/* One denial (or allowance) as a door saw it; every field is borrowed. */
struct denial_note {
    const char *operator_name, *resource_id;
    const char *request_id; /* NULL: a denial; else the grant's request that let the operator in */
    const char *owner_id;   /* the tenant owning resource_id, or NULL */
    enum access_level level;
    const char *door;
    const char *actor, *actor_id, *client_ip; /* who asked: the door's own principal */
};

/* What became of the denials noted, for /metrics. */
struct denial_stats {
    uint64_t written;         /* access.denied records committed */
    uint64_t allowed;         /* access.allowed records committed */
    uint64_t allowed_dropped; /* allowances not written: no room to remember their pair */
    uint64_t collapsed;       /* denials counted into a record of their minute instead */
    uint64_t dropped;         /* not written: the queue was full */
    uint64_t failed;          /* not written: the store failed */
    uint64_t queued;          /* waiting for the writer now */
};

struct denials;

/* A new empty record of denials collapsed per window_seconds of the clock (60: per minute;
 * free with denials_free); NULL when out of memory. */
struct denials *denials_new(int64_t window_seconds);
/* Stops the writer (see denials_stop) and frees everything, what is queued included. */
void denials_free(struct denials *d);
/* Notes a denial at now (Unix seconds): queued or collapsed; dropped (and counted) when the
 * queue is full or memory is short. With n->request_id set, an allowance: queued the first time
 * its (request, resource, door) is seen in a minute, else forgotten. */
void denials_note(struct denials *d, const struct denial_note *n, int64_t now);
/* Writes every record queued now to st on the calling thread; 0, or the store's error (the
 * records of the failed transaction are dropped and counted as failed). */
LB_MUST_CHECK int denials_flush(struct denials *d, struct store *st);
/* Starts a thread that writes to st (borrowed, must outlive the thread) whatever is queued. */
LB_MUST_CHECK int denials_start(struct denials *d, struct store *st);
/* Lets the thread write what is queued, then ends it; a no-op without one. */
void denials_stop(struct denials *d);
/* true when d is a valid door name: 1..DOOR_NAME_MAX of [a-z0-9_.-]. */
bool door_name_is_valid(const char *d);
void denials_stats(struct denials *d, struct denial_stats *out);

#endif
