/* POST /login and GET /me. */
#include "api/api_int.h"
#include "util/timeutil.h"

#include <sodium.h>
#include <string.h>

#include "util/banned.h"

/* Sets the session cookie (max_age seconds; 0 clears it). */
static int set_session_cookie(struct api_call *call, const char *token, int64_t max_age)
{
    struct buf b = BUF_INIT;

    buf_appendf(&b, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s", API_SESSION_COOKIE,
                token, (long long)(max_age > 0 ? max_age : 0),
                call->secure_cookie ? "; Secure" : "");
    if (!(call->set_cookie = buf_take(&b))) {
        api_fail(call, LB_ENOMEM, "out of memory");
        return LB_ENOMEM;
    }
    return 0;
}

void api_login(struct api_call *call)
{
    const char *username, *password, *totp, *session = NULL;
    char token[TOKEN_LEN], csrf[CSRF_TOKEN_LEN];
    bool cookie;
    struct principal p = {0};
    struct user u = {0};
    struct role_list roles = {0};
    struct buf err = BUF_INIT;
    int64_t expires_at = 0;
    int rc;

    if (!api_body_object(call, false) ||
        !api_field_str(call, call->body, "username", true, 64, API_TEXT_LINE, &username) ||
        !api_field_str(call, call->body, "password", true, 1024, API_TEXT_LINE, &password) ||
        !api_field_str(call, call->body, "totp_code", false, 16, API_TEXT_LINE, &totp) ||
        !api_field_str(call, call->body, "session", false, 16, API_TEXT_LINE, &session))
        return;
    if (session && strcmp(session, "cookie") != 0 && strcmp(session, "token") != 0) {
        api_fail(call, LB_EINVAL, "session: must be \"token\" (default) or \"cookie\"");
        return;
    }
    cookie = session && strcmp(session, "cookie") == 0;
    rc = core_login(call->core, username, password, totp, call->client_ip, token, &expires_at, &p,
                    &call->retry_after, &err);
    if (rc == 0)
        rc = core_user_get(call->core, p.user_id, &u, &roles);
    if (rc) {
        api_reply_core_error(call, rc, &err, "login failed");
        goto out;
    }
    json_t *user = api_json_user(&u, &roles, p.provider_roles);
    if (user)
        json_object_set_new(user, "mfa", json_boolean(p.mfa));
    if (cookie && set_session_cookie(call, token, expires_at - time_now()) != 0)
        goto out;
    if (cookie)
        core_csrf_token(call->core, token, csrf);
    /* a cookie session's token stays in the cookie: the page never holds it */
    api_reply(call, 200,
              json_pack("{s:o, s:o, s:b, s:o}", "token", cookie ? json_null() : json_string(token),
                        "expires_at", wire_time(expires_at), "mfa", p.mfa, "user", user));
    if (cookie && call->response)
        json_object_set_new(call->response, "csrf_token", json_string(csrf));
out:
    sodium_memzero(token, sizeof(token));
    sodium_memzero(csrf, sizeof(csrf));
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
    body = api_json_user(&u, &roles, call->principal->provider_roles);
    if (body)
        json_object_set_new(body, "mfa", json_boolean(call->principal->mfa));
    if (body && call->cookie_session) {
        char csrf[CSRF_TOKEN_LEN];
        core_csrf_token(call->core, call->token, csrf);
        json_object_set_new(body, "csrf_token", json_string(csrf));
        sodium_memzero(csrf, sizeof(csrf));
    }
    api_reply(call, 200, body);
    user_clear(&u);
    role_list_clear(&roles);
}

void api_logout(struct api_call *call)
{
    int rc = core_logout(call->core, call->principal, call->token);

    if (rc) {
        api_fail(call, rc, "the session has already ended");
        return;
    }
    if (call->cookie_session && set_session_cookie(call, "", 0) != 0)
        return;
    call->status = 204;
}
