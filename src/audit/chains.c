#include "chains.h"

#include "audit/audit.h"
#include "util/strv.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "util/banned.h"

#define BATCH 1000
#define VERIFY_BATCH 10000
#define PRUNE_BATCH 5000

/* Chains the oldest unchained records, at most BATCH, in one transaction; *n of them. */
static int backfill_batch(struct store *st, int64_t *n)
{
    struct audit_list l = {0};
    int rc;

    *n = 0;
    if ((rc = store_begin(st)) != 0)
        return rc;
    rc = store_audit_unchained(st, BATCH, &l);
    for (size_t i = 0; rc == 0 && i < l.count; i++) {
        struct audit_record r = l.items[i];
        struct audit_chain_head head = {0};
        char hash[AUDIT_HASH_HEX_LEN];
        /* r borrows l's strings; audit_link points its chain fields elsewhere */
        if ((rc = audit_link(st, &r, hash, &head)) == 0)
            rc = store_audit_link(st, &r);
        audit_chain_head_clear(&head);
    }
    if (rc == 0 && (rc = store_commit(st)) == 0)
        *n = (int64_t)l.count;
    else if (rc)
        store_rollback(st);
    audit_list_clear(&l);
    return rc;
}

int audit_chains_backfill(struct store *st, int64_t *linked)
{
    int64_t n = 0;
    int rc;

    *linked = 0;
    do {
        if ((rc = backfill_batch(st, &n)) != 0)
            return rc;
        *linked += n;
    } while (n == BATCH);
    return 0;
}

/* Signs record index of chain (hash known, or read when NULL) at now. */
static int sign_one(struct store *st, const struct audit_signer *s, const char *chain,
                    int64_t index, const char *hash, int64_t now)
{
    char sig[AUDIT_SIGNATURE_HEX_LEN];
    struct audit_list l = {0};
    struct audit_checkpoint cp = {.chain = chain, .index = index, .hash = hash, .time = now};
    int rc = 0;

    if (!hash) {
        if ((rc = store_audit_chain_records(st, chain, index - 1, 1, &l)) == 0 &&
            (l.count != 1 || l.items[0].chain_index != index))
            rc = LB_ENOTFOUND;
        if (rc == 0)
            cp.hash = l.items[0].hash;
    }
    if (rc == 0 && (rc = audit_signer_sign(s, &cp, sig)) == 0)
        rc = store_audit_checkpoint_insert(st, &cp);
    audit_list_clear(&l);
    return rc;
}

/* The checkpoints due in one chain whose recorded head is h. */
static int make_for_chain(struct store *st, const struct audit_signer *s,
                          const struct audit_chain_head *h, int64_t now, int64_t every,
                          int64_t max_age, int64_t *made)
{
    struct audit_chain_head real = {0};
    int64_t signed_to = h->checkpoint_index;
    int rc;

    /* the newest record itself, not the head's copy of it */
    if ((rc = store_audit_chain_head(st, h->chain, &real)) != 0)
        return rc == LB_ENOTFOUND ? 0 : rc;
    for (int64_t k = (signed_to / every + 1) * every; rc == 0 && k <= real.index; k += every) {
        if ((rc = sign_one(st, s, h->chain, k, NULL, now)) == 0) {
            signed_to = k;
            (*made)++;
        }
    }
    if (rc == 0 && real.index > signed_to && now - h->checkpoint_time >= max_age) {
        if ((rc = sign_one(st, s, h->chain, real.index, real.hash, now)) == 0)
            (*made)++;
    }
    audit_chain_head_clear(&real);
    return rc;
}

/* true when h has a checkpoint due at now */
static bool is_due(const struct audit_chain_head *h, int64_t now, int64_t every, int64_t max_age)
{
    return h->index / every > h->checkpoint_index / every || now - h->checkpoint_time >= max_age;
}

