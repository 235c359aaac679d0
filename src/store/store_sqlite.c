#include "store_sqlite.h"

#include "store_sqlite_int.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strv.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

int sqs_err_at(int code, const char *file, int line)
{
    log_debug("store error code=%s at=%s:%d", lb_strerror(code), file, line);
    return code;
}

struct sqlite_store *sqs_of(struct store *st)
{
    return (struct sqlite_store *)st;
}

static int code_of(struct conn *cn, int rc)
{
    int sys = sqlite3_system_errno(cn->db);

    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        return LB_EEXISTS;
    case SQLITE_NOMEM:
        return LB_ENOMEM;
    case SQLITE_FULL:
        return LB_ENOSPC;
    case SQLITE_IOERR:
        return sys == ENOSPC || sys == EDQUOT ? LB_ENOSPC : LB_ESTORE;
    default:
        return LB_ESTORE;
    }
}

int sqs_code(struct conn *cn, int rc)
{
    int code = code_of(cn, rc);

    if (code == LB_ESTORE || code == LB_ENOSPC)
        log_debug("sqlite error rc=%d errno=%d msg=\"%s\"", rc, sqlite3_system_errno(cn->db),
                  sqlite3_errmsg(cn->db));
    cn->last_err = code;
    return STORE_ERR(code);
}

/* A prepared, reset statement for sql (a literal), or NULL. */
sqlite3_stmt *sqs_stmt(struct conn *cn, const char *sql)
{
    sqlite3_stmt *st = NULL;
    size_t i;

    if (!cn)
        return NULL;
    for (i = 0; i < STMT_CACHE_SIZE && cn->cache[i].sql; i++) {
        if (cn->cache[i].sql == sql) {
            sqlite3_reset(cn->cache[i].stmt);
            sqlite3_clear_bindings(cn->cache[i].stmt);
            return cn->cache[i].stmt;
        }
    }
    if (sqlite3_prepare_v3(cn->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        log_error("store: cannot prepare statement: %s", sqlite3_errmsg(cn->db));
        return NULL;
    }
    if (i < STMT_CACHE_SIZE) {
        cn->cache[i].sql = sql;
        cn->cache[i].stmt = st;
    }
    return st;
}

/* Resets a cached statement, or finalizes one the cache had no room for. */
void sqs_stmt_done(struct conn *cn, sqlite3_stmt *st)
{
    for (size_t i = 0; i < STMT_CACHE_SIZE && cn->cache[i].sql; i++)
        if (cn->cache[i].stmt == st) {
            sqlite3_reset(st);
            return;
        }
    sqlite3_finalize(st);
}

void sqs_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

void sqs_bind_time(sqlite3_stmt *st, int i, int64_t v)
{
    if (v)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

char *sqs_col_str(sqlite3_stmt *st, int i, bool *oom)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    char *copy;

    if (!v)
        return NULL;
    copy = lb_strdup((const char *)v);
    if (!copy)
        *oom = true;
    return copy;
}

static int exec(struct conn *cn, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(cn->db, sql, NULL, NULL, &msg);

    if (rc != SQLITE_OK) {
        log_error("store: %s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return sqs_code(cn, rc);
    }
    return 0;
}

int sqs_exec(struct conn *cn, const char *sql)
{
    return exec(cn, sql);
}

int64_t sqs_col_time(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, i);
}

int sqs_get_one(struct conn *cn, sqlite3_stmt *st, void *item, sqs_row_fn *read)
{
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW)
        rc = read(st, item);
    else
        rc = rc == SQLITE_DONE ? LB_ENOTFOUND : sqs_code(cn, rc);
    sqs_stmt_done(cn, st);
    return rc;
}

int sqs_query_int(struct sqlite_store *s, const char *sql, const char *text, int64_t *out)
{
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    *out = 0;
    if (st) {
        if (text)
            sqs_bind_text(st, 1, text);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqs_col_time(st, 0);
            rc = 0;
        } else {
            rc = sqs_code(cn, rc);
        }
        sqs_stmt_done(cn, st);
    }
    sqs_release(s, cn, 0);
    return rc;
}

int sqs_collect(struct conn *cn, sqlite3_stmt *st, void *items, size_t *count, size_t size,
                sqs_row_fn *read)
{
    char **array = items;
    size_t cap = 0;
    int rc;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (lb_array_reserve(array, &cap, *count, size) != 0) {
            rc = LB_ENOMEM;
            break;
        }
        if ((rc = read(st, *array + *count * size)) != 0)
            break;
        (*count)++;
    }
    rc = rc == SQLITE_DONE ? 0 : (rc < 0 ? rc : sqs_code(cn, rc));
    sqs_stmt_done(cn, st);
    return rc;
}

/* Runs a statement that returns no rows. */
int sqs_run(struct conn *cn, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);

    sqs_stmt_done(cn, st);
    return rc == SQLITE_DONE ? 0 : sqs_code(cn, rc);
}

/* Splits '\n'-joined text into a new string array. */
int sqs_split_lines(const char *text, char ***out, size_t *count)
{
    size_t n = 0, i = 0;
    const char *p;
    char **v;

    *out = NULL;
    *count = 0;
    if (!text || !*text)
        return 0;
    for (p = text, n = 1; *p; p++)
        n += *p == '\n';
    v = lb_calloc(n, sizeof(*v));
    if (!v)
        return LB_ENOMEM;
    for (p = text; i < n; i++) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        v[i] = lb_strndup(p, len);
        if (!v[i]) {
            strv_free(v, i);
            return LB_ENOMEM;
        }
        p += len + (end != NULL);
    }
    *out = v;
    *count = n;
    return 0;
}

/* Joins strings with '\n' into a new string (callers validated that none holds a newline). */
char *sqs_join_lines(char *const *v, size_t count)
{
    size_t len = 1;
    char *text, *p;

    for (size_t i = 0; i < count; i++)
        len += strlen(v[i]) + 1;
    text = lb_malloc(len);
    if (!text)
        return NULL;
    p = text;
    *p = '\0';
    for (size_t i = 0; i < count; i++) {
        size_t n = strlen(v[i]);
        if (i)
            *p++ = '\n';
        memcpy(p, v[i], n);
        p += n;
        *p = '\0';
    }
    return text;
}

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
};

static int migrate(struct conn *s, struct buf *err)
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
        if ((rc = exec(s, "BEGIN IMMEDIATE")) != 0)
            return rc;
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%zu", i + 1);
        if ((rc = exec(s, migrations[i])) != 0 || (rc = exec(s, pragma)) != 0) {
            if (err)
                buf_appendf(err, "migration %zu failed: %s", i + 1, sqlite3_errmsg(s->db));
            exec(s, "ROLLBACK");
            return rc;
        }
        if ((rc = exec(s, "COMMIT")) != 0)
            return rc;
        log_info("store: applied migration=%zu", i + 1);
    }
    return 0;
}

