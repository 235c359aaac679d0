/* Tenants, their settings, users and role assignments. */
#include "core/ids.h"
#include "core_int.h"
#include "notify/syslog.h"
#include "util/mem.h"
#include "util/strv.h"

#include <stddef.h>
#include <string.h>

#include "util/banned.h"

static const char *const plans[] = {"basic", "developer", "standard", "professional", "premier"};

bool core_plan_is_valid(const char *plan)
{
    for (size_t i = 0; i < sizeof(plans) / sizeof(plans[0]); i++)
        if (strcmp(plan, plans[i]) == 0)
            return true;
    return false;
}

bool core_plan_is_eligible(const char *plan)
{
    return core_plan_is_valid(plan) && strcmp(plan, "basic") != 0;
}

static bool is_tenant_admin(const struct principal *p, const char *tenant_id)
{
    return principal_has_tenant_role(p, tenant_id, "tenant_admin", "/");
}

/* Refuses anyone but the tenant's own tenant_admin: 404 for other tenants, 403 otherwise. */
static int require_tenant_admin(const struct principal *actor, const char *tenant_id)
{
    if (!id_is_valid(tenant_id))
        return LB_ENOTFOUND;
    if (!principal_is_provider(actor) && strcmp(actor->tenant_id, tenant_id) != 0)
        return LB_ENOTFOUND;
    return is_tenant_admin(actor, tenant_id) ? 0 : LB_EFORBIDDEN;
}

/* Writes the user row, its roles and the user.create record (inside a transaction). */
static int user_insert(struct core *c, const struct principal *actor, const char *tenant_id,
                       const struct user_create *in, struct user *u, char *const *roles,
                       size_t role_count, char totp_secret[TOTP_SECRET_LEN], struct buf *err)
{
    char id[ID_LEN], hash[PASSWORD_HASH_LEN];
    int64_t now = clock_now(&c->clock);
    int rc;

    id_new(id);
    if ((rc = password_hash(in->password, hash)) != 0)
        return rc;
    if (in->totp && (rc = totp_secret_new(totp_secret)) != 0)
        return rc;
    memset(u, 0, sizeof(*u));
    u->id = lb_strdup(id);
    u->tenant_id = tenant_id ? lb_strdup(tenant_id) : NULL;
    u->username = lb_strdup(in->username);
    u->display_name = lb_strdup(in->display_name ? in->display_name : in->username);
    u->email = lb_strdup(in->email);
    u->password_hash = lb_strdup(hash);
    u->totp_secret = in->totp ? lb_strdup(totp_secret) : NULL;
    u->isolated_identity = tenant_id ? false : in->isolated_identity;
    u->created_at = now;
    sodium_memzero(hash, sizeof(hash));
    if (!u->id || (tenant_id && !u->tenant_id) || !u->username || !u->display_name ||
        (in->email && !u->email) || !u->password_hash || (in->totp && !u->totp_secret))
        return LB_ENOMEM;
    rc = store_user_insert(c->store, u);
    if (rc == LB_EEXISTS)
        return core_fail(err, LB_EEXISTS, "username '%s' is taken", in->username);
    for (size_t i = 0; rc == 0 && i < role_count; i++) {
        char rid[ID_LEN];
        id_new(rid);
        struct role_assignment r = {.id = rid,
                                    .tenant_id = tenant_id,
                                    .user_id = id,
                                    .role = roles[i],
                                    .scope = "/",
                                    .created_at = now};
        rc = store_role_insert(c->store, &r);
        if (rc == LB_EEXISTS)
            rc = core_fail(err, LB_EINVAL, "roles: '%s' is given twice", roles[i]);
    }
    if (rc)
        return rc;
    struct audit_entry e = core_audit_entry(c, actor, "user.create", tenant_id, id);
    const struct audit_field f[] = {AF_STR("username", in->username),
                                    AF_STRV("roles", roles, role_count), AF_BOOL("totp", in->totp),
                                    AF_BOOL("isolated_identity", u->isolated_identity)};
    e.fields = f;
    e.field_count = 4;
    return audit_append(c->store, &e, NULL);
}

