/*
 * core.h - the Lockbox domain: identities, tenants, tickets, the request state machine,
 * grants and the audit trail, as calls that know no HTTP and no SQL.
 *
 * A struct core owns the policy (swapped whole on reload), the in-memory grant index and the
 * session cache; it borrows the store, which must outlive it. Every call that changes state
 * runs in one store transaction together with its audit record(s): all of it commits or none.
 * Each call takes the acting `struct principal` (borrowed) and checks the actor's right
 * itself; the HTTP layer only shapes input and output.
 *
 * Errors: LB_EINVAL (bad input; `err` says which field), LB_EUNAUTH, LB_EFORBIDDEN,
 * LB_ENOTFOUND (absent or another tenant's), LB_ECONFLICT (wrong state), LB_EPRECONDITION,
 * LB_EEXISTS, LB_ERATELIMIT (a login that must wait), LB_ENOMEM, LB_ESTORE, LB_EUNAVAIL (the
 * store cannot be reached now: nothing was done). `err`, when not NULL,
 * receives a one-line human detail on failure. Output structs are filled on success and freed by
 * the caller with their *_clear. Thread-safe: calls may run concurrently from any thread.
 */
#ifndef LB_CORE_CORE_H
#define LB_CORE_CORE_H

#include "audit/signer.h"
#include "core/authz.h"
#include "core/clock.h"
#include "core/denials.h"
#include "core/grants.h"
#include "core/identity.h"
#include "core/policy.h"
#include "core/throttle.h"
#include "notify/notify.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct core_config {
    int64_t session_ttl_seconds;
    int64_t api_token_ttl_seconds; /* an API token's lifetime when its creator names none
                                    * (0: 90 days) */
    int64_t bootstrap_token_ttl_seconds;
    struct tenant_settings tenant_defaults; /* lockbox_enabled and emails are not used */
    struct notify_config notify;            /* new_id is set by core_new */
    struct login_limits login; /* login throttling; a 0 field takes its default (10, 900, 100) */
    int64_t denial_collapse_seconds;  /* one access.denied record per operator, resource and
                                       * window of the clock this long; 0: 60 */
    int64_t events_retention_seconds; /* the event stream keeps events this long (0: 7 days) */
    int64_t events_retention_count;   /* and at most this many (0: 100000); see core/events.h */
    int64_t audit_retention_seconds;  /* the provider's chain is pruned past this age; 0: never */
    int64_t audit_retention_min_seconds; /* the least a tenant may keep its records (0: any) */
};

/* Called after a commit that set a deadline (pending expiry or grant end) at `at`. */
typedef void core_deadline_fn(void *ctx, int64_t at);
/* Called after a commit that may have added outbox messages. */
typedef void core_outbox_fn(void *ctx);
/* Persists the bootstrap token before the admin is committed; returns 0, or an LB_E* code
 * (LB_ENOSPC: the disk is full; LB_EIO: another failure) that aborts the bootstrap. */
typedef int core_token_sink_fn(void *ctx, const char *token);

struct core;

/* A new core over st (borrowed) taking ownership of policy; loads the grant index. */
LB_MUST_CHECK int core_new(struct store *st, struct clock clock, struct policy *policy,
                           const struct core_config *cfg, struct core **out);
void core_free(struct core *c);
/* Set (or clear: fn NULL) the hooks core calls after commits, from any thread; once a clearing
 * returns the old hook is not called again. A hook must not set a hook. */
void core_set_deadline_hook(struct core *c, core_deadline_fn *fn, void *ctx);
void core_set_outbox_hook(struct core *c, core_outbox_fn *fn, void *ctx);
/* Replaces the policy (takes ownership of p); in-flight evaluations finish on the old one. */
void core_policy_swap(struct core *c, struct policy *p);
/* The resource types of the catalog in force, any authenticated caller's to read: a new array
 * (caller frees with strv_free) in *types, its length in *count; LB_ENOMEM. */
LB_MUST_CHECK int core_catalog(struct core *c, char ***types, size_t *count);
/* Creates the provider user `admin` (platform_admin) and its token when absent; *created
 * tells whether it did. The token goes to sink before the commit. */