/* ---- transactions and group commit ---- */

static bool in_my_tx(struct sqlite_store *s)
{
    return s->in_tx && pthread_equal(s->owner, pthread_self());
}

/* true when SQLite has rolled the open group's transaction back by itself (SQLITE_FULL,
 * SQLITE_IOERR, ...): every member's work is gone and s->group_lost says why. A savepoint or a
 * statement now would run outside any transaction, committing on its own: none may. */
static bool group_is_lost(struct sqlite_store *s)
{
    if (s->group_open && !s->group_lost && sqlite3_get_autocommit(s->writer.db))
        s->group_lost = s->writer.last_err ? s->writer.last_err : STORE_ERR(LB_ESTORE);
    return s->group_lost != 0;
}

/* Closes the open group with its outcome grc (0: committed) and wakes its members. */
static void group_close(struct sqlite_store *s, int grc)
{
    uint64_t g = s->group_id;

    s->group_open = false;
    s->group_size = 0;
    s->group_lost = 0;
    s->group_rc[g % GROUP_RING] = grc;
    s->finished_group = g;
    s->group_id = g + 1;
    pthread_cond_broadcast(&s->group_done);
}

/* Ends the caller's logical transaction (member: it released its savepoint) and unlocks. */
static int group_finish(struct sqlite_store *s, bool member, int rc)
{
    uint64_t g = s->group_id;
    int grc = 0;

    s->in_tx = false;
    if (s->group_size > 0 && s->group_size < GROUP_MAX && atomic_load(&s->want) > 0) {
        /* another writer is coming: it (or the last after it) commits for us */
        while (member && s->finished_group < g)
            pthread_cond_wait(&s->group_done, &s->wlock);
        if (member)
            rc = s->group_rc[g % GROUP_RING];
        pthread_mutex_unlock(&s->wlock);
        return rc;
    }
    if (s->group_open && group_is_lost(s)) {
        grc = s->group_lost;
    } else if (s->group_open) {
        grc = s->group_size > 0 ? exec(&s->writer, "COMMIT") : exec(&s->writer, "ROLLBACK");
        if (grc && s->group_size > 0 && !sqlite3_get_autocommit(s->writer.db))
            (void)exec(&s->writer, "ROLLBACK"); /* SQLite may have rolled it back already */
        if (!grc && s->group_size > 0) {
            atomic_fetch_add(&s->commits, 1);
            atomic_fetch_add(&s->transactions, (unsigned long long)s->group_size);
        }
    }
    group_close(s, grc);
    pthread_mutex_unlock(&s->wlock);
    return member ? grc : rc;
}

static int sq_begin(struct store *st)
{
    struct sqlite_store *s = sqs_of(st);
    int rc = 0;

    atomic_fetch_add(&s->want, 1);
    pthread_mutex_lock(&s->wlock);
    atomic_fetch_sub(&s->want, 1);
    /* a group SQLite rolled back fails its members; this transaction starts a new one */
    if (s->group_open && group_is_lost(s))
        group_close(s, s->group_lost);
    if (!s->group_open) {
        s->writer.last_err = 0;
        if ((rc = exec(&s->writer, "BEGIN IMMEDIATE")) != 0) {
            pthread_mutex_unlock(&s->wlock);
            return rc;
        }
        s->group_open = true;
    }
    if ((rc = exec(&s->writer, "SAVEPOINT tx")) != 0)
        return group_finish(s, false, rc);
    s->owner = pthread_self();
    s->in_tx = true;
    return 0;
}

static void undo_savepoint(struct sqlite_store *s)
{
    (void)exec(&s->writer, "ROLLBACK TO tx");
    (void)exec(&s->writer, "RELEASE tx");
}

static int sq_commit(struct store *st)
{
    struct sqlite_store *s = sqs_of(st);
    int rc;

    if (group_is_lost(s))
        return group_finish(s, false, s->group_lost);
    if ((rc = exec(&s->writer, "RELEASE tx")) != 0) {
        if (!group_is_lost(s))
            undo_savepoint(s);
        return group_finish(s, false, rc);
    }
    s->group_size++;
    return group_finish(s, true, 0);
}

static void sq_rollback(struct store *st)
{
    struct sqlite_store *s = sqs_of(st);

    if (!group_is_lost(s))
        undo_savepoint(s);
    (void)group_finish(s, false, 0);
}

/* The connection for one store call: the writer inside the caller's transaction; for a write
 * outside one, the writer in a transaction of its own; else a free reader. */
struct conn *sqs_acquire(struct sqlite_store *s, enum conn_mode mode)
{
    struct conn *cn = NULL;

    if (in_my_tx(s))
        return group_is_lost(s) ? NULL : &s->writer;
    if (mode == CONN_WRITE || s->reader_count == 0) {
        if (sq_begin(&s->base) != 0)
            return NULL;
        s->writer.implicit = true;
        return &s->writer;
    }
    pthread_mutex_lock(&s->pool_lock);
    for (;;) {
        for (size_t i = 0; i < s->reader_count && !cn; i++)
            if (!s->readers[i].busy)
                cn = &s->readers[i];
        if (cn)
            break;
        pthread_cond_wait(&s->pool_cond, &s->pool_lock);
    }
    cn->busy = true;
    pthread_mutex_unlock(&s->pool_lock);
    return cn;
}

/* Gives back what acquire gave; an implicit transaction commits (or, on rc, rolls back). */
int sqs_release(struct sqlite_store *s, struct conn *cn, int rc)
{
    if (!cn)
        return rc;
    if (cn == &s->writer) {
        if (!cn->implicit)
            return rc;
        cn->implicit = false;
        if (rc) {
            sq_rollback(&s->base);
            return rc;
        }
        return sq_commit(&s->base);
    }
    pthread_mutex_lock(&s->pool_lock);
    cn->busy = false;
    pthread_cond_signal(&s->pool_cond);
    pthread_mutex_unlock(&s->pool_lock);
    return rc;
}

/* ---- meta ---- */

static int sq_meta_get(struct store *base, const char *key, char **value)
{
    static const char sql[] = "SELECT value FROM meta WHERE key=?";
    struct sqlite_store *s = sqs_of(base);
    bool oom = false;
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (!st)
        goto out;
    sqs_bind_text(st, 1, key);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *value = sqs_col_str(st, 0, &oom);
        rc = oom ? LB_ENOMEM : 0;
    } else {
        rc = rc == SQLITE_DONE ? LB_ENOTFOUND : sqs_code(cn, rc);
    }
    sqs_stmt_done(cn, st);
