/* The SQLite backend's secrets at rest: sealing columns, and the pass that seals what an older
 * version stored in plaintext (store.h). */
#include "seal.h"
#include "store_sqlite_int.h"
#include "util/log.h"
#include "util/mem.h"

#include <sodium.h>
#include <string.h>

#include "util/banned.h"

int sqs_seal(struct sqlite_store *s, const char *column, const char *id, const char *plain,
             char **out)
{
    return seal_column(s->seal, column, id, plain, out);
}

int sqs_unseal(struct sqlite_store *s, const char *column, const char *id, char **value)
{
    int rc = seal_column_open(s->seal, column, id, value);

    return rc ? STORE_ERR(rc) : 0;
}

struct plain_row {
    char *id, *value;
};

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

static int row_plain(sqlite3_stmt *st, void *item)
{
    struct plain_row *r = item;
    bool oom = false;

    r->id = sqs_col_str(st, 0, &oom);
    r->value = sqs_col_str(st, 1, &oom);
    return oom ? LB_ENOMEM : 0;
}

/* Seals every value of one column (select: id, value; update: value, id) still in plaintext,
 * inside the caller's transaction; *sealed counts them. LB_EKEY when a value is already sealed:
 * with no key id in meta, it was sealed by a key nobody can name. */
static int seal_plain_values(struct sqlite_store *s, const char *column, const char *select,
                             const char *update, size_t *sealed)
{
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, select);
    struct plain_row *rows = NULL;
    size_t count = 0;
    char *text = NULL;
    int rc = LB_ESTORE;

    if (!st)
        goto out;
    if ((rc = sqs_collect(cn, st, &rows, &count, sizeof(*rows), row_plain)) != 0)
        goto out;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        if (seal_is_sealed(rows[i].value)) {
            log_error("store: %s of id %s is sealed, but the store names no key", column,
                      rows[i].id);
            rc = LB_EKEY;
            break;
        }
        if ((rc = sqs_seal(s, column, rows[i].id, rows[i].value, &text)) != 0)
            break;
        if (!(st = sqs_stmt(cn, update))) {
            rc = LB_ESTORE;
            break;
        }
        sqs_bind_text(st, 1, text);
        sqs_bind_text(st, 2, rows[i].id);
        rc = sqs_run(cn, st);
        lb_free(text);
        text = NULL;
        (*sealed)++;
    }
out:
    lb_free(text);
    rows_free(rows, count);
    return sqs_release(s, cn, rc);
}

int sqs_seal_attach(struct store *base, const struct seal *seal)
{
    static const char users_select[] =
        "SELECT id, totp_secret FROM users WHERE totp_secret IS NOT NULL";
    static const char users_update[] = "UPDATE users SET totp_secret=? WHERE id=?";
    static const char hooks_select[] = "SELECT id, secret FROM webhooks";
    static const char hooks_update[] = "UPDATE webhooks SET secret=? WHERE id=?";
    struct sqlite_store *s = sqs_of(base);
    char id[SEAL_KEY_ID_LEN], *have = NULL;
    size_t sealed = 0;
    int rc;

    seal_key_id(seal, id);
    rc = store_meta_get(base, STORE_META_SEAL_KEY_ID, &have);
    if (rc == 0) {
        rc = strcmp(have, id) == 0 ? 0 : LB_EKEY;
        lb_free(have);
        if (rc == 0)
            s->seal = seal;
        return rc;
    }
    if (rc != LB_ENOTFOUND)
        return rc;
    /* The first seal of this store: what an older version wrote in plaintext is sealed, and
     * the key's id kept, in one transaction. */
    s->seal = seal;
    if ((rc = store_begin(base)) != 0)
        goto fail;
    rc = seal_plain_values(s, "users.totp_secret", users_select, users_update, &sealed);
    if (rc == 0)
        rc = seal_plain_values(s, "webhooks.secret", hooks_select, hooks_update, &sealed);
    if (rc == 0)
        rc = store_meta_set(base, STORE_META_SEAL_KEY_ID, id);
    if (rc) {
        store_rollback(base);
        goto fail;
    }
    if ((rc = store_commit(base)) != 0)
        goto fail;
    /* The plaintext may linger in freed pages of the file and in the log: rebuild the file
     * and empty the log (quick on a new store, once on an upgraded one). */
    pthread_mutex_lock(&s->wlock);
    rc = sqs_exec(&s->writer, "VACUUM");
    if (rc == 0)
        rc = sqs_exec(&s->writer, "PRAGMA wal_checkpoint(TRUNCATE)");
    pthread_mutex_unlock(&s->wlock);
    if (rc)
        goto fail;
    if (sealed)
        log_info("store: sealed secrets=%zu left in plaintext by an older version", sealed);
    return 0;
fail:
    s->seal = NULL;
    return rc;
}
