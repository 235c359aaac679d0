/* The one route table of the v1 API, and its matcher. */
#include "api/api.h"

#include <stdio.h>
#include <string.h>

#include "util/banned.h"

const struct api_route api_routes[] = {
    /* the doors first: they are asked before every operator's action, the rest seldom */
    {"POST", "/api/v1/access/check", api_access_check, true, true, "access.check"},
    {"GET", "/api/v1/access/authz", api_access_authz, true, false, "access.authz"},
    {"POST", "/api/v1/login", api_login, false, true, "login"},
    {"GET", "/api/v1/me", api_me, true, false, "me"},
    {"POST", "/api/v1/logout", api_logout, true, true, "logout"},
    {"POST", "/api/v1/users", api_user_create, true, true, "users.create"},
    {"GET", "/api/v1/users", api_user_list, true, false, "users.list"},
    {"POST", "/api/v1/users/{}/unlock", api_user_unlock, true, false, "users.unlock"},
    {"POST", "/api/v1/users/{}/tokens", api_token_create, true, true, "users.tokens.create"},
    {"GET", "/api/v1/users/{}/tokens", api_token_list, true, false, "users.tokens.list"},
    {"DELETE", "/api/v1/users/{}/tokens/{}", api_token_revoke, true, false, "users.tokens.revoke"},
    {"POST", "/api/v1/tenants", api_tenant_create, true, true, "tenants.create"},
    {"GET", "/api/v1/tenants", api_tenant_list, true, false, "tenants.list"},
    {"GET", "/api/v1/tenants/{}", api_tenant_get, true, false, "tenants.get"},
    {"PATCH", "/api/v1/tenants/{}", api_tenant_update, true, true, "tenants.update"},
    {"POST", "/api/v1/tenants/{}/users", api_tenant_user_create, true, true, "tenant_users.create"},
    {"GET", "/api/v1/tenants/{}/users", api_tenant_user_list, true, false, "tenant_users.list"},
    {"POST", "/api/v1/tenants/{}/users/{}/unlock", api_tenant_user_unlock, true, false,
     "tenant_users.unlock"},
    {"POST", "/api/v1/tenants/{}/role-assignments", api_role_assign, true, true, "roles.assign"},
    {"GET", "/api/v1/tenants/{}/role-assignments", api_role_list, true, false, "roles.list"},
    {"DELETE", "/api/v1/tenants/{}/role-assignments/{}", api_role_remove, true, false,
     "roles.remove"},
    {"GET", "/api/v1/tenants/{}/settings", api_settings_get, true, false, "settings.get"},
    {"PATCH", "/api/v1/tenants/{}/settings", api_settings_update, true, true, "settings.update"},
    {"POST", "/api/v1/tenants/{}/webhooks", api_tenant_webhook_create, true, true,
     "tenant_webhooks.create"},
    {"GET", "/api/v1/tenants/{}/webhooks", api_tenant_webhook_list, true, false,
     "tenant_webhooks.list"},
    {"DELETE", "/api/v1/tenants/{}/webhooks/{}", api_tenant_webhook_delete, true, false,
     "tenant_webhooks.delete"},
    {"POST", "/api/v1/webhooks", api_webhook_create, true, true, "webhooks.create"},
    {"GET", "/api/v1/webhooks", api_webhook_list, true, false, "webhooks.list"},
    {"DELETE", "/api/v1/webhooks/{}", api_webhook_delete, true, false, "webhooks.delete"},
    {"POST", "/api/v1/tenants/{}/tickets", api_ticket_create, true, true, "tickets.create"},
    {"GET", "/api/v1/tenants/{}/tickets", api_ticket_list, true, false, "tickets.list"},
    {"GET", "/api/v1/tenants/{}/tickets/{}", api_ticket_get, true, false, "tickets.get"},
    {"POST", "/api/v1/tenants/{}/tickets/{}/comments", api_ticket_comment, true, true,
     "tickets.comment"},
    {"POST", "/api/v1/requests", api_request_create, true, true, "requests.create"},
    {"GET", "/api/v1/requests", api_request_list, true, false, "requests.list"},
    {"GET", "/api/v1/requests/{}", api_request_get, true, false, "requests.get"},
    {"GET", "/api/v1/catalog", api_catalog, true, false, "catalog"},
    {"GET", "/api/v1/requests/{}/notifications", api_request_notifications, true, false,
     "requests.notifications"},
    {"GET", "/api/v1/requests/{}/report", api_request_report, true, false, "requests.report"},
    {"POST", "/api/v1/requests/{}/review", api_request_review, true, true, "requests.review"},
    {"POST", "/api/v1/requests/{}/decision", api_request_decision, true, true, "requests.decision"},
    {"POST", "/api/v1/requests/{}/cancel", api_request_cancel, true, true, "requests.cancel"},
    {"POST", "/api/v1/requests/{}/revoke", api_request_revoke, true, true, "requests.revoke"},
    {"POST", "/api/v1/requests/{}/activities", api_activity_create, true, true,
     "requests.activities"},
    {"GET", "/api/v1/audit", api_audit_search, true, false, "audit.search"},
    {"GET", "/api/v1/audit/keys", api_audit_keys, true, false, "audit.keys"},
    {"GET", "/api/v1/audit/export", api_audit_export, true, false, "audit.export"},
    {"GET", "/api/v1/audit/status", api_audit_status, true, false, "audit.status"},
    {"GET", "/api/v1/events", api_events, true, false, "events.stream"},
};

