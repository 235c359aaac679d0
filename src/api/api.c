#include "api/api.h"

#include "api/api_int.h"
#include "util/mem.h"
#include "util/timeutil.h"

#include <ctype.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/banned.h"

/* ---- errors ---- */

/* detail: what the answer says whatever the call, where the cause is the server's state and
 * not the call (NULL: the caller's detail). */
static const struct {
    int lb_code, status;
    const char *code, *detail;
} error_map[] = {
    {LB_EINVAL, 400, "invalid_argument", NULL},
    {LB_EUNAUTH, 401, "unauthenticated", NULL},
    {LB_EFORBIDDEN, 403, "permission_denied", NULL},
    {LB_ENOTFOUND, 404, "not_found", NULL},
    {LB_ECONFLICT, 409, "conflict", NULL},
    {LB_EEXISTS, 409, "conflict", NULL},
    {LB_EPRECONDITION, 409, "failed_precondition", NULL},
    {LB_ENOMEM, 503, "unavailable", NULL},
    {LB_ENOSPC, 503, "unavailable",
     "the server's storage is full: nothing was changed; try again once an operator has freed "
     "space"},
    {LB_EUNAVAIL, 503, "unavailable",
     "the store cannot be reached now: nothing was changed; try again in a few seconds"},
    {LB_ESTORE, 500, "internal", NULL},
    {LB_EIO, 500, "internal", NULL},
    {LB_ERATELIMIT, 429, "rate_limited", NULL},
    {LB_EKEY, 500, "internal", NULL},
};

static size_t error_index(int lb_code)
{
    size_t i = 0;

    for (; i < sizeof(error_map) / sizeof(error_map[0]); i++)
        if (error_map[i].lb_code == lb_code)
            break;
    return i;
}

int api_status_of(int lb_code, const char **code)
{
    size_t i = error_index(lb_code);

    if (i == sizeof(error_map) / sizeof(error_map[0])) {
        *code = "internal";
        return 500;
    }
    *code = error_map[i].code;
    return error_map[i].status;
}

const char *api_status_detail(int lb_code)
{
    size_t i = error_index(lb_code);

    return i < sizeof(error_map) / sizeof(error_map[0]) ? error_map[i].detail : NULL;
}

const char *api_status_title(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return status >= 500 ? "Internal Server Error" : "Error";
    }
}

static void vfail(struct api_call *call, int status, const char *code, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void vfail(struct api_call *call, int status, const char *code, const char *fmt, va_list ap)
{
    json_decref(call->response);
    call->response = NULL;
    call->status = status;
    call->code = code;
    call->lb_code = 0;
    buf_reset(&call->detail);
    buf_vappendf(&call->detail, fmt, ap);
}

void api_fail(struct api_call *call, int lb_code, const char *fmt, ...)
{
    const char *code, *fixed = api_status_detail(lb_code);
    int status = api_status_of(lb_code, &code);
    va_list ap;

    if (fixed) {
        api_fail_status(call, status, code, "%s", fixed);
    } else {
        va_start(ap, fmt);
        vfail(call, status, code, fmt, ap);
        va_end(ap);
    }
    call->lb_code = lb_code;
    if (lb_code == LB_EUNAVAIL)
        call->retry_after = API_RETRY_AFTER_UNAVAIL;
}

void api_fail_status(struct api_call *call, int status, const char *code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail(call, status, code, fmt, ap);
    va_end(ap);
}

void api_call_release(struct api_call *call)
{
    json_decref(call->response);
    call->response = NULL;
    buf_release(&call->detail);
    if (call->set_cookie)
        sodium_memzero(call->set_cookie, strlen(call->set_cookie));
    lb_free(call->set_cookie);
    call->set_cookie = NULL;
}

void api_reply(struct api_call *call, int status, json_t *body)
{
    if (!body) {
        api_fail(call, LB_ENOMEM, "out of memory");
        return;
    }
    json_decref(call->response);
    call->response = body;
    call->status = status;
}

void api_reply_core_error(struct api_call *call, int rc, struct buf *err, const char *fallback)
{
    if (err && err->len)
        api_fail(call, rc, "%s", buf_cstr(err));
    else if (rc == LB_ESTORE || rc == LB_EIO || rc == LB_EKEY)
        api_fail(call, rc, "the server could not complete the request");
    else
        api_fail(call, rc, "%s", fallback);
}

/* ---- field readers ---- */

static bool text_ok(const char *s, enum api_text_kind kind)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == 0x7f)
            return false;
        if (*p < 0x20 && !(kind == API_TEXT_MULTILINE && (*p == '\n' || *p == '\t' || *p == '\r')))
            return false;
    }
    return true;
}

