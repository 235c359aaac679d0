/* Sessions: login, bearer-token authentication and the in-memory session cache. */
#include "core/ids.h"
#include "core_int.h"
#include "util/mem.h"
#include "util/timeutil.h"

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
    rc = store_role_list_for_user(c->store, u->id, &roles);
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
    return store_role_list_for_user(c->store, p->user_id, &p->tenant_roles);
}

/* An ended entry (a tombstone) stays for a session that was not cached, so a lookup that raced
 * the logout cannot cache it as still alive. */
void session_cache_expire(struct session_cache *sc, const char *hash, int64_t now)
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

void session_cache_drop_live(struct session_cache *sc, int64_t now)
{
    pthread_rwlock_wrlock(&sc->lock);
    for (size_t i = 0; i < SESSION_CACHE_BUCKETS; i++) {
        struct cached_session **pp = &sc->buckets[i];
        while (*pp) {
            struct cached_session *cs = *pp;
            if (cs->expires_at > now) {
                *pp = cs->next;
                cached_free(cs);
                sc->count--;
                continue;
            }
            pp = &cs->next;
        }
    }
    pthread_rwlock_unlock(&sc->lock);
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
    rc = store_session_expire(c->store, hash, now);
    if (rc == LB_ENOTFOUND)
        rc = LB_EUNAUTH;
    if (rc == 0)
        rc = core_publish(c, STORE_CHANGE_SESSION, hash);
    if (rc == 0) {
        e = core_audit_entry(c, actor, "auth.logout", actor->tenant_id, actor->user_id);
        rc = audit_append(c->store, &e, NULL);
    }
    rc = core_tx_end(c, rc);
    /* even on failure: a logout never leaves it cached */
    session_cache_expire(c->sessions, hash, now);
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
    rc = store_session_get(c->store, hash, &s);
    if (rc == LB_ENOTFOUND || (rc == 0 && s.expires_at <= now)) {
        rc = LB_EUNAUTH;
        goto out;
    }
    if (rc || (rc = store_user_get(c->store, s.user_id, &u)) != 0)
        goto out;
    if ((rc = principal_from_user(c, &u, s.mfa, out)) != 0)
        goto out;
    cache_insert(c->sessions, hash, out, s.expires_at);
out:
    session_clear(&s);
    user_clear(&u);
    return rc;
}

/* ---- login and its throttle ---- */

static int throttled(int64_t wait, int64_t *retry_after, struct buf *err)
{
    *retry_after = wait;
    /* the same words for every username, known or not */
    return core_fail(err, LB_ERATELIMIT, "too many failed logins: try again in %lld s",
                     (long long)wait);
}

/* Reads the failed-login records of username and address (zeroed ones named so when the
 * store has none) inside the caller's transaction. */
static int throttle_read(struct core *c, enum throttle_kind kind, const char *name,
                         struct login_throttle *out)
{
    int rc = store_login_throttle_get(c->store, kind, name, out);

    if (rc != LB_ENOTFOUND)
        return rc;
    memset(out, 0, sizeof(*out));
    out->kind = kind;
    out->name = lb_strdup(name);
    return out->name ? 0 : LB_ENOMEM;
}

/* What a login must wait at now by the store's records (read into tu and ta). */
static int throttle_check(struct core *c, const char *username, const char *address,
                          struct login_throttle *tu, struct login_throttle *ta, int64_t now,
                          int64_t *wait)
{
    const struct login_limits *l = &c->cfg.login;
    int64_t wu, wa;
    int rc = throttle_read(c, THROTTLE_USERNAME, username, tu);

    if (rc == 0)
        rc = throttle_read(c, THROTTLE_ADDRESS, address, ta);
    if (rc)
        return rc;
    wu = throttle_wait(l, tu, now);
    wa = throttle_wait(l, ta, now);
    *wait = wu > wa ? wu : wa;
    return 0;
}

