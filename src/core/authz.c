#include "authz.h"

#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

static const char *const provider_role_names[] = {
    "platform_admin", "support_engineer", "internal_approver", "enforcer", "auditor",
};

static const char *const tenant_role_names[] = {
    "tenant_admin", "lockbox_approver", "owner", "auditor", "member",
};

void principal_clear(struct principal *p)
{
    lb_free(p->user_id);
    lb_free(p->username);
    lb_free(p->tenant_id);
    role_list_clear(&p->tenant_roles);
    memset(p, 0, sizeof(*p));
}

unsigned provider_role_parse(const char *name)
{
    for (size_t i = 0; i < sizeof(provider_role_names) / sizeof(provider_role_names[0]); i++)
        if (strcmp(name, provider_role_names[i]) == 0)
            return 1u << i;
    return 0;
}

const char *provider_role_name(unsigned role)
{
    for (size_t i = 0; i < sizeof(provider_role_names) / sizeof(provider_role_names[0]); i++)
        if (role == 1u << i)
            return provider_role_names[i];
    return "?";
}

static void names_append(struct buf *out, const char *const *names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        buf_appendf(out, "%s%s", i ? ", " : "", names[i]);
}

void provider_role_names_append(struct buf *out)
{
    names_append(out, provider_role_names,
                 sizeof(provider_role_names) / sizeof(provider_role_names[0]));
}

void tenant_role_names_append(struct buf *out)
{
    names_append(out, tenant_role_names, sizeof(tenant_role_names) / sizeof(tenant_role_names[0]));
}

bool tenant_role_is_valid(const char *name)
{
    for (size_t i = 0; i < sizeof(tenant_role_names) / sizeof(tenant_role_names[0]); i++)
        if (strcmp(name, tenant_role_names[i]) == 0)
            return true;
    return false;
}

bool scope_is_valid(const char *scope)
{
    size_t len = strlen(scope);

    if (len == 0 || scope[0] != '/' || len > 1024)
        return false;
    if (len == 1)
        return true;
    if (scope[len - 1] == '/' || strstr(scope, "//"))
        return false;
    for (const char *p = scope; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

bool resource_id_is_valid(const char *id)
{
    if (!scope_is_valid(id) || strcmp(id, "/") == 0)
        return false;
    for (const char *seg = id + 1;; seg++) {
        size_t len = strcspn(seg, "/");
        if ((len == 1 && seg[0] == '.') || (len == 2 && strncmp(seg, "..", 2) == 0))
            return false;
        seg += len;
        if (!*seg)
            return true;
    }
}

bool scopes_overlap(const char *a, const char *b)
{
    return scope_covers(a, b) || scope_covers(b, a);
}

bool scope_covers(const char *scope, const char *resource_id)
{
    size_t len = strlen(scope);

    if (strcmp(scope, "/") == 0)
        return resource_id[0] == '/';
    if (strncmp(scope, resource_id, len) != 0)
        return false;
    return resource_id[len] == '\0' || resource_id[len] == '/';
}

bool principal_has_provider_role(const struct principal *p, unsigned roles)
{
    return principal_is_provider(p) && (p->provider_roles & roles) != 0;
}

bool principal_has_tenant_role(const struct principal *p, const char *tenant_id, const char *role,
                               const char *resource_id)
{
    if (principal_is_provider(p) || strcmp(p->tenant_id, tenant_id) != 0)
        return false;
    for (size_t i = 0; i < p->tenant_roles.count; i++) {
        const struct role_assignment *r = &p->tenant_roles.items[i];
        if (strcmp(r->role, role) == 0 && (!resource_id || scope_covers(r->scope, resource_id)))
            return true;
    }
    return false;
}

static bool covers_all(const struct principal *p, const char *scope, char *const *ids, size_t n)
{
    (void)p;
    for (size_t i = 0; i < n; i++)
        if (!scope_covers(scope, ids[i]))
            return false;
    return n > 0;
}

bool principal_can_approve(const struct principal *p, const char *tenant_id,
                           char *const *resource_ids, size_t count)
{
    if (principal_is_provider(p) || strcmp(p->tenant_id, tenant_id) != 0)
        return false;
    for (size_t i = 0; i < p->tenant_roles.count; i++) {
        const struct role_assignment *r = &p->tenant_roles.items[i];
        if (strcmp(r->role, "tenant_admin") == 0 && strcmp(r->scope, "/") == 0)
            return true;
        if ((strcmp(r->role, "lockbox_approver") == 0 || strcmp(r->role, "owner") == 0) &&
            covers_all(p, r->scope, resource_ids, count))
            return true;
    }
    return false;
}
