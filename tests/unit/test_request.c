/*
 * The request state machine through core.h, on a real SQLite store in memory and a clock the
 * tests move by hand: every transition, every refused one (with the state left unchanged),
 * quorum, expiry and completion, the access check and page tokens.
 */
#include "core/core.h"
#include "store/seal.h"
#include "store/store_sqlite.h"
#include "util/mem.h"
#include "util/strv.h"

#include <setjmp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

#define PW "correct horse battery"
#define T0 1795000000

struct world {
    int64_t now;
    struct seal *seal;
    struct store *st;
    struct core *c;
    struct principal admin, eng, eng2, rev, enforcer, t_admin, approver, approver2, member, other;
    char tenant_id[ID_LEN], other_tenant_id[ID_LEN], ticket_id[ID_LEN];
};

static int64_t fake_now(void *ctx)
{
    return ((struct world *)ctx)->now;
}

static int keep_token(void *ctx, const char *token)
{
    memcpy(ctx, token, strlen(token) + 1);
    return 0;
}

static void login(struct world *w, const char *user, const char *secret, struct principal *out)
{
    char token[TOKEN_LEN], code[8] = "";
    int64_t expires, retry_after;
    struct buf err = BUF_INIT;

    if (secret)
        assert_int_equal(totp_code(secret, w->now / TOTP_STEP_SECONDS, 6, code, sizeof(code)), 0);
    assert_int_equal(core_login(w->c, user, PW, secret ? code : NULL, "127.0.0.1", token, &expires,
                                out, &retry_after, &err),
                     0);
    buf_release(&err);
}

static void provider(struct world *w, const char *name, const char *role, bool isolated,
                     struct principal *out)
{
    char *roles[] = {(char *)role};
    struct user_create in = {.username = name,
                             .password = PW,
                             .email = "p@x.example",
                             .isolated_identity = isolated,
                             .totp = true,
                             .roles = roles,
                             .role_count = 1};
    char secret[TOTP_SECRET_LEN];
    struct user u = {0};
    struct buf err = BUF_INIT;

    assert_int_equal(core_user_create(w->c, &w->admin, NULL, &in, &u, secret, &err), 0);
    login(w, name, secret, out);
    w->now += TOTP_STEP_SECONDS; /* the next login's code is a new one */
    user_clear(&u);
    buf_release(&err);
}

static void tenant_user(struct world *w, const char *name, const char *role, const char *scope,
                        struct principal *out)
{
    struct user_create in = {.username = name, .password = PW, .email = "t@x.example"};
    struct role_assignment ra = {0};
    struct user u = {0};
    struct buf err = BUF_INIT;

    assert_int_equal(core_user_create(w->c, &w->t_admin, w->tenant_id, &in, &u, NULL, &err), 0);
    if (role)
        assert_int_equal(
            core_role_assign(w->c, &w->t_admin, w->tenant_id, u.id, role, scope, &ra, &err), 0);
    login(w, name, NULL, out);
    role_assignment_clear(&ra);
    user_clear(&u);
    buf_release(&err);
}

static void make_tenant(struct world *w, const char *name, char *scope, char id[ID_LEN],
                        struct principal *adm)
{
    char *scopes[] = {scope};
    char admin_name[64];
    struct user_create a = {.username = admin_name, .password = PW, .email = "a@x.example"};
    struct tenant t = {0};
    struct user u = {0};
    struct buf err = BUF_INIT;

