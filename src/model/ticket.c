#include "model/ticket.h"

#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

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
