/* Support tickets (service requests) and their history. */
#include "core/ids.h"
#include "core_int.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

/* Loads a ticket of tenant_id the actor may see. */
static int ticket_load(struct core *c, const struct principal *actor, const char *tenant_id,
                       const char *id, struct ticket *out)
{
    struct tenant t = {0};
    int rc = core_tenant_load_visible(c, actor, tenant_id, &t);

    tenant_clear(&t);
    if (rc)
        return rc;
    if (!id_is_valid(id))
        return LB_ENOTFOUND;
    rc = store_ticket_get(c->store, id, out);
    if (rc == 0 && strcmp(out->tenant_id, tenant_id) != 0) {
        ticket_clear(out);
        rc = LB_ENOTFOUND;
    }
    return rc;
}

int core_ticket_create(struct core *c, const struct principal *actor, const char *tenant_id,
                       const char *title, const char *description, const char *severity,
                       struct ticket *out, struct buf *err)
{
    struct tenant t = {0};
    char id[ID_LEN];
    int64_t now = clock_now(&c->clock);
    int rc;

    memset(out, 0, sizeof(*out));
    if (principal_is_provider(actor))
        return core_fail(err, LB_EFORBIDDEN, "tickets are opened by the tenant's users");
    if ((rc = core_tenant_load_visible(c, actor, tenant_id, &t)) != 0)
        return core_fail(err, rc, "no such tenant");
    tenant_clear(&t);
    id_new(id);
    struct ticket tk = {.id = id,
                        .tenant_id = tenant_id,
                        .title = title,
                        .description = description,
                        .severity = severity,
                        .status = "open",
                        .created_by = actor->user_id,
                        .created_at = now};
    struct ticket_event ev = {.at = now, .by = actor->username, .type = "created", .text = title};
    struct audit_entry e = core_audit_entry(c, actor, "ticket.create", tenant_id, id);
    const struct audit_field f[] = {AF_STR("title", title), AF_STR("severity", severity)};
    e.fields = f;
    e.field_count = 2;
    if ((rc = core_tx_begin(c)) != 0)
        return rc;
    rc = store_ticket_insert(c->store, &tk);
    if (!rc)
        rc = store_ticket_event_append(c->store, id, &ev);
    if (!rc)
        rc = audit_append(c->store, &e, NULL);
    if (!rc)
        rc = store_ticket_get(c->store, id, out);
    rc = core_tx_end(c, rc);
    if (rc)
        ticket_clear(out);
    return rc;
}

int core_ticket_get(struct core *c, const struct principal *actor, const char *tenant_id,
                    const char *id, struct ticket *out)
{
    return ticket_load(c, actor, tenant_id, id, out);
}

int core_ticket_list(struct core *c, const struct principal *actor, const char *tenant_id,
                     int64_t before_seq, size_t limit, struct ticket_list *out)
{
    struct tenant t = {0};
    int rc = core_tenant_load_visible(c, actor, tenant_id, &t);

    tenant_clear(&t);
    if (rc)
        return rc;
    return store_ticket_list(c->store, tenant_id, before_seq, limit, out);
}

int core_ticket_comment(struct core *c, const struct principal *actor, const char *tenant_id,
                        const char *id, const char *text, struct ticket *out, struct buf *err)
{
    struct ticket tk = {0};
    int rc;

    memset(out, 0, sizeof(*out));
    if (principal_is_provider(actor) &&
        !principal_has_provider_role(actor, PROV_PLATFORM_ADMIN | PROV_SUPPORT_ENGINEER |
                                                PROV_INTERNAL_APPROVER))
        return core_fail(err, LB_EFORBIDDEN, "this role cannot comment on tickets");
    if ((rc = ticket_load(c, actor, tenant_id, id, &tk)) != 0)
        return core_fail(err, rc, "no such ticket");
    ticket_clear(&tk);
    struct ticket_event ev = {
        .at = clock_now(&c->clock), .by = actor->username, .type = "comment", .text = text};
    struct audit_entry e = core_audit_entry(c, actor, "ticket.comment", tenant_id, id);
    const struct audit_field f[] = {AF_STR("text", text)};
    e.fields = f;
    e.field_count = 1;
    if ((rc = core_tx_begin(c)) != 0)
        return rc;
    rc = store_ticket_event_append(c->store, id, &ev);
    if (!rc)
        rc = audit_append(c->store, &e, NULL);
    if (!rc)
        rc = store_ticket_get(c->store, id, out);
    rc = core_tx_end(c, rc);
    if (rc)
        ticket_clear(out);
    return rc;
}
