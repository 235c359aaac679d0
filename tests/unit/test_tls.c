/* http/tls.c: loading a certificate and key, what a handshake is handed, reloading, refusals.
 * The certificates are made here with GnuTLS, in a temporary folder. */
#include "http/tls.h"

#include <gnutls/x509.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

#include "util/banned.h"

static char dir[64];

static void path_of(const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", dir, name);
}

static void write_file(const char *name, const void *data, size_t len)
{
    char path[128];
    FILE *f;

    path_of(name, path, sizeof(path));
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* NAME.pem, a self-signed certificate of "O=NAME,CN=localhost" with serial, and NAME.key. */
static void make_pair(const char *name, unsigned char serial)
{
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t pem = {0};
    unsigned char sn[2] = {0x20, serial};
    char file[64], dn[64];
    time_t now = time(NULL);

    assert_int_equal(gnutls_x509_privkey_init(&key), 0);
    assert_int_equal(gnutls_x509_privkey_generate(
                         key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
                     0);
    assert_int_equal(gnutls_x509_crt_init(&crt), 0);
    snprintf(dn, sizeof(dn), "O=%s,CN=localhost", name);
    assert_int_equal(gnutls_x509_crt_set_version(crt, 3), 0);
    assert_int_equal(gnutls_x509_crt_set_serial(crt, sn, sizeof(sn)), 0);
    assert_int_equal(gnutls_x509_crt_set_activation_time(crt, now - 60), 0);
    assert_int_equal(gnutls_x509_crt_set_expiration_time(crt, now + 3600), 0);
    assert_int_equal(gnutls_x509_crt_set_dn(crt, dn, NULL), 0);
    assert_int_equal(gnutls_x509_crt_set_key(crt, key), 0);
    assert_int_equal(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0), 0);
    assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem), 0);
    snprintf(file, sizeof(file), "%s.pem", name);
    write_file(file, pem.data, pem.size);
    gnutls_free(pem.data);
    assert_int_equal(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &pem), 0);
    snprintf(file, sizeof(file), "%s.key", name);
    write_file(file, pem.data, pem.size);
    gnutls_free(pem.data);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
}

/* Copies NAME.pem and NAME.key over served.pem and served.key. */
static void serve(const char *name)
{
    char from[128], to[128], file[64];
    const char *ext[] = {"pem", "key"};

    for (int i = 0; i < 2; i++) {
        gnutls_datum_t d = {0};
        snprintf(file, sizeof(file), "%s.%s", name, ext[i]);
        path_of(file, from, sizeof(from));
        assert_int_equal(gnutls_load_file(from, &d), 0);
        snprintf(file, sizeof(file), "served.%s", ext[i]);
        path_of(file, to, sizeof(to));
        write_file(file, d.data, d.size);
        gnutls_free(d.data);
    }
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/lb-test-tls-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    make_pair("first", 0x01);
    make_pair("second", 0x02);
    write_file("garbage.pem", "not PEM\n", 8);
    return 0;
}

static int teardown(void **state)
{
    const char *names[] = {"first.pem",  "first.key",  "second.pem", "second.key",
                           "served.pem", "served.key", "garbage.pem"};
    char path[128];

    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        path_of(names[i], path, sizeof(path));
        unlink(path);
    }
    return rmdir(dir);
}

/* What a handshake would be handed now; -1 when there are no credentials. */
static int handed(gnutls_pcert_st **pcert, unsigned *count)
{
    gnutls_privkey_t key = NULL;
    int rc = tls_creds_retrieve(NULL, NULL, 0, NULL, 0, pcert, count, &key);

    if (rc == 0)
        assert_non_null(key);
    return rc;
}

static struct tls_creds *open_served(void)
{
    struct tls_creds *c = NULL;
    struct buf err = BUF_INIT;
    char cert[128], key[128];

    path_of("served.pem", cert, sizeof(cert));
    path_of("served.key", key, sizeof(key));
    assert_int_equal(tls_creds_new(cert, key, &c, &err), 0);
    assert_int_equal(err.len, 0);
    buf_release(&err);
    return c;
}