    snprintf(admin_name, sizeof(admin_name), "%s-admin", name);
    assert_int_equal(
        core_tenant_create(w->c, &w->admin, name, "standard", scopes, 1, &a, &t, &u, &err), 0);
    memcpy(id, t.id, strlen(t.id) + 1);
    login(w, admin_name, NULL, adm);
    tenant_clear(&t);
    user_clear(&u);
    buf_release(&err);
}

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof(*w));
    struct core_config cfg = {.session_ttl_seconds = 86400 * 30,
                              .bootstrap_token_ttl_seconds = 86400 * 30,
                              .tenant_defaults = {.pending_expiry_seconds = 3600,
                                                  .default_grant_seconds = 600,
                                                  .max_grant_seconds = 7200,
                                                  .required_approvals = 1}};
    struct policy *p = NULL;
    struct buf err = BUF_INIT;
    struct ticket tk = {0};
    char token[TOKEN_LEN];
    bool created;

    if (!w)
        return -1;
    w->now = T0;
    assert_true(sodium_init() >= 0);
    assert_int_equal(store_sqlite_open(":memory:", &w->st, &err), 0);
    assert_int_equal(seal_new_ephemeral(&w->seal), 0);
    assert_int_equal(store_seal_attach(w->st, w->seal), 0);
    assert_int_equal(policy_default(&p), 0);
    assert_int_equal(core_new(w->st, (struct clock){fake_now, w}, p, &cfg, &w->c), 0);
    assert_int_equal(core_bootstrap(w->c, keep_token, token, &created), 0);
    assert_true(created);
    assert_int_equal(core_authenticate(w->c, token, &w->admin), 0);
    provider(w, "eng", "support_engineer", true, &w->eng);
    provider(w, "eng2", "support_engineer", true, &w->eng2);
    provider(w, "rev", "internal_approver", true, &w->rev);
    provider(w, "enf", "enforcer", true, &w->enforcer);
    make_tenant(w, "contoso", "/subscriptions", w->tenant_id, &w->t_admin);
    make_tenant(w, "fabrikam", "/fabrikam", w->other_tenant_id, &w->other);
    tenant_user(w, "approver", "lockbox_approver", "/subscriptions/s1", &w->approver);
    tenant_user(w, "approver2", "lockbox_approver", "/", &w->approver2);
    tenant_user(w, "member", NULL, NULL, &w->member);
    assert_int_equal(
        core_ticket_create(w->c, &w->t_admin, w->tenant_id, "VM down", "help", "high", &tk, &err),
        0);
    memcpy(w->ticket_id, tk.id, strlen(tk.id) + 1);
    ticket_clear(&tk);
    buf_release(&err);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    struct principal *all[] = {&w->enforcer, &w->admin,    &w->eng,       &w->eng2,   &w->rev,
                               &w->t_admin,  &w->approver, &w->approver2, &w->member, &w->other};

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        principal_clear(all[i]);
    core_free(w->c);
    store_close(w->st);
    seal_free(w->seal);
    free(w);
    return 0;
}

/* Creates a request by `by` and answers its status; id receives its id. */
static enum request_status create(struct world *w, const struct principal *by,
                                  enum access_level level, char id[ID_LEN])
{
    char *res[] = {"/subscriptions/s1/vms/vm1"};
    struct request_create in = {.tenant_id = w->tenant_id,
                                .ticket_id = w->ticket_id,
                                .resource_type = "vm.remote_access",
                                .justification = "boot logs",
                                .resource_ids = res,
                                .resource_count = 1,
                                .access_level = level};
    struct request r = {0};
    struct buf err = BUF_INIT;
    enum request_status s;

    assert_int_equal(core_request_create(w->c, by, &in, &r, &err), 0);
    memcpy(id, r.id, strlen(r.id) + 1);
    s = r.status;
    request_clear(&r);
    buf_release(&err);
    return s;
}

static enum request_status status_of(struct world *w, const char *id)
{
    struct request r = {0};
    enum request_status s;

    assert_int_equal(core_request_get(w->c, &w->admin, id, &r), 0);
    s = r.status;
    request_clear(&r);
    return s;
}

enum action { DECIDE_YES, DECIDE_NO, REVIEW_YES, REVIEW_NO, CANCEL, REVOKE };

static int act(struct world *w, const struct principal *who, enum action a, const char *id)
{
    struct request r = {0};
    struct buf err = BUF_INIT;
    int rc;

    switch (a) {
    case DECIDE_YES:
    case DECIDE_NO:
        rc = core_request_decide(w->c, who, id, a == DECIDE_YES, "why", &r, &err);
        break;
    case REVIEW_YES:
    case REVIEW_NO:
        rc = core_request_review(w->c, who, id, a == REVIEW_YES, "why", &r, &err);
        break;
    case CANCEL:
        rc = core_request_cancel(w->c, who, id, "why", &r, &err);
        break;
    default:
        rc = core_request_revoke(w->c, who, id, "why", &r, &err);
        break;
    }
    if (rc)
        assert_true(err.len > 0); /* every refusal says why */
    request_clear(&r);
    buf_release(&err);
    return rc;
}

