/*
 * pg_testdb.h - a fresh PostgreSQL database per test, for the tests of the PostgreSQL store.
 *
 * The cluster is the one whose URL is in LOCKBOX_TEST_PG_URL (tests/pg/cluster.sh start writes
 * it; the CTest fixture passes it on); without it a test exits with CTest's skip code, 77.
 * testdb_create makes a database with a name of its own on that cluster and writes into url
 * the libpq connection string of it; testdb_reset empties it again between cases (quicker
 * than a new database: no checkpoint); testdb_drop removes it (connections still open are
 * ended). Shared by the test programs that include it, so its functions are static.
 */
#ifndef LB_TESTS_PG_TESTDB_H
#define LB_TESTS_PG_TESTDB_H

#include <libpq-fe.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TESTDB_SKIP 77

/* The cluster's URL, or NULL when none was given. */
static inline const char *testdb_cluster(void)
{
    const char *url = getenv("LOCKBOX_TEST_PG_URL");

    return url && *url ? url : NULL;
}

/* Runs sql (several statements allowed) on the database of url; true when it worked. */
static inline bool testdb_exec(const char *url, const char *sql)
{
    PGconn *pg = PQconnectdb(url);
    PGresult *res = PQstatus(pg) == CONNECTION_OK ? PQexec(pg, sql) : NULL;
    ExecStatusType st = PQresultStatus(res);
    bool ok = res && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK);

    if (!ok)
        fprintf(stderr, "testdb: %s: %s\n", sql, PQerrorMessage(pg));
    PQclear(res);
    PQfinish(pg);
    return ok;
}

/* Runs sql on the cluster's `postgres` database; true when it worked. */
static inline bool testdb_admin(const char *sql)
{
    return testdb_exec(testdb_cluster(), sql);
}

/* Makes a new database: its name into name, its connection string into url. */
static inline bool testdb_create(char *name, size_t name_len, char *url, size_t url_len)
{
    static atomic_int counter;
    PGconn *pg;
    char sql[128];

    snprintf(name, name_len, "lbtest_%ld_%d", (long)getpid(), atomic_fetch_add(&counter, 1));
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    if (!testdb_admin(sql))
        return false;
    pg = PQconnectdb(testdb_cluster());
    snprintf(url, url_len, "host='%s' port='%s' user='%s' dbname='%s'", PQhost(pg), PQport(pg),
             PQuser(pg), name);
    PQfinish(pg);
    return true;
}

/* Drops everything a store made in the database of url. */
static inline bool testdb_reset(const char *url)
{
    return testdb_exec(url, "SET client_min_messages=warning; DROP SCHEMA public CASCADE;"
                            " CREATE SCHEMA public");
}

static inline void testdb_drop(const char *name)
{
    char sql[128];

    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    (void)testdb_admin(sql);
}

#endif
