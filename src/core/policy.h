/*
 * policy.h - the just-in-time (JIT) access policy and the resource-type catalog.
 *
 * A policy is an ordered list of rules; the first rule whose match fits the request decides.
 * A rule matches on resource types, access levels, the requester's isolated_identity and the
 * session's mfa (each "any" when unset) and says reject (with a reason) or allow, with or
 * without internal review, and an optional maximum duration. No rule matching means reject.
 * The catalog lists the resource types requests may name: the default ten plus any a policy
 * file adds. policy_default() builds the built-in policy of API.md; policy files are parsed
 * elsewhere (api/policy_file.c, which owns JSON) into the same struct. A policy is immutable
 * once built and freed with policy_free; core swaps whole policies on reload.
 */
#ifndef LB_CORE_POLICY_H
#define LB_CORE_POLICY_H

#include "model/request.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum policy_effect { POLICY_ALLOW, POLICY_REJECT };

struct policy_rule {
    char **resource_types; /* (owned) NULL = any */
    size_t resource_type_count;
    unsigned access_levels; /* bit (1 << level); 0 = any */
    int isolated_identity;  /* -1 any, 0 or 1 */
    int mfa;                /* -1 any, 0 or 1 */
    enum policy_effect effect;
    char *reason; /* (owned) for reject; may be NULL */
    bool internal_review;
    int64_t max_duration_seconds; /* 0 = no limit beyond the tenant's */
};

struct policy {
    char **catalog; /* (owned) resource types */
    size_t catalog_count;
    struct policy_rule *rules; /* (owned) */
    size_t rule_count;
};

struct policy_verdict {
    bool reject;
    const char *reason; /* borrowed from the policy */
    bool internal_review;
    int64_t max_duration_seconds;
};

/* The resource types every catalog holds. */
extern const char *const policy_default_catalog[];
extern const size_t policy_default_catalog_count;

/* A new policy equal to API.md's default (caller frees with policy_free); LB_ENOMEM. */
LB_MUST_CHECK int policy_default(struct policy **out);
/* Frees a policy; accepts NULL. */
void policy_free(struct policy *p);
/* true when type is in p's catalog. */
bool policy_has_type(const struct policy *p, const char *type);
/* Evaluates the policy for one request. */
void policy_evaluate(const struct policy *p, const char *resource_type, enum access_level level,
                     bool isolated_identity, bool mfa, struct policy_verdict *out);

#endif
