#include "core/ids.h"
#include "core_int.h"
#include "util/mem.h"
#include "util/strv.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/banned.h"

int core_fail(struct buf *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err) {
        buf_reset(err);
        va_start(ap, fmt);
        buf_vappendf(err, fmt, ap);
        va_end(ap);
    }
    return code;
}

int core_tx_begin(struct core *c)
{
    return store_begin(c->store);
}

int core_tx_end(struct core *c, int rc)
{
    if (rc == 0)
        return store_commit(c->store);
    store_rollback(c->store);
    return rc;
}

void core_deadline_set(struct core *c, int64_t at)
{
    if (!at)
        return;
    pthread_rwlock_rdlock(&c->hooks_lock);
    if (c->on_deadline)
        c->on_deadline(c->on_deadline_ctx, at);
    pthread_rwlock_unlock(&c->hooks_lock);
}

struct audit_entry core_audit_entry(struct core *c, const struct principal *p, const char *activity,
                                    const char *tenant_id, const char *item)
{
    struct audit_entry e = {
        .time = clock_now(&c->clock),
        .tenant_id = tenant_id,
        .activity = activity,
        .item = item,
    };

    if (p) {
        e.actor = p->username;
        e.actor_id = p->user_id;
        e.actor_type = principal_is_provider(p) ? "provider" : "customer";
        e.client_ip = p->client_ip;
    } else {
        e.actor = "system";
        e.actor_type = "system";
    }
    return e;
}

bool core_is_provider_staff(const struct principal *p)
{
    return principal_has_provider_role(p, PROV_PLATFORM_ADMIN | PROV_SUPPORT_ENGINEER |
                                              PROV_INTERNAL_APPROVER | PROV_AUDITOR);
}

int core_tenant_load_visible(struct core *c, const struct principal *actor, const char *tenant_id,
                             struct tenant *out)
{
    if (!id_is_valid(tenant_id))
        return LB_ENOTFOUND;
    if (!principal_is_provider(actor) && strcmp(actor->tenant_id, tenant_id) != 0)
        return LB_ENOTFOUND;
    if (principal_is_provider(actor) && !core_is_provider_staff(actor))
        return LB_EFORBIDDEN;
    return store_tenant_get(c->store, tenant_id, out);
}

#define THROTTLE_TABLE_MAX 100000

/* Forgets what the store holds past its time; core_throttle_reload then caches the rest. */
static int throttle_load(struct core *c)
{
    int64_t now = clock_now(&c->clock);
    int rc = store_login_throttle_prune(c->store, now, now - c->cfg.login.lockout_seconds);

    return rc ? rc : core_throttle_reload(c);
}

static bool page_key_decode(struct core *c, const char *hex)
{
    size_t len = 0;
    int rc = sodium_hex2bin(c->page_key, sizeof(c->page_key), hex, strlen(hex), NULL, &len, NULL);

    return rc == 0 && len == sizeof(c->page_key);
}

/* The page-token key every lockboxd of a store shares: read, or made by the first to start
 * (inside a write transaction, so two starting at once on one database agree on one key). */
static int page_key_load(struct core *c)
{
    char *hex = NULL;
    int rc = store_begin(c->store);

    if (rc)
        return rc;
    rc = store_meta_get(c->store, "page_token_key", &hex);
    if (rc == LB_ENOTFOUND) {
        char fresh[2 * sizeof(c->page_key) + 1];
        randombytes_buf(c->page_key, sizeof(c->page_key));
        sodium_bin2hex(fresh, sizeof(fresh), c->page_key, sizeof(c->page_key));
        rc = store_meta_set(c->store, "page_token_key", fresh);
        sodium_memzero(fresh, sizeof(fresh));
    } else if (rc == 0 && !page_key_decode(c, hex)) {
        rc = LB_ESTORE;
    }
    if (rc == 0)
        rc = store_commit(c->store);
    else
        store_rollback(c->store);
    if (hex)
        sodium_memzero(hex, strlen(hex));
    lb_free(hex);
    return rc;
}

