#include "model/role.h"

#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

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
