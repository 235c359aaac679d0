#include "identity.h"

#include "util/mem.h"

#include <liboath/oath.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
/* fuzzers only (lockboxd built so will not start): the lowest cost libsodium takes */
#define PASSWORD_OPSLIMIT crypto_pwhash_OPSLIMIT_MIN
#define PASSWORD_MEMLIMIT crypto_pwhash_MEMLIMIT_MIN
#else
#define PASSWORD_OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PASSWORD_MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE
#endif

int password_hash(const char *password, char out[PASSWORD_HASH_LEN])
{
    if (crypto_pwhash_str(out, password, strlen(password), PASSWORD_OPSLIMIT, PASSWORD_MEMLIMIT) !=
        0)
        return LB_ENOMEM;
    return 0;
}

bool password_verify(const char *hash, const char *password)
{
    if (!hash || !password)
        return false;
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

bool password_verify_none(const char *password)
{
    char scratch[PASSWORD_HASH_LEN];

    /* hashing costs what verifying does: both run Argon2id with the same limits */
    if (password && password_hash(password, scratch) == 0)
        sodium_memzero(scratch, sizeof(scratch));
    return false;
}

void token_hash(const char *token, char hash[TOKEN_HASH_LEN])
{
    unsigned char digest[crypto_hash_sha256_BYTES];

    crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(hash, TOKEN_HASH_LEN, digest, sizeof(digest));
}

void token_new(char token[TOKEN_LEN], char hash[TOKEN_HASH_LEN])
{
    unsigned char raw[32];

    randombytes_buf(raw, sizeof(raw));
    memcpy(token, "lbx_", 4);
    sodium_bin2base64(token + 4, TOKEN_LEN - 4, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    token_hash(token, hash);
}

int totp_secret_new(char out[TOTP_SECRET_LEN])
{
    char raw[20];
    char *b32 = NULL;
    size_t len = 0;
    int rc = 0;

    randombytes_buf(raw, sizeof(raw));
    if (oath_base32_encode(raw, sizeof(raw), &b32, &len) != OATH_OK || len >= TOTP_SECRET_LEN) {
        rc = LB_ENOMEM;
        goto out;
    }
    memcpy(out, b32, len);
    out[len] = '\0';
out:
    sodium_memzero(raw, sizeof(raw));
    if (b32) {
        sodium_memzero(b32, len);
        free(b32);
    }
    return rc;
}

int totp_code(const char *secret_b32, int64_t step, unsigned digits, char *out, unsigned out_len)
{
    char *key = NULL;
    size_t key_len = 0;
    int rc = 0;

    if (out_len <= digits || digits < 6 || digits > 8)
        return LB_EINVAL;
    if (oath_base32_decode(secret_b32, strlen(secret_b32), &key, &key_len) != OATH_OK)
        return LB_EINVAL;
    /* start time 0 and a 30 s step make the "time" argument select the step exactly */
    if (oath_totp_generate2(key, key_len, (time_t)(step * TOTP_STEP_SECONDS), TOTP_STEP_SECONDS, 0,
                            digits, 0, out) != OATH_OK)
        rc = LB_EINVAL;
    sodium_memzero(key, key_len);
    free(key);
    return rc;
}

int totp_check(const char *secret_b32, const char *code, int64_t now, int64_t *step)
{
    int64_t current = now / TOTP_STEP_SECONDS;
    bool matched = false;
    char expect[8];

    if (strlen(code) != 6)
        return LB_EUNAUTH;
    /* try all three steps whatever matches, so timing tells nothing of which one did */
    for (int64_t s = current - 1; s <= current + 1; s++) {
        if (totp_code(secret_b32, s, 6, expect, sizeof(expect)) != 0)
            return LB_EUNAUTH;
        if (sodium_memcmp(expect, code, 6) == 0 && !matched) {
            matched = true;
            *step = s;
        }
    }
    sodium_memzero(expect, sizeof(expect));
    return matched ? 0 : LB_EUNAUTH;
}
