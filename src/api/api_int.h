/*
 * api_int.h - helpers shared by the handlers of api/: reading fields out of a JSON body with
 * errors that name the field, writing core's structs as JSON, and list paging.
 *
 * Field readers return true when the field is good (or absent and optional) and otherwise set
 * a 400 answer on the call and return false. Strings they return are borrowed from the body.
 * JSON writers return new references (NULL when out of memory).
 */
#ifndef LB_API_API_INT_H
#define LB_API_API_INT_H

#include "api/api.h"
#include "wire/wire.h"

enum api_text_kind {
    API_TEXT_LINE,      /* one line: no control characters */
    API_TEXT_MULTILINE, /* newlines and tabs allowed */
};

bool api_field_str(struct api_call *call, json_t *obj, const char *key, bool required,
                   size_t max_len, enum api_text_kind kind, const char **out);
bool api_field_int(struct api_call *call, json_t *obj, const char *key, int64_t min, int64_t max,
                   bool *present, int64_t *out);
bool api_field_bool(struct api_call *call, json_t *obj, const char *key, bool *present, bool *out);
/* The bounds of a free JSON value a client stores (an operator action's details): arrays and
 * objects nested at most API_JSON_MAX_DEPTH deep ({} and [] are depth 1, a scalar 0), and at
 * most API_JSON_MAX_LEN bytes as compact JSON. Deeper values would make the audit pages that
 * hold them too deep for JSON parsers (jansson stops at 2048) to read back. */
#define API_JSON_MAX_DEPTH 32
#define API_JSON_MAX_LEN 16384
/* Any JSON value nested at most max_depth deep and at most max_len bytes long as compact JSON;
 * *out is its compact text (a new string, free with lb_free), NULL when absent or null. */
bool api_field_json(struct api_call *call, json_t *obj, const char *key, size_t max_depth,
                    size_t max_len, char **out);
/* true when v nests arrays and objects more than max_depth deep. */
bool api_value_is_deeper_than(json_t *v, size_t max_depth);
/* A JSON array of strings; *out is a new array of borrowed strings (free with lb_free). */
bool api_field_strv(struct api_call *call, json_t *obj, const char *key, bool required,
                    size_t max_count, size_t max_len, char ***out, size_t *count);
/* Requires the body to be a JSON object (an empty body counts as {} when optional). */
bool api_body_object(struct api_call *call, bool optional);
/* true when s is a plausible e-mail address without whitespace or control characters. */
bool api_email_is_valid(const char *s);
/* true when s is a valid username: 1-64 of [A-Za-z0-9._@-]. */
bool api_username_is_valid(const char *s);

/* Answers status with a new JSON value (takes the reference). */
void api_reply(struct api_call *call, int status, json_t *body);
/* Answers an error from a core call, using core's detail when it wrote one. */
void api_reply_core_error(struct api_call *call, int rc, struct buf *err, const char *fallback);

json_t *api_json_user(const struct user *u, const struct role_list *roles, unsigned provider_roles);
json_t *api_json_tenant(const struct tenant *t);
json_t *api_json_settings(const struct tenant_settings *s);
json_t *api_json_role(const struct role_assignment *r);
json_t *api_json_ticket(const struct ticket *t);

/* Reads ?key= as an RFC 3339 time into *out and sets *present; any valid time counts, the
 * epoch (0) and earlier too. false (answer set) when malformed. */
bool api_query_time(struct api_call *call, const char *key, bool *present, int64_t *out);
/* Reads ?key= as one line of text of at most max_len bytes into *out (NULL when absent); false
 * (answer set) when it is longer or holds a control character. */
bool api_query_text(struct api_call *call, const char *key, size_t max_len, const char **out);

/* Reads ?limit= (default 50, 1..1000) and ?page_token= for a list bound to scope. */
bool api_page_params(struct api_call *call, const char *scope, size_t *limit, int64_t *cursor);
/* Adds "items" and "next_page_token" (a token for next_cursor when more may follow). */
void api_reply_page(struct api_call *call, json_t *items, const char *scope, bool more,
                    int64_t next_cursor);

#endif
