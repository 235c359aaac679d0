/*
 * pam_lockbox.c - the PAM module: an operator reaches this host only under an approved Lockbox
 * grant for it (docs/man/pam_lockbox.8 is the administrator's contract).
 *
 * `account` asks lockboxd (POST /api/v1/access/check as the enforcer, door "pam") whether the
 * PAM user may reach this host's resource at the level: PAM_SUCCESS while a grant allows it,
 * PAM_IGNORE for a user outside only_group, PAM_PERM_DENIED for everything else (fail closed:
 * no answer, a slow one, a refusal, a bad token file, a bad argument, no memory), with one line
 * to the user through the conversation and the reason in syslog (LOG_AUTHPRIV). `session`
 * registers the session for lockbox-agent (pam_session.h) and records session.open and
 * session.close under the grant's request; a failure to register or record denies the session.
 * The module never exits, prints or aborts; every error becomes a PAM code. It keeps no state
 * of its own between calls except what it hands to later stages of the same handle through
 * pam_set_data, so it is as thread-safe as the application's use of its PAM handles.
 */
#include "lockbox/lockbox.h"
#include "pam/pam_args.h"
#include "pam/pam_session.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <syslog.h>
#include <unistd.h>

#include "util/banned.h"

/* The door named in the access check, so lockboxd audits a denial with it. */
#define DOOR "pam"
/* A token file holds one token; anything longer is not one. */
#define TOKEN_MAX 1024
/* What the account stage hands to the session stage, and open to close (pam_set_data). */
#define DATA_GRANT "pam_lockbox_grant"
#define DATA_SESSION "pam_lockbox_session"

/* Where one stage stands after looking at its arguments and its user. */
enum outcome { GO, IGNORE, DENY };

/* One call of the module. */
struct stage {
    pam_handle_t *pamh;
    int flags;
    struct pam_args args;
    const char *user;
    struct buf resource; /* the resource id of this host, %h/%H expanded */
    char host[HOST_NAME_MAX + 1];
    bool said; /* the user was told why already */
};

/* An allowing answer, for the later stages of the same handle. */
struct grant {
    char user[256];
    char request_id[sizeof(((struct lockbox_check_result *)0)->request_id)];
    int64_t ends_at;
    long pid; /* the session's, once opened */
};

static void stage_release(struct stage *st)
{
    buf_release(&st->resource);
}

/* The one line the user sees, through the application's conversation (none with PAM_SILENT). */
static void say(struct stage *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct stage *st, const char *fmt, ...)
{
    va_list ap;

    st->said = true;
    if (st->flags & PAM_SILENT)
        return;
    va_start(ap, fmt);
    (void)pam_verror(st->pamh, fmt, ap);
    va_end(ap);
}

