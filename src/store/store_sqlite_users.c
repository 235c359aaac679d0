/* The SQLite backend's users and their role assignments (store.h, migration 1). */
#include "store_sqlite_int.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

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

int sqs_user_insert(struct store *base, const struct user *u)
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

int sqs_user_get(struct store *base, const char *id, struct user *out)
{
    static const char sql[] = "SELECT " USER_COLS " FROM users WHERE id=?";

    return user_get_by(sqs_of(base), sql, id, out);
}

int sqs_user_get_by_username(struct store *base, const char *username, struct user *out)
{
    static const char sql[] = "SELECT " USER_COLS " FROM users WHERE username=?";

    return user_get_by(sqs_of(base), sql, username, out);
}

int sqs_user_list_for_tenant(struct store *base, const char *tenant_id, struct user_list *out)
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

int sqs_user_set_totp_step(struct store *base, const char *id, int64_t step)
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

int sqs_role_insert(struct store *base, const struct role_assignment *r)
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

int sqs_role_get(struct store *base, const char *id, struct role_assignment *out)
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

int sqs_role_delete(struct store *base, const char *id)
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

int sqs_role_list_for_user(struct store *base, const char *user_id, struct role_list *out)
{
    static const char sql[] = ROLE_SELECT "WHERE r.user_id=? ORDER BY r.created_at, r.rowid";

    return role_list_by(sqs_of(base), sql, user_id, out);
}

int sqs_role_list_for_tenant(struct store *base, const char *tenant_id, struct role_list *out)
{
    static const char sql[] = ROLE_SELECT "WHERE r.tenant_id IS ? ORDER BY r.created_at, r.rowid";

    return role_list_by(sqs_of(base), sql, tenant_id, out);
}

int sqs_role_count(struct store *base, const char *tenant_id, const char *role, const char *scope,
                   int64_t *count)
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