int audit_checkpoints_make(struct store *st, const struct audit_signer *s, int64_t now,
                           int64_t every, int64_t max_age, int64_t *made)
{
    struct audit_chain_head_list due = {0};
    bool any = false;
    int rc;

    *made = 0;
    if (every < 1)
        return LB_EINVAL;
    /* looked at first outside a transaction: most ticks find nothing to sign */
    if ((rc = store_audit_chains(st, true, &due)) != 0)
        return rc;
    for (size_t i = 0; i < due.count; i++)
        any = any || is_due(&due.items[i], now, every, max_age);
    audit_chain_head_list_clear(&due);
    if (!any)
        return 0;
    if ((rc = store_begin(st)) != 0)
        return rc;
    rc = store_audit_chains(st, true, &due);
    for (size_t i = 0; rc == 0 && i < due.count; i++)
        if (is_due(&due.items[i], now, every, max_age))
            rc = make_for_chain(st, s, &due.items[i], now, every, max_age, made);
    if (rc == 0)
        rc = store_commit(st);
    else
        store_rollback(st);
    if (rc)
        *made = 0;
    audit_chain_head_list_clear(&due);
    return rc;
}

/* ---- retention ---- */

/* Says, in the chain itself, that its records through cp go and why, and lets them go (one
 * transaction): pruning is never silent. */
static int prune_mark(struct store *st, const char *chain, const char *tenant_id,
                      const struct audit_checkpoint *cp, int64_t from, int64_t retention,
                      int64_t now)
{
    const struct audit_field f[] = {
        AF_INT("through_index", cp->index),          AF_STR("through_hash", cp->hash),
        AF_INT("through_checkpoint_time", cp->time), AF_INT("records", cp->index - from),
        AF_INT("retention_seconds", retention),
    };
    struct audit_entry e = {.time = now,
                            .tenant_id = tenant_id,
                            .actor = "system",
                            .actor_type = "system",
                            .activity = "audit.prune",
                            .item = chain,
                            .fields = f,
                            .field_count = sizeof(f) / sizeof(f[0])};
    int rc = store_begin(st);

    if (rc)
        return rc;
    /* the mark first: another lockboxd pruning the chain meanwhile did it, said once */
    if ((rc = store_audit_prune_mark(st, chain, cp->index)) == 0)
        rc = audit_append(st, &e, NULL);
    if (rc == 0)
        return store_commit(st);
    store_rollback(st);
    return rc == LB_ECONFLICT ? 0 : rc;
}

int audit_chains_prune(struct store *st, const char *chain, const char *tenant_id,
                       int64_t retention, int64_t now, int64_t max_index, int64_t *deleted)
{
    struct audit_chain_head h = {0};
    struct audit_checkpoint cp = {0};
    int64_t n = 0;
    int rc;

    *deleted = 0;
    if (retention < 1)
        return LB_EINVAL;
    if ((rc = store_audit_chain_head(st, chain, &h)) != 0)
        return rc == LB_ENOTFOUND ? 0 : rc;
    rc = store_audit_checkpoint_before(st, chain, now - retention, max_index, &cp);
    if (rc == 0 && cp.index > h.pruned_index)
        rc = prune_mark(st, chain, tenant_id, &cp, h.pruned_index, retention, now);
    else if (rc == LB_ENOTFOUND)
        rc = 0;
    /* and what an earlier pass marked but did not delete (it was stopped) */
    while (rc == 0 && (rc = store_audit_prune(st, chain, PRUNE_BATCH, &n)) == 0 && n > 0)
        *deleted += n;
    audit_checkpoint_clear(&cp);
    audit_chain_head_clear(&h);
    return rc;
}

/* ---- verification in place ---- */

/* A chain's checkpoints, read in batches as the records pass them. */
struct cp_cursor {
    const char *chain;
    struct audit_checkpoint_list batch;
    size_t next;
    int64_t after;
};

/* The next checkpoint of the chain, or NULL when none is left (rc set on an error). */
static const struct audit_checkpoint *cp_peek(struct store *st, struct cp_cursor *c, int *rc)
{
    if (c->next < c->batch.count)
        return &c->batch.items[c->next];
    audit_checkpoint_list_clear(&c->batch);
    c->next = 0;
    if ((*rc = store_audit_checkpoints(st, c->chain, c->after, VERIFY_BATCH, &c->batch)) != 0 ||
        c->batch.count == 0)
        return NULL;
    c->after = c->batch.items[c->batch.count - 1].index;
    return &c->batch.items[0];
}

