/* `lockboxd migrate` (migrate.h): the command around store_copy, its arguments, the source's
 * and the target's checks, the progress shown and the summary. */
#include "daemon/migrate.h"

#include "daemon/datadir.h"
#include "store/seal.h"
#include "store/store.h"
#include "store/store_copy.h"
#include "store/store_pg.h"
#include "store/store_sqlite.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/banned.h"

#define BAR_WIDTH 30

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lockboxd migrate --from DIR --to URL [--log-level LEVEL]\n\n"
            "Copies the SQLite store of the data folder DIR (DIR/lockbox.db) into the empty\n"
            "PostgreSQL database at URL (postgresql://... or libpq's key=value form), in one\n"
            "transaction: every table row for row, ids, seq numbers, sessions and API tokens,\n"
            "the audit log. Then checks the row count of every table and the audit log record\n"
            "for record, and commits only a copy that matches. No lockboxd may run on DIR or on\n"
            "the database meanwhile. TOTP seeds and webhook secrets stay sealed with the key of\n"
            "DIR/secret.key: give every node that key file.\n\n"
            "Options:\n"
            "  --from DIR         the data folder of a lockboxd that used SQLite\n"
            "  --to URL           the PostgreSQL database, empty (lockboxd migrates its schema)\n"
            "  --log-level LEVEL  error, warn (the default), info or debug\n"
            "  --help             print this help and exit\n\n"
            "Exit codes: 0 copied and checked; 1 failed (nothing written to the database);\n"
            "2 usage; 3 refused: the database is not empty, or a lockboxd serves it (nothing\n"
            "written); 4 the check found the copy different (nothing kept).\n");
}

struct migrate_args {
    const char *from, *to;
    const char *log_level;
};

/* Parses the arguments; MIGRATE_EXIT_OK to go on, -1 to exit 0 (--help), else an exit code. */
static int parse(int argc, char **argv, struct migrate_args *a)
{
    static const struct option options[] = {
        {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},
        {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    *a = (struct migrate_args){.log_level = "warn"};
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            a->from = optarg;
            break;
        case 't':
            a->to = optarg;
            break;
        case 'l':
            a->log_level = optarg;
            break;
        case 'h':
            usage(stdout);
            return -1;
        default:
            fprintf(stderr, "lockboxd migrate: unknown or incomplete option '%s' (see --help)\n",
                    argv[optind - 1]);
            return MIGRATE_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "lockboxd migrate: unexpected argument '%s' (see --help)\n", argv[optind]);
        return MIGRATE_EXIT_USAGE;
    }
    if (!a->from || !*a->from || !a->to || !*a->to) {
        fprintf(stderr, "lockboxd migrate: --from DIR and --to URL are both needed (see --help)\n");
        return MIGRATE_EXIT_USAGE;
    }
    if (log_level_parse(a->log_level) < 0) {
        fprintf(stderr, "lockboxd migrate: --log-level: must be error, warn, info or debug\n");
        return MIGRATE_EXIT_USAGE;
    }
    return MIGRATE_EXIT_OK;
}

/* ---- progress ---- */

struct display {
    bool tty;      /* stderr is a terminal: a bar redrawn in place */
    bool drawn;    /* a bar of the current table is on the line */
    int64_t shown; /* the count it shows */
};

static int show_progress(void *ctx, const struct store_copy_progress *p)
{
    struct display *d = ctx;
    char label[48], bar[BAR_WIDTH + 1];
    int fill;

    snprintf(label, sizeof(label), "%s%s", p->table, p->checking ? " (check)" : "");
    if (!d->tty) {
        if (p->finished)
            fprintf(stderr, "lockboxd migrate: %s: %lld %s\n", label, (long long)p->done,
                    p->checking ? "records checked" : "rows copied");
        return 0;
    }
    /* a call comes every few hundred rows: each is worth a redraw, unless nothing moved */
    if (!d->drawn || p->done != d->shown) {
        fill = p->total > 0 ? (int)(p->done * BAR_WIDTH / p->total) : BAR_WIDTH;
        fill = fill > BAR_WIDTH ? BAR_WIDTH : fill;
        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '.', (size_t)(BAR_WIDTH - fill));
        bar[BAR_WIDTH] = '\0';
        fprintf(stderr, "\r%-26s [%s] %lld/%lld", label, bar, (long long)p->done,
                (long long)p->total);
        d->drawn = true;
        d->shown = p->done;
    }
    if (p->finished) {
        fputc('\n', stderr);
        d->drawn = false;
    }
    return 0;
}

/* ---- the source ---- */

/* Checks that dir is a data folder holding an SQLite store, then writes that store's path
 * into db. */
static int source_path(const char *dir, struct buf *db)
{
    struct stat st;

    if (stat(dir, &st) != 0) {
        fprintf(stderr, "lockboxd migrate: --from %s: %s\n", dir, strerror(errno));
        return MIGRATE_EXIT_FAILED;
    }
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr, "lockboxd migrate: --from %s: not a folder\n", dir);
        return MIGRATE_EXIT_FAILED;
    }
    buf_appendf(db, "%s/lockbox.db", dir);
    if (!buf_ok(db))
        return MIGRATE_EXIT_FAILED;
    if (stat(buf_cstr(db), &st) != 0 || !S_ISREG(st.st_mode)) {
        fprintf(stderr,
                "lockboxd migrate: %s holds no SQLite store (lockbox.db): --from names the data "
                "folder of a lockboxd that used SQLite\n",
                dir);
        return MIGRATE_EXIT_FAILED;
    }
    return MIGRATE_EXIT_OK;
}

