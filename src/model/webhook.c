#include "model/webhook.h"

#include "util/mem.h"
#include "util/strv.h"

#include <sodium.h>
#include <string.h>

#include "util/banned.h"

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
