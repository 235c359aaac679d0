/*
 * Webhook endpoints: a tenant's admins register them for their tenant's requests, platform
 * admins for every tenant's. The signing secret is made here, shown once, and never again.
 */
#include "core/ids.h"
#include "core_int.h"
#include "util/mem.h"
#include "util/strv.h"

#include <assert.h>
#include <sodium.h>
#include <string.h>

#include "util/banned.h"

#define URL_MAX 2048
#define SECRET_BYTES 32

/* Who may manage the endpoints of tenant_id (NULL: the every-tenant ones). */
static int may_manage(const struct principal *actor, const char *tenant_id)
{
    if (!tenant_id)
        return principal_has_provider_role(actor, PROV_PLATFORM_ADMIN) ? 0 : LB_EFORBIDDEN;
    if (!id_is_valid(tenant_id))
        return LB_ENOTFOUND;
    if (principal_is_provider(actor))
        return LB_EFORBIDDEN; /* a tenant's endpoints are the tenant's own business */
    if (strcmp(actor->tenant_id, tenant_id) != 0)
        return LB_ENOTFOUND;
    return principal_has_tenant_role(actor, tenant_id, "tenant_admin", "/") ? 0 : LB_EFORBIDDEN;
}

static bool url_is_acceptable(const char *url)
{
    size_t n = strlen(url);

    if (n > URL_MAX || !((strncmp(url, "http://", 7) == 0 && n > 7) ||
                         (strncmp(url, "https://", 8) == 0 && n > 8)))
        return false;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return false;
    return true;
}

/* check_events offers a tenant the events from NOTIFY_PENDING on: the provider's own event must
 * be the first and the only one before it */
static_assert(NOTIFY_PENDING_INTERNAL == 0 && NOTIFY_PENDING == NOTIFY_PENDING_INTERNAL + 1,
              "request.pending_internal is the only event before request.pending");

static int check_events(char *const *events, size_t count, bool tenant, struct buf *err)
{
    if (count == 0)
        return core_fail(err, LB_EINVAL, "events: name at least one event");
    for (size_t i = 0; i < count; i++) {
        int e = notify_event_parse(events[i]);
        if (e < 0) {
            int rc = core_fail(err, LB_EINVAL, "events[%zu]: '%s' is not an event (one of ", i,
                               events[i]);
            /* a tenant's webhook is never sent the provider's own event: it is not offered */
            for (int k = tenant ? NOTIFY_PENDING : 0; err && k < NOTIFY_EVENT_COUNT; k++)
                buf_appendf(err, "%s%s", k > (tenant ? NOTIFY_PENDING : 0) ? ", " : "",
                            notify_event_name((enum notify_event)k));
            if (err)
                buf_puts(err, ")");
            return rc;
        }
        if (tenant && e == NOTIFY_PENDING_INTERNAL)
            return core_fail(err, LB_EINVAL,
                             "events[%zu]: request.pending_internal is the provider's; a "
                             "tenant never hears of it",
                             i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(events[i], events[j]) == 0)
                return core_fail(err, LB_EINVAL, "events[%zu]: '%s' is named twice", i, events[i]);
    }
    return 0;
}

static int build(struct core *c, const char *tenant_id, const char *url, char *const *events,
                 size_t count, struct webhook *w)
{
    unsigned char key[SECRET_BYTES];
    char id[ID_LEN], hex[2 * SECRET_BYTES + 1];

    id_new(id);
    randombytes_buf(key, sizeof(key));
    sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
    sodium_memzero(key, sizeof(key));
    memset(w, 0, sizeof(*w));
    w->id = lb_strdup(id);
    w->tenant_id = tenant_id ? lb_strdup(tenant_id) : NULL;
    w->url = lb_strdup(url);
    w->secret = lb_strdup(hex);
    w->created_at = clock_now(&c->clock);
    sodium_memzero(hex, sizeof(hex));
    if (!w->id || (tenant_id && !w->tenant_id) || !w->url || !w->secret ||
        strv_dup(events, count, &w->events) != 0)
        return LB_ENOMEM;
    w->event_count = count;
    return 0;
}

