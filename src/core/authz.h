/*
 * authz.h - who a caller is and what their roles let them do.
 *
 * A struct principal is the authenticated caller of one API call: built by
 * core_authenticate, released with principal_clear. Provider roles are a bit set (they never
 * change after the user is created); tenant roles are assignments with a scope, loaded fresh
 * for every call so a removed role stops working at once. Scopes are resource-id prefixes
 * matched on whole path segments: "/subscriptions/s1" covers "/subscriptions/s1" and
 * "/subscriptions/s1/x" but not "/subscriptions/s10". Pure functions; thread-safe.
 */
#ifndef LB_CORE_AUTHZ_H
#define LB_CORE_AUTHZ_H

#include "model/role.h"
#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>

enum provider_role {
    PROV_PLATFORM_ADMIN = 1 << 0,
    PROV_SUPPORT_ENGINEER = 1 << 1,
    PROV_INTERNAL_APPROVER = 1 << 2,
    PROV_ENFORCER = 1 << 3,
    PROV_AUDITOR = 1 << 4,
};

struct principal {
    char *user_id, *username; /* (owned) */
    char *tenant_id;          /* (owned) NULL for provider users */
    bool mfa;                 /* the session was opened with a TOTP code */
    bool isolated_identity;
    unsigned provider_roles;       /* enum provider_role bits */
    struct role_list tenant_roles; /* (owned) tenant users only */
    const char *client_ip;         /* borrowed from the HTTP layer */
};

void principal_clear(struct principal *p);

/* The provider role bit named `name`, or 0. */
unsigned provider_role_parse(const char *name);
/* The name of one provider role bit. */
const char *provider_role_name(unsigned role);
/* true when name is a tenant role (tenant_admin, lockbox_approver, owner, auditor, member). */
bool tenant_role_is_valid(const char *name);
/* Append the provider roles' (the tenant roles') names to out, joined by ", ": the allowed
 * values a message about a wrong one names. */
void provider_role_names_append(struct buf *out);
void tenant_role_names_append(struct buf *out);
/* true when scope is "/" or "/seg[/seg...]" with non-empty segments and no trailing slash. */
bool scope_is_valid(const char *scope);
/* true when id names a resource, or a tenant's resource scope: "/seg[/seg...]" as
 * scope_is_valid, but never "/" alone and with no "." or ".." segment (so no door that
 * normalises paths reads it as another resource). */
bool resource_id_is_valid(const char *id);
/* true when one of the two scopes covers the other. */
bool scopes_overlap(const char *a, const char *b);
/* true when scope covers resource_id on whole path segments. */
bool scope_covers(const char *scope, const char *resource_id);

static inline bool principal_is_provider(const struct principal *p)
{
    return p->tenant_id == NULL;
}

/* true when a provider principal holds any of the role bits. */
bool principal_has_provider_role(const struct principal *p, unsigned roles);
/* true when a tenant principal of tenant_id holds role at a scope covering resource_id
 * (resource_id NULL: at any scope). */
bool principal_has_tenant_role(const struct principal *p, const char *tenant_id, const char *role,
                               const char *resource_id);
/* true when p may approve a request of tenant_id on all of these resources: tenant_admin at
 * "/", or lockbox_approver/owner at a scope covering every resource id. */
bool principal_can_approve(const struct principal *p, const char *tenant_id,
                           char *const *resource_ids, size_t count);

#endif
