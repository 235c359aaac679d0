/*
 * Secrets at rest: sealing and opening values (a fresh nonce each, bound to their context,
 * refused when altered or under another key), key files (made 0600, never overwritten, refused
 * when malformed), and the SQLite store keeping TOTP seeds and webhook secrets sealed: not in
 * its file, sealed at the first attach when an older version left them in plaintext, refused
 * under another key.
 */
#include "store/seal.h"
#include "store/store_sqlite.h"
#include "util/mem.h"

#include <fcntl.h>
#include <setjmp.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

#define SEED "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
#define HOOK_SECRET "6c6f636b626f782d776562686f6f6b2d7365637265742d6e6f742d7265616c21"

struct tmp {
    char dir[64];
    char path[128];
};

static int tmp_setup(void **state)
{
    struct tmp *t = calloc(1, sizeof(*t));

    assert_non_null(t);
    assert_true(sodium_init() >= 0);
    snprintf(t->dir, sizeof(t->dir), "/tmp/lockbox-seal-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    *state = t;
    return 0;
}

static int tmp_teardown(void **state)
{
    struct tmp *t = *state;
    static const char *const names[] = {"k",          "k.tmp", "db",   "db-wal", "db-shm",
                                        "db-journal", "bad1",  "bad2", "bad3",   "other.key"};
    char path[192];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", t->dir, names[i]);
        (void)unlink(path);
    }
    assert_int_equal(rmdir(t->dir), 0);
    free(t);
    return 0;
}

static char *must_seal(const struct seal *s, const char *ctx, const char *plain)
{
    char *out = NULL;

    assert_int_equal(seal_text(s, ctx, plain, &out), 0);
    return out;
}

