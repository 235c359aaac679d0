/* lockboxd: the Lockbox daemon. */
#include "api/policy_file.h"
#include "audit/chains.h"
#include "core/core.h"
#include "daemon/audit_key.h"
#include "daemon/checkpointer.h"
#include "daemon/config.h"
#include "daemon/datadir.h"
#include "daemon/migrate.h"
#include "daemon/privdrop.h"
#include "daemon/sandbox.h"
#include "daemon/scheduler.h"
#include "daemon/verify.h"
#include "http/events.h"
#include "http/server.h"
#include "notify/notify.h"
#include "notify/syslog.h"
#include "store/seal.h"
#include "store/store_pg.h"
#include "store/store_sqlite.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strv.h"
#include "util/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <liboath/oath.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/banned.h"

#define EXIT_USAGE 2

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lockboxd [--config FILE] [--data DIR] [--listen HOST:PORT] [--store URL]\n"
            "                [--policy FILE] [--threads N] [--workers N] [--log-level LEVEL]\n"
            "                [--public-url URL] [--smtp-url URL] [--user NAME [--group NAME]]\n"
            "                [--dump-config] [--version] [--help]\n"
            "       lockboxd migrate --from DIR --to URL   (a SQLite store into an empty\n"
            "                PostgreSQL database; see lockboxd migrate --help)\n"
            "       lockboxd verify --data DIR [--store URL]   (the audit log's hash chains\n"
            "                and signed checkpoints, in place; see lockboxd verify --help)\n"
            "       lockboxd audit-key rotate --data DIR   (a new key signs the audit log's\n"
            "                checkpoints; the old one stays listed, retired)\n\n"
            "Lockbox daemon: serves the v1 API, runs the scheduler, keeps the audit log.\n\n"
            "Options (each overrides the same setting of the config file):\n"
            "  --config FILE        read settings from an INI file first\n");
    for (size_t i = 0; i < config_table_count; i++) {
        const struct config_entry *e = &config_table[i];
        if (e->flag)
            fprintf(out, "  %-20s %s (default %s)\n", e->flag, e->help,
                    *e->default_value ? e->default_value : "none");
    }
    fprintf(out, "  --dump-config        print the effective configuration as INI and exit\n"
                 "  --version            print lockboxd's version and exit\n"
                 "  --help               print this help and exit\n\n"
                 "Config file settings ([section] key = value):\n");
    for (size_t i = 0; i < config_table_count; i++) {
        const struct config_entry *e = &config_table[i];
        char key[64];
        snprintf(key, sizeof(key), "[%s] %s", e->section, e->name);
        fprintf(out, "  %-46s %s (default %s)\n", key, e->help,
                *e->default_value ? e->default_value : "none");
    }
    fprintf(
        out,
        "\nSignals: SIGHUP reloads the policy file and the TLS certificate and key; SIGTERM or\n"
        "SIGINT stops cleanly.\n"
        "On first start with an empty data directory, lockboxd creates the provider user\n"
        "'admin' (platform_admin) and writes its API token to DIR/bootstrap-token (0600),\n"
        "and DIR/secret.key (0600), the key sealing TOTP seeds and webhook secrets in the\n"
        "store: back it up apart from the database (it is never made over a lost one).\n");
}

/* The entry whose flag is arg: the table's flag up to the word for its value. */
static const struct config_entry *entry_for_flag(const char *arg)
{
    for (size_t i = 0; i < config_table_count; i++) {
        const char *flag = config_table[i].flag;
        size_t len = flag ? strcspn(flag, " ") : 0;
        if (flag && strncmp(flag, arg, len) == 0 && arg[len] == '\0')
            return &config_table[i];
    }
    return NULL;
}

