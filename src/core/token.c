/* API tokens: long-lived bearer tokens of service accounts (enforcers and auditors), which a
 * door's host keeps in a file instead of logging in every session_ttl_seconds. A token is a
 * session with an id and a name, so authentication, the session cache and logout treat it as
 * any other; only its lifetime and its revocation by id are its own. */
#include "core/ids.h"
#include "core_int.h"
#include "util/mem.h"
#include "util/timeutil.h"

#include <sodium.h>
#include <string.h>

#include "util/banned.h"

#define SERVICE_ROLES (PROV_ENFORCER | PROV_AUDITOR)

static bool name_is_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;

    if (n == 0 || n > API_TOKEN_NAME_MAX)
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* The provider user user_id for a platform_admin, and whether they are a service account. */
static int load_holder(struct core *c, const struct principal *actor, const char *user_id,
                       struct user *u, bool *service, struct buf *err)
{
    struct role_list roles = {0};
    unsigned bits = 0;
    int rc;

    memset(u, 0, sizeof(*u));
    if (!principal_has_provider_role(actor, PROV_PLATFORM_ADMIN))
        return core_fail(err, LB_EFORBIDDEN, "only a platform_admin manages API tokens");
    if (!id_is_valid(user_id))
        return core_fail(err, LB_ENOTFOUND, "no such provider user");
    rc = store_user_get(c->store, user_id, u);
    if (rc == 0 && u->tenant_id)
        rc = LB_ENOTFOUND;
    if (rc == 0)
        rc = store_role_list_for_user(c->store, user_id, &roles);
    for (size_t i = 0; rc == 0 && i < roles.count; i++)
        bits |= provider_role_parse(roles.items[i].role);
    role_list_clear(&roles);
    *service = bits && (bits & ~SERVICE_ROLES) == 0;
    if (rc)
        user_clear(u);
    return rc == LB_ENOTFOUND ? core_fail(err, rc, "no such provider user") : rc;
}

static int audit_token(struct core *c, const struct principal *actor, const char *activity,
                       const struct user *u, const struct session *t)
{
    struct audit_entry e = core_audit_entry(c, actor, activity, NULL, u->id);
    char ends[TIME_RFC3339_LEN];

    time_format_rfc3339(t->expires_at, ends);
    const struct audit_field f[] = {AF_STR("token_id", t->token_id), AF_STR("name", t->name),
                                    AF_STR("username", u->username), AF_STR("expires_at", ends)};
    e.fields = f;
    e.field_count = 4;
    return audit_append(c->store, &e, NULL);
}

/* The record of a new token of u (token_id and name owned by out). */
static int token_record(struct core *c, const struct user *u, const char *name, int64_t expires_in,
                        const char *hash, struct session *out)
{
    char id[ID_LEN];
    int64_t now = clock_now(&c->clock);

    id_new(id);
    memset(out, 0, sizeof(*out));
    out->token_hash = lb_strdup(hash);
    out->user_id = lb_strdup(u->id);
    out->token_id = lb_strdup(id);
    out->name = lb_strdup(name);
    out->created_at = now;
    out->expires_at = now + (expires_in ? expires_in : c->cfg.api_token_ttl_seconds);
    if (!out->token_hash || !out->user_id || !out->token_id || !out->name) {
        session_clear(out);
        return LB_ENOMEM;
    }
    return 0;
}

int core_token_create(struct core *c, const struct principal *actor, const char *user_id,
                      const char *name, int64_t expires_in, char token[TOKEN_LEN],
                      struct session *out, struct buf *err)
{
    struct session_list held = {0};
    char hash[TOKEN_HASH_LEN];
    struct user u = {0};
    bool service = false;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = load_holder(c, actor, user_id, &u, &service, err)) != 0)
        return rc;
    if (!service) {
        rc = core_fail(err, LB_ECONFLICT,
                       "API tokens are for service accounts: provider users whose every role "
                       "is enforcer or auditor (people log in)");
        goto out;
    }
    if (!name_is_valid(name)) {
        rc = core_fail(err, LB_EINVAL, "name: want 1 to %d characters, no control characters",
                       API_TOKEN_NAME_MAX);
        goto out;
    }
    if (expires_in != 0 && (expires_in < 60 || expires_in > API_TOKEN_TTL_MAX)) {
        rc = core_fail(err, LB_EINVAL, "expires_in_seconds: want 60 to %lld",
                       (long long)API_TOKEN_TTL_MAX);
        goto out;
    }
    token_new(token, hash);
    if ((rc = token_record(c, &u, name, expires_in, hash, out)) != 0 ||
        (rc = core_tx_begin(c)) != 0)
        goto out;
    /* counted inside the write transaction, so two creations cannot both pass the bound */
    rc = store_token_list(c->store, u.id, &held);
    if (rc == 0 && held.count >= API_TOKENS_PER_USER)
        rc = core_fail(err, LB_ECONFLICT, "%s holds %d API tokens already: revoke one first",
                       u.username, API_TOKENS_PER_USER);
    if (rc == 0)
        rc = store_session_insert(c->store, out);
    if (rc == 0)
        rc = audit_token(c, actor, "token.create", &u, out);
    rc = core_tx_end(c, rc);
out:
    session_list_clear(&held);
    user_clear(&u);
    if (rc) {
        session_clear(out);
        sodium_memzero(token, TOKEN_LEN);
    }
    return rc;
}

int core_token_list(struct core *c, const struct principal *actor, const char *user_id,
                    struct session_list *out, struct buf *err)
{
    struct user u = {0};
    bool service = false;
    int rc = load_holder(c, actor, user_id, &u, &service, err);

    memset(out, 0, sizeof(*out));
    if (rc == 0)
        rc = store_token_list(c->store, user_id, out);
    user_clear(&u);
    return rc;
}

int core_token_revoke(struct core *c, const struct principal *actor, const char *user_id,
                      const char *token_id, struct buf *err)
{
    struct session t = {0};
    struct user u = {0};
    bool service = false;
    int rc = load_holder(c, actor, user_id, &u, &service, err);

    if (rc)
        return rc;
    if (!id_is_valid(token_id)) {
        rc = core_fail(err, LB_ENOTFOUND, "no such API token");
        goto out;
    }
    if ((rc = core_tx_begin(c)) != 0)
        goto out;
    rc = store_token_get(c->store, token_id, &t);
    if (rc == 0 && strcmp(t.user_id, user_id) != 0) /* user_id: u's, checked by load_holder */
        rc = LB_ENOTFOUND;
    if (rc == 0)
        rc = store_token_delete(c->store, token_id);
    if (rc == 0)
        rc = core_publish(c, STORE_CHANGE_SESSION, t.token_hash);
    if (rc == 0)
        rc = audit_token(c, actor, "token.revoke", &u, &t);
    rc = core_tx_end(c, rc);
    if (rc == 0)
        session_cache_expire(c->sessions, t.token_hash, clock_now(&c->clock));
    if (rc == LB_ENOTFOUND)
        rc = core_fail(err, rc, "no such API token");
out:
    session_clear(&t);
    user_clear(&u);
    return rc;
}