LB_MUST_CHECK int core_bootstrap(struct core *c, core_token_sink_fn *sink, void *ctx,
                                 bool *created);
/* Keeps what this core holds in memory true while other lockboxd share its store: listens
 * for their changes (store_changes_listen), and reads everything again every resync_ms.
 * Stopped by core_changes_stop or core_free. */
LB_MUST_CHECK int core_changes_start(struct core *c, int64_t resync_ms);
void core_changes_stop(struct core *c);
/* true when this node has not heard the other nodes' changes for longer than one resync
 * period (its doors then refuse); never on a store only one process opens. */
bool core_changes_deaf_now(struct core *c);
/* Number of entries in the grant index. */
size_t core_grant_count(struct core *c);
/* The store's transaction and commit counters. */
void core_store_stats(struct core *c, struct store_stats *out);
/* The outbox's messages by state (zeros when the store cannot answer). */
void core_outbox_count(struct core *c, struct outbox_counts *out);
/* 0 when the store answers now; LB_EUNAVAIL when its server cannot be reached (at once while
 * it is known to be away), or the store's error. Changes nothing. */
LB_MUST_CHECK int core_store_ping(struct core *c);

/* ---- sessions ---- */

/* Checks credentials and opens a session: token (shown once), its expiry, the principal.
 * A failure is audited (auth.login_failed) and counted against the username and the client
 * address (core/throttle.h); the failure that locks a username is audited too (auth.lockout).
 * A login that must wait answers LB_ERATELIMIT with *retry_after seconds, without checking
 * the password, for a known username as for an unknown one. A failure's detail is one message
 * whatever was wrong, except a right password with a code already used (it says so). */
LB_MUST_CHECK int core_login(struct core *c, const char *username, const char *password,
                             const char *totp_code, const char *client_ip, char token[TOKEN_LEN],
                             int64_t *expires_at, struct principal *out, int64_t *retry_after,
                             struct buf *err);
/* Ends the session of token now (logout), in the store and the session cache, and audits it
 * (auth.logout); LB_EUNAUTH when it is unknown or already ended. */
LB_MUST_CHECK int core_logout(struct core *c, const struct principal *actor, const char *token);

#define CSRF_TOKEN_LEN 65 /* hex HMAC-SHA256 + NUL */
/* The CSRF token of a cookie session: an HMAC of its token under the server's key, so it needs
 * no storage and dies with the session. */
void core_csrf_token(struct core *c, const char *token, char out[CSRF_TOKEN_LEN]);
/* true when given is token's CSRF token (compared in constant time). */
bool core_csrf_check(struct core *c, const char *token, const char *given);
/* The principal of a bearer token; LB_EUNAUTH when unknown or expired. */
LB_MUST_CHECK int core_authenticate(struct core *c, const char *token, struct principal *out);

/* ---- API tokens of service accounts ---- */

#define API_TOKEN_NAME_MAX 100  /* bytes of an API token's name */
#define API_TOKENS_PER_USER 100 /* live and expired tokens a user may hold */
#define API_TOKEN_TTL_MAX (3650 * 86400LL)

/* Makes an API token for user_id (platform_admin only): a long-lived bearer token for a
 * service account, a provider user whose every role is enforcer or auditor (LB_ECONFLICT for
 * anyone else: people log in). expires_in 0 takes the configured lifetime; else 60 s to
 * API_TOKEN_TTL_MAX. The token is shown once (token); out is its record (no secret).
 * Audited as token.create. LB_ENOTFOUND: no such provider user; LB_EINVAL: a bad name or
 * lifetime; LB_ECONFLICT also when the user holds API_TOKENS_PER_USER tokens. */
LB_MUST_CHECK int core_token_create(struct core *c, const struct principal *actor,
                                    const char *user_id, const char *name, int64_t expires_in,
                                    char token[TOKEN_LEN], struct session *out, struct buf *err);
