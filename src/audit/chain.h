/*
 * chain.h - the audit log's hash chains, their signed checkpoints, and their verification.
 *
 * Every audit record belongs to one chain: its tenant's (the chain is named by the tenant's
 * id) or the provider's ("provider"). A record carries its index in the chain (1 first), the
 * hash of the record before it (64 zeros before the first) and its own hash: SHA-256 over the
 * canonical encoding docs/audit-chain.md defines (audit_chain_hash). A checkpoint is an
 * Ed25519 signature over a chain's record index and hash at a time, by a key named by its id
 * (audit_checkpoint_message says what is signed; audit/signer.h signs); the public keys are
 * kept in the store and served to customers. The verifier (audit_verify_*)
 * takes a chain's records and checkpoints in order, from a store or from an export, and names
 * the first place where they break. No I/O, no store: the CLI verifies exports with it offline.
 * Hashes, ids and signatures are lower-case hex. Errors: LB_EINVAL (a malformed input),
 * LB_EKEY (a signature that does not hold), LB_ENOMEM; the verifier's LB_EVERIFY comes with a
 * message in `why`. A verifier belongs to its caller; the rest is pure.
 */
#ifndef LB_AUDIT_CHAIN_H
#define LB_AUDIT_CHAIN_H

#include "model/audit.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdint.h>

#define AUDIT_HASH_HEX_LEN 65       /* 64 hex digits + NUL */
#define AUDIT_KEY_ID_LEN 17         /* 16 hex digits + NUL */
#define AUDIT_PUBLIC_KEY_HEX_LEN 65 /* an Ed25519 public key in hex + NUL */
#define AUDIT_SIGNATURE_HEX_LEN 129 /* an Ed25519 signature in hex + NUL */
#define AUDIT_PROVIDER_CHAIN "provider"
#define AUDIT_GENESIS_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* The chain a record of tenant_id (NULL: provider-wide) belongs to. */
const char *audit_chain_of(const char *tenant_id);
/* The hash of r's canonical encoding (its chain, chain_index and prev_hash included; its seq
 * and hash not) into out. */
LB_MUST_CHECK int audit_chain_hash(const struct audit_record *r, char out[AUDIT_HASH_HEX_LEN]);
/* true when s is 64 lower-case hex digits. */
bool audit_hash_is_valid(const char *s);

/* The id of a public key (hex): the first 8 bytes of its SHA-256, in hex; LB_EINVAL when it is
 * not an Ed25519 public key in hex. */
LB_MUST_CHECK int audit_key_id(const char *public_key, char out[AUDIT_KEY_ID_LEN]);
/* The bytes a checkpoint's signature covers (its chain, index, hash, time and key id), into
 * out. */
LB_MUST_CHECK int audit_checkpoint_message(const struct audit_checkpoint *cp, struct buf *out);
/* 0 when cp's signature holds under public_key (hex), else LB_EKEY (LB_EINVAL: malformed). */
LB_MUST_CHECK int audit_checkpoint_check(const struct audit_checkpoint *cp, const char *public_key);

/* Where one chain of an export starts and ends, and which of its records it gives whole. */
struct audit_export_chain {
    const char *chain;
    int64_t start_index;    /* 0: from the chain's first record; else the checkpoint's index */
    const char *start_hash; /* the hash it starts from (64 zeros from the first record) */
    int64_t index;          /* its last record's */
    const char *hash;
    int64_t records;            /* the records given whole (not as links) */
    const char *records_digest; /* audit_records_digest of their indexes */
};

/* The signed last line of an export: what it is of (scope: the reader's filters and profile,
 * as compact JSON with sorted keys) and, for each chain, where it starts and ends and which
 * records it gives whole, at time, by key_id. A file cut, trimmed at either end, or with a
 * record turned into a link no longer matches it. */
struct audit_export_end {
    int64_t time;
    const char *key_id, *signature; /* hex */
    const char *scope;
    const struct audit_export_chain *chains;
    size_t count;
};

/* The digest of the indexes of the records an export gives whole, fed one index at a time:
 * SHA-256 over each index in decimal and a newline. */
struct audit_records_digest {
    _Alignas(8) unsigned char state[256]; /* a crypto_hash_sha256_state */
    int64_t count;
};
void audit_records_digest_init(struct audit_records_digest *d);
void audit_records_digest_add(struct audit_records_digest *d, int64_t index);
/* The digest in hex into out. */
void audit_records_digest_final(struct audit_records_digest *d, char out[AUDIT_HASH_HEX_LEN]);

/* The bytes an export end's signature covers, into out. */
LB_MUST_CHECK int audit_export_end_message(const struct audit_export_end *end, struct buf *out);

/* ---- verification ---- */

struct audit_verify;

/* A verifier that checks checkpoints against keys (borrowed; NULL: signatures unchecked). */
LB_MUST_CHECK int audit_verify_new(const struct audit_key_list *keys, struct audit_verify **out);
void audit_verify_free(struct audit_verify *v);
/* The next record of its chain. redacted: only its link is given (a record the reader may
 * not see), its content not hashed. LB_EVERIFY with why when it does not follow. */
LB_MUST_CHECK int audit_verify_record(struct audit_verify *v, const struct audit_record *r,
                                      bool redacted, struct buf *why);
/* A checkpoint, just after the record it signs; as the first of its chain in an export, the
 * point the export starts from. LB_EVERIFY with why when it does not hold. */
LB_MUST_CHECK int audit_verify_checkpoint(struct audit_verify *v, const struct audit_checkpoint *cp,
                                          struct buf *why);
/* An export's end: its signature under the keys, and its chains and their ends exactly the
 * ones the verifier saw. LB_EVERIFY with why when it does not hold. */
LB_MUST_CHECK int audit_verify_end(struct audit_verify *v, const struct audit_export_end *end,
                                   struct buf *why);
/* Counts so far. */
void audit_verify_counts(const struct audit_verify *v, int64_t *records, int64_t *checkpoints,
                         int64_t *chains);
/* The number of records of chain after its last checkpoint (0 for an unknown chain). */
int64_t audit_verify_unsigned_tail(const struct audit_verify *v, const char *chain);
/* Visits every chain the verifier saw. */
typedef void audit_verify_chain_fn(const char *chain, int64_t index, const char *hash,
                                   int64_t checkpoint_index, void *ctx);
void audit_verify_each_chain(const struct audit_verify *v, audit_verify_chain_fn *fn, void *ctx);

#endif
