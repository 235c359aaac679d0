/*
 * signer.h - the Ed25519 key that signs the audit log's checkpoints.
 *
 * The key lives in a key file of the data folder (64 hex digits: the Ed25519 seed, mode 0600,
 * made on first start, never overwritten); its public half and id (the first 8 bytes of the
 * public key's SHA-256, in hex) are kept in the store, where customers read them and where a
 * retired key stays to verify what it signed. A signer owns its key (locked in memory when
 * the system allows it, wiped by audit_signer_free) and is immutable once made: thread-safe.
 * Errors: LB_ENOTFOUND, LB_EKEY (not a key file), LB_EEXISTS, LB_EIO, LB_ENOMEM; `err`, when
 * given, says which file and why.
 */
#ifndef LB_AUDIT_SIGNER_H
#define LB_AUDIT_SIGNER_H

#include "audit/chain.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdbool.h>

struct audit_signer;

/* Reads the key file at path, or makes one there when there is none (*created says so). */
LB_MUST_CHECK int audit_signer_open(const char *path, struct audit_signer **out, bool *created,
                                    struct buf *err);
/* Makes a new key file at path (which must not exist). */
LB_MUST_CHECK int audit_signer_create(const char *path, struct audit_signer **out, struct buf *err);
/* A signer whose key is written nowhere (tests). */
LB_MUST_CHECK int audit_signer_new_ephemeral(struct audit_signer **out);
/* Wipes the key and frees the signer; accepts NULL. */
void audit_signer_free(struct audit_signer *s);
/* The key's id and public key (hex), valid while the signer lives. */
const char *audit_signer_key_id(const struct audit_signer *s);
const char *audit_signer_public_key(const struct audit_signer *s);
/* Signs cp (chain, index, hash, time): sets cp->key_id to the signer's and cp->signature to
 * sig, which it fills. */
LB_MUST_CHECK int audit_signer_sign(const struct audit_signer *s, struct audit_checkpoint *cp,
                                    char sig[AUDIT_SIGNATURE_HEX_LEN]);

/* Signs an export's end (its time and chains): sets end->key_id and end->signature to sig. */
LB_MUST_CHECK int audit_signer_sign_end(const struct audit_signer *s, struct audit_export_end *end,
                                        char sig[AUDIT_SIGNATURE_HEX_LEN]);

#endif
