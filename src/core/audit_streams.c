/* The audit log's streams to syslog collectors (notify/syslog.h): the provider's, as lockboxd
 * is configured, and each tenant's, as its settings name. */
#include "core/core_int.h"
#include "notify/syslog.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

/* Keeps stream id going to url with profile, or forgets it when url is empty. */
static int stream_set(struct core *c, const char *id, const char *url, const char *profile)
{
    struct audit_stream s = {.id = id,
                             .url = url,
                             .profile = profile && *profile ? profile : "lockbox",
                             .created_at = clock_now(&c->clock)};

    if (!url || !*url)
        return store_audit_stream_delete(c->store, id);
    return store_audit_stream_put(c->store, &s);
}

int core_audit_stream_configure(struct core *c, const char *url, const char *profile)
{
    int rc = core_tx_begin(c);

    if (rc)
        return rc;
    rc = stream_set(c, NOTIFY_SYSLOG_PROVIDER, url, profile);
    return core_tx_end(c, rc);
}

int core_tenant_stream_sync(struct core *c, const struct tenant *t)
{
    return stream_set(c, t->id, t->settings.audit_syslog_url, t->settings.audit_syslog_profile);
}

int core_audit_streams_visible(struct core *c, const struct principal *actor,
                               struct audit_stream_list *out)
{
    struct audit_stream_list all = {0};
    size_t kept = 0;
    int rc = store_audit_streams(c->store, &all);

    memset(out, 0, sizeof(*out));
    if (rc)
        return rc;
    for (size_t i = 0; i < all.count; i++) {
        if (principal_is_provider(actor) ||
            (actor->tenant_id && strcmp(all.items[i].id, actor->tenant_id) == 0))
            all.items[kept++] = all.items[i];
        else
            audit_stream_clear(&all.items[i]);
    }
    all.count = kept;
    *out = all;
    return 0;
}
