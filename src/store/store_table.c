/* The one list of the store's tables and columns (store_table.h). */
#include "store_table.h"

#include <string.h>

#include "util/banned.h"

#define T STORE_COLUMN_TEXT
#define I STORE_COLUMN_INT
#define B STORE_COLUMN_BOOL
#define COLUMNS(c) (c), sizeof(c) / sizeof((c)[0])

static const struct store_column meta[] = {{"key", T}, {"value", T}};

static const struct store_column tenants[] = {
    {"id", T},
    {"name", T},
    {"plan", T},
    {"created_at", I},
    {"lockbox_enabled", B},
    {"pending_expiry_seconds", I},
    {"default_grant_seconds", I},
    {"max_grant_seconds", I},
    {"required_approvals", I},
    {"notification_emails", T},
    {"email_links", B},
    {"reminder_before_seconds", I},
    {"resource_scopes", T},
    {"audit_syslog_url", T},
    {"audit_syslog_profile", T},
    {"audit_retention_seconds", I},
    {"grant_report_mail", B},
};

static const struct store_column users[] = {
    {"id", T},           {"tenant_id", T},      {"username", T},
    {"display_name", T}, {"email", T},          {"password_hash", T},
    {"totp_secret", T},  {"totp_last_step", I}, {"isolated_identity", B},
    {"created_at", I},
};

static const struct store_column role_assignments[] = {
    {"seq", I},  {"id", T},    {"tenant_id", T},  {"user_id", T},
    {"role", T}, {"scope", T}, {"created_at", I},
};

static const struct store_column sessions[] = {
    {"seq", I},        {"token_hash", T}, {"user_id", T},  {"mfa", B},
    {"created_at", I}, {"expires_at", I}, {"token_id", T}, {"name", T},
};

static const struct store_column tickets[] = {
    {"seq", I},      {"id", T},     {"tenant_id", T},  {"title", T},      {"description", T},
    {"severity", T}, {"status", T}, {"created_by", T}, {"created_at", I},
};

static const struct store_column ticket_history[] = {
    {"seq", I}, {"ticket_id", T}, {"at", I}, {"by", T}, {"type", T}, {"text", T},
};

static const struct store_column requests[] = {
    {"seq", I},
    {"id", T},
    {"tenant_id", T},
    {"ticket_id", T},
    {"requester_id", T},
    {"requester_username", T},
    {"resource_type", T},
    {"resource_ids", T},
    {"access_level", I},
    {"justification", T},
    {"duration_seconds", I},
    {"status", T},
    {"customer_approval_required", B},
    {"internal_review_required", B},
    {"customer_visible", B},
    {"approvals_required", I},
    {"created_at", I},
    {"expires_at", I},
    {"grant_starts_at", I},
    {"grant_ends_at", I},
    {"grant_ended_at", I},
    {"status_reason", T},
    {"deadline", I},
    {"reminder_at", I},
    {"requester_display_name", T},
    {"requester_mfa", B},
    {"requester_isolated", B},
};

static const struct store_column request_decisions[] = {
    {"seq", I},      {"request_id", T}, {"kind", T},   {"by_id", T},     {"by_username", T},
    {"decision", T}, {"at", I},         {"reason", T}, {"client_ip", T},
};

static const struct store_column audit[] = {
    {"seq", I},      {"time", I},        {"tenant_id", T}, {"actor", T},
    {"actor_id", T}, {"actor_type", T},  {"client_ip", T}, {"activity", T},
    {"item", T},     {"request_id", T},  {"decision", T},  {"details", T},
    {"chain", T},    {"chain_index", I}, {"prev_hash", T}, {"hash", T},
};

static const struct store_column audit_chains[] = {
    {"chain", T},        {"head_index", I},       {"head_hash", T},
    {"head_time", I},    {"checkpoint_index", I}, {"checkpoint_time", I},
    {"pruned_index", I},
};

static const struct store_column audit_checkpoints[] = {
    {"chain", T}, {"chain_index", I}, {"hash", T}, {"time", I}, {"key_id", T}, {"signature", T},
};

static const struct store_column audit_keys[] = {
    {"id", T},
    {"public_key", T},
    {"created_at", I},
    {"retired_at", I},
};