static bool allowed(struct world *w, const char *op, enum access_level level)
{
    struct grant_match m;
    bool ok = false;

    assert_int_equal(core_access_check(w->c, &w->enforcer, op, "/subscriptions/s1/vms/vm1", level,
                                       NULL, &ok, &m),
                     0);
    return ok;
}

/* Records an operator action on request id as who; answers the code. */
static int record(struct world *w, const struct principal *who, const char *id)
{
    struct audit_record rec = {0};
    struct buf err = BUF_INIT;
    int rc = core_activity_record(w->c, who, id, "ssh.login", "vm1", "{\"k\":1}", &rec, &err);

    if (rc)
        assert_true(err.len > 0);
    else
        assert_string_equal(rec.actor, w->eng.username); /* the operator acted */
    audit_record_clear(&rec);
    buf_release(&err);
    return rc;
}

static void activities_hide_what_the_caller_cannot_see(void **state)
{
    struct world *w = *state;
    const char *nobody = "00000000-0000-4000-8000-000000000000";
    char pending[ID_LEN], internal[ID_LEN], granted[ID_LEN];

    assert_int_equal(create(w, &w->eng, ACCESS_READ, pending), REQ_PENDING);
    assert_int_equal(create(w, &w->eng, ACCESS_ADMIN, internal), REQ_PENDING_INTERNAL);
    assert_int_equal(create(w, &w->eng, ACCESS_READ, granted), REQ_PENDING);
    assert_int_equal(act(w, &w->approver, DECIDE_YES, granted), 0);
    /* absent, or not visible to the caller: 404 before any 403 or 409 */
    assert_int_equal(record(w, &w->other, pending), LB_ENOTFOUND);   /* another tenant */
    assert_int_equal(record(w, &w->other, granted), LB_ENOTFOUND);   /* another tenant */
    assert_int_equal(record(w, &w->member, internal), LB_ENOTFOUND); /* not shown yet */
    assert_int_equal(record(w, &w->member, nobody), LB_ENOTFOUND);
    assert_int_equal(record(w, &w->eng2, nobody), LB_ENOTFOUND);
    assert_int_equal(record(w, &w->enforcer, nobody), LB_ENOTFOUND);
    assert_int_equal(record(w, &w->enforcer, "not-an-id"), LB_ENOTFOUND);
    /* visible, but not theirs to record */
    assert_int_equal(record(w, &w->member, granted), LB_EFORBIDDEN);
    assert_int_equal(record(w, &w->t_admin, pending), LB_EFORBIDDEN);
    assert_int_equal(record(w, &w->eng2, granted), LB_EFORBIDDEN);
    assert_int_equal(record(w, &w->admin, granted), LB_EFORBIDDEN);
    /* theirs, in the wrong state */
    assert_int_equal(record(w, &w->eng, pending), LB_ECONFLICT);
    assert_int_equal(record(w, &w->enforcer, internal), LB_ECONFLICT);
    /* and recorded */
    assert_int_equal(record(w, &w->eng, granted), 0);
    assert_int_equal(record(w, &w->enforcer, granted), 0);
}

static void create_follows_the_policy(void **state)
{
    struct world *w = *state;
    struct principal p = w->eng; /* borrows eng's fields; not cleared */
    char id[ID_LEN];

    assert_true(w->eng.mfa);
    assert_int_equal(create(w, &w->eng, ACCESS_READ, id), REQ_PENDING);
    assert_int_equal(create(w, &w->eng, ACCESS_WRITE, id), REQ_PENDING);
    assert_int_equal(create(w, &w->eng, ACCESS_ADMIN, id), REQ_PENDING_INTERNAL);
    p.mfa = false;
    assert_int_equal(create(w, &p, ACCESS_READ, id), REQ_REJECTED);
    assert_int_equal(act(w, &w->approver2, DECIDE_YES, id), LB_ENOTFOUND); /* never shown */
    p.mfa = true;
    p.isolated_identity = false;
    assert_int_equal(create(w, &p, ACCESS_READ, id), REQ_PENDING_INTERNAL);
}

