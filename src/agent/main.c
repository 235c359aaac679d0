/* lockbox-agent: ends this host's login sessions when their Lockbox grant ends (agent.h). */
#include "agent/agent.h"
#include "lockbox/lockbox.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/banned.h"

#define EXIT_USAGE 2
#define TOKEN_MAX 512
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000

struct options {
    const char *url, *token_file, *session_dir, *ca_file, *host, *log_level;
    long grace_ms, idle_timeout_ms;
    bool allow_http; /* plain http:// to a host that is not loopback */
};

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: lockbox-agent --url URL --token-file FILE [--session-dir DIR] [--ca-file FILE]\n"
        "                     [--allow-http] [--host NAME] [--grace-ms N] [--idle-timeout-ms N]\n"
        "                     [--log-level LEVEL] [--help] [--version]\n\n"
        "Follows Lockbox's event stream with an enforcer's token and ends the login sessions\n"
        "of this host (registered by pam_lockbox) whose grant is revoked or ends: SIGHUP, then\n"
        "SIGKILL after a grace, to the session's processes; each is recorded as the operator\n"
        "action session.terminated. See lockbox-agent(8).\n\n"
        "  --url URL            lockboxd's base URL (required)\n"
        "  --token-file FILE    a file holding an enforcer's token; owned by root, mode 0600\n"
        "                       or 0400 (required)\n"
        "  --session-dir DIR    the session registry (default /run/lockbox/sessions)\n"
        "  --ca-file FILE       a PEM bundle to verify lockboxd's certificate with\n"
        "  --allow-http         allow a plain http:// URL to a host that is not loopback\n"
        "                       (refused by default: the token would cross the network in clear)\n"
        "  --host NAME          this host's name in the records (default: the host name)\n"
        "  --grace-ms N         from SIGHUP to SIGKILL (default 2000)\n"
        "  --idle-timeout-ms N  a stream silent this long (no heartbeat) is lost and resumed\n"
        "                       (default 60000; keep it above lockboxd's heartbeat)\n"
        "  --log-level LEVEL    error, warn, info or debug (default info)\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
    static const struct option longs[] = {
        {"url", required_argument, NULL, 'u'},
        {"token-file", required_argument, NULL, 't'},
        {"session-dir", required_argument, NULL, 's'},
        {"ca-file", required_argument, NULL, 'c'},
        {"allow-http", no_argument, NULL, 'a'},
        {"host", required_argument, NULL, 'H'},
        {"grace-ms", required_argument, NULL, 'g'},
        {"idle-timeout-ms", required_argument, NULL, 'i'},
        {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    char *end;
    int c;

    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'u':
            o->url = optarg;
            break;
        case 't':
            o->token_file = optarg;
            break;
        case 's':
            o->session_dir = optarg;
            break;
        case 'c':
            o->ca_file = optarg;
            break;
        case 'a':
            o->allow_http = true;
            break;
        case 'H':
            o->host = optarg;
            break;
        case 'g':
        case 'i': {
            long v = strtol(optarg, &end, 10);
            if (*end || v < (c == 'g' ? 0 : 1000) || v > 3600000) {
                fprintf(stderr, "lockbox-agent: --%s: a number of milliseconds (%s to 3600000)\n",
                        c == 'g' ? "grace-ms" : "idle-timeout-ms", c == 'g' ? "0" : "1000");
                return EXIT_USAGE;
            }
            *(c == 'g' ? &o->grace_ms : &o->idle_timeout_ms) = v;
            break;
        }
        case 'l':
            o->log_level = optarg;
            break;
        case 'h':
            usage(stdout);
            return -1;
        case 'V':
            printf("lockbox-agent %s\n", LOCKBOX_VERSION);
            return -1;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc || !o->url || !o->token_file) {
        fprintf(stderr, "lockbox-agent: --url and --token-file are required (see --help)\n");
        return EXIT_USAGE;
    }
    return 0;
}

/* Reads the token: the file must be a regular file owned by root that nobody else may read or
 * write (a token that others can read is no secret), holding the token on its first line. */
