/*
 * The request state machine: one function per transition. Each checks the current state and
 * the actor's right, then writes the new state and its audit record(s) in one transaction;
 * the grant index and the scheduler hear of it only after the commit.
 */
#include "core/ids.h"
#include "core_int.h"
#include "util/mem.h"
#include "util/strv.h"

#include <string.h>

#include "util/banned.h"

static bool can_read(const struct principal *p, const struct request *r)
{
    if (principal_is_provider(p))
        return core_is_provider_staff(p);
    return strcmp(p->tenant_id, r->tenant_id) == 0 && r->customer_visible;
}

int core_request_load_visible(struct core *c, const struct principal *actor, const char *id,
                              struct request *r)
{
    int rc;

    memset(r, 0, sizeof(*r));
    if (!id_is_valid(id))
        return LB_ENOTFOUND;
    if (principal_is_provider(actor) && !core_is_provider_staff(actor))
        return LB_EFORBIDDEN;
    rc = store_request_get(c->store, id, r);
    if (rc == 0 && !can_read(actor, r)) {
        request_clear(r);
        rc = LB_ENOTFOUND;
    }
    return rc;
}

static struct audit_entry request_entry(struct core *c, const struct principal *actor,
                                        const char *activity, const struct request *r)
{
    struct audit_entry e = core_audit_entry(c, actor, activity, r->tenant_id, r->id);

    e.request_id = r->id;
    return e;
}

/* Appends a record for r with its status and an optional reason. */
static int audit_request(struct core *c, const struct principal *actor, const char *activity,
                         const struct request *r, const char *decision, const char *reason)
{
    struct audit_entry e = request_entry(c, actor, activity, r);
    const struct audit_field f[] = {AF_STR("status", request_status_name(r->status)),
                                    AF_STR("reason", reason)};

    e.decision = decision;
    e.fields = f;
    e.field_count = reason ? 2 : 1;
    return audit_append(c->store, &e, NULL);
}

/* Sets when the approvers who have not acted are reminded: reminder_before_seconds before the
 * deadline, or never when the window is shorter than that. */
static void reminder_set(struct request *r, const struct tenant_settings *ts, int64_t now)
{
    int64_t at = r->expires_at - ts->reminder_before_seconds;

    r->reminder_at = ts->reminder_before_seconds > 0 && at > now ? at : 0;
}

static void grant_start(struct request *r, int64_t now)
{
    r->status = REQ_APPROVED;
    r->expires_at = 0;
    r->grant_starts_at = now;
    r->grant_ends_at = now + r->duration_seconds;
}

/* Tells the grant index and the scheduler what a committed transition did. */
static int after_commit(struct core *c, const struct request *r, enum request_status before,
                        bool queued)
{
    int rc = 0;

    if ((r->status == REQ_APPROVED) != (before == REQ_APPROVED))
        rc = core_grant_apply(c, r);
    if (r->status == REQ_APPROVED)
        core_deadline_set(c, r->grant_ends_at);
    else if (r->status == REQ_PENDING && r->reminder_at && r->reminder_at < r->expires_at)
        core_deadline_set(c, r->reminder_at);
    else if (r->status == REQ_PENDING || r->status == REQ_PENDING_INTERNAL)
        core_deadline_set(c, r->expires_at);
    if (queued)
        core_outbox_wake(c);
    core_events_wake(c);
    return rc;
}

/* ---- create ---- */

struct create_ctx {
    struct tenant tenant;
    struct policy_verdict verdict;
    char *reason; /* (owned) copy of the verdict's reason */
};