/* The catalog in force is what GET /catalog answers and what a refused type's message names. */
static void an_unknown_type_names_the_catalog(void **state)
{
    struct world *w = *state;
    char *res[] = {"/subscriptions/s1/vms/vm1"}, **types = NULL;
    struct request_create in = {.tenant_id = w->tenant_id,
                                .ticket_id = w->ticket_id,
                                .resource_type = "vm.bogus",
                                .justification = "boot logs",
                                .resource_ids = res,
                                .resource_count = 1,
                                .access_level = ACCESS_READ};
    struct request r = {0};
    struct buf err = BUF_INIT;
    size_t n = 0;

    assert_int_equal(core_catalog(w->c, &types, &n), 0);
    assert_int_equal(n, policy_default_catalog_count);
    assert_int_equal(core_request_create(w->c, &w->eng, &in, &r, &err), LB_EINVAL);
    assert_non_null(strstr(buf_cstr(&err), "'vm.bogus' is not in the catalog (one of "));
    for (size_t i = 0; i < n; i++)
        assert_non_null(strstr(buf_cstr(&err), types[i]));
    strv_free(types, n);
    buf_release(&err);
    /* and the names of the statuses, for the list filter's message */
    assert_int_equal(request_status_count(), 9);
    assert_string_equal(request_status_name((enum request_status)(request_status_count() - 1)),
                        "completed");
}

static void review_and_decision_transitions(void **state)
{
    struct world *w = *state;
    char a[ID_LEN], b[ID_LEN];

    assert_int_equal(create(w, &w->eng, ACCESS_ADMIN, a), REQ_PENDING_INTERNAL);
    assert_int_equal(act(w, &w->approver2, DECIDE_YES, a), LB_ENOTFOUND); /* not yet visible */
    assert_int_equal(act(w, &w->eng2, REVIEW_YES, a), LB_EFORBIDDEN);
    assert_int_equal(act(w, &w->rev, REVIEW_YES, a), 0);
    assert_int_equal(status_of(w, a), REQ_PENDING);
    assert_int_equal(act(w, &w->rev, REVIEW_NO, a), LB_ECONFLICT);
    assert_int_equal(status_of(w, a), REQ_PENDING);
    assert_int_equal(act(w, &w->approver, DECIDE_YES, a), 0);
    assert_int_equal(status_of(w, a), REQ_APPROVED);
    assert_int_equal(act(w, &w->approver2, DECIDE_NO, a), LB_ECONFLICT);
    assert_int_equal(act(w, &w->eng, CANCEL, a), LB_ECONFLICT);
    assert_int_equal(status_of(w, a), REQ_APPROVED);

    assert_int_equal(create(w, &w->eng, ACCESS_ADMIN, b), REQ_PENDING_INTERNAL);
    assert_int_equal(act(w, &w->rev, REVIEW_NO, b), 0);
    assert_int_equal(status_of(w, b), REQ_DENIED);
    assert_int_equal(act(w, &w->rev, REVIEW_YES, b), LB_ECONFLICT);
    assert_int_equal(status_of(w, b), REQ_DENIED);
}

