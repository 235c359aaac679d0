/*
 * What a lockboxd keeps in memory, kept true when other lockboxd share its store: every
 * transaction that changes it publishes the change (core_publish), and the store's listener
 * hands this node the changes the others committed (on_change), which it reads again from
 * the store. A resync reads everything again: after a lost connection, and periodically, so
 * that a lost notification cannot leave a grant alive for long.
 *
 * Ordering: a node applies its own commits from what it wrote (no extra read), and others'
 * from a read made later, on the listener's thread, so the two may cross. A grant that ended
 * never comes back (grants.h keeps the ended ones out), and the owners index is only ever set
 * from a read made under sync_lock, so whoever sets it last read the newest. A rebuild of the
 * grants holds sync_lock from its read to its swap, so a commit applied meanwhile is applied
 * after it and not lost with the old index.
 *
 * A node that cannot hear the others (its listening connection broke: the database is away,
 * or this node is cut off from it while others are not) may miss a revoke made elsewhere: for
 * a grace of one resync period its doors go on answering from memory (a database restart
 * costs the operators nothing), then they refuse (LB_EUNAVAIL) until a resync succeeds.
 */
#include "core/ids.h"
#include "core_int.h"
#include "util/log.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

int core_publish(struct core *c, enum store_change kind, const char *key)
{
    return store_change_publish(c->store, kind, key);
}

int core_throttle_publish(struct core *c, enum throttle_kind kind, const char *name)
{
    struct buf key = BUF_INIT;
    int rc;

    buf_appendf(&key, "%d:%s", kind == THROTTLE_ADDRESS ? 1 : 0, name);
    rc = buf_ok(&key) ? core_publish(c, STORE_CHANGE_THROTTLE, buf_cstr(&key)) : LB_ENOMEM;
    buf_release(&key);
    return rc;
}

int core_grant_apply(struct core *c, const struct request *r)
{
    int rc = 0;

    pthread_mutex_lock(&c->sync_lock);
    if (r->status == REQ_APPROVED)
        rc = grants_add(c->grants, r);
    else
        grants_remove(c->grants, r, clock_now(&c->clock));
    pthread_mutex_unlock(&c->sync_lock);
    return rc;
}

static int set_scopes(struct core *c, const struct tenant *t)
{
    return owners_set(c->owners, t->id, t->resource_scopes, t->resource_scope_count);
}

int core_owners_reload(struct core *c, const char *tenant_id)
{
    struct tenant *all = NULL;
    size_t n = 0;
    int rc;

    pthread_mutex_lock(&c->sync_lock);
    rc = store_tenant_list(c->store, tenant_id, &all, &n);
    for (size_t i = 0; i < n; i++) {
        if (!rc)
            rc = set_scopes(c, &all[i]);
        tenant_clear(&all[i]);
    }
    pthread_mutex_unlock(&c->sync_lock);
    lb_free(all);
    return rc;
}

int core_throttle_reload(struct core *c)
{
    const struct login_limits *l = &c->cfg.login;
    struct login_throttle_list list = {0};
    int64_t now = clock_now(&c->clock);
    int rc = store_login_throttle_list(c->store, -1, now, now - l->lockout_seconds, &list);

    if (rc == 0)
        rc = throttle_table_replace(c->throttle, l, list.items, list.count, now);
    login_throttle_list_clear(&list);
    return rc;
}

static int add_grant(void *ctx, const struct request *req)
{
    return grants_add(ctx, req);
}

int core_grants_rebuild(struct core *c)
{
    struct grants *fresh = grants_new_like(c->grants);
    int rc = fresh ? 0 : LB_ENOMEM;

    pthread_mutex_lock(&c->sync_lock);
    if (rc == 0)
        rc = store_request_each_approved(c->store, add_grant, fresh);
    if (rc == 0)
        grants_replace(c->grants, fresh, clock_now(&c->clock));
    pthread_mutex_unlock(&c->sync_lock);
    grants_free(fresh);
    return rc;
}

/* Another node began or ended the grant of request id. Deadlines and deliveries are that
 * node's to keep (a resync hands this node's scheduler the next deadline, should it die);
 * the event hub hears of the events. */