out:
    sqs_release(s, cn, 0);
    return rc;
}

static int sq_meta_set(struct store *base, const char *key, const char *value)
{
    static const char sql[] = "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, key);
        sqs_bind_text(st, 2, value);
        rc = sqs_run(cn, st);
    }
    rc = sqs_release(s, cn, rc);
    return rc;
}

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

static int sq_tenant_insert(struct store *base, const struct tenant *t)
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

static int sq_tenant_update_scopes(struct store *base, const struct tenant *t)
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

static int sq_tenant_update_settings(struct store *base, const struct tenant *t)
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

static int sq_tenant_get(struct store *base, const char *id, struct tenant *out)
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

static int sq_tenant_list(struct store *base, const char *only_id, struct tenant **items,
                          size_t *count)
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

/* ---- users ---- */

#define USER_COLS                                                                                  \
    "id, tenant_id, username, display_name, email, password_hash, totp_secret, totp_last_step,"    \
    " isolated_identity, created_at"

static int read_user(sqlite3_stmt *st, struct user *u)
{
    bool oom = false;

    memset(u, 0, sizeof(*u));
    u->id = sqs_col_str(st, 0, &oom);
    u->tenant_id = sqs_col_str(st, 1, &oom);
    u->username = sqs_col_str(st, 2, &oom);
    u->display_name = sqs_col_str(st, 3, &oom);
    u->email = sqs_col_str(st, 4, &oom);
    u->password_hash = sqs_col_str(st, 5, &oom);
    u->totp_secret = sqs_col_str(st, 6, &oom);
    u->totp_last_step = sqlite3_column_int64(st, 7);
    u->isolated_identity = sqlite3_column_int(st, 8) != 0;
    u->created_at = sqlite3_column_int64(st, 9);
    if (oom) {
        user_clear(u);
        return LB_ENOMEM;
    }
    return 0;
}

static int row_user(sqlite3_stmt *st, void *item)
{
    return read_user(st, item);
}

static int sq_user_insert(struct store *base, const struct user *u)
{
    static const char sql[] = "INSERT INTO users(" USER_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?)";
    struct sqlite_store *s = sqs_of(base);
    char *sealed = NULL;
    struct conn *cn;
    sqlite3_stmt *st;
    int rc;

    if (u->totp_secret &&
        (rc = sqs_seal(s, "users.totp_secret", u->id, u->totp_secret, &sealed)) != 0)
        return STORE_ERR(rc);
    cn = sqs_acquire(s, CONN_WRITE);
    st = sqs_stmt(cn, sql);
    rc = LB_ESTORE;
    if (st) {
        sqs_bind_text(st, 1, u->id);
        sqs_bind_text(st, 2, u->tenant_id);
        sqs_bind_text(st, 3, u->username);
        sqs_bind_text(st, 4, u->display_name);
        sqs_bind_text(st, 5, u->email);
        sqs_bind_text(st, 6, u->password_hash);
        sqs_bind_text(st, 7, sealed);
        sqlite3_bind_int64(st, 8, u->totp_last_step);
        sqlite3_bind_int(st, 9, u->isolated_identity);
        sqlite3_bind_int64(st, 10, u->created_at);
        rc = sqs_run(cn, st);
    }
    rc = sqs_release(s, cn, rc);
    lb_free(sealed);
    return rc;
}

/* Opens the sealed TOTP seed of a user just read (clearing the user on failure). */
static int unseal_user(struct sqlite_store *s, struct user *u)
{
    int rc = sqs_unseal(s, "users.totp_secret", u->id, &u->totp_secret);

    if (rc)
        user_clear(u);
    return rc;
}

static int user_get_by(struct sqlite_store *s, const char *sql, const char *key, struct user *out)
{
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, key);
        rc = sqs_get_one(cn, st, out, row_user);
    }
    sqs_release(s, cn, 0);
    if (rc == 0)
        rc = unseal_user(s, out);
    return rc;
}

static int sq_user_get(struct store *base, const char *id, struct user *out)
{
    static const char sql[] = "SELECT " USER_COLS " FROM users WHERE id=?";

    return user_get_by(sqs_of(base), sql, id, out);
}

static int sq_user_get_by_username(struct store *base, const char *username, struct user *out)
{
    static const char sql[] = "SELECT " USER_COLS " FROM users WHERE username=?";

    return user_get_by(sqs_of(base), sql, username, out);
}

static int sq_user_list_for_tenant(struct store *base, const char *tenant_id, struct user_list *out)
{
    static const char sql[] =
        "SELECT " USER_COLS " FROM users WHERE tenant_id IS ? ORDER BY username";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    memset(out, 0, sizeof(*out));
    if (st) {
        sqs_bind_text(st, 1, tenant_id);
        rc = sqs_collect(cn, st, &out->items, &out->count, sizeof(*out->items), row_user);
    }
    sqs_release(s, cn, 0);
    for (size_t i = 0; rc == 0 && i < out->count; i++)
        rc = sqs_unseal(s, "users.totp_secret", out->items[i].id, &out->items[i].totp_secret);
    if (rc)
        user_list_clear(out);
    return rc;
}

static int sq_user_set_totp_step(struct store *base, const char *id, int64_t step)
{
    static const char sql[] = "UPDATE users SET totp_last_step=? WHERE id=? AND totp_last_step<?";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqlite3_bind_int64(st, 1, step);
        sqs_bind_text(st, 2, id);
        sqlite3_bind_int64(st, 3, step);
        rc = sqs_run(cn, st);
        /* Nothing changed: the step was already used (a replay, maybe from another thread). */
        if (rc == 0 && sqlite3_changes(cn->db) == 0)
            rc = LB_ECONFLICT;
    }
    rc = sqs_release(s, cn, rc);
    return rc;
}

/* ---- role assignments ---- */

#define ROLE_SELECT                                                                                \
    "SELECT r.id, r.tenant_id, r.user_id, u.username, r.role, r.scope, r.created_at"               \
    " FROM role_assignments r JOIN users u ON u.id = r.user_id "

static int read_role(sqlite3_stmt *st, struct role_assignment *r)
{
    bool oom = false;

    memset(r, 0, sizeof(*r));
    r->id = sqs_col_str(st, 0, &oom);
    r->tenant_id = sqs_col_str(st, 1, &oom);
    r->user_id = sqs_col_str(st, 2, &oom);
    r->username = sqs_col_str(st, 3, &oom);
    r->role = sqs_col_str(st, 4, &oom);
    r->scope = sqs_col_str(st, 5, &oom);
    r->created_at = sqlite3_column_int64(st, 6);
    if (oom) {
        role_assignment_clear(r);
        return LB_ENOMEM;
    }
    return 0;
}

