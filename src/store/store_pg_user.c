/* The PostgreSQL backend's users (their TOTP seeds sealed) and role assignments (store.h). */
#include "store_pg_int.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

/* ---- users ---- */

#define USER_COLS                                                                                  \
    "id, tenant_id, username, display_name, email, password_hash, totp_secret, totp_last_step,"    \
    " isolated_identity, created_at"

static int read_user(const struct pgs_row *row, void *item)
{
    struct user *u = item;
    bool oom = false;

    memset(u, 0, sizeof(*u));
    u->id = pgs_col_str(row, 0, &oom);
    u->tenant_id = pgs_col_str(row, 1, &oom);
    u->username = pgs_col_str(row, 2, &oom);
    u->display_name = pgs_col_str(row, 3, &oom);
    u->email = pgs_col_str(row, 4, &oom);
    u->password_hash = pgs_col_str(row, 5, &oom);
    u->totp_secret = pgs_col_str(row, 6, &oom);
    u->totp_last_step = pgs_col_int(row, 7);
    u->isolated_identity = pgs_col_bool(row, 8);
    u->created_at = pgs_col_int(row, 9);
    if (oom) {
        user_clear(u);
        return LB_ENOMEM;
    }
    return 0;
}

int pgs_user_insert(struct store *base, const struct user *u)
{
    static const char sql[] = "INSERT INTO users(" USER_COLS ")"
                              " VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT DO NOTHING";
    struct pg_store *s = pgs_of(base);
    char *sealed = NULL;
    struct pgs_params p = {0};
    int rc;

    if (u->totp_secret &&
        (rc = pgs_seal(s, "users.totp_secret", u->id, u->totp_secret, &sealed)) != 0)
        return STORE_ERR(rc);
    pgs_bind_text(&p, u->id);
    pgs_bind_text(&p, u->tenant_id);
    pgs_bind_text(&p, u->username);
    pgs_bind_text(&p, u->display_name);
    pgs_bind_text(&p, u->email);
    pgs_bind_text(&p, u->password_hash);
    pgs_bind_text(&p, sealed);
    pgs_bind_int(&p, u->totp_last_step);
    pgs_bind_bool(&p, u->isolated_identity);
    pgs_bind_int(&p, u->created_at);
    rc = pgs_insert(s, sql, &p);
    lb_free(sealed);
    return rc;
}

static int user_get_by(struct pg_store *s, const char *sql, const char *key, struct user *out)
{
    struct pgs_params p = {0};
    int rc;

    pgs_bind_text(&p, key);
    rc = pgs_get(s, sql, &p, out, read_user);
    if (rc == 0 && (rc = pgs_unseal(s, "users.totp_secret", out->id, &out->totp_secret)) != 0)
        user_clear(out);
    return rc;
}

int pgs_user_get(struct store *base, const char *id, struct user *out)
{
    static const char sql[] = "SELECT " USER_COLS " FROM users WHERE id=$1";

    return user_get_by(pgs_of(base), sql, id, out);
}

int pgs_user_get_by_username(struct store *base, const char *username, struct user *out)
{
    static const char sql[] = "SELECT " USER_COLS " FROM users WHERE username=$1";

    return user_get_by(pgs_of(base), sql, username, out);
}

int pgs_user_list_for_tenant(struct store *base, const char *tenant_id, struct user_list *out)
{
    static const char sql[] = "SELECT " USER_COLS " FROM users"
                              " WHERE tenant_id IS NOT DISTINCT FROM $1"
                              " ORDER BY username COLLATE \"C\"";
    struct pg_store *s = pgs_of(base);
    struct pgs_params p = {0};
    struct pgs_query q = {.sql = sql,
                          .params = &p,
                          .read = read_user,
                          .items = &out->items,
                          .count = &out->count,
                          .size = sizeof(*out->items)};
    int rc;

    memset(out, 0, sizeof(*out));
    pgs_bind_text(&p, tenant_id);
    rc = pgs_list(s, &q);
    for (size_t i = 0; rc == 0 && i < out->count; i++)
        rc = pgs_unseal(s, "users.totp_secret", out->items[i].id, &out->items[i].totp_secret);
    if (rc)
        user_list_clear(out);
    return rc;
}