static void refusals_leave_the_state_unchanged(void **state)
{
    struct world *w = *state;
    char id[ID_LEN];

    assert_int_equal(create(w, &w->eng, ACCESS_READ, id), REQ_PENDING);
    assert_int_equal(act(w, &w->eng, DECIDE_YES, id), LB_EFORBIDDEN);    /* the requester */
    assert_int_equal(act(w, &w->member, DECIDE_YES, id), LB_EFORBIDDEN); /* not an approver */
    assert_int_equal(act(w, &w->other, DECIDE_YES, id), LB_ENOTFOUND);   /* another tenant */
    assert_int_equal(act(w, &w->admin, DECIDE_YES, id), LB_EFORBIDDEN);  /* provider */
    assert_int_equal(act(w, &w->eng2, CANCEL, id), LB_EFORBIDDEN);
    assert_int_equal(act(w, &w->approver, REVOKE, id), LB_ECONFLICT);
    assert_int_equal(act(w, &w->rev, REVIEW_YES, id), LB_ECONFLICT);
    assert_int_equal(act(w, &w->approver, DECIDE_YES, "not-a-uuid"), LB_ENOTFOUND);
    assert_int_equal(status_of(w, id), REQ_PENDING);
    assert_int_equal(act(w, &w->approver, DECIDE_NO, id), 0);
    assert_int_equal(status_of(w, id), REQ_DENIED);
}

static void cancel_and_revoke(void **state)
{
    struct world *w = *state;
    char a[ID_LEN], b[ID_LEN], c[ID_LEN], d[ID_LEN];

    assert_int_equal(create(w, &w->eng, ACCESS_READ, a), REQ_PENDING);
    assert_int_equal(act(w, &w->eng, CANCEL, a), 0);
    assert_int_equal(status_of(w, a), REQ_CANCELED);
    assert_int_equal(act(w, &w->eng, CANCEL, a), LB_ECONFLICT);
    assert_int_equal(create(w, &w->eng, ACCESS_ADMIN, b), REQ_PENDING_INTERNAL);
    assert_int_equal(act(w, &w->eng, CANCEL, b), 0);
    assert_int_equal(status_of(w, b), REQ_CANCELED);

    const struct principal *revokers[] = {&w->approver, &w->eng, &w->admin};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(create(w, &w->eng, ACCESS_READ, c), REQ_PENDING);
        assert_int_equal(act(w, &w->approver2, DECIDE_YES, c), 0);
        assert_true(allowed(w, "eng", ACCESS_READ));
        assert_int_equal(act(w, &w->eng2, REVOKE, c), LB_EFORBIDDEN);
        assert_int_equal(act(w, &w->member, REVOKE, c), LB_EFORBIDDEN);
        assert_int_equal(act(w, revokers[i], REVOKE, c), 0);
        assert_int_equal(status_of(w, c), REQ_REVOKED);
        assert_false(allowed(w, "eng", ACCESS_READ));
    }
    assert_int_equal(create(w, &w->eng2, ACCESS_READ, d), REQ_PENDING);
    assert_int_equal(act(w, &w->approver, DECIDE_YES, d), 0);
    assert_false(allowed(w, "eng", ACCESS_READ));
    assert_true(allowed(w, "eng2", ACCESS_READ));
}

/* The access.denied records the actor may read, newest first. */
static size_t denied_records(struct world *w, const struct principal *actor, struct audit_list *out)
{
    struct audit_filter f = {.activity = "access.denied", .limit = 100};

    assert_int_equal(core_audit_query(w->c, actor, &f, out), 0);
    return out->count;
}