/* Parses argv: the config file first, then flags over it. Returns -1 to exit 0, 1 on error. */
static int parse_args(int argc, char **argv, struct daemon_config *cfg, bool *dump)
{
    struct buf err = BUF_INIT;
    const char *config_path = NULL;
    int rc = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return -1;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("lockboxd %s\n", LB_VERSION);
            return -1;
        }
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config_path = argv[++i];
    }
    if (config_defaults(cfg) != 0)
        return 1;
    if (config_path && (rc = config_load_file(cfg, config_path, &err)) != 0)
        goto out;
    for (int i = 1; i < argc; i++) {
        const struct config_entry *e;
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            i++;
        } else if (strcmp(argv[i], "--dump-config") == 0) {
            *dump = true;
        } else if ((e = entry_for_flag(argv[i])) != NULL && i + 1 < argc) {
            if ((rc = config_set(cfg, e, argv[++i], &err)) != 0)
                goto out;
        } else {
            buf_appendf(&err, "unknown or incomplete option '%s' (see --help)", argv[i]);
            rc = LB_EINVAL;
            goto out;
        }
    }
    rc = config_validate(cfg, &err);
out:
    if (rc)
        fprintf(stderr, "lockboxd: %s\n", buf_cstr(&err));
    buf_release(&err);
    return rc ? 1 : 0;
}

/* The LB_E* code of a failed file operation's errno: a full disk or quota is LB_ENOSPC. */
static int file_error(int err)
{
    return err == ENOSPC || err == EDQUOT ? LB_ENOSPC : LB_EIO;
}

/* Writes all of text to fd; false (errno set) when it could not. */
static bool write_all(int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = ENOSPC;
            return false;
        }
        text += n;
        len -= (size_t)n;
    }
    return true;
}

/* Writes the bootstrap token to DATA/bootstrap-token (0600) durably, before the commit;
 * LB_ENOSPC when the disk is full, LB_EIO on another failure (the log says which). */
static int write_token(void *ctx, const char *token)
{
    const char *dir = ctx;
    char path[4096], tmp[4100];
    int fd, rc = 0;

    snprintf(path, sizeof(path), "%s/bootstrap-token", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = file_error(errno);
        log_error("bootstrap: cannot create %s: %s", tmp, strerror(errno));
        return rc;
    }
    if (fchmod(fd, 0600) != 0 || !write_all(fd, token, strlen(token)) || !write_all(fd, "\n", 1) ||
        fsync(fd) != 0) {
        rc = file_error(errno);
        log_error("bootstrap: cannot write %s: %s", tmp, strerror(errno));
    }
    if (close(fd) != 0 && rc == 0) {
        rc = file_error(errno);
        log_error("bootstrap: cannot write %s: %s", tmp, strerror(errno));
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = file_error(errno);
        log_error("bootstrap: cannot rename %s to %s: %s", tmp, path, strerror(errno));
    }
    if (rc)
        (void)unlink(tmp); /* no token without its admin */
    return rc;
}

static int load_policy(const struct daemon_config *cfg, struct policy **out)
{
    struct buf err = BUF_INIT;
    int rc;

    if (!*cfg->policy_file)
        return policy_default(out);
    rc = policy_file_load(cfg->policy_file, out, &err);
    if (rc)
        log_error("policy: %s", buf_cstr(&err));
    buf_release(&err);
    return rc;
}

static char **split_commas(const char *text, size_t *count)
{
    size_t n = 0, cap = 4;
    char **v = lb_calloc(cap, sizeof(*v));
    const char *p = text;

    *count = 0;
    while (v && *p) {
        while (*p == ',' || *p == ' ')
            p++;
        size_t len = strcspn(p, ", ");
        if (!len)
            break;
        if (n + 1 >= cap) {
            char **nv = lb_realloc(v, (cap *= 2) * sizeof(*v));
            if (!nv)
                break;
            v = nv;
        }
        v[n++] = lb_strndup(p, len);
        p += len;
    }
    *count = n;
    return v;
}

struct daemon {
    struct daemon_config cfg;
    struct seal *seal; /* the key sealing the store's secrets; outlives the store */
    struct store *store;
    struct core *core;
    struct scheduler *scheduler;
    struct audit_signer *audit_signer; /* signs the audit log's checkpoints */
    struct checkpointer *checkpointer;
    struct notify_dispatcher *dispatcher;
    struct notify_syslog *syslog; /* the audit streams to syslog collectors */
    struct event_hub *events;
    struct http_server *http;
    char **proxies;
    size_t proxy_count;
    int lock_fd;
    int listen_fd; /* bound before the drop; the server's once it starts */
    bool as_root;  /* started as root without [server] user: warned */
};

#define ROOT_WARNING "running as root; set [server] user and group"

