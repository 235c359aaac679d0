#include "store_rows.h"

#include "store/store_pg.h"
#include "store/store_sqlite.h"
#include "util/buf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

#define S(text) ((char *)(text))

/* ---- stores ---- */

void rows_tempdir(char *dir, size_t dir_len, const char *tag)
{
    int n = snprintf(dir, dir_len, "/tmp/lockbox-%s-XXXXXX", tag);

    assert_true(n > 0 && (size_t)n < dir_len);
    assert_non_null(mkdtemp(dir));
}

/* A backend's open: where is its path or URL. */
typedef int open_fn(const char *where, struct store **out, struct buf *err);

static struct store *open_store(open_fn *open, const char *name, const char *where)
{
    struct store *st = NULL;
    struct buf err = BUF_INIT;
    int rc = open(where, &st, &err);

    if (rc)
        fprintf(stderr, "%s: %s\n", name, buf_cstr(&err));
    buf_release(&err);
    assert_int_equal(rc, 0);
    return st;
}

struct store *rows_sqlite_open(const char *path)
{
    return open_store(store_sqlite_open, "store_sqlite_open", path);
}

struct store *rows_pg_open(const char *url)
{
    return open_store(store_pg_open, "store_pg_open", url);
}

void rows_sqlite_unlink(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm"};
    char file[512];

    for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        int n = snprintf(file, sizeof(file), "%s%s", path, suffix[i]);
        assert_true(n > 0 && (size_t)n < sizeof(file));
        (void)unlink(file);
    }
}

/* ---- rows ---- */

void rows_tenant_add(struct store *st, const char *id, const char *name, int64_t created_at)
{
    static char *emails[] = {S("a@example.com"), S("b@example.com")};
    static char *scopes[] = {S("/srv/a/"), S("/srv/b/")};
    struct tenant t = {.id = S(id),
                       .name = S(name),
                       .plan = S("standard"),
                       .created_at = created_at,
                       .settings = {.lockbox_enabled = true,
                                    .pending_expiry_seconds = 3600,
                                    .default_grant_seconds = 600,
                                    .max_grant_seconds = 7200,
                                    .required_approvals = 2,
                                    .notification_emails = emails,
                                    .notification_email_count = 2,
                                    .email_links = false,
                                    .reminder_before_seconds = 300,
                                    .grant_report_mail = true},
                       .resource_scopes = scopes,
                       .resource_scope_count = 2};

    assert_int_equal(store_tenant_insert(st, &t), 0);
}

int rows_user_add(struct store *st, const char *id, const char *tenant_id, const char *username,
                  const char *display_name, const char *totp_secret)
{
    struct user u = {.id = S(id),
                     .tenant_id = S(tenant_id),
                     .username = S(username),
                     .display_name = S(display_name ? display_name : username),
                     .email = S("u@example.com"),
                     .password_hash = S("$argon2id$x"),
                     .totp_secret = S(totp_secret),
                     .totp_last_step = 5,
                     .isolated_identity = tenant_id == NULL,
                     .created_at = 100};

    return store_user_insert(st, &u);
}

void rows_ticket_add(struct store *st, const char *id, const char *tenant_id, int64_t created_at)
{
    struct ticket t = {.id = S(id),
                       .tenant_id = S(tenant_id),
                       .title = S("disk full"),
                       .description = S("the disk is full"),
                       .severity = S("high"),
                       .status = S("open"),
                       .created_by = S("u1"),
                       .created_at = created_at};

    assert_int_equal(store_ticket_insert(st, &t), 0);
}

struct role_assignment rows_role(const char *id, const char *tenant_id, const char *user_id,
                                 const char *role, int64_t created_at)
{
    return (struct role_assignment){.id = S(id),
                                    .tenant_id = S(tenant_id),
                                    .user_id = S(user_id),
                                    .role = S(role),
                                    .scope = S("/"),
                                    .created_at = created_at};
}

void rows_role_add(struct store *st, const char *id, const char *tenant_id, const char *user_id,
                   const char *role, int64_t created_at)
{
    struct role_assignment r = rows_role(id, tenant_id, user_id, role, created_at);

    assert_int_equal(store_role_insert(st, &r), 0);
}