static void values_open_only_as_sealed(void **state)
{
    struct seal *s = NULL, *other = NULL;
    char *a, *b, *plain = NULL, *empty;

    (void)state;
    assert_true(sodium_init() >= 0);
    assert_int_equal(seal_new_ephemeral(&s), 0);
    assert_int_equal(seal_new_ephemeral(&other), 0);
    a = must_seal(s, "users.totp_secret:u1", SEED);
    b = must_seal(s, "users.totp_secret:u1", SEED);
    assert_true(seal_is_sealed(a));
    assert_null(strstr(a, SEED));
    assert_string_not_equal(a, b); /* a fresh nonce each time */
    assert_int_equal(seal_open_text(s, "users.totp_secret:u1", a, &plain), 0);
    assert_string_equal(plain, SEED);
    lb_free(plain);
    plain = NULL;
    /* another row, another column, another key: nothing opens */
    assert_int_equal(seal_open_text(s, "users.totp_secret:u2", a, &plain), LB_EKEY);
    assert_int_equal(seal_open_text(s, "webhooks.secret:u1", a, &plain), LB_EKEY);
    assert_int_equal(seal_open_text(s, "users.totp_secret:u", a, &plain), LB_EKEY);
    assert_int_equal(seal_open_text(other, "users.totp_secret:u1", a, &plain), LB_EKEY);
    /* altered, cut, or not sealed at all */
    size_t mid = strlen(a) / 2;
    a[mid] = a[mid] == 'A' ? 'B' : 'A';
    assert_int_equal(seal_open_text(s, "users.totp_secret:u1", a, &plain), LB_EKEY);
    b[strlen(b) - 3] = '\0';
    assert_int_equal(seal_open_text(s, "users.totp_secret:u1", b, &plain), LB_EKEY);
    assert_int_equal(seal_open_text(s, "users.totp_secret:u1", SEED, &plain), LB_EKEY);
    assert_int_equal(seal_open_text(s, "users.totp_secret:u1", SEAL_PREFIX, &plain), LB_EKEY);
    assert_int_equal(seal_open_text(s, "users.totp_secret:u1", SEAL_PREFIX "!!", &plain), LB_EKEY);
    assert_null(plain);
    /* an empty value round-trips */
    empty = must_seal(s, "c", "");
    assert_int_equal(seal_open_text(s, "c", empty, &plain), 0);
    assert_string_equal(plain, "");
    lb_free(plain);
    lb_free(empty);
    lb_free(a);
    lb_free(b);
    seal_free(s);
    seal_free(other);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void key_files_are_made_private_and_never_replaced(void **state)
{
    struct tmp *t = *state;
    struct seal *made = NULL, *loaded = NULL, *again = NULL;
    char id1[SEAL_KEY_ID_LEN], id2[SEAL_KEY_ID_LEN], text[80] = "", *sealed, *plain = NULL;
    struct buf err = BUF_INIT;
    struct stat st;
    FILE *f;

    snprintf(t->path, sizeof(t->path), "%s/k", t->dir);
    assert_int_equal(seal_key_load(t->path, &loaded, &err), LB_ENOTFOUND);
    assert_int_equal(seal_key_create(t->path, &made, &err), 0);
    assert_int_equal(stat(t->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    f = fopen(t->path, "r");
    assert_non_null(f);
    assert_non_null(fgets(text, sizeof(text), f));
    fclose(f);
    assert_int_equal(strlen(text), 65); /* 64 hex digits and a newline */
    assert_int_equal(strspn(text, "0123456789abcdef"), 64);
    /* what the made key sealed, the loaded one opens: the same key, the same id */
    assert_int_equal(seal_key_load(t->path, &loaded, &err), 0);
    seal_key_id(made, id1);
    seal_key_id(loaded, id2);
    assert_string_equal(id1, id2);
    assert_int_equal(strlen(id1), SEAL_KEY_ID_LEN - 1);
    assert_null(strstr(text, id1)); /* the id is not a piece of the key */
    sealed = must_seal(made, "ctx", SEED);
    assert_int_equal(seal_open_text(loaded, "ctx", sealed, &plain), 0);
    assert_string_equal(plain, SEED);
    lb_free(plain);
    lb_free(sealed);
    /* a key file is never replaced, and the temporary file does not stay */
    buf_reset(&err);
    assert_int_equal(seal_key_create(t->path, &again, &err), LB_EEXISTS);
    assert_null(again);
    assert_non_null(strstr(buf_cstr(&err), t->path));
    assert_int_equal(seal_key_load(t->path, &again, &err), 0);
    seal_key_id(again, id2);
    assert_string_equal(id1, id2);
    snprintf(text, sizeof(text), "%s/k.tmp", t->dir);
    assert_int_not_equal(access(text, F_OK), 0);
    /* another key has another id */
    seal_free(again);
    again = NULL;
    snprintf(text, sizeof(text), "%s/other.key", t->dir);
    assert_int_equal(seal_key_create(text, &again, &err), 0);
    seal_key_id(again, id2);
    assert_string_not_equal(id1, id2);
    seal_free(made);
    seal_free(loaded);
    seal_free(again);
    buf_release(&err);
}

static void malformed_key_files_are_refused(void **state)
{
    struct tmp *t = *state;
    static const char *const bad[] = {
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n",    /* 63 digits */
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefg\n",  /* a letter */
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef00\n", /* 66 */
    };
    struct seal *s = NULL;
    struct buf err = BUF_INIT;
    char path[128];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(path, sizeof(path), "%s/bad%zu", t->dir, i + 1);
        write_file(path, bad[i]);
        buf_reset(&err);
        assert_int_equal(seal_key_load(path, &s, &err), LB_EKEY);
        assert_null(s);
        assert_non_null(strstr(buf_cstr(&err), path));
        assert_non_null(strstr(buf_cstr(&err), "64 hex digits"));
    }
    buf_release(&err);
}

/* ---- the store ---- */

static bool file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    size_t n = strlen(needle), len = 0, cap = 1 << 16;
    char *data = malloc(cap);
    bool found = false;

    if (!f || !data) {
        if (f)
            fclose(f);
        free(data);
        return false;
    }
    for (size_t got; (got = fread(data + len, 1, cap - len, f)) > 0;) {
        len += got;
        if (len == cap) {
            char *more = realloc(data, cap * 2);
            assert_non_null(more);
            if (!more)
                break;
            data = more;
            cap *= 2;
        }
    }
    fclose(f);
    for (size_t i = 0; i + n <= len && !found; i++)
        found = memcmp(data + i, needle, n) == 0;
    free(data);
    return found;
}

static bool store_files_have(const struct tmp *t, const char *needle)
{
    char path[192];
    bool found = false;

    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/db%s", t->dir, i ? "-wal" : "");
        found = found || file_has(path, needle);
    }
    return found;
}

static void exec_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void insert_both(struct store *st)
{
    char *events[] = {"request.pending"};
    struct user u = {.id = "u1",
                     .username = "alice",
                     .password_hash = "x",
                     .totp_secret = SEED,
                     .created_at = 1};
    struct webhook w = {.id = "w1",
                        .url = "http://192.0.2.1/h",
                        .events = events,
                        .event_count = 1,
                        .secret = HOOK_SECRET,
                        .created_at = 1};

    assert_int_equal(store_user_insert(st, &u), 0);
    assert_int_equal(store_webhook_insert(st, &w), 0);
}

static void read_both(struct store *st, int want)
{
    struct user u = {0};
    struct webhook w = {0};

    assert_int_equal(store_user_get(st, "u1", &u), want);
    assert_int_equal(store_webhook_get(st, "w1", &w), want);
    if (want == 0) {
        assert_string_equal(u.totp_secret, SEED);
        assert_string_equal(w.secret, HOOK_SECRET);
    }
    user_clear(&u);
    webhook_clear(&w);
}