const size_t api_route_count = sizeof(api_routes) / sizeof(api_routes[0]);

/* Matches pattern against path segment by segment; "{}" takes one non-empty segment. */
static bool match(const char *pattern, const char *path, const char *params[API_MAX_PARAMS],
                  size_t *n)
{
    *n = 0;
    while (*pattern && *path) {
        if (pattern[0] == '{' && pattern[1] == '}') {
            const char *end = strchr(path, '/');
            size_t len = end ? (size_t)(end - path) : strlen(path);
            if (len == 0 || *n == API_MAX_PARAMS)
                return false;
            params[(*n)++] = path;
            pattern += 2;
            path += len;
            continue;
        }
        if (*pattern != *path)
            return false;
        pattern++;
        path++;
    }
    return *pattern == '\0' && *path == '\0';
}

const struct api_route *api_route_find(const char *method, char *path,
                                       const char *params[API_MAX_PARAMS], bool *other_method)
{
    const struct api_route *found = NULL;
    size_t n = 0;

    *other_method = false;
    /* the method is cheaper to compare than the path: paths only of this method first */
    for (size_t i = 0; i < api_route_count && !found; i++)
        if (strcmp(api_routes[i].method, method) == 0 &&
            match(api_routes[i].pattern, path, params, &n))
            found = &api_routes[i];
    if (!found) {
        for (size_t i = 0; i < api_route_count && !*other_method; i++)
            *other_method = match(api_routes[i].pattern, path, params, &n);
        return NULL;
    }
    /* cut the path into NUL-terminated parameters now that the route is known */
    for (size_t i = 0; i < n; i++) {
        char *end = strchr((char *)params[i], '/');
        if (end)
            *end = '\0';
    }
    return found;
}

void api_route_allow(const char *path, char out[API_ALLOW_LEN])
{
    const char *params[API_MAX_PARAMS];
    size_t n, len = 0;

    out[0] = '\0';
    for (size_t i = 0; i < api_route_count; i++) {
        const char *m = api_routes[i].method;
        if (!match(api_routes[i].pattern, path, params, &n) || len + strlen(m) + 3 > API_ALLOW_LEN)
            continue;
        len += (size_t)snprintf(out + len, API_ALLOW_LEN - len, "%s%s", len ? ", " : "", m);
    }
}
