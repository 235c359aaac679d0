/*
 * api.h - the v1 API between HTTP and core: one handler per operation, JSON in and out.
 *
 * The HTTP layer finds the route (api_route_find), authenticates the caller, parses the body
 * and fills a struct api_call; the handler validates the JSON's shape (types, lengths, enum
 * values: 400 naming the field), calls core, and leaves either a response body or a problem in
 * the call. Rules (who may, which state) are core's. The handler returns nothing; the call's
 * `status` says what happened. `response` (owned by the call) is freed by api_call_release.
 * LB_E* codes map to HTTP status and problem `code` in one table (api_status_of). Handlers are
 * reentrant; a call belongs to one thread.
 */
#ifndef LB_API_API_H
#define LB_API_API_H

#include "core/core.h"
#include "core/events.h"
#include "util/buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define API_MAX_PARAMS 4

/* Reads one query-string parameter; NULL when absent. */
typedef const char *api_query_fn(void *ctx, const char *key);

/* A response header a handler adds to its answer (X-Lockbox-Request: ...). */
#define API_MAX_HEADERS 2
#define API_HEADER_VALUE_LEN 64
struct api_header {
    const char *name; /* static */
    char value[API_HEADER_VALUE_LEN];
};

struct api_call {
    struct core *core;
    struct principal *principal;        /* NULL on routes without authentication */
    const char *params[API_MAX_PARAMS]; /* path parameters, in order */
    json_t *body;                       /* the parsed body, or NULL */
    api_query_fn *query;
    api_query_fn *header; /* reads a request header, with query_ctx; NULL when absent */
    void *query_ctx;
    const char *client_ip;
    const char *token;         /* the caller's session token (borrowed), when authenticated */
    bool cookie_session;       /* the token came in the session cookie (the portal), not a header */
    bool secure_cookie;        /* cookies set are marked Secure (the portal is reached over TLS) */
    const char *last_event_id; /* the Last-Event-ID header (borrowed), or NULL */
    /* results */
    int status;
    json_t *response;     /* (owned) the body of a success answer */
    const char *code;     /* problem code of an error answer */
    struct buf detail;    /* problem detail of an error answer */
    const char *location; /* optional Location of a 201 (borrowed from response) */
    char *set_cookie;     /* (owned) a Set-Cookie value for the answer, or NULL */
    int64_t retry_after;  /* seconds for a Retry-After header (with a 429 or a 503); 0: none */
    int lb_code;          /* the LB_E* code of an answer set by api_fail (0: none or another) */
    bool no_body;         /* a success answered by its status and headers alone */
    struct api_header headers[API_MAX_HEADERS]; /* extra headers of a success answer */
    size_t header_count;
    /* GET /api/v1/events answers with a stream, not a body: the server opens it (http/events.h)
     * when `open` is set and no error was */
    struct api_stream {
        bool open;
        struct event_view view;
        int64_t after; /* send the events after this seq */
        bool reset;    /* first tell the client its Last-Event-ID could not be resumed */
    } stream;
    /* GET /api/v1/audit/export answers with a body made as it is sent: the server calls next
     * for each piece (appended to out; 0 with nothing appended ends the body; an error cuts
     * it) and free once, when the answer is done or was never sent; it owns ctx from then */
    struct api_body_stream {
        const char *content_type;
        int (*next)(void *ctx, struct buf *out);
        void (*free)(void *ctx);
        void *ctx;
    } body_stream;
};

/* The portal's session cookie: HttpOnly (script cannot read it), SameSite=Strict (no other
 * site's page sends it), Secure when reached over TLS; state-changing calls made with it must
 * carry the X-CSRF-Token header (core_csrf_token of the session). */
#define API_SESSION_COOKIE "lockbox_session"

typedef void api_handler_fn(struct api_call *call);

struct api_route {
    const char *method;
    const char *pattern; /* "{}" stands for one path segment */
    api_handler_fn *handler;
    bool auth;        /* requires a bearer token */
    bool body;        /* takes a JSON body */
    const char *name; /* for metrics */
};

