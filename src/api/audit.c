/* GET /audit: the audit search, its keys and its verifiable export. */
#include "api/api_int.h"
#include "util/mem.h"
#include "wire/wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

/* The search's filters from the query; false (answer set) when one is malformed. */
static bool audit_filters(struct api_call *call, struct audit_filter *f)
{
    f->activity = call->query(call->query_ctx, "activity");
    f->actor = call->query(call->query_ctx, "actor");
    f->item = call->query(call->query_ctx, "item");
    f->tenant_id = call->query(call->query_ctx, "tenant_id");
    return api_query_time(call, "from", &f->has_from, &f->from) &&
           api_query_time(call, "to", &f->has_to, &f->to);
}

void api_audit_search(struct api_call *call)
{
    struct audit_filter f = {0};
    struct audit_list l = {0};
    struct buf scope = BUF_INIT;
    json_t *arr;
    int rc;

    if (!audit_filters(call, &f))
        return;
    f.ascending = f.has_from;
    /* a window is read in time order: its index serves it, where seq order sorted the window */
    f.by_time = f.has_from || f.has_to;
    /* the token is bound to the caller and every filter: it cannot be replayed elsewhere */
    buf_appendf(&scope, "audit|%s|%s|%s|%s|%s|%s%lld|%s%lld", call->principal->user_id,
                f.activity ? f.activity : "", f.actor ? f.actor : "", f.item ? f.item : "",
                f.tenant_id ? f.tenant_id : "", f.has_from ? "@" : "none", (long long)f.from,
                f.has_to ? "@" : "none", (long long)f.to);
    if (!buf_ok(&scope)) {
        api_fail(call, LB_ENOMEM, "out of memory");
        goto out;
    }
    if (!api_page_params(call, buf_cstr(&scope), &f.limit, &f.after_seq))
        goto out;
    rc = core_audit_query(call->core, call->principal, &f, &l);
    if (rc) {
        api_fail(call, rc,
                 rc == LB_EFORBIDDEN ? "this role cannot read the audit log"
                                     : "cannot search the audit log");
        goto out;
    }
    arr = json_array();
    for (size_t i = 0; arr && i < l.count; i++)
        json_array_append_new(arr, wire_audit(&l.items[i]));
    api_reply_page(call, arr, buf_cstr(&scope), l.count == f.limit,
                   l.count ? l.items[l.count - 1].seq : 0);
out:
    audit_list_clear(&l);
    buf_release(&scope);
}

void api_audit_keys(struct api_call *call)
{
    struct audit_key_list keys = {0};
    json_t *arr;
    int rc = core_audit_keys(call->core, call->principal, &keys);

    if (rc) {
        api_fail(call, rc,
                 rc == LB_EFORBIDDEN ? "this role cannot read the audit log"
                                     : "cannot read the audit log's keys");
        return;
    }
    arr = json_array();
    for (size_t i = 0; arr && i < keys.count; i++) {
        const struct audit_key *k = &keys.items[i];
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", k->id, "algorithm",
                                             "ed25519", "public_key", k->public_key, "created_at",
                                             wire_time(k->created_at), "retired_at",
                                             wire_time(k->retired_at)));
    }
    api_reply(call, 200,
              json_pack("{s:o, s:n}", "items", arr ? arr : json_array(), "next_page_token"));
    audit_key_list_clear(&keys);
}

static json_t *chain_status(const struct core_audit_chain_status *c, bool verified)
{
    const struct audit_chain_head *h = &c->head;
    json_t *cp = h->checkpoint_index
                     ? json_pack("{s:I, s:o}", "chain_index", (json_int_t)h->checkpoint_index,
                                 "time", wire_time(h->checkpoint_time))
                     : json_null();

    return json_pack("{s:s, s:I, s:o, s:o, s:o, s:o}", "chain", h->chain, "records",
                     (json_int_t)h->index, "last_checkpoint", cp, "whole",
                     verified ? json_boolean(!c->problem) : json_null(), "problem",
                     wire_str_or_null(c->problem), "pruned_through",
                     h->pruned_index ? json_integer(h->pruned_index) : json_null());
}