int core_new(struct store *st, struct clock clock, struct policy *policy,
             const struct core_config *cfg, struct core **out)
{
    struct core *c = lb_calloc(1, sizeof(*c));
    int rc = LB_ENOMEM;

    if (!c) {
        policy_free(policy);
        return LB_ENOMEM;
    }
    c->store = st;
    c->clock = clock;
    c->cfg = *cfg;
    c->cfg.tenant_defaults.notification_emails = NULL;
    c->cfg.tenant_defaults.notification_email_count = 0;
    c->cfg.tenant_defaults.audit_syslog_url = NULL;
    c->cfg.tenant_defaults.audit_syslog_profile = NULL;
    c->cfg.notify.new_id = id_new;
    if (!c->cfg.notify.mail_from)
        c->cfg.notify.mail_from = "lockbox@localhost";
    if (c->cfg.api_token_ttl_seconds <= 0)
        c->cfg.api_token_ttl_seconds = 90 * 86400;
    if (c->cfg.login.max_failures <= 0)
        c->cfg.login.max_failures = 10;
    if (c->cfg.login.lockout_seconds <= 0)
        c->cfg.login.lockout_seconds = 900;
    if (c->cfg.login.max_failures_per_address <= 0)
        c->cfg.login.max_failures_per_address = 100;
    c->policy = policy;
    pthread_rwlock_init(&c->policy_lock, NULL);
    pthread_rwlock_init(&c->hooks_lock, NULL);
    pthread_mutex_init(&c->sync_lock, NULL);
    pthread_mutex_init(&c->verified_lock, NULL);
    c->grants = grants_new();
    c->sessions = session_cache_new();
    c->hooks = hook_cache_new();
    c->owners = owners_new();
    c->throttle = throttle_table_new(THROTTLE_TABLE_MAX);
    c->denials =
        denials_new(c->cfg.denial_collapse_seconds > 0 ? c->cfg.denial_collapse_seconds : 60);
    if (!c->grants || !c->sessions || !c->owners || !c->throttle || !c->denials || !c->hooks)
        goto fail;
    if ((rc = page_key_load(c)) != 0 || (rc = core_owners_reload(c, NULL)) != 0 ||
        (rc = throttle_load(c)) != 0)
        goto fail;
    if ((rc = core_grants_rebuild(c)) != 0)
        goto fail;
    *out = c;
    return 0;
fail:
    core_free(c);
    return rc;
}

void core_free(struct core *c)
{
    if (!c)
        return;
    core_changes_stop(c); /* its thread calls into c */
    if (c->denials) {
        /* a clean stop writes every denial noted: the thread's queue, or (without one) here;
         * a failure is counted in the denial stats, which nobody reads any more */
        denials_stop(c->denials);
        int rc = denials_flush(c->denials, c->store);
        (void)rc;
        denials_free(c->denials);
    }
    policy_free(c->policy);
    grants_free(c->grants);
    owners_free(c->owners);
    session_cache_free(c->sessions);
    hook_cache_free(c->hooks);
    throttle_table_free(c->throttle);
    pthread_rwlock_destroy(&c->policy_lock);
    pthread_rwlock_destroy(&c->hooks_lock);
    pthread_mutex_destroy(&c->sync_lock);
    core_audit_set_verified(c, 0, NULL, NULL, 0);
    pthread_mutex_destroy(&c->verified_lock);
    sodium_memzero(c->page_key, sizeof(c->page_key));
    lb_free(c);
}

void core_set_deadline_hook(struct core *c, core_deadline_fn *fn, void *ctx)
{
    pthread_rwlock_wrlock(&c->hooks_lock);
    c->on_deadline = fn;
    c->on_deadline_ctx = ctx;
    pthread_rwlock_unlock(&c->hooks_lock);
}

void core_set_outbox_hook(struct core *c, core_outbox_fn *fn, void *ctx)
{
    pthread_rwlock_wrlock(&c->hooks_lock);
    c->on_outbox = fn;
    c->on_outbox_ctx = ctx;
    pthread_rwlock_unlock(&c->hooks_lock);
}

void core_outbox_wake(struct core *c)
{
    pthread_rwlock_rdlock(&c->hooks_lock);
    if (c->on_outbox)
        c->on_outbox(c->on_outbox_ctx);
    pthread_rwlock_unlock(&c->hooks_lock);
}

void core_policy_swap(struct core *c, struct policy *p)
{
    struct policy *old;

    pthread_rwlock_wrlock(&c->policy_lock);
    old = c->policy;
    c->policy = p;
    pthread_rwlock_unlock(&c->policy_lock);
    policy_free(old);
}

int core_catalog(struct core *c, char ***types, size_t *count)
{
    int rc;

    /* a copy: the policy may be swapped by a reload once the lock is let go */
    pthread_rwlock_rdlock(&c->policy_lock);
    rc = strv_dup(c->policy->catalog, c->policy->catalog_count, types);
    *count = rc ? 0 : c->policy->catalog_count;
    pthread_rwlock_unlock(&c->policy_lock);
    return rc;
}

size_t core_grant_count(struct core *c)
{
    return grants_count(c->grants);
}

void core_outbox_count(struct core *c, struct outbox_counts *out)
{
    if (store_outbox_count(c->store, out) != 0)
        memset(out, 0, sizeof(*out));
}

void core_store_stats(struct core *c, struct store_stats *out)
{
    store_stats_get(c->store, out);
}

int core_store_ping(struct core *c)
{
    return store_ping(c->store);
}