int core_user_create(struct core *c, const struct principal *actor, const char *tenant_id,
                     const struct user_create *in, struct user *out,
                     char totp_secret[TOTP_SECRET_LEN], struct buf *err)
{
    static char *const member[] = {"member"};
    struct tenant t = {0};
    int rc;

    if (!tenant_id) {
        if (!principal_has_provider_role(actor, PROV_PLATFORM_ADMIN))
            return core_fail(err, LB_EFORBIDDEN, "only a platform_admin creates provider users");
        for (size_t i = 0; i < in->role_count; i++)
            if (!provider_role_parse(in->roles[i])) {
                rc = core_fail(err, LB_EINVAL, "roles: '%s' is not a provider role (one of ",
                               in->roles[i]);
                if (err) {
                    provider_role_names_append(err);
                    buf_puts(err, ")");
                }
                return rc;
            }
    } else {
        if ((rc = require_tenant_admin(actor, tenant_id)) != 0)
            return core_fail(err, rc,
                             rc == LB_EFORBIDDEN
                                 ? "only the tenant's tenant_admin creates its users"
                                 : "no such tenant");
        if ((rc = store_tenant_get(c->store, tenant_id, &t)) != 0)
            return rc;
        tenant_clear(&t);
    }
    if ((rc = core_tx_begin(c)) != 0)
        return rc;
    rc = user_insert(c, actor, tenant_id, in, out, tenant_id ? member : in->roles,
                     tenant_id ? 1 : in->role_count, totp_secret, err);
    rc = core_tx_end(c, rc);
    if (rc)
        user_clear(out);
    return rc;
}

int core_user_get(struct core *c, const char *id, struct user *out, struct role_list *roles)
{
    int rc = store_user_get(c->store, id, out);

    if (rc == 0 && roles && (rc = store_role_list_for_user(c->store, id, roles)) != 0)
        user_clear(out);
    return rc;
}

/* Fills the locked_until of each user a lockout holds now. */
static int users_fill_locks(struct core *c, struct user_list *users)
{
    struct login_throttle_list locks = {0};
    int64_t now = clock_now(&c->clock);
    int rc = store_login_throttle_list(c->store, THROTTLE_USERNAME, now, INT64_MAX, &locks);

    for (size_t i = 0; rc == 0 && i < locks.count; i++)
        for (size_t j = 0; j < users->count; j++)
            if (strcmp(users->items[j].username, locks.items[i].name) == 0)
                users->items[j].locked_until = locks.items[i].locked_until;
    login_throttle_list_clear(&locks);
    return rc;
}

int core_user_list(struct core *c, const struct principal *actor, const char *tenant_id,
                   struct user_list *users, struct role_list *roles)
{
    struct tenant t = {0};
    int rc;

    if (!tenant_id) {
        if (!principal_has_provider_role(actor, PROV_PLATFORM_ADMIN | PROV_AUDITOR))
            return LB_EFORBIDDEN;
    } else if (principal_is_provider(actor)) {
        if (!principal_has_provider_role(actor, PROV_PLATFORM_ADMIN | PROV_AUDITOR))
            return LB_EFORBIDDEN;
        if ((rc = core_tenant_load_visible(c, actor, tenant_id, &t)) != 0)
            return rc;
        tenant_clear(&t);
    } else if ((rc = require_tenant_admin(actor, tenant_id)) != 0) {
        return rc;
    }
    if ((rc = store_user_list_for_tenant(c->store, tenant_id, users)) != 0)
        return rc;
    if ((rc = users_fill_locks(c, users)) != 0 ||
        (rc = store_role_list_for_tenant(c->store, tenant_id, roles)) != 0)
        user_list_clear(users);
    return rc;
}

bool core_tenant_owns(const struct tenant *t, const char *resource_id)
{
    for (size_t i = 0; i < t->resource_scope_count; i++)
        if (scope_covers(t->resource_scopes[i], resource_id))
            return true;
    return false;
}

/* Checks that scopes are resource prefixes that overlap neither each other nor a scope of
 * another tenant (read inside the caller's write transaction, so none can appear meanwhile). */
static int scopes_check(struct core *c, const char *tenant_id, char *const *scopes, size_t count,
                        struct buf *err)
{
    struct tenant *all = NULL;
    size_t n = 0;
    int rc;

