/*
 * lockbox.h - liblockbox, the C client of the Lockbox HTTP API v1.
 *
 * A `struct lockbox` is one connection to one server (kept alive between calls) holding its URL,
 * token and TLS settings; create it with lockbox_new, free it with lockbox_free. Every call
 * takes typed arguments, answers 0 or a negative LOCKBOX_E* code, and fills the optional
 * `struct lockbox_reply` (caller-owned, emptied with lockbox_reply_clear): the HTTP status,
 * the answer's JSON text on success, and the server's problem `code` and `detail` when it
 * refused (LOCKBOX_EREFUSED). Strings passed in are borrowed for the call; strings handed out
 * are the caller's to free with lockbox_reply_clear or free(3) as each declaration says.
 *
 * The library never exits, prints or reads the environment (libcurl's proxy variables such as
 * http_proxy are ignored: calls go straight to the URL); its only global state is libcurl's
 * one-time initialisation (lockbox_global_init, also done by the first lockbox_new). A handle
 * may be used from several threads: calls on one handle are serialised by its lock; calls on
 * different handles run in parallel. Allocation failures (the library's own and libcurl's) are
 * returned as LOCKBOX_ENOMEM; jansson 2.14 may report one of its own as malformed JSON.
 */
#ifndef LOCKBOX_LOCKBOX_H
#define LOCKBOX_LOCKBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LOCKBOX_VERSION "0.1.0"

/* One connection to one server; opaque. */
struct lockbox;

enum lockbox_error {
    LOCKBOX_OK = 0,
    LOCKBOX_EINVAL = -1,       /* an argument the caller gave is missing or malformed */
    LOCKBOX_ENOMEM = -2,       /* out of memory */
    LOCKBOX_EUNREACHABLE = -3, /* no answer: connection, TLS or timeout (see reply.detail) */
    LOCKBOX_EPROTOCOL = -4,    /* the server answered something that is not the API's */
    LOCKBOX_EREFUSED = -5,     /* the server refused: reply.status, reply.code, reply.detail */
    LOCKBOX_EPLAINHTTP = -6,   /* an http:// URL to a host that is not loopback, refused before
                                * connecting: use https://, or set allow_plain_http */
};

/* Names an error code ("server refused the call", ...); never NULL. */
const char *lockbox_strerror(int err);

struct lockbox_options {
    const char *url;           /* base URL, e.g. "https://lockbox.example:8077" (required) */
    const char *token;         /* bearer token, or NULL */
    const char *ca_file;       /* PEM bundle to verify the server with, or NULL for the system's */
    bool insecure_skip_verify; /* turns TLS verification off; for tests only */
    long connect_timeout_ms;   /* 0: 10 s (never more than timeout_ms) */
    long timeout_ms;           /* bounds each whole call: resolving, connecting, TLS, sending
                                * and the answer; 0: 30 s */
    /* lockbox_new refuses an http:// URL (LOCKBOX_EPLAINHTTP) unless its host is loopback
     * (localhost, 127.0.0.0/8, ::1), since the token and passwords would cross the network
     * in clear; true allows it anyway (a trusted network, a TLS proxy on the same host) */
    bool allow_plain_http;
};

/* What one call answered. Fields are NULL/0 when absent; the caller owns the strings. */
struct lockbox_reply {
    long status;  /* HTTP status, 0 when there was no answer */
    char *body;   /* the answer's JSON text on success (NULL for 204) */
    char *code;   /* the problem's code on LOCKBOX_EREFUSED ("not_found", ...) */
    char *detail; /* the problem's detail, or why there was no answer */
};

/* Frees the reply's strings and zeroes it; safe on a zeroed or NULL reply. */
void lockbox_reply_clear(struct lockbox_reply *r);

/* Initialises libcurl once for the process; optional, the first lockbox_new does it. */
int lockbox_global_init(void);

/* A new handle for opt->url (copied); free with lockbox_free. LOCKBOX_EINVAL for a URL that
 * is not http:// or https://, LOCKBOX_EPLAINHTTP for plain HTTP to a host that is not loopback
 * without opt->allow_plain_http. (Programs built before allow_plain_http existed link to a
 * version of lockbox_new that reads the shorter struct: they get the refusal too.) */
