/* Access requests: create, read, list and the transitions. */
#include "api/api_int.h"
#include "util/mem.h"
#include "util/strv.h"

#include <stdio.h>
#include <string.h>

#include "util/banned.h"

void api_request_create(struct api_call *call)
{
    struct request_create in = {0};
    const char *level;
    char **ids = NULL;
    struct request r = {0};
    struct buf err = BUF_INIT;
    bool present;
    int rc;

    if (!api_body_object(call, false) ||
        !api_field_str(call, call->body, "tenant_id", true, 64, API_TEXT_LINE, &in.tenant_id) ||
        !api_field_str(call, call->body, "ticket_id", true, 64, API_TEXT_LINE, &in.ticket_id) ||
        !api_field_str(call, call->body, "resource_type", true, 128, API_TEXT_LINE,
                       &in.resource_type) ||
        !api_field_strv(call, call->body, "resource_ids", true, 100, 512, &ids,
                        &in.resource_count) ||
        !api_field_str(call, call->body, "access_level", true, 16, API_TEXT_LINE, &level) ||
        !api_field_str(call, call->body, "justification", true, 2000, API_TEXT_MULTILINE,
                       &in.justification) ||
        !api_field_int(call, call->body, "duration_seconds", 1, 10LL * 365 * 86400, &present,
                       &in.duration_seconds))
        goto out;
    in.resource_ids = ids;
    for (size_t i = 0; i < in.resource_count; i++)
        if (ids[i][0] != '/') {
            api_fail(call, LB_EINVAL, "resource_ids[%zu]: must start with '/'", i);
            goto out;
        }
    if (access_level_parse(level) < 0) {
        api_fail(call, LB_EINVAL, "access_level: must be one of read, write, admin");
        goto out;
    }
    in.access_level = (enum access_level)access_level_parse(level);
    rc = core_request_create(call->core, call->principal, &in, &r, &err);
    if (rc)
        api_reply_core_error(call, rc, &err, "cannot create the request");
    else
        api_reply(call, 201, wire_request(&r));
out:
    lb_free(ids);
    request_clear(&r);
    buf_release(&err);
}

void api_request_get(struct api_call *call)
{
    struct request r = {0};
    int rc = core_request_get(call->core, call->principal, call->params[0], &r);

    if (rc) {
        api_fail(call, rc, rc == LB_ENOTFOUND ? "no such request" : "cannot read the request");
        return;
    }
    api_reply(call, 200, wire_request(&r));
    request_clear(&r);
}

void api_request_list(struct api_call *call)
{
    const char *tenant = call->query(call->query_ctx, "tenant_id");
    const char *status = call->query(call->query_ctx, "status");
    const char *requester = call->query(call->query_ctx, "requester");
    struct request_filter f = {.status = -1};
    struct request_list l = {0};
    struct buf scope = BUF_INIT;
    json_t *arr;
    int rc;

    if (status && request_status_parse(status) < 0) {
        struct buf msg = BUF_INIT;
        buf_puts(&msg, "status: not a request status (one of ");
        for (size_t i = 0; i < request_status_count(); i++)
            buf_appendf(&msg, "%s%s", i ? ", " : "", request_status_name((enum request_status)i));
        buf_puts(&msg, ")");
        api_fail(call, LB_EINVAL, "%s",
                 msg.failed ? "status: not a request status" : buf_cstr(&msg));
        buf_release(&msg);
        return;
    }
    if (!api_query_time(call, "from", &f.has_created_from, &f.created_from) ||
        !api_query_time(call, "to", &f.has_created_to, &f.created_to) ||
        !api_query_text(call, "q", 200, &f.text))
        return;
    /* the token is bound to the caller and every filter: it cannot be replayed elsewhere */
    buf_appendf(&scope, "requests|%s|%s|%s|%s|%s%lld|%s%lld|%s", call->principal->user_id,
                tenant ? tenant : "", status ? status : "", requester ? requester : "",
                f.has_created_from ? "@" : "none", (long long)f.created_from,
                f.has_created_to ? "@" : "none", (long long)f.created_to, f.text ? f.text : "");
    if (!buf_ok(&scope)) {
        api_fail(call, LB_ENOMEM, "out of memory");
        goto out;
    }
    if (!api_page_params(call, buf_cstr(&scope), &f.limit, &f.before_seq))
        goto out;
    f.tenant_id = tenant;
    f.status = status ? request_status_parse(status) : -1;
    f.requester_username = requester;
    rc = core_request_list(call->core, call->principal, &f, &l);
    if (rc) {
        api_fail(call, rc, "cannot list requests");
        goto out;
    }
    arr = json_array();
    for (size_t i = 0; arr && i < l.count; i++)
        json_array_append_new(arr, wire_request(&l.items[i]));
    api_reply_page(call, arr, buf_cstr(&scope), l.count == f.limit,
                   l.count ? l.items[l.count - 1].seq : 0);
    request_list_clear(&l);
out:
    buf_release(&scope);
}

