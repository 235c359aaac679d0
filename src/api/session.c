/* POST /login and GET /me. */
#include "api/api_int.h"

#include <sodium.h>
#include <string.h>

#include "util/banned.h"

void api_login(struct api_call *call)
{
    const char *username, *password, *totp;
    char token[TOKEN_LEN];
    struct principal p = {0};
    struct user u = {0};
    struct role_list roles = {0};
    struct buf err = BUF_INIT;
    int64_t expires_at = 0;
    int rc;

    if (!body_object(call, false) ||
        !field_str(call, call->body, "username", true, 64, TEXT_LINE, &username) ||
        !field_str(call, call->body, "password", true, 1024, TEXT_LINE, &password) ||
        !field_str(call, call->body, "totp_code", false, 16, TEXT_LINE, &totp))
        return;
    rc = core_login(call->core, username, password, totp, call->client_ip, token, &expires_at, &p,
                    &err);
    if (rc == 0)
        rc = core_user_get(call->core, p.user_id, &u, &roles);
    if (rc) {
        reply_core_error(call, rc, &err, "login failed");
        goto out;
    }
    json_t *user = json_user(&u, &roles, p.provider_roles);
    if (user)
        json_object_set_new(user, "mfa", json_boolean(p.mfa));
    reply(call, 200,
          json_pack("{s:s, s:o, s:b, s:o}", "token", token, "expires_at", wire_time(expires_at),
                    "mfa", p.mfa, "user", user));
out:
    sodium_memzero(token, sizeof(token));
    principal_clear(&p);
    user_clear(&u);
    role_list_clear(&roles);
    buf_release(&err);
}

void api_me(struct api_call *call)
{
    struct user u = {0};
    struct role_list roles = {0};
    json_t *body;
    int rc = core_user_get(call->core, call->principal->user_id, &u, &roles);

    if (rc) {
        api_fail(call, rc, "cannot load the user");
        return;
    }
    body = json_user(&u, &roles, call->principal->provider_roles);
    if (body)
        json_object_set_new(body, "mfa", json_boolean(call->principal->mfa));
    reply(call, 200, body);
    user_clear(&u);
    role_list_clear(&roles);
}