static int row_role(sqlite3_stmt *st, void *item)
{
    return read_role(st, item);
}

static int sq_role_insert(struct store *base, const struct role_assignment *r)
{
    static const char sql[] = "INSERT INTO role_assignments(id, tenant_id, user_id, role, scope,"
                              " created_at) VALUES(?,?,?,?,?,?)";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, r->id);
        sqs_bind_text(st, 2, r->tenant_id);
        sqs_bind_text(st, 3, r->user_id);
        sqs_bind_text(st, 4, r->role);
        sqs_bind_text(st, 5, r->scope);
        sqlite3_bind_int64(st, 6, r->created_at);
        rc = sqs_run(cn, st);
    }
    rc = sqs_release(s, cn, rc);
    return rc;
}

static int sq_role_get(struct store *base, const char *id, struct role_assignment *out)
{
    static const char sql[] = ROLE_SELECT "WHERE r.id=?";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, id);
        rc = sqs_get_one(cn, st, out, row_role);
    }
    sqs_release(s, cn, 0);
    return rc;
}

static int sq_role_delete(struct store *base, const char *id)
{
    static const char sql[] = "DELETE FROM role_assignments WHERE id=?";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, id);
        rc = sqs_run(cn, st);
        if (rc == 0 && sqlite3_changes(cn->db) == 0)
            rc = LB_ENOTFOUND;
    }
    rc = sqs_release(s, cn, rc);
    return rc;
}

static int role_list_by(struct sqlite_store *s, const char *sql, const char *key,
                        struct role_list *out)
{
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    memset(out, 0, sizeof(*out));
    if (st) {
        sqs_bind_text(st, 1, key);
        rc = sqs_collect(cn, st, &out->items, &out->count, sizeof(*out->items), row_role);
    }
    sqs_release(s, cn, 0);
    if (rc)
        role_list_clear(out);
    return rc;
}

static int sq_role_list_for_user(struct store *base, const char *user_id, struct role_list *out)
{
    static const char sql[] = ROLE_SELECT "WHERE r.user_id=? ORDER BY r.created_at, r.rowid";

    return role_list_by(sqs_of(base), sql, user_id, out);
}

static int sq_role_list_for_tenant(struct store *base, const char *tenant_id, struct role_list *out)
{
    static const char sql[] = ROLE_SELECT "WHERE r.tenant_id IS ? ORDER BY r.created_at, r.rowid";

    return role_list_by(sqs_of(base), sql, tenant_id, out);
}

static int sq_role_count(struct store *base, const char *tenant_id, const char *role,
                         const char *scope, int64_t *count)
{
    static const char sql[] =
        "SELECT count(*) FROM role_assignments WHERE tenant_id=? AND role=? AND scope=?";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, tenant_id);
        sqs_bind_text(st, 2, role);
        sqs_bind_text(st, 3, scope);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *count = sqlite3_column_int64(st, 0);
            rc = 0;
        } else {
            rc = sqs_code(cn, rc);
        }
        sqs_stmt_done(cn, st);
    }
    sqs_release(s, cn, 0);
    return rc;
}

/* ---- tickets ---- */

#define TICKET_SELECT                                                                              \
    "SELECT t.seq, t.id, t.tenant_id, t.title, t.description, t.severity, t.status,"               \
    " t.created_by, u.username, t.created_at FROM tickets t JOIN users u ON u.id = t.created_by "

static int read_ticket_history(struct conn *cn, struct ticket *t)
{
    static const char sql[] =
        "SELECT at, by, type, text FROM ticket_history WHERE ticket_id=? ORDER BY seq";
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    size_t cap = 0;
    bool oom = false;
    int rc;

    if (!st)
        return LB_ESTORE;
    sqs_bind_text(st, 1, t->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (lb_array_reserve(&t->history, &cap, t->history_count, sizeof(*t->history)) != 0) {
            oom = true;
            break;
        }
        struct ticket_event *ev = &t->history[t->history_count++];
        ev->at = sqlite3_column_int64(st, 0);
        ev->by = sqs_col_str(st, 1, &oom);
        ev->type = sqs_col_str(st, 2, &oom);
        ev->text = sqs_col_str(st, 3, &oom);
        if (oom)
            break;
    }
    sqs_stmt_done(cn, st);
    if (oom)
        return LB_ENOMEM;
    return rc == SQLITE_DONE ? 0 : sqs_code(cn, rc);
}

static int read_ticket(sqlite3_stmt *st, struct ticket *t)
{
    bool oom = false;

    memset(t, 0, sizeof(*t));
    t->seq = sqlite3_column_int64(st, 0);
    t->id = sqs_col_str(st, 1, &oom);
    t->tenant_id = sqs_col_str(st, 2, &oom);
    t->title = sqs_col_str(st, 3, &oom);
    t->description = sqs_col_str(st, 4, &oom);
    t->severity = sqs_col_str(st, 5, &oom);
    t->status = sqs_col_str(st, 6, &oom);
    t->created_by = sqs_col_str(st, 7, &oom);
    t->created_by_username = sqs_col_str(st, 8, &oom);
    t->created_at = sqlite3_column_int64(st, 9);
    if (oom) {
        ticket_clear(t);
        return LB_ENOMEM;
    }
    return 0;
}

static int row_ticket(sqlite3_stmt *st, void *item)
{
    return read_ticket(st, item);
}

static int sq_ticket_insert(struct store *base, const struct ticket *t)
{
    static const char sql[] = "INSERT INTO tickets(id, tenant_id, title, description, severity,"
                              " status, created_by, created_at) VALUES(?,?,?,?,?,?,?,?)";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, t->id);
        sqs_bind_text(st, 2, t->tenant_id);
        sqs_bind_text(st, 3, t->title);
        sqs_bind_text(st, 4, t->description);
        sqs_bind_text(st, 5, t->severity);
        sqs_bind_text(st, 6, t->status);
        sqs_bind_text(st, 7, t->created_by);
        sqlite3_bind_int64(st, 8, t->created_at);
        rc = sqs_run(cn, st);
    }
    rc = sqs_release(s, cn, rc);
    return rc;
}

static int sq_ticket_event_append(struct store *base, const char *ticket_id,
                                  const struct ticket_event *ev)
{
    static const char sql[] =
        "INSERT INTO ticket_history(ticket_id, at, by, type, text) VALUES(?,?,?,?,?)";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, ticket_id);
        sqlite3_bind_int64(st, 2, ev->at);
        sqs_bind_text(st, 3, ev->by);
        sqs_bind_text(st, 4, ev->type);
        sqs_bind_text(st, 5, ev->text);
        rc = sqs_run(cn, st);
    }
    rc = sqs_release(s, cn, rc);
    return rc;
}

