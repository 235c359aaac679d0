/*
 * chains.h - the audit log's hash chains as the store keeps them: chaining the records of an
 * older store, signing checkpoints as they fall due, and verifying every chain in place.
 *
 * audit_append links each new record (audit.h); what is here runs beside it: once at start
 * (audit_chains_backfill, for records written before the chains existed), on a timer
 * (audit_checkpoints_make, audit_chains_prune) and for `lockboxd verify`
 * (audit_chains_verify), which starts a pruned chain at the checkpoint it was pruned through. Each
 * borrows the store and runs its own transactions; a signer is borrowed too. Errors: the store's,
 * LB_ENOMEM, and LB_EVERIFY from the verification, whose `why` names the first place a chain
 * breaks.
 */
#ifndef LB_AUDIT_CHAINS_H
#define LB_AUDIT_CHAINS_H

#include "audit/chain.h"
#include "audit/signer.h"
#include "store/store.h"
#include "util/buf.h"

#include <stdint.h>

/* Chains every record written before migration 8, oldest first, in transactions of a
 * thousand; *linked counts them. */
LB_MUST_CHECK int audit_chains_backfill(struct store *st, int64_t *linked);

/* Signs, in every chain with records after its last checkpoint, each record whose index is a
 * multiple of `every`, and its newest record once its last checkpoint is `max_age` seconds
 * old (or it has none): at time now, in one transaction. *made counts the checkpoints. */
LB_MUST_CHECK int audit_checkpoints_make(struct store *st, const struct audit_signer *s,
                                         int64_t now, int64_t every, int64_t max_age,
                                         int64_t *made);

/* Prunes chain (the tenant's whose id is tenant_id, NULL for the provider's) of its records
 * older than `retention` seconds at now: those through the newest checkpoint signed at or
 * before now - retention of a record at most max_index (what every stream of the chain has
 * sent), so the chain verifies from that checkpoint on. First, in one transaction, an
 * audit.prune record appended to the chain says through which record and why, and the chain's
 * pruned_index moves there (store.h); then the records go, in transactions of their own.
 * *deleted counts them (with what an interrupted pass left). LB_EINVAL for retention < 1. */
LB_MUST_CHECK int audit_chains_prune(struct store *st, const char *chain, const char *tenant_id,
                                     int64_t retention, int64_t now, int64_t max_index,
                                     int64_t *deleted);

/* What a verification in place found besides a break. */
struct audit_chains_report {
    int64_t records, checkpoints, chains;
    int64_t unsigned_tail; /* records after their chain's last checkpoint, in all chains */
    int64_t unchained;     /* records without a chain (written before it, not yet chained) */
};

/* Told of each chain's outcome: why NULL when it is whole, else where it first breaks. */
typedef void audit_chain_outcome_fn(void *ctx, const char *chain, const char *why);

/* Verifies every chain of st: each record's hash and link, each checkpoint's place and
 * signature (under the store's keys), each chain's end against its recorded head. A chain
 * that breaks does not stop the others; each (if not NULL) hears of every chain's outcome.
 * LB_EVERIFY when any broke, with why saying where the first did; *report counts what was
 * verified. */
LB_MUST_CHECK int audit_chains_verify(struct store *st, struct audit_chains_report *report,
                                      audit_chain_outcome_fn *each, void *ctx, struct buf *why);

#endif
