/* Provider and tenant administration: users, tenants, role assignments, settings. */
#include "api/api_int.h"
#include "notify/syslog.h"
#include "util/mem.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "util/banned.h"

/* Reads the fields every user creation shares. */
static bool read_user_fields(struct api_call *call, json_t *obj, struct user_create *in,
                             bool allow_totp)
{
    bool present;

    memset(in, 0, sizeof(*in));
    if (!api_field_str(call, obj, "username", true, 64, API_TEXT_LINE, &in->username) ||
        !api_field_str(call, obj, "password", true, 1024, API_TEXT_LINE, &in->password) ||
        !api_field_str(call, obj, "email", true, 254, API_TEXT_LINE, &in->email) ||
        !api_field_str(call, obj, "display_name", false, 128, API_TEXT_LINE, &in->display_name))
        return false;
    if (!api_username_is_valid(in->username)) {
        api_fail(call, LB_EINVAL, "username: 1 to 64 of letters, digits and . _ - @");
        return false;
    }
    if (strlen(in->password) < 8) {
        api_fail(call, LB_EINVAL, "password: must be at least 8 characters");
        return false;
    }
    if (!api_email_is_valid(in->email)) {
        api_fail(call, LB_EINVAL, "email: not a valid address");
        return false;
    }
    if (allow_totp && !api_field_bool(call, obj, "totp", &present, &in->totp))
        return false;
    return true;
}

/* The roles of a just-created user, for its answer (empty if they cannot be read). */
static json_t *user_json_with_roles(struct api_call *call, const struct user *u)
{
    struct role_list roles = {0};
    struct user tmp = {0};
    json_t *body;

    if (core_user_get(call->core, u->id, &tmp, &roles) == 0)
        user_clear(&tmp);
    body = api_json_user(u, &roles, 0);
    role_list_clear(&roles);
    return body;
}

/* Answers 201 with a new user, its TOTP secret shown this once. */
static void reply_user(struct api_call *call, const struct user *u, const char *secret)
{
    json_t *body = user_json_with_roles(call, u);
    char uri[256];

    if (body && secret) {
        snprintf(uri, sizeof(uri), "otpauth://totp/Lockbox:%s?secret=%s&issuer=Lockbox",
                 u->username, secret);
        json_object_set_new(body, "totp_secret", json_string(secret));
        json_object_set_new(body, "totp_uri", json_string(uri));
    }
    api_reply(call, 201, body);
}

void api_user_create(struct api_call *call)
{
    struct user_create in;
    struct user u = {0};
    struct buf err = BUF_INIT;
    char secret[TOTP_SECRET_LEN];
    char **roles = NULL;
    size_t role_count = 0;
    bool present;
    int rc;

    if (!api_body_object(call, false) || !read_user_fields(call, call->body, &in, true) ||
        !api_field_bool(call, call->body, "isolated_identity", &present, &in.isolated_identity) ||
        !api_field_strv(call, call->body, "roles", true, 5, 64, &roles, &role_count))
        return;
    in.roles = roles;
    in.role_count = role_count;
    rc = core_user_create(call->core, call->principal, NULL, &in, &u, secret, &err);
    if (rc)
        api_reply_core_error(call, rc, &err, "cannot create the user");
    else
        reply_user(call, &u, in.totp ? secret : NULL);
    sodium_memzero(secret, sizeof(secret));
    lb_free(roles);
    user_clear(&u);
    buf_release(&err);
}

void api_tenant_user_create(struct api_call *call)
{
    struct user_create in;
    struct user u = {0};
    struct buf err = BUF_INIT;
    char secret[TOTP_SECRET_LEN];
    int rc;

    if (!api_body_object(call, false) || !read_user_fields(call, call->body, &in, true))
        return;
    rc = core_user_create(call->core, call->principal, call->params[0], &in, &u, secret, &err);
    if (rc)
        api_reply_core_error(call, rc, &err, "cannot create the user");
    else
        reply_user(call, &u, in.totp ? secret : NULL);
    sodium_memzero(secret, sizeof(secret));
    user_clear(&u);
    buf_release(&err);
}

/* The most resource scopes one tenant owns, and the longest one (as a resource id). */
#define TENANT_MAX_SCOPES 1000
#define SCOPE_MAX_LEN 512