int lockbox_new(const struct lockbox_options *opt, struct lockbox **out);
void lockbox_free(struct lockbox *lb);
/* Replaces the bearer token (copied; NULL for none). */
int lockbox_set_token(struct lockbox *lb, const char *token);

/* ---- session ---- */

/* Logs in; on success *token (free(3)) is the new session token, also set on the handle. */
int lockbox_login(struct lockbox *lb, const char *username, const char *password,
                  const char *totp_code, char **token, struct lockbox_reply *reply);
int lockbox_me(struct lockbox *lb, struct lockbox_reply *reply);
/* Ends the handle's session on the server (POST /api/v1/logout): its token answers 401 from
 * then on. The handle keeps the token; the caller forgets it. */
int lockbox_logout(struct lockbox *lb, struct lockbox_reply *reply);
/* The resource types and access levels a request may name (GET /api/v1/catalog). */
int lockbox_catalog(struct lockbox *lb, struct lockbox_reply *reply);

/* ---- users, tenants, roles, settings ---- */

struct lockbox_user_spec {
    const char *tenant_id; /* NULL: a provider user (platform_admin only) */
    const char *username, *password, *email, *display_name;
    const char *const *roles; /* provider roles, provider users only */
    size_t role_count;
    bool isolated_identity, totp; /* isolated_identity: provider users only */
};

/* Creates a provider user, or with tenant_id a tenant user. LOCKBOX_EINVAL, before any call, for
 * a tenant user given roles or isolated_identity (the API has no place for them). */
int lockbox_user_create(struct lockbox *lb, const struct lockbox_user_spec *spec,
                        struct lockbox_reply *reply);
/* The users of a tenant with their roles (the tenant's admins, platform admins, auditors);
 * with tenant_id NULL, the provider users (platform admins, auditors). */
int lockbox_user_list(struct lockbox *lb, const char *tenant_id, struct lockbox_reply *reply);
/* Makes an API token for a service account (a provider user whose roles are only enforcer or
 * auditor; platform admins): the reply's body holds the token, this once. expires_in_seconds
 * 0 takes the server's api_token_ttl_seconds. */
int lockbox_token_create(struct lockbox *lb, const char *user_id, const char *name,
                         int64_t expires_in_seconds, struct lockbox_reply *reply);
/* The API tokens of a user (no secrets), expired ones too. */
int lockbox_token_list(struct lockbox *lb, const char *user_id, struct lockbox_reply *reply);
/* Revokes an API token at once. */
int lockbox_token_revoke(struct lockbox *lb, const char *user_id, const char *token_id,
                         struct lockbox_reply *reply);
int lockbox_tenant_create(struct lockbox *lb, const char *name, const char *plan,
                          const char *admin_username, const char *admin_password,
                          const char *admin_email, struct lockbox_reply *reply);
/* The same, giving the tenant the resource-id prefixes it owns (each set; NULL when count is
 * 0). */
int lockbox_tenant_create_scoped(struct lockbox *lb, const char *name, const char *plan,
                                 const char *const *resource_scopes, size_t scope_count,
                                 const char *admin_username, const char *admin_password,
                                 const char *admin_email, struct lockbox_reply *reply);
/* Adds and removes resource scopes of a tenant (platform admins); at least one of the two. */
int lockbox_tenant_scopes_change(struct lockbox *lb, const char *tenant_id, const char *const *add,
                                 size_t add_count, const char *const *remove, size_t remove_count,
                                 struct lockbox_reply *reply);
int lockbox_tenant_list(struct lockbox *lb, struct lockbox_reply *reply);
int lockbox_tenant_get(struct lockbox *lb, const char *tenant_id, struct lockbox_reply *reply);
int lockbox_settings_get(struct lockbox *lb, const char *tenant_id, struct lockbox_reply *reply);
/* patch_json is a JSON object of the settings to change, as API.md names them. */
int lockbox_settings_update(struct lockbox *lb, const char *tenant_id, const char *patch_json,
                            struct lockbox_reply *reply);
int lockbox_role_assign(struct lockbox *lb, const char *tenant_id, const char *user_id,
                        const char *role, const char *scope, struct lockbox_reply *reply);
