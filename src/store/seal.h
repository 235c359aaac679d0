/*
 * seal.h - secrets at rest: the one holder of the key that seals TOTP seeds and webhook
 * secrets before they reach the store's files.
 *
 * A `struct seal` owns a 256-bit key; its bytes never leave seal.c (they are locked in memory
 * when the system allows it and wiped by seal_free). The key comes from a key file: 64 hex
 * digits and an optional newline, written by seal_key_create (mode 0600, durably, never over
 * an existing file). seal_text encrypts a value with crypto_secretbox_easy (XSalsa20-Poly1305)
 * under a fresh random nonce, bound to a context string naming where it is kept (e.g.
 * "users.totp_secret:<user id>"), so a sealed value copied to another row does not open. A
 * sealed value is text: "lbs1:" followed by base64url(nonce || box). The key id, a keyed
 * BLAKE2b hash of a fixed text, names a key without revealing it, so a store can remember
 * which key sealed it. sodium_init must have run. Errors: LB_ENOTFOUND (no key file), LB_EIO,
 * LB_EKEY (not a key file, or a value that does not open under this key and context),
 * LB_EEXISTS, LB_ENOMEM; `err`, when given, says which file and why. A seal is immutable once
 * made: thread-safe.
 */
#ifndef LB_STORE_SEAL_H
#define LB_STORE_SEAL_H

#include "util/buf.h"
#include "util/err.h"

#include <stdbool.h>

#define SEAL_KEY_ID_LEN 17  /* 16 hex digits + NUL */
#define SEAL_PREFIX "lbs1:" /* how every sealed value begins */
#define SEAL_KEY_BYTES 32   /* a key file's key: 256 bits */

struct seal;

/* Reads the key file at path into a new seal (free with seal_free). */
LB_MUST_CHECK int seal_key_load(const char *path, struct seal **out, struct buf *err);
/* Makes a new random key, writes it to path (which must not exist; mode 0600, fsync'd with
 * its folder) and returns it as a new seal. */
LB_MUST_CHECK int seal_key_create(const char *path, struct seal **out, struct buf *err);
/* The 256-bit key in the key file at path (64 hex digits and an optional newline), for a
 * seal or another key kept the same way (the audit log's signing key). */
LB_MUST_CHECK int seal_key_file_read(const char *path, unsigned char key[SEAL_KEY_BYTES],
                                     struct buf *err);
/* Writes key to a new key file at path (which must not exist; mode 0600, fsync'd with its
 * folder). */
LB_MUST_CHECK int seal_key_file_write(const char *path, const unsigned char key[SEAL_KEY_BYTES],
                                      struct buf *err);
/* A new seal with a random key that is written nowhere (tests). */
LB_MUST_CHECK int seal_new_ephemeral(struct seal **out);
/* Wipes the key and frees the seal; accepts NULL. */
void seal_free(struct seal *s);
/* Writes the key's id (hex) into out. */
void seal_key_id(const struct seal *s, char out[SEAL_KEY_ID_LEN]);
/* Seals plain for context into a new string (caller frees with lb_free). */
LB_MUST_CHECK int seal_text(const struct seal *s, const char *context, const char *plain,
                            char **out);
/* Opens what seal_text made for the same context into a new string (the caller wipes and
 * frees it); LB_EKEY when it is not sealed, was altered, or needs another key or context. */
LB_MUST_CHECK int seal_open_text(const struct seal *s, const char *context, const char *sealed,
                                 char **out);
/* true when text has the form of a sealed value (it may still not open). */
bool seal_is_sealed(const char *text);
/* A store column's value sealed for its column and row ("users.totp_secret", the row's id),
 * into a new string (lb_free); LB_EKEY when s is NULL (no key attached yet). */
LB_MUST_CHECK int seal_column(const struct seal *s, const char *column, const char *id,
                              const char *plain, char **out);
/* Replaces the sealed *value (when not NULL) with its plaintext; LB_EKEY when s is NULL or the
 * value does not open (logged, naming the column and row). */
LB_MUST_CHECK int seal_column_open(const struct seal *s, const char *column, const char *id,
                                   char **value);

#endif