void api_tenant_create(struct api_call *call)
{
    const char *name, *plan;
    struct user_create admin;
    struct tenant t = {0};
    struct user u = {0};
    struct buf err = BUF_INIT;
    json_t *a = json_object_get(call->body, "admin"), *body;
    char **scopes = NULL;
    size_t scope_count = 0;
    int rc;

    if (!api_body_object(call, false) ||
        !api_field_str(call, call->body, "name", true, 128, API_TEXT_LINE, &name) ||
        !api_field_str(call, call->body, "plan", true, 32, API_TEXT_LINE, &plan) ||
        !api_field_strv(call, call->body, "resource_scopes", false, TENANT_MAX_SCOPES,
                        SCOPE_MAX_LEN, &scopes, &scope_count))
        return;
    if (!core_plan_is_valid(plan)) {
        api_fail(call, LB_EINVAL,
                 "plan: must be one of basic, developer, standard, professional, premier");
        goto out;
    }
    if (!json_is_object(a)) {
        api_fail(call, LB_EINVAL, "admin: must be an object with username, password, email");
        goto out;
    }
    if (!read_user_fields(call, a, &admin, false))
        goto out;
    rc = core_tenant_create(call->core, call->principal, name, plan, scopes, scope_count, &admin,
                            &t, &u, &err);
    if (rc) {
        api_reply_core_error(call, rc, &err, "cannot create the tenant");
        goto out;
    }
    body = api_json_tenant(&t);
    if (body)
        json_object_set_new(body, "admin", user_json_with_roles(call, &u));
    api_reply(call, 201, body);
out:
    lb_free(scopes);
    tenant_clear(&t);
    user_clear(&u);
    buf_release(&err);
}

void api_tenant_update(struct api_call *call)
{
    static const char *const keys[] = {"resource_scopes", "add_resource_scopes",
                                       "remove_resource_scopes"};
    struct scopes_change ch = {0};
    char **set = NULL, **add = NULL, **remove = NULL;
    struct tenant t = {0};
    struct buf err = BUF_INIT;
    const char *key;
    json_t *v;
    int rc;

    if (!api_body_object(call, false))
        return;
    json_object_foreach(call->body, key, v)
    {
        size_t i = 0;
        while (i < sizeof(keys) / sizeof(keys[0]) && strcmp(key, keys[i]) != 0)
            i++;
        if (i == sizeof(keys) / sizeof(keys[0])) {
            api_fail(call, LB_EINVAL,
                     "%s: not a tenant field (resource_scopes, add_resource_scopes, "
                     "remove_resource_scopes)",
                     key);
            return;
        }
    }
    if (json_object_size(call->body) == 0) {
        api_fail(call, LB_EINVAL, "resource_scopes: is required (or add_/remove_resource_scopes)");
        return;
    }
    ch.has_set = json_object_get(call->body, "resource_scopes") != NULL;
    if (!api_field_strv(call, call->body, "resource_scopes", false, TENANT_MAX_SCOPES,
                        SCOPE_MAX_LEN, &set, &ch.set_count) ||
        !api_field_strv(call, call->body, "add_resource_scopes", false, TENANT_MAX_SCOPES,
                        SCOPE_MAX_LEN, &add, &ch.add_count) ||
        !api_field_strv(call, call->body, "remove_resource_scopes", false, TENANT_MAX_SCOPES,
                        SCOPE_MAX_LEN, &remove, &ch.remove_count))
        goto out;
    if (ch.has_set && !set) {
        api_fail(call, LB_EINVAL, "resource_scopes: must be an array of strings");
        goto out;
    }
    ch.set = set;
    ch.add = add;
    ch.remove = remove;
    rc = core_tenant_update_scopes(call->core, call->principal, call->params[0], &ch, &t, &err);
    if (rc)
        api_reply_core_error(call, rc, &err, "cannot change the tenant");
    else
        api_reply(call, 200, api_json_tenant(&t));
out:
    lb_free(set);
    lb_free(add);
    lb_free(remove);
    tenant_clear(&t);
    buf_release(&err);
}

void api_tenant_list(struct api_call *call)
{
    struct tenant *items = NULL;
    size_t count = 0;
    json_t *arr;
    int rc = core_tenant_list(call->core, call->principal, &items, &count);

    if (rc) {
        api_fail(call, rc, "cannot list tenants");
        return;
    }
    arr = json_array();
    for (size_t i = 0; i < count; i++) {
        if (arr)
            json_array_append_new(arr, api_json_tenant(&items[i]));
        tenant_clear(&items[i]);
    }
    lb_free(items);
    api_reply_page(call, arr, NULL, false, 0);
}

void api_tenant_get(struct api_call *call)
{
    struct tenant t = {0};
    int rc = core_tenant_get(call->core, call->principal, call->params[0], &t);

    if (rc) {
        api_fail(call, rc, rc == LB_ENOTFOUND ? "no such tenant" : "cannot read the tenant");
        return;
    }
    api_reply(call, 200, api_json_tenant(&t));
    tenant_clear(&t);
}