bool api_body_object(struct api_call *call, bool optional)
{
    if (!call->body && optional) {
        call->body = json_object();
        return call->body != NULL;
    }
    if (!json_is_object(call->body)) {
        api_fail(call, LB_EINVAL, "the body must be a JSON object");
        return false;
    }
    return true;
}

bool api_field_str(struct api_call *call, json_t *obj, const char *key, bool required,
                   size_t max_len, enum api_text_kind kind, const char **out)
{
    json_t *v = json_object_get(obj, key);

    *out = NULL;
    if (!v || (json_is_null(v) && !required)) {
        if (required)
            api_fail(call, LB_EINVAL, "%s: is required", key);
        return !required;
    }
    if (!json_is_string(v)) {
        api_fail(call, LB_EINVAL, "%s: must be a string", key);
        return false;
    }
    if (json_string_length(v) == 0 && required) {
        api_fail(call, LB_EINVAL, "%s: must not be empty", key);
        return false;
    }
    if (json_string_length(v) > max_len) {
        api_fail(call, LB_EINVAL, "%s: longer than %zu bytes", key, max_len);
        return false;
    }
    if (!text_ok(json_string_value(v), kind)) {
        api_fail(call, LB_EINVAL, "%s: holds control characters", key);
        return false;
    }
    *out = json_string_value(v);
    return true;
}

bool api_field_int(struct api_call *call, json_t *obj, const char *key, int64_t min, int64_t max,
                   bool *present, int64_t *out)
{
    json_t *v = json_object_get(obj, key);

    *present = v != NULL && !json_is_null(v);
    if (!*present)
        return true;
    if (!json_is_integer(v)) {
        api_fail(call, LB_EINVAL, "%s: must be an integer", key);
        return false;
    }
    *out = json_integer_value(v);
    if (*out < min || *out > max) {
        api_fail(call, LB_EINVAL, "%s: must be between %lld and %lld", key, (long long)min,
                 (long long)max);
        return false;
    }
    return true;
}

bool api_field_bool(struct api_call *call, json_t *obj, const char *key, bool *present, bool *out)
{
    json_t *v = json_object_get(obj, key);

    *present = v != NULL && !json_is_null(v);
    if (!*present)
        return true;
    if (!json_is_boolean(v)) {
        api_fail(call, LB_EINVAL, "%s: must be true or false", key);
        return false;
    }
    *out = json_is_true(v);
    return true;
}

bool api_field_strv(struct api_call *call, json_t *obj, const char *key, bool required,
                    size_t max_count, size_t max_len, char ***out, size_t *count)
{
    json_t *v = json_object_get(obj, key), *item;
    size_t i;

    *out = NULL;
    *count = 0;
    if (!v || json_is_null(v)) {
        if (required)
            api_fail(call, LB_EINVAL, "%s: is required", key);
        return !required;
    }
    if (!json_is_array(v)) {
        api_fail(call, LB_EINVAL, "%s: must be an array of strings", key);
        return false;
    }
    if (json_array_size(v) > max_count || (required && json_array_size(v) == 0)) {
        api_fail(call, LB_EINVAL, "%s: must hold 1 to %zu entries", key, max_count);
        return false;
    }
    *out = lb_calloc(json_array_size(v) + 1, sizeof(char *));
    if (!*out) {
        api_fail(call, LB_ENOMEM, "out of memory");
        return false;
    }
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item) || json_string_length(item) == 0 ||
            json_string_length(item) > max_len ||
            !text_ok(json_string_value(item), API_TEXT_LINE)) {
            api_fail(call, LB_EINVAL,
                     "%s[%zu]: must be a non-empty one-line string of at most %zu bytes", key, i,
                     max_len);
            lb_free(*out);
            *out = NULL;
            return false;
        }
        (*out)[i] = (char *)json_string_value(item);
    }
    *count = json_array_size(v);
    return true;
}

