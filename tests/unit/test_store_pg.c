/*
 * What only the PostgreSQL backend has (the rest is test_store_contract's, run on both):
 * several lockboxd ("nodes", here store handles) on one database take turns to write, so a
 * read-modify-write in a transaction loses nothing and the event stream's seq follows the
 * order of their commits; nodes starting together on an empty database migrate it once; the
 * audit table refuses UPDATE, DELETE and TRUNCATE whoever asks; a statement that fails
 * (other than on a unique key) fails its transaction's commit and keeps nothing; connections the
 * server ends are opened again by the next call; a server that is down fails calls with
 * LB_EUNAVAIL, at once while it stays down, and the same store works again by itself once it
 * is back; a full disk is LB_ENOSPC until there is room
 * again (root only: a small tmpfs as a tablespace). Needs the cluster of LOCKBOX_TEST_PG_URL
 * (skipped, 77, without it); the outage case starts a cluster of its own with the
 * tests/pg/cluster.sh of LOCKBOX_TEST_PG_CLUSTER (skipped without it).
 */
#include "pg_testdb.h"
#include "store/store.h"
#include "store/store_pg.h"
#include "store_rows.h"
#include "util/log.h"
#include "util/mem.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* cmocka needs the headers above first. */
/* clang-format off */
#include <cmocka.h>
/* clang-format on */

#define S(text) ((char *)(text))

static char db[64], url[512]; /* the run's database */

static int reset(void **state)
{
    (void)state;
    assert_true(testdb_reset(url));
    return 0;
}

/* The one integer sql answers on the database of at (-1 on an error). */
static int64_t query_int(const char *at, const char *sql)
{
    PGconn *pg = PQconnectdb(at);
    PGresult *res = PQexec(pg, sql);
    int64_t v = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1
                    ? strtoll(PQgetvalue(res, 0, 0), NULL, 10)
                    : -1;

    PQclear(res);
    PQfinish(pg);
    return v;
}

/* The SQLSTATE sql fails with on the database of at ("" when it works). */
static void failure_of(const char *at, const char *sql, char state[6])
{
    PGconn *pg = PQconnectdb(at);
    PGresult *res = PQexec(pg, sql);
    const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);

    snprintf(state, 6, "%s", s ? s : "");
    PQclear(res);
    PQfinish(pg);
}

/* ---- two nodes ---- */

#define ROUNDS 40

struct node_thread {
    struct store *st;
    int failed;
};

/* Reads the counter, writes it plus one and an event carrying the value, in one transaction:
 * lost updates or events out of order would show a second writer running beside it. */
static int bump(struct store *st)
{
    char *v = NULL, text[24];
    int64_t n = 0;
    int rc = store_begin(st);

    if (rc)
        return rc;
    rc = store_meta_get(st, "counter", &v);
    if (rc == 0)
        n = strtoll(v, NULL, 10);
    lb_free(v);
    snprintf(text, sizeof(text), "%lld", (long long)(n + 1));
    struct request_event e = {.id = S("e"),
                              .type = S("request.pending"),
                              .tenant_id = S("t1"),
                              .request_id = S("q1"),
                              .created_at = 1,
                              .body = text};
    rc = rc == 0 || rc == LB_ENOTFOUND ? store_meta_set(st, "counter", text) : rc;
    if (rc == 0)
        rc = store_event_insert(st, &e, NULL);
    if (rc) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st);
}

static void *bump_many(void *arg)
{
    struct node_thread *t = arg;

    for (int i = 0; i < ROUNDS; i++)
        t->failed += bump(t->st) != 0;
    return NULL;
}