/* The API tokens of user_id, expired ones too (platform_admin only). */
LB_MUST_CHECK int core_token_list(struct core *c, const struct principal *actor,
                                  const char *user_id, struct session_list *out, struct buf *err);
/* Revokes an API token of user_id at once, in the store and in memory; audited as
 * token.revoke. LB_ENOTFOUND when user_id has no such token. */
LB_MUST_CHECK int core_token_revoke(struct core *c, const struct principal *actor,
                                    const char *user_id, const char *token_id, struct buf *err);

/* ---- users, tenants, roles ---- */

struct user_create {
    const char *username, *password, *email, *display_name;
    bool isolated_identity, totp;
    char *const *roles; /* provider role names, provider users only */
    size_t role_count;
};

/* Creates a user: a provider user when tenant_id is NULL (platform_admin only), else a tenant
 * user (that tenant's tenant_admin only) who gets `member` at "/". totp_secret is filled when
 * in->totp. */
LB_MUST_CHECK int core_user_create(struct core *c, const struct principal *actor,
                                   const char *tenant_id, const struct user_create *in,
                                   struct user *out, char totp_secret[TOTP_SECRET_LEN],
                                   struct buf *err);
/* Loads a user and their roles (the caller's own record for /me). */
LB_MUST_CHECK int core_user_get(struct core *c, const char *id, struct user *out,
                                struct role_list *roles);

/* The tenant's users and every role assignment of the tenant (to show beside them): for the
 * tenant's tenant_admins, and provider platform_admins and auditors. With tenant_id NULL, the
 * provider users and their roles, for platform_admins and auditors. Each user's locked_until
 * tells whether failed logins locked them. */
LB_MUST_CHECK int core_user_list(struct core *c, const struct principal *actor,
                                 const char *tenant_id, struct user_list *users,
                                 struct role_list *roles);
/* Lifts a login lockout and forgets the failed logins of user_id, and audits it (auth.unlock):
 * a tenant user by their tenant's tenant_admin (tenant_id given), a provider user by a
 * platform_admin (tenant_id NULL). LB_ENOTFOUND when the user is not one of those. */
LB_MUST_CHECK int core_user_unlock(struct core *c, const struct principal *actor,
                                   const char *tenant_id, const char *user_id, struct buf *err);

/* true when lockbox may be enabled on plan. */
bool core_plan_is_eligible(const char *plan);
/* true when plan is one of API.md's plans. */
bool core_plan_is_valid(const char *plan);

/* Creates a tenant owning scopes (resource-id prefixes, see resource_id_is_valid) and its
 * first tenant_admin (platform_admin only). Scopes that overlap each other: LB_EINVAL; one
 * that overlaps another tenant's: LB_ECONFLICT. */
LB_MUST_CHECK int core_tenant_create(struct core *c, const struct principal *actor,
                                     const char *name, const char *plan, char *const *scopes,
                                     size_t scope_count, const struct user_create *admin,
                                     struct tenant *out, struct user *admin_out, struct buf *err);
LB_MUST_CHECK int core_tenant_get(struct core *c, const struct principal *actor, const char *id,
                                  struct tenant *out);
LB_MUST_CHECK int core_tenant_list(struct core *c, const struct principal *actor,
                                   struct tenant **items, size_t *count);

/* A change of a tenant's resource scopes: the whole new set (has_set), or scopes to add and
 * to remove (each must be held), or both (set first). Every array is borrowed. */
struct scopes_change {
    bool has_set;
    char *const *set;
    size_t set_count;
    char *const *add;
    size_t add_count;
    char *const *remove;
    size_t remove_count;
};

/* Changes the resource scopes a tenant owns (platform_admin only) and audits it
 * (tenant.scopes.update); the doors stop honouring grants on a removed scope at once. The
 * same errors as core_tenant_create, and LB_EINVAL for removing a scope the tenant lacks. */
LB_MUST_CHECK int core_tenant_update_scopes(struct core *c, const struct principal *actor,
                                            const char *tenant_id,
                                            const struct scopes_change *change, struct tenant *out,
                                            struct buf *err);
