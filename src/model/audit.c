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
    lb_free(r->chain);
    lb_free(r->prev_hash);
    lb_free(r->hash);
    memset(r, 0, sizeof(*r));
}

void audit_list_clear(struct audit_list *l)
{
    for (size_t i = 0; l->items && i < l->count; i++)
        audit_record_clear(&l->items[i]);
    lb_free(l->items);
    memset(l, 0, sizeof(*l));
}

void audit_chain_head_clear(struct audit_chain_head *h)
{
    lb_free(h->chain);
    lb_free(h->hash);
    memset(h, 0, sizeof(*h));
}

void audit_chain_head_list_clear(struct audit_chain_head_list *l)
{
    for (size_t i = 0; l->items && i < l->count; i++)
        audit_chain_head_clear(&l->items[i]);
    lb_free(l->items);
    memset(l, 0, sizeof(*l));
}

void audit_checkpoint_clear(struct audit_checkpoint *c)
{
    lb_free(c->chain);
    lb_free(c->hash);
    lb_free(c->key_id);
    lb_free(c->signature);
    memset(c, 0, sizeof(*c));
}

void audit_checkpoint_list_clear(struct audit_checkpoint_list *l)
{
    for (size_t i = 0; l->items && i < l->count; i++)
        audit_checkpoint_clear(&l->items[i]);
    lb_free(l->items);
    memset(l, 0, sizeof(*l));
}

void audit_key_clear(struct audit_key *k)
{
    lb_free(k->id);
    lb_free(k->public_key);
    memset(k, 0, sizeof(*k));
}

void audit_key_list_clear(struct audit_key_list *l)
{
    for (size_t i = 0; l->items && i < l->count; i++)
        audit_key_clear(&l->items[i]);
    lb_free(l->items);
    memset(l, 0, sizeof(*l));
}

void audit_stream_clear(struct audit_stream *s)
{
    lb_free(s->id);
    lb_free(s->url);
    lb_free(s->profile);
    lb_free(s->last_error);
    memset(s, 0, sizeof(*s));
}

void audit_stream_list_clear(struct audit_stream_list *l)
{
    for (size_t i = 0; l->items && i < l->count; i++)
        audit_stream_clear(&l->items[i]);
    lb_free(l->items);
    memset(l, 0, sizeof(*l));
}

void audit_stream_chain_list_clear(struct audit_stream_chain_list *l)
{
    for (size_t i = 0; l->items && i < l->count; i++)
        lb_free(l->items[i].chain);
    lb_free(l->items);
    memset(l, 0, sizeof(*l));
}

void audit_stream_held_list_clear(struct audit_stream_held_list *l)
{
    for (size_t i = 0; l->items && i < l->count; i++) {
        lb_free(l->items[i].chain);
        lb_free(l->items[i].request_id);
    }
    lb_free(l->items);
    memset(l, 0, sizeof(*l));
}
