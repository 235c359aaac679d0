/* Support tickets: create, read, list, comment. */
#include "api/api_int.h"

#include <stdio.h>
#include <string.h>

#include "util/banned.h"

static const char *const severities[] = {"low", "moderate", "high", "critical"};

static bool severity_is_valid(const char *s)
{
    for (size_t i = 0; i < sizeof(severities) / sizeof(severities[0]); i++)
        if (strcmp(s, severities[i]) == 0)
            return true;
    return false;
}

void api_ticket_create(struct api_call *call)
{
    const char *title, *description, *severity;
    struct ticket t = {0};
    struct buf err = BUF_INIT;
    int rc;

    if (!api_body_object(call, false) ||
        !api_field_str(call, call->body, "title", true, 200, API_TEXT_LINE, &title) ||
        !api_field_str(call, call->body, "description", true, 10000, API_TEXT_MULTILINE,
                       &description) ||
        !api_field_str(call, call->body, "severity", false, 16, API_TEXT_LINE, &severity))
        return;
    if (severity && !severity_is_valid(severity)) {
        api_fail(call, LB_EINVAL, "severity: must be one of low, moderate, high, critical");
        return;
    }
    rc = core_ticket_create(call->core, call->principal, call->params[0], title, description,
                            severity ? severity : "moderate", &t, &err);
    if (rc)
        api_reply_core_error(call, rc, &err, "cannot create the ticket");
    else
        api_reply(call, 201, api_json_ticket(&t));
    ticket_clear(&t);
    buf_release(&err);
}

void api_ticket_get(struct api_call *call)
{
    struct ticket t = {0};
    int rc = core_ticket_get(call->core, call->principal, call->params[0], call->params[1], &t);

    if (rc) {
        api_fail(call, rc, rc == LB_ENOTFOUND ? "no such ticket" : "cannot read the ticket");
        return;
    }
    api_reply(call, 200, api_json_ticket(&t));
    ticket_clear(&t);
}

void api_ticket_list(struct api_call *call)
{
    struct ticket_list l = {0};
    char scope[160];
    size_t limit;
    int64_t cursor;
    json_t *arr;
    int rc;

    snprintf(scope, sizeof(scope), "tickets|%s", call->params[0]);
    if (!api_page_params(call, scope, &limit, &cursor))
        return;
    rc = core_ticket_list(call->core, call->principal, call->params[0], cursor, limit, &l);
    if (rc) {
        api_fail(call, rc, rc == LB_ENOTFOUND ? "no such tenant" : "cannot list tickets");
        return;
    }
    arr = json_array();
    for (size_t i = 0; arr && i < l.count; i++)
        json_array_append_new(arr, api_json_ticket(&l.items[i]));
    api_reply_page(call, arr, scope, l.count == limit, l.count ? l.items[l.count - 1].seq : 0);
    ticket_list_clear(&l);
}

void api_ticket_comment(struct api_call *call)
{
    const char *text;
    struct ticket t = {0};
    struct buf err = BUF_INIT;
    int rc;

    if (!api_body_object(call, false) ||
        !api_field_str(call, call->body, "text", true, 10000, API_TEXT_MULTILINE, &text))
        return;
    rc = core_ticket_comment(call->core, call->principal, call->params[0], call->params[1], text,
                             &t, &err);
    if (rc)
        api_reply_core_error(call, rc, &err, "cannot comment on the ticket");
    else
        api_reply(call, 201, api_json_ticket(&t));
    ticket_clear(&t);
    buf_release(&err);
}
