#include "model/login_throttle.h"

#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

void login_throttle_clear(struct login_throttle *t)
{
    lb_free(t->name);
    memset(t, 0, sizeof(*t));
}

void login_throttle_list_clear(struct login_throttle_list *l)
{
    for (size_t i = 0; l->items && i < l->count; i++)
        login_throttle_clear(&l->items[i]);
    lb_free(l->items);
    memset(l, 0, sizeof(*l));
}