    for (size_t i = 0; i < count; i++) {
        if (!resource_id_is_valid(scopes[i]))
            return core_fail(err, LB_EINVAL,
                             "resource_scopes: '%s' is not a resource prefix ('/seg[/seg...]', "
                             "no empty, '.' or '..' segment)",
                             scopes[i]);
        for (size_t j = 0; j < i; j++)
            if (scopes_overlap(scopes[i], scopes[j]))
                return core_fail(err, LB_EINVAL, "resource_scopes: '%s' and '%s' overlap",
                                 scopes[j], scopes[i]);
    }
    if ((rc = store_tenant_list(c->store, NULL, &all, &n)) != 0)
        return rc;
    for (size_t t = 0; t < n && !rc; t++) {
        if (strcmp(all[t].id, tenant_id) == 0)
            continue;
        for (size_t j = 0; j < all[t].resource_scope_count && !rc; j++)
            for (size_t i = 0; i < count && !rc; i++)
                if (scopes_overlap(scopes[i], all[t].resource_scopes[j]))
                    rc = core_fail(err, LB_ECONFLICT,
                                   "resource_scopes: '%s' overlaps '%s' of tenant '%s'", scopes[i],
                                   all[t].resource_scopes[j], all[t].name);
    }
    for (size_t t = 0; t < n; t++)
        tenant_clear(&all[t]);
    lb_free(all);
    return rc;
}

int core_user_unlock(struct core *c, const struct principal *actor, const char *tenant_id,
                     const char *user_id, struct buf *err)
{
    struct user u = {0};
    int rc;

    if (tenant_id && (rc = require_tenant_admin(actor, tenant_id)) != 0)
        return core_fail(err, rc,
                         rc == LB_EFORBIDDEN ? "only the tenant's tenant_admin unlocks its users"
                                             : "no such tenant");
    if (!tenant_id && !principal_has_provider_role(actor, PROV_PLATFORM_ADMIN))
        return core_fail(err, LB_EFORBIDDEN, "only a platform_admin unlocks provider users");
    if (!id_is_valid(user_id))
        return core_fail(err, LB_ENOTFOUND, "no such user");
    rc = store_user_get(c->store, user_id, &u);
    /* only a user of the admin's own kind: a tenant's for a tenant, a provider user else */
    if (rc == 0 &&
        (tenant_id ? !u.tenant_id || strcmp(u.tenant_id, tenant_id) != 0 : u.tenant_id != NULL))
        rc = LB_ENOTFOUND;
    if (rc) {
        user_clear(&u);
        return rc == LB_ENOTFOUND ? core_fail(err, rc, "no such user") : rc;
    }
    struct audit_entry e = core_audit_entry(c, actor, "auth.unlock", tenant_id, u.id);
    const struct audit_field f[] = {AF_STR("username", u.username)};
    e.fields = f;
    e.field_count = 1;
    if ((rc = core_tx_begin(c)) == 0) {
        rc = store_login_throttle_delete(c->store, THROTTLE_USERNAME, u.username);
        if (rc == 0)
            rc = core_throttle_publish(c, THROTTLE_USERNAME, u.username);
        if (rc == 0)
            rc = audit_append(c->store, &e, NULL);
        rc = core_tx_end(c, rc);
    }
    if (rc == 0)
        throttle_table_forget(c->throttle, THROTTLE_USERNAME, u.username);
    user_clear(&u);
    return rc;
}

int core_tenant_create(struct core *c, const struct principal *actor, const char *name,
                       const char *plan, char *const *scopes, size_t scope_count,
                       const struct user_create *admin, struct tenant *out, struct user *admin_out,
                       struct buf *err)
{
    static char *const admin_role[] = {"tenant_admin"};
    char id[ID_LEN], totp_unused[TOTP_SECRET_LEN];
    int rc;