/* Binds the port, then (started as root with [server] user) becomes that user before any
 * thread is started or any file of the data folder made: what lockboxd makes is that user's.
 * Last, the seccomp filter, which every thread started after inherits. */
static int bind_and_drop(struct daemon *d)
{
    struct buf err = BUF_INIT;
    size_t refused = 0;
    int rc = http_listen_open(d->cfg.listen, &d->listen_fd, &err);

    if (rc) {
        log_error("http: %s", buf_cstr(&err));
        goto out;
    }
    if ((rc = privdrop_apply(d->cfg.user, d->cfg.group, &d->as_root, &err)) != 0) {
        log_error("privileges: %s", buf_cstr(&err));
        goto out;
    }
    if (d->as_root)
        log_warn(ROOT_WARNING " (see docs/operations.md, \"Running as a service\")");
    else if (*d->cfg.user)
        log_info("privileges: running as user=%s uid=%u gid=%u", d->cfg.user, (unsigned)getuid(),
                 (unsigned)getgid());
    if (*d->cfg.user &&
        (rc = privdrop_check_dir(d->cfg.data_dir, d->cfg.user, d->cfg.group, &err)) != 0) {
        log_error("privileges: %s", buf_cstr(&err));
        goto out;
    }
    if (d->cfg.seccomp && (rc = sandbox_apply(&refused, &err)) != 0)
        log_error("sandbox: %s ([server] seccomp = 0 turns it off)", buf_cstr(&err));
    else if (d->cfg.seccomp)
        log_info("sandbox: seccomp filter installed refused_calls=%zu", refused);
out:
    buf_release(&err);
    return rc;
}

/* Reads the SMTP password (alone in its file, a trailing newline dropped) into *out. */
static int read_secret_file(const char *path, char **out)
{
    char text[1024];
    FILE *f;
    size_t n;

    *out = NULL;
    if (!*path)
        return 0;
    if (!(f = fopen(path, "r"))) {
        log_error("smtp: cannot read password_file=%s: %s", path, strerror(errno));
        return LB_EIO;
    }
    n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        text[--n] = '\0';
    *out = lb_strdup(text);
    sodium_memzero(text, sizeof(text));
    return *out ? 0 : LB_ENOMEM;
}

static void on_outcome(void *ctx, const struct outbox_msg *m)
{
    (void)ctx;
    if (m->status == OUTBOX_DELIVERED)
        log_info("notify: delivered id=%s channel=%s event=%s request=%s attempts=%lld", m->id,
                 m->channel, m->event, m->request_id ? m->request_id : "-", (long long)m->attempts);
    else
        log_warn("notify: %s id=%s channel=%s event=%s attempts=%lld error=\"%s\"",
                 m->status == OUTBOX_FAILED ? "failed" : "will retry", m->id, m->channel, m->event,
                 (long long)m->attempts, m->last_error ? m->last_error : "");
}

static void wake_dispatcher(void *ctx)
{
    notify_dispatcher_wake(ctx);
}

/* A commit wrote records, and maybe messages: both senders look now, not at their next poll. */
static void wake_senders(void *ctx)
{
    struct daemon *d = ctx;

    notify_dispatcher_wake(d->dispatcher);
    notify_syslog_wake(d->syslog);
}

/* Starts the delivery thread; mail is off (and said so) without [smtp] url. */
static int start_notifications(struct daemon *d)
{
    char *password = NULL;
    int rc = read_secret_file(d->cfg.smtp_password_file, &password);
    struct notify_delivery_config dc = {.smtp_url = d->cfg.smtp_url,
                                        .smtp_from = d->cfg.smtp_from,
                                        .smtp_username = d->cfg.smtp_username,
                                        .smtp_password = password,
                                        .smtp_ca_file = d->cfg.smtp_ca_file,
                                        .smtp_require_tls = d->cfg.smtp_require_tls != 0,
                                        .webhook_allow_private = d->cfg.webhook_allow_private != 0,
                                        .retry_seconds = d->cfg.notify_retry_seconds,
                                        .timeout_ms = d->cfg.notify_timeout_ms,
                                        .shared_store = *d->cfg.store_url != '\0'};

    if (rc == 0)
        rc = notify_dispatcher_start(d->store, &dc, on_outcome, d, &d->dispatcher);
    if (password)
        sodium_memzero(password, strlen(password));
    lb_free(password);
    if (rc)
        return rc;
    core_set_outbox_hook(d->core, wake_dispatcher, d->dispatcher);
    if (!*d->cfg.smtp_url)
        log_warn("notify: no [smtp] url; no mail is sent (webhooks still are)");
    return 0;
}

