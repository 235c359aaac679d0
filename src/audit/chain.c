#include "chain.h"

#include "util/mem.h"
#include "util/timeutil.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "util/banned.h"

#define HASH_DOMAIN "lockbox-audit-1"
#define CHECKPOINT_DOMAIN "lockbox-checkpoint-1"
#define EXPORT_END_DOMAIN "lockbox-export-end-2"

const char *audit_chain_of(const char *tenant_id)
{
    return tenant_id ? tenant_id : AUDIT_PROVIDER_CHAIN;
}

bool audit_hash_is_valid(const char *s)
{
    size_t n = 0;

    for (; s && n < AUDIT_HASH_HEX_LEN; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            break;
    return s && n == AUDIT_HASH_HEX_LEN - 1 && s[n] == '\0';
}

/* One field of the canonical encoding: 0x00 for null, else 0x01, its length (4 bytes, big
 * endian) and its bytes. */
static void hash_field(crypto_hash_sha256_state *h, const char *v)
{
    unsigned char head[5] = {0};
    size_t n = v ? strlen(v) : 0;

    if (!v) {
        crypto_hash_sha256_update(h, head, 1);
        return;
    }
    head[0] = 1;
    head[1] = (unsigned char)(n >> 24);
    head[2] = (unsigned char)(n >> 16);
    head[3] = (unsigned char)(n >> 8);
    head[4] = (unsigned char)n;
    crypto_hash_sha256_update(h, head, sizeof(head));
    crypto_hash_sha256_update(h, (const unsigned char *)v, n);
}

int audit_chain_hash(const struct audit_record *r, char out[AUDIT_HASH_HEX_LEN])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    char index[24], time[TIME_RFC3339_LEN];
    crypto_hash_sha256_state h;

    if (!r->chain || r->chain_index < 1 || !audit_hash_is_valid(r->prev_hash) || !r->activity)
        return LB_EINVAL;
    snprintf(index, sizeof(index), "%lld", (long long)r->chain_index);
    time_format_rfc3339(r->time, time);
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, (const unsigned char *)HASH_DOMAIN, sizeof(HASH_DOMAIN));
    hash_field(&h, r->chain);
    hash_field(&h, index);
    hash_field(&h, r->prev_hash);
    hash_field(&h, time);
    hash_field(&h, r->tenant_id);
    hash_field(&h, r->actor);
    hash_field(&h, r->actor_id);
    hash_field(&h, r->actor_type);
    hash_field(&h, r->client_ip);
    hash_field(&h, r->activity);
    hash_field(&h, r->item);
    hash_field(&h, r->request_id);
    hash_field(&h, r->decision);
    hash_field(&h, r->details);
    crypto_hash_sha256_final(&h, digest);
    sodium_bin2hex(out, AUDIT_HASH_HEX_LEN, digest, sizeof(digest));
    return 0;
}

int audit_key_id(const char *public_key, char out[AUDIT_KEY_ID_LEN])
{
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], digest[crypto_hash_sha256_BYTES];
    size_t len = 0;

    if (!public_key ||
        sodium_hex2bin(pk, sizeof(pk), public_key, strlen(public_key), NULL, &len, NULL) != 0 ||
        len != sizeof(pk) || strlen(public_key) != 2 * sizeof(pk))
        return LB_EINVAL;
    crypto_hash_sha256(digest, pk, sizeof(pk));
    sodium_bin2hex(out, AUDIT_KEY_ID_LEN, digest, (AUDIT_KEY_ID_LEN - 1) / 2);
    return 0;
}

int audit_checkpoint_message(const struct audit_checkpoint *cp, struct buf *out)
{
    char time[TIME_RFC3339_LEN];

    if (!cp->chain || cp->index < 1 || !audit_hash_is_valid(cp->hash) || !cp->key_id ||
        strchr(cp->chain, '\n') || strchr(cp->key_id, '\n'))
        return LB_EINVAL;
    time_format_rfc3339(cp->time, time);
    buf_appendf(out, CHECKPOINT_DOMAIN "\n%s\n%lld\n%s\n%s\n%s\n", cp->chain, (long long)cp->index,
                cp->hash, time, cp->key_id);
    return buf_ok(out) ? 0 : LB_ENOMEM;
}

_Static_assert(sizeof(((struct audit_records_digest *)0)->state) >=
                   sizeof(crypto_hash_sha256_state),
               "the digest's state holds SHA-256's");