/* The route table, ending with a zeroed entry. */
extern const struct api_route api_routes[];
extern const size_t api_route_count;

/* Finds the route for method and path, writing path parameters (pointers into `path`, which
 * it modifies) to params. NULL when no route matches; *other_method tells whether the path
 * exists with another method (405). */
const struct api_route *api_route_find(const char *method, char *path,
                                       const char *params[API_MAX_PARAMS], bool *other_method);

/* The methods path answers to, as an Allow header's value ("GET, POST"), into out (at least
 * API_ALLOW_LEN bytes); empty when no route has that path. */
#define API_ALLOW_LEN 32
void api_route_allow(const char *path, char out[API_ALLOW_LEN]);

/* Frees what a call owns. */
void api_call_release(struct api_call *call);

/* Sets an error answer from an LB_E* code with a printf detail (or, for a code the table
 * gives a fixed detail, such as LB_ENOSPC, that detail). LB_EUNAVAIL (the store cannot be
 * reached) also asks the client to retry after API_RETRY_AFTER_UNAVAIL seconds. */
void api_fail(struct api_call *call, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The Retry-After of an answer that met a store that cannot be reached: about when a server
 * that restarts is back, and when the store's prober has found it (store_pg.h). */
#define API_RETRY_AFTER_UNAVAIL 2
/* Sets an error answer with an explicit status and code. */
void api_fail_status(struct api_call *call, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The HTTP status and problem code of an LB_E* code. */
int api_status_of(int lb_code, const char **code);
/* The detail every answer of an LB_E* code gives, whatever the call (LB_ENOSPC: "the server's
 * storage is full..."), or NULL when the call says what was wrong. api_fail applies it. */
const char *api_status_detail(int lb_code);
/* The title of an HTTP status for problem documents. */
const char *api_status_title(int status);

/* ---- handlers, one file per resource ---- */
void api_login(struct api_call *call);
void api_logout(struct api_call *call);
void api_me(struct api_call *call);
void api_user_create(struct api_call *call);
void api_user_list(struct api_call *call);
void api_user_unlock(struct api_call *call);
void api_token_create(struct api_call *call);
void api_token_list(struct api_call *call);
void api_token_revoke(struct api_call *call);
void api_tenant_user_unlock(struct api_call *call);
void api_tenant_create(struct api_call *call);
void api_tenant_list(struct api_call *call);
void api_tenant_get(struct api_call *call);
void api_tenant_update(struct api_call *call);
void api_tenant_user_create(struct api_call *call);
void api_tenant_user_list(struct api_call *call);
void api_role_assign(struct api_call *call);
void api_role_list(struct api_call *call);
void api_role_remove(struct api_call *call);
void api_settings_get(struct api_call *call);
void api_settings_update(struct api_call *call);
void api_ticket_create(struct api_call *call);
void api_ticket_list(struct api_call *call);
void api_ticket_get(struct api_call *call);
void api_ticket_comment(struct api_call *call);
void api_request_create(struct api_call *call);
void api_request_list(struct api_call *call);
void api_request_get(struct api_call *call);
void api_catalog(struct api_call *call);
void api_tenant_webhook_create(struct api_call *call);
void api_tenant_webhook_list(struct api_call *call);
void api_tenant_webhook_delete(struct api_call *call);
void api_webhook_create(struct api_call *call);
void api_webhook_list(struct api_call *call);
void api_webhook_delete(struct api_call *call);
void api_request_notifications(struct api_call *call);
/* GET /api/v1/requests/{id}/report (api/report.c). */
void api_request_report(struct api_call *call);
void api_request_review(struct api_call *call);
void api_request_decision(struct api_call *call);
void api_request_cancel(struct api_call *call);
void api_request_revoke(struct api_call *call);
void api_access_check(struct api_call *call);
void api_access_authz(struct api_call *call);
void api_activity_create(struct api_call *call);
void api_audit_search(struct api_call *call);
void api_audit_keys(struct api_call *call);
void api_audit_export(struct api_call *call);
void api_audit_status(struct api_call *call);
void api_events(struct api_call *call);

#endif