bool api_value_is_deeper_than(json_t *v, size_t max_depth)
{
    const char *key;
    json_t *item;
    size_t i;

    if (!json_is_array(v) && !json_is_object(v))
        return false;
    if (max_depth == 0)
        return true;
    if (json_is_array(v)) {
        json_array_foreach(v, i, item)
        {
            if (api_value_is_deeper_than(item, max_depth - 1))
                return true;
        }
        return false;
    }
    json_object_foreach(v, key, item)
    {
        if (api_value_is_deeper_than(item, max_depth - 1))
            return true;
    }
    return false;
}

struct json_sink {
    struct buf *b;
    bool too_long;
};

static int json_sink_put(const char *text, size_t len, void *ctx)
{
    struct json_sink *sink = ctx;

    if (sink->b->max && sink->b->len + len > sink->b->max) {
        sink->too_long = true;
        return -1;
    }
    buf_append(sink->b, text, len);
    return buf_ok(sink->b) ? 0 : -1;
}

bool api_field_json(struct api_call *call, json_t *obj, const char *key, size_t max_depth,
                    size_t max_len, char **out)
{
    json_t *v = json_object_get(obj, key);
    struct buf text;
    struct json_sink sink = {.b = &text};

    *out = NULL;
    if (!v || json_is_null(v))
        return true;
    /* checked first: the depth bound also bounds the dump's recursion */
    if (api_value_is_deeper_than(v, max_depth)) {
        api_fail(call, LB_EINVAL, "%s: nests arrays and objects deeper than %zu levels", key,
                 max_depth);
        return false;
    }
    buf_init(&text, max_len);
    if (json_dump_callback(v, json_sink_put, &sink, JSON_COMPACT | JSON_ENCODE_ANY) != 0 ||
        !(*out = buf_take(&text))) {
        if (sink.too_long)
            api_fail(call, LB_EINVAL, "%s: longer than %zu bytes of compact JSON", key, max_len);
        else
            api_fail(call, LB_ENOMEM, "out of memory");
        buf_release(&text);
        return false;
    }
    return true;
}

bool api_email_is_valid(const char *s)
{
    const char *at = strchr(s, '@');

    if (!at || at == s || !at[1] || strchr(at + 1, '@') || strlen(s) > 254)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p == 0x7f || *p == '<' || *p == '>' || *p == ',' || *p == ';')
            return false;
    return true;
}

bool api_username_is_valid(const char *s)
{
    size_t len = strlen(s);

    if (len == 0 || len > 64)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!isalnum(*p) && *p != '.' && *p != '_' && *p != '-' && *p != '@')
            return false;
    return true;
}

/* ---- JSON writers ---- */

json_t *api_json_user(const struct user *u, const struct role_list *roles, unsigned provider_roles)
{
    json_t *r = json_array();

    (void)provider_roles;
    for (size_t i = 0; r && roles && i < roles->count; i++)
        json_array_append_new(r, json_pack("{s:s, s:s}", "role", roles->items[i].role, "scope",
                                           roles->items[i].scope));
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:b, s:b, s:o}", "id", u->id, "username",
                     u->username, "display_name", wire_str_or_null(u->display_name), "email",
                     wire_str_or_null(u->email), "tenant_id", wire_str_or_null(u->tenant_id),
                     "roles", r ? r : json_array(), "isolated_identity", u->isolated_identity,
                     "totp_enrolled", u->totp_secret != NULL, "created_at",
                     wire_time(u->created_at));
}

json_t *api_json_settings(const struct tenant_settings *s)
{
    return json_pack(
        "{s:b, s:I, s:I, s:I, s:I, s:o, s:b, s:I, s:o, s:s, s:I, s:b}", "lockbox_enabled",
        s->lockbox_enabled, "pending_expiry_seconds", (json_int_t)s->pending_expiry_seconds,
        "default_grant_seconds", (json_int_t)s->default_grant_seconds, "max_grant_seconds",
        (json_int_t)s->max_grant_seconds, "required_approvals", (json_int_t)s->required_approvals,
        "notification_emails", wire_strv(s->notification_emails, s->notification_email_count),
        "email_links", s->email_links, "reminder_before_seconds",
        (json_int_t)s->reminder_before_seconds, "audit_syslog_url",
        wire_str_or_null(s->audit_syslog_url && *s->audit_syslog_url ? s->audit_syslog_url : NULL),
        "audit_syslog_profile", s->audit_syslog_profile ? s->audit_syslog_profile : "lockbox",
        "audit_retention_seconds", (json_int_t)s->audit_retention_seconds, "grant_report_mail",
        s->grant_report_mail);
}