static void the_store_keeps_secrets_sealed(void **state)
{
    struct tmp *t = *state;
    struct seal *key = NULL, *other = NULL;
    struct store *st = NULL;
    struct buf err = BUF_INIT;
    char *events[] = {"request.pending"};
    struct user u = {.id = "u0", .username = "u0", .totp_secret = SEED, .created_at = 1};
    struct webhook w = {
        .id = "w0", .url = "http://x/", .events = events, .event_count = 1, .secret = "s"};

    snprintf(t->path, sizeof(t->path), "%s/db", t->dir);
    assert_int_equal(seal_new_ephemeral(&key), 0);
    assert_int_equal(seal_new_ephemeral(&other), 0);
    assert_int_equal(store_sqlite_open(t->path, &st, &err), 0);
    /* no seal yet: no secret is written or read */
    assert_int_equal(store_user_insert(st, &u), LB_EKEY);
    assert_int_equal(store_webhook_insert(st, &w), LB_EKEY);
    assert_int_equal(store_seal_attach(st, key), 0);
    insert_both(st);
    read_both(st, 0);
    assert_false(store_files_have(t, SEED));
    assert_false(store_files_have(t, HOOK_SECRET));
    store_close(st);
    assert_false(store_files_have(t, SEED));
    assert_false(store_files_have(t, HOOK_SECRET));

    /* under another key the store refuses, and reads nothing */
    assert_int_equal(store_sqlite_open(t->path, &st, &err), 0);
    assert_int_equal(store_seal_attach(st, other), LB_EKEY);
    read_both(st, LB_EKEY);
    store_close(st);

    /* a sealed value moved to another row does not open there */
    exec_sql(t->path, "INSERT INTO users(id, username, totp_secret, created_at)"
                      " SELECT 'u2', 'bob', totp_secret, 1 FROM users WHERE id='u1'");
    assert_int_equal(store_sqlite_open(t->path, &st, &err), 0);
    assert_int_equal(store_seal_attach(st, key), 0);
    read_both(st, 0);
    struct user moved = {0};
    assert_int_equal(store_user_get(st, "u2", &moved), LB_EKEY);
    store_close(st);
    seal_free(key);
    seal_free(other);
    buf_release(&err);
}

static void an_older_store_is_sealed_at_its_first_attach(void **state)
{
    struct tmp *t = *state;
    struct seal *key = NULL;
    struct store *st = NULL;
    struct buf err = BUF_INIT;
    char *id = NULL, kid[SEAL_KEY_ID_LEN];

    snprintf(t->path, sizeof(t->path), "%s/db", t->dir);
    assert_int_equal(seal_new_ephemeral(&key), 0);
    /* an older version's store: plaintext secrets, a deleted row's plaintext in a free page */
    assert_int_equal(store_sqlite_open(t->path, &st, &err), 0);
    store_close(st);
    exec_sql(t->path,
             "PRAGMA secure_delete=OFF;" /* Debian's SQLite has it on by default */
             "INSERT INTO users(id, username, totp_secret, created_at)"
             " VALUES('u1', 'alice', '" SEED "', 1);"
             "INSERT INTO webhooks(id, url, events, secret, created_at)"
             " VALUES('w1', 'http://192.0.2.1/h', 'request.pending', '" HOOK_SECRET "', 1);"
             /* pages of deleted rows, left on the free list */
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
             " WHERE i < 60) INSERT INTO webhooks(id, url, events, secret, created_at)"
             " SELECT 'g' || i, 'http://192.0.2.1/h', 'x', 'GONE" HOOK_SECRET
             "' || hex(zeroblob(400)), 1 FROM n;"
             "DELETE FROM webhooks WHERE id LIKE 'g%';");
    assert_true(store_files_have(t, SEED));
    assert_true(store_files_have(t, "GONE" HOOK_SECRET));
    assert_int_equal(store_sqlite_open(t->path, &st, &err), 0);
    assert_int_equal(store_seal_attach(st, key), 0);
    read_both(st, 0);
    assert_int_equal(store_meta_get(st, STORE_META_SEAL_KEY_ID, &id), 0);
    seal_key_id(key, kid);
    assert_string_equal(id, kid);
    lb_free(id);
    /* nothing of the plaintext is left in the file or its log, not even the deleted row's */
    assert_false(store_files_have(t, SEED));
    assert_false(store_files_have(t, HOOK_SECRET));
    store_close(st);
    assert_false(store_files_have(t, SEED));
    /* the next attach with the same key finds it sealed already */
    assert_int_equal(store_sqlite_open(t->path, &st, &err), 0);
    assert_int_equal(store_seal_attach(st, key), 0);
    read_both(st, 0);
    store_close(st);
    /* a sealed value with no key named in meta is refused, never sealed twice */
    exec_sql(t->path, "DELETE FROM meta WHERE key='seal_key_id'");
    assert_int_equal(store_sqlite_open(t->path, &st, &err), 0);
    assert_int_equal(store_seal_attach(st, key), LB_EKEY);
    store_close(st);
    seal_free(key);
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values_open_only_as_sealed),
        cmocka_unit_test_setup_teardown(key_files_are_made_private_and_never_replaced, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(malformed_key_files_are_refused, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(the_store_keeps_secrets_sealed, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(an_older_store_is_sealed_at_its_first_attach, tmp_setup,
                                        tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