/* Keeps the provider's stream as configured ([audit] syslog_url: made, changed or gone) and
 * starts the thread that sends every stream. */
static int start_syslog(struct daemon *d)
{
    struct notify_syslog_config sc = {.hostname = d->cfg.audit_syslog_hostname,
                                      .ca_file = d->cfg.audit_syslog_ca_file,
                                      .allow_private = d->cfg.audit_syslog_allow_private != 0,
                                      .timeout_ms = d->cfg.notify_timeout_ms,
                                      .shared_store = *d->cfg.store_url != '\0'};
    struct buf why = BUF_INIT;
    int rc = 0;

    if (*d->cfg.audit_syslog_url &&
        ((rc = notify_syslog_url_check(d->cfg.audit_syslog_url, &why)) != 0 ||
         !notify_syslog_profile_is_valid(d->cfg.audit_syslog_profile))) {
        log_error("audit: [audit] syslog_url=%s syslog_profile=%s: %s", d->cfg.audit_syslog_url,
                  d->cfg.audit_syslog_profile, rc ? buf_cstr(&why) : "want lockbox or m365");
        rc = LB_EINVAL;
        goto out;
    }
    if ((rc = core_audit_stream_configure(d->core, d->cfg.audit_syslog_url,
                                          d->cfg.audit_syslog_profile)) != 0) {
        log_error("audit: cannot keep the provider's syslog stream error=%s", lb_strerror(rc));
        goto out;
    }
    if ((rc = notify_syslog_start(d->store, &sc, &d->syslog)) != 0) {
        log_error("audit: cannot start the syslog streams error=%s", lb_strerror(rc));
        goto out;
    }
    core_set_outbox_hook(d->core, wake_senders, d);
    if (*d->cfg.audit_syslog_url)
        log_info("audit: streaming every chain url=%s profile=%s", d->cfg.audit_syslog_url,
                 d->cfg.audit_syslog_profile);
out:
    buf_release(&why);
    return rc;
}

/* A tenant that owns no resource scope can receive no request (stores made before scopes
 * existed have none): say so at every start until the platform admin gives it some. */
static void warn_unscoped_tenants(struct store *st)
{
    struct tenant *all = NULL;
    size_t n = 0;

    if (store_tenant_list(st, NULL, &all, &n) != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        if (all[i].resource_scope_count == 0)
            log_warn("tenant owns no resource scope, so it can receive no request: id=%s "
                     "name=\"%s\" (give it some: lockbox tenant scopes %s --add PREFIX)",
                     all[i].id, all[i].name, all[i].id);
        tenant_clear(&all[i]);
    }
    lb_free(all);
}

/* Store files made by an older lockboxd (or under a looser umask) become 0600. */
static void tighten_store_files(const char *db)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    char path[4200];
    struct stat st;

    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        snprintf(path, sizeof(path), "%s%s", db, suffixes[i]);
        if (stat(path, &st) == 0 && (st.st_mode & 077) && chmod(path, 0600) == 0)
            log_warn("store: file=%s was mode %03o; made it 0600", path,
                     (unsigned)(st.st_mode & 0777));
    }
}

/* Opens the store: SQLite in the data folder, or the PostgreSQL database of [store] url (its
 * URL may hold a password: it is never logged). */
static int open_store(struct daemon *d)
{
    struct buf err = BUF_INIT;
    char db[4200];
    int rc;

    if (*d->cfg.store_url) {
        rc = store_pg_open(d->cfg.store_url, &d->store, &err);
        if (rc == 0)
            log_info("store: postgresql");
    } else {
        snprintf(db, sizeof(db), "%s/lockbox.db", d->cfg.data_dir);
        if ((rc = store_sqlite_open(db, &d->store, &err)) == 0)
            tighten_store_files(db);
    }
    if (rc)
        log_error("store: %s", buf_cstr(&err));
    buf_release(&err);
    return rc;
}

/* Loads the key that seals the store's secrets (making it at first start, in the data folder
 * only) and hands it to the store. A store sealed before never starts without its key. */