void audit_records_digest_init(struct audit_records_digest *d)
{
    memset(d, 0, sizeof(*d));
    crypto_hash_sha256_init((crypto_hash_sha256_state *)(void *)d->state);
}

void audit_records_digest_add(struct audit_records_digest *d, int64_t index)
{
    char text[24];
    int n = snprintf(text, sizeof(text), "%lld\n", (long long)index);

    crypto_hash_sha256_update((crypto_hash_sha256_state *)(void *)d->state,
                              (const unsigned char *)text, (unsigned long long)n);
    d->count++;
}

void audit_records_digest_final(struct audit_records_digest *d, char out[AUDIT_HASH_HEX_LEN])
{
    unsigned char digest[crypto_hash_sha256_BYTES];

    crypto_hash_sha256_final((crypto_hash_sha256_state *)(void *)d->state, digest);
    sodium_bin2hex(out, AUDIT_HASH_HEX_LEN, digest, sizeof(digest));
}

/* true when s may stand in a line of a signed message (no newline, no space) */
static bool plain(const char *s)
{
    return s && !strpbrk(s, "\n ");
}

int audit_export_end_message(const struct audit_export_end *end, struct buf *out)
{
    char time[TIME_RFC3339_LEN];

    if (!plain(end->key_id) || !end->scope || strchr(end->scope, '\n'))
        return LB_EINVAL;
    time_format_rfc3339(end->time, time);
    buf_appendf(out, EXPORT_END_DOMAIN "\n%s\n%s\n%s\n%zu\n", time, end->key_id, end->scope,
                end->count);
    for (size_t i = 0; i < end->count; i++) {
        const struct audit_export_chain *c = &end->chains[i];
        if (!plain(c->chain) || !audit_hash_is_valid(c->start_hash) ||
            !audit_hash_is_valid(c->hash) || !audit_hash_is_valid(c->records_digest))
            return LB_EINVAL;
        buf_appendf(out, "%s %lld %s %lld %s %lld %s\n", c->chain, (long long)c->start_index,
                    c->start_hash, (long long)c->index, c->hash, (long long)c->records,
                    c->records_digest);
    }
    return buf_ok(out) ? 0 : LB_ENOMEM;
}

/* 0 when sig (hex) holds over msg under public_key (hex); LB_EKEY, or LB_EINVAL (malformed). */
static int signature_check(const struct buf *msg, const char *sig_hex, const char *public_key)
{
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sig[crypto_sign_BYTES];
    size_t pk_len = 0, sig_len = 0;

    if (!public_key || !sig_hex ||
        sodium_hex2bin(pk, sizeof(pk), public_key, strlen(public_key), NULL, &pk_len, NULL) ||
        pk_len != sizeof(pk) ||
        sodium_hex2bin(sig, sizeof(sig), sig_hex, strlen(sig_hex), NULL, &sig_len, NULL) ||
        sig_len != sizeof(sig))
        return LB_EINVAL;
    return crypto_sign_verify_detached(sig, (const unsigned char *)msg->data, msg->len, pk) == 0
               ? 0
               : LB_EKEY;
}

int audit_checkpoint_check(const struct audit_checkpoint *cp, const char *public_key)
{
    struct buf msg = BUF_INIT;
    int rc = audit_checkpoint_message(cp, &msg);

    if (rc == 0)
        rc = signature_check(&msg, cp->signature, public_key);
    buf_release(&msg);
    return rc;
}

/* ---- verification ---- */

struct chain_state {
    char *chain;
    int64_t index; /* of the last record (or the checkpoint started from) */
    char hash[AUDIT_HASH_HEX_LEN];
    int64_t checkpoint_index; /* of the last checkpoint that held */
    int64_t start_index;      /* where it started: 0, or the checkpoint it started from */
    char start_hash[AUDIT_HASH_HEX_LEN];
    struct audit_records_digest whole; /* the records given whole */
};

struct audit_verify {
    const struct audit_key_list *keys;
    struct chain_state *chains;
    size_t count, cap, last; /* last: the chain used last, looked at first */
    int64_t records, checkpoints;
};

int audit_verify_new(const struct audit_key_list *keys, struct audit_verify **out)
{
    struct audit_verify *v = lb_calloc(1, sizeof(*v));

    if (!v)
        return LB_ENOMEM;
    v->keys = keys;
    *out = v;
    return 0;
}

