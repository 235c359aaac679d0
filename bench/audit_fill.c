/*
 * bench/audit_fill: fills a store's audit log with COUNT records for bench/audit, straight
 * through the store (audit_append, as lockboxd writes them: chained per tenant), in
 * transactions of 10,000, then signs every chain's checkpoints (one per 1,000 records) with a
 * throwaway key it also keeps in the store. No lockboxd may run on the store meanwhile.
 *
 *   audit_fill DB_PATH|postgresql://... COUNT TENANTS
 *
 * Records are spread over TENANTS tenants (and the provider's chain), a handful of activities
 * and a few hundred actors, one a second of a year ending now, each naming an item of its own
 * request; their details are a small object like a request's. Prints the records per second.
 */
#include "audit/audit.h"
#include "audit/chains.h"
#include "audit/signer.h"
#include "store/store.h"
#include "store/store_pg.h"
#include "store/store_sqlite.h"
#include "util/timeutil.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 10000

static const char *const activities[] = {"request.create",  "request.approve", "request.complete",
                                         "operator.action", "session.open",    "session.close",
                                         "request.deny",    "auth.login"};

/* The i-th record's fields into e (its strings in the caller's buffers). */
static void fill_entry(int64_t i, int tenants, int64_t start, struct audit_entry *e,
                       char tenant[48], char actor[32], char item[48])
{
    unsigned t = (unsigned)((i * 2654435761u) % (unsigned)(tenants + 1));

    snprintf(tenant, 48, "00000000-0000-7000-8000-%012u", t);
    snprintf(actor, 32, "user-%03u", (unsigned)(i % 400));
    snprintf(item, 48, "01900000-0000-7000-8000-%012lld", (long long)(i / 6));
    *e = (struct audit_entry){.time = start + i,
                              .tenant_id = t == (unsigned)tenants ? NULL : tenant,
                              .actor = actor,
                              .actor_type = i % 3 ? "customer" : "operator",
                              .client_ip = "10.1.2.3",
                              .activity = activities[i % 8],
                              .item = item,
                              .decision = i % 8 == 1 ? "approve" : NULL};
}

static int fill(struct store *st, int64_t count, int tenants)
{
    struct audit_field f[] = {AF_STR("status", "approved"), AF_STR("resource_type", "vm"),
                              AF_INT("duration_seconds", 28800),
                              AF_STR("justification", "investigate the boot failure")};
    int64_t start = time_now() - count;
    int rc = 0;

    for (int64_t i = 0; rc == 0 && i < count; i++) {
        struct audit_entry e;
        char tenant[48], actor[32], item[48];
        if (i % BATCH == 0 && (rc = store_begin(st)) != 0)
            break;
        fill_entry(i, tenants, start, &e, tenant, actor, item);
        e.fields = f;
        e.field_count = sizeof(f) / sizeof(f[0]);
        rc = audit_append(st, &e, NULL);
        if (rc == 0 && (i % BATCH == BATCH - 1 || i == count - 1))
            rc = store_commit(st);
        else if (rc)
            store_rollback(st);
    }
    return rc;
}

int main(int argc, char **argv)
{
    struct store *st = NULL;
    struct audit_signer *signer = NULL;
    struct audit_key key;
    int64_t count, made = 0, t0;
    int tenants, rc;

    if (argc != 4 || (count = atoll(argv[2])) < 1 || (tenants = atoi(argv[3])) < 1) {
        fprintf(stderr, "usage: audit_fill DB_PATH|postgresql://... COUNT TENANTS\n");
        return 2;
    }
    if (sodium_init() < 0)
        return 1;
    rc = strncmp(argv[1], "postgres", 8) == 0 ? store_pg_open(argv[1], &st, NULL)
                                              : store_sqlite_open(argv[1], &st, NULL);
    if (rc || (rc = audit_signer_new_ephemeral(&signer)) != 0) {
        fprintf(stderr, "audit_fill: cannot open %s: %s\n", argv[1], lb_strerror(rc));
        return 1;
    }
    key = (struct audit_key){.id = audit_signer_key_id(signer),
                             .public_key = audit_signer_public_key(signer),
                             .created_at = time_now()};
    t0 = time_mono_us();
    if ((rc = store_audit_key_insert(st, &key)) == 0 && (rc = fill(st, count, tenants)) == 0)
        rc = audit_checkpoints_make(st, signer, time_now(), 1000, 0, &made);
    if (rc == 0)
        printf("audit_fill: %lld records, %lld checkpoints, %.0f records/s\n", (long long)count,
               (long long)made, (double)count * 1e6 / (double)(time_mono_us() - t0));
    else
        fprintf(stderr, "audit_fill: %s\n", lb_strerror(rc));
    audit_signer_free(signer);
    store_close(st);
    return rc ? 1 : 0;
}