int pgs_user_set_totp_step(struct store *base, const char *id, int64_t step)
{
    static const char sql[] =
        "UPDATE users SET totp_last_step=$1 WHERE id=$2 AND totp_last_step<$1";
    struct pgs_params p = {0};
    int64_t changes = 0;
    int rc;

    pgs_bind_int(&p, step);
    pgs_bind_text(&p, id);
    rc = pgs_write(pgs_of(base), sql, &p, &changes);
    /* Nothing changed: the step was already used (a replay, maybe from another node). */
    return rc == 0 && changes == 0 ? LB_ECONFLICT : rc;
}

/* ---- role assignments ---- */

#define ROLE_SELECT                                                                                \
    "SELECT r.id, r.tenant_id, r.user_id, u.username, r.role, r.scope, r.created_at"               \
    " FROM role_assignments r JOIN users u ON u.id = r.user_id "

static int read_role(const struct pgs_row *row, void *item)
{
    struct role_assignment *r = item;
    bool oom = false;

    memset(r, 0, sizeof(*r));
    r->id = pgs_col_str(row, 0, &oom);
    r->tenant_id = pgs_col_str(row, 1, &oom);
    r->user_id = pgs_col_str(row, 2, &oom);
    r->username = pgs_col_str(row, 3, &oom);
    r->role = pgs_col_str(row, 4, &oom);
    r->scope = pgs_col_str(row, 5, &oom);
    r->created_at = pgs_col_int(row, 6);
    if (oom) {
        role_assignment_clear(r);
        return LB_ENOMEM;
    }
    return 0;
}

int pgs_role_insert(struct store *base, const struct role_assignment *r)
{
    static const char sql[] = "INSERT INTO role_assignments(id, tenant_id, user_id, role, scope,"
                              " created_at) VALUES($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING";
    struct pgs_params p = {0};

    pgs_bind_text(&p, r->id);
    pgs_bind_text(&p, r->tenant_id);
    pgs_bind_text(&p, r->user_id);
    pgs_bind_text(&p, r->role);
    pgs_bind_text(&p, r->scope);
    pgs_bind_int(&p, r->created_at);
    return pgs_insert(pgs_of(base), sql, &p);
}

int pgs_role_get(struct store *base, const char *id, struct role_assignment *out)
{
    static const char sql[] = ROLE_SELECT "WHERE r.id=$1";
    struct pgs_params p = {0};

    pgs_bind_text(&p, id);
    return pgs_get(pgs_of(base), sql, &p, out, read_role);
}

int pgs_role_delete(struct store *base, const char *id)
{
    static const char sql[] = "DELETE FROM role_assignments WHERE id=$1";
    struct pgs_params p = {0};

    pgs_bind_text(&p, id);
    return pgs_change(pgs_of(base), sql, &p);
}

static int role_list_by(struct pg_store *s, const char *sql, const char *key, struct role_list *out)
{
    struct pgs_params p = {0};
    struct pgs_query q = {.sql = sql,
                          .params = &p,
                          .read = read_role,
                          .items = &out->items,
                          .count = &out->count,
                          .size = sizeof(*out->items)};
    int rc;

    memset(out, 0, sizeof(*out));
    pgs_bind_text(&p, key);
    if ((rc = pgs_list(s, &q)) != 0)
        role_list_clear(out);
    return rc;
}

int pgs_role_list_for_user(struct store *base, const char *user_id, struct role_list *out)
{
    static const char sql[] = ROLE_SELECT "WHERE r.user_id=$1 ORDER BY r.created_at, r.seq";

    return role_list_by(pgs_of(base), sql, user_id, out);
}

int pgs_role_list_for_tenant(struct store *base, const char *tenant_id, struct role_list *out)
{
    static const char sql[] = ROLE_SELECT "WHERE r.tenant_id IS NOT DISTINCT FROM $1"
                                          " ORDER BY r.created_at, r.seq";

    return role_list_by(pgs_of(base), sql, tenant_id, out);
}

int pgs_role_count(struct store *base, const char *tenant_id, const char *role, const char *scope,
                   int64_t *count)
{
    static const char sql[] =
        "SELECT count(*) FROM role_assignments WHERE tenant_id=$1 AND role=$2 AND scope=$3";
    struct pgs_params p = {0};

    pgs_bind_text(&p, tenant_id);
    pgs_bind_text(&p, role);
    pgs_bind_text(&p, scope);
    return pgs_int(pgs_of(base), sql, &p, count);
}
