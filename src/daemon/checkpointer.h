/*
 * checkpointer.h - the thread that signs the audit log's checkpoints as they fall due.
 *
 * Once a second it asks audit_checkpoints_make (audit/chains.h) to sign, in each chain, every
 * `every`-th record and the newest once the last checkpoint is `max_age` seconds old. Several
 * nodes on one store may run it: a checkpoint made twice is kept once. It borrows the store
 * and the signer, which outlive it. Errors: LB_ENOMEM, LB_EIO (cannot start the thread).
 */
#ifndef LB_DAEMON_CHECKPOINTER_H
#define LB_DAEMON_CHECKPOINTER_H

#include "audit/signer.h"
#include "store/store.h"

#include <stdint.h>

struct checkpointer;

LB_MUST_CHECK int checkpointer_start(struct store *st, const struct audit_signer *signer,
                                     int64_t every, int64_t max_age, struct checkpointer **out);
/* Stops the thread (after a last pass) and frees the checkpointer; accepts NULL. */
void checkpointer_stop(struct checkpointer *c);

#endif
