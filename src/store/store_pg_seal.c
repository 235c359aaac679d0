/* The PostgreSQL backend's secrets at rest: sealed columns exactly as store_sqlite_seal.c
 * seals them (the same contexts), so a value copied between the backends still opens. */
#include "seal.h"
#include "store_pg_int.h"
#include "util/log.h"
#include "util/mem.h"

#include <sodium.h>
#include <string.h>

#include "util/banned.h"

int pgs_seal(struct pg_store *s, const char *column, const char *id, const char *plain, char **out)
{
    return seal_column(s->seal, column, id, plain, out);
}

int pgs_unseal(struct pg_store *s, const char *column, const char *id, char **value)
{
    int rc = seal_column_open(s->seal, column, id, value);

    return rc ? STORE_ERR(rc) : 0;
}

struct plain_row {
    char *id, *value;
};

static int read_plain(const struct pgs_row *row, void *item)
{
    struct plain_row *r = item;
    bool oom = false;

    r->id = pgs_col_str(row, 0, &oom);
    r->value = pgs_col_str(row, 1, &oom);
    if (oom) {
        lb_free(r->id);
        lb_free(r->value);
        return LB_ENOMEM;
    }
    return 0;
}

static void rows_free(struct plain_row *rows, size_t count)
{
    for (size_t i = 0; rows && i < count; i++) {
        lb_free(rows[i].id);
        if (rows[i].value)
            sodium_memzero(rows[i].value, strlen(rows[i].value));
        lb_free(rows[i].value);
    }
    lb_free(rows);
}

/* Seals one row's value with update ($1 value, $2 id) on cn. */
static int seal_row(struct pg_store *s, struct pgs_conn *cn, const char *column, const char *update,
                    const struct plain_row *row)
{
    struct pgs_params p = {0};
    char *text = NULL;
    int rc;

    if (seal_is_sealed(row->value)) {
        log_error("store: %s of id %s is sealed, but the store names no key", column, row->id);
        return LB_EKEY;
    }
    if ((rc = pgs_seal(s, column, row->id, row->value, &text)) != 0)
        return rc;
    pgs_bind_text(&p, text);
    pgs_bind_text(&p, row->id);
    rc = pgs_run(cn, &(struct pgs_query){.sql = update, .params = &p});
    lb_free(text);
    return rc;
}

/* Seals every value of one column (select: id, value; update: value, id) still in plaintext,
 * inside the caller's transaction; *sealed counts them. A store written by this backend has
 * none (it seals on insert); one copied from an older SQLite store may. */
static int seal_plain_values(struct pg_store *s, const char *column, const char *select,
                             const char *update, size_t *sealed)
{
    struct pgs_conn *cn = NULL;
    struct plain_row *rows = NULL;
    size_t count = 0;
    struct pgs_query q = {
        .sql = select, .read = read_plain, .items = &rows, .count = &count, .size = sizeof(*rows)};
    int rc = pgs_acquire(s, PGS_WRITE, &cn);

    if (rc == 0)
        rc = pgs_run(cn, &q);
    for (size_t i = 0; rc == 0 && i < count; i++)
        if ((rc = seal_row(s, cn, column, update, &rows[i])) == 0)
            (*sealed)++;
    rows_free(rows, count);
    return pgs_release(s, cn, rc);
}

/* The first seal of the store, in the caller's transaction: seals what is in plaintext and
 * keeps the key's id. */
static int seal_first(struct pg_store *s, const char *id, size_t *sealed)
{
    static const char users_select[] =
        "SELECT id, totp_secret FROM users WHERE totp_secret IS NOT NULL";
    static const char users_update[] = "UPDATE users SET totp_secret=$1 WHERE id=$2";
    static const char hooks_select[] = "SELECT id, secret FROM webhooks";
    static const char hooks_update[] = "UPDATE webhooks SET secret=$1 WHERE id=$2";
    int rc = seal_plain_values(s, "users.totp_secret", users_select, users_update, sealed);

    if (rc == 0)
        rc = seal_plain_values(s, "webhooks.secret", hooks_select, hooks_update, sealed);
    if (rc == 0)
        rc = pgs_meta_set(&s->base, STORE_META_SEAL_KEY_ID, id);
    return rc;
}

int pgs_seal_attach(struct store *base, const struct seal *seal)
{
    struct pg_store *s = pgs_of(base);
    char id[SEAL_KEY_ID_LEN], *have = NULL;
    size_t sealed = 0;
    int rc;

    seal_key_id(seal, id);
    s->seal = seal;
    /* The key id is read inside the write transaction: two lockboxd attaching a seal to a new
     * store at once take turns, and the second finds the first's key. */
    if ((rc = base->ops->begin(base)) != 0)
        goto fail;
    rc = pgs_meta_get(base, STORE_META_SEAL_KEY_ID, &have);
    if (rc == 0)
        rc = strcmp(have, id) == 0 ? 0 : LB_EKEY;
    else if (rc == LB_ENOTFOUND)
        rc = seal_first(s, id, &sealed);
    lb_free(have);
    if (rc) {
        base->ops->rollback(base);
        goto fail;
    }
    if ((rc = base->ops->commit(base)) != 0)
        goto fail;
    if (sealed)
        log_info("store: sealed secrets=%zu left in plaintext", sealed);
    return 0;
fail:
    s->seal = NULL;
    return rc;
}
