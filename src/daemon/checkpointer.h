/*
 * checkpointer.h - the thread that signs the audit log's checkpoints as they fall due.
 *
 * Once a second it asks audit_checkpoints_make (audit/chains.h) to sign, in each chain, every
 * `every`-th record and the newest once the last checkpoint is `max_age` seconds old. Several
 * nodes on one store may run it: a checkpoint made twice is kept once. Soon after the start,
 * and then every `verify_every` seconds, it verifies every chain (audit_chains_verify), logs
 * each that breaks as an error and tells core (core_audit_set_verified), whose API shows it;
 * checkpoints wait meanwhile. Every `max_age` seconds it prunes the chains kept for a time
 * (core_audit_prune). It borrows core, the store and the signer, which outlive it.
 * Errors: LB_ENOMEM, LB_EIO (cannot start the thread).
 */
#ifndef LB_DAEMON_CHECKPOINTER_H
#define LB_DAEMON_CHECKPOINTER_H

#include "audit/signer.h"
#include "core/core.h"
#include "store/store.h"

#include <stdint.h>

struct checkpointer;

struct checkpointer_config {
    int64_t every, max_age; /* a checkpoint every this many records, or once this old (s) */
    int64_t verify_every;   /* seconds between two verifications of every chain */
};

LB_MUST_CHECK int checkpointer_start(struct core *core, struct store *st,
                                     const struct audit_signer *signer,
                                     const struct checkpointer_config *cfg,
                                     struct checkpointer **out);
/* Stops the thread (after a last pass) and frees the checkpointer; accepts NULL. */
void checkpointer_stop(struct checkpointer *c);

#endif
