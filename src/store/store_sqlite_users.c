/* The SQLite backend's users and their role assignments (store.h, migration 1). */
#include "store_sqlite_int.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

/* ---- users ---- */

#define USER_COLS                                                                                  \
    "id, tenant_id, username, display_name, email, password_hash, totp_secret, totp_last_step,"    \
    " isolated_identity, created_at"

static int read_user(sqlite3_stmt *st, void *item)
{
    struct user *u = item;
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

int sqs_user_insert(struct store *base, const struct user *u)
{
    static const char sql[] = "INSERT INTO users(" USER_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?)";
    struct sqlite_store *s = sqs_of(base);
    char *sealed = NULL;
    int rc;

    if (u->totp_secret &&
        (rc = sqs_seal(s, "users.totp_secret", u->id, u->totp_secret, &sealed)) != 0)
        return STORE_ERR(rc);
    rc = sqs_write(s,
                   SQS_QUERY(sql, SQS_TEXT(u->id), SQS_TEXT(u->tenant_id), SQS_TEXT(u->username),
                             SQS_TEXT(u->display_name), SQS_TEXT(u->email),
                             SQS_TEXT(u->password_hash), SQS_TEXT(sealed),
                             SQS_INT(u->totp_last_step), SQS_INT(u->isolated_identity),
                             SQS_INT(u->created_at)),
                   0, NULL);
    lb_free(sealed);
    return rc;
}

/* The one user a keyed query selects, its sealed TOTP seed opened (cleared on failure). */
static int user_get_by(struct sqlite_store *s, const char *sql, const char *key, struct user *out)
{
    int rc = sqs_query_one(s, SQS_QUERY(sql, SQS_TEXT(key)), out, read_user, NULL);

    if (rc == 0 && (rc = sqs_unseal(s, "users.totp_secret", out->id, &out->totp_secret)) != 0)
        user_clear(out);
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
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sqs_query_list(s, SQS_QUERY(sql, SQS_TEXT(tenant_id)), SQS_LIST(out), read_user, NULL);
    for (size_t i = 0; rc == 0 && i < out->count; i++)
        rc = sqs_unseal(s, "users.totp_secret", out->items[i].id, &out->items[i].totp_secret);
    if (rc)
        user_list_clear(out);
    return rc;
}

int sqs_user_set_totp_step(struct store *base, const char *id, int64_t step)
{
    static const char sql[] = "UPDATE users SET totp_last_step=? WHERE id=? AND totp_last_step<?";

    /* Nothing changed: the step was already used (a replay, maybe from another thread). */
    return sqs_write(sqs_of(base), SQS_QUERY(sql, SQS_INT(step), SQS_TEXT(id), SQS_INT(step)),
                     LB_ECONFLICT, NULL);
}

/* ---- role assignments ---- */

#define ROLE_SELECT                                                                                \
    "SELECT r.id, r.tenant_id, r.user_id, u.username, r.role, r.scope, r.created_at"               \
    " FROM role_assignments r JOIN users u ON u.id = r.user_id "

static int read_role(sqlite3_stmt *st, void *item)
{
    struct role_assignment *r = item;
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

int sqs_role_insert(struct store *base, const struct role_assignment *r)
{
    static const char sql[] = "INSERT INTO role_assignments(id, tenant_id, user_id, role, scope,"
                              " created_at) VALUES(?,?,?,?,?,?)";

    return sqs_write(sqs_of(base),
                     SQS_QUERY(sql, SQS_TEXT(r->id), SQS_TEXT(r->tenant_id), SQS_TEXT(r->user_id),
                               SQS_TEXT(r->role), SQS_TEXT(r->scope), SQS_INT(r->created_at)),
                     0, NULL);
}

int sqs_role_get(struct store *base, const char *id, struct role_assignment *out)
{
    static const char sql[] = ROLE_SELECT "WHERE r.id=?";

    return sqs_query_one(sqs_of(base), SQS_QUERY(sql, SQS_TEXT(id)), out, read_role, NULL);
}

int sqs_role_delete(struct store *base, const char *id)
{
    static const char sql[] = "DELETE FROM role_assignments WHERE id=?";

    return sqs_write(sqs_of(base), SQS_QUERY(sql, SQS_TEXT(id)), LB_ENOTFOUND, NULL);
}

static int role_list_by(struct sqlite_store *s, const char *sql, const char *key,
                        struct role_list *out)
{
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sqs_query_list(s, SQS_QUERY(sql, SQS_TEXT(key)), SQS_LIST(out), read_role, NULL);
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

    return sqs_query_int(
        sqs_of(base), SQS_QUERY(sql, SQS_TEXT(tenant_id), SQS_TEXT(role), SQS_TEXT(scope)), count);
}
