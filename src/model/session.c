#include "model/session.h"

#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

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