static void denials_are_audited_for_the_resources_tenant(void **state)
{
    struct world *w = *state;
    struct grant_match m;
    struct audit_list l = {0};
    char id[ID_LEN];
    bool ok = true;

    assert_int_equal(create(w, &w->eng, ACCESS_READ, id), REQ_PENDING);
    assert_int_equal(act(w, &w->approver2, DECIDE_YES, id), 0);
    assert_true(allowed(w, "eng", ACCESS_READ)); /* an allowance is no access.denied record */
    assert_false(allowed(w, "eng", ACCESS_WRITE));
    assert_false(allowed(w, "eng", ACCESS_WRITE)); /* the same minute: collapsed */
    w->eng.client_ip = "192.0.2.9";
    assert_int_equal(
        core_access_check(w->c, &w->eng, "eng", "/fabrikam/db", ACCESS_READ, "pam", &ok, &m), 0);
    assert_false(ok);
    assert_int_equal(
        core_access_check(w->c, &w->enforcer, "eng", "/unowned/x", ACCESS_ADMIN, "authz", &ok, &m),
        0);
    assert_false(ok);
    /* nothing is written on the checking thread: the writer does it */
    assert_int_equal(denied_records(w, &w->admin, &l), 0);
    audit_list_clear(&l);
    assert_int_equal(core_denials_flush(w->c), 0);

    assert_int_equal(denied_records(w, &w->t_admin, &l), 1); /* contoso's admin: its own */
    assert_string_equal(l.items[0].item, "/subscriptions/s1/vms/vm1");
    assert_string_equal(l.items[0].tenant_id, w->tenant_id);
    assert_string_equal(l.items[0].actor, "enf");
    assert_non_null(strstr(l.items[0].details, "\"door\":\"check\""));
    assert_non_null(strstr(l.items[0].details, "\"level\":\"write\""));
    assert_non_null(strstr(l.items[0].details, "\"operator\":\"eng\""));
    audit_list_clear(&l);
    assert_int_equal(denied_records(w, &w->other, &l), 1); /* fabrikam's admin: the pam one */
    assert_string_equal(l.items[0].item, "/fabrikam/db");
    assert_string_equal(l.items[0].actor, "eng");
    assert_string_equal(l.items[0].client_ip, "192.0.2.9");
    assert_non_null(strstr(l.items[0].details, "\"door\":\"pam\""));
    audit_list_clear(&l);
    assert_int_equal(denied_records(w, &w->admin, &l), 3); /* the provider sees all three */
    assert_null(l.items[0].tenant_id);                     /* no tenant owns /unowned */
    assert_string_equal(l.items[0].item, "/unowned/x");
    audit_list_clear(&l);
    w->eng.client_ip = NULL;
}

static void quorum_counts_distinct_approvers(void **state)
{
    struct world *w = *state;
    struct settings_patch patch = {.has_required_approvals = true,
                                   .values = {.required_approvals = 2}};
    struct tenant t = {0};
    struct buf err = BUF_INIT;
    char id[ID_LEN], id2[ID_LEN];

    assert_int_equal(core_settings_update(w->c, &w->t_admin, w->tenant_id, &patch, &t, &err), 0);
    assert_int_equal(create(w, &w->eng, ACCESS_READ, id), REQ_PENDING);
    assert_int_equal(act(w, &w->approver, DECIDE_YES, id), 0);
    assert_int_equal(status_of(w, id), REQ_PENDING);
    assert_false(allowed(w, "eng", ACCESS_READ));
    assert_int_equal(act(w, &w->approver, DECIDE_YES, id), LB_ECONFLICT); /* twice */
    assert_int_equal(status_of(w, id), REQ_PENDING);
    assert_int_equal(act(w, &w->approver2, DECIDE_YES, id), 0);
    assert_int_equal(status_of(w, id), REQ_APPROVED);
    assert_true(allowed(w, "eng", ACCESS_READ));

    assert_int_equal(create(w, &w->eng, ACCESS_READ, id2), REQ_PENDING);
    assert_int_equal(act(w, &w->approver, DECIDE_YES, id2), 0);
    assert_int_equal(act(w, &w->t_admin, DECIDE_NO, id2), 0);
    assert_int_equal(status_of(w, id2), REQ_DENIED);
    tenant_clear(&t);
    buf_release(&err);
}

static void lockbox_off_approves_at_once(void **state)
{
    struct world *w = *state;
    struct settings_patch patch = {.has_lockbox_enabled = true,
                                   .values = {.lockbox_enabled = false}};
    struct tenant t = {0};
    struct buf err = BUF_INIT;
    char id[ID_LEN];

    assert_int_equal(core_settings_update(w->c, &w->t_admin, w->tenant_id, &patch, &t, &err), 0);
    assert_int_equal(create(w, &w->eng, ACCESS_READ, id), REQ_APPROVED);
    assert_true(allowed(w, "eng", ACCESS_READ));
    assert_int_equal(create(w, &w->eng, ACCESS_ADMIN, id), REQ_PENDING_INTERNAL);
    assert_int_equal(act(w, &w->rev, REVIEW_YES, id), 0);
    assert_int_equal(status_of(w, id), REQ_APPROVED);
    tenant_clear(&t);
    buf_release(&err);
}