/* Feeds v every checkpoint of the chain up to index (a checkpoint before index that the
 * records passed is out of place: its record is gone). */
static int feed_checkpoints(struct store *st, struct audit_verify *v, struct cp_cursor *c,
                            int64_t index, struct buf *why)
{
    const struct audit_checkpoint *cp;
    int rc = 0;

    while (rc == 0 && (cp = cp_peek(st, c, &rc)) != NULL && cp->index <= index) {
        rc = audit_verify_checkpoint(v, cp, why);
        c->next++;
    }
    return rc;
}

/* A pruned chain starts at the checkpoint of its pruned_index, which v takes first; an
 * audit.prune record later in the chain must say so (*said: not yet). */
static int verify_pruned_start(struct store *st, struct audit_verify *v,
                               const struct audit_chain_head *h, struct cp_cursor *cps,
                               struct buf *why)
{
    const struct audit_checkpoint *cp;
    int rc = 0;

    cps->after = h->pruned_index - 1;
    if ((cp = cp_peek(st, cps, &rc)) == NULL || cp->index != h->pruned_index) {
        if (rc)
            return rc;
        buf_appendf(why,
                    "chain %s, record %lld: its records through it were pruned, but no "
                    "checkpoint signs it",
                    h->chain, (long long)h->pruned_index);
        return LB_EVERIFY;
    }
    rc = audit_verify_checkpoint(v, cp, why);
    cps->next++;
    return rc;
}

/* true when r says the chain was pruned through index. */
static bool is_prune_of(const struct audit_record *r, int64_t index)
{
    json_t *d;
    bool is;

    if (strcmp(r->activity, "audit.prune") != 0 || !r->details ||
        !(d = json_loads(r->details, 0, NULL)))
        return false;
    is = json_integer_value(json_object_get(d, "through_index")) == index;
    json_decref(d);
    return is;
}

static int verify_chain(struct store *st, struct audit_verify *v, const struct audit_chain_head *h,
                        struct buf *why)
{
    struct cp_cursor cps = {.chain = h->chain};
    struct audit_list l = {0};
    int64_t after = h->pruned_index;
    bool said = h->pruned_index == 0;
    const struct audit_checkpoint *left;
    int rc = h->pruned_index > 0 ? verify_pruned_start(st, v, h, &cps, why) : 0;

    while (rc == 0) {
        audit_list_clear(&l);
        if ((rc = store_audit_chain_records(st, h->chain, after, VERIFY_BATCH, &l)) != 0)
            break;
        for (size_t i = 0; rc == 0 && i < l.count; i++) {
            if ((rc = audit_verify_record(v, &l.items[i], false, why)) == 0)
                rc = feed_checkpoints(st, v, &cps, l.items[i].chain_index, why);
            said = said || is_prune_of(&l.items[i], h->pruned_index);
            after = l.items[i].chain_index;
        }
        if (l.count < VERIFY_BATCH)
            break;
    }
    if (rc == 0 && !said) {
        buf_appendf(why,
                    "chain %s, record %lld: its records through it were deleted, but no "
                    "audit.prune record says so",
                    h->chain, (long long)h->pruned_index);
        rc = LB_EVERIFY;
    }
    /* a checkpoint past the head read before (a record appended meanwhile, signed since) is
     * not a sign of records removed */
    if (rc == 0 && (left = cp_peek(st, &cps, &rc)) != NULL && left->index <= h->index) {
        buf_appendf(why,
                    "chain %s, record %lld: a checkpoint signs it, but the chain ends at %lld "
                    "(records were removed from its end)",
                    h->chain, (long long)left->index, (long long)after);
        rc = LB_EVERIFY;
    }
    if (rc == 0 && after < h->index) {
        buf_appendf(why,
                    "chain %s, record %lld: the chain ends at %lld, but %lld records were "
                    "written to it (records were removed from its end)",
                    h->chain, (long long)(after + 1), (long long)after, (long long)h->index);
        rc = LB_EVERIFY;
    }
    audit_list_clear(&l);
    audit_checkpoint_list_clear(&cps.batch);
    return rc;
}

/* A chain with records but no head row (its audit_chains row deleted): a break of its own,
 * found by listing the chains from the records. LB_EVERIFY when there is one. */