/* A line to syslog, facility LOG_AUTHPRIV. */
static void note(struct stage *st, int priority, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note(struct stage *st, int priority, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    pam_vsyslog(st->pamh, LOG_AUTHPRIV | priority, fmt, ap);
    va_end(ap);
}

static const char *item_str(pam_handle_t *pamh, int type)
{
    const void *v = NULL;

    if (pam_get_item(pamh, type, &v) != PAM_SUCCESS || !v || !*(const char *)v)
        return NULL;
    return v;
}

/* getpwnam_r and getgrnam_r with a buffer that grows until the entry fits. */
static int lookup_user(const char *name, struct passwd *pw, char **mem)
{
    struct passwd *found = NULL;
    size_t size = 1024;
    int e;

    for (;;) {
        if (!(*mem = lb_malloc(size)))
            return LB_ENOMEM;
        e = getpwnam_r(name, pw, *mem, size, &found);
        if (e != ERANGE || size >= (1u << 20))
            break;
        lb_free(*mem);
        size *= 2;
    }
    if (!e && found)
        return LB_OK;
    lb_free(*mem);
    *mem = NULL;
    return e ? LB_EIO : LB_ENOTFOUND;
}

static int lookup_group(const char *name, struct group *gr, char **mem)
{
    struct group *found = NULL;
    size_t size = 1024;
    int e;

    for (;;) {
        if (!(*mem = lb_malloc(size)))
            return LB_ENOMEM;
        e = getgrnam_r(name, gr, *mem, size, &found);
        if (e != ERANGE || size >= (1u << 20))
            break;
        lb_free(*mem);
        size *= 2;
    }
    if (!e && found)
        return LB_OK;
    lb_free(*mem);
    *mem = NULL;
    return e ? LB_EIO : LB_ENOTFOUND;
}

/* Whether user is a member of group (its primary group, or a supplementary one). */
static int group_member(struct stage *st, const char *user, const char *group, bool *member)
{
    struct passwd pw;
    struct group gr;
    char *pw_mem = NULL, *gr_mem = NULL;
    gid_t *gids = NULL;
    int count = 16, rc;

    *member = false;
    if ((rc = lookup_group(group, &gr, &gr_mem)) != LB_OK) {
        note(st, LOG_ERR, "only_group=%s: %s", group,
             rc == LB_ENOTFOUND ? "no such group" : "cannot read the group database");
        goto out;
    }
    if ((rc = lookup_user(user, &pw, &pw_mem)) != LB_OK) {
        note(st, LOG_ERR, "user %s: %s", user,
             rc == LB_ENOTFOUND ? "no such user" : "cannot read the user database");
        goto out;
    }
    for (;;) {
        int want = count;

        rc = LB_ENOMEM;
        if (!(gids = lb_calloc((size_t)count, sizeof(*gids))))
            goto out;
        if (getgrouplist(user, pw.pw_gid, gids, &want) >= 0) {
            count = want;
            break;
        }
        lb_free(gids);
        gids = NULL;
        if (want <= count || want > 65536) {
            note(st, LOG_ERR, "cannot list the groups of user %s", user);
            rc = LB_EIO;
            goto out;
        }
        count = want;
    }
    for (int i = 0; i < count; i++)
        if (gids[i] == gr.gr_gid)
            *member = true;
    rc = LB_OK;
out:
    if (rc == LB_ENOMEM)
        note(st, LOG_CRIT, "out of memory");
    lb_free(gids);
    lb_free(pw_mem);
    lb_free(gr_mem);
    return rc;
}

/* The common start of every stage: arguments, user, only_group, this host's resource id. */
static enum outcome stage_begin(struct stage *st, pam_handle_t *pamh, int flags, int argc,
                                const char **argv)
{
    struct buf err = BUF_INIT, short_host = BUF_INIT, full_host = BUF_INIT;
    enum outcome out = DENY;
    bool member = false;
    int rc;

    memset(st, 0, sizeof(*st));
    st->pamh = pamh;
    st->flags = flags;
    buf_init(&st->resource, 0);
    if (pam_args_parse(argc, argv, &st->args, &err) != LB_OK) {
        note(st, LOG_ERR, "bad module arguments (%s): every user is denied",
             buf_ok(&err) ? buf_cstr(&err) : "out of memory");
        say(st, "Lockbox is not set up right on this host: access denied");
        goto out;
    }
    if (!(st->user = item_str(pamh, PAM_USER))) {
        note(st, LOG_ERR, "no PAM user: denied");
        goto out;
    }
    if (st->args.only_group) {
        if (group_member(st, st->user, st->args.only_group, &member) != LB_OK)
            goto out;
        if (!member) {
            out = IGNORE;
            goto out;
        }
    }
    if (gethostname(st->host, sizeof(st->host)) != 0)
        st->host[0] = '\0';
    st->host[sizeof(st->host) - 1] = '\0';
    rc = pam_args_host_names(pam_args_wants_full_host(st->args.resource), &short_host, &full_host,
                             &err);
    if (rc == LB_OK)
        rc = pam_args_expand(st->args.resource, buf_cstr(&short_host), buf_cstr(&full_host),
                             &st->resource, &err);
    if (rc != LB_OK) {
        note(st, LOG_ERR, "resource=%s: %s: denied", st->args.resource,
             rc == LB_ENOMEM || !buf_ok(&err) ? "out of memory" : buf_cstr(&err));
        say(st, "Lockbox could not name this host: access denied");
        goto out;
    }
    out = GO;
out:
    buf_release(&err);
    buf_release(&short_host);
    buf_release(&full_host);
    return out;
}

/* The token of token_file, refused unless the file is root's, regular, and neither readable
 * nor writable by group or others; *token (lb_free after wiping) on success. */
static int read_token(struct stage *st, char **token)
{
    const char *path = st->args.token_file;
    char data[TOKEN_MAX + 2];
    size_t len = 0, end;
    struct stat sb;
    ssize_t n;
    int fd, rc = LB_EINVAL;

    *token = NULL;
    /* O_NONBLOCK: a FIFO put there must not hang the login (it is refused below) */
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK)) < 0) {
        note(st, LOG_ERR, "token_file=%s: %s: denied", path, strerror(errno));
        return LB_EIO;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_uid != 0 ||
        (sb.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH))) {
        note(st, LOG_ERR,
             "token_file=%s: must be a regular file owned by root, neither readable nor "
             "writable by group or others: denied",
             path);
        goto out;
    }
    while (len < sizeof(data) - 1 && (n = read(fd, data + len, sizeof(data) - 1 - len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            note(st, LOG_ERR, "token_file=%s: %s: denied", path, strerror(errno));
            rc = LB_EIO;
            goto out;
        }
        len += (size_t)n;
    }
    data[len] = '\0';
    /* one line, the token, and nothing after it but blanks */
    end = strcspn(data, "\r\n");
    if (data[end + strspn(data + end, " \t\r\n")] != '\0')
        end = 0;
    while (end > 0 && (data[end - 1] == ' ' || data[end - 1] == '\t'))
        end--;
    data[end] = '\0';
    if (len > TOKEN_MAX || end == 0 ||
        strspn(data, "!\"#$%&'()*+,-./0123456789:;<=>?@"
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
                     "abcdefghijklmnopqrstuvwxyz{|}~") != end) {
        note(st, LOG_ERR, "token_file=%s: does not hold one token: denied", path);
        goto out;
    }
    rc = LB_ENOMEM;
    if (!(*token = lb_strndup(data, end))) {
        note(st, LOG_CRIT, "out of memory");
        goto out;
    }
    rc = LB_OK;
out:
    explicit_bzero(data, sizeof(data));
    close(fd);
    return rc;
}