bool core_committed_read_again(int rc, int *waited_ms)
{
    if (rc != LB_EUNAVAIL || *waited_ms >= CORE_COMMITTED_READ_WAIT_MS)
        return false;
    nanosleep(&(struct timespec){.tv_nsec = 100 * 1000 * 1000}, NULL);
    *waited_ms += 100;
    return true;
}

int core_bootstrap(struct core *c, core_token_sink_fn *sink, void *ctx, bool *created)
{
    struct user existing = {0};
    char id[ID_LEN], role_id[ID_LEN], token[TOKEN_LEN], hash[TOKEN_HASH_LEN];
    int64_t now = clock_now(&c->clock);
    int rc;

    *created = false;
    /* cheap answer for every start but the first */
    rc = store_user_get_by_username(c->store, "admin", &existing);
    user_clear(&existing);
    if (rc != LB_ENOTFOUND)
        return rc;
    id_new(id);
    id_new(role_id);
    token_new(token, hash);
    struct user u = {.id = id,
                     .username = "admin",
                     .display_name = "Platform administrator",
                     .created_at = now,
                     .isolated_identity = true};
    struct role_assignment r = {
        .id = role_id, .user_id = id, .role = "platform_admin", .scope = "/", .created_at = now};
    struct session s = {.token_hash = hash,
                        .user_id = id,
                        .mfa = false,
                        .created_at = now,
                        .expires_at = now + c->cfg.bootstrap_token_ttl_seconds};
    struct audit_entry e = core_audit_entry(c, NULL, "user.create", NULL, id);
    const struct audit_field f[] = {AF_STR("username", "admin"), AF_STR("role", "platform_admin"),
                                    AF_BOOL("bootstrap", true)};
    e.fields = f;
    e.field_count = 3;
    if ((rc = core_tx_begin(c)) != 0)
        goto out;
    /* again inside the transaction: another lockboxd on the same database may have made it */
    rc = store_user_get_by_username(c->store, "admin", &existing);
    user_clear(&existing);
    if (rc == 0) {
        rc = core_tx_end(c, 0);
        goto out;
    }
    rc = rc == LB_ENOTFOUND ? store_user_insert(c->store, &u) : rc;
    if (!rc)
        rc = store_role_insert(c->store, &r);
    if (!rc)
        rc = store_session_insert(c->store, &s);
    if (!rc)
        rc = audit_append(c->store, &e, NULL);
    if (!rc && (rc = sink(ctx, token)) > 0)
        rc = LB_EIO;
    rc = core_tx_end(c, rc);
    *created = rc == 0;
out:
    sodium_memzero(token, sizeof(token));
    return rc;
}

/* ---- page tokens: base64url(cursor[8] || HMAC-SHA256(key, scope || cursor)[16]) ---- */

static void page_mac(struct core *c, const char *scope, const unsigned char cur[8],
                     unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
    crypto_auth_hmacsha256_state st;

    crypto_auth_hmacsha256_init(&st, c->page_key, sizeof(c->page_key));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)scope, strlen(scope) + 1);
    crypto_auth_hmacsha256_update(&st, cur, 8);
    crypto_auth_hmacsha256_final(&st, mac);
}

int core_page_token_encode(struct core *c, const char *scope, int64_t cursor, char **out)
{
    unsigned char raw[24], mac[crypto_auth_hmacsha256_BYTES];
    uint64_t v = (uint64_t)cursor;
    size_t len = sodium_base64_ENCODED_LEN(sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *text = lb_malloc(len);

    if (!text)
        return LB_ENOMEM;
    for (int i = 7; i >= 0; i--, v >>= 8)
        raw[i] = (unsigned char)(v & 0xff);
    page_mac(c, scope, raw, mac);
    memcpy(raw + 8, mac, 16);
    sodium_bin2base64(text, len, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    *out = text;
    return 0;
}

/* The letters of base64url: libsodium 1.0.18 decodes any byte above 0x7f as one of them, so a
 * token is checked against them first, that no text but the one issued passes for it. */
#define PAGE_TOKEN_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

int core_page_token_decode(struct core *c, const char *scope, const char *token, int64_t *cursor)
{
    unsigned char raw[24], mac[crypto_auth_hmacsha256_BYTES];
    size_t len = 0;
    uint64_t v = 0;

    if (token[strspn(token, PAGE_TOKEN_ALPHABET)] != '\0' ||
        sodium_base642bin(raw, sizeof(raw), token, strlen(token), NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len != sizeof(raw))
        return LB_EINVAL;
    page_mac(c, scope, raw, mac);
    if (sodium_memcmp(mac, raw + 8, 16) != 0)
        return LB_EINVAL;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | raw[i];
    *cursor = (int64_t)v;
    return 0;
}