/* The audit entry of a login attempt for username (u: the user, zeroed when unknown). */
static struct audit_entry login_entry(struct core *c, const char *activity, const char *username,
                                      const struct user *u, const char *client_ip)
{
    struct audit_entry e = core_audit_entry(c, NULL, activity, u->id ? u->tenant_id : NULL, u->id);

    e.actor = username;
    e.actor_id = u->id;
    e.actor_type = u->id && u->tenant_id ? "customer" : "provider";
    e.client_ip = client_ip;
    return e;
}

/* What a failed login is told: one message whatever was wrong, so that it never says which of
 * username, password and code failed. */
#define LOGIN_FAILED_MSG "wrong username, password or TOTP code"
/* What a login with the right username and password and a code already used is told: only the
 * owner of both can see it, and it spares them guessing at a typo while the code is fine. */
#define LOGIN_REPLAYED_MSG "this code was already used; wait for the next one"

/* Counts and audits a failed login in one transaction (and, when it locks the username, the
 * lockout), then answers LB_EUNAUTH with the message msg; or LB_ERATELIMIT when the store shows
 * the login had to wait after all (another lockboxd, or a concurrent login, counted a failure
 * first). */
static int login_failed(struct core *c, const char *username, const struct user *u,
                        const char *client_ip, const char *address, const char *why,
                        const char *msg, int64_t *retry_after, struct buf *err)
{
    const struct login_limits *l = &c->cfg.login;
    /* the failure counts from when it is answered, after the password's hashing */
    int64_t now = clock_now(&c->clock);
    struct login_throttle tu = {0}, ta = {0};
    char until[TIME_RFC3339_LEN];
    int64_t wait = 0;
    bool locked = false;
    int rc;

    if ((rc = core_tx_begin(c)) != 0)
        return rc;
    rc = throttle_check(c, username, address, &tu, &ta, now, &wait);
    if (rc == 0 && wait > 0)
        rc = LB_ERATELIMIT;
    if (rc == 0) {
        locked = throttle_fail(l, &tu, now);
        (void)throttle_fail(l, &ta, now);
        rc = store_login_throttle_put(c->store, &tu);
    }
    if (rc == 0)
        rc = store_login_throttle_put(c->store, &ta);
    if (rc == 0)
        rc = core_throttle_publish(c, THROTTLE_USERNAME, username);
    if (rc == 0)
        rc = core_throttle_publish(c, THROTTLE_ADDRESS, address);
    if (rc == 0) {
        struct audit_entry e = login_entry(c, "auth.login_failed", username, u, client_ip);
        const struct audit_field f[] = {AF_STR("username", username), AF_STR("reason", why)};
        e.fields = f;
        e.field_count = 2;
        rc = audit_append(c->store, &e, NULL);
    }
    if (rc == 0 && locked) {
        struct audit_entry e = login_entry(c, "auth.lockout", username, u, client_ip);
        time_format_rfc3339(tu.locked_until, until);
        const struct audit_field f[] = {AF_STR("username", username), AF_STR("locked_until", until),
                                        AF_INT("failures", l->max_failures),
                                        AF_INT("lockout_seconds", l->lockout_seconds)};
        e.fields = f;
        e.field_count = 4;
        rc = audit_append(c->store, &e, NULL);
    }
    rc = core_tx_end(c, rc);
    if (rc == 0 || rc == LB_ERATELIMIT) {
        /* memory follows what the store holds */
        throttle_table_set(c->throttle, l, &tu, now);
        throttle_table_set(c->throttle, l, &ta, now);
    }
    login_throttle_clear(&tu);
    login_throttle_clear(&ta);
    if (rc == LB_ERATELIMIT)
        return throttled(wait, retry_after, err);
    if (rc)
        return rc;
    return core_fail(err, LB_EUNAUTH, "%s", msg);
}

