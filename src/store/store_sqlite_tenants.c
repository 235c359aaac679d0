/* The SQLite backend's tenants (store.h, migrations 1 to 3, 9, 10 and 13). */
#include "store_sqlite_int.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

#define TENANT_COLS                                                                                \
    "id, name, plan, created_at, lockbox_enabled, pending_expiry_seconds, default_grant_seconds,"  \
    " max_grant_seconds, required_approvals, notification_emails, email_links,"                    \
    " reminder_before_seconds, resource_scopes, audit_syslog_url, audit_syslog_profile,"           \
    " audit_retention_seconds, grant_report_mail"

/* The parameters of a tenant's settings, in the order of TENANT_COLS; emails are joined. */
#define SETTINGS_ARGS(ts, emails)                                                                  \
    SQS_INT((ts)->lockbox_enabled), SQS_INT((ts)->pending_expiry_seconds),                         \
        SQS_INT((ts)->default_grant_seconds), SQS_INT((ts)->max_grant_seconds),                    \
        SQS_INT((ts)->required_approvals), SQS_TEXT(emails), SQS_INT((ts)->email_links),           \
        SQS_INT((ts)->reminder_before_seconds)

/* The audit log's columns: the collector ('' and 'lockbox' for none) and the retention; and
 * the grant report's mail (SYSLOG_ARGS's neighbour in TENANT_COLS). */
#define SYSLOG_ARGS(ts)                                                                            \
    SQS_TEXT((ts)->audit_syslog_url ? (ts)->audit_syslog_url : ""),                                \
        SQS_TEXT((ts)->audit_syslog_profile ? (ts)->audit_syslog_profile : "lockbox"),             \
        SQS_INT((ts)->audit_retention_seconds), SQS_INT((ts)->grant_report_mail)

static int read_tenant(sqlite3_stmt *st, void *item)
{
    struct tenant *t = item;
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
    rc = strv_split_lines((const char *)sqlite3_column_text(st, 9),
                          &t->settings.notification_emails, &t->settings.notification_email_count);
    t->settings.email_links = sqlite3_column_int(st, 10) != 0;
    t->settings.reminder_before_seconds = sqlite3_column_int64(st, 11);
    if (!rc)
        rc = strv_split_lines((const char *)sqlite3_column_text(st, 12), &t->resource_scopes,
                              &t->resource_scope_count);
    t->settings.audit_syslog_url = sqs_col_str(st, 13, &oom);
    t->settings.audit_syslog_profile = sqs_col_str(st, 14, &oom);
    t->settings.audit_retention_seconds = sqlite3_column_int64(st, 15);
    t->settings.grant_report_mail = sqlite3_column_int(st, 16) != 0;
    if (oom || rc) {
        tenant_clear(t);
        return LB_ENOMEM;
    }
    return 0;
}

int sqs_tenant_insert(struct store *base, const struct tenant *t)
{
    static const char sql[] =
        "INSERT INTO tenants(" TENANT_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    char *emails =
        strv_join_lines(t->settings.notification_emails, t->settings.notification_email_count);
    char *scopes = strv_join_lines(t->resource_scopes, t->resource_scope_count);
    int rc = LB_ENOMEM;

    if (emails && scopes)
        rc = sqs_write(sqs_of(base),
                       SQS_QUERY(sql, SQS_TEXT(t->id), SQS_TEXT(t->name), SQS_TEXT(t->plan),
                                 SQS_INT(t->created_at), SETTINGS_ARGS(&t->settings, emails),
                                 SQS_TEXT(scopes), SYSLOG_ARGS(&t->settings)),
                       0, NULL);
    lb_free(emails);
    lb_free(scopes);
    return rc;
}

int sqs_tenant_update_scopes(struct store *base, const struct tenant *t)
{
    static const char sql[] = "UPDATE tenants SET resource_scopes=? WHERE id=?";
    char *scopes = strv_join_lines(t->resource_scopes, t->resource_scope_count);
    int rc;

    if (!scopes)
        return LB_ENOMEM;
    rc = sqs_write(sqs_of(base), SQS_QUERY(sql, SQS_TEXT(scopes), SQS_TEXT(t->id)), LB_ENOTFOUND,
                   NULL);
    lb_free(scopes);
    return rc;
}

int sqs_tenant_update_settings(struct store *base, const struct tenant *t)
{
    static const char sql[] =
        "UPDATE tenants SET lockbox_enabled=?, pending_expiry_seconds=?, default_grant_seconds=?,"
        " max_grant_seconds=?, required_approvals=?, notification_emails=?, email_links=?,"
        " reminder_before_seconds=?, audit_syslog_url=?, audit_syslog_profile=?,"
        " audit_retention_seconds=?, grant_report_mail=? WHERE id=?";
    char *emails =
        strv_join_lines(t->settings.notification_emails, t->settings.notification_email_count);
    int rc;

    if (!emails)
        return LB_ENOMEM;
    rc = sqs_write(sqs_of(base),
                   SQS_QUERY(sql, SETTINGS_ARGS(&t->settings, emails), SYSLOG_ARGS(&t->settings),
                             SQS_TEXT(t->id)),
                   LB_ENOTFOUND, NULL);
    lb_free(emails);
    return rc;
}

int sqs_tenant_get(struct store *base, const char *id, struct tenant *out)
{
    static const char sql[] = "SELECT " TENANT_COLS " FROM tenants WHERE id=?";

    return sqs_query_one(sqs_of(base), SQS_QUERY(sql, SQS_TEXT(id)), out, read_tenant, NULL);
}

int sqs_tenant_list(struct store *base, const char *only_id, struct tenant **items, size_t *count)
{
    static const char sql[] =
        "SELECT " TENANT_COLS
        " FROM tenants WHERE ?1 IS NULL OR id=?1 ORDER BY created_at DESC, id";
    struct tenant *v = NULL;
    size_t n = 0;
    int rc = sqs_query_list(sqs_of(base), SQS_QUERY(sql, SQS_TEXT(only_id)), &v, &n, sizeof(*v),
                            read_tenant, NULL);

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
