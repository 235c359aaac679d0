#include "model/request.h"

#include "util/err.h"
#include "util/mem.h"
#include "util/strv.h"

#include <string.h>

#include "util/banned.h"

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
    lb_free(r->requester_display_name);
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

int request_decision_add(struct request *r, const struct decision *d)
{
    struct decision copy = {.kind = d->kind,
                            .by_id = lb_strdup(d->by_id),
                            .by_username = lb_strdup(d->by_username),
                            .approve = d->approve,
                            .at = d->at,
                            .reason = lb_strdup(d->reason),
                            .client_ip = lb_strdup(d->client_ip)};
    struct decision *grown = NULL;

    if ((d->by_id && !copy.by_id) || (d->by_username && !copy.by_username) ||
        (d->reason && !copy.reason) || (d->client_ip && !copy.client_ip) ||
        !(grown = lb_realloc(r->decisions, (r->decision_count + 1) * sizeof(*grown)))) {
        decision_clear(&copy);
        return LB_ENOMEM;
    }
    r->decisions = grown;
    r->decisions[r->decision_count++] = copy;
    return 0;
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

size_t request_status_count(void)
{
    return sizeof(status_names) / sizeof(status_names[0]);
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