void api_settings_get(struct api_call *call)
{
    struct tenant t = {0};
    int rc = core_tenant_get(call->core, call->principal, call->params[0], &t);

    if (rc) {
        api_fail(call, rc, rc == LB_ENOTFOUND ? "no such tenant" : "cannot read the settings");
        return;
    }
    api_reply(call, 200, api_json_settings(&t.settings));
    tenant_clear(&t);
}

static const char *const settings_keys[] = {
    "lockbox_enabled",      "pending_expiry_seconds",  "default_grant_seconds",
    "max_grant_seconds",    "required_approvals",      "notification_emails",
    "email_links",          "reminder_before_seconds", "audit_syslog_url",
    "audit_syslog_profile", "audit_retention_seconds", "grant_report_mail",
};

static bool known_setting(const char *key)
{
    for (size_t i = 0; i < sizeof(settings_keys) / sizeof(settings_keys[0]); i++)
        if (strcmp(key, settings_keys[i]) == 0)
            return true;
    return false;
}

/* The syslog collector (null or "": none) and its field profile. */
static bool read_syslog(struct api_call *call, struct settings_patch *p)
{
    const char *url = NULL, *profile = NULL;

    if (json_is_null(json_object_get(call->body, "audit_syslog_url"))) {
        p->has_audit_syslog_url = true;
        p->values.audit_syslog_url = (char *)"";
    } else if (!api_field_str(call, call->body, "audit_syslog_url", false, NOTIFY_SYSLOG_URL_MAX,
                              API_TEXT_LINE, &url)) {
        return false;
    } else if (url) {
        p->has_audit_syslog_url = true;
        p->values.audit_syslog_url = (char *)url; /* borrowed: only read */
    }
    if (!api_field_str(call, call->body, "audit_syslog_profile", false, 16, API_TEXT_LINE,
                       &profile))
        return false;
    p->has_audit_syslog_profile = profile != NULL;
    p->values.audit_syslog_profile = (char *)profile;
    return true;
}

static bool read_patch(struct api_call *call, struct settings_patch *p, char ***emails)
{
    const int64_t max = 10LL * 365 * 86400;
    const char *key;
    json_t *v;

    memset(p, 0, sizeof(*p));
    json_object_foreach(call->body, key, v)
    {
        if (!known_setting(key)) {
            struct buf msg = BUF_INIT;
            buf_appendf(&msg, "%s: not a tenant setting (one of ", key);
            for (size_t i = 0; i < sizeof(settings_keys) / sizeof(settings_keys[0]); i++)
                buf_appendf(&msg, "%s%s", i ? ", " : "", settings_keys[i]);
            buf_puts(&msg, ")");
            api_fail(call, LB_EINVAL, "%s", msg.failed ? "not a tenant setting" : buf_cstr(&msg));
            buf_release(&msg);
            return false;
        }
    }
    if (!api_field_bool(call, call->body, "lockbox_enabled", &p->has_lockbox_enabled,
                        &p->values.lockbox_enabled) ||
        !api_field_int(call, call->body, "pending_expiry_seconds", 1, max, &p->has_pending_expiry,
                       &p->values.pending_expiry_seconds) ||
        !api_field_int(call, call->body, "default_grant_seconds", 1, max, &p->has_default_grant,
                       &p->values.default_grant_seconds) ||
        !api_field_int(call, call->body, "max_grant_seconds", 1, max, &p->has_max_grant,
                       &p->values.max_grant_seconds) ||
        !api_field_int(call, call->body, "required_approvals", 1, 100, &p->has_required_approvals,
                       &p->values.required_approvals) ||
        !api_field_bool(call, call->body, "email_links", &p->has_email_links,
                        &p->values.email_links) ||
        !api_field_bool(call, call->body, "grant_report_mail", &p->has_grant_report_mail,
                        &p->values.grant_report_mail) ||
        !api_field_int(call, call->body, "reminder_before_seconds", 0, max, &p->has_reminder_before,
                       &p->values.reminder_before_seconds) ||
        !api_field_int(call, call->body, "audit_retention_seconds", 0, 100LL * 365 * 86400,
                       &p->has_audit_retention, &p->values.audit_retention_seconds) ||
        !api_field_strv(call, call->body, "notification_emails", false, 50, 254, emails,
                        &p->values.notification_email_count) ||
        !read_syslog(call, p))
        return false;
    p->has_notification_emails = json_object_get(call->body, "notification_emails") != NULL;
    p->values.notification_emails = *emails;
    for (size_t i = 0; i < p->values.notification_email_count; i++)
        if (!api_email_is_valid((*emails)[i])) {
            api_fail(call, LB_EINVAL, "notification_emails[%zu]: not a valid address", i);
            return false;
        }
    return true;
}

