/*
 * Who is told of a request's change: the recipients of each event, composed into the outbox
 * and recorded as a request.notify audit record, in the transaction of the change itself,
 * which also appends the event to the event stream (core/events.h).
 *
 *   pending_internal   the provider's internal approvers (never the requester)
 *   pending            the request's eligible approvers and the tenant's notification_emails
 *   reminder           the eligible approvers who have not decided yet
 *   outcomes           the requester, the approvers of the stage the request was in, and
 *                      the internal approver who passed its review on to the customer
 *   report             when a grant ends (completed, revoked) on a request the customer
 *                      sees: the request's customer approvers, by mail only, unless the
 *                      tenant's grant_report_mail is off (request.report)
 * Tenant webhooks hear only of requests that reached the customer; every-tenant webhooks of
 * all of them. Recipients are of two audiences, kept apart: the tenant's (its approvers, its
 * notification addresses, its webhooks), which its users may see in the notifications list and
 * the tenant's request.notify record; and the provider's (requester, internal approvers,
 * every-tenant webhooks), recorded with no tenant, which tenant users never see.
 */
#include "core/ids.h"
#include "core_int.h"
#include "util/mem.h"

#include <string.h>
#include <strings.h>

#include "util/banned.h"

/* Addresses, borrowed from the lists loaded for one notice. */
struct addresses {
    char **v;
    size_t count, cap;
};

static bool has_address(const struct addresses *a, const char *addr)
{
    for (size_t i = 0; i < a->count; i++)
        if (strcasecmp(a->v[i], addr) == 0)
            return true;
    return false;
}

/* Adds addr to a unless it is unsafe or already in a or in other (one mail per address). */
static int add_address(struct addresses *a, const struct addresses *other, char *addr)
{
    if (!addr || !notify_address_is_safe(addr) || has_address(a, addr) || has_address(other, addr))
        return 0;
    if (lb_array_reserve(&a->v, &a->cap, a->count, sizeof(*a->v)) != 0)
        return LB_ENOMEM;
    a->v[a->count++] = addr;
    return 0;
}

/* What one notice loads; released by notice_release. */
struct notice {
    struct tenant tenant;
    struct ticket ticket;
    bool has_ticket;
    struct user requester, reviewer;
    struct user_list tenant_users, provider_users;
    struct role_list tenant_roles, provider_roles;
    struct webhook_list tenant_hooks, provider_hooks;
    struct addresses tenant_to, provider_to;
};

static void notice_release(struct notice *n)
{
    tenant_clear(&n->tenant);
    ticket_clear(&n->ticket);
    user_clear(&n->requester);
    user_clear(&n->reviewer);
    user_list_clear(&n->tenant_users);
    user_list_clear(&n->provider_users);
    role_list_clear(&n->tenant_roles);
    role_list_clear(&n->provider_roles);
    webhook_list_clear(&n->tenant_hooks);
    webhook_list_clear(&n->provider_hooks);
    lb_free(n->tenant_to.v);
    lb_free(n->provider_to.v);
}

static bool has_decided(const struct request *r, const char *user_id)
{
    for (size_t i = 0; i < r->decision_count; i++)
        if (r->decisions[i].kind == DECISION_CUSTOMER &&
            strcmp(r->decisions[i].by_id, user_id) == 0)
            return true;
    return false;
}

/* The tenant's users who may approve r (and, with undecided_only, have not decided). */
static int add_customer_approvers(struct core *c, struct notice *n, const struct request *r,
                                  bool undecided_only)
{
    struct store *st = c->store;
    int rc;

    if ((rc = store_user_list_for_tenant(st, r->tenant_id, &n->tenant_users)) != 0 ||
        (rc = store_role_list_for_tenant(st, r->tenant_id, &n->tenant_roles)) != 0)
        return rc;
    struct role_assignment *own = lb_calloc(n->tenant_roles.count, sizeof(*own));
    if (n->tenant_roles.count && !own)
        return LB_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n->tenant_users.count; i++) {
        struct user *u = &n->tenant_users.items[i];
        struct principal p = {.user_id = u->id, .tenant_id = u->tenant_id};
        p.tenant_roles.items = own;
        for (size_t j = 0; j < n->tenant_roles.count; j++)
            if (strcmp(n->tenant_roles.items[j].user_id, u->id) == 0)
                own[p.tenant_roles.count++] = n->tenant_roles.items[j];
        if (strcmp(u->id, r->requester_id) != 0 &&
            principal_can_approve(&p, r->tenant_id, r->resource_ids, r->resource_count) &&
            !(undecided_only && has_decided(r, u->id)))
            rc = add_address(&n->tenant_to, &n->provider_to, u->email);
    }
    lb_free(own); /* its entries are borrowed from n->tenant_roles */
    return rc;
}