/* Says which key the store's secrets are sealed with, and whether DIR/secret.key is it: every
 * node of the new store needs that key, and the copy cannot check it later. */
static void tell_key(struct store *src, const char *dir, struct buf *note)
{
    struct buf path = BUF_INIT;
    struct seal *seal = NULL;
    char *sealed_by = NULL, id[SEAL_KEY_ID_LEN];
    int rc = store_meta_get(src, STORE_META_SEAL_KEY_ID, &sealed_by);

    if (rc) {
        buf_puts(note, "the store holds no sealed secrets yet (no key id in meta): each node "
                       "makes or takes its key at its first start");
        goto out;
    }
    buf_appendf(&path, "%s/secret.key", dir);
    rc = seal_key_load(buf_cstr(&path), &seal, NULL);
    if (rc == 0)
        seal_key_id(seal, id);
    if (rc == 0 && strcmp(id, sealed_by) == 0)
        buf_appendf(note,
                    "TOTP seeds and webhook secrets stay sealed with key id %s, the key of %s: "
                    "copy that file into the data folder of every node (or name it with "
                    "[server] secret_key_file)",
                    sealed_by, buf_cstr(&path));
    else
        buf_appendf(note,
                    "warning: TOTP seeds and webhook secrets are sealed with key id %s, and %s "
                    "%s: give every node the key file with id %s (the secret_key_file the old "
                    "lockboxd used); lockboxd does not start without it",
                    sealed_by, buf_cstr(&path), rc == 0 ? "holds another key" : "is missing",
                    sealed_by);
out:
    seal_free(seal);
    lb_free(sealed_by);
    buf_release(&path);
}

/* ---- the command ---- */

/* The exit code of store_copy's answer rc, said on stderr. */
static int report_failure(int rc, const struct buf *err)
{
    if (rc == LB_EPRECONDITION) {
        fprintf(stderr, "lockboxd migrate: refused: %s; nothing was written\n", buf_cstr(err));
        return MIGRATE_EXIT_NOT_EMPTY;
    }
    if (rc == LB_ECONFLICT) {
        fprintf(stderr,
                "lockboxd migrate: the check failed: %s; nothing was kept (the database is "
                "empty again)\n",
                buf_cstr(err));
        return MIGRATE_EXIT_MISMATCH;
    }
    fprintf(stderr,
            "lockboxd migrate: the copy failed: %s; nothing was kept (the database is empty "
            "again)\n",
            buf_cstr(err));
    return MIGRATE_EXIT_FAILED;
}

/* Opens the target; an exit code. No lockboxd writes to it while the copy runs: the copy is
 * one write transaction, which holds every node's write lock, and it finds the target empty
 * under that lock or writes nothing. */
static int open_target(const char *url, struct store **dst)
{
    struct buf err = BUF_INIT;
    int rc = store_pg_open(url, dst, &err), code = MIGRATE_EXIT_OK;

    if (rc) {
        fprintf(stderr, "lockboxd migrate: --to: %s\n", buf_cstr(&err));
        code = MIGRATE_EXIT_FAILED;
    }
    buf_release(&err);
    return code;
}

int migrate_main(int argc, char **argv)
{
    struct migrate_args a;
    struct display d = {.tty = isatty(STDERR_FILENO) == 1};
    struct store_copy_report report = {0};
    struct buf db = BUF_INIT, err = BUF_INIT, note = BUF_INIT;
    struct store *src = NULL, *dst = NULL;
    int code, rc, lock = -1;

    if ((code = parse(argc, argv, &a)) != MIGRATE_EXIT_OK)
        return code < 0 ? MIGRATE_EXIT_OK : code;
    log_set_level((enum log_level)log_level_parse(a.log_level));
    umask(077); /* the store's -wal and -shm, the lock file: lockboxd's user's alone */
    if (sodium_init() < 0) {
        fprintf(stderr, "lockboxd migrate: cannot initialise libsodium\n");
        return MIGRATE_EXIT_FAILED;
    }
    if ((code = source_path(a.from, &db)) != MIGRATE_EXIT_OK)
        goto out;
    code = MIGRATE_EXIT_FAILED;
    if ((lock = datadir_lock(a.from)) < 0) {
        fprintf(stderr,
                "lockboxd migrate: cannot take the lock of %s (see above): stop the "
                "lockboxd that uses it first\n",
                a.from);
        goto out;
    }
    if ((rc = store_sqlite_open(buf_cstr(&db), &src, &err)) != 0) {
        fprintf(stderr, "lockboxd migrate: --from: %s\n", buf_cstr(&err));
        goto out;
    }
    tell_key(src, a.from, &note);
    if ((code = open_target(a.to, &dst)) != MIGRATE_EXIT_OK)
        goto out;
    buf_reset(&err);
    if ((rc = store_copy(src, dst, show_progress, &d, &report, &err)) != 0) {
        if (d.drawn)
            fputc('\n', stderr); /* below a bar left unfinished */
        code = report_failure(rc, &err);
        goto out;
    }
    printf("lockboxd migrate: copied %zu tables, %lld rows from %s\n"
           "lockboxd migrate: checked the row count of every table and %lld audit records: "
           "the copy matches the source\n"
           "lockboxd migrate: %s\n",
           report.tables, (long long)report.rows, buf_cstr(&db), (long long)report.audit_checked,
           buf_cstr(&note));
    code = MIGRATE_EXIT_OK;
out:
    store_close(dst);
    store_close(src);
    if (lock >= 0)
        close(lock);
    buf_release(&db);
    buf_release(&err);
    buf_release(&note);
    return code;
}