/* A stream to a syslog collector and how its delivery goes. */
static json_t *stream_status(const struct audit_stream *s)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:o, s:o}", "id", s->id, "url", s->url,
                     "profile", s->profile, "delivered", (json_int_t)s->delivered, "attempts",
                     (json_int_t)s->attempts, "last_attempt_at", wire_time(s->last_attempt_at),
                     "next_attempt_at", wire_time(s->attempts ? s->next_attempt_at : 0),
                     "last_error", wire_str_or_null(s->last_error));
}

void api_audit_status(struct api_call *call)
{
    struct core_audit_status st = {0};
    json_t *arr, *streams;
    int rc = core_audit_status(call->core, call->principal, &st);

    if (rc) {
        api_fail(call, rc,
                 rc == LB_EFORBIDDEN ? "this role cannot read the audit log"
                                     : "cannot read the audit log's chains");
        return;
    }
    arr = json_array();
    for (size_t i = 0; arr && i < st.count; i++)
        json_array_append_new(arr, chain_status(&st.chains[i], st.verified_at != 0));
    streams = json_array();
    for (size_t i = 0; streams && i < st.streams.count; i++)
        json_array_append_new(streams, stream_status(&st.streams.items[i]));
    api_reply(call, 200,
              json_pack("{s:o, s:o, s:o}", "verified_at", wire_time(st.verified_at), "chains",
                        arr ? arr : json_array(), "streams", streams ? streams : json_array()));
    core_audit_status_clear(&st);
}

/* ---- the export: JSON Lines (docs/audit-chain.md) ---- */

static json_t *export_link(const struct audit_record *r)
{
    return json_pack("{s:s, s:s, s:I, s:s, s:s}", "type", "link", "chain", r->chain, "chain_index",
                     (json_int_t)r->chain_index, "prev_hash", r->prev_hash, "hash", r->hash);
}

static json_t *export_checkpoint(const struct audit_checkpoint *cp)
{
    return json_pack("{s:s, s:s, s:I, s:s, s:o, s:s, s:s}", "type", "checkpoint", "chain",
                     cp->chain, "chain_index", (json_int_t)cp->index, "hash", cp->hash, "time",
                     wire_time(cp->time), "key_id", cp->key_id, "signature", cp->signature);
}

static json_t *export_end(const struct audit_export_end *end)
{
    json_t *chains = json_array(), *scope = json_loads(end->scope, 0, NULL);

    for (size_t i = 0; chains && i < end->count; i++) {
        const struct audit_export_chain *c = &end->chains[i];
        json_array_append_new(chains,
                              json_pack("{s:s, s:I, s:s, s:I, s:s, s:I, s:s}", "chain", c->chain,
                                        "start_index", (json_int_t)c->start_index, "start_hash",
                                        c->start_hash, "chain_index", (json_int_t)c->index, "hash",
                                        c->hash, "records", (json_int_t)c->records,
                                        "records_digest", c->records_digest));
    }
    return json_pack("{s:s, s:o, s:s?, s:s?, s:o, s:o}", "type", "end", "time",
                     wire_time(end->time), "key_id", end->key_id, "signature", end->signature,
                     "scope", scope ? scope : json_object(), "chains",
                     chains ? chains : json_null());
}

struct export_stream {
    struct core_audit_export *e;
    bool m365;
};

static json_t *export_line(const struct audit_export_item *it, bool m365)
{
    json_t *o;

    switch (it->kind) {
    case AUDIT_EXPORT_RECORD:
        if ((o = m365 ? wire_audit_m365(it->record) : wire_audit(it->record)) != NULL)
            json_object_set_new(o, "type", json_string("record"));
        return o;
    case AUDIT_EXPORT_LINK:
        return export_link(it->record);
    case AUDIT_EXPORT_CHECKPOINT:
        return export_checkpoint(it->checkpoint);
    case AUDIT_EXPORT_END:
        return export_end(it->end);
    }
    return NULL;
}