/* true when one of t's resource scopes covers resource_id. */
bool core_tenant_owns(const struct tenant *t, const char *resource_id);

struct settings_patch {
    bool has_lockbox_enabled, has_pending_expiry, has_default_grant, has_max_grant,
        has_required_approvals, has_notification_emails, has_email_links, has_reminder_before,
        has_audit_syslog_url, has_audit_syslog_profile, has_audit_retention, has_grant_report_mail;
    struct tenant_settings values; /* borrowed; only the has_* fields are read */
};

LB_MUST_CHECK int core_settings_update(struct core *c, const struct principal *actor,
                                       const char *tenant_id, const struct settings_patch *patch,
                                       struct tenant *out, struct buf *err);

LB_MUST_CHECK int core_role_assign(struct core *c, const struct principal *actor,
                                   const char *tenant_id, const char *user_id, const char *role,
                                   const char *scope, struct role_assignment *out, struct buf *err);
LB_MUST_CHECK int core_role_remove(struct core *c, const struct principal *actor,
                                   const char *tenant_id, const char *id, struct buf *err);
LB_MUST_CHECK int core_role_list(struct core *c, const struct principal *actor,
                                 const char *tenant_id, struct role_list *out);

/* ---- webhooks ---- */

/* Registers an endpoint for tenant_id's requests (its tenant_admins) or, with tenant_id NULL,
 * for every tenant's (platform_admins); out carries the new secret, shown this once. */
LB_MUST_CHECK int core_webhook_create(struct core *c, const struct principal *actor,
                                      const char *tenant_id, const char *url, char *const *events,
                                      size_t count, struct webhook *out, struct buf *err);
/* The endpoints of tenant_id (NULL: the every-tenant ones); secrets are filled but not for
 * showing. */
LB_MUST_CHECK int core_webhook_list(struct core *c, const struct principal *actor,
                                    const char *tenant_id, struct webhook_list *out);
LB_MUST_CHECK int core_webhook_delete(struct core *c, const struct principal *actor,
                                      const char *tenant_id, const char *id, struct buf *err);

/* ---- tickets ---- */

LB_MUST_CHECK int core_ticket_create(struct core *c, const struct principal *actor,
                                     const char *tenant_id, const char *title,
                                     const char *description, const char *severity,
                                     struct ticket *out, struct buf *err);
LB_MUST_CHECK int core_ticket_get(struct core *c, const struct principal *actor,
                                  const char *tenant_id, const char *id, struct ticket *out);
LB_MUST_CHECK int core_ticket_list(struct core *c, const struct principal *actor,
                                   const char *tenant_id, int64_t before_seq, size_t limit,
                                   struct ticket_list *out);
LB_MUST_CHECK int core_ticket_comment(struct core *c, const struct principal *actor,
                                      const char *tenant_id, const char *id, const char *text,
                                      struct ticket *out, struct buf *err);

/* ---- access requests: one call per transition ---- */

struct request_create {
    const char *tenant_id, *ticket_id, *resource_type, *justification;
    char *const *resource_ids;
    size_t resource_count;
    enum access_level access_level;
    int64_t duration_seconds; /* 0: the tenant's default */
};

LB_MUST_CHECK int core_request_create(struct core *c, const struct principal *actor,
                                      const struct request_create *in, struct request *out,
                                      struct buf *err);
LB_MUST_CHECK int core_request_get(struct core *c, const struct principal *actor, const char *id,
                                   struct request *out);
/* Lists requests; core narrows the filter to what the actor may see. */
LB_MUST_CHECK int core_request_list(struct core *c, const struct principal *actor,
                                    struct request_filter *f, struct request_list *out);
LB_MUST_CHECK int core_request_review(struct core *c, const struct principal *actor, const char *id,
                                      bool approve, const char *reason, struct request *out,
                                      struct buf *err);
LB_MUST_CHECK int core_request_decide(struct core *c, const struct principal *actor, const char *id,
                                      bool approve, const char *reason, struct request *out,
                                      struct buf *err);
