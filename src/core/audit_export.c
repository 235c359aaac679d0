/* The audit log's keys and its verifiable export (core.h, "audit"). */
#include "core/core_int.h"
#include "util/mem.h"
#include "util/strv.h"

#include <string.h>

#include "util/banned.h"

#define RECORD_BATCH 500
#define CHECKPOINT_BATCH 1000

int core_audit_may_read(const struct principal *actor)
{
    if (principal_is_provider(actor))
        return principal_has_provider_role(actor, PROV_PLATFORM_ADMIN | PROV_AUDITOR)
                   ? 0
                   : LB_EFORBIDDEN;
    if (principal_has_tenant_role(actor, actor->tenant_id, "tenant_admin", NULL) ||
        principal_has_tenant_role(actor, actor->tenant_id, "auditor", NULL) ||
        principal_has_tenant_role(actor, actor->tenant_id, "lockbox_approver", NULL))
        return 0;
    return LB_EFORBIDDEN;
}

void core_set_audit_signer(struct core *c, const struct audit_signer *signer)
{
    c->audit_signer = signer;
}

int core_audit_keys(struct core *c, const struct principal *actor, struct audit_key_list *out)
{
    int rc = core_audit_may_read(actor);

    memset(out, 0, sizeof(*out));
    return rc ? rc : store_audit_keys(c->store, out);
}

/* ---- what the last verification found ---- */

void core_audit_set_verified(struct core *c, int64_t at, char **broken, char **why, size_t count)
{
    char **old = NULL, **old_why = NULL;
    size_t old_count;

    pthread_mutex_lock(&c->verified_lock);
    old = c->broken;
    old_why = c->broken_why;
    old_count = c->broken_count;
    c->verified_at = at;
    c->broken = broken;
    c->broken_why = why;
    c->broken_count = count;
    pthread_mutex_unlock(&c->verified_lock);
    strv_free(old, old_count);
    strv_free(old_why, old_count);
}

void core_audit_status_clear(struct core_audit_status *s)
{
    for (size_t i = 0; s->chains && i < s->count; i++) {
        audit_chain_head_clear(&s->chains[i].head);
        lb_free(s->chains[i].problem);
    }
    lb_free(s->chains);
    audit_stream_list_clear(&s->streams);
    memset(s, 0, sizeof(*s));
}

/* Sets st's problem from the last verification; 0 or LB_ENOMEM. */
static int chain_problem(struct core *c, struct core_audit_chain_status *st)
{
    int rc = 0;

    pthread_mutex_lock(&c->verified_lock);
    for (size_t i = 0; i < c->broken_count; i++)
        if (strcmp(c->broken[i], st->head.chain) == 0 &&
            !(st->problem = lb_strdup(c->broken_why[i])))
            rc = LB_ENOMEM;
    pthread_mutex_unlock(&c->verified_lock);
    return rc;
}

int core_audit_status(struct core *c, const struct principal *actor, struct core_audit_status *out)
{
    struct audit_chain_head_list heads = {0};
    struct audit_chain_head one = {0};
    int rc = core_audit_may_read(actor);

    memset(out, 0, sizeof(*out));
    if (rc)
        return rc;
    if (principal_is_provider(actor)) {
        rc = store_audit_chains(c->store, false, &heads);
    } else if ((rc = store_audit_chain_head(c->store, actor->tenant_id, &one)) == 0) {
        heads.items = lb_calloc(1, sizeof(*heads.items));
        if (heads.items) {
            heads.items[0] = one;
            heads.count = 1;
        } else {
            audit_chain_head_clear(&one);
            rc = LB_ENOMEM;
        }
    } else if (rc == LB_ENOTFOUND) {
        rc = 0; /* a tenant without records yet */
    }
    if (rc == 0 && heads.count && !(out->chains = lb_calloc(heads.count, sizeof(*out->chains))))
        rc = LB_ENOMEM;
    for (size_t i = 0; rc == 0 && i < heads.count; i++) {
        out->chains[i].head = heads.items[i];
        memset(&heads.items[i], 0, sizeof(heads.items[i]));
        out->count++;
        rc = chain_problem(c, &out->chains[i]);
    }
    if (rc == 0)
        rc = core_audit_streams_visible(c, actor, &out->streams);
    pthread_mutex_lock(&c->verified_lock);
    out->verified_at = c->verified_at;
    pthread_mutex_unlock(&c->verified_lock);
    audit_chain_head_list_clear(&heads);
    if (rc)
        core_audit_status_clear(out);
    return rc;
}

/* ---- the export ---- */

