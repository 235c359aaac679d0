/*
 * tls.h - lockboxd's TLS identity: the certificate chain and private key it shows clients,
 * loaded from PEM files and replaced on SIGHUP without dropping a connection.
 *
 * libmicrohttpd (built with GnuTLS) asks for the identity at each handshake through
 * tls_creds_retrieve, a gnutls_certificate_retrieve_function2. That callback carries no
 * context, so a process has one set of credentials at a time: tls_creds_new refuses a second
 * (LB_ECONFLICT) until the first is freed. A reload reads both files into a new identity and,
 * only when both are valid, the key is the certificate's and either file changed, makes it the
 * one new handshakes get; the identities it replaces are kept (a handshake or a session may still
 * point at them) and freed with the credentials, by tls_creds_free, which the server calls after
 * libmicrohttpd has stopped. The retrieve callback and tls_creds_reload may run on any thread
 * at once (one lock guards the current identity). TLS_PRIORITIES is the GnuTLS priority
 * string the server offers: TLS 1.3 and 1.2 only, AEAD ciphers, forward-secret key exchange.
 * Errors: LB_EIO (a file cannot be read; `err` names it), LB_EINVAL (a file holds no valid
 * PEM certificate or key, or the key is not the certificate's; `err` names the file and
 * GnuTLS's reason), LB_ECONFLICT, LB_ENOMEM. `err` is written only on failure. A pair that
 * loads but whose certificate is expired or not yet valid, or whose key file group or others may
 * read, is used all the same, with a warning in the log (util/log.h) at each load.
 */
#ifndef LB_HTTP_TLS_H
#define LB_HTTP_TLS_H

#include "util/buf.h"
#include "util/err.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

/* TLS 1.3 and 1.2; AES-GCM and ChaCha20-Poly1305; ECDHE (1.2) or (EC)DHE (1.3) key exchange;
 * the server's preference first. */
#define TLS_PRIORITIES                                                                             \
    "SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:"         \
    "+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:%SERVER_PRECEDENCE"

/* The most certificates a chain file may hold (the server's and its intermediates). */
#define TLS_MAX_CHAIN 16

struct tls_creds;

/* Loads cert_file (a PEM chain, the server's certificate first) and key_file (its PEM private
 * key) into new credentials, the process's (caller frees with tls_creds_free). */
LB_MUST_CHECK int tls_creds_new(const char *cert_file, const char *key_file, struct tls_creds **out,
                                struct buf *err);
/* Reads both files again; on success new handshakes get the new identity, on failure the
 * current one stays. Files that hold what they held when last loaded change nothing and
 * retire nothing: *changed (may be NULL) says which. `info` (may be NULL) gets the
 * certificate's subject and expiry. */
LB_MUST_CHECK int tls_creds_reload(struct tls_creds *c, bool *changed, struct buf *info,
                                   struct buf *err);
/* The current certificate's expiry, Unix seconds (0: unknown), for /metrics. */
int64_t tls_creds_not_after(struct tls_creds *c);
/* Writes the current certificate's subject, serial and expiry (for the log). */
void tls_creds_describe(struct tls_creds *c, struct buf *out);
/* The identity of the process's credentials, for MHD_OPTION_HTTPS_CERT_CALLBACK. */
gnutls_certificate_retrieve_function2 tls_creds_retrieve;
/* Frees c and every identity it held; no handshake may be running (stop the server first). */
void tls_creds_free(struct tls_creds *c);

#endif