/* About 64 KiB of lines at a time, so a store read serves many. */
#define EXPORT_PIECE (64 * 1024)

/* Dumps line and a newline straight into the piece being made (jansson writes it in place). */
static int dump_line(const json_t *line, struct buf *out)
{
    size_t room = 2048, n;
    char *at;

    for (;;) {
        if (!(at = buf_space(out, room)))
            return LB_ENOMEM;
        if ((n = json_dumpb(line, at, room, JSON_COMPACT)) == 0)
            return LB_ENOMEM;
        if (n < room)
            break;
        room = n + 1; /* it did not fit: again, with room for all of it */
    }
    at[n] = '\n';
    buf_grew(out, n + 1);
    return 0;
}

static int export_next(void *ctx, struct buf *out)
{
    struct export_stream *x = ctx;
    struct audit_export_item it;
    int rc = 0;

    while (out->len < EXPORT_PIECE && (rc = core_audit_export_next(x->e, &it)) == 0) {
        json_t *line = export_line(&it, x->m365);
        int dumped = line ? dump_line(line, out) : LB_ENOMEM;
        json_decref(line);
        if (dumped != 0)
            return dumped;
    }
    if (rc == LB_ENOTFOUND)
        rc = 0;
    return rc ? rc : buf_ok(out) ? 0 : LB_ENOMEM;
}

static void export_free(void *ctx)
{
    struct export_stream *x = ctx;

    core_audit_export_free(x->e);
    lb_free(x);
}

/* What an export is of, as its end signs it: the reader, the filters given and the profile,
 * compact JSON with its keys sorted (jansson's; free()). */
static char *export_scope(struct api_call *call, const struct audit_filter *f, bool m365)
{
    const struct principal *p = call->principal;
    json_t *o = json_pack("{s:s, s:s}", "profile", m365 ? "m365" : "lockbox", "reader",
                          p->tenant_id ? p->tenant_id : "provider");
    const struct {
        const char *key, *value;
    } given[] = {{"activity", f->activity},
                 {"actor", f->actor},
                 {"item", f->item},
                 {"tenant_id", f->tenant_id},
                 {"from", call->query(call->query_ctx, "from")},
                 {"to", call->query(call->query_ctx, "to")}};
    char *text;

    for (size_t i = 0; o && i < sizeof(given) / sizeof(given[0]); i++)
        if (given[i].value)
            json_object_set_new(o, given[i].key, json_string(given[i].value));
    text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    return text;
}

void api_audit_export(struct api_call *call)
{
    const char *profile = call->query(call->query_ctx, "profile");
    struct audit_filter f = {0};
    struct export_stream *x;
    char *scope;
    int rc;

    if (!audit_filters(call, &f))
        return;
    if (profile && strcmp(profile, "lockbox") != 0 && strcmp(profile, "m365") != 0) {
        api_fail(call, LB_EINVAL, "profile: must be lockbox or m365");
        return;
    }
    if (!(x = lb_calloc(1, sizeof(*x)))) {
        api_fail(call, LB_ENOMEM, "out of memory");
        return;
    }
    x->m365 = profile && strcmp(profile, "m365") == 0;
    if (!(scope = export_scope(call, &f, x->m365))) {
        api_fail(call, LB_ENOMEM, "out of memory");
        lb_free(x);
        return;
    }
    rc = core_audit_export_open(call->core, call->principal, &f, scope, &x->e);
    free(scope);
    if (rc != 0) {
        api_fail(call, rc,
                 rc == LB_EFORBIDDEN ? "this role cannot read the audit log"
                                     : "cannot export the audit log");
        lb_free(x);
        return;
    }
    call->status = 200;
    call->body_stream = (struct api_body_stream){
        .content_type = "application/jsonl", .next = export_next, .free = export_free, .ctx = x};
    call->headers[0].name = "Content-Disposition";
    snprintf(call->headers[0].value, sizeof(call->headers[0].value), "%s",
             "attachment; filename=\"lockbox-audit.jsonl\"");
    call->header_count = 1;
}