static json_t *json_notification(const struct outbox_msg *m, bool show_error)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:o}", "id", m->id,
                          "channel", m->channel, "to", m->recipient, "event", m->event, "status",
                          outbox_status_name(m->status), "attempts", (json_int_t)m->attempts,
                          "created_at", wire_time(m->created_at), "last_attempt_at",
                          wire_time(m->last_attempt_at), "delivered_at", wire_time(m->delivered_at),
                          "next_attempt_at", wire_time(m->next_attempt_at));

    if (o && show_error)
        json_object_set_new(o, "last_error", wire_str_or_null(m->last_error));
    return o;
}

void api_request_notifications(struct api_call *call)
{
    struct outbox_list l = {0};
    bool show_errors = false;
    json_t *arr;
    int rc =
        core_request_notifications(call->core, call->principal, call->params[0], &l, &show_errors);

    if (rc) {
        api_fail(call, rc,
                 rc == LB_ENOTFOUND ? "no such request"
                                    : "only provider staff, the tenant's admins and the request's "
                                      "approvers read its notifications");
        return;
    }
    arr = json_array();
    for (size_t i = 0; arr && i < l.count; i++)
        if (json_array_append_new(arr, json_notification(&l.items[i], show_errors)))
            arr = (json_decref(arr), NULL);
    outbox_list_clear(&l);
    if (!arr) {
        api_fail(call, LB_ENOMEM, "out of memory");
        return;
    }
    api_reply(call, 200, json_pack("{s:o}", "items", arr));
}

/* Reads {"decision":"approve"|"deny","reason"?}. */
static bool read_decision(struct api_call *call, bool *approve, const char **reason)
{
    const char *d;

    if (!api_body_object(call, false) ||
        !api_field_str(call, call->body, "decision", true, 16, API_TEXT_LINE, &d) ||
        !api_field_str(call, call->body, "reason", false, 1000, API_TEXT_MULTILINE, reason))
        return false;
    if (strcmp(d, "approve") != 0 && strcmp(d, "deny") != 0) {
        api_fail(call, LB_EINVAL, "decision: must be approve or deny");
        return false;
    }
    *approve = strcmp(d, "approve") == 0;
    return true;
}

typedef int decide_fn(struct core *c, const struct principal *actor, const char *id, bool approve,
                      const char *reason, struct request *out, struct buf *err);
typedef int end_fn(struct core *c, const struct principal *actor, const char *id,
                   const char *reason, struct request *out, struct buf *err);

static void finish(struct api_call *call, int rc, struct request *r, struct buf *err)
{
    if (rc)
        api_reply_core_error(call, rc, err, "the request cannot be changed");
    else
        api_reply(call, 200, wire_request(r));
    request_clear(r);
    buf_release(err);
}

static void decide(struct api_call *call, decide_fn *fn)
{
    struct request r = {0};
    struct buf err = BUF_INIT;
    const char *reason;
    bool approve;

    if (!read_decision(call, &approve, &reason))
        return;
    finish(call, fn(call->core, call->principal, call->params[0], approve, reason, &r, &err), &r,
           &err);
}

static void end(struct api_call *call, end_fn *fn)
{
    struct request r = {0};
    struct buf err = BUF_INIT;
    const char *reason;

    if (!api_body_object(call, true) ||
        !api_field_str(call, call->body, "reason", false, 1000, API_TEXT_MULTILINE, &reason))
        return;
    finish(call, fn(call->core, call->principal, call->params[0], reason, &r, &err), &r, &err);
}

void api_request_review(struct api_call *call)
{
    decide(call, core_request_review);
}

void api_request_decision(struct api_call *call)
{
    decide(call, core_request_decide);
}

void api_request_cancel(struct api_call *call)
{
    end(call, core_request_cancel);
}

void api_request_revoke(struct api_call *call)
{
    end(call, core_request_revoke);
}

/* GET /catalog: what a request may name, for any signed-in caller (a request's author, and
 * whoever reads one). */
void api_catalog(struct api_call *call)
{
    static const enum access_level levels[] = {ACCESS_READ, ACCESS_WRITE, ACCESS_ADMIN};
    json_t *types = json_array(), *names = json_array();
    char **catalog = NULL;
    size_t count = 0;
    int rc = core_catalog(call->core, &catalog, &count);

    for (size_t i = 0; rc == 0 && types && i < count; i++)
        if (json_array_append_new(types, json_string(catalog[i])) != 0)
            rc = LB_ENOMEM;
    for (size_t i = 0; rc == 0 && names && i < sizeof(levels) / sizeof(levels[0]); i++)
        if (json_array_append_new(names, json_string(access_level_name(levels[i]))) != 0)
            rc = LB_ENOMEM;
    strv_free(catalog, count);
    if (rc || !types || !names) {
        json_decref(types);
        json_decref(names);
        api_fail(call, LB_ENOMEM, "out of memory");
        return;
    }
    api_reply(call, 200, json_pack("{s:o, s:o}", "resource_types", types, "access_levels", names));
}
