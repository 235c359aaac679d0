/*
 * grants.h - the in-memory index of active grants that answers the access check.
 *
 * The index maps (operator username, resource id) to the grants of approved requests. It is
 * loaded from the store at start and updated by core after each transition commits, so the
 * access check never touches the disk. A grant whose ends_at has passed answers "not allowed"
 * even before the scheduler removes it. The index copies what it is given and owns its memory.
 * Thread-safe: many readers or one writer (a pthread rwlock). Errors: LB_ENOMEM.
 */
#ifndef LB_CORE_GRANTS_H
#define LB_CORE_GRANTS_H

#include "core/ids.h"
#include "model/request.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdint.h>

struct grants;

struct grant_match {
    char request_id[ID_LEN];
    int64_t ends_at;
};

/* A new empty index (free with grants_free); NULL when out of memory. */
struct grants *grants_new(void);
void grants_free(struct grants *g);
/* Adds the grant of an approved request (every resource id of it). */
LB_MUST_CHECK int grants_add(struct grants *g, const struct request *req);
/* Removes the grant of a request (no-op when absent). */
void grants_remove(struct grants *g, const struct request *req);
/* true when operator holds a grant of a request of tenant owner_id (the resource's owner now)
 * on resource_id at level or above that has not ended at now; *match then names the grant
 * that ends last. */
bool grants_check(struct grants *g, const char *operator_name, const char *resource_id,
                  const char *owner_id, enum access_level level, int64_t now,
                  struct grant_match *match);
/* The number of (operator, resource) entries, for metrics and tests. */
size_t grants_count(struct grants *g);

#endif
