/* The SQLite backend's tenants (store.h, migrations 1 to 3). */
#include "store_sqlite_int.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

/* ---- tenants ---- */

#define TENANT_COLS                                                                                \
    "id, name, plan, created_at, lockbox_enabled, pending_expiry_seconds, default_grant_seconds,"  \
    " max_grant_seconds, required_approvals, notification_emails, email_links,"                    \
    " reminder_before_seconds, resource_scopes"

static int read_tenant(sqlite3_stmt *st, struct tenant *t)
{
    bool oom = false;
    int rc;

    memset(t, 0, sizeof(*t));
    t->id = sqs_col_str(st, 0, &oom);
    t->name = sqs_col_str(st, 1, &oom);
    t->plan = sqs_col_str(st, 2, &oom);
    t->created_at = sqlite3_column_int64(st, 3);
    t->settings.lockbox_enabled = sqlite3_column_int(st, 4) != 0;
    t->settings.pending_expiry_seconds = sqlite3_column_int64(st, 5);
    t->settings.default_grant_seconds = sqlite3_column_int64(st, 6);
    t->settings.max_grant_seconds = sqlite3_column_int64(st, 7);
    t->settings.required_approvals = sqlite3_column_int64(st, 8);
    rc = sqs_split_lines((const char *)sqlite3_column_text(st, 9), &t->settings.notification_emails,
                         &t->settings.notification_email_count);
    t->settings.email_links = sqlite3_column_int(st, 10) != 0;
    t->settings.reminder_before_seconds = sqlite3_column_int64(st, 11);
    if (!rc)
        rc = sqs_split_lines((const char *)sqlite3_column_text(st, 12), &t->resource_scopes,
                             &t->resource_scope_count);
    if (oom || rc) {
        tenant_clear(t);
        return LB_ENOMEM;
    }
    return 0;
}

static int row_tenant(sqlite3_stmt *st, void *item)
{
    return read_tenant(st, item);
}

static void bind_settings(sqlite3_stmt *st, int first, const struct tenant_settings *ts,
                          char *emails)
{
    sqlite3_bind_int(st, first, ts->lockbox_enabled);
    sqlite3_bind_int64(st, first + 1, ts->pending_expiry_seconds);
    sqlite3_bind_int64(st, first + 2, ts->default_grant_seconds);
    sqlite3_bind_int64(st, first + 3, ts->max_grant_seconds);
    sqlite3_bind_int64(st, first + 4, ts->required_approvals);
    sqs_bind_text(st, first + 5, emails);
    sqlite3_bind_int(st, first + 6, ts->email_links);
    sqlite3_bind_int64(st, first + 7, ts->reminder_before_seconds);
}

int sqs_tenant_insert(struct store *base, const struct tenant *t)
{
    static const char sql[] =
        "INSERT INTO tenants(" TENANT_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)";
    struct sqlite_store *s = sqs_of(base);
    char *emails =
        sqs_join_lines(t->settings.notification_emails, t->settings.notification_email_count);
    char *scopes = sqs_join_lines(t->resource_scopes, t->resource_scope_count);
    struct conn *cn;
    sqlite3_stmt *st;
    int rc = LB_ENOMEM;

    if (!emails || !scopes)
        goto out;
    cn = sqs_acquire(s, CONN_WRITE);
    st = sqs_stmt(cn, sql);
    rc = LB_ESTORE;
    if (st) {
        sqs_bind_text(st, 1, t->id);
        sqs_bind_text(st, 2, t->name);
        sqs_bind_text(st, 3, t->plan);
        sqlite3_bind_int64(st, 4, t->created_at);
        bind_settings(st, 5, &t->settings, emails);
        sqs_bind_text(st, 13, scopes);
        rc = sqs_run(cn, st);
    }
    rc = sqs_release(s, cn, rc);
out:
    lb_free(emails);
    lb_free(scopes);
    return rc;
}

int sqs_tenant_update_scopes(struct store *base, const struct tenant *t)
{
    static const char sql[] = "UPDATE tenants SET resource_scopes=? WHERE id=?";
    struct sqlite_store *s = sqs_of(base);
    char *scopes = sqs_join_lines(t->resource_scopes, t->resource_scope_count);
    struct conn *cn;
    sqlite3_stmt *st;
    int rc = LB_ESTORE;

    if (!scopes)
        return LB_ENOMEM;
    cn = sqs_acquire(s, CONN_WRITE);
    st = sqs_stmt(cn, sql);
    if (st) {
        sqs_bind_text(st, 1, scopes);
        sqs_bind_text(st, 2, t->id);
        rc = sqs_run(cn, st);
        if (rc == 0 && sqlite3_changes(cn->db) == 0)
            rc = LB_ENOTFOUND;
    }
    rc = sqs_release(s, cn, rc);
    lb_free(scopes);
    return rc;
}

int sqs_tenant_update_settings(struct store *base, const struct tenant *t)
{
    static const char sql[] =
        "UPDATE tenants SET lockbox_enabled=?, pending_expiry_seconds=?, default_grant_seconds=?,"
        " max_grant_seconds=?, required_approvals=?, notification_emails=?, email_links=?,"
        " reminder_before_seconds=? WHERE id=?";
    struct sqlite_store *s = sqs_of(base);
    char *emails =
        sqs_join_lines(t->settings.notification_emails, t->settings.notification_email_count);
    struct conn *cn;
    sqlite3_stmt *st;
    int rc = LB_ESTORE;

    if (!emails)
        return LB_ENOMEM;
    cn = sqs_acquire(s, CONN_WRITE);
    st = sqs_stmt(cn, sql);
    if (st) {
        bind_settings(st, 1, &t->settings, emails);
        sqs_bind_text(st, 9, t->id);
        rc = sqs_run(cn, st);
        if (rc == 0 && sqlite3_changes(cn->db) == 0)
            rc = LB_ENOTFOUND;
    }
    rc = sqs_release(s, cn, rc);
    lb_free(emails);
    return rc;
}

int sqs_tenant_get(struct store *base, const char *id, struct tenant *out)
{
    static const char sql[] = "SELECT " TENANT_COLS " FROM tenants WHERE id=?";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, id);
        rc = sqs_get_one(cn, st, out, row_tenant);
    }
    sqs_release(s, cn, 0);
    return rc;
}

int sqs_tenant_list(struct store *base, const char *only_id, struct tenant **items, size_t *count)
{
    static const char sql[] =
        "SELECT " TENANT_COLS
        " FROM tenants WHERE ?1 IS NULL OR id=?1 ORDER BY created_at DESC, id";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    struct tenant *v = NULL;
    size_t n = 0, cap = 0;
    int rc = LB_ESTORE;

    if (!st)
        goto out;
    sqs_bind_text(st, 1, only_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (lb_array_reserve(&v, &cap, n, sizeof(*v)) != 0) {
            rc = LB_ENOMEM;
            break;
        }
        if ((rc = read_tenant(st, &v[n])) != 0)
            break;
        n++;
    }
    rc = rc == SQLITE_DONE ? 0 : (rc < 0 ? rc : sqs_code(cn, rc));
    sqs_stmt_done(cn, st);
out:
    sqs_release(s, cn, 0);
    if (rc) {
        for (size_t i = 0; i < n; i++)
            tenant_clear(&v[i]);
        lb_free(v);
        return rc;
    }
    *items = v;
    *count = n;
    return 0;
}
