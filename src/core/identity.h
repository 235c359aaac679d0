/*
 * identity.h - the secrets of identity: password hashes, session tokens and TOTP codes.
 *
 * Passwords are hashed with Argon2id (libsodium's crypto_pwhash_str, interactive limits; the
 * lowest limits in a fuzzing build, FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION).
 * Session tokens are 256 random bits shown once as "lbx_" + base64url; only their SHA-256 (hex)
 * is stored. TOTP is RFC 6238 (HMAC-SHA-1 via liboath, 30 s steps); a code is compared in
 * constant time against the steps now-1, now and now+1. Functions fill caller buffers; those
 * holding secrets should be wiped with sodium_memzero by the caller. sodium_init and
 * oath_init must have run. Thread-safe.
 */
#ifndef LB_CORE_IDENTITY_H
#define LB_CORE_IDENTITY_H

#include "util/err.h"

#include <stdbool.h>
#include <stdint.h>

#define PASSWORD_HASH_LEN 128 /* crypto_pwhash_STRBYTES */
#define TOKEN_LEN 48          /* "lbx_" + 43 base64url characters + NUL */
#define TOKEN_HASH_LEN 65     /* hex SHA-256 + NUL */
#define TOTP_SECRET_LEN 33    /* 20 random bytes in base32 (32 characters) + NUL */
#define TOTP_STEP_SECONDS 30

/* Hashes password into out; LB_ENOMEM when Argon2id cannot get its memory. */
LB_MUST_CHECK int password_hash(const char *password, char out[PASSWORD_HASH_LEN]);
/* true when password matches hash (false for a NULL hash: users without a password). */
bool password_verify(const char *hash, const char *password);
/* Spends the time a password_verify of a real user would, and answers false: a login for a
 * username that does not exist (or has no password) is then as slow as a wrong password, so
 * the answer's timing does not tell which usernames exist. */
bool password_verify_none(const char *password);
/* Writes a new random token and its storage hash. */
void token_new(char token[TOKEN_LEN], char hash[TOKEN_HASH_LEN]);
/* Writes the storage hash of a token. */
void token_hash(const char *token, char hash[TOKEN_HASH_LEN]);
/* Writes a new random TOTP secret in base32; LB_ENOMEM or LB_EINVAL on failure. */
LB_MUST_CHECK int totp_secret_new(char out[TOTP_SECRET_LEN]);
/* Writes the `digits`-digit code of secret (base32) for time step `step`; LB_EINVAL when the
 * secret is not valid base32. */
LB_MUST_CHECK int totp_code(const char *secret_b32, int64_t step, unsigned digits, char *out,
                            unsigned out_len);
/* Checks a 6-digit code at time now, one step of skew either way. On a match, *step is the step
 * it matched; the caller refuses steps at or below the last one used (replay). LB_EUNAUTH on
 * no match. */
LB_MUST_CHECK int totp_check(const char *secret_b32, const char *code, int64_t now, int64_t *step);

#endif
