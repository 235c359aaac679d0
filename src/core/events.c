/* The request event stream: views, starting points, reads and retention (core/events.h). */
#include "core/events.h"

#include "core_int.h"

#include <string.h>

#include "util/banned.h"

#define DEFAULT_RETENTION_SECONDS (7 * 86400)
#define DEFAULT_RETENTION_COUNT 100000

void core_set_events_hook(struct core *c, core_events_fn *fn, void *ctx)
{
    pthread_rwlock_wrlock(&c->hooks_lock);
    c->on_events = fn;
    c->on_events_ctx = ctx;
    pthread_rwlock_unlock(&c->hooks_lock);
}

void core_events_wake(struct core *c)
{
    pthread_rwlock_rdlock(&c->hooks_lock);
    if (c->on_events)
        c->on_events(c->on_events_ctx);
    pthread_rwlock_unlock(&c->hooks_lock);
}

int core_events_view(const struct principal *actor, struct event_view *out)
{
    memset(out, 0, sizeof(*out));
    if (principal_is_provider(actor)) {
        if (!core_is_provider_staff(actor) && !principal_has_provider_role(actor, PROV_ENFORCER))
            return LB_EFORBIDDEN;
        out->all = true;
        return 0;
    }
    if (strlen(actor->tenant_id) >= sizeof(out->tenant_id))
        return LB_EFORBIDDEN;
    memcpy(out->tenant_id, actor->tenant_id, strlen(actor->tenant_id) + 1);
    return 0;
}

int core_events_start(struct core *c, bool has_last_id, int64_t last_id, int64_t *after,
                      bool *reset)
{
    int64_t pruned_through = 0, last = 0;
    int rc = store_event_bounds(c->store, &pruned_through, &last);

    *after = last;
    *reset = false;
    if (rc || !has_last_id)
        return rc;
    if (last_id < pruned_through || last_id > last || last_id < 0)
        *reset = true;
    else
        *after = last_id;
    return 0;
}

int core_events_read(struct core *c, const struct event_view *v, int64_t after, size_t limit,
                     struct request_event_list *out, int64_t *through, bool *gap)
{
    struct request_event_filter f = {
        .after_seq = after, .tenant_id = v->all ? NULL : v->tenant_id, .limit = limit};
    int64_t pruned_through = 0, last = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    *through = after;
    *gap = false;
    /* the newest first: every event up to it has committed (seq follows commit order), so a
     * short read has seen all of them */
    if ((rc = store_event_bounds(c->store, &pruned_through, &last)) != 0)
        return rc;
    f.through_seq = last;
    if (last <= after)
        return 0;
    if ((rc = store_event_list(c->store, &f, out)) != 0)
        return rc;
    /* the prune mark after the read: had any event after `after` gone before the read, the
     * mark now says so (it only grows, with the delete it belongs to) */
    if ((rc = store_event_bounds(c->store, &pruned_through, &last)) != 0) {
        request_event_list_clear(out);
        return rc;
    }
    if (pruned_through > after) {
        request_event_list_clear(out);
        *gap = true;
        return 0;
    }
    *through = out->count < limit ? f.through_seq : out->items[out->count - 1].seq;
    return 0;
}

int core_events_prune(struct core *c, int64_t *deleted)
{
    int64_t seconds = c->cfg.events_retention_seconds > 0 ? c->cfg.events_retention_seconds
                                                          : DEFAULT_RETENTION_SECONDS;
    int64_t count =
        c->cfg.events_retention_count > 0 ? c->cfg.events_retention_count : DEFAULT_RETENTION_COUNT;

    return store_event_prune(c->store, clock_now(&c->clock) - seconds, count, deleted);
}
