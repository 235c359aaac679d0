/* The JSON forms of the domain objects that more than one layer writes. */
#include "wire/wire.h"

#include "util/mem.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <string.h>

#include "util/banned.h"

json_t *wire_time(int64_t t)
{
    char text[TIME_RFC3339_LEN];

    if (!t)
        return json_null();
    time_format_rfc3339(t, text);
    return json_string(text);
}

json_t *wire_strv(char *const *v, size_t count)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < count; i++)
        if (json_array_append_new(a, json_string(v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

json_t *wire_str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *decision_json(const struct decision *d)
{
    return json_pack("{s:s, s:s, s:o, s:o, s:o}", "by", d->by_username, "decision",
                     d->approve ? "approve" : "deny", "at", wire_time(d->at), "reason",
                     wire_str_or_null(d->reason), "client_ip", wire_str_or_null(d->client_ip));
}

static json_t *review_json(const struct request *r)
{
    for (size_t i = 0; i < r->decision_count; i++) {
        const struct decision *d = &r->decisions[i];
        if (d->kind == DECISION_REVIEW)
            return json_pack("{s:b, s:s, s:s, s:o, s:o}", "required", true, "by", d->by_username,
                             "decision", d->approve ? "approve" : "deny", "at", wire_time(d->at),
                             "reason", wire_str_or_null(d->reason));
    }
    return json_pack("{s:b, s:n, s:n, s:n, s:n}", "required", r->internal_review_required, "by",
                     "decision", "at", "reason");
}

/* A fact kept on a request: true, false, or null when unknown. */
static json_t *fact_json(enum request_fact f)
{
    return f == FACT_UNKNOWN ? json_null() : json_boolean(f == FACT_YES);
}

json_t *wire_request(const struct request *r)
{
    json_t *decisions = json_array(), *grant;

    for (size_t i = 0; decisions && i < r->decision_count; i++)
        if (r->decisions[i].kind == DECISION_CUSTOMER)
            json_array_append_new(decisions, decision_json(&r->decisions[i]));
    grant =
        r->grant_starts_at
            ? json_pack("{s:o, s:o, s:o}", "starts_at", wire_time(r->grant_starts_at), "ends_at",
                        wire_time(r->grant_ends_at), "ended_at", wire_time(r->grant_ended_at))
            : json_null();
    return json_pack(
        "{s:s, s:s, s:s, s:{s:s, s:s, s:o, s:o, s:o}, s:s, s:o, s:s, s:s, s:I, s:s, s:b, s:I, "
        "s:o, s:o, s:o, s:o, s:o, s:o}",
        "id", r->id, "tenant_id", r->tenant_id, "ticket_id", r->ticket_id, "requester", "id",
        r->requester_id, "username", r->requester_username, "display_name",
        wire_str_or_null(r->requester_display_name), "mfa", fact_json(r->requester_mfa),
        "isolated_identity", fact_json(r->requester_isolated), "resource_type", r->resource_type,
        "resource_ids", wire_strv(r->resource_ids, r->resource_count), "access_level",
        access_level_name(r->access_level), "justification", r->justification, "duration_seconds",
        (json_int_t)r->duration_seconds, "status", request_status_name(r->status),
        "customer_approval_required", r->customer_approval_required, "approvals_required",
        (json_int_t)r->approvals_required, "created_at", wire_time(r->created_at), "expires_at",
        wire_time(r->expires_at), "internal_review", review_json(r), "decisions",
        decisions ? decisions : json_array(), "grant", grant, "status_reason",
        wire_str_or_null(r->status_reason));
}

char *wire_text(const json_t *v)
{
    char small[4096], *text;
    size_t n = json_dumpb(v, small, sizeof(small), JSON_COMPACT);

    if (n == 0 || !(text = lb_malloc(n + 1)))
        return NULL;
    if (n <= sizeof(small))
        memcpy(text, small, n);
    else if (json_dumpb(v, text, n, JSON_COMPACT) != n) {
        lb_free(text);
        return NULL;
    }
    text[n] = '\0';
    return text;
}

/* A string the store gave (checked as UTF-8 when it came in), or null. */
static json_t *stored_str(const char *s)
{
    return s ? json_string_nocheck(s) : json_null();
}

/* Sets key (a literal) to v on o. */
static void put(json_t *o, const char *key, json_t *v)
{
    json_object_set_new_nocheck(o, key, v);
}

json_t *wire_audit(const struct audit_record *r)
{
    json_t *details = json_loads(r->details ? r->details : "{}", 0, NULL);
    json_t *o = json_object();

    /* an export makes millions of these: its strings are the store's, checked on their way in */
    put(o, "seq", json_integer(r->seq));
    put(o, "time", wire_time(r->time));
    put(o, "tenant_id", stored_str(r->tenant_id));
    put(o, "actor", stored_str(r->actor));
    put(o, "actor_id", stored_str(r->actor_id));
    put(o, "actor_type", stored_str(r->actor_type));
    put(o, "client_ip", stored_str(r->client_ip));
    put(o, "activity", stored_str(r->activity));
    put(o, "item", stored_str(r->item));
    put(o, "details", details ? details : json_object());
    if (r->decision)
        put(o, "decision", stored_str(r->decision));
    put(o, "request_id", stored_str(r->request_id));
    if (r->chain && r->hash) { /* its place in its hash chain (docs/audit-chain.md) */
        put(o, "chain", stored_str(r->chain));
        put(o, "chain_index", json_integer(r->chain_index));
        put(o, "prev_hash", stored_str(r->prev_hash));
        put(o, "hash", stored_str(r->hash));
    }
    return o;
}

json_t *wire_audit_m365(const struct audit_record *r)
{
    char id[24];
    json_t *details = json_loads(r->details ? r->details : "{}", 0, NULL);

    snprintf(id, sizeof(id), "%lld", (long long)r->seq);
    return json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o,"
                     " s:s, s:I, s:s, s:s}",
                     "Id", id, "RecordType", "CustomerLockbox", "Workload", "Lockbox",
                     "CreationTime", wire_time(r->time), "Operation", r->activity, "OrganizationId",
                     wire_str_or_null(r->tenant_id), "UserId", r->actor, "UserKey",
                     wire_str_or_null(r->actor_id), "UserType", r->actor_type, "ClientIP",
                     wire_str_or_null(r->client_ip), "ObjectId", wire_str_or_null(r->item),
                     "RequestId", wire_str_or_null(r->request_id), "ApprovalDecision",
                     wire_str_or_null(r->decision), "Details", details ? details : json_object(),
                     "chain", r->chain, "chain_index", (json_int_t)r->chain_index, "prev_hash",
                     r->prev_hash, "hash", r->hash);
}
