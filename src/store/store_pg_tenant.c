/* The PostgreSQL backend's tenants (store.h; lists kept '\n'-joined as on SQLite). */
#include "store_pg_int.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

#define TENANT_COLS                                                                                \
    "id, name, plan, created_at, lockbox_enabled, pending_expiry_seconds, default_grant_seconds,"  \
    " max_grant_seconds, required_approvals, notification_emails, email_links,"                    \
    " reminder_before_seconds, resource_scopes, audit_syslog_url, audit_syslog_profile,"           \
    " audit_retention_seconds, grant_report_mail"

static int read_tenant(const struct pgs_row *row, void *item)
{
    struct tenant *t = item;
    struct tenant_settings *ts = &t->settings;
    bool oom = false;
    int rc;

    memset(t, 0, sizeof(*t));
    t->id = pgs_col_str(row, 0, &oom);
    t->name = pgs_col_str(row, 1, &oom);
    t->plan = pgs_col_str(row, 2, &oom);
    t->created_at = pgs_col_int(row, 3);
    ts->lockbox_enabled = pgs_col_bool(row, 4);
    ts->pending_expiry_seconds = pgs_col_int(row, 5);
    ts->default_grant_seconds = pgs_col_int(row, 6);
    ts->max_grant_seconds = pgs_col_int(row, 7);
    ts->required_approvals = pgs_col_int(row, 8);
    rc = strv_split_lines(pgs_col_text(row, 9), &ts->notification_emails,
                          &ts->notification_email_count);
    ts->email_links = pgs_col_bool(row, 10);
    ts->reminder_before_seconds = pgs_col_int(row, 11);
    if (!rc)
        rc = strv_split_lines(pgs_col_text(row, 12), &t->resource_scopes, &t->resource_scope_count);
    ts->audit_syslog_url = pgs_col_str(row, 13, &oom);
    ts->audit_syslog_profile = pgs_col_str(row, 14, &oom);
    ts->audit_retention_seconds = pgs_col_int(row, 15);
    ts->grant_report_mail = pgs_col_bool(row, 16);
    if (oom || rc) {
        tenant_clear(t);
        return LB_ENOMEM;
    }
    return 0;
}

/* Binds the eight settings columns, from lockbox_enabled on (emails: the joined list). */
static void bind_settings(struct pgs_params *p, const struct tenant_settings *ts,
                          const char *emails)
{
    pgs_bind_bool(p, ts->lockbox_enabled);
    pgs_bind_int(p, ts->pending_expiry_seconds);
    pgs_bind_int(p, ts->default_grant_seconds);
    pgs_bind_int(p, ts->max_grant_seconds);
    pgs_bind_int(p, ts->required_approvals);
    pgs_bind_text(p, emails);
    pgs_bind_bool(p, ts->email_links);
    pgs_bind_int(p, ts->reminder_before_seconds);
}

/* Binds the audit log's three columns: the collector ('' and 'lockbox' for none), the
 * retention; then grant_report_mail, the column after them. */
static void bind_audit(struct pgs_params *p, const struct tenant_settings *ts)
{
    pgs_bind_text(p, ts->audit_syslog_url ? ts->audit_syslog_url : "");
    pgs_bind_text(p, ts->audit_syslog_profile ? ts->audit_syslog_profile : "lockbox");
    pgs_bind_int(p, ts->audit_retention_seconds);
    pgs_bind_bool(p, ts->grant_report_mail);
}

int pgs_tenant_insert(struct store *base, const struct tenant *t)
{
    static const char sql[] = "INSERT INTO tenants(" TENANT_COLS ")"
                              " VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)"
                              " ON CONFLICT DO NOTHING";
    char *emails =
        strv_join_lines(t->settings.notification_emails, t->settings.notification_email_count);
    char *scopes = strv_join_lines(t->resource_scopes, t->resource_scope_count);
    struct pgs_params p = {0};
    int rc = LB_ENOMEM;

    if (!emails || !scopes)
        goto out;
    pgs_bind_text(&p, t->id);
    pgs_bind_text(&p, t->name);
    pgs_bind_text(&p, t->plan);
    pgs_bind_int(&p, t->created_at);
    bind_settings(&p, &t->settings, emails);
    pgs_bind_text(&p, scopes);
    bind_audit(&p, &t->settings);
    rc = pgs_insert(pgs_of(base), sql, &p);
out:
    lb_free(emails);
    lb_free(scopes);
    return rc;
}

int pgs_tenant_update_scopes(struct store *base, const struct tenant *t)
{
    static const char sql[] = "UPDATE tenants SET resource_scopes=$1 WHERE id=$2";
    char *scopes = strv_join_lines(t->resource_scopes, t->resource_scope_count);
    struct pgs_params p = {0};
    int rc;

    if (!scopes)
        return LB_ENOMEM;
    pgs_bind_text(&p, scopes);
    pgs_bind_text(&p, t->id);
    rc = pgs_change(pgs_of(base), sql, &p);
    lb_free(scopes);
    return rc;
}

int pgs_tenant_update_settings(struct store *base, const struct tenant *t)
{
    static const char sql[] =
        "UPDATE tenants SET lockbox_enabled=$1, pending_expiry_seconds=$2,"
        " default_grant_seconds=$3, max_grant_seconds=$4, required_approvals=$5,"
        " notification_emails=$6, email_links=$7, reminder_before_seconds=$8,"
        " audit_syslog_url=$9, audit_syslog_profile=$10, audit_retention_seconds=$11,"
        " grant_report_mail=$12 WHERE id=$13";
    char *emails =
        strv_join_lines(t->settings.notification_emails, t->settings.notification_email_count);
    struct pgs_params p = {0};
    int rc;

    if (!emails)
        return LB_ENOMEM;
    bind_settings(&p, &t->settings, emails);
    bind_audit(&p, &t->settings);
    pgs_bind_text(&p, t->id);
    rc = pgs_change(pgs_of(base), sql, &p);
    lb_free(emails);
    return rc;
}

int pgs_tenant_get(struct store *base, const char *id, struct tenant *out)
{
    static const char sql[] = "SELECT " TENANT_COLS " FROM tenants WHERE id=$1";
    struct pgs_params p = {0};

    pgs_bind_text(&p, id);
    return pgs_get(pgs_of(base), sql, &p, out, read_tenant);
}

int pgs_tenant_list(struct store *base, const char *only_id, struct tenant **items, size_t *count)
{
    /* COLLATE "C": SQLite's byte order, whatever the database's locale */
    static const char sql[] = "SELECT " TENANT_COLS " FROM tenants"
                              " WHERE $1::text IS NULL OR id=$1"
                              " ORDER BY created_at DESC, id COLLATE \"C\"";
    struct tenant *v = NULL;
    size_t n = 0;
    struct pgs_params p = {0};
    struct pgs_query q = {.sql = sql,
                          .params = &p,
                          .read = read_tenant,
                          .items = &v,
                          .count = &n,
                          .size = sizeof(*v)};
    int rc;

    pgs_bind_text(&p, only_id);
    rc = pgs_list(pgs_of(base), &q);
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