    if (!principal_has_provider_role(actor, PROV_PLATFORM_ADMIN))
        return core_fail(err, LB_EFORBIDDEN, "only a platform_admin creates tenants");
    if (!core_plan_is_valid(plan))
        return core_fail(err, LB_EINVAL, "plan: unknown plan '%s'", plan);
    id_new(id);
    memset(out, 0, sizeof(*out));
    out->id = lb_strdup(id);
    out->name = lb_strdup(name);
    out->plan = lb_strdup(plan);
    out->created_at = clock_now(&c->clock);
    out->settings = c->cfg.tenant_defaults;
    out->settings.lockbox_enabled = core_plan_is_eligible(plan);
    out->settings.notification_emails = NULL;
    out->settings.notification_email_count = 0;
    out->settings.audit_syslog_url = NULL;
    out->settings.audit_syslog_profile = NULL;
    memset(admin_out, 0, sizeof(*admin_out));
    if (!out->id || !out->name || !out->plan ||
        strv_dup(scopes, scope_count, &out->resource_scopes) != 0) {
        tenant_clear(out);
        return LB_ENOMEM;
    }
    out->resource_scope_count = scope_count;
    struct user_create a = *admin;
    a.totp = false;
    struct audit_entry e = core_audit_entry(c, actor, "tenant.create", id, id);
    const struct audit_field f[] = {AF_STR("name", name), AF_STR("plan", plan),
                                    AF_STR("admin", admin->username),
                                    AF_STRV("resource_scopes", scopes, scope_count)};
    e.fields = f;
    e.field_count = 4;
    if ((rc = core_tx_begin(c)) != 0)
        goto out;
    rc = scopes_check(c, id, scopes, scope_count, err);
    if (!rc)
        rc = store_tenant_insert(c->store, out);
    if (rc == LB_EEXISTS)
        rc = core_fail(err, LB_EEXISTS, "a tenant named '%s' exists", name);
    if (!rc)
        rc = core_publish(c, STORE_CHANGE_TENANT, id);
    if (!rc)
        rc = audit_append(c->store, &e, NULL);
    if (!rc)
        rc = user_insert(c, actor, id, &a, admin_out, admin_role, 1, totp_unused, err);
    rc = core_tx_end(c, rc);
    if (!rc)
        rc = core_owners_reload(c, id);
out:
    if (rc) {
        tenant_clear(out);
        user_clear(admin_out);
    }
    return rc;
}

int core_tenant_get(struct core *c, const struct principal *actor, const char *id,
                    struct tenant *out)
{
    return core_tenant_load_visible(c, actor, id, out);
}

int core_tenant_list(struct core *c, const struct principal *actor, struct tenant **items,
                     size_t *count)
{
    if (principal_is_provider(actor) && !core_is_provider_staff(actor))
        return LB_EFORBIDDEN;
    return store_tenant_list(c->store, principal_is_provider(actor) ? NULL : actor->tenant_id,
                             items, count);
}

/* Index of scope in v, or -1. */
static ptrdiff_t strv_find(char *const *v, size_t count, const char *scope)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(v[i], scope) == 0)
            return (ptrdiff_t)i;
    return -1;
}

/* Makes t's scopes what change says, in place. */
static int scopes_apply(struct tenant *t, const struct scopes_change *ch, struct buf *err)
{
    size_t cap = (ch->has_set ? ch->set_count : t->resource_scope_count) + ch->add_count;
    char **v = lb_calloc(cap ? cap : 1, sizeof(*v));
    size_t n = 0;
    int rc = 0;

    if (!v)
        return LB_ENOMEM;
    if (ch->has_set) {
        memcpy(v, ch->set, ch->set_count * sizeof(*v));
        n = ch->set_count;
    } else {
        memcpy(v, t->resource_scopes, t->resource_scope_count * sizeof(*v));
        n = t->resource_scope_count;
    }
    for (size_t i = 0; i < ch->remove_count && !rc; i++) {
        ptrdiff_t at = strv_find(v, n, ch->remove[i]);
        if (at < 0)
            rc = core_fail(err, LB_EINVAL, "remove: '%s' is not a resource scope of this tenant",
                           ch->remove[i]);
        else
            v[at] = v[--n];
    }
    for (size_t i = 0; i < ch->add_count && !rc; i++)
        v[n++] = ch->add[i];
    char **copy = NULL;
    if (!rc && (rc = strv_dup(v, n, &copy)) == 0) {
        strv_free(t->resource_scopes, t->resource_scope_count);
        t->resource_scopes = copy;
        t->resource_scope_count = n;
    }
    lb_free(v);
    return rc;
}

int core_tenant_update_scopes(struct core *c, const struct principal *actor, const char *tenant_id,
                              const struct scopes_change *change, struct tenant *out,
                              struct buf *err)
{
    int rc;

