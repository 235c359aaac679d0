/* API tokens of service accounts: /api/v1/users/{id}/tokens for platform admins. The token
 * itself is in the 201 answer only; the store keeps its hash. */
#include "api/api_int.h"

#include <sodium.h>
#include <string.h>

#include "util/banned.h"

static json_t *json_token(const struct session *t)
{
    return json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", t->token_id, "name", t->name, "user_id",
                     t->user_id, "created_at", wire_time(t->created_at), "expires_at",
                     wire_time(t->expires_at));
}

void api_token_create(struct api_call *call)
{
    struct session t = {0};
    struct buf err = BUF_INIT;
    char token[TOKEN_LEN];
    const char *name;
    int64_t expires_in = 0;
    bool present;
    json_t *body;
    int rc;

    if (!api_body_object(call, false) ||
        !api_field_str(call, call->body, "name", true, API_TOKEN_NAME_MAX, API_TEXT_LINE, &name) ||
        !api_field_int(call, call->body, "expires_in_seconds", 60, API_TOKEN_TTL_MAX, &present,
                       &expires_in))
        goto out;
    rc = core_token_create(call->core, call->principal, call->params[0], name, expires_in, token,
                           &t, &err);
    if (rc) {
        api_reply_core_error(call, rc, &err, "cannot make the API token");
        goto out;
    }
    body = json_token(&t);
    if (body)
        json_object_set_new(body, "token", json_string(token));
    api_reply(call, 201, body);
out:
    sodium_memzero(token, sizeof(token));
    session_clear(&t);
    buf_release(&err);
}

void api_token_list(struct api_call *call)
{
    struct session_list l = {0};
    struct buf err = BUF_INIT;
    json_t *arr;
    int rc = core_token_list(call->core, call->principal, call->params[0], &l, &err);

    if (rc) {
        api_reply_core_error(call, rc, &err, "cannot list the API tokens");
        buf_release(&err);
        return;
    }
    arr = json_array();
    for (size_t i = 0; arr && i < l.count; i++)
        if (json_array_append_new(arr, json_token(&l.items[i])))
            arr = (json_decref(arr), NULL);
    session_list_clear(&l);
    api_reply_page(call, arr, NULL, false, 0);
}

void api_token_revoke(struct api_call *call)
{
    struct buf err = BUF_INIT;
    int rc = core_token_revoke(call->core, call->principal, call->params[0], call->params[1], &err);

    if (rc)
        api_reply_core_error(call, rc, &err, "cannot revoke the API token");
    else
        call->status = 204;
    buf_release(&err);
}