static int open_secrets(struct daemon *d)
{
    struct buf path = BUF_INIT, err = BUF_INIT;
    bool given = *d->cfg.secret_key_file != '\0';
    char id[SEAL_KEY_ID_LEN], *sealed_by = NULL;
    struct stat st;
    int rc;

    if (given)
        buf_puts(&path, d->cfg.secret_key_file);
    else
        buf_appendf(&path, "%s/secret.key", d->cfg.data_dir);
    rc = store_meta_get(d->store, STORE_META_SEAL_KEY_ID, &sealed_by);
    if (rc && rc != LB_ENOTFOUND) {
        log_error("secrets: cannot read the store error=%s", lb_strerror(rc));
        goto out;
    }
    rc = seal_key_load(buf_cstr(&path), &d->seal, &err);
    if (rc == LB_ENOTFOUND && sealed_by) {
        log_error("secrets: the key file %s is missing, and this store's TOTP seeds and webhook "
                  "secrets are sealed with key id %s: restore that key file from its backup "
                  "(see docs/operations.md); lockboxd does not start without it",
                  buf_cstr(&path), sealed_by);
        rc = LB_EKEY;
        goto out;
    }
    if (rc == LB_ENOTFOUND && given) {
        log_error("secrets: secret_key_file %s does not exist (make one with: "
                  "umask 077; openssl rand -hex 32 > %s)",
                  buf_cstr(&path), buf_cstr(&path));
        goto out;
    }
    if (rc == LB_ENOTFOUND) {
        buf_reset(&err);
        if ((rc = seal_key_create(buf_cstr(&path), &d->seal, &err)) != 0) {
            log_error("secrets: cannot create the key file: %s", buf_cstr(&err));
            goto out;
        }
        seal_key_id(d->seal, id);
        log_warn("secrets: created key_file=%s key_id=%s: back it up apart from the store; "
                 "without it the store's TOTP seeds and webhook secrets are lost",
                 buf_cstr(&path), id);
    } else if (rc) {
        log_error("secrets: %s", buf_cstr(&err));
        goto out;
    } else if (stat(buf_cstr(&path), &st) == 0 && (st.st_mode & 077)) {
        log_warn("secrets: key_file=%s is mode %03o: others may read it; chmod 600 it",
                 buf_cstr(&path), (unsigned)(st.st_mode & 0777));
    }
    seal_key_id(d->seal, id);
    rc = store_seal_attach(d->store, d->seal);
    if (rc == LB_EKEY)
        log_error("secrets: the key in %s (key id %s) is not the one this store's secrets are "
                  "sealed with (key id %s): give lockboxd that key file; it does not start with "
                  "another",
                  buf_cstr(&path), id, sealed_by ? sealed_by : "unknown");
    else if (rc)
        log_error("secrets: cannot seal the store's secrets error=%s", lb_strerror(rc));
    else
        log_info("secrets: key_file=%s key_id=%s", buf_cstr(&path), id);
out:
    lb_free(sealed_by);
    buf_release(&path);
    buf_release(&err);
    return rc;
}

/* Loads the key that signs the audit log's checkpoints (making it at first start), keeps its
 * public half in the store, and chains the records an older store wrote before the chains. */
static int open_audit(struct daemon *d)
{
    struct buf path = BUF_INIT, err = BUF_INIT;
    struct audit_key key = {0};
    bool created = false;
    int64_t linked = 0;
    int rc;

    if (*d->cfg.audit_key_file)
        buf_puts(&path, d->cfg.audit_key_file);
    else
        buf_appendf(&path, "%s/audit.key", d->cfg.data_dir);
    if (!buf_ok(&path)) {
        rc = LB_ENOMEM;
        goto out;
    }
    if ((rc = audit_signer_open(buf_cstr(&path), &d->audit_signer, &created, &err)) != 0) {
        log_error("audit: cannot open the checkpoint signing key: %s", buf_cstr(&err));
        goto out;
    }
    key = (struct audit_key){.id = audit_signer_key_id(d->audit_signer),
                             .public_key = audit_signer_public_key(d->audit_signer),
                             .created_at = time_now()};
    if ((rc = store_audit_key_insert(d->store, &key)) != 0) {
        log_error("audit: cannot keep the checkpoint key's public half error=%s", lb_strerror(rc));
        goto out;
    }
    if (created)
        log_info("audit: made the checkpoint signing key file=%s key_id=%s", buf_cstr(&path),
                 key.id);
    if ((rc = audit_chains_backfill(d->store, &linked)) != 0)
        log_error("audit: cannot chain the records of an older store error=%s", lb_strerror(rc));
    else if (linked)
        log_info("audit: chained the records an older lockboxd wrote records=%lld",
                 (long long)linked);
out:
    buf_release(&path);
    buf_release(&err);
    return rc;
}