static void reload_swaps_for_new_handshakes_and_keeps_the_old(void **state)
{
    struct tls_creds *c;
    struct buf info = BUF_INIT, err = BUF_INIT;
    gnutls_pcert_st *before = NULL, *after = NULL;
    gnutls_datum_t der;
    unsigned n = 0;
    bool changed = false;

    (void)state;
    serve("first");
    c = open_served();
    tls_creds_describe(c, &info);
    assert_non_null(strstr(buf_cstr(&info), "O=first"));
    assert_non_null(strstr(buf_cstr(&info), "CN=localhost"));
    assert_non_null(strstr(buf_cstr(&info), "serial=2001"));
    assert_true(tls_creds_not_after(c) > (int64_t)time(NULL)); /* what /metrics shows */
    assert_int_equal(handed(&before, &n), 0);
    assert_int_equal(n, 1);
    /* a copy of what the first handshake got, to compare after the swap */
    der.size = before->cert.size;
    der.data = gnutls_malloc(der.size);
    memcpy(der.data, before->cert.data, der.size);

    serve("second");
    buf_reset(&info);
    assert_int_equal(tls_creds_reload(c, &changed, &info, &err), 0);
    assert_true(changed);
    assert_non_null(strstr(buf_cstr(&info), "serial=2002"));
    assert_int_equal(handed(&after, &n), 0);
    assert_ptr_not_equal(after, before);
    assert_false(after->cert.size == der.size && memcmp(after->cert.data, der.data, der.size) == 0);
    /* the first identity is still whole for a handshake that got it (ASan watches this read) */
    assert_memory_equal(before->cert.data, der.data, der.size);

    /* the same files again: the identity served stays the very one */
    assert_int_equal(tls_creds_reload(c, &changed, NULL, &err), 0);
    assert_false(changed);
    assert_int_equal(handed(&before, &n), 0);
    assert_ptr_equal(before, after);

    /* a reload that fails keeps the second */
    static const char broken[] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    write_file("served.key", broken, strlen(broken));
    assert_int_equal(tls_creds_reload(c, NULL, NULL, &err), LB_EINVAL);
    assert_non_null(strstr(buf_cstr(&err), "served.key"));
    assert_int_equal(handed(&before, &n), 0);
    assert_ptr_equal(before, after);
    gnutls_free(der.data);
    buf_release(&info);
    buf_release(&err);
    tls_creds_free(c);
}

static void each_bad_pair_is_refused_naming_its_file(void **state)
{
    static const struct {
        const char *cert, *key, *want;
        int rc;
    } bad[] = {
        {"first.pem", "nope.key", "tls_key DIR/nope.key: cannot read: No such file", LB_EIO},
        {"nope.pem", "first.key", "tls_cert DIR/nope.pem: cannot read", LB_EIO},
        {"garbage.pem", "first.key", "tls_cert DIR/garbage.pem: not a PEM certificate", LB_EINVAL},
        {"first.key", "first.key", "tls_cert DIR/first.key: not a PEM certificate", LB_EINVAL},
        {"first.pem", "first.pem", "tls_key DIR/first.pem: not an unencrypted PEM", LB_EINVAL},
        {"first.pem", "second.key", "not the private key of the first certificate", LB_EINVAL},
    };
    struct buf err = BUF_INIT, want = BUF_INIT;
    char cert[128], key[128];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tls_creds *c = (struct tls_creds *)&err;
        const char *at = strstr(bad[i].want, "DIR");

        path_of(bad[i].cert, cert, sizeof(cert));
        path_of(bad[i].key, key, sizeof(key));
        buf_reset(&err);
        buf_reset(&want);
        if (at)
            buf_appendf(&want, "%.*s%s%s", (int)(at - bad[i].want), bad[i].want, dir, at + 3);
        else
            buf_appendf(&want, "%s", bad[i].want);
        assert_int_equal(tls_creds_new(cert, key, &c, &err), bad[i].rc);
        assert_null(c);
        if (!strstr(buf_cstr(&err), buf_cstr(&want)))
            fail_msg("%s + %s: %s, want %s", bad[i].cert, bad[i].key, buf_cstr(&err),
                     buf_cstr(&want));
    }
    buf_release(&err);
    buf_release(&want);
}

static void one_set_of_credentials_per_process(void **state)
{
    struct tls_creds *c, *other = NULL;
    struct buf err = BUF_INIT;
    gnutls_pcert_st *pcert = NULL;
    unsigned n = 0;
    char cert[128], key[128];

    (void)state;
    assert_int_equal(handed(&pcert, &n), -1); /* none yet: the handshake fails */
    serve("first");
    c = open_served();
    path_of("second.pem", cert, sizeof(cert));
    path_of("second.key", key, sizeof(key));
    assert_int_equal(tls_creds_new(cert, key, &other, &err), LB_ECONFLICT);
    assert_null(other);
    tls_creds_free(c);
    assert_int_equal(handed(&pcert, &n), -1);
    assert_int_equal(tls_creds_new(cert, key, &other, &err), 0);
    tls_creds_free(other);
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reload_swaps_for_new_handshakes_and_keeps_the_old),
        cmocka_unit_test(each_bad_pair_is_refused_naming_its_file),
        cmocka_unit_test(one_set_of_credentials_per_process),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