static int grant_changed(struct core *c, const char *id)
{
    struct request r = {0};
    int rc = store_request_get(c->store, id, &r);

    if (rc == 0 && (r.status == REQ_APPROVED || r.grant_starts_at))
        rc = core_grant_apply(c, &r);
    request_clear(&r);
    core_events_wake(c);
    return rc;
}

/* key is "0:" and a username or "1:" and an address key (throttle.h). */
static int throttle_changed(struct core *c, const char *key)
{
    struct login_throttle t = {0};
    enum throttle_kind kind = key[0] == '1' ? THROTTLE_ADDRESS : THROTTLE_USERNAME;
    int64_t now = clock_now(&c->clock);
    int rc;

    if ((key[0] != '0' && key[0] != '1') || key[1] != ':')
        return LB_EINVAL;
    rc = store_login_throttle_get(c->store, kind, key + 2, &t);
    if (rc == 0)
        throttle_table_set(c->throttle, &c->cfg.login, &t, now);
    else if (rc == LB_ENOTFOUND)
        throttle_table_forget(c->throttle, kind, key + 2);
    login_throttle_clear(&t);
    return rc == LB_ENOTFOUND ? 0 : rc;
}

/* Reads everything kept in memory again; the first failure is answered, the rest still run. */
static int resync(struct core *c)
{
    int64_t next = 0;
    int rc = core_grants_rebuild(c), r;

    if ((r = core_owners_reload(c, NULL)) != 0 && rc == 0)
        rc = r;
    if ((r = core_throttle_reload(c)) != 0 && rc == 0)
        rc = r;
    session_cache_drop_live(c->sessions, clock_now(&c->clock));
    core_hooks_forget(c, NULL, true);
    if ((r = store_request_next_deadline(c->store, &next)) != 0 && rc == 0)
        rc = r;
    core_deadline_set(c, next);
    core_outbox_wake(c);
    core_events_wake(c);
    return rc;
}

bool core_changes_deaf(struct core *c, int64_t now)
{
    long long since = atomic_load(&c->deaf_since);

    return since != 0 && now - since >= c->deaf_grace_seconds;
}

bool core_changes_deaf_now(struct core *c)
{
    return core_changes_deaf(c, clock_now(&c->clock));
}

static void on_change(void *ctx, enum store_change kind, const char *key)
{
    struct core *c = ctx;
    long long hearing = 0;
    int rc = 0;

    switch (kind) {
    case STORE_CHANGE_LOST:
        (void)atomic_compare_exchange_strong(&c->deaf_since, &hearing,
                                             (long long)clock_now(&c->clock));
        break;
    case STORE_CHANGE_RESYNC:
        /* memory is as true as the store once everything is read again */
        if ((rc = resync(c)) == 0)
            atomic_store(&c->deaf_since, 0);
        break;
    case STORE_CHANGE_REQUEST:
        core_events_wake(c); /* its events: the rest of what this node holds is unchanged */
        break;
    case STORE_CHANGE_GRANT:
        rc = id_is_valid(key) ? grant_changed(c, key) : LB_EINVAL;
        break;
    case STORE_CHANGE_TENANT:
        rc = id_is_valid(key) ? core_owners_reload(c, key) : LB_EINVAL;
        break;
    case STORE_CHANGE_SESSION:
        if (strlen(key) == TOKEN_HASH_LEN - 1)
            session_cache_expire(c->sessions, key, clock_now(&c->clock));
        else
            rc = LB_EINVAL;
        break;
    case STORE_CHANGE_THROTTLE:
        rc = throttle_changed(c, key);
        break;
    case STORE_CHANGE_WEBHOOK:
        if (*key && !id_is_valid(key))
            rc = LB_EINVAL;
        else
            core_hooks_forget(c, *key ? key : NULL, false);
        break;
    }
    /* what could not be read now is read by the next resync */
    if (rc)
        log_warn("store: cannot apply another node's change kind=%d error=%s", (int)kind,
                 lb_strerror(rc));
}

int core_changes_start(struct core *c, int64_t resync_ms)
{
    c->deaf_grace_seconds = (resync_ms + 999) / 1000;
    return store_changes_listen(c->store, on_change, c, resync_ms);
}

void core_changes_stop(struct core *c)
{
    store_changes_stop(c->store);
}