static int daemon_start(struct daemon *d)
{
    struct buf err = BUF_INIT;
    struct policy *policy = NULL;
    bool created = false;
    const char *port_at;
    int rc, host_len;

    struct stat dst;

    if ((rc = bind_and_drop(d)) != 0)
        return rc;
    if (mkdir(d->cfg.data_dir, 0700) != 0 && errno != EEXIST) {
        int e = errno;
        log_error("cannot create data folder %s: %s%s", d->cfg.data_dir, strerror(e),
                  e == EROFS ? " (its file system is read-only)" : "");
        return LB_EIO;
    }
    if (stat(d->cfg.data_dir, &dst) == 0 && (dst.st_mode & 077))
        log_warn("data directory %s is mode %03o: others may list it; chmod 700 it",
                 d->cfg.data_dir, (unsigned)(dst.st_mode & 0777));
    if ((d->lock_fd = datadir_lock(d->cfg.data_dir)) < 0)
        return LB_EIO;
    if ((rc = open_store(d)) != 0)
        goto out;
    if ((rc = open_secrets(d)) != 0)
        goto out;
    if ((rc = open_audit(d)) != 0)
        goto out;
    if ((rc = load_policy(&d->cfg, &policy)) != 0)
        goto out;
    struct core_config cc = {
        .session_ttl_seconds = d->cfg.session_ttl_seconds,
        .api_token_ttl_seconds = d->cfg.api_token_ttl_seconds,
        .bootstrap_token_ttl_seconds = d->cfg.bootstrap_token_ttl_seconds,
        .tenant_defaults = {.pending_expiry_seconds = d->cfg.pending_expiry_seconds,
                            .default_grant_seconds = d->cfg.default_grant_seconds,
                            .max_grant_seconds = d->cfg.max_grant_seconds,
                            .required_approvals = d->cfg.required_approvals,
                            .email_links = true,
                            .grant_report_mail = true,
                            .reminder_before_seconds = d->cfg.reminder_before_seconds},
        .notify = {.public_url = d->cfg.public_url,
                   .mail_from = d->cfg.smtp_from,
                   .mail_enabled = *d->cfg.smtp_url != '\0'},
        .login = {.max_failures = d->cfg.login_max_failures,
                  .lockout_seconds = d->cfg.login_lockout_seconds,
                  .max_failures_per_address = d->cfg.login_max_failures_per_address},
        .denial_collapse_seconds = d->cfg.denial_collapse_seconds,
        .events_retention_seconds = d->cfg.events_retention_seconds,
        .events_retention_count = d->cfg.events_retention_count,
        .audit_retention_seconds = d->cfg.audit_retention_seconds,
        .audit_retention_min_seconds = d->cfg.audit_retention_min_seconds,
    };
    if ((rc = core_new(d->store, clock_system(), policy, &cc, &d->core)) != 0) {
        log_error("core: cannot start error=%s", lb_strerror(rc));
        goto out;
    }
    core_set_audit_signer(d->core, d->audit_signer);
    if ((rc = core_bootstrap(d->core, write_token, d->cfg.data_dir, &created)) != 0) {
        log_error("bootstrap: cannot create the admin%s error=%s",
                  rc == LB_ENOSPC ? ": the data folder's disk is full" : "", lb_strerror(rc));
        goto out;
    }
    if (created)
        log_info("bootstrap: created user=admin token_file=%s/bootstrap-token", d->cfg.data_dir);
    warn_unscoped_tenants(d->store);
    /* from here on, other nodes' changes reach this one's memory */
    if ((rc = core_changes_start(d->core, d->cfg.store_resync_seconds * 1000)) != 0) {
        log_error("store: cannot listen for other nodes' changes error=%s", lb_strerror(rc));
        goto out;
    }
    /* Deadlines that passed while we were down are settled before the first request is
     * served, so no client ever reads a request that should have expired. */
    int64_t next_deadline = 0;
    if ((rc = core_run_due(d->core, &next_deadline)) != 0) {
        log_error("scheduler: cannot catch up on deadlines error=%s", lb_strerror(rc));
        goto out;
    }
    if ((rc = start_notifications(d)) != 0 || (rc = start_syslog(d)) != 0)
        goto out;
    /* the event hub hears of commits before anything (the scheduler first) makes them */
    struct event_hub_config ec = {.heartbeat_ms = d->cfg.events_heartbeat_seconds * 1000,
                                  .client_buffer = (size_t)d->cfg.events_client_buffer_bytes};
    if ((rc = event_hub_new(d->core, &ec, &d->events)) != 0 ||
        (rc = event_hub_start(d->events)) != 0) {
        log_error("events: cannot start error=%s", lb_strerror(rc));
        goto out;
    }
    core_set_events_hook(d->core, event_hub_wake, d->events);
    if ((rc = scheduler_start(d->core, &d->scheduler)) != 0)
        goto out;
    if ((rc = core_denials_start(d->core)) != 0) {
        log_error("audit: cannot start the denial writer error=%s", lb_strerror(rc));
        goto out;
    }
    core_set_deadline_hook(d->core, scheduler_wake, d->scheduler);
    struct checkpointer_config kc = {.every = d->cfg.audit_checkpoint_every,
                                     .max_age = d->cfg.audit_checkpoint_seconds,
                                     .verify_every = d->cfg.audit_verify_seconds};
    if ((rc = checkpointer_start(d->core, d->store, d->audit_signer, &kc, &d->checkpointer)) != 0) {
        log_error("audit: cannot start the checkpoint signer error=%s", lb_strerror(rc));
        goto out;
    }
    d->proxies = split_commas(d->cfg.trusted_proxies, &d->proxy_count);
    struct http_config hc = {.listen = d->cfg.listen,
                             .listen_fd = d->listen_fd,
                             .readyz_warning = d->as_root ? ROOT_WARNING : NULL,
                             .threads = (unsigned)d->cfg.threads,
                             .workers = (unsigned)d->cfg.workers,
                             .trusted_proxies = d->proxies,
                             .trusted_proxy_count = d->proxy_count,
                             .secure_cookies = strncmp(d->cfg.public_url, "https://", 8) == 0,
                             .tls_cert = d->cfg.tls_cert,
                             .tls_key = d->cfg.tls_key,
                             .max_connections = (unsigned)d->cfg.max_connections,
                             .max_connections_per_ip = (unsigned)d->cfg.max_connections_per_ip,
                             .header_timeout_ms = (unsigned)d->cfg.header_timeout_ms,
                             .queue_limit = (unsigned)d->cfg.queue_limit,
                             .rate_per_second = d->cfg.rate_per_second,
                             .rate_burst = d->cfg.rate_burst,
                             .events = d->events};
    d->listen_fd = -1; /* the server's now, started or not */
    if ((rc = http_server_start(&hc, d->core, &d->http, &err)) != 0) {
        log_error("http: %s", buf_cstr(&err));
        goto out;
    }
    if (*d->cfg.tls_cert) {
        http_server_describe_tls(d->http, &err);
        log_info("tls: serving cert=%s %s", d->cfg.tls_cert, buf_cstr(&err));
    }
    /* the port bound, not the one asked for: port 0 takes any (listen is HOST:PORT) */
    port_at = strrchr(d->cfg.listen, ':');
    host_len = port_at ? (int)(port_at - d->cfg.listen) : (int)strlen(d->cfg.listen);
    log_info("lockboxd listening url=%s://%.*s:%u port=%u data=%s grants=%zu",
             *d->cfg.tls_cert ? "https" : "http", host_len, d->cfg.listen,
             (unsigned)http_server_port(d->http), (unsigned)http_server_port(d->http),
             d->cfg.data_dir, core_grant_count(d->core));
out:
    buf_release(&err);
    return rc;
}