static int sq_ticket_get(struct store *base, const char *id, struct ticket *out)
{
    static const char sql[] = TICKET_SELECT "WHERE t.id=?";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (!st)
        goto out;
    sqs_bind_text(st, 1, id);
    rc = sqs_get_one(cn, st, out, row_ticket);
    if (rc == 0 && (rc = read_ticket_history(cn, out)) != 0)
        ticket_clear(out);
out:
    sqs_release(s, cn, 0);
    return rc;
}

static int sq_ticket_list(struct store *base, const char *tenant_id, int64_t before_seq,
                          size_t limit, struct ticket_list *out)
{
    static const char sql[] = TICKET_SELECT "WHERE t.tenant_id=? AND (?2 = 0 OR t.seq < ?2)"
                                            " ORDER BY t.seq DESC LIMIT ?3";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    memset(out, 0, sizeof(*out));
    if (!st)
        goto out;
    out->items = lb_calloc(limit ? limit : 1, sizeof(*out->items));
    if (!out->items) {
        sqs_stmt_done(cn, st);
        rc = LB_ENOMEM;
        goto out;
    }
    sqs_bind_text(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, before_seq);
    sqlite3_bind_int64(st, 3, (int64_t)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->count < limit) {
        if ((rc = read_ticket(st, &out->items[out->count])) != 0)
            break;
        out->count++;
    }
    rc = rc == SQLITE_DONE ? 0 : (rc < 0 ? rc : sqs_code(cn, rc));
    sqs_stmt_done(cn, st);
    for (size_t i = 0; rc == 0 && i < out->count; i++)
        rc = read_ticket_history(cn, &out->items[i]);
out:
    sqs_release(s, cn, 0);
    if (rc)
        ticket_list_clear(out);
    return rc;
}

/* ---- requests ---- */

#define REQUEST_COLS                                                                               \
    "seq, id, tenant_id, ticket_id, requester_id, requester_username, resource_type,"              \
    " resource_ids, access_level, justification, duration_seconds, status,"                        \
    " customer_approval_required, internal_review_required, customer_visible,"                     \
    " approvals_required, created_at, expires_at, grant_starts_at, grant_ends_at,"                 \
    " grant_ended_at, status_reason, reminder_at"

static int read_request_row(sqlite3_stmt *st, struct request *r)
{
    bool oom = false;
    const char *status;
    int rc;

    memset(r, 0, sizeof(*r));
    r->seq = sqlite3_column_int64(st, 0);
    r->id = sqs_col_str(st, 1, &oom);
    r->tenant_id = sqs_col_str(st, 2, &oom);
    r->ticket_id = sqs_col_str(st, 3, &oom);
    r->requester_id = sqs_col_str(st, 4, &oom);
    r->requester_username = sqs_col_str(st, 5, &oom);
    r->resource_type = sqs_col_str(st, 6, &oom);
    rc = sqs_split_lines((const char *)sqlite3_column_text(st, 7), &r->resource_ids,
                         &r->resource_count);
    r->access_level = (enum access_level)sqlite3_column_int(st, 8);
    r->justification = sqs_col_str(st, 9, &oom);
    r->duration_seconds = sqlite3_column_int64(st, 10);
    status = (const char *)sqlite3_column_text(st, 11);
    r->status = (enum request_status)(status ? request_status_parse(status) : 0);
    r->customer_approval_required = sqlite3_column_int(st, 12) != 0;
    r->internal_review_required = sqlite3_column_int(st, 13) != 0;
    r->customer_visible = sqlite3_column_int(st, 14) != 0;
    r->approvals_required = sqlite3_column_int64(st, 15);
    r->created_at = sqlite3_column_int64(st, 16);
    r->expires_at = sqs_col_time(st, 17);
    r->grant_starts_at = sqs_col_time(st, 18);
    r->grant_ends_at = sqs_col_time(st, 19);
    r->grant_ended_at = sqs_col_time(st, 20);
    r->status_reason = sqs_col_str(st, 21, &oom);
    r->reminder_at = sqs_col_time(st, 22);
    if (oom || rc) {
        request_clear(r);
        return LB_ENOMEM;
    }
    return 0;
}

static int row_request(sqlite3_stmt *st, void *item)
{
    return read_request_row(st, item);
}

static int read_decisions(struct conn *cn, struct request *r)
{
    static const char sql[] = "SELECT kind, by_id, by_username, decision, at, reason, client_ip"
                              " FROM request_decisions WHERE request_id=? ORDER BY seq";
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    size_t cap = 0;
    bool oom = false;
    int rc;

    if (!st)
        return LB_ESTORE;
    sqs_bind_text(st, 1, r->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (lb_array_reserve(&r->decisions, &cap, r->decision_count, sizeof(*r->decisions)) != 0) {
            oom = true;
            break;
        }
        struct decision *d = &r->decisions[r->decision_count++];
        memset(d, 0, sizeof(*d));
        d->kind = strcmp((const char *)sqlite3_column_text(st, 0), "review") == 0
                      ? DECISION_REVIEW
                      : DECISION_CUSTOMER;
        d->by_id = sqs_col_str(st, 1, &oom);
        d->by_username = sqs_col_str(st, 2, &oom);
        d->approve = strcmp((const char *)sqlite3_column_text(st, 3), "approve") == 0;
        d->at = sqlite3_column_int64(st, 4);
        d->reason = sqs_col_str(st, 5, &oom);
        d->client_ip = sqs_col_str(st, 6, &oom);
        if (oom)
            break;
    }
    sqs_stmt_done(cn, st);
    if (oom)
        return LB_ENOMEM;
    return rc == SQLITE_DONE ? 0 : sqs_code(cn, rc);
}

/* The scheduler's next moment for r: its reminder, its pending deadline or its grant's end. */
static int64_t request_deadline(const struct request *r)
{
    if (r->status == REQ_PENDING && r->reminder_at && r->reminder_at < r->expires_at)
        return r->reminder_at;
    if (r->status == REQ_PENDING || r->status == REQ_PENDING_INTERNAL)
        return r->expires_at;
    if (r->status == REQ_APPROVED)
        return r->grant_ends_at;
    return 0;
}