int lockbox_role_list(struct lockbox *lb, const char *tenant_id, struct lockbox_reply *reply);
int lockbox_role_remove(struct lockbox *lb, const char *tenant_id, const char *assignment_id,
                        struct lockbox_reply *reply);

/* ---- webhooks ---- */

/* Registers an endpoint for tenant_id's events (its tenant admins) or, with tenant_id NULL, for
 * every tenant's (platform admins); the reply's body holds the signing secret, this once. */
int lockbox_webhook_add(struct lockbox *lb, const char *tenant_id, const char *url,
                        const char *const *events, size_t event_count, struct lockbox_reply *reply);
int lockbox_webhook_list(struct lockbox *lb, const char *tenant_id, struct lockbox_reply *reply);
int lockbox_webhook_remove(struct lockbox *lb, const char *tenant_id, const char *webhook_id,
                           struct lockbox_reply *reply);

/* The notifications sent about a request (who, which channel, delivered or not). */
int lockbox_request_notifications(struct lockbox *lb, const char *id, struct lockbox_reply *reply);
/* The report of what was done under a request's grant, once it ended (GET
 * /api/v1/requests/{id}/report; before its grant ended, LOCKBOX_EREFUSED with 409). */
int lockbox_request_report(struct lockbox *lb, const char *id, struct lockbox_reply *reply);

/* ---- tickets ---- */

int lockbox_ticket_create(struct lockbox *lb, const char *tenant_id, const char *title,
                          const char *description, const char *severity,
                          struct lockbox_reply *reply);
int lockbox_ticket_get(struct lockbox *lb, const char *tenant_id, const char *ticket_id,
                       struct lockbox_reply *reply);
int lockbox_ticket_list(struct lockbox *lb, const char *tenant_id, struct lockbox_reply *reply);
int lockbox_ticket_comment(struct lockbox *lb, const char *tenant_id, const char *ticket_id,
                           const char *text, struct lockbox_reply *reply);

/* ---- access requests ---- */

struct lockbox_request_spec {
    const char *tenant_id, *ticket_id, *resource_type, *access_level, *justification;
    const char *const *resource_ids;
    size_t resource_count;
    int64_t duration_seconds; /* 0: the tenant's default */
};

struct lockbox_request_filter {
    const char *tenant_id, *status, *requester; /* NULL: any */
    int limit;                                  /* 0: the server's default */
    const char *page_token;
    const char *from, *to; /* RFC 3339: created in [from, to); NULL: open */
    const char *text;      /* found in the id, requester, resource ids or justification */
};

int lockbox_request_create(struct lockbox *lb, const struct lockbox_request_spec *spec,
                           struct lockbox_reply *reply);
int lockbox_request_list(struct lockbox *lb, const struct lockbox_request_filter *filter,
                         struct lockbox_reply *reply);
int lockbox_request_get(struct lockbox *lb, const char *id, struct lockbox_reply *reply);
/* The internal review (internal_approver). */
int lockbox_request_review(struct lockbox *lb, const char *id, bool approve, const char *reason,
                           struct lockbox_reply *reply);
/* The customer's decision (an eligible approver). */
int lockbox_request_decide(struct lockbox *lb, const char *id, bool approve, const char *reason,
                           struct lockbox_reply *reply);
int lockbox_request_cancel(struct lockbox *lb, const char *id, const char *reason,
                           struct lockbox_reply *reply);
int lockbox_request_revoke(struct lockbox *lb, const char *id, const char *reason,
                           struct lockbox_reply *reply);

/* ---- enforcement ---- */

struct lockbox_check_result {
    bool allowed;
    char request_id[40]; /* empty when not allowed */
    int64_t ends_at;     /* Unix seconds; 0 when not allowed */
};

/* Asks whether operator_name may reach resource_id at access_level (an enforcer's call, or a
 * support engineer's for themself); *result is zeroed first and filled on success. */
int lockbox_check(struct lockbox *lb, const char *operator_name, const char *resource_id,
                  const char *access_level, struct lockbox_check_result *result,
                  struct lockbox_reply *reply);
/* The same, naming the door that asks ("pam", "nginx", ...; NULL sends none), so that a denial
 * is audited with it. */