LB_MUST_CHECK int core_request_cancel(struct core *c, const struct principal *actor, const char *id,
                                      const char *reason, struct request *out, struct buf *err);
LB_MUST_CHECK int core_request_revoke(struct core *c, const struct principal *actor, const char *id,
                                      const char *reason, struct request *out, struct buf *err);
/* The notifications of a request (oldest first): for provider staff, and for the tenant's
 * admins and the request's approvers. *show_errors tells whether the actor may read each
 * delivery's last error (provider staff: it names the operator's own servers). */
LB_MUST_CHECK int core_request_notifications(struct core *c, const struct principal *actor,
                                             const char *id, struct outbox_list *out,
                                             bool *show_errors);
/* Expires and completes every request whose deadline has passed; *next is the next deadline
 * (0: none). Called by the scheduler. */
LB_MUST_CHECK int core_run_due(struct core *c, int64_t *next);

/* ---- enforcement ---- */

/* May operator touch resource_id at level now? Answers from memory only. A denial is noted
 * for the audit log (access.denied, by actor at door, collapsed per operator, resource and
 * minute: core/denials.h), and so is an allowance, for the grant's report (access.allowed, the
 * first of its request, resource and door in a minute); both are written later by the denial
 * writer, never on this thread. door is a valid door name (door_name_is_valid), NULL for
 * "check". match is filled when allowed. */
LB_MUST_CHECK int core_access_check(struct core *c, const struct principal *actor,
                                    const char *operator_name, const char *resource_id,
                                    enum access_level level, const char *door, bool *allowed,
                                    struct grant_match *match);
/* Starts the thread that writes the noted denials to the audit log; core_free lets it write
 * what is queued before it ends. Without it, denials wait for core_denials_flush. */
LB_MUST_CHECK int core_denials_start(struct core *c);
/* Writes the denials noted so far on the calling thread (tests); 0 or the store's error. */
LB_MUST_CHECK int core_denials_flush(struct core *c);
/* What became of the denials noted, for /metrics. */
void core_denial_stats(struct core *c, struct denial_stats *out);
/* What was done under a grant (core/report.c), read once it ended; owns everything. */
struct grant_report {
    struct request request;
    struct user operator_user;        /* the requester (zeroed when since removed) */
    struct audit_list actions;        /* operator.action records, oldest first */
    struct audit_list doors;          /* access.allowed and access.denied, by time */
    struct outbox_list notifications; /* the messages about the request, oldest first */
};

/* Frees what a report owns and zeroes it; accepts a zeroed report. */
void grant_report_clear(struct grant_report *r);
/* The report of the grant of request id, visible to actor as core_request_get is
 * (LB_ENOTFOUND, LB_EFORBIDDEN); LB_ECONFLICT when the request's grant has not ended or never
 * began. Denials reach the log a moment after the door answered (core/denials.h). A tenant's
 * user sees the tenant's notifications only. */
LB_MUST_CHECK int core_request_report(struct core *c, const struct principal *actor, const char *id,
                                      struct grant_report *out, struct buf *err);
/* Records an action an operator performed under a grant (details: JSON text or NULL), for the
 * requester or an enforcer. A request the actor cannot see is LB_ENOTFOUND before any
 * LB_EFORBIDDEN or LB_ECONFLICT (an enforcer sees every request). The grant must be in force
 * (LB_ECONFLICT), except that an enforcer reports the end of a session (session.close,
 * session.terminated) on a request whose grant has started, also after it ended. */
LB_MUST_CHECK int core_activity_record(struct core *c, const struct principal *actor,
                                       const char *request_id, const char *activity,
                                       const char *target, const char *details_json,
                                       struct audit_record *out, struct buf *err);

/* ---- audit ---- */

/* Searches the audit log; core narrows the filter to what the actor may see. */
LB_MUST_CHECK int core_audit_query(struct core *c, const struct principal *actor,
                                   struct audit_filter *f, struct audit_list *out);

/* What the last verification of the audit log found (audit/chains.h): at, and the chains that
 * broke with where (both arrays and their strings taken over; NULL with count 0: none). */
