/* Sessions: login, bearer-token authentication and the in-memory session cache. */
#include "core/ids.h"
#include "core_int.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

#define SESSION_CACHE_BUCKETS 4096
#define SESSION_CACHE_MAX 100000

struct cached_session {
    struct cached_session *next;
    char token_hash[TOKEN_HASH_LEN];
    char *user_id, *username, *tenant_id; /* (owned) */
    bool mfa, isolated_identity;
    unsigned provider_roles;
    int64_t expires_at;
};

struct session_cache {
    pthread_rwlock_t lock;
    struct cached_session *buckets[SESSION_CACHE_BUCKETS];
    size_t count;
};

struct session_cache *session_cache_new(void)
{
    struct session_cache *sc = lb_calloc(1, sizeof(*sc));

    if (sc)
        pthread_rwlock_init(&sc->lock, NULL);
    return sc;
}

static void cached_free(struct cached_session *cs)
{
    lb_free(cs->user_id);
    lb_free(cs->username);
    lb_free(cs->tenant_id);
    lb_free(cs);
}

void session_cache_free(struct session_cache *sc)
{
    if (!sc)
        return;
    for (size_t i = 0; i < SESSION_CACHE_BUCKETS; i++) {
        struct cached_session *cs = sc->buckets[i], *next;
        for (; cs; cs = next) {
            next = cs->next;
            cached_free(cs);
        }
    }
    pthread_rwlock_destroy(&sc->lock);
    lb_free(sc);
}

/* The hash is already uniformly random hex: its first bytes pick the bucket. */
static size_t bucket_of(const char *hash)
{
    size_t b = 0;

    for (int i = 0; i < 6; i++)
        b = b * 16 + (size_t)(hash[i] <= '9' ? hash[i] - '0' : hash[i] - 'a' + 10);
    return b % SESSION_CACHE_BUCKETS;
}

static int principal_fill(struct principal *p, const struct cached_session *cs)
{
    memset(p, 0, sizeof(*p));
    p->user_id = lb_strdup(cs->user_id);
    p->username = lb_strdup(cs->username);
    p->tenant_id = cs->tenant_id ? lb_strdup(cs->tenant_id) : NULL;
    p->mfa = cs->mfa;
    p->isolated_identity = cs->isolated_identity;
    p->provider_roles = cs->provider_roles;
    if (!p->user_id || !p->username || (cs->tenant_id && !p->tenant_id)) {
        principal_clear(p);
        return LB_ENOMEM;
    }
    return 0;
}

static bool cache_lookup(struct session_cache *sc, const char *hash, int64_t now,
                         struct principal *p, int *rc)
{
    bool hit = false;

    pthread_rwlock_rdlock(&sc->lock);
    for (struct cached_session *cs = sc->buckets[bucket_of(hash)]; cs; cs = cs->next) {
        if (strcmp(cs->token_hash, hash) != 0)
            continue;
        hit = true;
        *rc = cs->expires_at <= now ? LB_EUNAUTH : principal_fill(p, cs);
        break;
    }
    pthread_rwlock_unlock(&sc->lock);
    return hit;
}

/* Remembers a session; a full cache simply stops remembering (the store still answers). */
static void cache_insert(struct session_cache *sc, const char *hash, const struct principal *p,
                         int64_t expires_at)
{
    struct cached_session *cs = lb_calloc(1, sizeof(*cs));
    size_t b = bucket_of(hash);
    bool cached = false;

    if (!cs)
        return;
    memcpy(cs->token_hash, hash, TOKEN_HASH_LEN);
    cs->user_id = lb_strdup(p->user_id);
    cs->username = lb_strdup(p->username);
    cs->tenant_id = p->tenant_id ? lb_strdup(p->tenant_id) : NULL;
    cs->mfa = p->mfa;
    cs->isolated_identity = p->isolated_identity;
    cs->provider_roles = p->provider_roles;
    cs->expires_at = expires_at;
    if (!cs->user_id || !cs->username || (p->tenant_id && !cs->tenant_id)) {
        cached_free(cs);
        return;
    }
    pthread_rwlock_wrlock(&sc->lock);
    for (struct cached_session *old = sc->buckets[b]; old && !cached; old = old->next)
        cached = strcmp(old->token_hash, hash) == 0; /* (or ended by a logout): keep that one */
    if (!cached && sc->count < SESSION_CACHE_MAX) {
        cs->next = sc->buckets[b];
        sc->buckets[b] = cs;
        sc->count++;
        cs = NULL;
    }
    pthread_rwlock_unlock(&sc->lock);
    if (cs)
        cached_free(cs);
}

