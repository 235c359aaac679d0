#include "store.h"

#include "util/mem.h"

#include <sodium.h>
#include <string.h>

#include "util/banned.h"

void strv_free(char **v, size_t count)
{
    if (!v)
        return;
    for (size_t i = 0; i < count; i++)
        lb_free(v[i]);
    lb_free(v);
}

int strv_dup(char *const *v, size_t count, char ***out)
{
    char **copy = lb_calloc(count ? count : 1, sizeof(*copy));

    if (!copy)
        return LB_ENOMEM;
    for (size_t i = 0; i < count; i++) {
        copy[i] = lb_strdup(v[i]);
        if (!copy[i]) {
            strv_free(copy, i);
            return LB_ENOMEM;
        }
    }
    *out = copy;
    return 0;
}

void tenant_settings_clear(struct tenant_settings *s)
{
    strv_free(s->notification_emails, s->notification_email_count);
    s->notification_emails = NULL;
    s->notification_email_count = 0;
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

void user_clear(struct user *u)
{
    lb_free(u->id);
    lb_free(u->tenant_id);
    lb_free(u->username);
    lb_free(u->display_name);
    lb_free(u->email);
    lb_free(u->password_hash);
    if (u->totp_secret)
        sodium_memzero(u->totp_secret, strlen(u->totp_secret));
    lb_free(u->totp_secret);
    memset(u, 0, sizeof(*u));
}

void user_list_clear(struct user_list *l)
{
    for (size_t i = 0; l->items && i < l->count; i++)
        user_clear(&l->items[i]);
    lb_free(l->items);
    memset(l, 0, sizeof(*l));
}

void role_assignment_clear(struct role_assignment *r)
{
    lb_free(r->id);
    lb_free(r->tenant_id);
    lb_free(r->user_id);
    lb_free(r->username);
    lb_free(r->role);
    lb_free(r->scope);
    memset(r, 0, sizeof(*r));
}

void role_list_clear(struct role_list *l)
{
    for (size_t i = 0; l->items && i < l->count; i++)
        role_assignment_clear(&l->items[i]);
    lb_free(l->items);
    memset(l, 0, sizeof(*l));
}

void session_clear(struct session *s)
{
    lb_free(s->token_hash);
    lb_free(s->user_id);
    lb_free(s->token_id);
    lb_free(s->name);
    memset(s, 0, sizeof(*s));
}

void session_list_clear(struct session_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        session_clear(&l->items[i]);
    lb_free(l->items);
    memset(l, 0, sizeof(*l));
}

void ticket_clear(struct ticket *t)
{
    lb_free(t->id);
    lb_free(t->tenant_id);
    lb_free(t->title);
    lb_free(t->description);
    lb_free(t->severity);
    lb_free(t->status);
    lb_free(t->created_by);
    lb_free(t->created_by_username);
    for (size_t i = 0; t->history && i < t->history_count; i++) {
        lb_free(t->history[i].by);
        lb_free(t->history[i].type);
        lb_free(t->history[i].text);
    }
    lb_free(t->history);
    memset(t, 0, sizeof(*t));
}

void ticket_list_clear(struct ticket_list *l)
{
    for (size_t i = 0; l->items && i < l->count; i++)
        ticket_clear(&l->items[i]);
    lb_free(l->items);
    memset(l, 0, sizeof(*l));
}

void decision_clear(struct decision *d)
{
    lb_free(d->by_id);
    lb_free(d->by_username);
    lb_free(d->reason);
    lb_free(d->client_ip);
    memset(d, 0, sizeof(*d));
}

void request_clear(struct request *r)
{
    lb_free(r->id);
    lb_free(r->tenant_id);
    lb_free(r->ticket_id);
    lb_free(r->requester_id);
    lb_free(r->requester_username);
    lb_free(r->resource_type);
    strv_free(r->resource_ids, r->resource_count);
    lb_free(r->justification);
    lb_free(r->status_reason);
    for (size_t i = 0; r->decisions && i < r->decision_count; i++)
        decision_clear(&r->decisions[i]);
    lb_free(r->decisions);
    memset(r, 0, sizeof(*r));
}

void request_list_clear(struct request_list *l)
{
    for (size_t i = 0; l->items && i < l->count; i++)
        request_clear(&l->items[i]);
    lb_free(l->items);
    memset(l, 0, sizeof(*l));
}

void audit_record_clear(struct audit_record *r)
{
    lb_free(r->tenant_id);
    lb_free(r->actor);
    lb_free(r->actor_id);
    lb_free(r->actor_type);
    lb_free(r->client_ip);
    lb_free(r->activity);
    lb_free(r->item);
    lb_free(r->request_id);
    lb_free(r->decision);
    lb_free(r->details);
    memset(r, 0, sizeof(*r));
}

void audit_list_clear(struct audit_list *l)
{
    for (size_t i = 0; l->items && i < l->count; i++)
        audit_record_clear(&l->items[i]);
    lb_free(l->items);
    memset(l, 0, sizeof(*l));
}

void webhook_clear(struct webhook *w)
{
    lb_free(w->id);
    lb_free(w->tenant_id);
    lb_free(w->url);
    strv_free(w->events, w->event_count);
    if (w->secret)
        sodium_memzero(w->secret, strlen(w->secret));
    lb_free(w->secret);
    memset(w, 0, sizeof(*w));
}

void webhook_list_clear(struct webhook_list *l)
{
    for (size_t i = 0; l->items && i < l->count; i++)
        webhook_clear(&l->items[i]);
    lb_free(l->items);
    memset(l, 0, sizeof(*l));
}

void outbox_msg_clear(struct outbox_msg *m)
{
    lb_free(m->id);
    lb_free(m->tenant_id);
    lb_free(m->request_id);
    lb_free(m->event);
    lb_free(m->channel);
    lb_free(m->recipient);
    lb_free(m->webhook_id);
    lb_free(m->payload);
    lb_free(m->last_error);
    memset(m, 0, sizeof(*m));
}

void outbox_list_clear(struct outbox_list *l)
{
    for (size_t i = 0; l->items && i < l->count; i++)
        outbox_msg_clear(&l->items[i]);
    lb_free(l->items);
    memset(l, 0, sizeof(*l));
}

static const char *const outbox_status_names[] = {
    [OUTBOX_PENDING] = "pending",
    [OUTBOX_DELIVERED] = "delivered",
    [OUTBOX_FAILED] = "failed",
};

const char *outbox_status_name(enum outbox_status s)
{
    return outbox_status_names[s];
}

int outbox_status_parse(const char *name)
{
    for (size_t i = 0; i < sizeof(outbox_status_names) / sizeof(outbox_status_names[0]); i++)
        if (strcmp(name, outbox_status_names[i]) == 0)
            return (int)i;
    return -1;
}

static const char *const status_names[] = {
    [REQ_PENDING_INTERNAL] = "pending_internal",
    [REQ_PENDING] = "pending",
    [REQ_APPROVED] = "approved",
    [REQ_DENIED] = "denied",
    [REQ_REJECTED] = "rejected",
    [REQ_EXPIRED] = "expired",
    [REQ_CANCELED] = "canceled",
    [REQ_REVOKED] = "revoked",
    [REQ_COMPLETED] = "completed",
};

const char *request_status_name(enum request_status s)
{
    return (size_t)s < sizeof(status_names) / sizeof(status_names[0]) ? status_names[s] : "?";
}

int request_status_parse(const char *name)
{
    for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
        if (strcmp(name, status_names[i]) == 0)
            return (int)i;
    return -1;
}

const char *access_level_name(enum access_level l)
{
    switch (l) {
    case ACCESS_READ:
        return "read";
    case ACCESS_WRITE:
        return "write";
    case ACCESS_ADMIN:
        return "admin";
    }
    return "?";
}

int access_level_parse(const char *name)
{
    if (strcmp(name, "read") == 0)
        return ACCESS_READ;
    if (strcmp(name, "write") == 0)
        return ACCESS_WRITE;
    if (strcmp(name, "admin") == 0)
        return ACCESS_ADMIN;
    return -1;
}

void store_close(struct store *st)
{
    if (st)
        st->ops->close(st);
}

int store_begin(struct store *st)
{
    return st->ops->begin(st);
}

int store_commit(struct store *st)
{
    return st->ops->commit(st);
}

void store_rollback(struct store *st)
{
    st->ops->rollback(st);
}

int store_seal_attach(struct store *st, const struct seal *seal)
{
    return st->ops->seal_attach(st, seal);
}

int store_token_get(struct store *st, const char *token_id, struct session *out)
{
    return st->ops->token_get(st, token_id, out);
}

int store_token_list(struct store *st, const char *user_id, struct session_list *out)
{
    return st->ops->token_list(st, user_id, out);
}

int store_token_delete(struct store *st, const char *token_id)
{
    return st->ops->token_delete(st, token_id);
}

int store_login_throttle_get(struct store *st, enum throttle_kind kind, const char *name,
                             struct login_throttle *out)
{
    return st->ops->login_throttle_get(st, kind, name, out);
}

int store_login_throttle_put(struct store *st, const struct login_throttle *t)
{
    return st->ops->login_throttle_put(st, t);
}

int store_login_throttle_delete(struct store *st, enum throttle_kind kind, const char *name)
{
    return st->ops->login_throttle_delete(st, kind, name);
}

int store_login_throttle_list(struct store *st, int kind, int64_t now, int64_t since,
                              struct login_throttle_list *out)
{
    return st->ops->login_throttle_list(st, kind, now, since, out);
}

int store_login_throttle_prune(struct store *st, int64_t now, int64_t since)
{
    return st->ops->login_throttle_prune(st, now, since);
}

int store_event_insert(struct store *st, const struct request_event *e, int64_t *seq)
{
    return st->ops->event_insert(st, e, seq);
}

int store_event_list(struct store *st, const struct request_event_filter *f,
                     struct request_event_list *out)
{
    return st->ops->event_list(st, f, out);
}

int store_event_bounds(struct store *st, int64_t *pruned_through, int64_t *last)
{
    return st->ops->event_bounds(st, pruned_through, last);
}

int store_event_prune(struct store *st, int64_t before, int64_t keep, int64_t *deleted)
{
    return st->ops->event_prune(st, before, keep, deleted);
}
