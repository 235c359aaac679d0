/*
 * config.h - lockboxd's configuration: an INI file, then command-line flags over it.
 *
 * One table (config_table.c) names every setting with its section, type, default, bounds and
 * help; it drives the INI parser (inih), validation, `--dump-config` and `--help`. A loaded
 * struct daemon_config is immutable; reloading builds a new one. Strings are owned by the
 * struct and freed by config_release. Errors: LB_EINVAL with `err` naming the file, line and
 * key; LB_EIO when the file cannot be read; LB_ENOMEM.
 */
#ifndef LB_DAEMON_CONFIG_H
#define LB_DAEMON_CONFIG_H

#include "util/buf.h"
#include "util/err.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct daemon_config {
    char *listen;
    char *tls_cert; /* "" = plain HTTP; else a PEM chain served over TLS */
    char *tls_key;  /* its PEM private key; set with tls_cert or not at all */
    char *data_dir;
    char *store_url; /* "" = SQLite in data_dir; else a PostgreSQL URL */
    int64_t store_resync_seconds;
    char *policy_file; /* "" = the built-in default policy */
    char *log_level;
    char *user;            /* "" = started as root, stays root (warned) */
    char *group;           /* "" = the user's own group */
    int64_t seccomp;       /* 1: the deny-list filter of sandbox.h */
    char *trusted_proxies; /* comma-separated peer addresses */
    int64_t threads;
    int64_t workers;
    int64_t session_ttl_seconds;
    int64_t api_token_ttl_seconds;
    int64_t bootstrap_token_ttl_seconds;
    int64_t shutdown_grace_ms;
    int64_t max_connections;
    int64_t max_connections_per_ip; /* 0 = no limit */
    int64_t header_timeout_ms;
    int64_t queue_limit;     /* calls that write waiting for a worker; more: 503 */
    int64_t rate_per_second; /* per bearer token; 0: no limit */
    int64_t rate_burst;
    int64_t pending_expiry_seconds;
    int64_t default_grant_seconds;
    int64_t max_grant_seconds;
    int64_t required_approvals;
    int64_t reminder_before_seconds;
    char *public_url; /* "" = mails carry no link */
    char *smtp_url;   /* "" = no mail is sent */
    char *smtp_from;
    char *smtp_username;      /* "" = no AUTH */
    char *smtp_password_file; /* the password, alone in a file */
    char *smtp_ca_file;       /* "" = the system's CA bundle */
    int64_t smtp_require_tls;
    int64_t notify_retry_seconds;
    int64_t webhook_allow_private; /* 1: webhooks may reach loopback and private addresses */
    int64_t notify_timeout_ms;
    char *secret_key_file; /* "" = DATA/secret.key, made at first start */
    int64_t login_max_failures;
    int64_t login_lockout_seconds;
    int64_t login_max_failures_per_address;
    int64_t denial_collapse_seconds;  /* access.denied: one record per operator, resource, window */
    int64_t events_heartbeat_seconds; /* a comment on an event stream silent this long */
    int64_t events_client_buffer_bytes;  /* unsent bytes one event stream may hold */
    int64_t events_retention_seconds;    /* the event stream keeps events this long */
    int64_t events_retention_count;      /* and at most this many */
    char *audit_key_file;                /* "" = DATA/audit.key, made at first start */
    int64_t audit_checkpoint_every;      /* a signed checkpoint every this many records */
    int64_t audit_checkpoint_seconds;    /* and of the newest once the last is this old */
    int64_t audit_verify_seconds;        /* every chain verified this often (and at start) */
    char *audit_syslog_url;              /* the provider's collector of every chain; "": none */
    char *audit_syslog_profile;          /* its field profile: lockbox or m365 */
    char *audit_syslog_ca_file;          /* verifies tls:// collectors; "": the system's CAs */
    char *audit_syslog_hostname;         /* the messages' HOSTNAME; "": this host's name */
    int64_t audit_syslog_allow_private;  /* tenants' collectors may be internal addresses */
    int64_t audit_retention_seconds;     /* the provider's chain pruned past this age; 0: never */
    int64_t audit_retention_min_seconds; /* the least a tenant may keep its records */
};

enum config_type { CONFIG_STRING, CONFIG_INT };

struct config_entry {
    const char *section, *name;
    enum config_type type;
    size_t offset;
    const char *default_value;
    int64_t min, max;
    /* the command-line flag that overrides it and the word for its value, as --help shows
     * them ("--data DIR"), or NULL */
    const char *flag;
    const char *help;
};

extern const struct config_entry config_table[];
extern const size_t config_table_count;

/* Fills cfg with every default. */
LB_MUST_CHECK int config_defaults(struct daemon_config *cfg);
/* Reads an INI file over cfg. */
LB_MUST_CHECK int config_load_file(struct daemon_config *cfg, const char *path, struct buf *err);
/* Sets one entry from text (a flag's value or an INI value). */
LB_MUST_CHECK int config_set(struct daemon_config *cfg, const struct config_entry *e,
                             const char *value, struct buf *err);
/* Checks relations between values (default grant <= max grant, ...). */
LB_MUST_CHECK int config_validate(const struct daemon_config *cfg, struct buf *err);
/* Writes the effective configuration as an INI file. */
void config_dump(const struct daemon_config *cfg, FILE *out);
void config_release(struct daemon_config *cfg);

#endif
