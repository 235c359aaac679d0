/*
 * owners.h - which tenant owns a resource: the in-memory index of every tenant's resource
 * scopes, asked by every door on every check.
 *
 * A resource belongs to the tenant one of whose scopes covers it on whole path segments
 * (scope_covers); core keeps scopes from overlapping, so at most one tenant owns a resource.
 * The index is loaded from the store at start and replaced per tenant by core after a commit
 * that changes a tenant's scopes, so a door sees a removed scope at its very next check. It
 * copies what it is given and owns its memory. Thread-safe: many readers or one writer (a
 * pthread rwlock). Errors: LB_ENOMEM.
 */
#ifndef LB_CORE_OWNERS_H
#define LB_CORE_OWNERS_H

#include "core/ids.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>

struct owners;

/* A new empty index (free with owners_free); NULL when out of memory. */
struct owners *owners_new(void);
void owners_free(struct owners *o);
/* Makes scopes (borrowed) the whole set tenant_id owns, replacing what it owned before;
 * on failure the index is unchanged. */
LB_MUST_CHECK int owners_set(struct owners *o, const char *tenant_id, char *const *scopes,
                             size_t count);
/* true when a tenant owns resource_id; its id is then copied to tenant_id. */
bool owners_find(struct owners *o, const char *resource_id, char tenant_id[ID_LEN]);
/* The number of scopes held, for tests. */
size_t owners_count(struct owners *o);

#endif