/* Builds the principal of user u (provider role bits from the store). */
static int principal_from_user(struct core *c, const struct user *u, bool mfa, struct principal *p)
{
    struct role_list roles = {0};
    int rc;

    memset(p, 0, sizeof(*p));
    rc = c->store->ops->role_list_for_user(c->store, u->id, &roles);
    if (rc)
        return rc;
    p->user_id = lb_strdup(u->id);
    p->username = lb_strdup(u->username);
    p->tenant_id = u->tenant_id ? lb_strdup(u->tenant_id) : NULL;
    p->mfa = mfa;
    p->isolated_identity = u->isolated_identity;
    if (!p->user_id || !p->username || (u->tenant_id && !p->tenant_id)) {
        role_list_clear(&roles);
        principal_clear(p);
        return LB_ENOMEM;
    }
    if (u->tenant_id) {
        p->tenant_roles = roles;
        return 0;
    }
    for (size_t i = 0; i < roles.count; i++)
        p->provider_roles |= provider_role_parse(roles.items[i].role);
    role_list_clear(&roles);
    return 0;
}

/* Tenant roles change at any time: they are read for every call, never cached. */
static int load_tenant_roles(struct core *c, struct principal *p)
{
    if (!p->tenant_id)
        return 0;
    role_list_clear(&p->tenant_roles);
    return c->store->ops->role_list_for_user(c->store, p->user_id, &p->tenant_roles);
}

/* Marks a cached session ended at now, or leaves an ended entry (a tombstone) when it was not
 * cached, so a lookup that raced the logout cannot cache the session as still alive. */
static void cache_expire(struct session_cache *sc, const char *hash, int64_t now)
{
    struct cached_session *cs, *tomb = lb_calloc(1, sizeof(*tomb));
    size_t b = bucket_of(hash);
    bool found = false;

    pthread_rwlock_wrlock(&sc->lock);
    for (cs = sc->buckets[b]; cs; cs = cs->next)
        if (strcmp(cs->token_hash, hash) == 0) {
            found = true;
            if (cs->expires_at > now)
                cs->expires_at = now;
        }
    if (!found && tomb) {
        memcpy(tomb->token_hash, hash, TOKEN_HASH_LEN);
        tomb->expires_at = now;
        tomb->next = sc->buckets[b];
        sc->buckets[b] = tomb;
        sc->count++;
        tomb = NULL;
    }
    pthread_rwlock_unlock(&sc->lock);
    lb_free(tomb);
}

int core_logout(struct core *c, const struct principal *actor, const char *token)
{
    char hash[TOKEN_HASH_LEN];
    int64_t now = clock_now(&c->clock);
    struct audit_entry e;
    int rc;

    token_hash(token, hash);
    if ((rc = core_tx_begin(c)) != 0)
        return rc;
    rc = c->store->ops->session_expire(c->store, hash, now);
    if (rc == LB_ENOTFOUND)
        rc = LB_EUNAUTH;
    if (rc == 0) {
        e = core_audit_entry(c, actor, "auth.logout", actor->tenant_id, actor->user_id);
        rc = audit_append(c->store, &e, NULL);
    }
    rc = core_tx_end(c, rc);
    cache_expire(c->sessions, hash, now); /* even on failure: a logout never leaves it cached */
    return rc;
}

void core_csrf_token(struct core *c, const char *token, char out[CSRF_TOKEN_LEN])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];

    crypto_auth_hmacsha256_init(&st, c->page_key, sizeof(c->page_key));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)"csrf:", 5);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)token, strlen(token));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, CSRF_TOKEN_LEN, mac, sizeof(mac));
    sodium_memzero(&st, sizeof(st));
}

bool core_csrf_check(struct core *c, const char *token, const char *given)
{
    char want[CSRF_TOKEN_LEN];
    bool ok;

    if (!given || strlen(given) != CSRF_TOKEN_LEN - 1)
        return false;
    core_csrf_token(c, token, want);
    ok = sodium_memcmp(want, given, CSRF_TOKEN_LEN - 1) == 0;
    sodium_memzero(want, sizeof(want));
    return ok;
}

