/* Enforcement: the access check and operator actions. */
#include "api/api_int.h"
#include "util/mem.h"

#include "util/banned.h"

void api_access_check(struct api_call *call)
{
    const char *op, *resource, *level;
    struct grant_match m = {0};
    bool allowed = false;
    int rc;

    if (!body_object(call, false) ||
        !field_str(call, call->body, "operator", true, 64, TEXT_LINE, &op) ||
        !field_str(call, call->body, "resource_id", true, 512, TEXT_LINE, &resource) ||
        !field_str(call, call->body, "access_level", true, 16, TEXT_LINE, &level))
        return;
    if (access_level_parse(level) < 0) {
        api_fail(call, LB_EINVAL, "access_level: must be one of read, write, admin");
        return;
    }
    rc = core_access_check(call->core, call->principal, op, resource,
                           (enum access_level)access_level_parse(level), &allowed, &m);
    if (rc) {
        api_fail(call, rc, "only an enforcer, or a support_engineer for themself, checks access");
        return;
    }
    reply(call, 200,
          json_pack("{s:b, s:o, s:o}", "allowed", allowed, "request_id",
                    allowed ? json_string(m.request_id) : json_null(), "ends_at",
                    allowed ? wire_time(m.ends_at) : json_null()));
}

void api_activity_create(struct api_call *call)
{
    const char *activity, *target;
    char *details = NULL;
    struct audit_record rec = {0};
    struct buf err = BUF_INIT;
    int rc;

    if (!body_object(call, false) ||
        !field_str(call, call->body, "activity", true, 200, TEXT_LINE, &activity) ||
        !field_str(call, call->body, "target", false, 512, TEXT_LINE, &target) ||
        !field_json(call, call->body, "details", API_JSON_MAX_DEPTH, API_JSON_MAX_LEN, &details))
        return;
    rc = core_activity_record(call->core, call->principal, call->params[0], activity, target,
                              details, &rec, &err);
    if (rc)
        reply_core_error(call, rc, &err, "cannot record the action");
    else
        reply(call, 201, json_audit(&rec));
    lb_free(details);
    audit_record_clear(&rec);
    buf_release(&err);
}
