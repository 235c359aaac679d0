/* `lockboxd audit-key rotate` (audit_key.h). */
#include "daemon/audit_key.h"

#include "audit/signer.h"
#include "daemon/datadir.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/banned.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lockboxd audit-key rotate --data DIR [--store URL] [--key-file FILE]\n\n"
            "Makes a new key for signing the audit log's checkpoints and exports in place of\n"
            "DIR/audit.key (or FILE), keeps its public half in the store and marks the old one\n"
            "retired there: it stays listed (GET /api/v1/audit/keys), so what it signed still\n"
            "verifies. The old secret key is gone. Restart lockboxd (every node that shares\n"
            "the key file) to sign with the new key.\n\n"
            "Exit codes: 0 rotated; 1 failed; 2 usage.\n");
}

struct key_args {
    const char *data, *store, *key_file;
};

static int parse(int argc, char **argv, struct key_args *a)
{
    static const struct option options[] = {
        {"data", required_argument, NULL, 'd'},
        {"store", required_argument, NULL, 's'},
        {"key-file", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    *a = (struct key_args){0};
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (c == 'd')
            a->data = optarg;
        else if (c == 's')
            a->store = optarg;
        else if (c == 'k')
            a->key_file = optarg;
        else if (c == 'h') {
            usage(stdout);
            return -1;
        } else {
            fprintf(stderr, "lockboxd audit-key: unknown option or missing value: %s\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (optind + 1 != argc || strcmp(argv[optind], "rotate") != 0 || !a->data) {
        fprintf(stderr, "lockboxd audit-key: usage: lockboxd audit-key rotate --data DIR "
                        "[--store URL] [--key-file FILE]\n");
        return 2;
    }
    return 0;
}

/* Gives the new key file the owner and group of the one it replaces: root rotating the key of
 * a lockboxd that runs as its own user must not leave it a key it cannot read. */
static int keep_owner(const char *fresh, const char *old, struct buf *err)
{
    struct stat was, now;

    if (stat(old, &was) != 0 || stat(fresh, &now) != 0) {
        buf_appendf(err, "%s: %s", old, strerror(errno));
        return LB_EIO;
    }
    if ((was.st_uid != now.st_uid || was.st_gid != now.st_gid) &&
        chown(fresh, was.st_uid, was.st_gid) != 0) {
        buf_appendf(err, "cannot give the new key the old one's owner (uid %u gid %u): %s",
                    (unsigned)was.st_uid, (unsigned)was.st_gid, strerror(errno));
        return LB_EIO;
    }
    return 0;
}

/* Makes the new key at path (over the old one) and keeps the keys in st. */
static int rotate(struct store *st, const char *path, struct buf *err)
{
    struct audit_signer *old = NULL, *fresh = NULL;
    struct buf tmp = BUF_INIT;
    struct audit_key k;
    bool created = false;
    int rc;

    buf_appendf(&tmp, "%s.new", path);
    (void)unlink(buf_cstr(&tmp)); /* a leftover of a rotation that failed */
    if ((rc = audit_signer_open(path, &old, &created, err)) != 0)
        goto out;
    if (created) { /* there was none: the one just made is the new key, kept at the next start */
        printf("lockboxd audit-key: there was no key; made key %s, which signs from the next "
               "start of lockboxd\n",
               audit_signer_key_id(old));
        goto out;
    }
    if ((rc = audit_signer_create(buf_cstr(&tmp), &fresh, err)) != 0 ||
        (rc = keep_owner(buf_cstr(&tmp), path, err)) != 0) {
        (void)unlink(buf_cstr(&tmp));
        goto out;
    }
    if (rename(buf_cstr(&tmp), path) != 0) {
        buf_appendf(err, "%s: %s", path, strerror(errno));
        rc = LB_EIO;
        goto out;
    }
    k = (struct audit_key){.id = audit_signer_key_id(fresh),
                           .public_key = audit_signer_public_key(fresh),
                           .created_at = time_now()};
    if ((rc = store_begin(st)) != 0)
        goto out;
    rc = store_audit_key_insert(st, &k);
    k = (struct audit_key){.id = audit_signer_key_id(old),
                           .public_key = audit_signer_public_key(old),
                           .created_at = time_now(),
                           .retired_at = time_now()};
    if (rc == 0)
        rc = store_audit_key_insert(st, &k);
    if (rc == 0)
        rc = store_commit(st);
    else
        store_rollback(st);
    if (rc)
        buf_appendf(err,
                    "the new key file is in place, but the store did not take the keys "
                    "(%s): start lockboxd, which keeps the new one, or run this again",
                    lb_strerror(rc));
    else
        printf("lockboxd audit-key: key %s retired (it stays listed); key %s signs from the next "
               "start of lockboxd\n",
               audit_signer_key_id(old), audit_signer_key_id(fresh));
out:
    audit_signer_free(old);
    audit_signer_free(fresh);
    buf_release(&tmp);
    return rc;
}

int audit_key_main(int argc, char **argv)
{
    struct key_args a;
    struct buf path = BUF_INIT, err = BUF_INIT;
    struct store *st = NULL;
    int rc = parse(argc, argv, &a);

    if (rc)
        return rc < 0 ? 0 : rc;
    log_set_level(LOG_LEVEL_WARN);
    if (sodium_init() < 0)
        return 1;
    if (a.key_file)
        buf_puts(&path, a.key_file);
    else
        buf_appendf(&path, "%s/audit.key", a.data);
    if ((rc = datadir_store_open(a.data, a.store, &st, &err)) == 0)
        rc = rotate(st, buf_cstr(&path), &err);
    if (rc)
        fprintf(stderr, "lockboxd audit-key: %s\n", buf_cstr(&err));
    store_close(st);
    buf_release(&path);
    buf_release(&err);
    return rc ? 1 : 0;
}