static int headless_chains(struct store *st, const struct audit_chain_head_list *heads,
                           audit_chain_outcome_fn *each, void *ctx, struct buf *why)
{
    char **names = NULL;
    size_t n = 0;
    bool broke = false;
    int rc = store_audit_chain_names(st, &names, &n);

    for (size_t i = 0; rc == 0 && i < n; i++) {
        bool known = false;
        struct buf one = BUF_INIT;
        for (size_t j = 0; !known && j < heads->count; j++)
            known = strcmp(heads->items[j].chain, names[i]) == 0;
        if (known)
            continue;
        buf_appendf(&one,
                    "chain %s: it has records but no recorded head (its head row was "
                    "deleted)",
                    names[i]);
        if (!broke)
            buf_puts(why, buf_cstr(&one));
        broke = true;
        if (each)
            each(ctx, names[i], buf_cstr(&one));
        buf_release(&one);
    }
    strv_free(names, n);
    return rc ? rc : broke ? LB_EVERIFY : 0;
}

/* Verifies one chain with a verifier of its own, counted into report. A chain that breaks is
 * verified once more when a pruning (by another lockboxd) moved its start meanwhile. */
static int verify_one(struct store *st, const struct audit_key_list *keys,
                      struct audit_chain_head *h, struct audit_chains_report *report,
                      struct buf *why)
{
    struct audit_chain_head now = {0};
    struct audit_verify *v = NULL;
    int64_t records = 0, checkpoints = 0, chains = 0;
    int rc;

    for (int attempt = 0; attempt < 2; attempt++) {
        audit_verify_free(v);
        v = NULL;
        buf_reset(why);
        if ((rc = audit_verify_new(keys, &v)) != 0)
            break;
        rc = verify_chain(st, v, h, why);
        if (rc != LB_EVERIFY || attempt > 0 || store_audit_chain_head(st, h->chain, &now) != 0 ||
            now.pruned_index == h->pruned_index)
            break;
        h->pruned_index = now.pruned_index;
        audit_chain_head_clear(&now);
    }
    audit_chain_head_clear(&now);
    if (v) {
        audit_verify_counts(v, &records, &checkpoints, &chains);
        report->records += records;
        report->checkpoints += checkpoints;
        report->chains += chains;
        report->unsigned_tail += audit_verify_unsigned_tail(v, h->chain);
    }
    audit_verify_free(v);
    return rc;
}

int audit_chains_verify(struct store *st, struct audit_chains_report *report,
                        audit_chain_outcome_fn *each, void *ctx, struct buf *why)
{
    struct audit_key_list keys = {0};
    struct audit_chain_head_list chains = {0};
    struct audit_list unchained = {0};
    struct buf one = BUF_INIT;
    bool broke = false;
    int rc;

    memset(report, 0, sizeof(*report));
    if ((rc = store_audit_keys(st, &keys)) != 0 ||
        (rc = store_audit_chains(st, false, &chains)) != 0)
        goto out;
    for (size_t i = 0; (rc == 0 || rc == LB_EVERIFY) && i < chains.count; i++) {
        rc = verify_one(st, &keys, &chains.items[i], report, &one);
        if (rc == LB_EVERIFY && !broke)
            buf_puts(why, buf_cstr(&one));
        broke = broke || rc == LB_EVERIFY;
        if (each && (rc == 0 || rc == LB_EVERIFY))
            each(ctx, chains.items[i].chain, rc ? buf_cstr(&one) : NULL);
    }
    if (rc == 0 || rc == LB_EVERIFY) {
        int hc = headless_chains(st, &chains, each, ctx, why);
        broke = broke || hc == LB_EVERIFY;
        rc = hc && hc != LB_EVERIFY ? hc : rc;
    }
    if (rc == 0 && broke)
        rc = LB_EVERIFY;
    if (rc == 0 && (rc = store_audit_unchained(st, 1, &unchained)) == 0)
        report->unchained = (int64_t)unchained.count;
out:
    buf_release(&one);
    audit_list_clear(&unchained);
    audit_chain_head_list_clear(&chains);
    audit_key_list_clear(&keys);
    return rc;
}
