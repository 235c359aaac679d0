/*
 * grants.h - the in-memory index of active grants that answers the access check.
 *
 * The index maps (operator username, resource id) to the grants of approved requests. It is
 * loaded from the store at start and updated by core after each transition commits, so the
 * access check never touches the disk. A grant whose ends_at has passed answers "not allowed"
 * even before the scheduler removes it. Several lockboxd on one store also apply what they
 * hear of each other's commits, late and maybe twice, and rebuild the index now and then
 * (grants_new_like, grants_replace): adding is idempotent, and a grant that ended never comes
 * back. The index copies what it is given and owns its memory.
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
/* Adds the grant of an approved request (every resource id of it); adding it again changes
 * nothing, and neither does adding one that grants_remove ended before its end time. */
LB_MUST_CHECK int grants_add(struct grants *g, const struct request *req);
/* Removes the grant of a request (no-op when absent), ended at now: until its end time, a
 * late grants_add of it (a listener that read it before it ended) is ignored. */
void grants_remove(struct grants *g, const struct request *req, int64_t now);
/* A new empty index that hashes as g does (free with grants_free), to be filled with every
 * grant and handed to grants_replace; NULL when out of memory. */
struct grants *grants_new_like(const struct grants *g);
/* Puts fresh's grants in place of g's, at once for the checks (fresh is left with g's old
 * ones: free it); grants g saw end stay out. */
void grants_replace(struct grants *g, struct grants *fresh, int64_t now);
/* true when operator holds a grant of a request of tenant owner_id (the resource's owner now)
 * on resource_id at level or above that has not ended at now; *match then names the grant
 * that ends last. */
bool grants_check(struct grants *g, const char *operator_name, const char *resource_id,
                  const char *owner_id, enum access_level level, int64_t now,
                  struct grant_match *match);
/* The number of (operator, resource) entries, for metrics and tests. */
size_t grants_count(struct grants *g);

#endif
