/*
 * policy_file.h - reads a JSON policy file into a core policy.
 *
 * The file replaces the built-in default policy of API.md:
 *   {"resource_types": ["custom.type", ...],          (added to the default catalog)
 *    "rules": [{"resource_types": [...]?, "access_levels": ["read"|"write"|"admin"]?,
 *               "isolated_identity": bool?, "mfa": bool?,
 *               "effect": "allow"|"reject", "reason": "..."?,
 *               "internal_review": bool?, "max_duration_seconds": int?}, ...]}
 * Rules are tried in order; the first that matches decides; none matching rejects. Returns a
 * new policy (free with policy_free), or LB_EINVAL with `err` naming what is wrong, LB_EIO when
 * the file cannot be read, LB_ENOMEM.
 */
#ifndef LB_API_POLICY_FILE_H
#define LB_API_POLICY_FILE_H

#include "core/policy.h"
#include "util/buf.h"

LB_MUST_CHECK int policy_file_load(const char *path, struct policy **out, struct buf *err);

#endif
