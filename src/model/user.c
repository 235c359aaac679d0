#include "model/user.h"

#include "util/mem.h"

#include <sodium.h>
#include <string.h>

#include "util/banned.h"

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
