/* Webhook endpoints: /api/v1/tenants/{t}/webhooks for a tenant's admins, /api/v1/webhooks for
 * platform admins (every tenant's events). The secret is in the 201 answer only. */
#include "api/api_int.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

static json_t *json_webhook(const struct webhook *w, bool with_secret)
{
    json_t *o =
        json_pack("{s:s, s:o, s:s, s:o, s:o}", "id", w->id, "tenant_id",
                  wire_str_or_null(w->tenant_id), "url", w->url, "events",
                  wire_strv(w->events, w->event_count), "created_at", wire_time(w->created_at));

    if (o && with_secret)
        json_object_set_new(o, "secret", json_string(w->secret));
    return o;
}

static void create(struct api_call *call, const char *tenant_id)
{
    struct webhook w = {0};
    struct buf err = BUF_INIT;
    const char *url;
    char **events = NULL;
    size_t count = 0;
    int rc;

    if (!api_body_object(call, false) ||
        !api_field_str(call, call->body, "url", true, 2048, API_TEXT_LINE, &url) ||
        !api_field_strv(call, call->body, "events", true, 16, 64, &events, &count))
        goto out;
    rc = core_webhook_create(call->core, call->principal, tenant_id, url, events, count, &w, &err);
    if (rc)
        api_reply_core_error(call, rc, &err, "cannot register the webhook");
    else
        api_reply(call, 201, json_webhook(&w, true));
out:
    lb_free(events);
    webhook_clear(&w);
    buf_release(&err);
}

static void list(struct api_call *call, const char *tenant_id)
{
    struct webhook_list l = {0};
    json_t *arr;
    int rc = core_webhook_list(call->core, call->principal, tenant_id, &l);

    if (rc) {
        api_fail(call, rc, rc == LB_ENOTFOUND ? "no such tenant" : "cannot list the webhooks");
        return;
    }
    arr = json_array();
    for (size_t i = 0; arr && i < l.count; i++)
        if (json_array_append_new(arr, json_webhook(&l.items[i], false)))
            arr = (json_decref(arr), NULL);
    webhook_list_clear(&l);
    api_reply_page(call, arr, NULL, false, 0);
}

static void delete (struct api_call *call, const char *tenant_id, const char *id)
{
    struct buf err = BUF_INIT;
    int rc = core_webhook_delete(call->core, call->principal, tenant_id, id, &err);

    if (rc)
        api_reply_core_error(call, rc, &err, "cannot remove the webhook");
    else
        call->status = 204;
    buf_release(&err);
}

void api_tenant_webhook_create(struct api_call *call)
{
    create(call, call->params[0]);
}

void api_tenant_webhook_list(struct api_call *call)
{
    list(call, call->params[0]);
}

void api_tenant_webhook_delete(struct api_call *call)
{
    delete (call, call->params[0], call->params[1]);
}

void api_webhook_create(struct api_call *call)
{
    create(call, NULL);
}

void api_webhook_list(struct api_call *call)
{
    list(call, NULL);
}

void api_webhook_delete(struct api_call *call)
{
    delete (call, NULL, call->params[0]);
}
