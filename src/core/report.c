/*
 * The report of what was done under a grant, read when its grant has ended: the operator's
 * actions (operator.action, item the request), the doors that let them in (access.allowed,
 * item the request) or refused them (access.denied of the operator in the log of the
 * request's tenant while the grant ran, on any of the tenant's resources), and the messages
 * sent about the request. Nothing is stored for it: the audit log and the outbox are the report.
 */
#include "audit/audit.h"
#include "core/ids.h"
#include "core_int.h"
#include "util/mem.h"

#include <stdint.h>
#include <string.h>

#include "util/banned.h"

#define REPORT_PAGE 1000

void grant_report_clear(struct grant_report *r)
{
    request_clear(&r->request);
    user_clear(&r->operator_user);
    audit_list_clear(&r->actions);
    audit_list_clear(&r->doors);
    outbox_list_clear(&r->notifications);
    memset(r, 0, sizeof(*r));
}

/* Moves the records of from that keep() accepts (every one without keep) to the end of to. */
static int take_records(struct audit_list *to, struct audit_list *from,
                        bool (*keep)(const struct request *, const struct audit_record *),
                        const struct request *r)
{
    size_t total = to->count + from->count;
    struct audit_record *grown;

    if (!from->count)
        return 0;
    if (total > SIZE_MAX / sizeof(*to->items) ||
        !(grown = lb_realloc(to->items, total * sizeof(*to->items))))
        return LB_ENOMEM;
    to->items = grown;
    for (size_t i = 0; i < from->count; i++) {
        if (keep && !keep(r, &from->items[i]))
            continue;
        to->items[to->count++] = from->items[i];
        memset(&from->items[i], 0, sizeof(from->items[i]));
    }
    return 0;
}

/* Every record of f (oldest first, by seq or by time), those keep() accepts added to out. */
static int read_all(struct core *c, struct audit_filter f, struct audit_list *out,
                    bool (*keep)(const struct request *, const struct audit_record *),
                    const struct request *r)
{
    int rc = 0;

    f.ascending = true;
    f.limit = REPORT_PAGE;
    for (;;) {
        struct audit_list page = {0};
        size_t n;
        if ((rc = store_audit_query(c->store, &f, &page)) != 0)
            return rc;
        n = page.count;
        if (n)
            f.after_seq = page.items[n - 1].seq;
        rc = take_records(out, &page, keep, r);
        audit_list_clear(&page);
        if (rc || n < REPORT_PAGE)
            return rc;
    }
}

/* A denial of r's operator (on any resource of the tenant: one outside the grant is what
 * the customer most wants to hear of). */
static bool is_grant_denial(const struct request *r, const struct audit_record *a)
{
    return audit_details_str_is(a->details, "operator", r->requester_username);
}

/* Merges the allowances and the denials (each oldest first) into out, by time then seq. */
static int merge_doors(struct audit_list *allowed, struct audit_list *denied,
                       struct audit_list *out)
{
    size_t n = allowed->count + denied->count, a = 0, d = 0;

    if (n && !(out->items = lb_calloc(n, sizeof(*out->items))))
        return LB_ENOMEM;
    while (a < allowed->count || d < denied->count) {
        struct audit_record *x = a < allowed->count ? &allowed->items[a] : NULL;
        struct audit_record *y = d < denied->count ? &denied->items[d] : NULL;
        bool take_x = x && (!y || x->time < y->time || (x->time == y->time && x->seq < y->seq));
        out->items[out->count++] = take_x ? *x : *y;
        memset(take_x ? x : y, 0, sizeof(*x));
        a += take_x;
        d += !take_x;
    }
    return 0;
}

int core_request_report(struct core *c, const struct principal *actor, const char *id,
                        struct grant_report *out, struct buf *err)
{
    struct request *r = &out->request;
    struct audit_list allowed = {0}, denied = {0};
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = core_request_load_visible(c, actor, id, r)) != 0)
        return rc == LB_ENOTFOUND ? core_fail(err, rc, "no such request")
                                  : core_fail(err, rc, "this role cannot read requests");
    if (!r->grant_starts_at || !r->grant_ended_at) {
        rc = core_fail(err, LB_ECONFLICT, "the report is made when the grant ends");
        goto out;
    }
    rc = store_user_get(c->store, r->requester_id, &out->operator_user);
    if (rc == LB_ENOTFOUND) /* a user removed since: the request still names them */
        rc = 0;
    if (rc)
        goto out;
    struct audit_filter actions = {.activity = "operator.action", .item = r->id};
    struct audit_filter allows = {.activity = "access.allowed", .item = r->id};
    /* a denial names no request: the operator's, on any of the tenant's resources, while the
     * grant ran (its end's second included) */
    struct audit_filter denials = {.activity = "access.denied",
                                   .tenant_id = r->tenant_id,
                                   .from = r->grant_starts_at,
                                   .to = r->grant_ended_at + 1,
                                   .has_from = true,
                                   .has_to = true,
                                   .by_time = true};
    if ((rc = read_all(c, actions, &out->actions, NULL, r)) != 0 ||
        (rc = read_all(c, allows, &allowed, NULL, r)) != 0 ||
        (rc = read_all(c, denials, &denied, is_grant_denial, r)) != 0 ||
        (rc = merge_doors(&allowed, &denied, &out->doors)) != 0)
        goto out;
    /* a tenant's users see what was sent to its own people and endpoints, never the
     * provider's */
    rc = store_outbox_list_for_request(c->store, r->id, !principal_is_provider(actor),
                                       &out->notifications);
out:
    audit_list_clear(&allowed);
    audit_list_clear(&denied);
    if (rc)
        grant_report_clear(out);
    return rc;
}
