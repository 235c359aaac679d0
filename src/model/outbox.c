#include "model/outbox.h"

#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

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