struct chain_end {
    char *chain; /* (owned) */
    int64_t start_index, index, records;
    char start_hash[AUDIT_HASH_HEX_LEN], hash[AUDIT_HASH_HEX_LEN], digest[AUDIT_HASH_HEX_LEN];
};

struct core_audit_export {
    struct core *c;
    /* what the actor asked, copied */
    char *activity, *actor, *item;
    int64_t from, to;
    bool has_from, has_to, tenant_view;
    /* the chains, one after the other */
    char **chains;
    size_t chain_count, chain_at;
    bool chain_started;
    /* the chain being exported: its records and checkpoints, read in batches */
    struct audit_list records;
    size_t record_at;
    int64_t after; /* the index of the last record given */
    struct audit_checkpoint_list cps;
    size_t cp_at;
    int64_t cp_after;
    bool chain_done;
    struct audit_checkpoint start; /* (owned strings) the checkpoint the chain starts from */
    /* the chain being exported: where it starts, the last item given, its whole records */
    int64_t start_index, last_index;
    char start_hash[AUDIT_HASH_HEX_LEN], last_hash[AUDIT_HASH_HEX_LEN];
    struct audit_records_digest whole;
    /* each chain done, for the end: what it says of it, and the text that points to */
    struct chain_end *done;
    size_t done_count, done_cap;
    struct audit_export_chain *ends; /* made at the end from done */
    char *scope;
    struct audit_export_end end;
    char sig[AUDIT_SIGNATURE_HEX_LEN];
    bool ended;
    /* is the last request asked about visible to its customer */
    char *seen_request;
    bool seen_visible;
};

void core_audit_export_free(struct core_audit_export *e)
{
    if (!e)
        return;
    lb_free(e->activity);
    lb_free(e->actor);
    lb_free(e->item);
    strv_free(e->chains, e->chain_count);
    audit_list_clear(&e->records);
    audit_checkpoint_list_clear(&e->cps);
    audit_checkpoint_clear(&e->start);
    for (size_t i = 0; i < e->done_count; i++)
        lb_free(e->done[i].chain);
    lb_free(e->done);
    lb_free(e->ends);
    lb_free(e->scope);
    lb_free(e->seen_request);
    lb_free(e);
}

/* The chains the actor reads: a tenant user's own, else tenant_id's, else every one. */
static int list_chains(struct core_audit_export *e, const struct principal *actor,
                       const char *tenant_id)
{
    struct audit_chain_head_list all = {0};
    int rc;

    if (!principal_is_provider(actor) || tenant_id) {
        const char *only = principal_is_provider(actor) ? tenant_id : actor->tenant_id;
        if (tenant_id && strcmp(tenant_id, only) != 0)
            return 0; /* another tenant's: none visible */
        e->chains = lb_calloc(1, sizeof(char *));
        if (!e->chains || !(e->chains[0] = lb_strdup(only)))
            return LB_ENOMEM;
        e->chain_count = 1;
        return 0;
    }
    if ((rc = store_audit_chains(e->c->store, false, &all)) != 0)
        return rc;
    if (all.count && !(e->chains = lb_calloc(all.count, sizeof(char *))))
        rc = LB_ENOMEM;
    for (size_t i = 0; rc == 0 && i < all.count; i++) {
        e->chains[i] = all.items[i].chain;
        all.items[i].chain = NULL;
        e->chain_count++;
    }
    audit_chain_head_list_clear(&all);
    return rc;
}

int core_audit_export_open(struct core *c, const struct principal *actor,
                           const struct audit_filter *f, const char *scope,
                           struct core_audit_export **out)
{
    struct core_audit_export *e;
    int rc = core_audit_may_read(actor);

    if (rc)
        return rc;
    if (!(e = lb_calloc(1, sizeof(*e))))
        return LB_ENOMEM;
    e->c = c;
    e->from = f->from;
    e->to = f->to;
    e->has_from = f->has_from;
    e->has_to = f->has_to;
    e->tenant_view = !principal_is_provider(actor);
    if (!(e->scope = lb_strdup(scope ? scope : "")) ||
        (f->activity && !(e->activity = lb_strdup(f->activity))) ||
        (f->actor && !(e->actor = lb_strdup(f->actor))) ||
        (f->item && !(e->item = lb_strdup(f->item))))
        rc = LB_ENOMEM;
    if (rc == 0)
        rc = list_chains(e, actor, f->tenant_id);
    if (rc) {
        core_audit_export_free(e);
        return rc;
    }
    *out = e;
    return 0;
}

/* Ends the current chain: remembers where it started and ended, and which records it gave
 * whole (when it gave anything). */