/*
 * libcurl's one-time global initialisation (its OpenSSL flavour) opens the file $SSLKEYLOGFILE
 * names, creating it, to append TLS secrets to. In su or sudo the module runs as root with its
 * caller's environment: a user could have root create any file (an /etc/nologin) or read the
 * secrets of the enforcer's TLS sessions. So the variable is hidden while libcurl initialises,
 * once per process (the module stays loaded, -z nodelete), and put back.
 */
static pthread_mutex_t client_lock = PTHREAD_MUTEX_INITIALIZER;
static bool client_ready;

static int client_init(void)
{
    const char *v;
    char *saved = NULL;
    int rc = LOCKBOX_OK;

    pthread_mutex_lock(&client_lock);
    if (client_ready)
        goto out;
    if ((v = getenv("SSLKEYLOGFILE")) != NULL) {
        if (!(saved = lb_strdup(v))) {
            rc = LOCKBOX_ENOMEM;
            goto out;
        }
        unsetenv("SSLKEYLOGFILE");
    }
    rc = lockbox_global_init();
    if (saved)
        (void)setenv("SSLKEYLOGFILE", saved, 1);
    client_ready = rc == LOCKBOX_OK;
out:
    pthread_mutex_unlock(&client_lock);
    lb_free(saved);
    return rc;
}

