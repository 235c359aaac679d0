/* The one table of lockboxd's settings. */
#include "daemon/config.h"

#include <stddef.h>

#include "util/banned.h"

#define DAY 86400LL
#define STR(sec, name, field, def, flag, help)                                                     \
    {                                                                                              \
        sec, name, CONFIG_STRING, offsetof(struct daemon_config, field), def, 0, 0, flag, help     \
    }
#define INT(sec, name, field, def, lo, hi, flag, help)                                             \
    {                                                                                              \
        sec, name, CONFIG_INT, offsetof(struct daemon_config, field), def, lo, hi, flag, help      \
    }

const struct config_entry config_table[] = {
    STR("server", "listen", listen, "127.0.0.1:8077", "--listen HOST:PORT",
        "address and port to serve HTTP on, HOST:PORT or [V6]:PORT"),
    STR("server", "tls_cert", tls_cert, "", NULL,
        "a PEM file: the server's certificate, then its intermediates; with tls_key, lockboxd "
        "serves HTTPS only (TLS 1.2 and 1.3) and reloads both on SIGHUP (\"\": plain HTTP)"),
    STR("server", "tls_key", tls_key, "", NULL,
        "a PEM file holding the private key of tls_cert, unencrypted (mode 0600)"),
    STR("server", "data", data_dir, "./var", "--data DIR",
        "data directory: the SQLite store (unless [store] url names one), the secret key and the "
        "bootstrap token"),
    STR("store", "url", store_url, "", "--store URL",
        "the store: \"\" for SQLite in the data folder, or a PostgreSQL URL (postgresql://...), "
        "which several lockboxd may share"),
    INT("store", "resync_seconds", store_resync_seconds, "10", 1, DAY, NULL,
        "on PostgreSQL, how often a node reads its in-memory grants, scopes and sessions "
        "again, in case it missed another node's change"),
    STR("server", "policy", policy_file, "", "--policy FILE",
        "JSON policy file replacing the built-in JIT policy; reloaded on SIGHUP"),
    STR("server", "user", user, "", "--user NAME",
        "started as root: the user lockboxd runs as once its port is bound (\"\": stays root, "
        "with a warning); the data folder must be that user's"),
    STR("server", "group", group, "", "--group NAME",
        "with user: the only group lockboxd keeps (\"\": the user's own group)"),
    INT("server", "seccomp", seccomp, "1", 0, 1, NULL,
        "1: a seccomp filter refuses the system calls lockboxd never makes (running a program, "
        "changing identity, mounts, modules...); 0: none"),
    STR("server", "log_level", log_level, "info", "--log-level LEVEL",
        "error, warn, info or debug"),
    STR("server", "trusted_proxies", trusted_proxies, "", NULL,
        "comma-separated proxy addresses whose X-Forwarded-For is believed"),
    INT("server", "threads", threads, "0", 0, 256, "--threads N",
        "HTTP event threads; 0 = one per core"),
    INT("server", "workers", workers, "16", 1, 1024, "--workers N",
        "threads for calls that write; they wait on commits, which group"),
    INT("server", "session_ttl_seconds", session_ttl_seconds, "43200", 60, 30 * DAY, NULL,
        "lifetime of a login session's token"),
    INT("server", "api_token_ttl_seconds", api_token_ttl_seconds, "7776000", 60, 3650 * DAY, NULL,
        "lifetime of a service account's API token when its creator names none"),
    INT("server", "bootstrap_token_ttl_seconds", bootstrap_token_ttl_seconds, "31536000", 60,
        3650 * DAY, NULL, "lifetime of the bootstrap admin's token"),
    INT("server", "shutdown_grace_ms", shutdown_grace_ms, "10000", 0, 600000, NULL,
        "how long SIGTERM waits for requests in flight"),
    STR("server", "secret_key_file", secret_key_file, "", NULL,
        "the key sealing TOTP seeds and webhook secrets in the store (\"\": DATA/secret.key, "
        "made at first start)"),
    INT("login", "max_failures", login_max_failures, "10", 1, 1000, NULL,
        "failed logins that lock a username (after half of them, each makes the next wait "
        "1, 2, 4... s)"),
    INT("login", "lockout_seconds", login_lockout_seconds, "900", 1, 30 * DAY, NULL,
        "how long a locked username stays locked; failures are forgotten as long after"),
    INT("login", "max_failures_per_address", login_max_failures_per_address, "100", 1, 1000000,
        NULL,
        "failed logins from one client address before each makes its next login wait "
        "1, 2, 4... s (an address is never locked)"),
    INT("server", "max_connections", max_connections, "4096", 1, 100000, NULL,
        "connections open at once; more wait in the listen queue"),
    INT("server", "max_connections_per_ip", max_connections_per_ip, "64", 0, 100000, NULL,
        "connections one client address (an IPv6 /64) may hold open; more are refused at "
        "once; trusted_proxies are not limited; 0: no limit"),
    INT("server", "queue_limit", queue_limit, "1024", 1, 1000000, NULL,
        "calls that write may wait this many for a worker; one more is answered 503 with "
        "Retry-After at once, never queued"),
    INT("limits", "requests_per_second", rate_per_second, "5000", 0, 1000000, NULL,
        "calls a second one bearer token may make on average (each session or API token has "
        "its own); over it: 429 with Retry-After; 0: no limit"),
    INT("limits", "burst", rate_burst, "1000", 1, 1000000000, NULL,
        "calls one token may make at once before requests_per_second paces it"),
    INT("server", "header_timeout_ms", header_timeout_ms, "10000", 100, 600000, NULL,
        "time a connection has to send a whole request head, from connecting or from its "
        "last answer; then it is closed"),
    INT("tenant_defaults", "pending_expiry_seconds", pending_expiry_seconds, "345600", 1, 365 * DAY,
        NULL, "a new tenant's window for a decision (4 days)"),
    INT("tenant_defaults", "default_grant_seconds", default_grant_seconds, "28800", 1, 365 * DAY,
        NULL, "a new tenant's default grant duration (8 hours)"),
    INT("tenant_defaults", "max_grant_seconds", max_grant_seconds, "28800", 1, 365 * DAY, NULL,
        "a new tenant's maximum grant duration (8 hours)"),
    INT("tenant_defaults", "required_approvals", required_approvals, "1", 1, 100, NULL,
        "a new tenant's number of distinct approvals needed"),
    INT("tenant_defaults", "reminder_before_seconds", reminder_before_seconds, "86400", 0,
        365 * DAY, NULL, "a new tenant's reminder to approvers this long before expiry (0: none)"),
    STR("server", "public_url", public_url, "", "--public-url URL",
        "the portal's address as people reach it, for the links in mails (\"\": no link)"),
    STR("smtp", "url", smtp_url, "", "--smtp-url URL",
        "smtp://HOST:PORT (STARTTLS when offered) or smtps://HOST:PORT; \"\": no mail"),
    STR("smtp", "from", smtp_from, "lockbox@localhost", NULL, "the sender of every mail"),
    STR("smtp", "username", smtp_username, "", NULL, "SMTP AUTH user (\"\": no AUTH)"),
    STR("smtp", "password_file", smtp_password_file, "", NULL,
        "a file holding the SMTP AUTH password alone"),
    STR("smtp", "ca_file", smtp_ca_file, "", NULL,
        "a PEM bundle to verify the SMTP server's certificate with (\"\": the system's)"),
    INT("smtp", "require_tls", smtp_require_tls, "0", 0, 1, NULL,
        "1: with smtp://, refuse to send unless the server offers STARTTLS"),
    INT("notify", "retry_seconds", notify_retry_seconds, "86400", 1, 30 * DAY, NULL,
        "how long a notification is retried before it is marked failed"),
    INT("notify", "webhook_allow_private", webhook_allow_private, "0", 0, 1, NULL,
        "1 lets webhooks reach loopback, private and link-local addresses (tests, labs)"),
    INT("notify", "timeout_ms", notify_timeout_ms, "30000", 100, 600000, NULL,
        "the time one delivery (a mail or a webhook POST) may take"),
    INT("audit", "denial_collapse_seconds", denial_collapse_seconds, "60", 1, DAY, NULL,
        "the doors' denials of one operator and resource within this window (of the clock) "
        "are one access.denied record; the next record counts the others"),
    INT("events", "heartbeat_seconds", events_heartbeat_seconds, "15", 1, 3600, NULL,
        "a comment on an event stream (GET /api/v1/events) silent this long; it keeps proxies "
        "from closing it and shows the client the stream is alive"),
    INT("events", "client_buffer_bytes", events_client_buffer_bytes, "262144", 4096,
        64 * 1024 * 1024, NULL,
        "what one event stream may hold unsent; a client further behind is disconnected and "
        "resumes by its Last-Event-ID"),
    INT("events", "retention_seconds", events_retention_seconds, "604800", 60, 365 * DAY, NULL,
        "how long events are kept for clients that resume (7 days); older ones get a reset"),
    INT("events", "retention_count", events_retention_count, "100000", 10, 100000000, NULL,
        "the most events kept for clients that resume; older ones get a reset"),
    STR("audit", "key_file", audit_key_file, "", NULL,
        "the Ed25519 key signing the audit log's checkpoints (\"\": DATA/audit.key, made at "
        "first start)"),
    INT("audit", "checkpoint_every", audit_checkpoint_every, "1000", 1, 100000000, NULL,
        "a signed checkpoint of each chain every this many records"),
    INT("audit", "checkpoint_seconds", audit_checkpoint_seconds, "60", 1, DAY, NULL,
        "and of a chain's newest record once its last checkpoint is this old"),
    INT("audit", "verify_seconds", audit_verify_seconds, "86400", 60, 365 * DAY, NULL,
        "how often lockboxd verifies every chain of the audit log (and once soon after start); "
        "a chain that breaks is logged as an error and shown by GET /api/v1/audit/status"),
    STR("audit", "syslog_url", audit_syslog_url, "", NULL,
        "tcp://HOST:PORT or tls://HOST:PORT: the provider's syslog collector, sent every "
        "chain's records as they are written (RFC 5424; \"\": none)"),
    STR("audit", "syslog_profile", audit_syslog_profile, "lockbox", NULL,
        "the field names of the provider's stream: lockbox or m365"),
    STR("audit", "syslog_ca_file", audit_syslog_ca_file, "", NULL,
        "a PEM bundle to verify tls:// collectors with, the provider's and the tenants' "
        "(\"\": the system's)"),
    STR("audit", "syslog_hostname", audit_syslog_hostname, "", NULL,
        "the HOSTNAME of the syslog messages (\"\": this host's name)"),
    INT("audit", "retention_seconds", audit_retention_seconds, "0", 0, 100LL * 365 * DAY, NULL,
        "the provider's own records older than this are pruned, through a signed checkpoint, "
        "with an audit.prune record (0: kept for ever)"),
    INT("audit", "retention_min_seconds", audit_retention_min_seconds, "2592000", 0,
        100LL * 365 * DAY, NULL,
        "the shortest retention a tenant may set (audit_retention_seconds; 30 days)"),
    INT("audit", "syslog_allow_private", audit_syslog_allow_private, "0", 0, 1, NULL,
        "1 lets tenants' collectors be loopback, private and link-local addresses (tests, "
        "labs)"),
};

const size_t config_table_count = sizeof(config_table) / sizeof(config_table[0]);
