/* Enforcement (the access check, operator actions) and audit search. */
#include "core/ids.h"
#include "core_int.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

int core_access_check(struct core *c, const struct principal *actor, const char *operator_name,
                      const char *resource_id, enum access_level level, const char *door,
                      bool *allowed, struct grant_match *match)
{
    bool self = strcmp(actor->username, operator_name) == 0;
    int64_t now = clock_now(&c->clock);
    char owner[ID_LEN];
    bool owned;

    if (!principal_has_provider_role(actor, PROV_ENFORCER) &&
        !(self && principal_has_provider_role(actor, PROV_SUPPORT_ENGINEER)))
        return LB_EFORBIDDEN;
    if (core_changes_deaf(c, now))
        return LB_EUNAVAIL; /* another node may have revoked what memory still holds */
    /* a grant counts only inside the resources its tenant owns now */
    owned = owners_find(c->owners, resource_id, owner);
    *allowed =
        owned && grants_check(c->grants, operator_name, resource_id, owner, level, now, match);
    /* a denial for the audit log; an allowance for the grant's report (the first of its
     * request, resource and door in a minute): neither written on this thread */
    const struct denial_note n = {.operator_name = operator_name,
                                  .resource_id = resource_id,
                                  .request_id = *allowed ? match->request_id : NULL,
                                  .owner_id = owned ? owner : NULL,
                                  .level = level,
                                  .door = door ? door : "check",
                                  .actor = actor->username,
                                  .actor_id = actor->user_id,
                                  .client_ip = actor->client_ip};
    denials_note(c->denials, &n, now);
    return 0;
}

int core_denials_start(struct core *c)
{
    return denials_start(c->denials, c->store);
}

int core_denials_flush(struct core *c)
{
    return denials_flush(c->denials, c->store);
}

void core_denial_stats(struct core *c, struct denial_stats *out)
{
    denials_stats(c->denials, out);
}

/* The actions that tell of a session's end: session.close (its user left) and
 * session.terminated (a host agent ended it when its grant ended). */
static bool activity_ends_session(const char *activity)
{
    return strcmp(activity, "session.close") == 0 || strcmp(activity, "session.terminated") == 0;
}

int core_activity_record(struct core *c, const struct principal *actor, const char *request_id,
                         const char *activity, const char *target, const char *details_json,
                         struct audit_record *out, struct buf *err)
{
    struct request r = {0};
    struct audit_list list = {0};
    int64_t now = clock_now(&c->clock), seq = 0;
    bool enforcer = principal_has_provider_role(actor, PROV_ENFORCER);
    int rc;

    memset(out, 0, sizeof(*out));
    if (!id_is_valid(request_id))
        return core_fail(err, LB_ENOTFOUND, "no such request");
    if ((rc = core_tx_begin(c)) != 0)
        return rc;
    /* existence first, as the caller may see the request (an enforcer reports on every one),
     * so that neither a 403 nor a 409 tells a caller who cannot see it that it exists */
    rc = enforcer ? store_request_get(c->store, request_id, &r)
                  : core_request_load_visible(c, actor, request_id, &r);
    if (rc == LB_ENOTFOUND)
        rc = core_fail(err, rc, "no such request");
    else if (rc == LB_EFORBIDDEN)
        rc = core_fail(err, rc, "only the requester or an enforcer records actions");
    if (!rc && !enforcer &&
        (!principal_has_provider_role(actor, PROV_SUPPORT_ENGINEER) ||
         strcmp(r.requester_id, actor->user_id) != 0))
        rc = core_fail(err, LB_EFORBIDDEN, "only the requester or an enforcer records actions");
    /* a door reports the end of a session opened under a grant after the grant ended (the
     * end is what ended it); every other action needs a grant in force */
    if (!rc && !(enforcer && r.grant_starts_at && activity_ends_session(activity)) &&
        (r.status != REQ_APPROVED || r.grant_ends_at <= now))
        rc = core_fail(err, LB_ECONFLICT, "the request has no active grant");
    if (!rc) {
        struct audit_entry e = core_audit_entry(c, actor, "operator.action", r.tenant_id, r.id);
        const struct audit_field f[] = {AF_STR("action", activity), AF_STR("target", target),
                                        AF_JSON("details", details_json),
                                        AF_STR("recorded_by", actor->username)};
        /* the operator acted; an enforcer only reports it */
        e.actor = r.requester_username;
        e.actor_id = r.requester_id;
        e.actor_type = "operator";
        e.request_id = r.id;
        e.fields = f;
        e.field_count = 4;
        rc = audit_append(c->store, &e, &seq);
    }
    rc = core_tx_end(c, rc);
    if (!rc) {
        struct audit_filter f = {.item = request_id, .after_seq = seq + 1, .limit = 1};
        int waited = 0;
        /* recorded: a store gone just after the commit is waited for, never LB_EUNAVAIL */
        while ((rc = store_audit_query(c->store, &f, &list)) != 0 &&
               core_committed_read_again(rc, &waited))
            ;
        if (rc == LB_EUNAVAIL)
            rc = core_fail(err, LB_ESTORE,
                           "the action was recorded, but the store went away before it could "
                           "be read back");
        if (!rc && list.count == 1) {
            *out = list.items[0];
            memset(&list.items[0], 0, sizeof(list.items[0]));
        } else if (!rc) {
            rc = LB_ESTORE;
        }
    }
    audit_list_clear(&list);
    request_clear(&r);
    return rc;
}

int core_audit_query(struct core *c, const struct principal *actor, struct audit_filter *f,
                     struct audit_list *out)
{
    int rc = core_audit_may_read(actor);

    memset(out, 0, sizeof(*out));
    if (rc)
        return rc;
    if (principal_is_provider(actor))
        return store_audit_query(c->store, f, out);
    if (f->tenant_id && strcmp(f->tenant_id, actor->tenant_id) != 0)
        return 0; /* another tenant's records: none visible */
    f->tenant_id = actor->tenant_id;
    f->tenant_view = true;
    return store_audit_query(c->store, f, out);
}