/* A handle on lockboxd with the enforcer's token, each call bounded by timeout_ms. */
static int open_lockbox(struct stage *st, struct lockbox **lb)
{
    struct lockbox_options opt = {.url = st->args.url,
                                  .ca_file = st->args.ca_file,
                                  .connect_timeout_ms = st->args.timeout_ms,
                                  .timeout_ms = st->args.timeout_ms,
                                  .allow_plain_http = st->args.allow_http};
    char *token = NULL;
    int rc;

    *lb = NULL;
    if ((rc = read_token(st, &token)) != LB_OK)
        return rc;
    if ((rc = client_init()) != LOCKBOX_OK) {
        explicit_bzero(token, strlen(token));
        lb_free(token);
        note(st, LOG_CRIT, "cannot initialise the HTTP client: %s: denied", lockbox_strerror(rc));
        return LB_ENOMEM;
    }
    opt.token = token;
    rc = lockbox_new(&opt, lb);
    explicit_bzero(token, strlen(token));
    lb_free(token);
    if (rc == LOCKBOX_EPLAINHTTP)
        note(st, LOG_ERR,
             "refusing plain http:// to %s, which is not this host (the token would cross the "
             "network in clear): use https://, or add allow_http=yes: denied",
             st->args.url);
    else if (rc != LOCKBOX_OK)
        note(st, LOG_ERR, "cannot set up the client of %s: %s: denied", st->args.url,
             lockbox_strerror(rc));
    return rc == LOCKBOX_OK ? LB_OK : rc == LOCKBOX_ENOMEM ? LB_ENOMEM : LB_EINVAL;
}

/* Why a call to lockboxd gave no answer to go by, to syslog. */
static void note_call_failure(struct stage *st, const char *what, int rc,
                              const struct lockbox_reply *r)
{
    switch (rc) {
    case LOCKBOX_EUNREACHABLE:
        /* not a timeout: the certificate is not trusted, or ca_file cannot be used */
        if (r->detail && strstr(r->detail, "certificate"))
            note(st, LOG_ERR, "%s: no TLS connection to %s (%s; see ca_file=): denied", what,
                 st->args.url, r->detail);
        else
            note(st, LOG_ERR, "%s: no answer from %s within %ld ms (%s): denied", what,
                 st->args.url, st->args.timeout_ms, r->detail ? r->detail : "no detail");
        break;
    case LOCKBOX_EREFUSED:
        note(st, LOG_ERR, "%s: lockboxd refused (HTTP %ld %s: %s): denied", what, r->status,
             r->code ? r->code : "", r->detail ? r->detail : "");
        break;
    case LOCKBOX_EPROTOCOL:
        note(st, LOG_ERR, "%s: the answer of %s is not the Lockbox API's (HTTP %ld): denied", what,
             st->args.url, r->status);
        break;
    default:
        note(st, LOG_ERR, "%s: %s: denied", what, lockbox_strerror(rc));
        break;
    }
}

/* Asks lockboxd; LB_OK with *allowed and the grant filled, or an error (logged). */
static int check_access(struct stage *st, struct lockbox *lb, bool *allowed, struct grant *g)
{
    struct lockbox_check_result res;
    struct lockbox_reply r = {0};
    int rc;

    *allowed = false;
    rc = lockbox_check_at(lb, DOOR, st->user, buf_cstr(&st->resource), st->args.level, &res, &r);
    if (rc != LOCKBOX_OK) {
        note_call_failure(st, "access check", rc, &r);
        lockbox_reply_clear(&r);
        return rc == LOCKBOX_ENOMEM ? LB_ENOMEM : LB_EIO;
    }
    lockbox_reply_clear(&r);
    if (!res.allowed) {
        note(st, LOG_NOTICE,
             "denied user=%s resource=%s level=%s: no approved Lockbox request covers it", st->user,
             buf_cstr(&st->resource), st->args.level);
        say(st, "no approved Lockbox request covers %s for %s", buf_cstr(&st->resource),
            st->args.level);
        return LB_OK;
    }
    if (!res.request_id[0] || strlen(st->user) >= sizeof(g->user)) {
        note(st, LOG_ERR, "access check: an allowing answer without its request: denied");
        return LB_EIO;
    }
    memset(g, 0, sizeof(*g));
    memcpy(g->user, st->user, strlen(st->user) + 1);
    memcpy(g->request_id, res.request_id, sizeof(g->request_id));
    g->ends_at = res.ends_at;
    *allowed = true;
    return LB_OK;
}