json_t *api_json_tenant(const struct tenant *t)
{
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "id", t->id, "name", t->name, "plan",
                     t->plan, "created_at", wire_time(t->created_at), "settings",
                     api_json_settings(&t->settings), "resource_scopes",
                     wire_strv(t->resource_scopes, t->resource_scope_count));
}

json_t *api_json_role(const struct role_assignment *r)
{
    return json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:o}", "id", r->id, "tenant_id",
                     wire_str_or_null(r->tenant_id), "user_id", r->user_id, "username", r->username,
                     "role", r->role, "scope", r->scope, "created_at", wire_time(r->created_at));
}

json_t *api_json_ticket(const struct ticket *t)
{
    json_t *h = json_array();

    for (size_t i = 0; h && i < t->history_count; i++)
        json_array_append_new(h, json_pack("{s:o, s:s, s:s, s:s}", "at",
                                           wire_time(t->history[i].at), "by", t->history[i].by,
                                           "type", t->history[i].type, "text", t->history[i].text));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "id", t->id, "tenant_id",
                     t->tenant_id, "title", t->title, "description", t->description, "severity",
                     t->severity, "status", t->status, "created_by", t->created_by_username,
                     "created_at", wire_time(t->created_at), "history", h ? h : json_array());
}

/* ---- query parameters ---- */

bool api_query_time(struct api_call *call, const char *key, bool *present, int64_t *out)
{
    const char *v = call->query(call->query_ctx, key);

    *out = 0;
    *present = v != NULL;
    if (!v)
        return true;
    if (time_parse_rfc3339(v, out) != 0) {
        api_fail(call, LB_EINVAL, "%s: must be an RFC 3339 time such as 2026-11-22T10:15:30Z", key);
        return false;
    }
    return true;
}

bool api_query_text(struct api_call *call, const char *key, size_t max_len, const char **out)
{
    const char *v = call->query(call->query_ctx, key);

    *out = NULL;
    if (!v)
        return true;
    if (!*v || strlen(v) > max_len || !text_ok(v, API_TEXT_LINE)) {
        api_fail(call, LB_EINVAL, "%s: must be one line of 1 to %zu bytes", key, max_len);
        return false;
    }
    *out = v;
    return true;
}

/* ---- paging ---- */

bool api_page_params(struct api_call *call, const char *scope, size_t *limit, int64_t *cursor)
{
    const char *l = call->query(call->query_ctx, "limit");
    const char *t = call->query(call->query_ctx, "page_token");
    char *end = NULL;
    long v;

    *limit = 50;
    *cursor = 0;
    if (l) {
        v = strtol(l, &end, 10);
        if (!*l || *end || v < 1 || v > 1000) {
            api_fail(call, LB_EINVAL, "limit: must be an integer from 1 to 1000");
            return false;
        }
        *limit = (size_t)v;
    }
    if (t && core_page_token_decode(call->core, scope, t, cursor) != 0) {
        api_fail(call, LB_EINVAL, "page_token: not a token of this listing");
        return false;
    }
    return true;
}

void api_reply_page(struct api_call *call, json_t *items, const char *scope, bool more,
                    int64_t next_cursor)
{
    char *token = NULL;
    json_t *body;

    if (!items) {
        api_fail(call, LB_ENOMEM, "out of memory");
        return;
    }
    if (more && core_page_token_encode(call->core, scope, next_cursor, &token) != 0) {
        json_decref(items);
        api_fail(call, LB_ENOMEM, "out of memory");
        return;
    }
    body = json_pack("{s:o, s:o}", "items", items, "next_page_token",
                     token ? json_string(token) : json_null());
    lb_free(token);
    api_reply(call, 200, body);
}