static int check_create(struct core *c, const struct request_create *in, struct create_ctx *cx,
                        const struct principal *actor, struct buf *err)
{
    struct ticket tk = {0};
    int rc;

    rc = id_is_valid(in->tenant_id) ? store_tenant_get(c->store, in->tenant_id, &cx->tenant)
                                    : LB_ENOTFOUND;
    if (rc == LB_ENOTFOUND)
        return core_fail(err, LB_EINVAL, "tenant_id: no such tenant");
    if (rc) /* a store that cannot answer is not a bad tenant id */
        return rc;
    rc = id_is_valid(in->ticket_id) ? store_ticket_get(c->store, in->ticket_id, &tk) : LB_ENOTFOUND;
    if (rc == 0 && strcmp(tk.tenant_id, in->tenant_id) != 0)
        rc = LB_ENOTFOUND;
    ticket_clear(&tk);
    if (rc == LB_ENOTFOUND)
        return core_fail(err, LB_EINVAL, "ticket_id: no such ticket in this tenant");
    if (rc)
        return rc;
    for (size_t i = 0; i < in->resource_count; i++) {
        if (!resource_id_is_valid(in->resource_ids[i]))
            return core_fail(err, LB_EINVAL,
                             "resource_ids[%zu]: '%s' is not a resource id ('/seg[/seg...]', no "
                             "empty, '.' or '..' segment)",
                             i, in->resource_ids[i]);
        if (!core_tenant_owns(&cx->tenant, in->resource_ids[i]))
            return core_fail(err, LB_EINVAL,
                             "resource_ids[%zu]: '%s' does not belong to this tenant (outside its "
                             "resource scopes)",
                             i, in->resource_ids[i]);
    }
    pthread_rwlock_rdlock(&c->policy_lock);
    bool known = policy_has_type(c->policy, in->resource_type);
    if (known) {
        policy_evaluate(c->policy, in->resource_type, in->access_level, actor->isolated_identity,
                        actor->mfa, &cx->verdict);
        cx->reason = cx->verdict.reason ? lb_strdup(cx->verdict.reason) : NULL;
    } else {
        /* the message names the catalog in force, read under the lock a reload takes */
        core_fail(err, LB_EINVAL, "resource_type: '%s' is not in the catalog (one of ",
                  in->resource_type);
        for (size_t i = 0; err && i < c->policy->catalog_count; i++)
            buf_appendf(err, "%s%s", i ? ", " : "", c->policy->catalog[i]);
        if (err)
            buf_puts(err, ")");
    }
    pthread_rwlock_unlock(&c->policy_lock);
    if (!known)
        return LB_EINVAL;
    if (cx->verdict.reason && !cx->reason)
        return LB_ENOMEM;
    return 0;
}

static int build_request(struct core *c, const struct principal *actor,
                         const struct request_create *in, const struct create_ctx *cx,
                         int64_t duration, struct request *r)
{
    const struct tenant_settings *ts = &cx->tenant.settings;
    int64_t now = clock_now(&c->clock);
    char id[ID_LEN];

    id_new(id);
    memset(r, 0, sizeof(*r));
    r->id = lb_strdup(id);
    r->tenant_id = lb_strdup(in->tenant_id);
    r->ticket_id = lb_strdup(in->ticket_id);
    r->requester_id = lb_strdup(actor->user_id);
    r->requester_username = lb_strdup(actor->username);
    r->resource_type = lb_strdup(in->resource_type);
    r->justification = lb_strdup(in->justification);
    r->status_reason = cx->reason ? lb_strdup(cx->reason) : NULL;
    if (!r->id || !r->tenant_id || !r->ticket_id || !r->requester_id || !r->requester_username ||
        !r->resource_type || !r->justification || (cx->reason && !r->status_reason) ||
        strv_dup(in->resource_ids, in->resource_count, &r->resource_ids) != 0)
        return LB_ENOMEM;
    r->resource_count = in->resource_count;
    r->access_level = in->access_level;
    r->duration_seconds = duration;
    r->created_at = now;
    r->approvals_required = ts->required_approvals;
    r->customer_approval_required = ts->lockbox_enabled;
    r->internal_review_required = cx->verdict.internal_review;
    if (cx->verdict.reject) {
        r->status = REQ_REJECTED;
        r->internal_review_required = false;
    } else if (cx->verdict.internal_review) {
        r->status = REQ_PENDING_INTERNAL;
        r->expires_at = now + ts->pending_expiry_seconds;
    } else if (ts->lockbox_enabled) {
        r->status = REQ_PENDING;
        r->customer_visible = true;
        r->expires_at = now + ts->pending_expiry_seconds;
        reminder_set(r, ts, now);
    } else {
        r->customer_visible = true;
        grant_start(r, now);
    }
    return 0;
}