static void free_data(pam_handle_t *pamh, void *data, int status)
{
    (void)pamh, (void)status;
    lb_free(data);
}

/* Hands a copy of g to the later stages of this handle under name. */
static void keep(struct stage *st, const char *name, const struct grant *g)
{
    struct grant *copy = lb_malloc(sizeof(*copy));

    if (!copy)
        return; /* the later stage asks again */
    *copy = *g;
    if (pam_set_data(st->pamh, name, copy, free_data) != PAM_SUCCESS)
        lb_free(copy);
}

/* What an earlier stage of this handle kept under name for this user, or NULL. */
static const struct grant *kept(struct stage *st, const char *name)
{
    const void *v = NULL;
    const struct grant *g;

    if (pam_get_data(st->pamh, name, &v) != PAM_SUCCESS || !v)
        return NULL;
    g = v;
    return strcmp(g->user, st->user) == 0 ? g : NULL;
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct stage st;
    struct lockbox *lb = NULL;
    struct grant g = {0};
    bool allowed = false;
    int ret = PAM_PERM_DENIED;

    switch (stage_begin(&st, pamh, flags, argc, argv)) {
    case IGNORE:
        ret = PAM_IGNORE;
        goto out;
    case DENY:
        goto out;
    case GO:
        break;
    }
    if (open_lockbox(&st, &lb) != LB_OK || check_access(&st, lb, &allowed, &g) != LB_OK || !allowed)
        goto out;
    note(&st, LOG_INFO, "allowed user=%s resource=%s level=%s request=%s", st.user,
         buf_cstr(&st.resource), st.args.level, g.request_id);
    keep(&st, DATA_GRANT, &g);
    ret = PAM_SUCCESS;
out:
    if (ret == PAM_PERM_DENIED && !st.said)
        say(&st, "Lockbox could not check access%s%s: access denied", st.resource.len ? " to " : "",
            buf_cstr(&st.resource));
    lockbox_free(lb);
    stage_release(&st);
    return ret;
}

/* The session as the agent and the audit log see it. */
static void describe(struct stage *st, const struct grant *g, struct pam_session *s)
{
    memset(s, 0, sizeof(*s));
    s->request_id = g->request_id;
    s->user = st->user;
    s->resource = buf_cstr(&st->resource);
    s->level = st->args.level;
    s->service = item_str(st->pamh, PAM_SERVICE);
    if (!s->service)
        s->service = "";
    s->host = st->host;
    s->tty = item_str(st->pamh, PAM_TTY);
    s->rhost = item_str(st->pamh, PAM_RHOST);
    s->pid = g->pid;
    s->sid = (long)getsid(0);
    s->opened_at = time_now();
    s->ends_at = g->ends_at;
}

