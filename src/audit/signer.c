#include "signer.h"

#include "store/seal.h"
#include "util/mem.h"

#include <sodium.h>
#include <string.h>

#include "util/banned.h"

_Static_assert(SEAL_KEY_BYTES == crypto_sign_SEEDBYTES, "a key file holds an Ed25519 seed");

struct audit_signer {
    unsigned char secret[crypto_sign_SECRETKEYBYTES];
    bool locked; /* secret is mlock'ed */
    char id[AUDIT_KEY_ID_LEN];
    char public_key[AUDIT_PUBLIC_KEY_HEX_LEN];
};

void audit_signer_free(struct audit_signer *s)
{
    if (!s)
        return;
    sodium_memzero(s->secret, sizeof(s->secret));
    if (s->locked)
        sodium_munlock(s->secret, sizeof(s->secret));
    lb_free(s);
}

static int signer_from_seed(const unsigned char *seed, struct audit_signer **out)
{
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    struct audit_signer *s = lb_calloc(1, sizeof(*s));

    if (!s)
        return LB_ENOMEM;
    s->locked = sodium_mlock(s->secret, sizeof(s->secret)) == 0;
    crypto_sign_seed_keypair(pk, s->secret, seed);
    sodium_bin2hex(s->public_key, sizeof(s->public_key), pk, sizeof(pk));
    if (audit_key_id(s->public_key, s->id) != 0) {
        audit_signer_free(s);
        return LB_EINVAL;
    }
    *out = s;
    return 0;
}

int audit_signer_create(const char *path, struct audit_signer **out, struct buf *err)
{
    unsigned char seed[crypto_sign_SEEDBYTES];
    int rc;

    randombytes_buf(seed, sizeof(seed));
    if ((rc = seal_key_file_write(path, seed, err)) == 0)
        rc = signer_from_seed(seed, out);
    sodium_memzero(seed, sizeof(seed));
    return rc;
}

int audit_signer_open(const char *path, struct audit_signer **out, bool *created, struct buf *err)
{
    unsigned char seed[crypto_sign_SEEDBYTES];
    int rc = seal_key_file_read(path, seed, NULL);

    *created = false;
    if (rc == 0)
        rc = signer_from_seed(seed, out);
    else if (rc == LB_ENOTFOUND && (rc = audit_signer_create(path, out, err)) == 0)
        *created = true;
    else if (rc != LB_ENOTFOUND)
        rc = seal_key_file_read(path, seed, err); /* again, for its message */
    sodium_memzero(seed, sizeof(seed));
    return rc;
}

int audit_signer_new_ephemeral(struct audit_signer **out)
{
    unsigned char seed[crypto_sign_SEEDBYTES];
    int rc;

    randombytes_buf(seed, sizeof(seed));
    rc = signer_from_seed(seed, out);
    sodium_memzero(seed, sizeof(seed));
    return rc;
}

const char *audit_signer_key_id(const struct audit_signer *s)
{
    return s->id;
}

const char *audit_signer_public_key(const struct audit_signer *s)
{
    return s->public_key;
}

/* Signs msg, into sig (hex). */
static void sign_message(const struct audit_signer *s, const struct buf *msg,
                         char sig[AUDIT_SIGNATURE_HEX_LEN])
{
    unsigned char raw[crypto_sign_BYTES];

    crypto_sign_detached(raw, NULL, (const unsigned char *)msg->data, msg->len, s->secret);
    sodium_bin2hex(sig, AUDIT_SIGNATURE_HEX_LEN, raw, sizeof(raw));
}

int audit_signer_sign(const struct audit_signer *s, struct audit_checkpoint *cp,
                      char sig[AUDIT_SIGNATURE_HEX_LEN])
{
    struct buf msg = BUF_INIT;
    int rc;

    cp->key_id = s->id;
    if ((rc = audit_checkpoint_message(cp, &msg)) == 0) {
        sign_message(s, &msg, sig);
        cp->signature = sig;
    }
    buf_release(&msg);
    return rc;
}

int audit_signer_sign_end(const struct audit_signer *s, struct audit_export_end *end,
                          char sig[AUDIT_SIGNATURE_HEX_LEN])
{
    struct buf msg = BUF_INIT;
    int rc;

    end->key_id = s->id;
    if ((rc = audit_export_end_message(end, &msg)) == 0) {
        sign_message(s, &msg, sig);
        end->signature = sig;
    }
    buf_release(&msg);
    return rc;
}
