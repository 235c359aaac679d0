/* `lockboxd verify` (verify.h): its arguments, the store it opens and what it prints. */
#include "daemon/verify.h"

#include "audit/chains.h"
#include "daemon/datadir.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/log.h"

#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "util/banned.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lockboxd verify --data DIR [--store URL] [--log-level LEVEL]\n\n"
            "Verifies the audit log where the store keeps it: every record's hash and its link\n"
            "to the record before it in its chain (one chain per tenant, one for the\n"
            "provider), every signed checkpoint's place and signature under the keys the store\n"
            "keeps, and each chain's end. Reads only: a lockboxd may serve the store meanwhile.\n\n"
            "Options:\n"
            "  --data DIR         the data folder (its lockbox.db, unless --store names one)\n"
            "  --store URL        a PostgreSQL store (postgresql://...)\n"
            "  --log-level LEVEL  error, warn (the default), info or debug\n"
            "  --help             print this help and exit\n\n"
            "Exit codes: 0 every chain is whole and every checkpoint holds; 1 failed (the store\n"
            "cannot be opened or read); 2 usage; 5 a chain or a checkpoint does not verify\n"
            "(the message names the first record where it breaks).\n");
}

struct verify_args {
    const char *data, *store, *log_level;
};

/* Parses the arguments; VERIFY_EXIT_OK to go on, -1 to exit 0 (--help), else an exit code. */
static int parse(int argc, char **argv, struct verify_args *a)
{
    static const struct option options[] = {
        {"data", required_argument, NULL, 'd'},
        {"store", required_argument, NULL, 's'},
        {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    *a = (struct verify_args){.log_level = "warn"};
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'd':
            a->data = optarg;
            break;
        case 's':
            a->store = optarg;
            break;
        case 'l':
            a->log_level = optarg;
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            fprintf(stderr, "lockboxd verify: unknown option or missing value: %s\n",
                    argv[optind - 1]);
            return VERIFY_EXIT_USAGE;
        }
    }
    if (optind < argc || (!a->data && !a->store)) {
        fprintf(stderr, "lockboxd verify: %s (see lockboxd verify --help)\n",
                optind < argc ? "unexpected argument" : "--data DIR or --store URL is required");
        return VERIFY_EXIT_USAGE;
    }
    if (log_level_parse(a->log_level) < 0) {
        fprintf(stderr, "lockboxd verify: --log-level: must be error, warn, info or debug\n");
        return VERIFY_EXIT_USAGE;
    }
    return VERIFY_EXIT_OK;
}

static int open_store(const struct verify_args *a, struct store **st)
{
    struct buf err = BUF_INIT;
    int rc = datadir_store_open(a->data, a->store, st, &err);

    if (rc)
        fprintf(stderr, "lockboxd verify: cannot open the store: %s\n", buf_cstr(&err));
    buf_release(&err);
    return rc;
}

/* Names each chain that breaks, where it first does. */
static void on_outcome(void *ctx, const char *chain, const char *why)
{
    (void)ctx;
    (void)chain;
    if (why)
        fprintf(stderr, "lockboxd verify: %s\n", why);
}

int verify_main(int argc, char **argv)
{
    struct verify_args a;
    struct audit_chains_report r;
    struct buf why = BUF_INIT;
    struct store *st = NULL;
    int rc = parse(argc, argv, &a), code;

    if (rc)
        return rc < 0 ? VERIFY_EXIT_OK : rc;
    log_set_level((enum log_level)log_level_parse(a.log_level));
    if (sodium_init() < 0 || open_store(&a, &st) != 0)
        return VERIFY_EXIT_FAILED;
    rc = audit_chains_verify(st, &r, on_outcome, NULL, &why);
    if (rc == LB_EVERIFY) {
        fprintf(stderr, "lockboxd verify: the audit log does not verify (each chain that breaks is "
                        "named above, where it first does)\n");
        code = VERIFY_EXIT_BROKEN;
    } else if (rc) {
        fprintf(stderr, "lockboxd verify: cannot read the audit log: %s\n", lb_strerror(rc));
        code = VERIFY_EXIT_FAILED;
    } else {
        printf("verified %lld records and %lld checkpoints in %lld chains: every chain is whole "
               "and every checkpoint holds\n",
               (long long)r.records, (long long)r.checkpoints, (long long)r.chains);
        if (r.unsigned_tail)
            printf("%lld records are after their chain's last checkpoint (the next checkpoint "
                   "signs them)\n",
                   (long long)r.unsigned_tail);
        if (r.unchained)
            printf("records written before the chains are not chained yet: start lockboxd once "
                   "to chain them\n");
        code = VERIFY_EXIT_OK;
    }
    buf_release(&why);
    store_close(st);
    return code;
}
