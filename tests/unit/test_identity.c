/* Identity: TOTP against RFC 6238's SHA-1 vectors, skew and its limits, passwords, tokens. */
#include "core/identity.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

/* RFC 6238 appendix B: the ASCII secret "12345678901234567890" in base32. */
static const char *const rfc_secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

static void totp_matches_rfc6238_vectors(void **state)
{
    static const struct {
        int64_t t;
        const char *code;
    } v[] = {{59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
             {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}};
    char out[16];

    (void)state;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        assert_int_equal(totp_code(rfc_secret, v[i].t / TOTP_STEP_SECONDS, 8, out, sizeof(out)), 0);
        assert_string_equal(out, v[i].code);
        /* The 6-digit code the server checks is the last six digits. */
        assert_int_equal(totp_code(rfc_secret, v[i].t / TOTP_STEP_SECONDS, 6, out, sizeof(out)), 0);
        assert_string_equal(out, v[i].code + 2);
    }
}

static void totp_accepts_one_step_of_skew_and_no_more(void **state)
{
    const int64_t now = 1234567890, step = now / TOTP_STEP_SECONDS;
    char code[8];
    int64_t matched = 0;

    (void)state;
    for (int d = -1; d <= 1; d++) {
        assert_int_equal(totp_code(rfc_secret, step + d, 6, code, sizeof(code)), 0);
        assert_int_equal(totp_check(rfc_secret, code, now, &matched), 0);
        assert_int_equal(matched, step + d);
    }
    for (int d = -3; d <= 3; d += 6) {
        assert_int_equal(totp_code(rfc_secret, step + d, 6, code, sizeof(code)), 0);
        assert_int_equal(totp_check(rfc_secret, code, now, &matched), LB_EUNAUTH);
    }
    assert_int_equal(totp_code(rfc_secret, step + 2, 6, code, sizeof(code)), 0);
    assert_int_equal(totp_check(rfc_secret, code, now, &matched), LB_EUNAUTH);
}

static void totp_refuses_malformed_codes_and_secrets(void **state)
{
    int64_t step;
    char out[16];

    (void)state;
    assert_int_equal(totp_check(rfc_secret, "", 59, &step), LB_EUNAUTH);
    assert_int_equal(totp_check(rfc_secret, "28708", 59, &step), LB_EUNAUTH);
    assert_int_equal(totp_check(rfc_secret, "2870820", 59, &step), LB_EUNAUTH);
    assert_int_equal(totp_check(rfc_secret, "28708a", 59, &step), LB_EUNAUTH);
    assert_int_equal(totp_check(rfc_secret, "287082", 59, &step), 0);
    assert_int_not_equal(totp_code("not base32!", 1, 6, out, sizeof(out)), 0);
}

static void totp_secrets_are_random_base32(void **state)
{
    char a[TOTP_SECRET_LEN], b[TOTP_SECRET_LEN], code[8];

    (void)state;
    assert_int_equal(totp_secret_new(a), 0);
    assert_int_equal(totp_secret_new(b), 0);
    assert_int_equal(strlen(a), 32);
    assert_string_not_equal(a, b);
    assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 32);
    assert_int_equal(totp_code(a, 1, 6, code, sizeof(code)), 0);
}

static void passwords_hash_with_argon2id_and_verify(void **state)
{
    char h1[PASSWORD_HASH_LEN], h2[PASSWORD_HASH_LEN];

    (void)state;
    assert_int_equal(password_hash("correct horse", h1), 0);
    assert_int_equal(password_hash("correct horse", h2), 0);
    assert_non_null(strstr(h1, "$argon2id$"));
    assert_string_not_equal(h1, h2); /* salted */
    assert_true(password_verify(h1, "correct horse"));
    assert_false(password_verify(h1, "correct horsE"));
    assert_false(password_verify(h1, ""));
    assert_false(password_verify(NULL, "correct horse"));
}

static void tokens_are_random_and_stored_as_hashes(void **state)
{
    char t1[TOKEN_LEN], t2[TOKEN_LEN], h1[TOKEN_HASH_LEN], h2[TOKEN_HASH_LEN],
        again[TOKEN_HASH_LEN];

    (void)state;
    token_new(t1, h1);
    token_new(t2, h2);
    assert_string_not_equal(t1, t2);
    assert_int_equal(strncmp(t1, "lbx_", 4), 0);
    assert_int_equal(strlen(t1), 4 + 43); /* 256 bits in base64url */
    assert_int_equal(strlen(h1), 64);
    assert_null(strstr(h1, t1 + 4));
    token_hash(t1, again);
    assert_string_equal(again, h1);
    token_hash(t2, again);
    assert_string_not_equal(again, h1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(totp_matches_rfc6238_vectors),
        cmocka_unit_test(totp_accepts_one_step_of_skew_and_no_more),
        cmocka_unit_test(totp_refuses_malformed_codes_and_secrets),
        cmocka_unit_test(totp_secrets_are_random_base32),
        cmocka_unit_test(passwords_hash_with_argon2id_and_verify),
        cmocka_unit_test(tokens_are_random_and_stored_as_hashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