struct session rows_session(const char *token_hash, const char *user_id, int64_t expires_at)
{
    return (struct session){.token_hash = S(token_hash),
                            .user_id = S(user_id),
                            .mfa = true,
                            .created_at = 10,
                            .expires_at = expires_at};
}

struct session rows_api_token(const char *token_hash, const char *user_id, const char *token_id)
{
    return (struct session){.token_hash = S(token_hash),
                            .user_id = S(user_id),
                            .token_id = S(token_id),
                            .name = S("ci"),
                            .created_at = 10,
                            .expires_at = 5000};
}

struct request rows_request(const char *id, enum request_status status, int64_t created_at)
{
    static char *ids[] = {S("/srv/a/db1"), S("/srv/a/DB2")};

    return (struct request){.id = S(id),
                            .tenant_id = S("t1"),
                            .ticket_id = S("k1"),
                            .requester_id = S("u1"),
                            .requester_username = S("alice"),
                            .resource_type = S("host"),
                            .resource_ids = ids,
                            .resource_count = 2,
                            .access_level = ACCESS_WRITE,
                            .justification = S("Fix the Backup"),
                            .duration_seconds = 600,
                            .status = status,
                            .customer_approval_required = true,
                            .customer_visible = status != REQ_PENDING_INTERNAL,
                            .approvals_required = 1,
                            .created_at = created_at,
                            .expires_at = created_at + 3600};
}

struct decision rows_decision(enum decision_kind kind, int64_t at, const char *reason,
                              const char *client_ip)
{
    return (struct decision){.kind = kind,
                             .by_id = S("u1"),
                             .by_username = S("alice"),
                             .approve = true,
                             .at = at,
                             .reason = S(reason),
                             .client_ip = S(client_ip)};
}

struct audit_record rows_audit(const char *activity, const char *request_id, int64_t time)
{
    return (struct audit_record){.time = time,
                                 .tenant_id = S("t1"),
                                 .actor = S("alice"),
                                 .actor_type = S("user"),
                                 .activity = S(activity),
                                 .item = S("x"),
                                 .request_id = S(request_id)};
}

void rows_audit_add(struct store *st, const char *activity, const char *request_id, int64_t time,
                    int64_t *seq)
{
    struct audit_record rec = rows_audit(activity, request_id, time);

    assert_int_equal(store_audit_insert(st, &rec, seq), 0);
}

struct request_event rows_event(const char *tenant_id, const char *request_id, bool visible,
                                int64_t created_at)
{
    return (struct request_event){.id = S("e"),
                                  .type = S("request.pending"),
                                  .tenant_id = S(tenant_id),
                                  .request_id = S(request_id),
                                  .tenant_visible = visible,
                                  .created_at = created_at,
                                  .body = S("{}")};
}

int64_t rows_event_add(struct store *st, const char *tenant_id, const char *request_id,
                       bool visible, int64_t created_at)
{
    struct request_event e = rows_event(tenant_id, request_id, visible, created_at);
    int64_t seq = -1;

    assert_int_equal(store_event_insert(st, &e, &seq), 0);
    return seq;
}

struct webhook rows_webhook(const char *id, const char *tenant_id)
{
    static char *events[] = {S("request.pending"), S("request.approved")};

    return (struct webhook){.id = S(id),
                            .tenant_id = S(tenant_id),
                            .url = S("https://t1.example/hook"),
                            .events = events,
                            .event_count = 2,
                            .secret = S("s3cret"),
                            .created_at = 10};
}

struct outbox_msg rows_outbox_msg(const char *id)
{
    return (struct outbox_msg){.id = S(id),
                               .tenant_id = S("t1"),
                               .request_id = S("q1"),
                               .event = S("request.pending"),
                               .channel = S("email"),
                               .recipient = S("a@example.com"),
                               .payload = S("Subject: x\r\n\r\nbody"),
                               .tenant_visible = true,
                               .created_at = 10,
                               .status = OUTBOX_PENDING,
                               .next_attempt_at = 50};
}