int core_login(struct core *c, const char *username, const char *password, const char *totp_code,
               const char *client_ip, char token[TOKEN_LEN], int64_t *expires_at,
               struct principal *out, int64_t *retry_after, struct buf *err)
{
    const struct login_limits *l = &c->cfg.login;
    struct login_throttle tu = {0}, ta = {0};
    struct user u = {0};
    char hash[TOKEN_HASH_LEN], address[THROTTLE_ADDRESS_LEN];
    int64_t now = clock_now(&c->clock), step = 0, wait;
    bool mfa = false;
    int rc;

    *retry_after = 0;
    throttle_address_key(client_ip ? client_ip : "unknown", address);
    /* a login that must wait costs no hashing and no I/O, and says nothing of the password */
    if ((wait = throttle_table_wait(c->throttle, l, username, address, now)) > 0)
        return throttled(wait, retry_after, err);
    rc = store_user_get_by_username(c->store, username, &u);
    if (rc && rc != LB_ENOTFOUND)
        return rc;
    bool known = rc == 0 && u.password_hash;
    if (!(known ? password_verify(u.password_hash, password) : password_verify_none(password))) {
        rc = login_failed(c, username, &u, client_ip, address, "bad password", LOGIN_FAILED_MSG,
                          retry_after, err);
        goto out;
    }
    if (u.totp_secret) {
        bool valid = totp_code && totp_check(u.totp_secret, totp_code, now, &step) == 0;
        if (!valid || step <= u.totp_last_step) {
            /* a valid code already used (or older) is a replay, as the store's refusal below */
            const char *why = !totp_code ? "TOTP code missing"
                              : valid    ? "TOTP code replayed"
                                         : "bad TOTP code";
            rc = login_failed(c, username, &u, client_ip, address, why,
                              valid ? LOGIN_REPLAYED_MSG : LOGIN_FAILED_MSG, retry_after, err);
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
    struct audit_entry e = login_entry(c, "auth.login", u.username, &u, client_ip);
    const struct audit_field f[] = {AF_BOOL("mfa", mfa)};
    e.fields = f;
    e.field_count = 1;
    if ((rc = core_tx_begin(c)) != 0)
        goto out;
    /* the store has the last word on a lock, whatever this process's memory holds */
    rc = throttle_check(c, username, address, &tu, &ta, now, &wait);
    if (rc == 0 && wait > 0)
        rc = LB_ERATELIMIT;
    /* a good login forgets the username's failures (not the address's) */
    if (rc == 0 && tu.last_failure_at &&
        (rc = store_login_throttle_delete(c->store, THROTTLE_USERNAME, username)) == 0)
        rc = core_throttle_publish(c, THROTTLE_USERNAME, username);
    /* the step update refuses a code already used, even by a concurrent login */
    if (rc == 0 && mfa)
        rc = store_user_set_totp_step(c->store, u.id, step);
    if (!rc)
        rc = store_session_insert(c->store, &s);
    if (!rc)
        rc = audit_append(c->store, &e, NULL);
    rc = core_tx_end(c, rc);
    if (rc == LB_ERATELIMIT) {
        throttle_table_set(c->throttle, l, &tu, now);
        throttle_table_set(c->throttle, l, &ta, now);
        rc = throttled(wait, retry_after, err);
        goto out;
    }
    if (rc == LB_ECONFLICT) {
        rc = login_failed(c, username, &u, client_ip, address, "TOTP code replayed",
                          LOGIN_REPLAYED_MSG, retry_after, err);
        goto out;
    }
    if (rc == 0) {
        throttle_table_forget(c->throttle, THROTTLE_USERNAME, username);
        if ((rc = principal_from_user(c, &u, mfa, out)) == 0)
            out->client_ip = client_ip;
    }
out:
    if (rc)
        sodium_memzero(token, TOKEN_LEN);
    login_throttle_clear(&tu);
    login_throttle_clear(&ta);
    user_clear(&u);
    return rc;
}
