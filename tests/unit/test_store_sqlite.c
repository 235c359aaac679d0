/*
 * The SQLite backend when the storage is full. SQLITE_FULL (here from PRAGMA max_page_count,
 * the same error a full file system gives) is LB_ENOSPC; a transaction that meets it leaves
 * nothing behind; the store writes again once there is room. A group whose transaction
 * SQLite rolled back by itself (what it does on a failed COMMIT or an I/O error) fails its
 * members with the cause, and no later statement of theirs runs outside a transaction.
 *
 * The last needs the backend's internals (store_sqlite_int.h): the writer's connection, to
 * roll its transaction back as SQLite would.
 */
#include "store/store_sqlite.h"
#include "store/store_sqlite_int.h"
#include "store_rows.h"
#include "util/mem.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

struct fixture {
    char dir[64];
    char path[128];
    struct store *st;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    rows_tempdir(f->dir, sizeof(f->dir), "store");
    snprintf(f->path, sizeof(f->path), "%s/lockbox.db", f->dir);
    f->st = rows_sqlite_open(f->path);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    store_close(f->st);
    rows_sqlite_unlink(f->path);
    assert_int_equal(rmdir(f->dir), 0);
    free(f);
    return 0;
}

static sqlite3 *writer_db(struct fixture *f)
{
    return sqs_of(f->st)->writer.db;
}

/* Limits the database to its current size plus extra pages. */
static void limit_pages(struct fixture *f, int extra)
{
    sqlite3_stmt *st = NULL;
    char sql[64];
    int pages;

    assert_int_equal(sqlite3_prepare_v2(writer_db(f), "PRAGMA page_count", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    pages = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    snprintf(sql, sizeof(sql), "PRAGMA max_page_count=%d", pages + extra);
    assert_int_equal(sqlite3_exec(writer_db(f), sql, NULL, NULL, NULL), SQLITE_OK);
}

/* One transaction writing key=value (and key2 too when not NULL); answers its outcome. */
static int write_tx(struct fixture *f, const char *key, const char *key2, const char *value)
{
    int rc = store_begin(f->st);

    assert_int_equal(rc, 0);
    rc = store_meta_set(f->st, key, value);
    if (!rc && key2)
        rc = store_meta_set(f->st, key2, value);
    if (rc) {
        store_rollback(f->st);
        return rc;
    }
    return store_commit(f->st);
}

static bool has(struct fixture *f, const char *key)
{
    char *v = NULL;
    int rc = store_meta_get(f->st, key, &v);

    assert_true(rc == 0 || rc == LB_ENOTFOUND);
    lb_free(v);
    return rc == 0;
}

static void a_full_store_is_enospc_and_keeps_what_was_committed(void **state)
{
    struct fixture *f = *state;
    char value[3000], key[32], key2[32];
    int rc = 0, i;

    (void)state;
    memset(value, 'v', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    limit_pages(f, 8);
    for (i = 0; i < 100 && rc == 0; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        snprintf(key2, sizeof(key2), "k%d-b", i);
        rc = write_tx(f, key, key2, value);
    }
    assert_int_equal(rc, LB_ENOSPC);
    i--; /* the transaction that failed */
    assert_true(i > 0);
    for (int k = 0; k < i; k++) {
        snprintf(key, sizeof(key), "k%d", k);
        assert_true(has(f, key));
    }
    snprintf(key, sizeof(key), "k%d", i);
    snprintf(key2, sizeof(key2), "k%d-b", i);
    assert_false(has(f, key)); /* nothing of it, not even its first write */
    assert_false(has(f, key2));
    /* a write outside a transaction fails the same way */
    assert_int_equal(store_meta_set(f->st, "alone", value), LB_ENOSPC);
    assert_false(has(f, "alone"));
    /* room again: writes work without reopening */
    limit_pages(f, 1000);
    assert_int_equal(write_tx(f, key, key2, value), 0);
    assert_true(has(f, key) && has(f, key2));
    assert_int_equal(store_meta_set(f->st, "alone", value), 0);
    assert_true(has(f, "alone"));
}

static void a_group_sqlite_rolled_back_fails_and_writes_nothing_after(void **state)
{
    struct fixture *f = *state;

    (void)state;
    assert_int_equal(store_begin(f->st), 0);
    assert_int_equal(store_meta_set(f->st, "x", "1"), 0);
    /* what SQLite does when a COMMIT or a write meets a full disk or an I/O error */
    sqs_of(f->st)->writer.last_err = LB_ENOSPC;
    assert_int_equal(sqlite3_exec(writer_db(f), "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    assert_int_not_equal(store_meta_set(f->st, "y", "2"), 0);
    assert_int_equal(store_commit(f->st), LB_ENOSPC);
    assert_false(has(f, "x"));
    assert_false(has(f, "y")); /* not committed on its own outside the transaction */

    /* the same, ended by a rollback; then the next transaction starts a group of its own */
    assert_int_equal(store_begin(f->st), 0);
    assert_int_equal(store_meta_set(f->st, "x", "1"), 0);
    assert_int_equal(sqlite3_exec(writer_db(f), "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    store_rollback(f->st);
    assert_int_equal(write_tx(f, "z", NULL, "3"), 0);
    assert_true(has(f, "z"));
    assert_false(has(f, "x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_full_store_is_enospc_and_keeps_what_was_committed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_group_sqlite_rolled_back_fails_and_writes_nothing_after,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
