/* The PostgreSQL backend's sessions and API tokens (store.h, migrations 1 and 6). */
#include "store_pg_int.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

#define SESSION_COLS "token_hash, user_id, token_id, name, mfa, created_at, expires_at"

static int read_session(const struct pgs_row *row, void *item)
{
    struct session *se = item;
    bool oom = false;

    memset(se, 0, sizeof(*se));
    se->token_hash = pgs_col_str(row, 0, &oom);
    se->user_id = pgs_col_str(row, 1, &oom);
    se->token_id = pgs_col_str(row, 2, &oom);
    se->name = pgs_col_str(row, 3, &oom);
    se->mfa = pgs_col_bool(row, 4);
    se->created_at = pgs_col_int(row, 5);
    se->expires_at = pgs_col_int(row, 6);
    if (oom) {
        session_clear(se);
        return LB_ENOMEM;
    }
    return 0;
}

int pgs_session_insert(struct store *base, const struct session *se)
{
    static const char sql[] = "INSERT INTO sessions(" SESSION_COLS ")"
                              " VALUES($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING";
    struct pgs_params p = {0};

    pgs_bind_text(&p, se->token_hash);
    pgs_bind_text(&p, se->user_id);
    pgs_bind_text(&p, se->token_id);
    pgs_bind_text(&p, se->name);
    pgs_bind_bool(&p, se->mfa);
    pgs_bind_int(&p, se->created_at);
    pgs_bind_int(&p, se->expires_at);
    return pgs_insert(pgs_of(base), sql, &p);
}

int pgs_session_expire(struct store *base, const char *token_hash, int64_t at)
{
    static const char sql[] =
        "UPDATE sessions SET expires_at=$1 WHERE token_hash=$2 AND expires_at>$1";
    struct pgs_params p = {0};

    pgs_bind_int(&p, at);
    pgs_bind_text(&p, token_hash);
    return pgs_change(pgs_of(base), sql, &p);
}

static int session_by(struct pg_store *s, const char *sql, const char *key, struct session *out)
{
    struct pgs_params p = {0};

    pgs_bind_text(&p, key);
    return pgs_get(s, sql, &p, out, read_session);
}

int pgs_session_get(struct store *base, const char *token_hash, struct session *out)
{
    static const char sql[] = "SELECT " SESSION_COLS " FROM sessions WHERE token_hash=$1";

    return session_by(pgs_of(base), sql, token_hash, out);
}

int pgs_token_get(struct store *base, const char *token_id, struct session *out)
{
    static const char sql[] = "SELECT " SESSION_COLS " FROM sessions WHERE token_id=$1";

    return session_by(pgs_of(base), sql, token_id, out);
}

int pgs_token_list(struct store *base, const char *user_id, struct session_list *out)
{
    static const char sql[] = "SELECT " SESSION_COLS " FROM sessions"
                              " WHERE user_id=$1 AND token_id IS NOT NULL"
                              " ORDER BY created_at, seq";
    struct pgs_params p = {0};
    struct pgs_query q = {.sql = sql,
                          .params = &p,
                          .read = read_session,
                          .items = &out->items,
                          .count = &out->count,
                          .size = sizeof(*out->items)};
    int rc;

    memset(out, 0, sizeof(*out));
    pgs_bind_text(&p, user_id);
    if ((rc = pgs_list(pgs_of(base), &q)) != 0)
        session_list_clear(out);
    return rc;
}

int pgs_token_delete(struct store *base, const char *token_id)
{
    static const char sql[] = "DELETE FROM sessions WHERE token_id=$1";
    struct pgs_params p = {0};

    pgs_bind_text(&p, token_id);
    return pgs_change(pgs_of(base), sql, &p);
}