/* Records session.open or session.close under the grant's request. */
static int record(struct stage *st, struct lockbox *lb, const struct pam_session *s,
                  const char *activity)
{
    struct lockbox_reply r = {0};
    char *details = NULL;
    int rc;

    if (pam_session_details_json(s, &details) != LB_OK) {
        note(st, LOG_CRIT, "out of memory");
        return LB_ENOMEM;
    }
    rc = lockbox_activity_record(lb, s->request_id, activity, s->resource, details, &r);
    if (rc != LOCKBOX_OK)
        note_call_failure(st, activity, rc, &r);
    lockbox_reply_clear(&r);
    lb_free(details);
    return rc == LOCKBOX_OK ? LB_OK : rc == LOCKBOX_ENOMEM ? LB_ENOMEM : LB_EIO;
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct stage st;
    struct lockbox *lb = NULL;
    struct pam_session s;
    struct buf err = BUF_INIT;
    const struct grant *earlier;
    struct grant g = {0};
    bool allowed = false, registered = false;
    int ret = PAM_SESSION_ERR;

    switch (stage_begin(&st, pamh, flags, argc, argv)) {
    case IGNORE:
        ret = PAM_IGNORE;
        goto out;
    case DENY:
        goto out;
    case GO:
        break;
    }
    if (open_lockbox(&st, &lb) != LB_OK)
        goto out;
    /* the account stage's answer, or the same question asked again */
    if ((earlier = kept(&st, DATA_GRANT)) != NULL) {
        g = *earlier;
    } else if (check_access(&st, lb, &allowed, &g) != LB_OK || !allowed) {
        goto out;
    }
    g.pid = (long)getpid();
    describe(&st, &g, &s);
    if (pam_session_dir_prepare(st.args.session_dir, &err) != LB_OK ||
        pam_session_register(st.args.session_dir, &s, &err) != LB_OK) {
        note(&st, LOG_ERR, "cannot register the session of user %s: %s: denied", st.user,
             buf_ok(&err) ? buf_cstr(&err) : "out of memory");
        goto out;
    }
    registered = true;
    if (record(&st, lb, &s, "session.open") != LB_OK)
        goto out;
    note(&st, LOG_INFO, "session opened user=%s resource=%s request=%s pid=%ld", st.user,
         s.resource, s.request_id, s.pid);
    keep(&st, DATA_SESSION, &g);
    ret = PAM_SUCCESS;
out:
    if (ret == PAM_SESSION_ERR && registered &&
        pam_session_unregister(st.args.session_dir, g.pid, NULL) != LB_OK)
        note(&st, LOG_ERR, "cannot remove the session file of pid %ld", g.pid);
    if (ret == PAM_SESSION_ERR && !st.said)
        say(&st, "Lockbox could not open a session%s%s: access denied",
            st.resource.len ? " on " : "", buf_cstr(&st.resource));
    lockbox_free(lb);
    buf_release(&err);
    stage_release(&st);
    return ret;
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct stage st;
    struct lockbox *lb = NULL;
    struct pam_session s;
    struct buf err = BUF_INIT;
    const struct grant *opened;
    struct grant g = {0};
    int ret = PAM_SESSION_ERR, rc;

    switch (stage_begin(&st, pamh, flags, argc, argv)) {
    case IGNORE:
        ret = PAM_IGNORE;
        goto out;
    case DENY:
        goto out;
    case GO:
        break;
    }
    /* the session open kept, or the one this process registered */
    if ((opened = kept(&st, DATA_SESSION)) != NULL) {
        g = *opened;
    } else {
        g.pid = (long)getpid();
        rc = pam_session_request_id(st.args.session_dir, g.pid, g.request_id, sizeof(g.request_id),
                                    &err);
        if (rc == LB_ENOTFOUND) {
            ret = PAM_IGNORE; /* no session of ours */
            goto out;
        }
        if (rc != LB_OK) {
            note(&st, LOG_ERR, "session close: %s",
                 buf_ok(&err) ? buf_cstr(&err) : "out of memory");
            goto out;
        }
    }
    ret = PAM_SUCCESS;
    rc = pam_session_unregister(st.args.session_dir, g.pid, &err);
    if (rc != LB_OK && rc != LB_ENOTFOUND) {
        note(&st, LOG_ERR, "session close: %s", buf_ok(&err) ? buf_cstr(&err) : "out of memory");
        ret = PAM_SESSION_ERR;
    }
    /* recorded when it can be: after a revoke or the grant's end there is no grant to record
     * it under, and the session is over all the same */
    describe(&st, &g, &s);
    if (open_lockbox(&st, &lb) == LB_OK && record(&st, lb, &s, "session.close") == LB_OK)
        note(&st, LOG_INFO, "session closed user=%s resource=%s request=%s pid=%ld", st.user,
             s.resource, s.request_id, s.pid);
out:
    lockbox_free(lb);
    buf_release(&err);
    stage_release(&st);
    return ret;
}