static const struct store_column audit_streams[] = {
    {"id", T},         {"url", T},         {"profile", T},         {"created_at", I},
    {"delivered", I},  {"attempts", I},    {"next_attempt_at", I}, {"last_attempt_at", I},
    {"last_error", T}, {"lease_owner", T}, {"lease_until", I},
};

static const struct store_column audit_stream_cursors[] = {
    {"stream", T},
    {"chain", T},
    {"chain_index", I},
};

static const struct store_column audit_stream_held[] = {
    {"stream", T},
    {"chain", T},
    {"chain_index", I},
    {"request_id", T},
};

static const struct store_column webhooks[] = {
    {"seq", I},    {"id", T},     {"tenant_id", T},  {"url", T},
    {"events", T}, {"secret", T}, {"created_at", I},
};

static const struct store_column outbox[] = {
    {"seq", I},
    {"id", T},
    {"tenant_id", T},
    {"request_id", T},
    {"event", T},
    {"channel", T},
    {"recipient", T},
    {"webhook_id", T},
    {"payload", T},
    {"tenant_visible", B},
    {"created_at", I},
    {"status", T},
    {"attempts", I},
    {"next_attempt_at", I},
    {"last_attempt_at", I},
    {"delivered_at", I},
    {"last_error", T},
};

static const struct store_column login_throttle[] = {
    {"kind", I}, {"name", T}, {"failures", I}, {"last_failure_at", I}, {"locked_until", I},
};

static const struct store_column events[] = {
    {"seq", I},        {"id", T},         {"type", T},
    {"tenant_id", T},  {"request_id", T}, {"tenant_visible", B},
    {"created_at", I}, {"body", T},
};

#define SEQ STORE_TABLE_SEQ
#define ROWID (STORE_TABLE_SEQ | STORE_TABLE_SEQ_ROWID)
#define KEPT (STORE_TABLE_SEQ | STORE_TABLE_SEQ_KEPT)

const struct store_table store_tables[] = {
    {"meta", COLUMNS(meta), 1, 0},
    {"tenants", COLUMNS(tenants), 1, 0},
    {"users", COLUMNS(users), 1, 0},
    {"role_assignments", COLUMNS(role_assignments), 1, ROWID},
    {"sessions", COLUMNS(sessions), 1, ROWID},
    {"tickets", COLUMNS(tickets), 1, SEQ},
    {"ticket_history", COLUMNS(ticket_history), 1, SEQ},
    {"requests", COLUMNS(requests), 1, SEQ},
    {"request_decisions", COLUMNS(request_decisions), 1, SEQ},
    {"audit", COLUMNS(audit), 1, KEPT},
    {"audit_chains", COLUMNS(audit_chains), 1, 0},
    {"audit_checkpoints", COLUMNS(audit_checkpoints), 2, 0},
    {"audit_keys", COLUMNS(audit_keys), 1, 0},
    {"audit_streams", COLUMNS(audit_streams), 1, 0},
    {"audit_stream_cursors", COLUMNS(audit_stream_cursors), 2, 0},
    {"audit_stream_held", COLUMNS(audit_stream_held), 3, 0},
    {"webhooks", COLUMNS(webhooks), 1, ROWID},
    {"outbox", COLUMNS(outbox), 1, SEQ},
    {"login_throttle", COLUMNS(login_throttle), 2, 0},
    {"events", COLUMNS(events), 1, KEPT},
};

const size_t store_table_count = sizeof(store_tables) / sizeof(store_tables[0]);

const struct store_table *store_table_find(const char *name)
{
    for (size_t i = 0; i < store_table_count; i++)
        if (strcmp(store_tables[i].name, name) == 0)
            return &store_tables[i];
    return NULL;
}

void store_table_columns_sql(struct buf *b, const struct store_table *t, bool rowid)
{
    for (size_t i = 0; i < t->column_count; i++) {
        const char *sep = i ? ", " : "";
        /* unquoted: SQLite's rowid is a name it gives every row, not a column of the table */
        if (i == 0 && rowid && (t->flags & STORE_TABLE_SEQ_ROWID))
            buf_appendf(b, "%srowid", sep);
        else
            buf_appendf(b, "%s\"%s\"", sep, t->columns[i].name);
    }
}
