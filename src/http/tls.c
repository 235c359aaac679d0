#include "http/tls.h"

#include "util/log.h"
#include "util/mem.h"

#include <errno.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/banned.h"

/* One certificate chain and its key, as a handshake uses them. */
struct identity {
    gnutls_pcert_st pcerts[TLS_MAX_CHAIN];
    unsigned pcert_count;
    gnutls_privkey_t key;
    struct buf about;                               /* subject, serial, expiry */
    unsigned char digest[crypto_generichash_BYTES]; /* of both files as read */
    int64_t not_after; /* the certificate's expiry, Unix seconds; 0: unknown */
    struct identity *retired_next;
};

struct tls_creds {
    char *cert_file, *key_file;  /* (owned) */
    struct identity *current;    /* (owned) what new handshakes get; under tls_lock */
    struct identity *retired;    /* (owned) replaced, kept until tls_creds_free */
    pthread_mutex_t reload_lock; /* one reload at a time */
};

/* gnutls_certificate_retrieve_function2 has no context argument: the process's credentials
 * are found here. tls_lock guards tls_active and its current identity. */
static pthread_mutex_t tls_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tls_creds *tls_active;

static void identity_free(struct identity *id)
{
    if (!id)
        return;
    for (unsigned i = 0; i < id->pcert_count; i++)
        gnutls_pcert_deinit(&id->pcerts[i]);
    gnutls_privkey_deinit(id->key);
    buf_release(&id->about);
    lb_free(id);
}

/* Reads path whole into *data (gnutls_free); LB_EIO with the reason in err. */
static int load(const char *what, const char *path, gnutls_datum_t *data, struct buf *err)
{
    if (gnutls_load_file(path, data) == 0)
        return 0;
    buf_appendf(err, "%s %s: cannot read: %s", what, path,
                access(path, R_OK) != 0 ? strerror(errno) : "read error");
    return LB_EIO;
}

static int load_chain(struct identity *id, const char *path, crypto_generichash_state *h,
                      struct buf *err)
{
    gnutls_datum_t pem = {0};
    int rc = load("tls_cert", path, &pem, err), g;

    if (rc)
        return rc;
    crypto_generichash_update(h, pem.data, pem.size);
    id->pcert_count = TLS_MAX_CHAIN;
    g = gnutls_pcert_list_import_x509_raw(id->pcerts, &id->pcert_count, &pem, GNUTLS_X509_FMT_PEM,
                                          GNUTLS_X509_CRT_LIST_IMPORT_FAIL_IF_EXCEED |
                                              GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);
    if (g < 0) {
        id->pcert_count = 0;
        buf_appendf(
            err,
            "tls_cert %s: not a PEM certificate chain (server certificate first, %d at most): %s",
            path, TLS_MAX_CHAIN, gnutls_strerror(g));
        rc = g == GNUTLS_E_MEMORY_ERROR ? LB_ENOMEM : LB_EINVAL;
    }
    gnutls_free(pem.data);
    return rc;
}

static int load_key(struct identity *id, const char *path, crypto_generichash_state *h,
                    struct buf *err)
{
    gnutls_datum_t pem = {0};
    int rc = load("tls_key", path, &pem, err), g;

    if (rc)
        return rc;
    crypto_generichash_update(h, pem.data, pem.size);
    g = gnutls_privkey_init(&id->key);
    if (g == 0)
        g = gnutls_privkey_import_x509_raw(id->key, &pem, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (g < 0) {
        buf_appendf(err, "tls_key %s: not an unencrypted PEM private key: %s", path,
                    gnutls_strerror(g));
        rc = g == GNUTLS_E_MEMORY_ERROR ? LB_ENOMEM : LB_EINVAL;
    }
    gnutls_memset(pem.data, 0, pem.size); /* the key's secret */
    gnutls_free(pem.data);
    return rc;
}

/* true when key is the private half of the public key pub (their key ids are equal). */
static bool key_matches(gnutls_privkey_t key, gnutls_pubkey_t pub)
{
    unsigned char a[64], b[64];
    size_t alen = sizeof(a), blen = sizeof(b);
    gnutls_pubkey_t of_key = NULL;
    bool same = false;

    if (gnutls_pubkey_init(&of_key) == 0 && gnutls_pubkey_import_privkey(of_key, key, 0, 0) == 0 &&
        gnutls_pubkey_get_key_id(of_key, GNUTLS_KEYID_USE_SHA256, a, &alen) == 0 &&
        gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, b, &blen) == 0)
        same = alen == blen && memcmp(a, b, alen) == 0;
    gnutls_pubkey_deinit(of_key);
    return same;
}