static int sq_request_insert(struct store *base, const struct request *r)
{
    static const char sql[] =
        "INSERT INTO requests(id, tenant_id, ticket_id, requester_id, requester_username,"
        " resource_type, resource_ids, access_level, justification, duration_seconds, status,"
        " customer_approval_required, internal_review_required, customer_visible,"
        " approvals_required, created_at, expires_at, grant_starts_at, grant_ends_at,"
        " grant_ended_at, status_reason, deadline, reminder_at)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    struct sqlite_store *s = sqs_of(base);
    char *ids = sqs_join_lines(r->resource_ids, r->resource_count);
    struct conn *cn;
    sqlite3_stmt *st;
    int rc = LB_ESTORE;

    if (!ids)
        return LB_ENOMEM;
    cn = sqs_acquire(s, CONN_WRITE);
    st = sqs_stmt(cn, sql);
    if (st) {
        sqs_bind_text(st, 1, r->id);
        sqs_bind_text(st, 2, r->tenant_id);
        sqs_bind_text(st, 3, r->ticket_id);
        sqs_bind_text(st, 4, r->requester_id);
        sqs_bind_text(st, 5, r->requester_username);
        sqs_bind_text(st, 6, r->resource_type);
        sqs_bind_text(st, 7, ids);
        sqlite3_bind_int(st, 8, (int)r->access_level);
        sqs_bind_text(st, 9, r->justification);
        sqlite3_bind_int64(st, 10, r->duration_seconds);
        sqs_bind_text(st, 11, request_status_name(r->status));
        sqlite3_bind_int(st, 12, r->customer_approval_required);
        sqlite3_bind_int(st, 13, r->internal_review_required);
        sqlite3_bind_int(st, 14, r->customer_visible);
        sqlite3_bind_int64(st, 15, r->approvals_required);
        sqlite3_bind_int64(st, 16, r->created_at);
        sqs_bind_time(st, 17, r->expires_at);
        sqs_bind_time(st, 18, r->grant_starts_at);
        sqs_bind_time(st, 19, r->grant_ends_at);
        sqs_bind_time(st, 20, r->grant_ended_at);
        sqs_bind_text(st, 21, r->status_reason);
        sqs_bind_time(st, 22, request_deadline(r));
        sqs_bind_time(st, 23, r->reminder_at);
        rc = sqs_run(cn, st);
    }
    rc = sqs_release(s, cn, rc);
    lb_free(ids);
    return rc;
}

static int sq_request_update(struct store *base, const struct request *r)
{
    static const char sql[] =
        "UPDATE requests SET status=?, customer_approval_required=?, customer_visible=?,"
        " expires_at=?, grant_starts_at=?, grant_ends_at=?, grant_ended_at=?, status_reason=?,"
        " deadline=?, reminder_at=? WHERE id=?";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, request_status_name(r->status));
        sqlite3_bind_int(st, 2, r->customer_approval_required);
        sqlite3_bind_int(st, 3, r->customer_visible);
        sqs_bind_time(st, 4, r->expires_at);
        sqs_bind_time(st, 5, r->grant_starts_at);
        sqs_bind_time(st, 6, r->grant_ends_at);
        sqs_bind_time(st, 7, r->grant_ended_at);
        sqs_bind_text(st, 8, r->status_reason);
        sqs_bind_time(st, 9, request_deadline(r));
        sqs_bind_time(st, 10, r->reminder_at);
        sqs_bind_text(st, 11, r->id);
        rc = sqs_run(cn, st);
        if (rc == 0 && sqlite3_changes(cn->db) == 0)
            rc = LB_ENOTFOUND;
    }
    rc = sqs_release(s, cn, rc);
    return rc;
}

static int sq_request_decision_insert(struct store *base, const char *request_id,
                                      const struct decision *d)
{
    static const char sql[] = "INSERT INTO request_decisions(request_id, kind, by_id, by_username,"
                              " decision, at, reason, client_ip) VALUES(?,?,?,?,?,?,?,?)";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, request_id);
        sqs_bind_text(st, 2, d->kind == DECISION_REVIEW ? "review" : "customer");
        sqs_bind_text(st, 3, d->by_id);
        sqs_bind_text(st, 4, d->by_username);
        sqs_bind_text(st, 5, d->approve ? "approve" : "deny");
        sqlite3_bind_int64(st, 6, d->at);
        sqs_bind_text(st, 7, d->reason);
        sqs_bind_text(st, 8, d->client_ip);
        rc = sqs_run(cn, st);
    }
    rc = sqs_release(s, cn, rc);
    return rc;
}

static int sq_request_get(struct store *base, const char *id, struct request *out)
{
    static const char sql[] = "SELECT " REQUEST_COLS " FROM requests WHERE id=?";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (!st)
        goto out;
    sqs_bind_text(st, 1, id);
    rc = sqs_get_one(cn, st, out, row_request);
    if (rc == 0 && (rc = read_decisions(cn, out)) != 0)
        request_clear(out);
out:
    sqs_release(s, cn, 0);
    return rc;
}

static int sq_request_list(struct store *base, const struct request_filter *f,
                           struct request_list *out)
{
    static const char sql[] =
        "SELECT " REQUEST_COLS " FROM requests"
        " WHERE (?1 IS NULL OR tenant_id=?1) AND (?2 IS NULL OR status=?2)"
        " AND (?3 IS NULL OR requester_username=?3) AND (?4=0 OR customer_visible=1)"
        " AND (?5=0 OR seq<?5) AND (?7 IS NULL OR created_at>=?7) AND (?8 IS NULL OR created_at<?8)"
        " AND (?9 IS NULL OR instr(lower(id || ' ' || requester_username || ' ' || resource_ids"
        " || ' ' || justification), lower(?9))>0)"
        " ORDER BY seq DESC LIMIT ?6";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    memset(out, 0, sizeof(*out));
    if (!st)
        goto out;
    out->items = lb_calloc(f->limit ? f->limit : 1, sizeof(*out->items));
    if (!out->items) {
        sqs_stmt_done(cn, st);
        rc = LB_ENOMEM;
        goto out;
    }
    sqs_bind_text(st, 1, f->tenant_id);
    sqs_bind_text(st, 2,
                  f->status >= 0 ? request_status_name((enum request_status)f->status) : NULL);
    sqs_bind_text(st, 3, f->requester_username);
    sqlite3_bind_int(st, 4, f->customer_visible_only);
    sqlite3_bind_int64(st, 5, f->before_seq);
    sqlite3_bind_int64(st, 6, (int64_t)f->limit);
    if (f->has_created_from)
        sqlite3_bind_int64(st, 7, f->created_from);
    if (f->has_created_to)
        sqlite3_bind_int64(st, 8, f->created_to);
    sqs_bind_text(st, 9, f->text);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->count < f->limit) {
        if ((rc = read_request_row(st, &out->items[out->count])) != 0)
            break;
        out->count++;
    }
    rc = rc == SQLITE_DONE ? 0 : (rc < 0 ? rc : sqs_code(cn, rc));
    sqs_stmt_done(cn, st);
    for (size_t i = 0; rc == 0 && i < out->count; i++)
        rc = read_decisions(cn, &out->items[i]);
