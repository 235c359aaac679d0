/* The audit log's streams to syslog collectors (notify/syslog.h): the provider's, as lockboxd
 * is configured, and each tenant's, as its settings name; and its retention, which never
 * prunes what a stream has still to send. */
#include "audit/chains.h"
#include "core/core_int.h"
#include "notify/syslog.h"
#include "util/log.h"
#include "util/mem.h"

#include <stdint.h>
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

/* ---- retention ---- */

/* The last record of chain that every stream covering it has sent (INT64_MAX: none waits). */
static int stream_floor(struct core *c, const struct audit_stream_list *streams, const char *chain,
                        int64_t *floor)
{
    int rc = 0;

    *floor = INT64_MAX;
    for (size_t i = 0; rc == 0 && i < streams->count; i++) {
        const char *id = streams->items[i].id;
        struct audit_stream_chain_list backlog = {0};
        if (strcmp(id, NOTIFY_SYSLOG_PROVIDER) != 0 && strcmp(id, chain) != 0)
            continue;
        rc = store_audit_stream_backlog(c->store, id, &backlog);
        for (size_t j = 0; rc == 0 && j < backlog.count; j++)
            if (strcmp(backlog.items[j].chain, chain) == 0 && backlog.items[j].sent_index < *floor)
                *floor = backlog.items[j].sent_index;
        audit_stream_chain_list_clear(&backlog);
    }
    return rc;
}

/* Prunes one chain kept `retention` seconds; logs what it did. */
static int prune_chain(struct core *c, const struct audit_stream_list *streams, const char *chain,
                       const char *tenant_id, int64_t retention, int64_t *deleted)
{
    int64_t floor = 0, n = 0;
    int rc = stream_floor(c, streams, chain, &floor);

    if (rc == 0)
        rc = audit_chains_prune(c->store, chain, tenant_id, retention, clock_now(&c->clock), floor,
                                &n);
    if (rc == 0 && n > 0)
        log_info("audit: pruned chain=%s records=%lld retention_seconds=%lld", chain, (long long)n,
                 (long long)retention);
    *deleted += n;
    return rc;
}

int core_audit_prune(struct core *c, int64_t *deleted)
{
    struct audit_stream_list streams = {0};
    struct tenant *tenants = NULL;
    size_t n = 0;
    int rc = store_audit_streams(c->store, &streams), first = 0;

    *deleted = 0;
    if (rc == 0)
        rc = store_tenant_list(c->store, NULL, &tenants, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int64_t keep = tenants[i].settings.audit_retention_seconds;
        int one =
            keep > 0 ? prune_chain(c, &streams, tenants[i].id, tenants[i].id, keep, deleted) : 0;
        first = first ? first : one;
    }
    if (rc == 0 && c->cfg.audit_retention_seconds > 0) {
        int one = prune_chain(c, &streams, NOTIFY_SYSLOG_PROVIDER, NULL,
                              c->cfg.audit_retention_seconds, deleted);
        first = first ? first : one;
    }
    for (size_t i = 0; i < n; i++)
        tenant_clear(&tenants[i]);
    lb_free(tenants);
    audit_stream_list_clear(&streams);
    return rc ? rc : first;
}