/* t as 2026-12-04T20:00:00Z in when ("?" when it cannot be). */
static void utc(time_t t, char when[32])
{
    struct tm tm;

    if (t == (time_t)-1 || !gmtime_r(&t, &tm) || strftime(when, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(when, 32, "?");
}

/* Reads the served certificate into id: its subject, serial and expiry for the log (about) and
 * /metrics (not_after). Logs a certificate outside its dates: it is served all the same, so
 * that a renewal late by an hour is a warning in the log rather than a daemon that does not
 * start. */
static void read_certificate(struct identity *id, const char *cert_file)
{
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t dn = {0};
    unsigned char serial[64];
    size_t serial_len = sizeof(serial);
    time_t now = time(NULL), from, until;
    char when[32];

    if (gnutls_pcert_export_x509(&id->pcerts[0], &crt) != 0)
        return;
    if (gnutls_x509_crt_get_dn3(crt, &dn, 0) == 0)
        buf_appendf(&id->about, "subject=\"%s\"", (const char *)dn.data);
    if (gnutls_x509_crt_get_serial(crt, serial, &serial_len) == 0) {
        buf_appendf(&id->about, " serial=");
        for (size_t i = 0; i < serial_len; i++)
            buf_appendf(&id->about, "%02x", serial[i]);
    }
    from = gnutls_x509_crt_get_activation_time(crt);
    until = gnutls_x509_crt_get_expiration_time(crt);
    utc(until, when);
    buf_appendf(&id->about, " not_after=%s", when);
    id->not_after = until == (time_t)-1 ? 0 : (int64_t)until;
    if (until != (time_t)-1 && until < now) {
        log_warn("tls: the certificate of %s expired at %s: clients refuse it; renew it and "
                 "send SIGHUP",
                 cert_file, when);
    } else if (from != (time_t)-1 && from > now) {
        utc(from, when);
        log_warn("tls: the certificate of %s is not valid before %s: clients refuse it until "
                 "then (is this host's clock right?)",
                 cert_file, when);
    }
    gnutls_free(dn.data);
    gnutls_x509_crt_deinit(crt);
}

/* Logs a key file group or others may read. */
static void warn_about_key_mode(const char *key_file)
{
    struct stat st;

    if (stat(key_file, &st) == 0 && (st.st_mode & 077))
        log_warn("tls: tls_key %s is mode %03o: others may read the private key; chmod 600 it",
                 key_file, (unsigned)(st.st_mode & 0777));
}

/* A new identity from the two files, its key checked against its certificate. */
static int identity_load(const char *cert_file, const char *key_file, struct identity **out,
                         struct buf *err)
{
    struct identity *id = lb_calloc(1, sizeof(*id));
    crypto_generichash_state h;
    int rc;

    *out = NULL;
    if (!id)
        return LB_ENOMEM;
    buf_init(&id->about, 1024);
    crypto_generichash_init(&h, NULL, 0, sizeof(id->digest));
    if ((rc = load_chain(id, cert_file, &h, err)) != 0 ||
        (rc = load_key(id, key_file, &h, err)) != 0)
        goto out;
    crypto_generichash_final(&h, id->digest, sizeof(id->digest));
    if (!key_matches(id->key, id->pcerts[0].pubkey)) {
        buf_appendf(err, "tls_key %s: not the private key of the first certificate of %s", key_file,
                    cert_file);
        rc = LB_EINVAL;
        goto out;
    }
    read_certificate(id, cert_file);
    warn_about_key_mode(key_file);
    *out = id;
    return 0;
out:
    sodium_memzero(&h, sizeof(h)); /* it has read the key */
    identity_free(id);
    return rc;
}

int tls_creds_new(const char *cert_file, const char *key_file, struct tls_creds **out,
                  struct buf *err)
{
    struct tls_creds *c = lb_calloc(1, sizeof(*c));
    int rc = LB_ENOMEM;

    *out = NULL;
    if (!c)
        return LB_ENOMEM;
    pthread_mutex_init(&c->reload_lock, NULL);
    if (!(c->cert_file = lb_strdup(cert_file)) || !(c->key_file = lb_strdup(key_file)))
        goto out;
    if ((rc = identity_load(cert_file, key_file, &c->current, err)) != 0)
        goto out;
    pthread_mutex_lock(&tls_lock);
    if (tls_active)
        rc = LB_ECONFLICT;
    else
        tls_active = c;
    pthread_mutex_unlock(&tls_lock);
    if (rc) {
        buf_appendf(err, "TLS credentials are already in use in this process");
        goto out;
    }
    *out = c;
    return 0;
out:
    tls_creds_free(c);
    return rc;
}

int tls_creds_reload(struct tls_creds *c, bool *changed, struct buf *info, struct buf *err)
{
    struct identity *fresh = NULL;
    bool same;
    int rc;

    pthread_mutex_lock(&c->reload_lock);
    rc = identity_load(c->cert_file, c->key_file, &fresh, err);
    if (rc == 0) {
        if (info)
            buf_appendf(info, "%s", buf_cstr(&fresh->about));
        /* the files as they were: nothing to retire (a SIGHUP for the policy alone would
         * otherwise keep one more copy of the key each time) */
        same = sodium_memcmp(fresh->digest, c->current->digest, sizeof(fresh->digest)) == 0;
        if (changed)
            *changed = !same;
        if (same) {
            identity_free(fresh);
            goto out;
        }
        pthread_mutex_lock(&tls_lock);
        /* a handshake may hold the old one's pointers: it retires, freed at tls_creds_free */
        c->current->retired_next = c->retired;
        c->retired = c->current;
        c->current = fresh;
        pthread_mutex_unlock(&tls_lock);
    }
out:
    pthread_mutex_unlock(&c->reload_lock);
    return rc;
}

int64_t tls_creds_not_after(struct tls_creds *c)
{
    int64_t t;

    pthread_mutex_lock(&tls_lock);
    t = c->current->not_after;
    pthread_mutex_unlock(&tls_lock);
    return t;
}

void tls_creds_describe(struct tls_creds *c, struct buf *out)
{
    pthread_mutex_lock(&tls_lock);
    buf_appendf(out, "%s", buf_cstr(&c->current->about));
    pthread_mutex_unlock(&tls_lock);
}

int tls_creds_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
                       const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                       gnutls_pcert_st **pcert, unsigned int *pcert_length,
                       gnutls_privkey_t *privkey)
{
    int rc = -1;

    (void)session, (void)req_ca_rdn, (void)nreqs, (void)pk_algos, (void)pk_algos_length;
    pthread_mutex_lock(&tls_lock);
    if (tls_active) {
        *pcert = tls_active->current->pcerts;
        *pcert_length = tls_active->current->pcert_count;
        *privkey = tls_active->current->key;
        rc = 0;
    }
    pthread_mutex_unlock(&tls_lock);
    return rc;
}

void tls_creds_free(struct tls_creds *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&tls_lock);
    if (tls_active == c)
        tls_active = NULL;
    pthread_mutex_unlock(&tls_lock);
    identity_free(c->current);
    while (c->retired) {
        struct identity *next = c->retired->retired_next;
        identity_free(c->retired);
        c->retired = next;
    }
    pthread_mutex_destroy(&c->reload_lock);
    lb_free(c->cert_file);
    lb_free(c->key_file);
    lb_free(c);
}