/* The provider's internal approvers, but never the requester. */
static int add_internal_approvers(struct core *c, struct notice *n, const struct request *r)
{
    struct store *st = c->store;
    int rc;

    if ((rc = store_user_list_for_tenant(st, NULL, &n->provider_users)) != 0 ||
        (rc = store_role_list_for_tenant(st, NULL, &n->provider_roles)) != 0)
        return rc;
    for (size_t i = 0; rc == 0 && i < n->provider_roles.count; i++) {
        const struct role_assignment *ra = &n->provider_roles.items[i];
        if (strcmp(ra->role, "internal_approver") != 0 || strcmp(ra->user_id, r->requester_id) == 0)
            continue;
        for (size_t j = 0; rc == 0 && j < n->provider_users.count; j++)
            if (strcmp(n->provider_users.items[j].id, ra->user_id) == 0)
                rc = add_address(&n->provider_to, &n->tenant_to, n->provider_users.items[j].email);
    }
    return rc;
}

/* The internal approver who passed r's review on to the customer: they approved it too, so
 * they hear how it ends. */
static int add_reviewer(struct core *c, struct notice *n, const struct request *r)
{
    for (size_t i = 0; i < r->decision_count; i++) {
        if (r->decisions[i].kind != DECISION_REVIEW)
            continue;
        int rc = store_user_get(c->store, r->decisions[i].by_id, &n->reviewer);
        if (rc == LB_ENOTFOUND)
            return 0;
        return rc ? rc : add_address(&n->provider_to, &n->tenant_to, n->reviewer.email);
    }
    return 0;
}

static int add_requester(struct core *c, struct notice *n, const struct request *r)
{
    int rc = store_user_get(c->store, r->requester_id, &n->requester);

    return rc ? rc : add_address(&n->provider_to, &n->tenant_to, n->requester.email);
}

static int collect(struct core *c, struct notice *n, const struct request *r, enum notify_event ev,
                   enum request_status before)
{
    const struct tenant_settings *ts = &n->tenant.settings;
    int rc = 0;

    switch (ev) {
    case NOTIFY_PENDING_INTERNAL:
        return add_internal_approvers(c, n, r);
    case NOTIFY_PENDING:
        rc = add_customer_approvers(c, n, r, false);
        for (size_t i = 0; rc == 0 && i < ts->notification_email_count; i++)
            rc = add_address(&n->tenant_to, &n->provider_to, ts->notification_emails[i]);
        return rc;
    case NOTIFY_REMINDER:
        return add_customer_approvers(c, n, r, true);
    default:
        if (r->customer_visible && r->customer_approval_required)
            rc = add_customer_approvers(c, n, r, false);
        if (rc == 0)
            rc = add_requester(c, n, r);
        if (rc == 0 && before == REQ_PENDING_INTERNAL)
            rc = add_internal_approvers(c, n, r);
        else if (rc == 0)
            rc = add_reviewer(c, n, r);
        return rc;
    }
}

/* The request.notify record of one audience: the tenant's (tenant_id set, so its users see
 * it) or the provider's (no tenant). Nothing is written when nobody of it was told. */
static int audit_notice(struct core *c, const struct request *r, enum notify_event ev,
                        const char *tenant_id, const struct addresses *to,
                        const struct webhook_list *hooks)
{
    struct audit_entry e = core_audit_entry(c, NULL, "request.notify", tenant_id, r->id);
    bool mail = c->cfg.notify.mail_enabled && to->count > 0;
    char **urls = lb_calloc(hooks->count, sizeof(*urls));
    size_t url_count = 0;
    int rc;

    if (hooks->count && !urls)
        return LB_ENOMEM;
    for (size_t i = 0; i < hooks->count; i++)
        if (notify_webhook_wants(&hooks->items[i], ev))
            urls[url_count++] = hooks->items[i].url;
    if (url_count == 0 && !mail) {
        lb_free(urls);
        return 0;
    }
    const struct audit_field f[] = {AF_STR("event", notify_event_name(ev)),
                                    AF_STRV("emails", mail ? to->v : NULL, mail ? to->count : 0),
                                    AF_STRV("webhooks", urls, url_count)};
    e.request_id = r->id;
    e.fields = f;
    e.field_count = 3;
    rc = audit_append(c->store, &e, NULL);
    lb_free(urls);
    return rc;
}

