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

/* Keeps stream id going to url with profile, or ends it when url is empty (the provider's
 * remembers what it sent, so that configured again it sends what was written meanwhile). */
static int stream_set(struct core *c, const char *id, const char *url, const char *profile)
{
    struct audit_stream s = {.id = id,
                             .url = url,
                             .profile = profile && *profile ? profile : "lockbox",
                             .created_at = clock_now(&c->clock)};

    if (!url || !*url)
        return store_audit_stream_delete(c->store, id, strcmp(id, NOTIFY_SYSLOG_PROVIDER) == 0);
    return store_audit_stream_put(c->store, &s);
}

/* The provider's stream as the store keeps it, into *url and *profile (NULL: none). */
static int provider_stream(struct core *c, char **url, char **profile)
{
    struct audit_stream_list l = {0};
    int rc = store_audit_streams(c->store, &l);

    *url = *profile = NULL;
    for (size_t i = 0; rc == 0 && i < l.count; i++)
        if (strcmp(l.items[i].id, NOTIFY_SYSLOG_PROVIDER) == 0 &&
            (!(*url = lb_strdup(l.items[i].url)) || !(*profile = lb_strdup(l.items[i].profile))))
            rc = LB_ENOMEM;
    audit_stream_list_clear(&l);
    return rc;
}

int core_audit_stream_configure(struct core *c, const char *url, const char *profile)
{
    const char *now_url = url && *url ? url : NULL, *now_profile = now_url ? profile : NULL;
    char *was_url = NULL, *was_profile = NULL;
    int rc = core_tx_begin(c);

    if (rc)
        return rc;
    rc = provider_stream(c, &was_url, &was_profile);
    bool same = rc == 0 && !was_url == !now_url &&
                (!now_url || (strcmp(was_url, now_url) == 0 && strcmp(was_profile, profile) == 0));
    if (rc == 0 && !same)
        rc = stream_set(c, NOTIFY_SYSLOG_PROVIDER, url, profile);
    if (rc == 0 && !same) {
        /* where the provider's SIEM feed goes is itself on the record */
        struct audit_entry e =
            core_audit_entry(c, NULL, "audit.stream.configure", NULL, NOTIFY_SYSLOG_PROVIDER);
        const struct audit_field f[] = {
            AF_STR("url", now_url),
            AF_STR("profile", now_profile),
            AF_STR("previous_url", was_url),
        };
        e.fields = f;
        e.field_count = 3;
        rc = audit_append(c->store, &e, NULL);
    }
    rc = core_tx_end(c, rc);
    if (rc == 0 && !same && was_url && !now_url)
        log_warn("audit: the provider's syslog stream to %s ends ([audit] syslog_url is empty); "
                 "configured again, it sends what is written meanwhile",
                 was_url);
    lb_free(was_url);
    lb_free(was_profile);
    return rc;
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

/* What the streams have still to send, read once a pass: the provider's stream covers every
 * chain, so its backlog is read once, not once per chain. */
struct pass {
    struct audit_stream_list streams;
    struct audit_stream_chain_list provider; /* its backlog, when there is a provider stream */
};

/* Lowers *floor below what list has still to send of chain. */
static void floor_of(const struct audit_stream_chain_list *list, const char *chain, int64_t *floor)
{
    for (size_t j = 0; j < list->count; j++)
        if (strcmp(list->items[j].chain, chain) == 0 && list->items[j].sent_index < *floor)
            *floor = list->items[j].sent_index;
}

/* The last record of chain that every stream covering it has sent (INT64_MAX: none waits). */
static int stream_floor(struct core *c, const struct pass *p, const char *chain, int64_t *floor)
{
    int rc = 0;

    *floor = INT64_MAX;
    floor_of(&p->provider, chain, floor);
    for (size_t i = 0; rc == 0 && i < p->streams.count; i++) {
        struct audit_stream_chain_list own = {0};
        if (strcmp(p->streams.items[i].id, chain) != 0 ||
            strcmp(chain, NOTIFY_SYSLOG_PROVIDER) == 0)
            continue; /* the tenant's own stream (the provider's is read already) */
        if ((rc = store_audit_stream_backlog(c->store, chain, &own)) == 0)
            floor_of(&own, chain, floor);
        audit_stream_chain_list_clear(&own);
    }
    return rc;
}

/* Prunes one chain kept `retention` seconds; logs what it did. */
static int prune_chain(struct core *c, const struct pass *p, const char *chain,
                       const char *tenant_id, int64_t retention, int64_t *deleted)
{
    int64_t floor = 0, n = 0;
    int rc = stream_floor(c, p, chain, &floor);

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
    struct pass p = {0};
    struct tenant *tenants = NULL;
    size_t n = 0;
    int rc = store_audit_streams(c->store, &p.streams), first = 0;

    *deleted = 0;
    for (size_t i = 0; rc == 0 && i < p.streams.count; i++)
        if (strcmp(p.streams.items[i].id, NOTIFY_SYSLOG_PROVIDER) == 0)
            rc = store_audit_stream_backlog(c->store, NOTIFY_SYSLOG_PROVIDER, &p.provider);
    if (rc == 0)
        rc = store_tenant_list(c->store, NULL, &tenants, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int64_t keep = tenants[i].settings.audit_retention_seconds;
        int one = keep > 0 ? prune_chain(c, &p, tenants[i].id, tenants[i].id, keep, deleted) : 0;
        first = first ? first : one;
    }
    if (rc == 0 && c->cfg.audit_retention_seconds > 0) {
        int one = prune_chain(c, &p, NOTIFY_SYSLOG_PROVIDER, NULL, c->cfg.audit_retention_seconds,
                              deleted);
        first = first ? first : one;
    }
    for (size_t i = 0; i < n; i++)
        tenant_clear(&tenants[i]);
    lb_free(tenants);
    audit_stream_chain_list_clear(&p.provider);
    audit_stream_list_clear(&p.streams);
    return rc ? rc : first;
}
