/*
 * tenant.h - a tenant (a customer of the provider), its settings and the resources it owns.
 *
 * A record filled by the store owns its strings and arrays, released by tenant_clear (which
 * accepts a zeroed record and leaves it zeroed); a record passed to the store for an insert
 * or an update is borrowed. Plain data: no behaviour, no I/O; the clears are not thread-safe
 * on one record.
 */
#ifndef LB_MODEL_TENANT_H
#define LB_MODEL_TENANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tenant_settings {
    bool lockbox_enabled;
    int64_t pending_expiry_seconds;
    int64_t default_grant_seconds;
    int64_t max_grant_seconds;
    int64_t required_approvals;
    char **notification_emails; /* (owned) */
    size_t notification_email_count;
    bool email_links;                /* mails link to the portal */
    int64_t reminder_before_seconds; /* a reminder this long before a pending deadline */
    char *audit_syslog_url;          /* (owned) the tenant's syslog collector; NULL or "": none */
    char *audit_syslog_profile;      /* (owned) its field profile; NULL: "lockbox" */
    int64_t audit_retention_seconds; /* records older are pruned (audit/chains.h); 0: never */
    bool grant_report_mail;          /* a grant's end mails its report to the approvers */
};

struct tenant {
    char *id, *name, *plan; /* (owned) */
    int64_t created_at;
    struct tenant_settings settings;
    char **resource_scopes; /* (owned) the resource-id prefixes the tenant owns */
    size_t resource_scope_count;
};

/* Frees what a record owns and zeroes it; accepts a zeroed record. */
void tenant_clear(struct tenant *t);
/* Frees the settings' mail addresses and collector, and zeroes them. */
void tenant_settings_clear(struct tenant_settings *s);

#endif