out:
    sqs_release(s, cn, 0);
    if (rc)
        request_list_clear(out);
    return rc;
}

static int sq_request_each_approved(struct store *base, store_request_fn *fn, void *ctx)
{
    static const char sql[] = "SELECT " REQUEST_COLS " FROM requests WHERE status='approved'";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    struct request r;
    int rc = LB_ESTORE;

    if (!st)
        goto out;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = read_request_row(st, &r)) != 0)
            break;
        rc = fn(ctx, &r);
        request_clear(&r);
        if (rc)
            break;
    }
    rc = rc == SQLITE_DONE ? 0 : (rc < 0 ? rc : (rc == SQLITE_ROW ? 0 : sqs_code(cn, rc)));
    sqs_stmt_done(cn, st);
out:
    sqs_release(s, cn, 0);
    return rc;
}

static int sq_request_next_deadline(struct store *base, int64_t *at)
{
    static const char sql[] = "SELECT min(deadline) FROM requests WHERE deadline IS NOT NULL";

    return sqs_query_int(sqs_of(base), sql, NULL, at);
}

static int sq_request_due(struct store *base, int64_t now, size_t limit, char ***ids, size_t *count)
{
    static const char sql[] = "SELECT id FROM requests WHERE deadline IS NOT NULL AND deadline<=?"
                              " ORDER BY deadline LIMIT ?";
    struct sqlite_store *s = sqs_of(base);
    bool oom = false;
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    char **v = lb_calloc(limit ? limit : 1, sizeof(*v));
    size_t n = 0;
    int rc = LB_ESTORE;

    if (!st || !v) {
        rc = st ? LB_ENOMEM : LB_ESTORE;
        if (st)
            sqs_stmt_done(cn, st);
        goto out;
    }
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, (int64_t)limit);
    while (n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW && !oom)
        v[n++] = sqs_col_str(st, 0, &oom);
    rc = oom ? LB_ENOMEM : (rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : sqs_code(cn, rc));
    sqs_stmt_done(cn, st);
out:
    sqs_release(s, cn, 0);
    if (rc) {
        strv_free(v, n);
        return rc;
    }
    *ids = v;
    *count = n;
    return 0;
}

/* ---- audit ---- */

static int sq_audit_insert(struct store *base, const struct audit_record *rec, int64_t *seq)
{
    static const char sql[] =
        "INSERT INTO audit(time, tenant_id, actor, actor_id, actor_type, client_ip, activity,"
        " item, request_id, decision, details) VALUES(?,?,?,?,?,?,?,?,?,?,?)";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqlite3_bind_int64(st, 1, rec->time);
        sqs_bind_text(st, 2, rec->tenant_id);
        sqs_bind_text(st, 3, rec->actor);
        sqs_bind_text(st, 4, rec->actor_id);
        sqs_bind_text(st, 5, rec->actor_type);
        sqs_bind_text(st, 6, rec->client_ip);
        sqs_bind_text(st, 7, rec->activity);
        sqs_bind_text(st, 8, rec->item);
        sqs_bind_text(st, 9, rec->request_id);
        sqs_bind_text(st, 10, rec->decision);
        sqs_bind_text(st, 11, rec->details ? rec->details : "{}");
        rc = sqs_run(cn, st);
        if (rc == 0 && seq)
            *seq = sqlite3_last_insert_rowid(cn->db);
    }
    rc = sqs_release(s, cn, rc);
    return rc;
}

static int read_audit(sqlite3_stmt *st, struct audit_record *r)
{
    bool oom = false;

    memset(r, 0, sizeof(*r));
    r->seq = sqlite3_column_int64(st, 0);
    r->time = sqlite3_column_int64(st, 1);
    r->tenant_id = sqs_col_str(st, 2, &oom);
    r->actor = sqs_col_str(st, 3, &oom);
    r->actor_id = sqs_col_str(st, 4, &oom);
    r->actor_type = sqs_col_str(st, 5, &oom);
    r->client_ip = sqs_col_str(st, 6, &oom);
    r->activity = sqs_col_str(st, 7, &oom);
    r->item = sqs_col_str(st, 8, &oom);
    r->request_id = sqs_col_str(st, 9, &oom);
    r->decision = sqs_col_str(st, 10, &oom);
    r->details = sqs_col_str(st, 11, &oom);
    if (oom) {
        audit_record_clear(r);
        return LB_ENOMEM;
    }
    return 0;
}

static int sq_audit_query(struct store *base, const struct audit_filter *f, struct audit_list *out)
{
#define AUDIT_WHERE                                                                                \
    " WHERE (?1 IS NULL OR activity=?1) AND (?2 IS NULL OR actor=?2) AND (?3 IS NULL OR item=?3)"  \
    " AND (?4 IS NULL OR tenant_id=?4) AND (?5 IS NULL OR time>=?5) AND (?6 IS NULL OR time<?6)"   \
    " AND (?7=0 OR request_id IS NULL OR EXISTS(SELECT 1 FROM requests r"                          \
    " WHERE r.id=audit.request_id AND r.customer_visible=1))"
#define AUDIT_SELECT                                                                               \
    "SELECT seq, time, tenant_id, actor, actor_id, actor_type, client_ip, activity, item,"         \
    " request_id, decision, details FROM audit"
    static const char asc[] =
        AUDIT_SELECT AUDIT_WHERE " AND (?8=0 OR seq>?8) ORDER BY seq ASC LIMIT ?9";
    static const char desc[] =
        AUDIT_SELECT AUDIT_WHERE " AND (?8=0 OR seq<?8) ORDER BY seq DESC LIMIT ?9";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, f->ascending ? asc : desc);
    int rc = LB_ESTORE;

    memset(out, 0, sizeof(*out));
    if (!st)
        goto out;
    out->items = lb_calloc(f->limit ? f->limit : 1, sizeof(*out->items));
    if (!out->items) {
        sqs_stmt_done(cn, st);
        rc = LB_ENOMEM;
        goto out;
    }
    sqs_bind_text(st, 1, f->activity);
    sqs_bind_text(st, 2, f->actor);
    sqs_bind_text(st, 3, f->item);
    sqs_bind_text(st, 4, f->tenant_id);
    if (f->has_from)
        sqlite3_bind_int64(st, 5, f->from);
    if (f->has_to)
        sqlite3_bind_int64(st, 6, f->to);
    sqlite3_bind_int(st, 7, f->tenant_view);
    sqlite3_bind_int64(st, 8, f->after_seq);
    sqlite3_bind_int64(st, 9, (int64_t)f->limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->count < f->limit) {
        if ((rc = read_audit(st, &out->items[out->count])) != 0)
            break;
        out->count++;
    }
    rc = rc == SQLITE_DONE ? 0 : (rc < 0 ? rc : sqs_code(cn, rc));
    sqs_stmt_done(cn, st);