static int write_create(struct core *c, const struct principal *actor, struct request *r,
                        bool *queued)
{
    struct audit_entry e = request_entry(c, actor, "request.create", r);
    const struct audit_field f[] = {
        AF_STR("status", request_status_name(r->status)),
        AF_STR("ticket_id", r->ticket_id),
        AF_STR("resource_type", r->resource_type),
        AF_STRV("resource_ids", r->resource_ids, r->resource_count),
        AF_STR("access_level", access_level_name(r->access_level)),
        AF_INT("duration_seconds", r->duration_seconds),
        AF_STR("justification", r->justification),
        /* what the JIT policy weighed, for the approver to read (the request keeps it too) */
        AF_BOOL("mfa", actor->mfa),
        AF_BOOL("isolated_identity", actor->isolated_identity),
        AF_STR("requester_display_name", r->requester_display_name),
    };
    int rc;

    e.fields = f;
    e.field_count = sizeof(f) / sizeof(f[0]);
    if ((rc = store_request_insert(c->store, r)) != 0)
        return rc;
    if ((rc = audit_append(c->store, &e, NULL)) != 0)
        return rc;
    if (r->status == REQ_REJECTED)
        return audit_request(c, NULL, "request.reject", r, NULL, r->status_reason);
    if (r->status == REQ_APPROVED &&
        (rc = audit_request(c, NULL, "request.approve", r, "approve",
                            "lockbox is off for this tenant: no customer approval needed")) != 0)
        return rc;
    return core_notify(c, r, REQ_REJECTED, false, queued);
}

int core_request_create(struct core *c, const struct principal *actor,
                        const struct request_create *in, struct request *out, struct buf *err)
{
    struct create_ctx cx = {0};
    struct request r = {0};
    struct user who = {0};
    bool queued = false;
    int64_t duration;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!principal_has_provider_role(actor, PROV_SUPPORT_ENGINEER))
        return core_fail(err, LB_EFORBIDDEN, "only a support_engineer requests access");
    if ((rc = check_create(c, in, &cx, actor, err)) != 0)
        goto out;
    duration =
        in->duration_seconds ? in->duration_seconds : cx.tenant.settings.default_grant_seconds;
    if (duration > cx.tenant.settings.max_grant_seconds) {
        rc = core_fail(err, LB_EINVAL, "duration_seconds: exceeds the tenant's maximum of %lld",
                       (long long)cx.tenant.settings.max_grant_seconds);
        goto out;
    }
    if (!cx.verdict.reject && cx.verdict.max_duration_seconds &&
        duration > cx.verdict.max_duration_seconds) {
        rc = core_fail(err, LB_EINVAL, "duration_seconds: exceeds the policy's maximum of %lld",
                       (long long)cx.verdict.max_duration_seconds);
        goto out;
    }
    if ((rc = build_request(c, actor, in, &cx, duration, &r)) != 0)
        goto out;
    /* the requester's display name, for the approvers to read: left out (null) when the store
     * cannot give it, but out of memory is out of memory */
    if ((rc = store_user_get(c->store, actor->user_id, &who)) == LB_ENOMEM)
        goto out;
    if (rc)
        user_clear(&who);
    /* what the JIT policy weighed of the requester, kept on the request for its readers */
    r.requester_mfa = actor->mfa ? FACT_YES : FACT_NO;
    r.requester_isolated = actor->isolated_identity ? FACT_YES : FACT_NO;
    if (who.display_name && !(r.requester_display_name = lb_strdup(who.display_name))) {
        rc = LB_ENOMEM;
        goto out;
    }
    if ((rc = core_tx_begin(c)) != 0)
        goto out;
    rc = core_tx_end(c, write_create(c, actor, &r, &queued));
    if (!rc)
        rc = after_commit(c, &r, REQ_REJECTED, queued);
    if (!rc) { /* what was committed is the answer: no read back */
        *out = r;
        memset(&r, 0, sizeof(r));
    }
out:
    request_clear(&r);
    user_clear(&who);
    tenant_clear(&cx.tenant);
    lb_free(cx.reason);
    return rc;
}

/* ---- reads ---- */

int core_request_get(struct core *c, const struct principal *actor, const char *id,
                     struct request *out)
{
    return core_request_load_visible(c, actor, id, out);
}

int core_request_list(struct core *c, const struct principal *actor, struct request_filter *f,
                      struct request_list *out)
{
    memset(out, 0, sizeof(*out));
    if (principal_is_provider(actor)) {
        if (!core_is_provider_staff(actor))
            return LB_EFORBIDDEN;
        return store_request_list(c->store, f, out);
    }
    if (f->tenant_id && strcmp(f->tenant_id, actor->tenant_id) != 0)
        return 0; /* another tenant's requests: none visible */
    f->tenant_id = actor->tenant_id;
    f->customer_visible_only = true;
    if (f->status == REQ_PENDING_INTERNAL || f->status == REQ_REJECTED)
        return 0;
    return store_request_list(c->store, f, out);
}