void audit_verify_free(struct audit_verify *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->count; i++)
        lb_free(v->chains[i].chain);
    lb_free(v->chains);
    lb_free(v);
}

static struct chain_state *chain_find(struct audit_verify *v, const char *chain)
{
    if (v->last < v->count && strcmp(v->chains[v->last].chain, chain) == 0)
        return &v->chains[v->last];
    for (size_t i = 0; i < v->count; i++)
        if (strcmp(v->chains[i].chain, chain) == 0) {
            v->last = i;
            return &v->chains[i];
        }
    return NULL;
}

/* The chain's state, a new one (before its first record) when it is new; NULL: no memory. */
static struct chain_state *chain_state(struct audit_verify *v, const char *chain)
{
    struct chain_state *c = chain_find(v, chain);

    if (c)
        return c;
    if (lb_array_reserve(&v->chains, &v->cap, v->count, sizeof(*v->chains)) != 0)
        return NULL;
    c = &v->chains[v->count];
    memset(c, 0, sizeof(*c));
    if (!(c->chain = lb_strdup(chain)))
        return NULL;
    memcpy(c->hash, AUDIT_GENESIS_HASH, sizeof(AUDIT_GENESIS_HASH));
    memcpy(c->start_hash, AUDIT_GENESIS_HASH, sizeof(AUDIT_GENESIS_HASH));
    audit_records_digest_init(&c->whole);
    v->last = v->count++;
    return c;
}

static int broken(struct buf *why, const char *chain, int64_t index, const char *what)
{
    buf_appendf(why, "chain %s, record %lld: %s", chain, (long long)index, what);
    return LB_EVERIFY;
}

int audit_verify_record(struct audit_verify *v, const struct audit_record *r, bool redacted,
                        struct buf *why)
{
    char hash[AUDIT_HASH_HEX_LEN];
    struct chain_state *c;

    if (!r->chain || !audit_hash_is_valid(r->hash) || !audit_hash_is_valid(r->prev_hash))
        return broken(why, r->chain ? r->chain : "?", r->chain_index,
                      "it carries no valid chain, hash or prev_hash");
    if (!(c = chain_state(v, r->chain)))
        return LB_ENOMEM;
    if (r->chain_index != c->index + 1) {
        buf_appendf(why,
                    "chain %s, record %lld: expected record %lld here (a record was removed, "
                    "added or moved)",
                    r->chain, (long long)r->chain_index, (long long)(c->index + 1));
        return LB_EVERIFY;
    }
    if (strcmp(r->prev_hash, c->hash) != 0)
        return broken(why, r->chain, r->chain_index,
                      "its prev_hash is not the hash of the record before it");
    if (!redacted && (audit_chain_hash(r, hash) != 0 || strcmp(hash, r->hash) != 0))
        return broken(why, r->chain, r->chain_index,
                      "its content does not match its hash (the record was changed)");
    c->index = r->chain_index;
    memcpy(c->hash, r->hash, sizeof(c->hash));
    if (!redacted)
        audit_records_digest_add(&c->whole, r->chain_index);
    v->records++;
    return 0;
}

static const char *public_key_of(const struct audit_verify *v, const char *key_id)
{
    for (size_t i = 0; v->keys && key_id && i < v->keys->count; i++)
        if (strcmp(v->keys->items[i].id, key_id) == 0)
            return v->keys->items[i].public_key;
    return NULL;
}

int audit_verify_checkpoint(struct audit_verify *v, const struct audit_checkpoint *cp,
                            struct buf *why)
{
    struct chain_state *c;
    bool first;
    int rc;

    if (!cp->chain || cp->index < 1 || !audit_hash_is_valid(cp->hash))
        return broken(why, cp->chain ? cp->chain : "?", cp->index, "a malformed checkpoint");
    if (v->keys) {
        const char *pk = public_key_of(v, cp->key_id);
        if (!pk)
            return broken(why, cp->chain, cp->index,
                          "its checkpoint is signed by a key that is not among the keys given");
        if ((rc = audit_checkpoint_check(cp, pk)) != 0)
            return broken(why, cp->chain, cp->index,
                          rc == LB_EKEY ? "its checkpoint's signature does not hold (forged)"
                                        : "its checkpoint's signature is malformed");
    }
    first = chain_find(v, cp->chain) == NULL;
    if (!(c = chain_state(v, cp->chain)))
        return LB_ENOMEM;
    if (first) { /* an export from a checkpoint on: its records follow this one */
        c->index = c->start_index = cp->index;
        memcpy(c->hash, cp->hash, sizeof(c->hash));
        memcpy(c->start_hash, cp->hash, sizeof(c->start_hash));
    } else if (cp->index != c->index) {
        return broken(why, cp->chain, cp->index,
                      "a checkpoint of it is not where the record is (a record was removed, "
                      "added or moved)");
    } else if (strcmp(cp->hash, c->hash) != 0) {
        return broken(why, cp->chain, cp->index,
                      "its checkpoint signs another hash (the chain was rewritten up to here)");
    }
    c->checkpoint_index = cp->index;
    v->checkpoints++;
    return 0;
}

