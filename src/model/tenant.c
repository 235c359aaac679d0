#include "model/tenant.h"

#include "util/mem.h"
#include "util/strv.h"

#include <string.h>

#include "util/banned.h"

void tenant_settings_clear(struct tenant_settings *s)
{
    strv_free(s->notification_emails, s->notification_email_count);
    s->notification_emails = NULL;
    s->notification_email_count = 0;
    lb_free(s->audit_syslog_url);
    lb_free(s->audit_syslog_profile);
    s->audit_syslog_url = NULL;
    s->audit_syslog_profile = NULL;
}

void tenant_clear(struct tenant *t)
{
    lb_free(t->id);
    lb_free(t->name);
    lb_free(t->plan);
    tenant_settings_clear(&t->settings);
    strv_free(t->resource_scopes, t->resource_scope_count);
    memset(t, 0, sizeof(*t));
}