/* ---- transitions ---- */

/* A transition body: checks and changes r inside the transaction. */
typedef int transition_fn(struct core *c, const struct principal *actor, struct request *r,
                          void *arg, struct buf *err);

static int transition(struct core *c, const struct principal *actor, const char *id,
                      transition_fn *fn, void *arg, struct request *out, struct buf *err)
{
    struct request r = {0};
    bool queued = false;
    enum request_status before;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!id_is_valid(id))
        return core_fail(err, LB_ENOTFOUND, "no such request");
    if ((rc = core_tx_begin(c)) != 0)
        return rc;
    rc = core_request_load_visible(c, actor, id, &r);
    if (rc == LB_ENOTFOUND)
        rc = core_fail(err, rc, "no such request");
    else if (rc == LB_EFORBIDDEN)
        rc = core_fail(err, rc, "this role cannot act on requests");
    before = r.status;
    if (!rc)
        rc = fn(c, actor, &r, arg, err);
    if (!rc)
        rc = core_notify(c, &r, before, false, &queued);
    rc = core_tx_end(c, rc);
    if (!rc)
        rc = after_commit(c, &r, before, queued);
    if (!rc) { /* r is what was committed, its new decision included: the answer */
        *out = r;
        memset(&r, 0, sizeof(r));
    }
    request_clear(&r);
    return rc;
}

struct decision_arg {
    bool approve;
    const char *reason;
};

static int state_conflict(struct buf *err, const struct request *r, const char *action)
{
    return core_fail(err, LB_ECONFLICT, "cannot %s a request in status '%s'", action,
                     request_status_name(r->status));
}

static int insert_decision(struct core *c, const struct principal *actor, struct request *r,
                           enum decision_kind kind, const struct decision_arg *a)
{
    struct decision d = {.kind = kind,
                         .by_id = actor->user_id,
                         .by_username = actor->username,
                         .approve = a->approve,
                         .at = clock_now(&c->clock),
                         .reason = a->reason,
                         .client_ip = actor->client_ip};
    int rc = store_request_decision_insert(c->store, r->id, &d);

    /* kept in r too: the answer is r as committed, not a read back */
    return rc ? rc : request_decision_add(r, &d);
}

/* The reason a request ended (a denial's, a cancellation's, a revocation's), told in its mail. */
static int status_reason_set(struct request *r, const char *reason)
{
    lb_free(r->status_reason);
    r->status_reason = NULL;
    if (reason && !(r->status_reason = lb_strdup(reason)))
        return LB_ENOMEM;
    return 0;
}

static int do_review(struct core *c, const struct principal *actor, struct request *r, void *arg,
                     struct buf *err)
{
    const struct decision_arg *a = arg;
    struct tenant t = {0};
    int rc;

    if (!principal_has_provider_role(actor, PROV_INTERNAL_APPROVER))
        return core_fail(err, LB_EFORBIDDEN, "only an internal_approver reviews requests");
    if (strcmp(actor->user_id, r->requester_id) == 0)
        return core_fail(err, LB_EFORBIDDEN, "the requester cannot review their own request");
    if (r->status != REQ_PENDING_INTERNAL)
        return state_conflict(err, r, "review");
    if ((rc = insert_decision(c, actor, r, DECISION_REVIEW, a)) != 0)
        return rc;
    if (!a->approve) {
        r->status = REQ_DENIED;
        r->expires_at = 0;
        if ((rc = status_reason_set(r, a->reason)) != 0 ||
            (rc = store_request_update(c->store, r)) != 0)
            return rc;
        return audit_request(c, actor, "request.review", r, "deny", a->reason);
    }
    if ((rc = store_tenant_get(c->store, r->tenant_id, &t)) != 0)
        return rc;
    r->customer_visible = true;
    r->customer_approval_required = t.settings.lockbox_enabled;
    if (t.settings.lockbox_enabled) {
        r->status = REQ_PENDING;
        r->expires_at = clock_now(&c->clock) + t.settings.pending_expiry_seconds;
        reminder_set(r, &t.settings, clock_now(&c->clock));
    } else {
        grant_start(r, clock_now(&c->clock));
    }
    tenant_clear(&t);
    if ((rc = store_request_update(c->store, r)) != 0)
        return rc;
    rc = audit_request(c, actor, "request.review", r, "approve", a->reason);
    if (!rc && r->status == REQ_APPROVED)
        rc = audit_request(c, NULL, "request.approve", r, "approve",
                           "lockbox is off for this tenant: no customer approval needed");
    return rc;
}