int core_authenticate(struct core *c, const char *token, struct principal *out)
{
    char hash[TOKEN_HASH_LEN];
    struct session s = {0};
    struct user u = {0};
    int64_t now = clock_now(&c->clock);
    int rc = 0;

    if (strlen(token) != TOKEN_LEN - 1 || strncmp(token, "lbx_", 4) != 0)
        return LB_EUNAUTH;
    token_hash(token, hash);
    if (cache_lookup(c->sessions, hash, now, out, &rc)) {
        if (rc == 0 && (rc = load_tenant_roles(c, out)) != 0)
            principal_clear(out);
        return rc;
    }
    rc = c->store->ops->session_get(c->store, hash, &s);
    if (rc == LB_ENOTFOUND || (rc == 0 && s.expires_at <= now)) {
        rc = LB_EUNAUTH;
        goto out;
    }
    if (rc || (rc = c->store->ops->user_get(c->store, s.user_id, &u)) != 0)
        goto out;
    if ((rc = principal_from_user(c, &u, s.mfa, out)) != 0)
        goto out;
    cache_insert(c->sessions, hash, out, s.expires_at);
out:
    session_clear(&s);
    user_clear(&u);
    return rc;
}

static int login_failed(struct core *c, const char *username, const struct user *u,
                        const char *client_ip, const char *why, struct buf *err)
{
    struct audit_entry e =
        core_audit_entry(c, NULL, "auth.login_failed", u->id ? u->tenant_id : NULL, u->id);
    const struct audit_field f[] = {AF_STR("username", username), AF_STR("reason", why)};
    int rc;

    e.actor = username;
    e.actor_id = u->id;
    e.actor_type = u->id ? (u->tenant_id ? "customer" : "provider") : "provider";
    e.client_ip = client_ip;
    e.fields = f;
    e.field_count = 2;
    rc = audit_append(c->store, &e, NULL);
    if (rc)
        return rc;
    return core_fail(err, LB_EUNAUTH, "wrong username, password or TOTP code");
}

int core_login(struct core *c, const char *username, const char *password, const char *totp_code,
               const char *client_ip, char token[TOKEN_LEN], int64_t *expires_at,
               struct principal *out, struct buf *err)
{
    struct user u = {0};
    char hash[TOKEN_HASH_LEN];
    int64_t now = clock_now(&c->clock), step = 0;
    bool mfa = false;
    int rc;

    rc = c->store->ops->user_get_by_username(c->store, username, &u);
    if (rc && rc != LB_ENOTFOUND)
        return rc;
    bool known = rc == 0 && u.password_hash;
    if (!(known ? password_verify(u.password_hash, password) : password_verify_none(password))) {
        rc = login_failed(c, username, &u, client_ip, "bad password", err);
        goto out;
    }
    if (u.totp_secret) {
        if (!totp_code || totp_check(u.totp_secret, totp_code, now, &step) != 0 ||
            step <= u.totp_last_step) {
            rc = login_failed(c, username, &u, client_ip,
                              totp_code ? "bad TOTP code" : "TOTP code missing", err);
            goto out;
        }
        mfa = true;
    }
    token_new(token, hash);
    *expires_at = now + c->cfg.session_ttl_seconds;
    struct session s = {.token_hash = hash,
                        .user_id = u.id,
                        .mfa = mfa,
                        .created_at = now,
                        .expires_at = *expires_at};
    struct audit_entry e = core_audit_entry(c, NULL, "auth.login", u.tenant_id, u.id);
    const struct audit_field f[] = {AF_BOOL("mfa", mfa)};
    e.actor = u.username;
    e.actor_id = u.id;
    e.actor_type = u.tenant_id ? "customer" : "provider";
    e.client_ip = client_ip;
    e.fields = f;
    e.field_count = 1;
    if ((rc = core_tx_begin(c)) != 0)
        goto out;
    /* the step update refuses a code already used, even by a concurrent login */
    if (mfa)
        rc = c->store->ops->user_set_totp_step(c->store, u.id, step);
    if (!rc)
        rc = c->store->ops->session_insert(c->store, &s);
    if (!rc)
        rc = audit_append(c->store, &e, NULL);
    rc = core_tx_end(c, rc);
    if (rc == LB_ECONFLICT) {
        rc = login_failed(c, username, &u, client_ip, "TOTP code replayed", err);
        goto out;
    }
    if (rc == 0 && (rc = principal_from_user(c, &u, mfa, out)) == 0)
        out->client_ip = client_ip;
out:
    if (rc)
        sodium_memzero(token, TOKEN_LEN);
    user_clear(&u);
    return rc;
}