static void two_nodes_take_turns_to_write(void **state)
{
    struct store *node[2] = {rows_pg_open(url), rows_pg_open(url)};
    struct node_thread t[4];
    pthread_t th[4];
    struct request_event_list l = {0};
    char *v = NULL;

    (void)state;
    for (int i = 0; i < 4; i++) {
        t[i] = (struct node_thread){.st = node[i % 2]};
        assert_int_equal(pthread_create(&th[i], NULL, bump_many, &t[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(t[i].failed, 0);
    }
    assert_int_equal(store_meta_get(node[1], "counter", &v), 0);
    assert_int_equal(strtoll(v, NULL, 10), 4 * ROUNDS);
    lb_free(v);
    /* the stream's order is the order the counter was written in, whichever node wrote */
    struct request_event_filter all = {.limit = 1000};
    assert_int_equal(store_event_list(node[0], &all, &l), 0);
    assert_int_equal(l.count, 4 * ROUNDS);
    for (size_t i = 0; i < l.count; i++)
        assert_int_equal(strtoll(l.items[i].body, NULL, 10), (long long)i + 1);
    request_event_list_clear(&l);
    store_close(node[0]);
    store_close(node[1]);
}

/* ---- migrations ---- */

struct starter {
    pthread_barrier_t *go;
    struct store *st;
    int rc;
};

static void *start_node(void *arg)
{
    struct starter *s = arg;

    pthread_barrier_wait(s->go);
    s->rc = store_pg_open(url, &s->st, NULL);
    return NULL;
}

static void nodes_starting_together_migrate_once(void **state)
{
    struct starter s[4];
    pthread_t th[4];
    pthread_barrier_t go;

    (void)state;
    assert_int_equal(pthread_barrier_init(&go, NULL, 4), 0);
    for (int i = 0; i < 4; i++) {
        s[i] = (struct starter){.go = &go};
        assert_int_equal(pthread_create(&th[i], NULL, start_node, &s[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(s[i].rc, 0);
    }
    pthread_barrier_destroy(&go);
    assert_int_equal(query_int(url, "SELECT count(*) FROM schema_migrations"), 9);
    assert_int_equal(query_int(url, "SELECT max(version) FROM schema_migrations"), 14);
    /* every node works on the schema one of them made */
    for (int i = 0; i < 4; i++) {
        char key[8];
        snprintf(key, sizeof(key), "n%d", i);
        assert_int_equal(store_meta_set(s[i].st, key, "up"), 0);
        store_close(s[i].st);
    }
    /* a later start finds nothing to do */
    store_close(rows_pg_open(url));
    assert_int_equal(query_int(url, "SELECT count(*) FROM schema_migrations"), 9);
}

/* Migration 14 again, on requests whose request.create records it reads: a record whose
 * details are not JSON leaves its request's facts unknown instead of failing the migration. */
static void a_request_fact_backfill_reads_only_json(void **state)
{
    struct store *st = rows_pg_open(url);
    struct request bad = rows_request("q1", REQ_PENDING, 100),
                   good = rows_request("q2", REQ_PENDING, 100);
    struct audit_record rec = rows_audit("request.create", "q1", 100);
    char sqlstate[6];

    (void)state;
    rows_tenant_add(st, "t1", "Contoso", 1);
    assert_int_equal(rows_user_add(st, "u1", "t1", "alice", NULL, NULL), 0);
    rows_ticket_add(st, "k1", "t1", 2);
    assert_int_equal(store_request_insert(st, &bad), 0);
    assert_int_equal(store_request_insert(st, &good), 0);
    rec.item = S("q1");
    rec.details = "{not json";
    assert_int_equal(store_audit_insert(st, &rec, NULL), 0);
    rec.item = S("q2");
    rec.details = "{\"requester_display_name\":\"Ann\",\"mfa\":true}";
    assert_int_equal(store_audit_insert(st, &rec, NULL), 0);
    store_close(st);
    failure_of(url,
               "ALTER TABLE requests DROP COLUMN requester_display_name,"
               " DROP COLUMN requester_mfa, DROP COLUMN requester_isolated;"
               "DELETE FROM schema_migrations WHERE version=14",
               sqlstate);
    assert_string_equal(sqlstate, "");
    store_close(rows_pg_open(url));
    assert_int_equal(query_int(url, "SELECT max(version) FROM schema_migrations"), 14);
    assert_int_equal(query_int(url,
                               "SELECT count(*) FROM requests WHERE id='q1'"
                               " AND requester_display_name IS NULL AND requester_mfa IS NULL"),
                     1);
    assert_int_equal(query_int(url, "SELECT count(*) FROM requests WHERE id='q2'"
                                    " AND requester_display_name='Ann' AND requester_mfa"),
                     1);
}

/* ---- the audit log ---- */

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

static void the_audit_log_refuses_changes(void **state)
{
    struct store *st = rows_pg_open(url);
    struct audit_record rec = {.time = 1,
                               .actor = S("root"),
                               .actor_type = S("user"),
                               .activity = S("login"),
                               .chain = S("provider"),
                               .chain_index = 1,
                               .prev_hash = S(ZERO_HASH),
                               .hash = S(ZERO_HASH)};
    struct audit_checkpoint cp = {.chain = S("provider"),
                                  .index = 1,
                                  .hash = S(ZERO_HASH),
                                  .time = 2,
                                  .key_id = S("k"),
                                  .signature = S("s")};
    char sqlstate[6];

    (void)state;
    assert_int_equal(store_audit_insert(st, &rec, NULL), 0);
    assert_int_equal(store_audit_checkpoint_insert(st, &cp), 0);
    failure_of(url, "UPDATE audit SET actor='someone else'", sqlstate);
    assert_string_equal(sqlstate, "23001");
    failure_of(url, "UPDATE audit SET hash=NULL", sqlstate);
    assert_string_equal(sqlstate, "23001");
    failure_of(url, "UPDATE audit_checkpoints SET hash='x'", sqlstate);
    assert_string_equal(sqlstate, "23001");
    failure_of(url, "DELETE FROM audit_checkpoints", sqlstate);
    assert_string_equal(sqlstate, "23001");
    failure_of(url, "DELETE FROM audit", sqlstate);
    assert_string_equal(sqlstate, "23001");
    /* retention deletes only what its mark lets go (migration 10) */
    failure_of(url, "UPDATE audit_chains SET pruned_index=0", sqlstate);
    assert_string_equal(sqlstate, "");
    failure_of(url, "DELETE FROM audit WHERE chain_index=1", sqlstate);
    assert_string_equal(sqlstate, "23001");
    failure_of(url, "TRUNCATE audit", sqlstate);
    assert_string_equal(sqlstate, "23001");
    assert_int_equal(query_int(url, "SELECT count(*) FROM audit WHERE actor='root'"), 1);
    store_close(st);
}

/* ---- a failed statement ---- */

static void a_failed_statement_dooms_its_transaction_only(void **state)
{
    struct store *st = rows_pg_open(url);
    struct ticket orphan = {.id = S("k1"),
                            .tenant_id = S("no such tenant"),
                            .title = S("t"),
                            .description = S("d"),
                            .severity = S("low"),
                            .status = S("open"),
                            .created_by = S("nobody")};
    char *v = NULL;

    (void)state;
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_meta_set(st, "before", "1"), 0);
    assert_int_equal(store_ticket_insert(st, &orphan), LB_EEXISTS); /* a foreign key */
    assert_int_equal(store_meta_set(st, "after", "1"), LB_ESTORE);
    assert_int_equal(store_commit(st), LB_EEXISTS);
    assert_int_equal(store_meta_get(st, "before", &v), LB_ENOTFOUND);
    /* the next transaction is not touched */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_meta_set(st, "next", "1"), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_meta_get(st, "next", &v), 0);
    lb_free(v);
    store_close(st);
}

/* Audit records of activity in the store, read outside any transaction. */
static size_t audit_count(struct store *st, const char *activity)
{
    struct audit_filter f = {.activity = activity, .limit = 100};
    struct audit_list l = {0};
    size_t n;

    assert_int_equal(store_audit_query(st, &f, &l), 0);
    n = l.count;
    audit_list_clear(&l);
    return n;
}

/* Writes nobody reads the answer of are pipelined: a read after them on the writer sees them,
 * and one that fails is found at the commit, which keeps nothing of its transaction. */
static void a_failed_pipelined_write_dooms_its_transaction_only(void **state)
{
    struct store *st = rows_pg_open(url);
    struct audit_record a = rows_audit("pipelined", NULL, 5);
    struct decision d = rows_decision(DECISION_CUSTOMER, 5, NULL, NULL);
    struct audit_filter f = {.activity = "pipelined", .limit = 10};
    struct audit_list l = {0};

    (void)state;
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_audit_insert(st, &a, NULL), 0);
    assert_int_equal(store_audit_query(st, &f, &l), 0); /* in the transaction: its own write */
    assert_int_equal(l.count, 1);
    audit_list_clear(&l);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(audit_count(st, "pipelined"), 1);

    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_audit_insert(st, &a, NULL), 0);
    /* a foreign key the server refuses only when the pipeline is read */
    assert_int_equal(store_request_decision_insert(st, "no such request", &d), 0);
    assert_int_equal(store_commit(st), LB_EEXISTS);
    assert_int_equal(audit_count(st, "pipelined"), 1);
    /* the next transaction is not touched */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_audit_insert(st, &a, NULL), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(audit_count(st, "pipelined"), 2);
    store_close(st);
}

/* ---- lost connections ---- */

static void connections_the_server_ended_are_opened_again(void **state)
{
    struct store *st = rows_pg_open(url);
    char *v = NULL, sql[256];

    (void)state;
    assert_int_equal(store_meta_set(st, "k", "1"), 0);
    assert_int_equal(store_meta_get(st, "k", &v), 0);
    lb_free(v);
    /* what a failover or an administrator does to every session of the database */
    snprintf(sql, sizeof(sql),
             "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
             " WHERE datname='%s' AND pid<>pg_backend_pid()",
             db);
    assert_true(query_int(testdb_cluster(), sql) >= 2);
    usleep(100 * 1000); /* the sessions end after the call answers */
    assert_int_equal(store_meta_get(st, "k", &v), 0);
    lb_free(v);
    assert_int_equal(store_meta_set(st, "k", "2"), 0);
    store_close(st);
}

/* ---- an outage ---- */

/* Runs tests/pg/cluster.sh cmd on dir. */
static void cluster(const char *cmd, const char *dir)
{
    char line[512];

    snprintf(line, sizeof(line), "sh '%s' %s '%s'", getenv("LOCKBOX_TEST_PG_CLUSTER"), cmd, dir);
    assert_int_equal(system(line), 0);
}

static int write_tx(struct store *st, const char *key)
{
    int rc = store_begin(st);

    if (rc)
        return rc;
    if ((rc = store_meta_set(st, key, "1")) != 0) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st);
}

static bool has(struct store *st, const char *key)
{
    char *v = NULL;
    int rc = store_meta_get(st, key, &v);

    assert_true(rc == 0 || rc == LB_ENOTFOUND);
    lb_free(v);
    return rc == 0;
}

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits (at most 15 s) until the store answers a ping; how long it took, in ms. */
static int64_t wait_until_up(struct store *st)
{
    int64_t from = mono_ms();

    while (store_ping(st) != 0) {
        assert_true(mono_ms() - from < 15000);
        usleep(20 * 1000);
    }
    return mono_ms() - from;
}

static void an_outage_fails_calls_until_the_server_is_back(struct store *st, const char *dir)
{
    char *v = NULL;
    int64_t from, took;

    assert_int_equal(store_ping(st), 0);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_meta_set(st, "cut", "1"), 0);
    cluster("pause", dir); /* the server goes down under an open transaction */
    assert_int_equal(store_meta_set(st, "cut2", "1"), LB_EUNAVAIL);
    assert_int_equal(store_commit(st), LB_EUNAVAIL);
    /* known to be away: every call fails at once, none waits on the network */
    from = mono_ms();
    for (int i = 0; i < 200; i++) {
        assert_int_equal(store_meta_get(st, "a", &v), LB_EUNAVAIL);
        assert_int_equal(store_meta_set(st, "refused", "1"), LB_EUNAVAIL);
        assert_int_equal(store_begin(st), LB_EUNAVAIL);
        assert_int_equal(write_tx(st, "refused_tx"), LB_EUNAVAIL);
        assert_int_equal(store_ping(st), LB_EUNAVAIL);
    }
    assert_true(mono_ms() - from < 500);
    cluster("resume", dir);
    /* the same store, without reopening it: its prober finds the server back */
    took = wait_until_up(st);
    print_message("the store answered %lld ms after the server was back\n", (long long)took);
    assert_true(took < 5000);
    assert_true(has(st, "a"));
    assert_false(has(st, "cut"));     /* nothing of the transaction the outage cut */
    assert_false(has(st, "refused")); /* nor of the calls refused meanwhile */
    assert_false(has(st, "refused_tx"));
    assert_int_equal(write_tx(st, "d"), 0);
    assert_true(has(st, "d"));
}