/* Whether actor may approve r, by the roles the store holds now (inside the transaction),
 * not those loaded when the caller authenticated: a role removed a moment ago never counts. */
static int can_approve_now(struct core *c, const struct principal *actor, const struct request *r,
                           bool *ok)
{
    struct principal now = *actor;
    struct role_list roles = {0};
    int rc;

    *ok = false;
    if (principal_is_provider(actor))
        return 0;
    if ((rc = store_role_list_for_user(c->store, actor->user_id, &roles)) != 0)
        return rc;
    now.tenant_roles = roles;
    *ok = principal_can_approve(&now, r->tenant_id, r->resource_ids, r->resource_count);
    role_list_clear(&roles);
    return 0;
}

int core_request_notifications(struct core *c, const struct principal *actor, const char *id,
                               struct outbox_list *out, bool *show_errors)
{
    struct request r = {0};
    bool may = false;
    int rc;

    memset(out, 0, sizeof(*out));
    *show_errors = principal_is_provider(actor);
    if ((rc = core_request_load_visible(c, actor, id, &r)) != 0)
        return rc;
    if (principal_is_provider(actor))
        may = true;
    else
        rc = can_approve_now(c, actor, &r, &may);
    if (!rc && !may)
        rc = LB_EFORBIDDEN;
    /* a tenant sees what was sent to its own people and endpoints, never the provider's */
    if (!rc)
        rc = store_outbox_list_for_request(c->store, r.id, !principal_is_provider(actor), out);
    request_clear(&r);
    return rc;
}

static size_t approvals_of(const struct request *r, const char *user_id, bool *already)
{
    size_t n = 0;

    *already = false;
    for (size_t i = 0; i < r->decision_count; i++) {
        const struct decision *d = &r->decisions[i];
        if (d->kind != DECISION_CUSTOMER || !d->approve)
            continue;
        n++;
        if (strcmp(d->by_id, user_id) == 0)
            *already = true;
    }
    return n;
}

static int do_decide(struct core *c, const struct principal *actor, struct request *r, void *arg,
                     struct buf *err)
{
    const struct decision_arg *a = arg;
    struct audit_entry e;
    bool already, eligible;
    size_t approvals;
    int rc;

    if (strcmp(actor->user_id, r->requester_id) == 0)
        return core_fail(err, LB_EFORBIDDEN, "the requester cannot decide their own request");
    if ((rc = can_approve_now(c, actor, r, &eligible)) != 0)
        return rc;
    if (!eligible)
        return core_fail(err, LB_EFORBIDDEN,
                         "not an approver of this request: needs tenant_admin at '/', or "
                         "lockbox_approver or owner at a scope covering every resource");
    if (r->status != REQ_PENDING)
        return state_conflict(err, r, "decide");
    approvals = approvals_of(r, actor->user_id, &already);
    if (already)
        return core_fail(err, LB_ECONFLICT, "you have already approved this request");
    if ((rc = insert_decision(c, actor, r, DECISION_CUSTOMER, a)) != 0)
        return rc;
    if (!a->approve) {
        r->status = REQ_DENIED;
        r->expires_at = 0;
        if ((rc = status_reason_set(r, a->reason)) != 0)
            return rc;
    } else if ((int64_t)approvals + 1 >= r->approvals_required) {
        grant_start(r, clock_now(&c->clock));
    }
    if ((rc = store_request_update(c->store, r)) != 0)
        return rc;
    e = request_entry(c, actor, a->approve ? "request.approve" : "request.deny", r);
    const struct audit_field f[] = {AF_STR("status", request_status_name(r->status)),
                                    AF_INT("approvals", (int64_t)approvals + a->approve),
                                    AF_INT("approvals_required", r->approvals_required),
                                    AF_STR("reason", a->reason)};
    e.decision = a->approve ? "approve" : "deny";
    e.fields = f;
    e.field_count = 4;
    return audit_append(c->store, &e, NULL);
}

static int do_cancel(struct core *c, const struct principal *actor, struct request *r, void *arg,
                     struct buf *err)
{
    const char *reason = arg;