static int chain_end(struct core_audit_export *e)
{
    struct chain_end *d;

    e->chain_done = true;
    if (!e->last_index)
        return 0;
    if (lb_array_reserve(&e->done, &e->done_cap, e->done_count, sizeof(*e->done)) != 0)
        return LB_ENOMEM;
    d = &e->done[e->done_count];
    *d = (struct chain_end){
        .start_index = e->start_index, .index = e->last_index, .records = e->whole.count};
    if (!(d->chain = lb_strdup(e->chains[e->chain_at])))
        return LB_ENOMEM;
    memcpy(d->start_hash, e->start_hash, AUDIT_HASH_HEX_LEN);
    memcpy(d->hash, e->last_hash, AUDIT_HASH_HEX_LEN);
    audit_records_digest_final(&e->whole, d->digest);
    e->done_count++;
    return 0;
}

/* The item given last of the chain (a record, a link or the checkpoint it starts from). */
static void gave(struct core_audit_export *e, int64_t index, const char *hash)
{
    e->last_index = index;
    memcpy(e->last_hash, hash, AUDIT_HASH_HEX_LEN);
}

/* The chain's next checkpoint at or after index `from` (read in batches), or NULL. */
static const struct audit_checkpoint *next_checkpoint(struct core_audit_export *e, int *rc)
{
    if (e->cp_at < e->cps.count)
        return &e->cps.items[e->cp_at];
    audit_checkpoint_list_clear(&e->cps);
    e->cp_at = 0;
    *rc = store_audit_checkpoints(e->c->store, e->chains[e->chain_at], e->cp_after,
                                  CHECKPOINT_BATCH, &e->cps);
    if (*rc || e->cps.count == 0)
        return NULL;
    e->cp_after = e->cps.items[e->cps.count - 1].index;
    return &e->cps.items[0];
}

/* A copy of cp into *to (its strings new). */
static int checkpoint_copy(struct audit_checkpoint *to, const struct audit_checkpoint *cp)
{
    audit_checkpoint_clear(to);
    *to = (struct audit_checkpoint){.index = cp->index, .time = cp->time};
    to->chain = lb_strdup(cp->chain);
    to->hash = lb_strdup(cp->hash);
    to->key_id = lb_strdup(cp->key_id);
    to->signature = lb_strdup(cp->signature);
    return to->chain && to->hash && to->key_id && to->signature ? 0 : LB_ENOMEM;
}

/* The index the current chain was pruned through (0: never). */
static int chain_pruned(struct core_audit_export *e, int64_t *pruned)
{
    struct audit_chain_head h = {0};
    int rc = store_audit_chain_head(e->c->store, e->chains[e->chain_at], &h);

    *pruned = rc == 0 ? h.pruned_index : 0;
    audit_chain_head_clear(&h);
    return rc == LB_ENOTFOUND ? 0 : rc;
}

/* Starts the current chain: at the last checkpoint signed before `from`, or at the one it was
 * pruned through when that is later, given first. */
static int chain_start(struct core_audit_export *e, struct audit_export_item *item, bool *given)
{
    const struct audit_checkpoint *cp;
    bool found = false;
    int64_t pruned = 0;
    int rc = 0;

    e->chain_started = true;
    e->chain_done = false;
    e->after = e->cp_after = e->last_index = e->start_index = 0;
    memcpy(e->start_hash, AUDIT_GENESIS_HASH, AUDIT_HASH_HEX_LEN);
    audit_records_digest_init(&e->whole);
    audit_list_clear(&e->records);
    audit_checkpoint_list_clear(&e->cps);
    e->record_at = e->cp_at = 0;
    *given = false;
    if ((rc = chain_pruned(e, &pruned)) != 0 || (!e->has_from && pruned == 0))
        return rc;
    e->cp_after = pruned > 0 ? pruned - 1 : 0;
    /* a checkpoint signed before `from` signs a record written before it */
    while ((cp = next_checkpoint(e, &rc)) != NULL &&
           (cp->index <= pruned || (e->has_from && cp->time < e->from))) {
        if ((rc = checkpoint_copy(&e->start, cp)) != 0)
            return rc;
        found = true;
        e->cp_at++;
    }
    if (rc || !found)
        return rc;
    e->after = e->start_index = e->start.index;
    memcpy(e->start_hash, e->start.hash, AUDIT_HASH_HEX_LEN);
    gave(e, e->start.index, e->start.hash);
    item->kind = AUDIT_EXPORT_CHECKPOINT;
    item->checkpoint = &e->start;
    *given = true;
    return 0;
}