static void daemon_stop(struct daemon *d)
{
    http_server_stop(d->http, (int)d->cfg.shutdown_grace_ms);
    if (d->core)
        core_changes_stop(d->core);
    if (d->core)
        core_set_deadline_hook(d->core, NULL, NULL);
    scheduler_stop(d->scheduler);
    checkpointer_stop(d->checkpointer);
    if (d->core)
        core_set_events_hook(d->core, NULL, NULL);
    event_hub_free(d->events);
    if (d->core)
        core_set_outbox_hook(d->core, NULL, NULL);
    notify_dispatcher_stop(d->dispatcher);
    notify_syslog_stop(d->syslog);
    core_free(d->core);
    store_close(d->store);
    seal_free(d->seal);
    audit_signer_free(d->audit_signer);
    strv_free(d->proxies, d->proxy_count);
    if (d->lock_fd >= 0)
        close(d->lock_fd);
    if (d->listen_fd >= 0)
        close(d->listen_fd);
    config_release(&d->cfg);
}

static void reload_policy(struct daemon *d)
{
    struct policy *p = NULL;

    if (!*d->cfg.policy_file) {
        log_info("policy: SIGHUP without a policy file; keeping the built-in policy");
        return;
    }
    if (load_policy(&d->cfg, &p) != 0) {
        log_error("policy: reload failed; keeping the current policy");
        return;
    }
    core_policy_swap(d->core, p);
    log_info("policy: reloaded file=%s", d->cfg.policy_file);
}