    if (strcmp(actor->user_id, r->requester_id) != 0)
        return core_fail(err, LB_EFORBIDDEN, "only the requester cancels a request");
    if (r->status != REQ_PENDING && r->status != REQ_PENDING_INTERNAL)
        return state_conflict(err, r, "cancel");
    r->status = REQ_CANCELED;
    r->expires_at = 0;
    int rc = status_reason_set(r, reason);
    if (!rc)
        rc = store_request_update(c->store, r);
    return rc ? rc : audit_request(c, actor, "request.cancel", r, NULL, reason);
}

static int do_revoke(struct core *c, const struct principal *actor, struct request *r, void *arg,
                     struct buf *err)
{
    const char *reason = arg;
    bool eligible = false;
    int rc;

    if (strcmp(actor->user_id, r->requester_id) != 0 &&
        !principal_has_provider_role(actor, PROV_PLATFORM_ADMIN) &&
        ((rc = can_approve_now(c, actor, r, &eligible)) != 0 || !eligible))
        return rc ? rc
                  : core_fail(err, LB_EFORBIDDEN,
                              "only an approver of the request, the requester or a platform_admin "
                              "revokes a grant");
    if (r->status != REQ_APPROVED)
        return state_conflict(err, r, "revoke");
    r->status = REQ_REVOKED;
    r->grant_ended_at = clock_now(&c->clock);
    if ((rc = status_reason_set(r, reason)) != 0 || (rc = store_request_update(c->store, r)) != 0)
        return rc;
    return audit_request(c, actor, "request.revoke", r, NULL, reason);
}

int core_request_review(struct core *c, const struct principal *actor, const char *id, bool approve,
                        const char *reason, struct request *out, struct buf *err)
{
    struct decision_arg a = {approve, reason};

    return transition(c, actor, id, do_review, &a, out, err);
}

int core_request_decide(struct core *c, const struct principal *actor, const char *id, bool approve,
                        const char *reason, struct request *out, struct buf *err)
{
    struct decision_arg a = {approve, reason};

    return transition(c, actor, id, do_decide, &a, out, err);
}

int core_request_cancel(struct core *c, const struct principal *actor, const char *id,
                        const char *reason, struct request *out, struct buf *err)
{
    return transition(c, actor, id, do_cancel, (void *)reason, out, err);
}

int core_request_revoke(struct core *c, const struct principal *actor, const char *id,
                        const char *reason, struct request *out, struct buf *err)
{
    return transition(c, actor, id, do_revoke, (void *)reason, out, err);
}

/* ---- the scheduler's transitions ---- */

/* Expires or completes one request if its deadline has passed (re-checked in the tx). */
static int run_one(struct core *c, const char *id, int64_t now)
{
    struct request r = {0};
    bool queued = false;
    enum request_status before;
    const char *activity = NULL;
    bool reminder = false;
    int rc;

    if ((rc = core_tx_begin(c)) != 0)
        return rc;
    rc = store_request_get(c->store, id, &r);
    before = r.status;
    if (!rc && (r.status == REQ_PENDING || r.status == REQ_PENDING_INTERNAL) && r.expires_at &&
        r.expires_at <= now) {
        r.status = REQ_EXPIRED;
        activity = "request.expire";
    } else if (!rc && r.status == REQ_APPROVED && r.grant_ends_at <= now) {
        r.status = REQ_COMPLETED;
        r.grant_ended_at = r.grant_ends_at;
        activity = "request.complete";
    } else if (!rc && r.status == REQ_PENDING && r.reminder_at && r.reminder_at <= now) {
        r.reminder_at = 0;
        reminder = true;
    }
    if (!rc && (activity || reminder))
        rc = store_request_update(c->store, &r);
    if (!rc && activity)
        rc = audit_request(c, NULL, activity, &r, NULL, NULL);
    if (!rc && (activity || reminder))
        rc = core_notify(c, &r, before, reminder, &queued);
    rc = core_tx_end(c, rc);
    if (!rc)
        rc = after_commit(c, &r, before, queued);
    request_clear(&r);
    return rc;
}

int core_run_due(struct core *c, int64_t *next)
{
    int64_t now = clock_now(&c->clock);
    char **ids = NULL;
    size_t count = 0;
    int rc;

    do {
        if ((rc = store_request_due(c->store, now, 64, &ids, &count)) != 0)
            return rc;
        for (size_t i = 0; i < count && rc == 0; i++)
            rc = run_one(c, ids[i], now);
        strv_free(ids, count);
        if (rc)
            return rc;
    } while (count == 64);
    return store_request_next_deadline(c->store, next);
}
