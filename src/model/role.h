/*
 * role.h - a tenant role held by a user at a scope (a resource-id prefix, or "/").
 *
 * Provider roles are not assignments: they are bits of the principal (core/authz.h). A record
 * filled by the store owns its strings, released by role_assignment_clear (each clear accepts
 * a zeroed record and leaves it zeroed); a record passed to the store for an insert is
 * borrowed, which is why its strings are const: core points them at its caller's. Plain data:
 * no behaviour, no I/O.
 */
#ifndef LB_MODEL_ROLE_H
#define LB_MODEL_ROLE_H

#include <stddef.h>
#include <stdint.h>

struct role_assignment {
    const char *id;
    const char *tenant_id; /* NULL for provider roles */
    const char *user_id, *username, *role, *scope;
    int64_t created_at;
};

struct role_list {
    struct role_assignment *items;
    size_t count;
};

/* Frees what a record owns and zeroes it; accepts a zeroed record. */
void role_assignment_clear(struct role_assignment *r);
void role_list_clear(struct role_list *l);

#endif
