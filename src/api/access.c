/* Enforcement: the access check, nginx's auth_request door, and operator actions. */
#include "api/api_int.h"
#include "util/mem.h"
#include "util/timeutil.h"

#include <assert.h>
#include <string.h>

#include "util/banned.h"

static_assert(ID_LEN <= API_HEADER_VALUE_LEN, "a request id fits a header value");
static_assert(TIME_RFC3339_LEN <= API_HEADER_VALUE_LEN, "a time fits a header value");

void api_access_check(struct api_call *call)
{
    const char *op, *resource, *level, *door;
    struct grant_match m = {0};
    bool allowed = false;
    int rc;

    if (!api_body_object(call, false) ||
        !api_field_str(call, call->body, "operator", true, 64, API_TEXT_LINE, &op) ||
        !api_field_str(call, call->body, "resource_id", true, 512, API_TEXT_LINE, &resource) ||
        !api_field_str(call, call->body, "access_level", true, 16, API_TEXT_LINE, &level) ||
        !api_field_str(call, call->body, "door", false, DOOR_NAME_MAX, API_TEXT_LINE, &door))
        return;
    if (access_level_parse(level) < 0) {
        api_fail(call, LB_EINVAL, "access_level: must be one of read, write, admin");
        return;
    }
    if (door && !door_name_is_valid(door)) {
        api_fail(call, LB_EINVAL, "door: must be 1 to %d of a-z, 0-9, '_', '.', '-'",
                 DOOR_NAME_MAX);
        return;
    }
    rc = core_access_check(call->core, call->principal, op, resource,
                           (enum access_level)access_level_parse(level), door ? door : "check",
                           &allowed, &m);
    if (rc) {
        api_fail(call, rc, "only an enforcer, or a support_engineer for themself, checks access");
        return;
    }
    api_reply(call, 200,
              json_pack("{s:b, s:o, s:o}", "allowed", allowed, "request_id",
                        allowed ? json_string(m.request_id) : json_null(), "ends_at",
                        allowed ? wire_time(m.ends_at) : json_null()));
}

/* The value of header name (1..max_len bytes of printable ASCII) into *out, NULL when absent;
 * false (answer set: 400 naming the header) when it is malformed, or missing and required. */
static bool header_text(struct api_call *call, const char *name, size_t max_len, bool required,
                        const char **out)
{
    const char *v = call->header ? call->header(call->query_ctx, name) : NULL;
    size_t n = 0;

    *out = NULL;
    if (!v || !*v) {
        if (required)
            api_fail(call, LB_EINVAL, "%s: the header is missing (the front proxy sets it)", name);
        return !required;
    }
    for (; v[n]; n++)
        if ((unsigned char)v[n] < 0x20 || (unsigned char)v[n] > 0x7e)
            break;
    if (v[n] || n > max_len) {
        api_fail(call, LB_EINVAL, "%s: must be 1 to %zu printable ASCII characters", name, max_len);
        return false;
    }
    *out = v;
    return true;
}

/* The level a request needs: X-Lockbox-Level, else X-Original-Method (GET and HEAD read, every
 * other method write); -1 (answer set) when neither says. */
static int authz_level(struct api_call *call)
{
    const char *level, *method;
    int l;

    if (!header_text(call, "X-Lockbox-Level", 16, false, &level))
        return -1;
    if (level) {
        if ((l = access_level_parse(level)) < 0)
            api_fail(call, LB_EINVAL, "X-Lockbox-Level: must be one of read, write, admin");
        return l;
    }
    if (!header_text(call, "X-Original-Method", 32, false, &method))
        return -1;
    if (!method) {
        api_fail(call, LB_EINVAL,
                 "X-Lockbox-Level or X-Original-Method: one of them is required (the front "
                 "proxy sets it)");
        return -1;
    }
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ? ACCESS_READ : ACCESS_WRITE;
}

void api_access_authz(struct api_call *call)
{
    const char *op, *resource;
    struct grant_match m = {0};
    bool allowed = false;
    int level, rc;

    if (!header_text(call, "X-Lockbox-Operator", 64, true, &op) ||
        !header_text(call, "X-Lockbox-Resource", 512, true, &resource) ||
        (level = authz_level(call)) < 0)
        return;
    rc = core_access_check(call->core, call->principal, op, resource, (enum access_level)level,
                           "authz", &allowed, &m);
    if (rc) {
        api_fail(call, rc, "only an enforcer, or a support_engineer for themself, checks access");
        return;
    }
    if (!allowed) {
        api_fail(call, LB_EFORBIDDEN, "no approved Lockbox request covers %s for %s", resource,
                 access_level_name((enum access_level)level));
        return;
    }
    call->status = 200;
    call->no_body = true;
    call->headers[0].name = "X-Lockbox-Request";
    memcpy(call->headers[0].value, m.request_id, ID_LEN);
    call->headers[1].name = "X-Lockbox-Grant-Ends";
    time_format_rfc3339(m.ends_at, call->headers[1].value);
    call->header_count = 2;
}

void api_activity_create(struct api_call *call)
{
    const char *activity, *target;
    char *details = NULL;
    struct audit_record rec = {0};
    struct buf err = BUF_INIT;
    int rc;

    if (!api_body_object(call, false) ||
        !api_field_str(call, call->body, "activity", true, 200, API_TEXT_LINE, &activity) ||
        !api_field_str(call, call->body, "target", false, 512, API_TEXT_LINE, &target) ||
        !api_field_json(call, call->body, "details", API_JSON_MAX_DEPTH, API_JSON_MAX_LEN,
                        &details))
        return;
    rc = core_activity_record(call->core, call->principal, call->params[0], activity, target,
                              details, &rec, &err);
    if (rc)
        api_reply_core_error(call, rc, &err, "cannot record the action");
    else
        api_reply(call, 201, wire_audit(&rec));
    lb_free(details);
    audit_record_clear(&rec);
    buf_release(&err);
}