/* true when the actor may see r whole, and f selects it */
static int record_shown(struct core_audit_export *e, const struct audit_record *r, bool *shown)
{
    struct request q = {0};
    int rc;

    *shown = (!e->has_from || r->time >= e->from) &&
             (!e->activity || strcmp(r->activity, e->activity) == 0) &&
             (!e->actor || strcmp(r->actor, e->actor) == 0) &&
             (!e->item || (r->item && strcmp(r->item, e->item) == 0));
    if (!*shown || !e->tenant_view || !r->request_id)
        return 0;
    if (!e->seen_request || strcmp(e->seen_request, r->request_id) != 0) {
        rc = store_request_get(e->c->store, r->request_id, &q);
        if (rc && rc != LB_ENOTFOUND)
            return rc;
        lb_free(e->seen_request);
        e->seen_request = lb_strdup(r->request_id);
        e->seen_visible = rc == 0 && q.customer_visible;
        request_clear(&q);
        if (!e->seen_request)
            return LB_ENOMEM;
    }
    *shown = e->seen_visible;
    return 0;
}

/* The current chain's next item; *given false when the chain has none left. */
static int chain_next(struct core_audit_export *e, struct audit_export_item *item, bool *given)
{
    const struct audit_checkpoint *cp;
    const struct audit_record *r;
    bool shown = false;
    int rc = 0;

    *given = false;
    /* a checkpoint of the record given last comes right after it */
    if (e->after && (cp = next_checkpoint(e, &rc)) != NULL) {
        while (cp && cp->index < e->after) {
            e->cp_at++;
            cp = next_checkpoint(e, &rc);
        }
        if (cp && cp->index == e->after) {
            e->cp_at++;
            item->kind = AUDIT_EXPORT_CHECKPOINT;
            item->checkpoint = cp;
            *given = true;
            return 0;
        }
    }
    if (rc || e->chain_done)
        return rc;
    if (e->record_at == e->records.count) {
        struct audit_list next = {0};
        if ((rc = store_audit_chain_records(e->c->store, e->chains[e->chain_at], e->after,
                                            RECORD_BATCH, &next)) != 0)
            return rc;
        if (next.count == 0) {
            audit_list_clear(&next);
            return chain_end(e);
        }
        audit_list_clear(&e->records);
        e->records = next;
        e->record_at = 0;
    }
    r = &e->records.items[e->record_at];
    if (e->has_to && r->time >= e->to)
        return chain_end(e);
    if ((rc = record_shown(e, r, &shown)) != 0)
        return rc;
    e->record_at++;
    e->after = r->chain_index;
    gave(e, r->chain_index, r->hash);
    if (shown)
        audit_records_digest_add(&e->whole, r->chain_index);
    item->kind = shown ? AUDIT_EXPORT_RECORD : AUDIT_EXPORT_LINK;
    item->record = r;
    *given = true;
    return 0;
}

/* The signed end, once every chain is done. */
static int export_end(struct core_audit_export *e, struct audit_export_item *item)
{
    int rc = 0;

    if (e->done_count && !(e->ends = lb_calloc(e->done_count, sizeof(*e->ends))))
        return LB_ENOMEM;
    for (size_t i = 0; i < e->done_count; i++) {
        const struct chain_end *d = &e->done[i];
        e->ends[i] = (struct audit_export_chain){.chain = d->chain,
                                                 .start_index = d->start_index,
                                                 .start_hash = d->start_hash,
                                                 .index = d->index,
                                                 .hash = d->hash,
                                                 .records = d->records,
                                                 .records_digest = d->digest};
    }
    e->end = (struct audit_export_end){.time = clock_now(&e->c->clock),
                                       .scope = e->scope,
                                       .chains = e->ends,
                                       .count = e->done_count};
    if (e->c->audit_signer)
        rc = audit_signer_sign_end(e->c->audit_signer, &e->end, e->sig);
    e->ended = true;
    item->kind = AUDIT_EXPORT_END;
    item->end = &e->end;
    return rc;
}

int core_audit_export_next(struct core_audit_export *e, struct audit_export_item *item)
{
    bool given = false;
    int rc = 0;

    memset(item, 0, sizeof(*item));
    while (!given && e->chain_at < e->chain_count) {
        if (!e->chain_started)
            rc = chain_start(e, item, &given);
        else
            rc = chain_next(e, item, &given);
        if (rc)
            return rc;
        if (!given && e->chain_done) {
            e->chain_at++;
            e->chain_started = false;
        }
    }
    if (given)
        return 0;
    return e->ended ? LB_ENOTFOUND : export_end(e, item);
}
