/* GET /api/v1/requests/{id}/report: what was done under a grant, once it ended. */
#include "api/api_int.h"

#include <string.h>

#include "util/banned.h"

/* A record's details as an object (an empty one when they cannot be read). */
static json_t *details_of(const struct audit_record *a)
{
    json_t *d = a->details ? json_loads(a->details, 0, NULL) : NULL;

    if (json_is_object(d))
        return d;
    json_decref(d);
    return json_object();
}

/* {"time","actor","activity","target","details"}: the action as the operator's recorder
 * named it (details.action), not the record's activity (always operator.action). */
static json_t *json_action(const struct audit_record *a)
{
    json_t *d = details_of(a), *inner = json_object_get(d, "details");
    /* details recorded as another JSON value than an object are shown as {"value": it} */
    json_t *details = json_is_object(inner)           ? json_incref(inner)
                      : inner && !json_is_null(inner) ? json_pack("{s:O}", "value", inner)
                                                      : json_object();
    json_t *o = json_pack(
        "{s:o, s:s, s:O, s:O, s:o}", "time", wire_time(a->time), "actor", a->actor ? a->actor : "",
        "activity",
        json_is_string(json_object_get(d, "action")) ? json_object_get(d, "action") : json_null(),
        "target",
        json_is_string(json_object_get(d, "target")) ? json_object_get(d, "target") : json_null(),
        "details", details);

    json_decref(d);
    return o;
}

/* {"time","door","resource_id","access_level","allowed","count"}: count is 1 for an allowance
 * (one per minute) and 1 plus the denials collapsed into the pair's record before it for a
 * denial. */
static json_t *json_door(const struct audit_record *a, bool *allowed, json_int_t *count)
{
    json_t *d = details_of(a);
    json_t *collapsed = json_object_get(d, "collapsed");
    const char *res = json_string_value(json_object_get(d, "resource"));
    const char *level = json_string_value(json_object_get(d, "level"));
    json_t *o;

    *allowed = strcmp(a->activity, "access.allowed") == 0;
    *count = 1 + (json_is_integer(collapsed) && json_integer_value(collapsed) > 0
                      ? json_integer_value(collapsed)
                      : 0);
    o = json_pack("{s:o, s:O, s:s, s:s, s:b, s:I}", "time", wire_time(a->time), "door",
                  json_is_string(json_object_get(d, "door")) ? json_object_get(d, "door")
                                                             : json_null(),
                  "resource_id", res ? res : "", "access_level", level ? level : "", "allowed",
                  *allowed, "count", *count);
    json_decref(d);
    return o;
}

static json_t *json_sent(const struct outbox_msg *m)
{
    return json_pack("{s:s, s:s, s:s, s:o}", "channel", m->channel, "event", m->event, "status",
                     outbox_status_name(m->status), "delivered_at", wire_time(m->delivered_at));
}

/* Appends item to arr; false (arr released) when either is NULL. */
static bool push(json_t **arr, json_t *item)
{
    if (*arr && item && json_array_append_new(*arr, item) == 0)
        return true;
    json_decref(item);
    json_decref(*arr);
    *arr = NULL;
    return false;
}

static json_t *json_report(const struct grant_report *g)
{
    const struct request *r = &g->request;
    const struct audit_list *acts = &g->actions;
    json_t *actions = json_array(), *doors = json_array(), *sent = json_array();
    json_int_t allowed_count = 0, denied_count = 0;

    for (size_t i = 0; i < acts->count; i++)
        push(&actions, json_action(&acts->items[i]));
    for (size_t i = 0; i < g->doors.count; i++) {
        bool allowed;
        json_int_t n;
        if (push(&doors, json_door(&g->doors.items[i], &allowed, &n)))
            *(allowed ? &allowed_count : &denied_count) += n;
    }
    for (size_t i = 0; i < g->notifications.count; i++)
        push(&sent, json_sent(&g->notifications.items[i]));
    if (!actions || !doors || !sent) {
        json_decref(actions);
        json_decref(doors);
        json_decref(sent);
        return NULL;
    }
    return json_pack(
        "{s:s, s:s, s:s, s:o, s:{s:o, s:o, s:o}, s:{s:s, s:o}, s:{s:I, s:o, s:o, s:o},"
        " s:{s:I, s:I, s:o}, s:{s:I, s:o}}",
        "request_id", r->id, "tenant_id", r->tenant_id, "status", request_status_name(r->status),
        "made_at", wire_time(r->grant_ended_at), "grant", "starts_at",
        wire_time(r->grant_starts_at), "ends_at", wire_time(r->grant_ends_at), "ended_at",
        wire_time(r->grant_ended_at), "operator", "username", r->requester_username, "display_name",
        wire_str_or_null(g->operator_user.display_name), "actions", "count",
        (json_int_t)acts->count, "first_at", wire_time(acts->count ? acts->items[0].time : 0),
        "last_at", wire_time(acts->count ? acts->items[acts->count - 1].time : 0), "items", actions,
        "doors", "allowed", allowed_count, "denied", denied_count, "items", doors, "notifications",
        "count", (json_int_t)g->notifications.count, "items", sent);
}

void api_request_report(struct api_call *call)
{
    struct grant_report g = {0};
    struct buf err = BUF_INIT;
    json_t *body;
    int rc = core_request_report(call->core, call->principal, call->params[0], &g, &err);

    if (rc) {
        api_reply_core_error(call, rc, &err, "cannot read the report");
        goto out;
    }
    if (!(body = json_report(&g))) {
        api_fail(call, LB_ENOMEM, "out of memory");
        goto out;
    }
    api_reply(call, 200, body);
out:
    grant_report_clear(&g);
    buf_release(&err);
}
