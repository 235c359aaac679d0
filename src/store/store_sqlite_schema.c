/* The SQLite backend's schema: its numbered migrations, applied at open, and the meta table
 * (store.h has the schema's picture). A migration, once released, never changes: stores made by
 * older versions must open unchanged. */
#include "store_sqlite_int.h"
#include "util/log.h"

#include <sqlite3.h>
#include <stdio.h>

#include "util/banned.h"

/* ---- migrations ---- */

static const char *const migrations[] = {
    /* 1: the core schema */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE tenants(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, plan TEXT NOT NULL,"
    " created_at INTEGER NOT NULL, lockbox_enabled INTEGER NOT NULL,"
    " pending_expiry_seconds INTEGER NOT NULL, default_grant_seconds INTEGER NOT NULL,"
    " max_grant_seconds INTEGER NOT NULL, required_approvals INTEGER NOT NULL,"
    " notification_emails TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE users(id TEXT PRIMARY KEY, tenant_id TEXT REFERENCES tenants(id),"
    " username TEXT NOT NULL UNIQUE, display_name TEXT, email TEXT, password_hash TEXT,"
    " totp_secret TEXT, totp_last_step INTEGER NOT NULL DEFAULT 0,"
    " isolated_identity INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);"
    "CREATE INDEX users_tenant ON users(tenant_id);"
    "CREATE TABLE role_assignments(id TEXT PRIMARY KEY, tenant_id TEXT REFERENCES tenants(id),"
    " user_id TEXT NOT NULL REFERENCES users(id), role TEXT NOT NULL, scope TEXT NOT NULL,"
    " created_at INTEGER NOT NULL, UNIQUE(user_id, role, scope));"
    "CREATE INDEX roles_tenant ON role_assignments(tenant_id, role, scope);"
    "CREATE TABLE sessions(token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),"
    " mfa INTEGER NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);"
    "CREATE TABLE tickets(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
    " tenant_id TEXT NOT NULL REFERENCES tenants(id), title TEXT NOT NULL,"
    " description TEXT NOT NULL, severity TEXT NOT NULL, status TEXT NOT NULL,"
    " created_by TEXT NOT NULL REFERENCES users(id), created_at INTEGER NOT NULL);"
    "CREATE INDEX tickets_tenant ON tickets(tenant_id, seq);"
    "CREATE TABLE ticket_history(ticket_id TEXT NOT NULL REFERENCES tickets(id),"
    " seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, by TEXT NOT NULL, type TEXT NOT NULL,"
    " text TEXT NOT NULL);"
    "CREATE INDEX ticket_history_ticket ON ticket_history(ticket_id, seq);"
    "CREATE TABLE requests(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
    " tenant_id TEXT NOT NULL REFERENCES tenants(id), ticket_id TEXT NOT NULL REFERENCES "
    "tickets(id),"
    " requester_id TEXT NOT NULL REFERENCES users(id), requester_username TEXT NOT NULL,"
    " resource_type TEXT NOT NULL, resource_ids TEXT NOT NULL, access_level INTEGER NOT NULL,"
    " justification TEXT NOT NULL, duration_seconds INTEGER NOT NULL, status TEXT NOT NULL,"
    " customer_approval_required INTEGER NOT NULL, internal_review_required INTEGER NOT NULL,"
    " customer_visible INTEGER NOT NULL, approvals_required INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL, expires_at INTEGER, grant_starts_at INTEGER,"
    " grant_ends_at INTEGER, grant_ended_at INTEGER, status_reason TEXT, deadline INTEGER);"
    "CREATE INDEX requests_tenant ON requests(tenant_id, seq);"
    "CREATE INDEX requests_requester ON requests(requester_username, seq);"
    "CREATE INDEX requests_status ON requests(status, seq);"
    "CREATE INDEX requests_deadline ON requests(deadline) WHERE deadline IS NOT NULL;"
    "CREATE TABLE request_decisions(request_id TEXT NOT NULL REFERENCES requests(id),"
    " seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, by_id TEXT NOT NULL, by_username TEXT NOT NULL,"
    " decision TEXT NOT NULL, at INTEGER NOT NULL, reason TEXT, client_ip TEXT);"
    "CREATE INDEX request_decisions_request ON request_decisions(request_id, seq);"
    "CREATE TABLE audit(seq INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL,"
    " tenant_id TEXT, actor TEXT NOT NULL, actor_id TEXT, actor_type TEXT NOT NULL,"
    " client_ip TEXT, activity TEXT NOT NULL, item TEXT, request_id TEXT, decision TEXT,"
    " details TEXT NOT NULL);"
    "CREATE INDEX audit_activity ON audit(activity, seq);"
    "CREATE INDEX audit_actor ON audit(actor, seq);"
    "CREATE INDEX audit_item ON audit(item, seq);"
    "CREATE INDEX audit_tenant ON audit(tenant_id, seq);"
    "CREATE INDEX audit_time ON audit(time, seq);"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    /* 2: notifications */
    "ALTER TABLE tenants ADD COLUMN email_links INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE tenants ADD COLUMN reminder_before_seconds INTEGER NOT NULL DEFAULT 86400;"
    "ALTER TABLE requests ADD COLUMN reminder_at INTEGER;"
    "CREATE TABLE webhooks(id TEXT PRIMARY KEY, tenant_id TEXT REFERENCES tenants(id),"
    " url TEXT NOT NULL, events TEXT NOT NULL, secret TEXT NOT NULL, created_at INTEGER NOT NULL);"
    "CREATE INDEX webhooks_tenant ON webhooks(tenant_id);"
    "CREATE TABLE outbox(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, tenant_id TEXT,"
    " request_id TEXT, event TEXT NOT NULL, channel TEXT NOT NULL, recipient TEXT NOT NULL,"
    " webhook_id TEXT, payload TEXT NOT NULL, tenant_visible INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL, status TEXT NOT NULL,"
    " attempts INTEGER NOT NULL, next_attempt_at INTEGER, last_attempt_at INTEGER,"
    " delivered_at INTEGER, last_error TEXT);"
    "CREATE INDEX outbox_due ON outbox(channel, next_attempt_at) WHERE status='pending';"
    "CREATE INDEX outbox_request ON outbox(request_id, seq);"
    "CREATE INDEX outbox_status ON outbox(status);",
    /* 3: resources belong to their tenant */
    "ALTER TABLE tenants ADD COLUMN resource_scopes TEXT NOT NULL DEFAULT '';",
    /* 4: login throttling */
    "CREATE TABLE login_throttle(kind INTEGER NOT NULL, name TEXT NOT NULL,"
    " failures INTEGER NOT NULL, last_failure_at INTEGER NOT NULL,"
    " locked_until INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(kind, name)) WITHOUT ROWID;"
    "CREATE INDEX login_throttle_locked ON login_throttle(locked_until) WHERE locked_until > 0;"
    "CREATE INDEX login_throttle_last ON login_throttle(last_failure_at);",
    /* 5: the request event stream (GET /api/v1/events); AUTOINCREMENT: a seq is never reused */
    "CREATE TABLE events(seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL,"
    " type TEXT NOT NULL, tenant_id TEXT NOT NULL, request_id TEXT NOT NULL,"
    " tenant_visible INTEGER NOT NULL, created_at INTEGER NOT NULL, body TEXT NOT NULL);"
    "CREATE INDEX events_tenant ON events(tenant_id, seq) WHERE tenant_visible=1;"
    "CREATE INDEX events_time ON events(created_at);",
    /* 6: API tokens of service accounts */
    "ALTER TABLE sessions ADD COLUMN token_id TEXT;"
    "ALTER TABLE sessions ADD COLUMN name TEXT;"
    "CREATE UNIQUE INDEX sessions_token_id ON sessions(token_id) WHERE token_id IS NOT NULL;"
    "CREATE INDEX sessions_user_tokens ON sessions(user_id) WHERE token_id IS NOT NULL;",
    /* 7: a user's roles, read at every authenticated call, by index and in order */
    "CREATE INDEX roles_user ON role_assignments(user_id, created_at);",
    /* 8: the audit log's hash chains (audit/chain.h), their signed checkpoints and keys. A
     * record written before is chained once by lockboxd's first start after (its hash set
     * where it is NULL), which is the one change the log allows. */
    "ALTER TABLE audit ADD COLUMN chain TEXT;"
    "ALTER TABLE audit ADD COLUMN chain_index INTEGER;"
    "ALTER TABLE audit ADD COLUMN prev_hash TEXT;"
    "ALTER TABLE audit ADD COLUMN hash TEXT;"
    "CREATE UNIQUE INDEX audit_chain ON audit(chain, chain_index) WHERE chain IS NOT NULL;"
    "CREATE INDEX audit_unchained ON audit(seq) WHERE hash IS NULL;"
    "DROP TRIGGER audit_no_update;"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit WHEN OLD.hash IS NOT NULL"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TABLE audit_chains(chain TEXT PRIMARY KEY, head_index INTEGER NOT NULL,"
    " head_hash TEXT NOT NULL, head_time INTEGER NOT NULL,"
    " checkpoint_index INTEGER NOT NULL DEFAULT 0, checkpoint_time INTEGER NOT NULL DEFAULT 0)"
    " WITHOUT ROWID;"
    "CREATE TABLE audit_checkpoints(chain TEXT NOT NULL, chain_index INTEGER NOT NULL,"
    " hash TEXT NOT NULL, time INTEGER NOT NULL, key_id TEXT NOT NULL, signature TEXT NOT NULL,"
    " PRIMARY KEY(chain, chain_index)) WITHOUT ROWID;"
    "CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TABLE audit_keys(id TEXT PRIMARY KEY, public_key TEXT NOT NULL,"
    " created_at INTEGER NOT NULL, retired_at INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;",
    /* 9: the log streamed to syslog collectors (notify/syslog.h): a tenant's collector, each
     * stream's delivery state, and how far it sent each chain */
    "ALTER TABLE tenants ADD COLUMN audit_syslog_url TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE tenants ADD COLUMN audit_syslog_profile TEXT NOT NULL DEFAULT 'lockbox';"
    "CREATE TABLE audit_streams(id TEXT PRIMARY KEY, url TEXT NOT NULL, profile TEXT NOT NULL,"
    " created_at INTEGER NOT NULL, delivered INTEGER NOT NULL DEFAULT 0,"
    " attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL DEFAULT 0,"
    " last_attempt_at INTEGER NOT NULL DEFAULT 0, last_error TEXT,"
    " lease_owner TEXT, lease_until INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE TABLE audit_stream_cursors(stream TEXT NOT NULL, chain TEXT NOT NULL,"
    " chain_index INTEGER NOT NULL, PRIMARY KEY(stream, chain)) WITHOUT ROWID;"
    "CREATE TABLE audit_stream_held(stream TEXT NOT NULL, chain TEXT NOT NULL,"
    " chain_index INTEGER NOT NULL, request_id TEXT NOT NULL,"
    " PRIMARY KEY(stream, chain, chain_index)) WITHOUT ROWID;",
    /* 10: retention: a chain's records through a signed checkpoint may be deleted, once its
     * pruned_index says so (and an audit.prune record in it says why) */
    "ALTER TABLE tenants ADD COLUMN audit_retention_seconds INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE audit_chains ADD COLUMN pruned_index INTEGER NOT NULL DEFAULT 0;"
    "DROP TRIGGER audit_no_delete;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit WHEN OLD.chain IS NULL OR"
    " OLD.chain_index > COALESCE((SELECT pruned_index FROM audit_chains"
    " WHERE chain=OLD.chain), 0)"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    /* 11: a tenant's searches by actor or activity read only their own rows (bench/audit: at
     * 10 million records, 30 ms through the tenant's index alone, 1 ms through these) */
    "CREATE INDEX audit_tenant_actor ON audit(tenant_id, actor, seq);"
    "CREATE INDEX audit_tenant_activity ON audit(tenant_id, activity, seq);",
    /* 12: a search in a time window is read in time order (audit_sql.h); a tenant's through
     * this index, the provider's through audit_time */
    "CREATE INDEX audit_tenant_time ON audit(tenant_id, time, seq);",
    /* 13: a tenant may switch off the mail of a grant's report to its approvers */
    "ALTER TABLE tenants ADD COLUMN grant_report_mail INTEGER NOT NULL DEFAULT 1;",
    /* 14: a request keeps what the JIT policy weighed of its requester and their display name
     * (NULL: unknown); a request made before takes them from its request.create record, which
     * has kept them since the day before */
    "ALTER TABLE requests ADD COLUMN requester_display_name TEXT;"
    "ALTER TABLE requests ADD COLUMN requester_mfa INTEGER;"
    "ALTER TABLE requests ADD COLUMN requester_isolated INTEGER;"
    "UPDATE requests SET"
    " requester_display_name=(SELECT CASE json_type(a.details, '$.requester_display_name')"
    " WHEN 'text' THEN json_extract(a.details, '$.requester_display_name') END"
    " FROM audit a WHERE a.activity='request.create' AND a.item=requests.id"
    " AND json_valid(a.details) ORDER BY a.seq LIMIT 1),"
    " requester_mfa=(SELECT CASE json_type(a.details, '$.mfa') WHEN 'true' THEN 1"
    " WHEN 'false' THEN 0 END FROM audit a WHERE a.activity='request.create'"
    " AND a.item=requests.id AND json_valid(a.details) ORDER BY a.seq LIMIT 1),"
    " requester_isolated=(SELECT CASE json_type(a.details, '$.isolated_identity')"
    " WHEN 'true' THEN 1 WHEN 'false' THEN 0 END FROM audit a"
    " WHERE a.activity='request.create' AND a.item=requests.id AND json_valid(a.details)"
    " ORDER BY a.seq LIMIT 1);",
};

int sqs_migrate(struct conn *s, struct buf *err)
{
    sqlite3_stmt *st = NULL;
    int version = 0, rc;

    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return STORE_ERR(LB_ESTORE);
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    for (size_t i = (size_t)version; i < sizeof(migrations) / sizeof(migrations[0]); i++) {
        char pragma[64];
        if ((rc = sqs_exec(s, "BEGIN IMMEDIATE")) != 0)
            return rc;
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%zu", i + 1);
        if ((rc = sqs_exec(s, migrations[i])) != 0 || (rc = sqs_exec(s, pragma)) != 0) {
            if (err)
                buf_appendf(err, "migration %zu failed: %s", i + 1, sqlite3_errmsg(s->db));
            sqs_exec(s, "ROLLBACK");
            return rc;
        }
        if ((rc = sqs_exec(s, "COMMIT")) != 0)
            return rc;
        log_info("store: applied migration=%zu", i + 1);
    }
    return 0;
}

/* ---- meta ---- */

int sqs_meta_get(struct store *base, const char *key, char **value)
{
    static const char sql[] = "SELECT value FROM meta WHERE key=?";

    return sqs_query_one(sqs_of(base), SQS_QUERY(sql, SQS_TEXT(key)), value, sqs_row_str, NULL);
}

int sqs_meta_set(struct store *base, const char *key, const char *value)
{
    static const char sql[] = "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)";

    return sqs_write(sqs_of(base), SQS_QUERY(sql, SQS_TEXT(key), SQS_TEXT(value)), 0, NULL);
}
