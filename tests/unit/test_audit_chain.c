/*
 * The audit log's hash chains: the canonical hash (every field counts, null apart from empty),
 * checkpoint signatures (hold under their key, not under another, not when changed), the
 * verifier (a changed, removed, added or moved record, a forged or misplaced checkpoint: each
 * named at the first record where the chain breaks; an export that starts at a checkpoint),
 * and the chains in a SQLite store: appended records linked per tenant, checkpoints every N
 * records and by age, records of an older store chained once, and a store edited behind
 * lockboxd's back (triggers dropped) found by audit_chains_verify.
 */
#include "audit/audit.h"
#include "audit/chain.h"
#include "audit/chains.h"
#include "audit/signer.h"
#include "store/store_sqlite.h"
#include "util/buf.h"

#include <setjmp.h>
#include <sodium.h>
#include <sqlite3.h>
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

#define S(x) ((char *)(x))
#define N 5

/* ---- records in memory ---- */

struct chain_fixture {
    struct audit_record r[N];
    char prev[N][AUDIT_HASH_HEX_LEN], hash[N][AUDIT_HASH_HEX_LEN];
};

/* Links r[0..N) into one chain "t1" as audit_append would. */
static void link_all(struct chain_fixture *f)
{
    for (int i = 0; i < N; i++) {
        memcpy(f->prev[i], i ? f->hash[i - 1] : AUDIT_GENESIS_HASH, AUDIT_HASH_HEX_LEN);
        f->r[i].chain = "t1";
        f->r[i].chain_index = i + 1;
        f->r[i].prev_hash = f->prev[i];
        assert_int_equal(audit_chain_hash(&f->r[i], f->hash[i]), 0);
        f->r[i].hash = f->hash[i];
    }
}

static void fixture_init(struct chain_fixture *f)
{
    static const char *const activities[N] = {"request.create", "request.approve", "session.open",
                                              "session.close", "request.complete"};

    memset(f, 0, sizeof(*f));
    for (int i = 0; i < N; i++)
        f->r[i] = (struct audit_record){.time = 1796300000 + i,
                                        .tenant_id = "t1",
                                        .actor = "alice",
                                        .actor_type = "customer",
                                        .activity = activities[i],
                                        .request_id = "q1",
                                        .details = "{\"n\":1}"};
    link_all(f);
}

/* Runs every record (and a checkpoint after record cp_at, when > 0) through a verifier; the
 * code, the message in why. */
static int verify_all(const struct audit_record *r, int n, const struct audit_checkpoint *cp,
                      int cp_at, const struct audit_key_list *keys, struct buf *why)
{
    struct audit_verify *v = NULL;
    int rc = 0;

    assert_int_equal(audit_verify_new(keys, &v), 0);
    for (int i = 0; rc == 0 && i < n; i++) {
        rc = audit_verify_record(v, &r[i], false, why);
        if (rc == 0 && cp && i + 1 == cp_at)
            rc = audit_verify_checkpoint(v, cp, why);
    }
    audit_verify_free(v);
    return rc;
}

static void the_hash_covers_every_field(void **state)
{
    struct chain_fixture f;
    char h[AUDIT_HASH_HEX_LEN];
    struct audit_record r;

    (void)state;
    fixture_init(&f);
    assert_true(audit_hash_is_valid(f.hash[0]));
    assert_int_equal(audit_chain_hash(&f.r[0], h), 0);
    assert_string_equal(h, f.hash[0]); /* the same bytes, the same hash */
    r = f.r[0];
    r.actor = "mallory";
    assert_int_equal(audit_chain_hash(&r, h), 0);
    assert_string_not_equal(h, f.hash[0]);
    r = f.r[0];
    r.client_ip = ""; /* empty is not null */
    assert_int_equal(audit_chain_hash(&r, h), 0);
    assert_string_not_equal(h, f.hash[0]);
    r = f.r[0];
    r.time++;
    assert_int_equal(audit_chain_hash(&r, h), 0);
    assert_string_not_equal(h, f.hash[0]);
    r = f.r[0];
    r.chain_index = 2;
    assert_int_equal(audit_chain_hash(&r, h), 0);
    assert_string_not_equal(h, f.hash[0]);
    /* a field's bytes cannot move into its neighbour: lengths are encoded */
    r = f.r[0];
    r.actor = "alicecustomer";
    r.actor_type = "";
    assert_int_equal(audit_chain_hash(&r, h), 0);
    assert_string_not_equal(h, f.hash[0]);
    r.prev_hash = "not hex";
    assert_int_equal(audit_chain_hash(&r, h), LB_EINVAL);
}