/* The report of a grant: 409 until it ends, then its action, its doors (an allowance and a
 * refusal, by time) and its messages; another tenant's user sees no such request. */
static void the_report_is_made_when_the_grant_ends(void **state)
{
    struct world *w = *state;
    struct grant_report g = {0};
    struct buf err = BUF_INIT;
    char id[ID_LEN], never[ID_LEN];

    assert_int_equal(create(w, &w->eng, ACCESS_READ, id), REQ_PENDING);
    assert_int_equal(core_request_report(w->c, &w->t_admin, id, &g, &err), LB_ECONFLICT);
    assert_non_null(strstr(buf_cstr(&err), "the report is made when the grant ends"));
    buf_release(&err);
    assert_int_equal(act(w, &w->approver, DECIDE_YES, id), 0);
    assert_int_equal(core_request_report(w->c, &w->admin, id, &g, NULL), LB_ECONFLICT);
    assert_int_equal(record(w, &w->eng, id), 0);
    assert_true(allowed(w, "eng", ACCESS_READ));
    assert_true(allowed(w, "eng", ACCESS_READ)); /* the same minute: one record */
    w->now += 1;
    assert_false(allowed(w, "eng", ACCESS_ADMIN));
    assert_int_equal(core_denials_flush(w->c), 0);
    assert_int_equal(act(w, &w->approver, REVOKE, id), 0);

    assert_int_equal(core_request_report(w->c, &w->t_admin, id, &g, NULL), 0);
    assert_int_equal(g.request.status, REQ_REVOKED);
    assert_string_equal(g.operator_user.username, "eng");
    assert_int_equal(g.actions.count, 1);
    assert_non_null(strstr(g.actions.items[0].details, "\"action\":\"ssh.login\""));
    assert_int_equal(g.doors.count, 2);
    assert_string_equal(g.doors.items[0].activity, "access.allowed");
    assert_string_equal(g.doors.items[1].activity, "access.denied");
    assert_true(g.doors.items[0].time < g.doors.items[1].time);
    grant_report_clear(&g);
    assert_int_equal(core_request_report(w->c, &w->other, id, &g, NULL), LB_ENOTFOUND);
    assert_int_equal(create(w, &w->eng, ACCESS_READ, never), REQ_PENDING);
    assert_int_equal(act(w, &w->eng, CANCEL, never), 0);
    assert_int_equal(core_request_report(w->c, &w->t_admin, never, &g, NULL), LB_ECONFLICT);
}

static void expiry_and_completion_follow_the_clock(void **state)
{
    struct world *w = *state;
    char p[ID_LEN], g[ID_LEN];
    int64_t next = 0;

    assert_int_equal(create(w, &w->eng, ACCESS_READ, p), REQ_PENDING);
    assert_int_equal(create(w, &w->eng2, ACCESS_WRITE, g), REQ_PENDING);
    assert_int_equal(act(w, &w->approver, DECIDE_YES, g), 0);
    assert_true(allowed(w, "eng2", ACCESS_READ));
    assert_true(allowed(w, "eng2", ACCESS_WRITE));
    assert_false(allowed(w, "eng2", ACCESS_ADMIN)); /* read < write < admin */
    assert_int_equal(core_run_due(w->c, &next), 0);
    assert_int_equal(next, w->now + 600); /* the grant ends first */

    w->now += 600; /* the grant's end: denied at once, before the scheduler runs */
    assert_false(allowed(w, "eng2", ACCESS_READ));
    assert_int_equal(status_of(w, g), REQ_APPROVED);
    assert_int_equal(core_run_due(w->c, &next), 0);
    assert_int_equal(status_of(w, g), REQ_COMPLETED);
    assert_int_equal(status_of(w, p), REQ_PENDING);
    assert_int_equal(act(w, &w->eng2, REVOKE, g), LB_ECONFLICT);

    w->now += 3000; /* past the pending deadline (3600 s after creation) */
    assert_int_equal(core_run_due(w->c, &next), 0);
    assert_int_equal(status_of(w, p), REQ_EXPIRED);
    assert_int_equal(next, 0);
    assert_int_equal(act(w, &w->approver, DECIDE_YES, p), LB_ECONFLICT);
    assert_int_equal(act(w, &w->eng, CANCEL, p), LB_ECONFLICT);
}