/* The event a change of status tells of, or -1 for none. */
static int event_of(const struct request *r, enum request_status before)
{
    static const int events[] = {
        [REQ_PENDING_INTERNAL] = NOTIFY_PENDING_INTERNAL,
        [REQ_PENDING] = NOTIFY_PENDING,
        [REQ_APPROVED] = NOTIFY_APPROVED,
        [REQ_DENIED] = NOTIFY_DENIED,
        [REQ_REJECTED] = -1,
        [REQ_EXPIRED] = NOTIFY_EXPIRED,
        [REQ_CANCELED] = NOTIFY_CANCELED,
        [REQ_REVOKED] = NOTIFY_REVOKED,
        [REQ_COMPLETED] = NOTIFY_COMPLETED,
    };

    return r->status == before ? -1 : events[r->status];
}

/* The mail of a grant's report to the request's customer approvers, when its grant just
 * ended (inside the transaction of the end); n holds the tenant. */
static int notify_report(struct core *c, const struct notice *n, const struct request *r,
                         enum request_status before, bool *queued)
{
    struct notice approvers = {0};
    struct webhook_list no_hooks = {0};
    int rc;

    if (before != REQ_APPROVED || (r->status != REQ_COMPLETED && r->status != REQ_REVOKED) ||
        !r->customer_visible || !c->cfg.notify.mail_enabled ||
        !n->tenant.settings.grant_report_mail)
        return 0;
    if ((rc = add_customer_approvers(c, &approvers, r, false)) != 0)
        goto out;
    struct notify_subject s = {.event = NOTIFY_REPORT,
                               .request = r,
                               .tenant = &n->tenant,
                               .ticket = n->has_ticket ? &n->ticket : NULL,
                               .now = clock_now(&c->clock)};
    if ((rc = notify_enqueue(c->store, &c->cfg.notify, &s, approvers.tenant_to.v,
                             approvers.tenant_to.count, NULL, true)) != 0)
        goto out;
    *queued = *queued || approvers.tenant_to.count > 0;
    rc = audit_notice(c, r, NOTIFY_REPORT, r->tenant_id, &approvers.tenant_to, &no_hooks);
out:
    notice_release(&approvers);
    return rc;
}

int core_notify(struct core *c, const struct request *r, enum request_status before, bool reminder,
                bool *queued)
{
    struct notice n = {0};
    int ev = reminder ? NOTIFY_REMINDER : event_of(r, before);
    struct store *st = c->store;
    int rc;

    if (ev < 0)
        return 0;
    /* the other nodes read the request again only when its grant began or ended */
    if ((rc = core_publish(c,
                           (r->status == REQ_APPROVED) != (before == REQ_APPROVED)
                               ? STORE_CHANGE_GRANT
                               : STORE_CHANGE_REQUEST,
                           r->id)) != 0)
        return rc;
    /* the tenant, the ticket and the addresses are for mail only: without an SMTP server
     * they would cost four reads inside the write transaction for nothing */
    if (c->cfg.notify.mail_enabled) {
        if ((rc = store_tenant_get(st, r->tenant_id, &n.tenant)) != 0)
            goto out;
        n.has_ticket = store_ticket_get(st, r->ticket_id, &n.ticket) == 0;
        if ((rc = collect(c, &n, r, (enum notify_event)ev, before)) != 0)
            goto out;
    }
    if ((r->customer_visible && (rc = core_hooks_get(c, r->tenant_id, &n.tenant_hooks)) != 0) ||
        (rc = core_hooks_get(c, NULL, &n.provider_hooks)) != 0)
        goto out;
    struct notify_subject s = {.event = (enum notify_event)ev,
                               .request = r,
                               .tenant = &n.tenant,
                               .ticket = n.has_ticket ? &n.ticket : NULL,
                               .now = clock_now(&c->clock)};
    /* the stream's event: its tenant's users see it once the request reached them */
    if ((rc = notify_stream_append(st, &c->cfg.notify, &s, r->customer_visible)) != 0 ||
        (rc = notify_enqueue(st, &c->cfg.notify, &s, n.tenant_to.v, n.tenant_to.count,
                             &n.tenant_hooks, true)) != 0 ||
        (rc = notify_enqueue(st, &c->cfg.notify, &s, n.provider_to.v, n.provider_to.count,
                             &n.provider_hooks, false)) != 0)
        goto out;
    /* (a hook may not want the event: waking the senders for nothing costs two reads) */
    *queued = (c->cfg.notify.mail_enabled && (n.tenant_to.count || n.provider_to.count)) ||
              n.tenant_hooks.count || n.provider_hooks.count;
    rc = audit_notice(c, r, (enum notify_event)ev, r->tenant_id, &n.tenant_to, &n.tenant_hooks);
    if (rc == 0)
        rc = audit_notice(c, r, (enum notify_event)ev, NULL, &n.provider_to, &n.provider_hooks);
    if (rc == 0)
        rc = notify_report(c, &n, r, before, queued);
out:
    notice_release(&n);
    return rc;
}
