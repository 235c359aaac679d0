#include "api/policy_file.h"

#include "util/mem.h"
#include "util/strv.h"

#include <jansson.h>
#include <string.h>

#include "util/banned.h"

static int strv_from_json(json_t *arr, const char *what, char ***out, size_t *count,
                          struct buf *err)
{
    json_t *v;
    size_t i;

    if (!json_is_array(arr)) {
        buf_appendf(err, "%s: must be an array of strings", what);
        return LB_EINVAL;
    }
    *out = lb_calloc(json_array_size(arr) + 1, sizeof(char *));
    if (!*out)
        return LB_ENOMEM;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v) || json_string_length(v) == 0) {
            buf_appendf(err, "%s[%zu]: must be a non-empty string", what, i);
            return LB_EINVAL;
        }
        (*out)[i] = lb_strdup(json_string_value(v));
        if (!(*out)[i])
            return LB_ENOMEM;
        *count = i + 1;
    }
    return 0;
}

static int tristate(json_t *rule, const char *key, int *out, size_t idx, struct buf *err)
{
    json_t *v = json_object_get(rule, key);

    *out = -1;
    if (!v)
        return 0;
    if (!json_is_boolean(v)) {
        buf_appendf(err, "rules[%zu].%s: must be true or false", idx, key);
        return LB_EINVAL;
    }
    *out = json_is_true(v);
    return 0;
}

static int read_rule(json_t *j, size_t idx, struct policy_rule *r, struct buf *err)
{
    json_t *v;
    size_t i;
    int rc;

    *r = (struct policy_rule){.isolated_identity = -1, .mfa = -1};
    if (!json_is_object(j)) {
        buf_appendf(err, "rules[%zu]: must be an object", idx);
        return LB_EINVAL;
    }
    if ((v = json_object_get(j, "resource_types")) &&
        (rc = strv_from_json(v, "rules[].resource_types", &r->resource_types,
                             &r->resource_type_count, err)) != 0)
        return rc;
    if ((v = json_object_get(j, "access_levels"))) {
        json_t *l;
        if (!json_is_array(v)) {
            buf_appendf(err, "rules[%zu].access_levels: must be an array", idx);
            return LB_EINVAL;
        }
        json_array_foreach(v, i, l)
        {
            int level = json_is_string(l) ? access_level_parse(json_string_value(l)) : -1;
            if (level < 0) {
                buf_appendf(err, "rules[%zu].access_levels[%zu]: read, write or admin", idx, i);
                return LB_EINVAL;
            }
            r->access_levels |= 1u << level;
        }
    }
    if ((rc = tristate(j, "isolated_identity", &r->isolated_identity, idx, err)) != 0 ||
        (rc = tristate(j, "mfa", &r->mfa, idx, err)) != 0)
        return rc;
    v = json_object_get(j, "effect");
    if (!json_is_string(v) || (strcmp(json_string_value(v), "allow") != 0 &&
                               strcmp(json_string_value(v), "reject") != 0)) {
        buf_appendf(err, "rules[%zu].effect: must be allow or reject", idx);
        return LB_EINVAL;
    }
    r->effect = strcmp(json_string_value(v), "reject") == 0 ? POLICY_REJECT : POLICY_ALLOW;
    if ((v = json_object_get(j, "reason")) && json_is_string(v) &&
        !(r->reason = lb_strdup(json_string_value(v))))
        return LB_ENOMEM;
    v = json_object_get(j, "internal_review");
    if (v && !json_is_boolean(v)) {
        buf_appendf(err, "rules[%zu].internal_review: must be true or false", idx);
        return LB_EINVAL;
    }
    r->internal_review = json_is_true(v);
    v = json_object_get(j, "max_duration_seconds");
    if (v && (!json_is_integer(v) || json_integer_value(v) < 1)) {
        buf_appendf(err, "rules[%zu].max_duration_seconds: must be a positive integer", idx);
        return LB_EINVAL;
    }
    r->max_duration_seconds = v ? json_integer_value(v) : 0;
    return 0;
}

static int read_catalog(json_t *root, struct policy *p, struct buf *err)
{
    char **extra = NULL;
    size_t extra_count = 0, n = policy_default_catalog_count;
    json_t *v = json_object_get(root, "resource_types");
    int rc = 0;

    if (v && (rc = strv_from_json(v, "resource_types", &extra, &extra_count, err)) != 0)
        goto out;
    p->catalog = lb_calloc(n + extra_count, sizeof(char *));
    if (!p->catalog) {
        rc = LB_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (!(p->catalog[p->catalog_count++] = lb_strdup(policy_default_catalog[i])))
            rc = LB_ENOMEM;
    for (size_t i = 0; i < extra_count; i++) {
        p->catalog[p->catalog_count++] = extra[i];
        extra[i] = NULL;
    }
out:
    strv_free(extra, extra_count);
    return rc;
}

int policy_file_load(const char *path, struct policy **out, struct buf *err)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr), *rules, *v;
    struct policy *p = NULL;
    size_t i;
    int rc = LB_EINVAL;

    if (!root) {
        /* no line: the file could not be read, and jansson's text names it already */
        if (jerr.line > 0)
            buf_appendf(err, "%s:%d: %s", path, jerr.line, jerr.text);
        else if (strstr(jerr.text, path))
            buf_puts(err, jerr.text);
        else
            buf_appendf(err, "%s: %s", path, jerr.text);
        return jerr.line <= 0 ? LB_EIO : LB_EINVAL;
    }
    rules = json_object_get(root, "rules");
    if (!json_is_object(root) || !json_is_array(rules)) {
        buf_appendf(err, "%s: must be an object with a \"rules\" array", path);
        goto out;
    }
    if (!(p = lb_calloc(1, sizeof(*p)))) {
        rc = LB_ENOMEM;
        goto out;
    }
    if ((rc = read_catalog(root, p, err)) != 0)
        goto out;
    p->rules = lb_calloc(json_array_size(rules) + 1, sizeof(*p->rules));
    if (!p->rules) {
        rc = LB_ENOMEM;
        goto out;
    }
    json_array_foreach(rules, i, v)
    {
        p->rule_count = i + 1;
        if ((rc = read_rule(v, i, &p->rules[i], err)) != 0)
            goto out;
    }
    *out = p;
    p = NULL;
    rc = 0;
out:
    policy_free(p);
    json_decref(root);
    return rc;
}