static char outage_dir[64]; /* the outage case's own cluster, while it runs */

static void a_restart_is_survived(void **state)
{
    char path[128], at[512];
    struct store *st;
    FILE *fp;

    (void)state;
    if (!getenv("LOCKBOX_TEST_PG_CLUSTER"))
        skip();
    snprintf(outage_dir, sizeof(outage_dir), "/tmp/lockbox-pg-outage-XXXXXX");
    assert_non_null(mkdtemp(outage_dir));
    cluster("start", outage_dir);
    snprintf(path, sizeof(path), "%s/url", outage_dir);
    assert_non_null(fp = fopen(path, "r"));
    assert_non_null(fgets(at, sizeof(at), fp));
    fclose(fp);
    at[strcspn(at, "\n")] = '\0';
    st = rows_pg_open(at);
    assert_int_equal(write_tx(st, "a"), 0);
    assert_true(has(st, "a"));
    /* a restart between calls: the next calls work at once, on new connections */
    cluster("pause", outage_dir);
    cluster("resume", outage_dir);
    assert_true(has(st, "a"));
    assert_int_equal(write_tx(st, "b"), 0);
    an_outage_fails_calls_until_the_server_is_back(st, outage_dir);
    store_close(st);
}

/* Stops the outage case's cluster, however the case ended. */
static int stop_outage_cluster(void **state)
{
    char line[512];

    (void)state;
    if (outage_dir[0]) {
        snprintf(line, sizeof(line), "sh '%s' stop '%s'", getenv("LOCKBOX_TEST_PG_CLUSTER"),
                 outage_dir);
        if (system(line) != 0)
            fprintf(stderr, "could not stop the cluster in %s\n", outage_dir);
    }
    return 0;
}