static int read_token_file(const char *path, char token[TOKEN_MAX])
{
    struct stat st;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

    if (fd < 0) {
        log_error("agent: cannot open token_file=%s: %s", path, strerror(errno));
        return LB_EIO;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077)) {
        log_error("agent: token_file=%s refused: it must be a regular file owned by root, with "
                  "no access for group or others (chown root; chmod 600)",
                  path);
        close(fd);
        return LB_EINVAL;
    }
    n = read(fd, token, TOKEN_MAX - 1);
    close(fd);
    if (n <= 0) {
        log_error("agent: token_file=%s is empty", path);
        return LB_EINVAL;
    }
    token[n] = '\0';
    token[strcspn(token, "\r\n")] = '\0';
    if (!*token || strpbrk(token, " \t")) {
        log_error("agent: token_file=%s does not hold a token on its first line", path);
        return LB_EINVAL;
    }
    return 0;
}

/* ---- following the stream (its own thread and handle) ---- */

struct follower {
    struct lockbox *lb;
    struct agent *agent;
    long idle_timeout_ms;
    atomic_bool stop;
    char last_id[64]; /* the last event handed to the agent: the stream resumes after it */
    bool got;         /* an event came on this connection */
};

/* A --ca-file that cannot be read is a mistake to say at start: libcurl would fail each
 * connection ("error setting certificate file") and the agent retry for ever, protecting nothing.
 */
static int check_ca_file(const char *path)
{
    struct stat st;
    int fd;

    if (!path)
        return 0;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        log_error("agent: cannot read ca_file=%s: %s", path, strerror(errno));
        return LB_EIO;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        log_error("agent: ca_file=%s is not a file", path);
        close(fd);
        return LB_EINVAL;
    }
    close(fd);
    return 0;
}

static int on_event(void *ctx, const struct lockbox_event *ev)
{
    struct follower *f = ctx;

    f->got = true;
    agent_event(f->agent, ev->type, ev->data);
    snprintf(f->last_id, sizeof(f->last_id), "%s", ev->id);
    return atomic_load(&f->stop) ? 1 : 0;
}

static int on_tick(void *ctx)
{
    struct follower *f = ctx;

    return atomic_load(&f->stop) ? 1 : 0;
}

static void pause_ms(struct follower *f, long ms)
{
    for (long waited = 0; waited < ms && !atomic_load(&f->stop); waited += 100)
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
}