void core_audit_set_verified(struct core *c, int64_t at, char **broken, char **why, size_t count);

struct core_audit_chain_status {
    struct audit_chain_head head; /* (owned) its newest record and last checkpoint */
    char *problem;                /* (owned) where it broke at the last verification, or NULL */
};

struct core_audit_status {
    int64_t verified_at; /* 0: not verified since lockboxd started */
    struct core_audit_chain_status *chains;
    size_t count;
    struct audit_stream_list streams; /* the streams to syslog collectors the actor may see */
};

void core_audit_status_clear(struct core_audit_status *s);
/* The chains the actor may read (a tenant user: their tenant's; the provider: every one), each
 * with its head and what the last verification found. */
LB_MUST_CHECK int core_audit_status(struct core *c, const struct principal *actor,
                                    struct core_audit_status *out);

/* Keeps the provider's stream of every chain (notify/syslog.h) going to url with profile, or
 * ends it when url is empty; url and profile are checked by the caller. */
LB_MUST_CHECK int core_audit_stream_configure(struct core *c, const char *url, const char *profile);
/* Prunes each chain whose owner keeps its records for a time (a tenant's
 * audit_retention_seconds setting, the provider's audit_retention_seconds configuration) of
 * the records older than that, through a signed checkpoint and never past what a stream has
 * still to send (audit/chains.h: each pruning is an audit.prune record); *deleted counts the
 * records deleted. One chain failing does not stop the others; the first error is returned. */
LB_MUST_CHECK int core_audit_prune(struct core *c, int64_t *deleted);

/* Gives core the key that signs exports' ends (borrowed; it outlives core). */
void core_set_audit_signer(struct core *c, const struct audit_signer *signer);
/* The keys that sign checkpoints and exports, for whoever may read the audit log. */
LB_MUST_CHECK int core_audit_keys(struct core *c, const struct principal *actor,
                                  struct audit_key_list *out);

/*
 * An export of the audit log, chain by chain, that its reader verifies offline
 * (audit/chain.h). Of each chain the actor may read (a tenant user: their tenant's; the
 * provider: every chain, or tenant_id's), it gives the records from the last checkpoint
 * before f's `from` (that checkpoint first) up to f's `to`, each followed by the checkpoints
 * of it: a record f selects and the actor may see whole, every other one as a link (its chain
 * fields only, so the chain still verifies). Last, the export's end, signed, saying what the
 * export is of (scope, the caller's text: its filters and form) and, for each chain, where it
 * starts and ends and which records it gives whole. An item (and
 * what it points to) is valid until the next call. The export copies what it needs of actor
 * and f; it reads the store as it goes (records appended meanwhile may be in it or not).
 */
enum audit_export_kind {
    AUDIT_EXPORT_RECORD,
    AUDIT_EXPORT_LINK,
    AUDIT_EXPORT_CHECKPOINT,
    AUDIT_EXPORT_END,
};

struct audit_export_item {
    enum audit_export_kind kind;
    const struct audit_record *record;         /* RECORD, LINK */
    const struct audit_checkpoint *checkpoint; /* CHECKPOINT */
    const struct audit_export_end *end;        /* END */
};

struct core_audit_export;

LB_MUST_CHECK int core_audit_export_open(struct core *c, const struct principal *actor,
                                         const struct audit_filter *f, const char *scope,
                                         struct core_audit_export **out);
/* The next item; LB_ENOTFOUND after the end. */
LB_MUST_CHECK int core_audit_export_next(struct core_audit_export *e,
                                         struct audit_export_item *item);
void core_audit_export_free(struct core_audit_export *e);

/* ---- page tokens ---- */

/* A new opaque token for cursor, bound to scope (the caller and the filters). */
LB_MUST_CHECK int core_page_token_encode(struct core *c, const char *scope, int64_t cursor,
                                         char **out);
/* The cursor of a token made for the same scope; LB_EINVAL for anything else. */
LB_MUST_CHECK int core_page_token_decode(struct core *c, const char *scope, const char *token,
                                         int64_t *cursor);

#endif