void api_settings_update(struct api_call *call)
{
    struct settings_patch p;
    struct tenant t = {0};
    struct buf err = BUF_INIT;
    char **emails = NULL;
    int rc;

    if (!api_body_object(call, false) || !read_patch(call, &p, &emails))
        goto out;
    rc = core_settings_update(call->core, call->principal, call->params[0], &p, &t, &err);
    if (rc)
        api_reply_core_error(call, rc, &err, "cannot change the settings");
    else
        api_reply(call, 200, api_json_settings(&t.settings));
out:
    lb_free(emails);
    tenant_clear(&t);
    buf_release(&err);
}

void api_role_assign(struct api_call *call)
{
    const char *user_id, *role, *scope;
    struct role_assignment r = {0};
    struct buf err = BUF_INIT;
    int rc;

    if (!api_body_object(call, false) ||
        !api_field_str(call, call->body, "user_id", true, 64, API_TEXT_LINE, &user_id) ||
        !api_field_str(call, call->body, "role", true, 32, API_TEXT_LINE, &role) ||
        !api_field_str(call, call->body, "scope", false, 1024, API_TEXT_LINE, &scope))
        return;
    rc = core_role_assign(call->core, call->principal, call->params[0], user_id, role,
                          scope ? scope : "/", &r, &err);
    if (rc)
        api_reply_core_error(call, rc, &err, "cannot assign the role");
    else
        api_reply(call, 201, api_json_role(&r));
    role_assignment_clear(&r);
    buf_release(&err);
}

void api_role_list(struct api_call *call)
{
    struct role_list l = {0};
    json_t *arr;
    int rc = core_role_list(call->core, call->principal, call->params[0], &l);

    if (rc) {
        api_fail(call, rc, rc == LB_ENOTFOUND ? "no such tenant" : "cannot list the roles");
        return;
    }
    arr = json_array();
    for (size_t i = 0; arr && i < l.count; i++)
        json_array_append_new(arr, api_json_role(&l.items[i]));
    role_list_clear(&l);
    api_reply_page(call, arr, NULL, false, 0);
}

/* A user with the assignments of roles that are theirs. */
static json_t *json_user_of(const struct user *u, const struct role_list *all)
{
    struct role_list own = {0};
    json_t *j;

    own.items = lb_calloc(all->count, sizeof(*own.items));
    if (all->count && !own.items)
        return NULL;
    for (size_t i = 0; i < all->count; i++)
        if (strcmp(all->items[i].user_id, u->id) == 0)
            own.items[own.count++] = all->items[i];
    j = api_json_user(u, &own, 0);
    lb_free(own.items); /* the entries are borrowed from all */
    if (j)
        json_object_set_new(j, "locked_until", wire_time(u->locked_until));
    return j;
}

/* Lists the users of tenant_id (NULL: provider users), each with its roles and lock. */
static void user_list(struct api_call *call, const char *tenant_id)
{
    struct user_list users = {0};
    struct role_list roles = {0};
    json_t *arr;
    int rc = core_user_list(call->core, call->principal, tenant_id, &users, &roles);

    if (rc) {
        api_fail(call, rc, rc == LB_ENOTFOUND ? "no such tenant" : "cannot list the users");
        return;
    }
    arr = json_array();
    for (size_t i = 0; arr && i < users.count; i++)
        if (json_array_append_new(arr, json_user_of(&users.items[i], &roles)))
            arr = (json_decref(arr), NULL);
    user_list_clear(&users);
    role_list_clear(&roles);
    api_reply_page(call, arr, NULL, false, 0);
}

void api_tenant_user_list(struct api_call *call)
{
    user_list(call, call->params[0]);
}

void api_user_list(struct api_call *call)
{
    user_list(call, NULL);
}

static void user_unlock(struct api_call *call, const char *tenant_id, const char *user_id)
{
    struct buf err = BUF_INIT;
    int rc = core_user_unlock(call->core, call->principal, tenant_id, user_id, &err);

    if (rc)
        api_reply_core_error(call, rc, &err, "cannot unlock the user");
    else
        call->status = 204;
    buf_release(&err);
}

void api_tenant_user_unlock(struct api_call *call)
{
    user_unlock(call, call->params[0], call->params[1]);
}

void api_user_unlock(struct api_call *call)
{
    user_unlock(call, NULL, call->params[0]);
}

void api_role_remove(struct api_call *call)
{
    struct buf err = BUF_INIT;
    int rc = core_role_remove(call->core, call->principal, call->params[0], call->params[1], &err);

    if (rc)
        api_reply_core_error(call, rc, &err, "cannot remove the role assignment");
    else
        call->status = 204;
    buf_release(&err);
}
