#include "model/audit.h"

#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

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