    memset(out, 0, sizeof(*out));
    if (!principal_has_provider_role(actor, PROV_PLATFORM_ADMIN)) {
        rc = core_tenant_load_visible(c, actor, tenant_id, out);
        tenant_clear(out);
        if (rc == LB_ENOTFOUND)
            return core_fail(err, rc, "no such tenant");
        return core_fail(err, LB_EFORBIDDEN,
                         "only a platform_admin changes the resources a tenant owns");
    }
    if (!id_is_valid(tenant_id))
        return core_fail(err, LB_ENOTFOUND, "no such tenant");
    if ((rc = core_tx_begin(c)) != 0)
        return rc;
    rc = store_tenant_get(c->store, tenant_id, out);
    if (rc == LB_ENOTFOUND)
        rc = core_fail(err, rc, "no such tenant");
    if (!rc)
        rc = scopes_apply(out, change, err);
    if (!rc)
        rc = scopes_check(c, tenant_id, out->resource_scopes, out->resource_scope_count, err);
    if (!rc)
        rc = store_tenant_update_scopes(c->store, out);
    if (!rc)
        rc = core_publish(c, STORE_CHANGE_TENANT, tenant_id);
    if (!rc) {
        struct audit_entry e =
            core_audit_entry(c, actor, "tenant.scopes.update", tenant_id, tenant_id);
        const struct audit_field f[] = {
            AF_STRV("resource_scopes", out->resource_scopes, out->resource_scope_count),
            AF_STRV("added", change->add, change->add_count),
            AF_STRV("removed", change->remove, change->remove_count),
        };
        e.fields = f;
        e.field_count = 3;
        rc = audit_append(c->store, &e, NULL);
    }
    rc = core_tx_end(c, rc);
    if (!rc)
        rc = core_owners_reload(c, tenant_id);
    if (rc)
        tenant_clear(out);
    return rc;
}

/* Takes the patch's syslog collector and profile, each checked. */
static int syslog_apply(struct tenant_settings *s, const struct settings_patch *p, struct buf *err)
{
    const char *url = p->values.audit_syslog_url, *profile = p->values.audit_syslog_profile;
    char *copy;
    int rc;

    if (p->has_audit_syslog_url && url && *url) {
        struct buf why = BUF_INIT;
        if ((rc = notify_syslog_url_check(url, &why)) != 0)
            rc = core_fail(err, rc, "audit_syslog_url: %s", buf_cstr(&why));
        buf_release(&why);
        if (rc)
            return rc;
    }
    if (p->has_audit_syslog_profile && !notify_syslog_profile_is_valid(profile))
        return core_fail(err, LB_EINVAL, "audit_syslog_profile: want lockbox or m365");
    if (p->has_audit_syslog_url) {
        if (!(copy = lb_strdup(url ? url : "")))
            return LB_ENOMEM;
        lb_free(s->audit_syslog_url);
        s->audit_syslog_url = copy;
    }
    if (p->has_audit_syslog_profile) {
        if (!(copy = lb_strdup(profile)))
            return LB_ENOMEM;
        lb_free(s->audit_syslog_profile);
        s->audit_syslog_profile = copy;
    }
    return 0;
}

static int settings_apply(struct core *c, struct tenant *t, const struct settings_patch *p,
                          struct buf *err)
{
    struct tenant_settings *s = &t->settings;

    if (p->has_lockbox_enabled) {
        if (p->values.lockbox_enabled && !core_plan_is_eligible(t->plan))
            return core_fail(err, LB_EPRECONDITION,
                             "lockbox cannot be enabled on the '%s' plan (developer or above)",
                             t->plan);
        s->lockbox_enabled = p->values.lockbox_enabled;
    }
    if (p->has_pending_expiry)
        s->pending_expiry_seconds = p->values.pending_expiry_seconds;
    if (p->has_default_grant)
        s->default_grant_seconds = p->values.default_grant_seconds;
    if (p->has_max_grant)
        s->max_grant_seconds = p->values.max_grant_seconds;
    if (p->has_required_approvals)
        s->required_approvals = p->values.required_approvals;
    if (p->has_email_links)
        s->email_links = p->values.email_links;
    if (p->has_grant_report_mail)
        s->grant_report_mail = p->values.grant_report_mail;
    if (p->has_reminder_before)
        s->reminder_before_seconds = p->values.reminder_before_seconds;
    if (p->has_audit_syslog_url || p->has_audit_syslog_profile) {
        int rc = syslog_apply(s, p, err);
        if (rc)
            return rc;
    }
    if (p->has_audit_retention) {
        int64_t v = p->values.audit_retention_seconds, min = c->cfg.audit_retention_min_seconds;
        if (v != 0 && v < min)
            return core_fail(err, LB_EINVAL,
                             "audit_retention_seconds: 0 (keep every record) or at least %lld "
                             "([audit] retention_min_seconds)",
                             (long long)min);
        s->audit_retention_seconds = v;
    }
    if (p->has_notification_emails) {
        char **copy = NULL;
        if (strv_dup(p->values.notification_emails, p->values.notification_email_count, &copy))
            return LB_ENOMEM;
        strv_free(s->notification_emails, s->notification_email_count);
        s->notification_emails = copy;
        s->notification_email_count = p->values.notification_email_count;
    }
    if (s->pending_expiry_seconds < 1 || s->default_grant_seconds < 1 || s->max_grant_seconds < 1 ||
        s->required_approvals < 1)
        return core_fail(err, LB_EINVAL, "settings: durations and required_approvals must be >= 1");
    if (s->default_grant_seconds > s->max_grant_seconds)
        return core_fail(err, LB_EINVAL,
                         "default_grant_seconds (%lld) exceeds max_grant_seconds (%lld)",
                         (long long)s->default_grant_seconds, (long long)s->max_grant_seconds);
    return 0;
}