static void *follow_main(void *arg)
{
    struct follower *f = arg;
    long backoff = BACKOFF_MIN_MS;

    while (!atomic_load(&f->stop)) {
        struct lockbox_reply reply = {0};
        struct lockbox_follow_options o = {.last_event_id = f->last_id[0] ? f->last_id : NULL,
                                           .idle_timeout_ms = f->idle_timeout_ms,
                                           .on_event = on_event,
                                           .on_tick = on_tick,
                                           .ctx = f};
        int64_t started = time_mono_us();
        int rc;

        f->got = false;
        log_info("agent: following the event stream after=%s", f->last_id[0] ? f->last_id : "now");
        rc = lockbox_events_follow(f->lb, &o, &reply);
        if (atomic_load(&f->stop)) {
            lockbox_reply_clear(&reply);
            break;
        }
        if (f->got || time_mono_us() - started > 10 * 1000000LL)
            backoff = BACKOFF_MIN_MS;
        if (rc == LOCKBOX_EREFUSED && (reply.status == 401 || reply.status == 403))
            backoff = BACKOFF_MAX_MS;
        log_warn("agent: the event stream was lost (%s%s%s); resuming in %ld ms, and checking "
                 "every session",
                 lockbox_strerror(rc), reply.detail ? ": " : "", reply.detail ? reply.detail : "",
                 backoff);
        lockbox_reply_clear(&reply);
        /* events may have been missed meanwhile: every session is checked again */
        agent_recheck(f->agent);
        pause_ms(f, backoff);
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
    return NULL;
}

/* ---- signals (their own thread) ---- */

struct signals {
    sigset_t set;
    struct agent *agent;
    struct follower *follower;
};

static void *signal_main(void *arg)
{
    struct signals *s = arg;
    int sig = 0;

    while (sigwait(&s->set, &sig) == 0) {
        if (sig == SIGHUP) {
            log_info("agent: SIGHUP: checking every session");
            agent_recheck(s->agent);
            continue;
        }
        log_info("agent: stopping signal=%d", sig);
        atomic_store(&s->follower->stop, true);
        agent_stop(s->agent);
        return NULL;
    }
    return NULL;
}

static int open_handle(const struct options *o, const char *token, long timeout_ms,
                       struct lockbox **out)
{
    struct lockbox_options lo = {.url = o->url,
                                 .token = token,
                                 .ca_file = o->ca_file,
                                 .connect_timeout_ms = 5000,
                                 .timeout_ms = timeout_ms,
                                 .allow_plain_http = o->allow_http};

    return lockbox_new(&lo, out);
}

int main(int argc, char **argv)
{
    struct options o = {.session_dir = "/run/lockbox/sessions",
                        .log_level = "info",
                        .grace_ms = 2000,
                        .idle_timeout_ms = 60000};
    struct follower f = {0};
    struct signals sigs = {0};
    struct agent *agent = NULL;
    struct lockbox *api = NULL;
    char token[TOKEN_MAX], host[256] = "";
    pthread_t follow_thread, signal_thread;
    int rc, level;

    rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    if ((level = log_level_parse(o.log_level)) < 0) {
        fprintf(stderr, "lockbox-agent: --log-level: error, warn, info or debug\n");
        return EXIT_USAGE;
    }
    log_set_level((enum log_level)level);
    if (!o.host) {
        gethostname(host, sizeof(host) - 1);
        o.host = host;
    }
    if (read_token_file(o.token_file, token) != 0 || check_ca_file(o.ca_file) != 0)
        return 1;
    /* signals go to their thread alone: block them before any other thread starts */
    sigemptyset(&sigs.set);
    sigaddset(&sigs.set, SIGTERM);
    sigaddset(&sigs.set, SIGINT);
    sigaddset(&sigs.set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs.set, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct agent_config ac = {.session_dir = o.session_dir,
                              .proc_root = "/proc",
                              .host = o.host,
                              .grace_ms = o.grace_ms,
                              .rescan_ms = 1000};
    rc = open_handle(&o, token, 10000, &api);
    if (rc == 0)
        rc = open_handle(&o, token, 0, &f.lb);
    memset(token, 0, sizeof(token));
    if (rc) {
        if (rc == LOCKBOX_EPLAINHTTP)
            log_error("agent: refusing plain http:// to url=%s, which is not this host (the "
                      "token would cross the network in clear): use https://, or --allow-http",
                      o.url);
        else
            log_error("agent: cannot use url=%s: %s", o.url, lockbox_strerror(rc));
        rc = 1;
        goto out;
    }
    if ((rc = agent_new(&ac, api, &agent)) != 0) {
        log_error("agent: cannot start: %s", lb_strerror(rc));
        rc = 1;
        goto out;
    }
    f.agent = agent;
    f.idle_timeout_ms = o.idle_timeout_ms;
    sigs.agent = agent;
    sigs.follower = &f;
    if (pthread_create(&signal_thread, NULL, signal_main, &sigs) != 0 ||
        pthread_create(&follow_thread, NULL, follow_main, &f) != 0) {
        log_error("agent: cannot start its threads");
        return 1;
    }
    log_info("lockbox-agent started url=%s session_dir=%s host=%s grace_ms=%ld", o.url,
             o.session_dir, o.host, o.grace_ms);
    agent_run(agent);
    atomic_store(&f.stop, true);
    pthread_join(follow_thread, NULL);
    pthread_join(signal_thread, NULL);
    log_info("lockbox-agent stopped");
    rc = 0;
out:
    agent_free(agent);
    lockbox_free(f.lb);
    lockbox_free(api);
    return rc;
}