static int audit_webhook(struct core *c, const struct principal *actor, const char *activity,
                         const struct webhook *w)
{
    struct audit_entry e = core_audit_entry(c, actor, activity, w->tenant_id, w->id);
    const struct audit_field f[] = {AF_STR("url", w->url),
                                    AF_STRV("events", w->events, w->event_count)};

    e.fields = f;
    e.field_count = 2;
    return audit_append(c->store, &e, NULL);
}

int core_webhook_create(struct core *c, const struct principal *actor, const char *tenant_id,
                        const char *url, char *const *events, size_t count, struct webhook *out,
                        struct buf *err)
{
    struct tenant t = {0};
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = may_manage(actor, tenant_id)) != 0)
        return core_fail(err, rc,
                         rc == LB_ENOTFOUND ? "no such tenant"
                                            : "only the tenant's admins (or, for every "
                                              "tenant, platform admins) manage webhooks");
    if (tenant_id && (rc = store_tenant_get(c->store, tenant_id, &t)) != 0)
        return core_fail(err, rc, "no such tenant");
    tenant_clear(&t);
    if (!url_is_acceptable(url))
        return core_fail(err, LB_EINVAL,
                         "url: want an http:// or https:// URL of at most %d "
                         "characters, without spaces",
                         URL_MAX);
    if ((rc = check_events(events, count, tenant_id != NULL, err)) != 0)
        return rc;
    if ((rc = build(c, tenant_id, url, events, count, out)) != 0)
        goto out;
    if ((rc = core_tx_begin(c)) != 0)
        goto out;
    rc = store_webhook_insert(c->store, out);
    if (!rc)
        rc = core_publish(c, STORE_CHANGE_WEBHOOK, tenant_id ? tenant_id : "");
    if (!rc)
        rc = audit_webhook(c, actor, "webhook.create", out);
    rc = core_tx_end(c, rc);
    if (!rc)
        core_hooks_forget(c, tenant_id, false);
out:
    if (rc)
        webhook_clear(out);
    return rc;
}

int core_webhook_list(struct core *c, const struct principal *actor, const char *tenant_id,
                      struct webhook_list *out)
{
    int rc = may_manage(actor, tenant_id);

    memset(out, 0, sizeof(*out));
    if (rc)
        return rc;
    return store_webhook_list(c->store, tenant_id, false, out);
}

int core_webhook_delete(struct core *c, const struct principal *actor, const char *tenant_id,
                        const char *id, struct buf *err)
{
    struct webhook w = {0};
    int rc = may_manage(actor, tenant_id);

    if (rc)
        return core_fail(err, rc,
                         rc == LB_ENOTFOUND ? "no such tenant"
                                            : "only the tenant's admins (or, for every "
                                              "tenant, platform admins) manage webhooks");
    if (!id_is_valid(id))
        return core_fail(err, LB_ENOTFOUND, "no such webhook");
    if ((rc = core_tx_begin(c)) != 0)
        return rc;
    rc = store_webhook_get(c->store, id, &w);
    if (!rc && !(tenant_id ? w.tenant_id && strcmp(w.tenant_id, tenant_id) == 0 : !w.tenant_id))
        rc = LB_ENOTFOUND; /* another tenant's, or not of this list: as if absent */
    if (rc == LB_ENOTFOUND)
        core_fail(err, rc, "no such webhook");
    if (!rc)
        rc = store_webhook_delete(c->store, id);
    if (!rc)
        rc = core_publish(c, STORE_CHANGE_WEBHOOK, tenant_id ? tenant_id : "");
    if (!rc)
        rc = audit_webhook(c, actor, "webhook.delete", &w);
    rc = core_tx_end(c, rc);
    if (!rc)
        core_hooks_forget(c, tenant_id, false);
    webhook_clear(&w);
    return rc;
}