int core_settings_update(struct core *c, const struct principal *actor, const char *tenant_id,
                         const struct settings_patch *patch, struct tenant *out, struct buf *err)
{
    int rc = require_tenant_admin(actor, tenant_id);

    if (rc)
        return core_fail(err, rc,
                         rc == LB_EFORBIDDEN ? "only the tenant's tenant_admin changes its settings"
                                             : "no such tenant");
    if ((rc = core_tx_begin(c)) != 0)
        return rc;
    rc = store_tenant_get(c->store, tenant_id, out);
    if (!rc)
        rc = settings_apply(c, out, patch, err);
    if (!rc)
        rc = store_tenant_update_settings(c->store, out);
    if (!rc && (patch->has_audit_syslog_url || patch->has_audit_syslog_profile))
        rc = core_tenant_stream_sync(c, out);
    if (!rc) {
        const struct tenant_settings *s = &out->settings;
        struct audit_entry e =
            core_audit_entry(c, actor, "tenant.settings.update", tenant_id, tenant_id);
        const struct audit_field f[] = {
            AF_BOOL("lockbox_enabled", s->lockbox_enabled),
            AF_INT("pending_expiry_seconds", s->pending_expiry_seconds),
            AF_INT("default_grant_seconds", s->default_grant_seconds),
            AF_INT("max_grant_seconds", s->max_grant_seconds),
            AF_INT("required_approvals", s->required_approvals),
            AF_STRV("notification_emails", s->notification_emails, s->notification_email_count),
            AF_STR("audit_syslog_url", s->audit_syslog_url ? s->audit_syslog_url : ""),
            AF_STR("audit_syslog_profile",
                   s->audit_syslog_profile ? s->audit_syslog_profile : "lockbox"),
            AF_INT("audit_retention_seconds", s->audit_retention_seconds),
            AF_BOOL("grant_report_mail", s->grant_report_mail),
        };
        e.fields = f;
        e.field_count = sizeof(f) / sizeof(f[0]);
        rc = audit_append(c->store, &e, NULL);
    }
    rc = core_tx_end(c, rc);
    if (rc)
        tenant_clear(out);
    return rc;
}

/* true when a role at scope (not "/") reaches only resources the tenant owns. */
static bool scope_inside_tenant(const struct tenant *t, const char *scope)
{
    return resource_id_is_valid(scope) && core_tenant_owns(t, scope);
}

int core_role_assign(struct core *c, const struct principal *actor, const char *tenant_id,
                     const char *user_id, const char *role, const char *scope,
                     struct role_assignment *out, struct buf *err)
{
    char id[ID_LEN];
    struct user u = {0};
    struct tenant t = {0};
    int rc = require_tenant_admin(actor, tenant_id);