/* ---- a full disk ---- */

__attribute__((format(printf, 1, 2))) static bool shell(const char *fmt, ...)
{
    char line[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    return system(line) == 0;
}

/* Writes 1,500 bytes that do not compress under key, in a transaction of its own. */
static int write_big(struct store *st, const char *key)
{
    char value[1501];
    int rc;

    for (size_t i = 0; i < sizeof(value) - 1; i++)
        value[i] = "0123456789abcdef"[rand() % 16];
    value[sizeof(value) - 1] = '\0';
    if ((rc = store_begin(st)) != 0)
        return rc;
    if ((rc = store_meta_set(st, "before", "1")) == 0 && (rc = store_meta_set(st, key, value)) == 0)
        return store_commit(st);
    store_rollback(st);
    return rc;
}

static void fill_until_full(struct store *st)
{
    char key[32];
    int rc = 0, i;

    for (i = 0; i < 5000 && rc == 0; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        rc = write_big(st, key);
    }
    assert_int_equal(rc, LB_ENOSPC);
    assert_true(i > 1);
    assert_false(has(st, key)); /* nothing of the transaction that met it */
    assert_true(has(st, "k0"));
    assert_int_equal(write_big(st, "again"), LB_ENOSPC); /* and still full */
}

static char full_dir[64], full_space[64]; /* the full disk case's mount and tablespace */

static void a_full_disk_is_enospc_until_there_is_room(void **state)
{
    char sql[256];
    struct store *st;

    (void)state;
    if (geteuid() != 0)
        skip(); /* mounting a small file system needs root */
    snprintf(full_dir, sizeof(full_dir), "/tmp/lockbox-pg-full-XXXXXX");
    assert_non_null(mkdtemp(full_dir));
    if (!shell("mount -t tmpfs -o size=2m,mode=0700 tmpfs '%s' 2>/dev/null", full_dir)) {
        rmdir(full_dir);
        full_dir[0] = '\0';
        skip();
    }
    assert_true(shell("chown postgres '%s'", full_dir));
    /* the store's tables and indexes on the small file system, the rest of the cluster not */
    snprintf(full_space, sizeof(full_space), "lbfull_%ld", (long)getpid());
    snprintf(sql, sizeof(sql), "CREATE TABLESPACE %s LOCATION '%s'", full_space, full_dir);
    assert_true(testdb_admin(sql));
    assert_true(testdb_reset(url));
    snprintf(sql, sizeof(sql), "ALTER DATABASE %s SET default_tablespace=%s", db, full_space);
    assert_true(testdb_admin(sql));
    st = rows_pg_open(url);
    fill_until_full(st);
    /* room again: the same store writes */
    assert_true(shell("mount -o remount,size=64m '%s'", full_dir));
    assert_int_equal(write_big(st, "again"), 0);
    assert_true(has(st, "again"));
    store_close(st);
}

/* Gives the full disk case's database its tablespace back and removes the small file system,
 * however the case ended. */
static int remove_small_disk(void **state)
{
    char sql[256];

    (void)state;
    if (!full_dir[0])
        return 0;
    snprintf(sql, sizeof(sql), "ALTER DATABASE %s RESET default_tablespace", db);
    (void)testdb_admin(sql);
    (void)testdb_reset(url);
    if (full_space[0]) {
        snprintf(sql, sizeof(sql), "DROP TABLESPACE %s", full_space);
        (void)testdb_admin(sql);
    }
    if (!shell("umount '%s'", full_dir) || rmdir(full_dir) != 0)
        fprintf(stderr, "could not remove %s\n", full_dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(two_nodes_take_turns_to_write, reset),
        cmocka_unit_test_setup(nodes_starting_together_migrate_once, reset),
        cmocka_unit_test_setup(a_request_fact_backfill_reads_only_json, reset),
        cmocka_unit_test_setup(the_audit_log_refuses_changes, reset),
        cmocka_unit_test_setup(a_failed_statement_dooms_its_transaction_only, reset),
        cmocka_unit_test_setup(a_failed_pipelined_write_dooms_its_transaction_only, reset),
        cmocka_unit_test_setup(connections_the_server_ended_are_opened_again, reset),
        cmocka_unit_test_teardown(a_restart_is_survived, stop_outage_cluster),
        cmocka_unit_test_teardown(a_full_disk_is_enospc_until_there_is_room, remove_small_disk),
    };
    int rc;

    if (!testdb_cluster()) {
        printf("no PostgreSQL cluster (LOCKBOX_TEST_PG_URL): skipped\n");
        return TESTDB_SKIP;
    }
    if (!testdb_create(db, sizeof(db), url, sizeof(url)))
        return 1;
    log_set_level(LOG_LEVEL_WARN);
    rc = cmocka_run_group_tests_name("store_pg", tests, NULL, NULL);
    testdb_drop(db);
    return rc;
}