int lockbox_check_at(struct lockbox *lb, const char *door, const char *operator_name,
                     const char *resource_id, const char *access_level,
                     struct lockbox_check_result *result, struct lockbox_reply *reply);
/* Records an operator action under a grant; details_json is a JSON value or NULL. */
int lockbox_activity_record(struct lockbox *lb, const char *request_id, const char *activity,
                            const char *target, const char *details_json,
                            struct lockbox_reply *reply);

/* ---- audit ---- */

struct lockbox_audit_filter {
    const char *activity, *actor, *item, *tenant_id;
    const char *from, *to; /* RFC 3339 */
    int limit;             /* 0: the server's default */
    const char *page_token;
};

int lockbox_audit_search(struct lockbox *lb, const struct lockbox_audit_filter *filter,
                         struct lockbox_reply *reply);

/* The keys that sign the audit log's checkpoints: reply->body is {"items":[{"id",
 * "algorithm","public_key","created_at","retired_at"}]}. */
int lockbox_audit_keys(struct lockbox *lb, struct lockbox_reply *reply);

/* The audit log's chains and streams as the caller may see them: reply->body is
 * {"verified_at","chains":[{"chain","records","last_checkpoint","whole","problem"}],
 * "streams":[{"id","url","profile","delivered","attempts","last_attempt_at",
 * "next_attempt_at","last_error"}]}. */
int lockbox_audit_status(struct lockbox *lb, struct lockbox_reply *reply);

/* Receives a piece of a download as it comes; non-zero stops it. */
typedef int lockbox_data_fn(void *ctx, const char *data, size_t len);

/* Downloads GET /api/v1/audit/export (filter's limit and page_token unused) with its field
 * profile ("lockbox", "m365", or NULL: the server's default), its JSON Lines handed to fn
 * piece by piece (not split at lines). No bound on the whole call, only on a stall of
 * timeout_ms; LOCKBOX_OK also when fn stopped it. On a refusal fn gets nothing and reply says
 * why. */
int lockbox_audit_export(struct lockbox *lb, const struct lockbox_audit_filter *filter,
                         const char *profile, lockbox_data_fn *fn, void *ctx,
                         struct lockbox_reply *reply);

/* ---- the event stream ---- */

/* One event of the stream; its strings are borrowed for the callback only. */
struct lockbox_event {
    const char *id;   /* give it as last_event_id to resume after this event */
    const char *type; /* "request.revoked", ... (the webhook types), or "reset": events the
                       * client would need are no longer kept; re-read the requests */
    const char *data; /* the event's JSON body (a webhook's: id, type, time, tenant_id,
                       * request) */
};

/* Called for each event as it comes; non-zero stops following. */
typedef int lockbox_event_fn(void *ctx, const struct lockbox_event *ev);
/* Called at least once a second while following (and at most four times a second);
 * non-zero stops following. */
typedef int lockbox_tick_fn(void *ctx);

struct lockbox_follow_options {
    const char *last_event_id;  /* resume after this event (its id); NULL: from now on */
    long idle_timeout_ms;       /* no byte, not even a heartbeat, for this long: the stream is
                                 * lost; 0: 60 s (keep it above the server's heartbeat) */
    lockbox_event_fn *on_event; /* required */
    lockbox_tick_fn *on_tick;   /* or NULL */
    void *ctx;
};

/* Follows GET /api/v1/events, the stream of the request events the token may see, calling
 * on_event for each in order, until a callback stops it (LOCKBOX_OK) or the stream is lost:
 * LOCKBOX_EUNREACHABLE when it cannot connect, the connection broke, nothing came for
 * idle_timeout_ms, or the server ended the stream (it stops so); reply.detail says which. To
 * resume without missing an event, call again with the id of the last event handled. The
 * server's refusals (401, 403, 400) are LOCKBOX_EREFUSED. The handle is busy for the whole
 * follow: the callbacks must not use it (use another handle for calls meanwhile). */
int lockbox_events_follow(struct lockbox *lb, const struct lockbox_follow_options *opt,
                          struct lockbox_reply *reply);

#ifdef __cplusplus
}
#endif

#endif