    if (rc)
        return core_fail(err, rc,
                         rc == LB_EFORBIDDEN ? "only the tenant's tenant_admin assigns its roles"
                                             : "no such tenant");
    if (!tenant_role_is_valid(role)) {
        rc = core_fail(err, LB_EINVAL, "role: '%s' is not a tenant role (one of ", role);
        if (err) {
            tenant_role_names_append(err);
            buf_puts(err, ")");
        }
        return rc;
    }
    if (!scope_is_valid(scope))
        return core_fail(err, LB_EINVAL, "scope: must be '/' or a '/'-separated resource prefix");
    if ((rc = core_tx_begin(c)) != 0)
        return rc;
    rc = id_is_valid(user_id) ? store_user_get(c->store, user_id, &u) : LB_ENOTFOUND;
    if (rc == LB_ENOTFOUND || (rc == 0 && (!u.tenant_id || strcmp(u.tenant_id, tenant_id) != 0)))
        rc = core_fail(err, LB_EINVAL, "user_id: no such user in this tenant");
    if (!rc && strcmp(scope, "/") != 0 && (rc = store_tenant_get(c->store, tenant_id, &t)) == 0 &&
        !scope_inside_tenant(&t, scope))
        rc = core_fail(err, LB_EINVAL,
                       "scope: '%s' is outside the resources the tenant owns (its resource "
                       "scopes, or '/')",
                       scope);
    id_new(id);
    struct role_assignment r = {.id = id,
                                .tenant_id = tenant_id,
                                .user_id = user_id,
                                .role = role,
                                .scope = scope,
                                .created_at = clock_now(&c->clock)};
    if (!rc)
        rc = store_role_insert(c->store, &r);
    if (rc == LB_EEXISTS)
        rc = core_fail(err, LB_EEXISTS, "the user already holds this role at this scope");
    if (!rc) {
        struct audit_entry e = core_audit_entry(c, actor, "role.assign", tenant_id, id);
        const struct audit_field f[] = {AF_STR("user_id", user_id), AF_STR("username", u.username),
                                        AF_STR("role", role), AF_STR("scope", scope)};
        e.fields = f;
        e.field_count = 4;
        rc = audit_append(c->store, &e, NULL);
    }
    if (!rc)
        rc = store_role_get(c->store, id, out);
    rc = core_tx_end(c, rc);
    user_clear(&u);
    tenant_clear(&t);
    if (rc)
        role_assignment_clear(out);
    return rc;
}

int core_role_remove(struct core *c, const struct principal *actor, const char *tenant_id,
                     const char *id, struct buf *err)
{
    struct role_assignment r = {0};
    int64_t admins = 0;
    int rc = require_tenant_admin(actor, tenant_id);

    if (rc)
        return core_fail(err, rc,
                         rc == LB_EFORBIDDEN ? "only the tenant's tenant_admin removes its roles"
                                             : "no such tenant");
    if (!id_is_valid(id))
        return core_fail(err, LB_ENOTFOUND, "no such role assignment");
    if ((rc = core_tx_begin(c)) != 0)
        return rc;
    rc = store_role_get(c->store, id, &r);
    if (rc == 0 && (!r.tenant_id || strcmp(r.tenant_id, tenant_id) != 0))
        rc = LB_ENOTFOUND;
    if (rc == LB_ENOTFOUND)
        rc = core_fail(err, LB_ENOTFOUND, "no such role assignment");
    if (!rc && strcmp(r.role, "tenant_admin") == 0 && strcmp(r.scope, "/") == 0) {
        rc = store_role_count(c->store, tenant_id, "tenant_admin", "/", &admins);
        if (!rc && admins <= 1)
            rc = core_fail(err, LB_EPRECONDITION,
                           "the tenant's last tenant_admin at '/' cannot be removed");
    }
    if (!rc)
        rc = store_role_delete(c->store, id);
    if (!rc) {
        struct audit_entry e = core_audit_entry(c, actor, "role.remove", tenant_id, id);
        const struct audit_field f[] = {AF_STR("user_id", r.user_id),
                                        AF_STR("username", r.username), AF_STR("role", r.role),
                                        AF_STR("scope", r.scope)};
        e.fields = f;
        e.field_count = 4;
        rc = audit_append(c->store, &e, NULL);
    }
    rc = core_tx_end(c, rc);
    role_assignment_clear(&r);
    return rc;
}

int core_role_list(struct core *c, const struct principal *actor, const char *tenant_id,
                   struct role_list *out)
{
    struct tenant t = {0};
    int rc;

    if (principal_is_provider(actor) &&
        !principal_has_provider_role(actor, PROV_PLATFORM_ADMIN | PROV_AUDITOR))
        return LB_EFORBIDDEN;
    if ((rc = core_tenant_load_visible(c, actor, tenant_id, &t)) != 0)
        return rc;
    tenant_clear(&t);
    return store_role_list_for_tenant(c->store, tenant_id, out);
}