static void eligibility_is_read_at_decision_time(void **state)
{
    struct world *w = *state;
    struct role_list roles = {0};
    struct buf err = BUF_INIT;
    char id[ID_LEN];

    assert_int_equal(create(w, &w->eng, ACCESS_READ, id), REQ_PENDING);
    assert_int_equal(core_role_list(w->c, &w->t_admin, w->tenant_id, &roles), 0);
    for (size_t i = 0; i < roles.count; i++)
        if (strcmp(roles.items[i].username, "approver2") == 0 &&
            strcmp(roles.items[i].role, "lockbox_approver") == 0)
            assert_int_equal(
                core_role_remove(w->c, &w->t_admin, w->tenant_id, roles.items[i].id, &err), 0);
    /* approver2's principal was loaded before the removal; the decision must see it. */
    assert_int_equal(act(w, &w->approver2, DECIDE_YES, id), LB_EFORBIDDEN);
    assert_int_equal(status_of(w, id), REQ_PENDING);
    role_list_clear(&roles);
    buf_release(&err);
}

static void page_tokens_are_bound_to_their_scope(void **state)
{
    struct world *w = *state;
    char *tok = NULL;
    int64_t cursor = 0;

    (void)state;
    assert_int_equal(core_page_token_encode(w->c, "user-a|audit|", 42, &tok), 0);
    assert_int_equal(core_page_token_decode(w->c, "user-a|audit|", tok, &cursor), 0);
    assert_int_equal(cursor, 42);
    assert_int_equal(core_page_token_decode(w->c, "user-b|audit|", tok, &cursor), LB_EINVAL);
    assert_int_equal(core_page_token_decode(w->c, "user-a|audit|x", tok, &cursor), LB_EINVAL);
    for (size_t i = 0; tok[i]; i++) {
        char saved = tok[i];
        tok[i] = saved == 'A' ? 'B' : 'A';
        assert_int_equal(core_page_token_decode(w->c, "user-a|audit|", tok, &cursor), LB_EINVAL);
        tok[i] = saved;
    }
    assert_int_equal(core_page_token_decode(w->c, "user-a|audit|", "", &cursor), LB_EINVAL);
    assert_int_equal(core_page_token_decode(w->c, "user-a|audit|", "%%%", &cursor), LB_EINVAL);
    lb_free(tok);
}

/* The request keeps what the policy weighed of the requester and their display name, as its
 * request.create record does; a read gives them back. */
static void the_request_keeps_its_requesters_facts(void **state)
{
    struct world *w = *state;
    struct request r = {0};
    char id[ID_LEN];

    create(w, &w->eng, ACCESS_READ, id);
    assert_int_equal(core_request_get(w->c, &w->eng, id, &r), 0);
    assert_int_equal(r.requester_mfa, FACT_YES);
    assert_int_not_equal(r.requester_isolated, FACT_UNKNOWN);
    request_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(create_follows_the_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(the_request_keeps_its_requesters_facts, setup, teardown),
        cmocka_unit_test_setup_teardown(an_unknown_type_names_the_catalog, setup, teardown),
        cmocka_unit_test_setup_teardown(review_and_decision_transitions, setup, teardown),
        cmocka_unit_test_setup_teardown(refusals_leave_the_state_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(cancel_and_revoke, setup, teardown),
        cmocka_unit_test_setup_teardown(denials_are_audited_for_the_resources_tenant, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(quorum_counts_distinct_approvers, setup, teardown),
        cmocka_unit_test_setup_teardown(lockbox_off_approves_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(expiry_and_completion_follow_the_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(the_report_is_made_when_the_grant_ends, setup, teardown),
        cmocka_unit_test_setup_teardown(eligibility_is_read_at_decision_time, setup, teardown),
        cmocka_unit_test_setup_teardown(page_tokens_are_bound_to_their_scope, setup, teardown),
        cmocka_unit_test_setup_teardown(activities_hide_what_the_caller_cannot_see, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