static void checkpoints_hold_only_under_their_key(void **state)
{
    struct audit_signer *a = NULL, *b = NULL;
    char sig[AUDIT_SIGNATURE_HEX_LEN], hash[AUDIT_HASH_HEX_LEN];
    struct audit_checkpoint cp = {.chain = "t1", .index = 3, .time = 1796300000};

    (void)state;
    memset(hash, 'a', 64);
    hash[64] = '\0';
    cp.hash = hash;
    assert_int_equal(audit_signer_new_ephemeral(&a), 0);
    assert_int_equal(audit_signer_new_ephemeral(&b), 0);
    assert_string_not_equal(audit_signer_key_id(a), audit_signer_key_id(b));
    assert_int_equal(strlen(audit_signer_key_id(a)), AUDIT_KEY_ID_LEN - 1);
    assert_int_equal(audit_signer_sign(a, &cp, sig), 0);
    assert_string_equal(cp.key_id, audit_signer_key_id(a));
    assert_int_equal(audit_checkpoint_check(&cp, audit_signer_public_key(a)), 0);
    assert_int_equal(audit_checkpoint_check(&cp, audit_signer_public_key(b)), LB_EKEY);
    cp.index = 4; /* any signed field changed */
    assert_int_equal(audit_checkpoint_check(&cp, audit_signer_public_key(a)), LB_EKEY);
    cp.index = 3;
    cp.time++;
    assert_int_equal(audit_checkpoint_check(&cp, audit_signer_public_key(a)), LB_EKEY);
    cp.time--;
    cp.signature = "zz";
    assert_int_equal(audit_checkpoint_check(&cp, audit_signer_public_key(a)), LB_EINVAL);
    audit_signer_free(a);
    audit_signer_free(b);
}

static void the_verifier_names_the_first_break(void **state)
{
    struct chain_fixture f;
    struct audit_record r[N + 1];
    struct audit_signer *s = NULL, *other = NULL;
    char sig[AUDIT_SIGNATURE_HEX_LEN];
    struct audit_checkpoint cp = {.chain = "t1", .index = 3, .time = 1796300010};
    struct audit_key key;
    struct audit_key_list keys = {.items = &key, .count = 1};
    struct buf why = BUF_INIT;

    (void)state;
    fixture_init(&f);
    assert_int_equal(audit_signer_new_ephemeral(&s), 0);
    assert_int_equal(audit_signer_new_ephemeral(&other), 0);
    key =
        (struct audit_key){.id = audit_signer_key_id(s), .public_key = audit_signer_public_key(s)};
    cp.hash = f.hash[2];
    assert_int_equal(audit_signer_sign(s, &cp, sig), 0);
    assert_int_equal(verify_all(f.r, N, &cp, 3, &keys, &why), 0);

    /* a changed record */
    memcpy(r, f.r, sizeof(f.r));
    r[1].actor = "mallory";
    assert_int_equal(verify_all(r, N, &cp, 3, &keys, &why), LB_EVERIFY);
    assert_non_null(strstr(buf_cstr(&why), "record 2: its content does not match its hash"));
    buf_reset(&why);
    /* a removed one */
    memcpy(r, f.r, sizeof(f.r));
    memmove(&r[1], &r[2], sizeof(r[0]) * (N - 2));
    assert_int_equal(verify_all(r, N - 1, NULL, 0, &keys, &why), LB_EVERIFY);
    assert_non_null(strstr(buf_cstr(&why), "record 3: expected record 2 here"));
    buf_reset(&why);
    /* two swapped */
    memcpy(r, f.r, sizeof(f.r));
    r[3] = f.r[4];
    r[4] = f.r[3];
    assert_int_equal(verify_all(r, N, NULL, 0, &keys, &why), LB_EVERIFY);
    assert_non_null(strstr(buf_cstr(&why), "record 5: expected record 4 here"));
    buf_reset(&why);
    /* one added, its links rewritten from there on: the checkpoint finds it */
    memcpy(r, f.r, sizeof(f.r));
    r[N] = f.r[N - 1];
    for (int i = N; i > 1; i--)
        r[i] = r[i - 1];
    r[1].activity = "request.deny";
    {
        struct chain_fixture g = f;
        memcpy(g.r, r, sizeof(g.r));
        link_all(&g); /* the first N of them, rehashed as a forger would */
        assert_int_equal(verify_all(g.r, N, &cp, 3, &keys, &why), LB_EVERIFY);
        assert_non_null(strstr(buf_cstr(&why), "record 3: its checkpoint signs another hash"));
        buf_reset(&why);
    }
    /* a checkpoint signed by a key not given, or changed after signing */
    {
        struct audit_checkpoint forged = cp;
        char sig2[AUDIT_SIGNATURE_HEX_LEN];
        assert_int_equal(audit_signer_sign(other, &forged, sig2), 0);
        assert_int_equal(verify_all(f.r, N, &forged, 3, &keys, &why), LB_EVERIFY);
        assert_non_null(strstr(buf_cstr(&why), "a key that is not among the keys given"));
        buf_reset(&why);
        forged = cp;
        forged.time++;
        assert_int_equal(verify_all(f.r, N, &forged, 3, &keys, &why), LB_EVERIFY);
        assert_non_null(strstr(buf_cstr(&why), "signature does not hold"));
        buf_reset(&why);
    }
    /* a checkpoint out of its place */
    assert_int_equal(verify_all(f.r, N, &cp, 4, &keys, &why), LB_EVERIFY);
    assert_non_null(strstr(buf_cstr(&why), "not where the record is"));
    buf_reset(&why);
    /* an export that starts at the checkpoint: records 4 and 5 verify from it */
    {
        struct audit_verify *v = NULL;
        int64_t records, cps, chains;
        assert_int_equal(audit_verify_new(&keys, &v), 0);
        assert_int_equal(audit_verify_checkpoint(v, &cp, &why), 0);
        assert_int_equal(audit_verify_record(v, &f.r[3], false, &why), 0);
        assert_int_equal(audit_verify_record(v, &f.r[4], true, &why), 0); /* redacted */
        audit_verify_counts(v, &records, &cps, &chains);
        assert_int_equal(records, 2);
        assert_int_equal(cps, 1);
        assert_int_equal(audit_verify_unsigned_tail(v, "t1"), 2);
        audit_verify_free(v);
    }
    buf_release(&why);
    audit_signer_free(s);
    audit_signer_free(other);
}

