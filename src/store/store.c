#include "store.h"

#include "util/banned.h"

void store_close(struct store *st)
{
    if (st)
        st->ops->close(st);
}

int store_begin(struct store *st)
{
    return st->ops->begin(st);
}

int store_commit(struct store *st)
{
    return st->ops->commit(st);
}

void store_rollback(struct store *st)
{
    st->ops->rollback(st);
}

int store_seal_attach(struct store *st, const struct seal *seal)
{
    return st->ops->seal_attach(st, seal);
}

int store_token_get(struct store *st, const char *token_id, struct session *out)
{
    return st->ops->token_get(st, token_id, out);
}

int store_token_list(struct store *st, const char *user_id, struct session_list *out)
{
    return st->ops->token_list(st, user_id, out);
}

int store_token_delete(struct store *st, const char *token_id)
{
    return st->ops->token_delete(st, token_id);
}

int store_login_throttle_get(struct store *st, enum throttle_kind kind, const char *name,
                             struct login_throttle *out)
{
    return st->ops->login_throttle_get(st, kind, name, out);
}

int store_login_throttle_put(struct store *st, const struct login_throttle *t)
{
    return st->ops->login_throttle_put(st, t);
}

int store_login_throttle_delete(struct store *st, enum throttle_kind kind, const char *name)
{
    return st->ops->login_throttle_delete(st, kind, name);
}

int store_login_throttle_list(struct store *st, int kind, int64_t now, int64_t since,
                              struct login_throttle_list *out)
{
    return st->ops->login_throttle_list(st, kind, now, since, out);
}

int store_login_throttle_prune(struct store *st, int64_t now, int64_t since)
{
    return st->ops->login_throttle_prune(st, now, since);
}

int store_event_insert(struct store *st, const struct request_event *e, int64_t *seq)
{
    return st->ops->event_insert(st, e, seq);
}

int store_event_list(struct store *st, const struct request_event_filter *f,
                     struct request_event_list *out)
{
    return st->ops->event_list(st, f, out);
}

int store_event_bounds(struct store *st, int64_t *pruned_through, int64_t *last)
{
    return st->ops->event_bounds(st, pruned_through, last);
}

int store_event_prune(struct store *st, int64_t before, int64_t keep, int64_t *deleted)
{
    return st->ops->event_prune(st, before, keep, deleted);
}