/* New handshakes get the certificate and key as the files now hold them; connections open
 * keep theirs. A pair that does not load leaves the current one served. */
static void reload_tls(struct daemon *d)
{
    struct buf info = BUF_INIT, err = BUF_INIT;
    bool changed = false;

    if (!*d->cfg.tls_cert)
        return;
    if (http_server_reload_tls(d->http, &changed, &info, &err) != 0)
        log_error("tls: reload failed; keeping the current certificate error=\"%s\"",
                  buf_cstr(&err));
    else if (changed)
        log_info("tls: reloaded cert=%s %s", d->cfg.tls_cert, buf_cstr(&info));
    else
        log_info("tls: unchanged cert=%s %s", d->cfg.tls_cert, buf_cstr(&info));
    buf_release(&info);
    buf_release(&err);
}

int main(int argc, char **argv)
{
    struct daemon d = {.lock_fd = -1, .listen_fd = -1};
    bool dump = false;
    sigset_t set;
    int rc, sig = 0, level;

    /* the store, its -wal and -shm, the keys and the token are for lockboxd's user alone,
     * whichever command makes them: `verify` and `audit-key` open the store too */
    umask(077);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    /* such a build hashes passwords at the lowest cost (core/identity.h) */
    fprintf(stderr, "lockboxd: built for fuzzing (-DLB_FUZZ=ON): not for use\n");
    return 1;
#endif
    /* a command of its own, with its own arguments */
    if (argc > 1 && strcmp(argv[1], "migrate") == 0)
        return migrate_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "verify") == 0)
        return verify_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "audit-key") == 0)
        return audit_key_main(argc - 1, argv + 1);
    rc = parse_args(argc, argv, &d.cfg, &dump);
    if (rc) {
        config_release(&d.cfg);
        return rc < 0 ? 0 : EXIT_USAGE;
    }
    if (dump) {
        config_dump(&d.cfg, stdout);
        config_release(&d.cfg);
        return 0;
    }
    if ((level = log_level_parse(d.cfg.log_level)) < 0) {
        fprintf(stderr, "lockboxd: log_level: must be error, warn, info or debug\n");
        config_release(&d.cfg);
        return EXIT_USAGE;
    }
    log_set_level((enum log_level)level);
    if (sodium_init() < 0 || oath_init() != OATH_OK) {
        fprintf(stderr, "lockboxd: cannot initialise the crypto libraries\n");
        return 1;
    }
    /* signals are taken synchronously by this thread; every other thread inherits the mask */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (daemon_start(&d) != 0) {
        daemon_stop(&d);
        oath_done();
        return 1;
    }
    while (sigwait(&set, &sig) == 0 && sig == SIGHUP) {
        reload_policy(&d);
        reload_tls(&d);
    }
    log_info("lockboxd stopping signal=%d", sig);
    daemon_stop(&d);
    oath_done();
    log_info("lockboxd stopped");
    return 0;
}