/* LB_EVERIFY (why set) unless e says of c what the file showed. */
static int end_matches(struct chain_state *c, const struct audit_export_chain *e, struct buf *why)
{
    char digest[AUDIT_HASH_HEX_LEN];
    struct audit_records_digest copy = c->whole; /* final consumes the state */

    audit_records_digest_final(&copy, digest);
    if (c->start_index != e->start_index || strcmp(c->start_hash, e->start_hash) != 0) {
        buf_appendf(why,
                    "chain %s: the export starts it at record %lld, the file at %lld (records "
                    "were cut off its start)",
                    e->chain, (long long)e->start_index + 1, (long long)c->start_index + 1);
        return LB_EVERIFY;
    }
    if (c->index != e->index || strcmp(c->hash, e->hash) != 0) {
        buf_appendf(why,
                    "chain %s, record %lld: the export ends the chain there, the file at record "
                    "%lld (records were cut off or added at its end)",
                    e->chain, (long long)e->index, (long long)c->index);
        return LB_EVERIFY;
    }
    if (c->whole.count != e->records || strcmp(digest, e->records_digest) != 0) {
        buf_appendf(why,
                    "chain %s: the export gives %lld of its records whole, the file %lld or "
                    "others (a record was turned into a link)",
                    e->chain, (long long)e->records, (long long)c->whole.count);
        return LB_EVERIFY;
    }
    return 0;
}

int audit_verify_end(struct audit_verify *v, const struct audit_export_end *end, struct buf *why)
{
    struct buf msg = BUF_INIT;
    int rc = audit_export_end_message(end, &msg);

    if (rc == 0 && v->keys)
        rc = signature_check(&msg, end->signature, public_key_of(v, end->key_id));
    buf_release(&msg);
    if (rc) {
        buf_appendf(why, "the export's end %s",
                    rc == LB_EKEY ? "is not signed by a key given (forged)"
                                  : "is malformed or signed by an unknown key");
        return LB_EVERIFY;
    }
    if (end->count != v->count) {
        buf_appendf(why,
                    "the export's end names %zu chains, the file holds %zu (a chain was "
                    "removed or added)",
                    end->count, v->count);
        return LB_EVERIFY;
    }
    for (size_t i = 0; i < end->count; i++) {
        struct chain_state *c = chain_find(v, end->chains[i].chain);
        for (size_t j = 0; j < i; j++)
            if (strcmp(end->chains[j].chain, end->chains[i].chain) == 0)
                c = NULL; /* named twice: one of the file's is missing */
        if (!c)
            return broken(why, end->chains[i].chain, end->chains[i].index,
                          "the export's end names a chain the file does not hold (it was "
                          "removed)");
        if ((rc = end_matches(c, &end->chains[i], why)) != 0)
            return rc;
    }
    return 0;
}

void audit_verify_counts(const struct audit_verify *v, int64_t *records, int64_t *checkpoints,
                         int64_t *chains)
{
    *records = v->records;
    *checkpoints = v->checkpoints;
    *chains = (int64_t)v->count;
}

int64_t audit_verify_unsigned_tail(const struct audit_verify *v, const char *chain)
{
    for (size_t i = 0; i < v->count; i++)
        if (strcmp(v->chains[i].chain, chain) == 0)
            return v->chains[i].index - v->chains[i].checkpoint_index;
    return 0;
}

void audit_verify_each_chain(const struct audit_verify *v, audit_verify_chain_fn *fn, void *ctx)
{
    for (size_t i = 0; i < v->count; i++)
        fn(v->chains[i].chain, v->chains[i].index, v->chains[i].hash, v->chains[i].checkpoint_index,
           ctx);
}