out:
    sqs_release(s, cn, 0);
    if (rc)
        audit_list_clear(out);
    return rc;
#undef AUDIT_WHERE
#undef AUDIT_SELECT
}

/* ---- open and close ---- */

static void conn_close(struct conn *cn)
{
    for (size_t i = 0; i < STMT_CACHE_SIZE && cn->cache[i].sql; i++)
        sqlite3_finalize(cn->cache[i].stmt);
    sqlite3_close(cn->db);
    memset(cn, 0, sizeof(*cn));
}

static void sq_close(struct store *base)
{
    struct sqlite_store *s = sqs_of(base);

    for (size_t i = 0; i < s->reader_count; i++)
        conn_close(&s->readers[i]);
    conn_close(&s->writer);
    pthread_mutex_destroy(&s->pool_lock);
    pthread_cond_destroy(&s->pool_cond);
    pthread_mutex_destroy(&s->wlock);
    pthread_cond_destroy(&s->group_done);
    lb_free(s);
}

static int conn_open(struct conn *cn, const char *path, bool writer, struct buf *err)
{
    int rc = sqlite3_open_v2(
        path, &cn->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);

    if (rc != SQLITE_OK) {
        if (err)
            buf_appendf(err, "cannot open %s: %s", path,
                        cn->db ? sqlite3_errmsg(cn->db) : sqlite3_errstr(rc));
        sqlite3_close(cn->db);
        cn->db = NULL;
        return LB_ESTORE;
    }
    sqlite3_busy_timeout(cn->db, 5000);
    if ((writer && ((rc = exec(cn, "PRAGMA journal_mode=WAL")) != 0 ||
                    (rc = exec(cn, "PRAGMA synchronous=FULL")) != 0)) ||
        (rc = exec(cn, "PRAGMA foreign_keys=ON")) != 0) {
        if (err)
            buf_appendf(err, "cannot configure %s: %s", path, sqlite3_errmsg(cn->db));
        return rc;
    }
    return 0;
}

static void sq_stats(struct store *base, struct store_stats *out)
{
    struct sqlite_store *s = sqs_of(base);

    out->transactions = atomic_load(&s->transactions);
    out->commits = atomic_load(&s->commits);
}

static const struct store_ops sqlite_ops = {
    .webhook_insert = sqs_webhook_insert,
    .webhook_get = sqs_webhook_get,
    .webhook_delete = sqs_webhook_delete,
    .webhook_list = sqs_webhook_list,
    .outbox_insert = sqs_outbox_insert,
    .outbox_due = sqs_outbox_due,
    .outbox_next_due = sqs_outbox_next_due,
    .outbox_update = sqs_outbox_update,
    .outbox_list_for_request = sqs_outbox_list_for_request,
    .outbox_count = sqs_outbox_count,
    .stats = sq_stats,
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .meta_get = sq_meta_get,
    .meta_set = sq_meta_set,
    .tenant_insert = sq_tenant_insert,
    .tenant_get = sq_tenant_get,
    .tenant_list = sq_tenant_list,
    .tenant_update_settings = sq_tenant_update_settings,
    .tenant_update_scopes = sq_tenant_update_scopes,
    .user_insert = sq_user_insert,
    .user_get = sq_user_get,
    .user_get_by_username = sq_user_get_by_username,
    .user_set_totp_step = sq_user_set_totp_step,
    .user_list_for_tenant = sq_user_list_for_tenant,
    .role_insert = sq_role_insert,
    .role_get = sq_role_get,
    .role_delete = sq_role_delete,
    .role_list_for_user = sq_role_list_for_user,
    .role_list_for_tenant = sq_role_list_for_tenant,
    .role_count = sq_role_count,
    .session_insert = sqs_session_insert,
    .session_get = sqs_session_get,
    .session_expire = sqs_session_expire,
    .token_get = sqs_token_get,
    .token_list = sqs_token_list,
    .token_delete = sqs_token_delete,
    .ticket_insert = sq_ticket_insert,
    .ticket_get = sq_ticket_get,
    .ticket_list = sq_ticket_list,
    .ticket_event_append = sq_ticket_event_append,
    .request_insert = sq_request_insert,
    .request_update = sq_request_update,
    .request_decision_insert = sq_request_decision_insert,
    .request_get = sq_request_get,
    .request_list = sq_request_list,
    .request_each_approved = sq_request_each_approved,
    .request_next_deadline = sq_request_next_deadline,
    .request_due = sq_request_due,
    .audit_insert = sq_audit_insert,
    .audit_query = sq_audit_query,
    .seal_attach = sqs_seal_attach,
    .login_throttle_get = sqs_login_throttle_get,
    .login_throttle_put = sqs_login_throttle_put,
    .login_throttle_delete = sqs_login_throttle_delete,
    .login_throttle_list = sqs_login_throttle_list,
    .login_throttle_prune = sqs_login_throttle_prune,
    .event_insert = sqs_event_insert,
    .event_list = sqs_event_list,
    .event_bounds = sqs_event_bounds,
    .event_prune = sqs_event_prune,
};

int store_sqlite_open(const char *path, struct store **out, struct buf *err)
{
    struct sqlite_store *s = lb_calloc(1, sizeof(*s));
    int rc;

    if (!s)
        return LB_ENOMEM;
    s->base.ops = &sqlite_ops;
    s->group_id = 1;
    pthread_mutex_init(&s->pool_lock, NULL);
    pthread_cond_init(&s->pool_cond, NULL);
    pthread_mutex_init(&s->wlock, NULL);
    pthread_cond_init(&s->group_done, NULL);
    if ((rc = conn_open(&s->writer, path, true, err)) != 0 || (rc = migrate(&s->writer, err)) != 0)
        goto fail;
    /* an in-memory database exists once per connection: it gets no readers */
    if (strcmp(path, ":memory:") != 0) {
        for (; s->reader_count < READERS; s->reader_count++)
            if ((rc = conn_open(&s->readers[s->reader_count], path, false, err)) != 0) {
                conn_close(&s->readers[s->reader_count]);
                goto fail;
            }
    }
    *out = &s->base;
    return 0;
fail:
    sq_close(&s->base);
    return rc;
}
