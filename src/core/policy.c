#include "policy.h"

#include "util/mem.h"
#include "util/strv.h"

#include <string.h>

#include "util/banned.h"

const char *const policy_default_catalog[] = {
    "vm.remote_access", "vm.memory_dump",     "vm.managed_disk",       "storage.data",
    "sql.data",         "data_explorer.data", "subscription.transfer", "exchange.mailbox",
    "sharepoint.site",  "onedrive.files",
};
const size_t policy_default_catalog_count =
    sizeof(policy_default_catalog) / sizeof(policy_default_catalog[0]);

void policy_free(struct policy *p)
{
    if (!p)
        return;
    strv_free(p->catalog, p->catalog_count);
    for (size_t i = 0; p->rules && i < p->rule_count; i++) {
        strv_free(p->rules[i].resource_types, p->rules[i].resource_type_count);
        lb_free(p->rules[i].reason);
    }
    lb_free(p->rules);
    lb_free(p);
}

int policy_default(struct policy **out)
{
    struct policy *p = lb_calloc(1, sizeof(*p));
    int rc = LB_ENOMEM;

    if (!p)
        return LB_ENOMEM;
    if (strv_dup((char *const *)policy_default_catalog, policy_default_catalog_count,
                 &p->catalog) != 0)
        goto out;
    p->catalog_count = policy_default_catalog_count;
    p->rules = lb_calloc(4, sizeof(*p->rules));
    if (!p->rules)
        goto out;
    p->rule_count = 4;
    for (size_t i = 0; i < 4; i++)
        p->rules[i] = (struct policy_rule){.isolated_identity = -1, .mfa = -1};
    /* no MFA: rejected */
    p->rules[0].mfa = 0;
    p->rules[0].effect = POLICY_REJECT;
    p->rules[0].reason = lb_strdup("multi-factor authentication is required");
    if (!p->rules[0].reason)
        goto out;
    /* admin access: internal review */
    p->rules[1].access_levels = 1u << ACCESS_ADMIN;
    p->rules[1].internal_review = true;
    /* no isolated identity: internal review */
    p->rules[2].isolated_identity = 0;
    p->rules[2].internal_review = true;
    /* everything else passes the internal stage */
    *out = p;
    return 0;
out:
    policy_free(p);
    return rc;
}

bool policy_has_type(const struct policy *p, const char *type)
{
    for (size_t i = 0; i < p->catalog_count; i++)
        if (strcmp(p->catalog[i], type) == 0)
            return true;
    return false;
}

static bool rule_matches(const struct policy_rule *r, const char *type, enum access_level level,
                         bool isolated, bool mfa)
{
    if (r->access_levels && !(r->access_levels & (1u << level)))
        return false;
    if (r->isolated_identity >= 0 && r->isolated_identity != (int)isolated)
        return false;
    if (r->mfa >= 0 && r->mfa != (int)mfa)
        return false;
    if (!r->resource_types)
        return true;
    for (size_t i = 0; i < r->resource_type_count; i++)
        if (strcmp(r->resource_types[i], type) == 0)
            return true;
    return false;
}

void policy_evaluate(const struct policy *p, const char *resource_type, enum access_level level,
                     bool isolated_identity, bool mfa, struct policy_verdict *out)
{
    *out = (struct policy_verdict){.reject = true, .reason = "no policy rule allows this request"};
    for (size_t i = 0; i < p->rule_count; i++) {
        const struct policy_rule *r = &p->rules[i];
        if (!rule_matches(r, resource_type, level, isolated_identity, mfa))
            continue;
        out->reject = r->effect == POLICY_REJECT;
        out->reason = r->effect == POLICY_REJECT
                          ? (r->reason ? r->reason : "refused by the access policy")
                          : NULL;
        out->internal_review = r->internal_review;
        out->max_duration_seconds = r->max_duration_seconds;
        return;
    }
}
