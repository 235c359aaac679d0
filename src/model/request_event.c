#include "model/request_event.h"

#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

void request_event_clear(struct request_event *e)
{
    lb_free(e->id);
    lb_free(e->type);
    lb_free(e->tenant_id);
    lb_free(e->request_id);
    lb_free(e->body);
    memset(e, 0, sizeof(*e));
}

void request_event_list_clear(struct request_event_list *l)
{
    for (size_t i = 0; l->items && i < l->count; i++)
        request_event_clear(&l->items[i]);
    lb_free(l->items);
    memset(l, 0, sizeof(*l));
}
