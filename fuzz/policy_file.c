/*
 * policy_file: the access policy file (policy_file_load in api/policy_file.c) and its
 * evaluation (policy_evaluate in core/policy.c). Input: the JSON file.
 * Asserts: an accepted policy's catalog holds the default types first, then the file's, each
 * a non-empty string; every rule's levels are known ones and a maximum duration is not
 * negative; and for every catalog type, level and requester kind the verdict is a rejection
 * with a reason or an allowance without one, within the maximum of the rule that decided.
 */
#include "api/policy_file.h"

#include "fuzz.h"

static void check_verdicts(const struct policy *p)
{
    for (size_t t = 0; t < p->catalog_count && t < 16; t++)
        for (int level = ACCESS_READ; level <= ACCESS_ADMIN; level++)
            for (int who = 0; who < 4; who++) {
                struct policy_verdict v;
                policy_evaluate(p, p->catalog[t], (enum access_level)level, who & 1, who & 2, &v);
                FUZZ_CHECK(v.reject ? v.reason != NULL : v.reason == NULL);
                FUZZ_CHECK(v.max_duration_seconds >= 0);
            }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    struct policy *p = NULL;
    struct buf err = BUF_INIT;

    if (!path)
        abort();
    if (policy_file_load(path, &p, &err) != 0) {
        FUZZ_CHECK(err.len > 0 && !p);
        goto out;
    }
    FUZZ_CHECK(p->catalog_count >= policy_default_catalog_count);
    for (size_t i = 0; i < p->catalog_count; i++) {
        FUZZ_CHECK(p->catalog[i] && *p->catalog[i]);
        if (i < policy_default_catalog_count)
            FUZZ_CHECK(strcmp(p->catalog[i], policy_default_catalog[i]) == 0);
    }
    for (size_t i = 0; i < p->rule_count; i++) {
        FUZZ_CHECK((p->rules[i].access_levels & ~0xEu) == 0);
        FUZZ_CHECK(p->rules[i].max_duration_seconds >= 0);
    }
    check_verdicts(p);
out:
    policy_free(p);
    buf_release(&err);
    return 0;
}