/* ---- the chains in a store ---- */

struct store_fixture {
    char dir[64], db[128];
    struct store *st;
    struct audit_signer *signer;
};

static int store_setup(void **state)
{
    struct store_fixture *f = calloc(1, sizeof(*f));
    struct audit_key key;

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/lb-chain.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof(f->db), "%s/lockbox.db", f->dir);
    assert_int_equal(store_sqlite_open(f->db, &f->st, NULL), 0);
    assert_int_equal(audit_signer_new_ephemeral(&f->signer), 0);
    key = (struct audit_key){.id = audit_signer_key_id(f->signer),
                             .public_key = audit_signer_public_key(f->signer),
                             .created_at = 1};
    assert_int_equal(store_audit_key_insert(f->st, &key), 0);
    *state = f;
    return 0;
}

static int store_teardown(void **state)
{
    struct store_fixture *f = *state;
    char cmd[160];

    store_close(f->st);
    audit_signer_free(f->signer);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void append(struct store *st, const char *tenant, const char *activity, int64_t t)
{
    struct audit_entry e = {.time = t,
                            .tenant_id = tenant,
                            .actor = "alice",
                            .actor_type = "customer",
                            .activity = activity,
                            .item = "q1"};

    assert_int_equal(store_begin(st), 0);
    assert_int_equal(audit_append(st, &e, NULL), 0);
    assert_int_equal(store_commit(st), 0);
}

static int verify_store(struct store *st, struct audit_chains_report *r, struct buf *why)
{
    buf_reset(why);
    return audit_chains_verify(st, r, NULL, NULL, why);
}

/* Runs sql on the store's file behind its back, as an operator with the sqlite3 shell. */
static void tamper(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    char *msg = NULL;

    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_busy_timeout(h, 5000);
    if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(h);
}

static void chains_are_kept_per_tenant_and_checkpointed(void **state)
{
    struct store_fixture *f = *state;
    struct audit_chains_report r;
    struct audit_checkpoint_list cps = {0};
    struct audit_list l = {0};
    struct buf why = BUF_INIT;
    int64_t made = 0;

    for (int i = 0; i < 7; i++)
        append(f->st, "t1", "request.create", 1000 + i);
    append(f->st, "t2", "request.create", 1000);
    append(f->st, NULL, "tenant.create", 1000);
    assert_int_equal(store_audit_chain_records(f->st, "t1", 0, 100, &l), 0);
    assert_int_equal(l.count, 7);
    assert_int_equal(l.items[6].chain_index, 7);
    assert_string_equal(l.items[0].prev_hash, AUDIT_GENESIS_HASH);
    assert_string_equal(l.items[6].prev_hash, l.items[5].hash);
    audit_list_clear(&l);
    assert_int_equal(store_audit_chain_records(f->st, "provider", 0, 100, &l), 0);
    assert_int_equal(l.count, 1);
    audit_list_clear(&l);

    /* every 3rd record of t1 now; the newest of each chain only once 60 s have passed */
    assert_int_equal(audit_checkpoints_make(f->st, f->signer, 2000, 3, 60, &made), 0);
    assert_int_equal(store_audit_checkpoints(f->st, "t1", 0, 100, &cps), 0);
    assert_true(cps.count >= 2);
    assert_int_equal(cps.items[0].index, 3);
    assert_int_equal(cps.items[1].index, 6);
    audit_checkpoint_list_clear(&cps);
    assert_int_equal(verify_store(f->st, &r, &why), 0);
    assert_int_equal(r.records, 9);
    assert_int_equal(r.chains, 3);
    assert_int_equal(r.checkpoints, (int64_t)made);
    /* nothing new is due a second later; after 60 s the tails are signed too */
    assert_int_equal(audit_checkpoints_make(f->st, f->signer, 2001, 3, 60, &made), 0);
    assert_int_equal(made, 0);
    append(f->st, "t1", "request.approve", 2002);
    assert_int_equal(audit_checkpoints_make(f->st, f->signer, 2070, 3, 60, &made), 0);
    assert_int_equal(made, 1);
    assert_int_equal(verify_store(f->st, &r, &why), 0);
    assert_int_equal(r.unsigned_tail, 0);
    buf_release(&why);
}

static void a_store_edited_behind_its_back_is_found(void **state)
{
    struct store_fixture *f = *state;
    struct audit_chains_report r;
    struct buf why = BUF_INIT;
    int64_t made = 0;

    for (int i = 0; i < 6; i++)
        append(f->st, "t1", i == 3 ? "request.approve" : "request.create", 1000 + i);
    assert_int_equal(audit_checkpoints_make(f->st, f->signer, 1010, 100, 1, &made), 0);
    assert_int_equal(verify_store(f->st, &r, &why), 0);
    /* the triggers refuse; dropped, the change goes in, and the chain tells */
    tamper(f->db, "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;"
                  "UPDATE audit SET actor='mallory', decision='deny' WHERE chain_index=4;"
                  "DELETE FROM audit WHERE chain_index=3;"
                  "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit WHEN OLD.hash IS NOT NULL"
                  " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
                  "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
                  " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;");
    assert_int_equal(verify_store(f->st, &r, &why), LB_EVERIFY);
    assert_non_null(strstr(buf_cstr(&why), "chain t1, record 4: expected record 3 here"));
    /* the last record removed: the checkpoint that signed it is left without it */
    tamper(f->db, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE chain_index>=3;");
    assert_int_equal(verify_store(f->st, &r, &why), LB_EVERIFY);
    assert_non_null(strstr(buf_cstr(&why), "record 6: a checkpoint signs it, but the chain ends"));
    /* its head row gone too: the chain is still found, from its records */
    tamper(f->db, "DELETE FROM audit_chains");
    assert_int_equal(verify_store(f->st, &r, &why), LB_EVERIFY);
    assert_non_null(strstr(buf_cstr(&why), "chain t1: it has records but no recorded head"));
    buf_release(&why);
}

static void an_older_stores_records_are_chained_once(void **state)
{
    struct store_fixture *f = *state;
    struct audit_record old = {.time = 900, .actor = "root", .actor_type = "provider"};
    struct audit_chains_report r;
    struct buf why = BUF_INIT;
    int64_t linked = 0;

    for (int i = 0; i < 3; i++) { /* as an older lockboxd wrote them: no chain */
        old.tenant_id = i == 1 ? NULL : "t1";
        old.activity = i == 1 ? "tenant.create" : "request.create";
        assert_int_equal(store_audit_insert(f->st, &old, NULL), 0);
    }
    assert_int_equal(verify_store(f->st, &r, &why), 0);
    assert_int_equal(r.unchained, 1);
    assert_int_equal(audit_chains_backfill(f->st, &linked), 0);
    assert_int_equal(linked, 3);
    append(f->st, "t1", "request.approve", 1000);
    assert_int_equal(verify_store(f->st, &r, &why), 0);
    assert_int_equal(r.records, 4);
    assert_int_equal(r.unchained, 0);
    assert_int_equal(audit_chains_backfill(f->st, &linked), 0);
    assert_int_equal(linked, 0);
    /* chained, a record is as closed to change as any */
    {
        sqlite3 *h = NULL;
        assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
        assert_int_not_equal(sqlite3_exec(h, "UPDATE audit SET actor='x'", NULL, NULL, NULL),
                             SQLITE_OK);
        sqlite3_close(h);
    }
    buf_release(&why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_hash_covers_every_field),
        cmocka_unit_test(checkpoints_hold_only_under_their_key),
        cmocka_unit_test(the_verifier_names_the_first_break),
        cmocka_unit_test_setup_teardown(chains_are_kept_per_tenant_and_checkpointed, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(a_store_edited_behind_its_back_is_found, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(an_older_stores_records_are_chained_once, store_setup,
                                        store_teardown),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
