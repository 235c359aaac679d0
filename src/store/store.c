#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

#ifdef LB_TESTING
/* Test builds: while the file LB_STORE_FAIL_FILE names holds op's name, op fails as a store
 * that went away would (LB_EUNAVAIL, nothing written), so the tests see a write refused
 * whole when its audit record cannot be written. */
static int injected_failure(const char *op)
{
    const char *path = getenv("LB_STORE_FAIL_FILE");
    char text[64] = "";
    FILE *f = path ? fopen(path, "r") : NULL;

    if (!f)
        return 0;
    if (!fgets(text, sizeof(text), f))
        text[0] = '\0';
    fclose(f);
    text[strcspn(text, "\n")] = '\0';
    return strcmp(text, op) == 0 ? LB_EUNAVAIL : 0;
}
#else
static int injected_failure(const char *op)
{
    (void)op;
    return 0;
}
#endif

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

void store_stats_get(struct store *st, struct store_stats *out)
{
    st->ops->stats(st, out);
}

int store_seal_attach(struct store *st, const struct seal *seal)
{
    return st->ops->seal_attach(st, seal);
}

int store_change_publish(struct store *st, enum store_change kind, const char *key)
{
    return st->ops->change_publish(st, kind, key);
}

int store_changes_listen(struct store *st, store_change_fn *fn, void *ctx, int64_t resync_ms)
{
    return st->ops->changes_listen(st, fn, ctx, resync_ms);
}

void store_changes_stop(struct store *st)
{
    st->ops->changes_stop(st);
}

int store_meta_get(struct store *st, const char *key, char **value)
{
    return st->ops->meta_get(st, key, value);
}

int store_meta_set(struct store *st, const char *key, const char *value)
{
    return st->ops->meta_set(st, key, value);
}

int store_tenant_insert(struct store *st, const struct tenant *t)
{
    return st->ops->tenant_insert(st, t);
}

int store_tenant_get(struct store *st, const char *id, struct tenant *out)
{
    return st->ops->tenant_get(st, id, out);
}

int store_tenant_list(struct store *st, const char *only_id, struct tenant **items, size_t *count)
{
    return st->ops->tenant_list(st, only_id, items, count);
}

int store_tenant_update_settings(struct store *st, const struct tenant *t)
{
    return st->ops->tenant_update_settings(st, t);
}

int store_tenant_update_scopes(struct store *st, const struct tenant *t)
{
    return st->ops->tenant_update_scopes(st, t);
}

int store_user_insert(struct store *st, const struct user *u)
{
    return st->ops->user_insert(st, u);
}

int store_user_get(struct store *st, const char *id, struct user *out)
{
    return st->ops->user_get(st, id, out);
}

int store_user_get_by_username(struct store *st, const char *username, struct user *out)
{
    return st->ops->user_get_by_username(st, username, out);
}

int store_user_set_totp_step(struct store *st, const char *id, int64_t step)
{
    return st->ops->user_set_totp_step(st, id, step);
}

int store_user_list_for_tenant(struct store *st, const char *tenant_id, struct user_list *out)
{
    return st->ops->user_list_for_tenant(st, tenant_id, out);
}

int store_role_insert(struct store *st, const struct role_assignment *r)
{
    return st->ops->role_insert(st, r);
}

int store_role_get(struct store *st, const char *id, struct role_assignment *out)
{
    return st->ops->role_get(st, id, out);
}

int store_role_delete(struct store *st, const char *id)
{
    return st->ops->role_delete(st, id);
}

int store_role_list_for_user(struct store *st, const char *user_id, struct role_list *out)
{
    return st->ops->role_list_for_user(st, user_id, out);
}

int store_role_list_for_tenant(struct store *st, const char *tenant_id, struct role_list *out)
{
    return st->ops->role_list_for_tenant(st, tenant_id, out);
}

int store_role_count(struct store *st, const char *tenant_id, const char *role, const char *scope,
                     int64_t *count)
{
    return st->ops->role_count(st, tenant_id, role, scope, count);
}

int store_session_insert(struct store *st, const struct session *s)
{
    return st->ops->session_insert(st, s);
}

int store_session_get(struct store *st, const char *token_hash, struct session *out)
{
    return st->ops->session_get(st, token_hash, out);
}

int store_session_expire(struct store *st, const char *token_hash, int64_t at)
{
    return st->ops->session_expire(st, token_hash, at);
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

int store_ticket_insert(struct store *st, const struct ticket *t)
{
    return st->ops->ticket_insert(st, t);
}

int store_ticket_get(struct store *st, const char *id, struct ticket *out)
{
    return st->ops->ticket_get(st, id, out);
}

int store_ticket_list(struct store *st, const char *tenant_id, int64_t before_seq, size_t limit,
                      struct ticket_list *out)
{
    return st->ops->ticket_list(st, tenant_id, before_seq, limit, out);
}

int store_ticket_event_append(struct store *st, const char *ticket_id,
                              const struct ticket_event *ev)
{
    return st->ops->ticket_event_append(st, ticket_id, ev);
}

int store_request_insert(struct store *st, const struct request *r)
{
    return st->ops->request_insert(st, r);
}

int store_request_update(struct store *st, const struct request *r)
{
    return st->ops->request_update(st, r);
}

int store_request_decision_insert(struct store *st, const char *request_id,
                                  const struct decision *d)
{
    return st->ops->request_decision_insert(st, request_id, d);
}

int store_request_get(struct store *st, const char *id, struct request *out)
{
    return st->ops->request_get(st, id, out);
}

int store_request_list(struct store *st, const struct request_filter *f, struct request_list *out)
{
    return st->ops->request_list(st, f, out);
}

int store_request_each_approved(struct store *st, store_request_fn *fn, void *ctx)
{
    return st->ops->request_each_approved(st, fn, ctx);
}

int store_request_next_deadline(struct store *st, int64_t *at)
{
    return st->ops->request_next_deadline(st, at);
}

int store_request_due(struct store *st, int64_t now, size_t limit, char ***ids, size_t *count)
{
    return st->ops->request_due(st, now, limit, ids, count);
}

int store_audit_insert(struct store *st, const struct audit_record *rec, int64_t *seq)
{
    int rc = injected_failure("audit_insert");

    return rc ? rc : st->ops->audit_insert(st, rec, seq);
}

int store_audit_query(struct store *st, const struct audit_filter *f, struct audit_list *out)
{
    return st->ops->audit_query(st, f, out);
}

int store_audit_chain_head(struct store *st, const char *chain, struct audit_chain_head *out)
{
    return st->ops->audit_chain_head(st, chain, out);
}

int store_audit_chains(struct store *st, bool due_only, struct audit_chain_head_list *out)
{
    return st->ops->audit_chains(st, due_only, out);
}

int store_audit_chain_records(struct store *st, const char *chain, int64_t after_index,
                              size_t limit, struct audit_list *out)
{
    return st->ops->audit_chain_records(st, chain, after_index, limit, out);
}

int store_audit_checkpoint_insert(struct store *st, const struct audit_checkpoint *cp)
{
    return st->ops->audit_checkpoint_insert(st, cp);
}

int store_audit_checkpoints(struct store *st, const char *chain, int64_t after_index, size_t limit,
                            struct audit_checkpoint_list *out)
{
    return st->ops->audit_checkpoints(st, chain, after_index, limit, out);
}

int store_audit_key_insert(struct store *st, const struct audit_key *k)
{
    return st->ops->audit_key_insert(st, k);
}

int store_audit_keys(struct store *st, struct audit_key_list *out)
{
    return st->ops->audit_keys(st, out);
}

int store_audit_unchained(struct store *st, size_t limit, struct audit_list *out)
{
    return st->ops->audit_unchained(st, limit, out);
}

int store_audit_link(struct store *st, const struct audit_record *rec)
{
    return st->ops->audit_link(st, rec);
}

int store_audit_chain_names(struct store *st, char ***names, size_t *count)
{
    return st->ops->audit_chain_names(st, names, count);
}

int store_audit_checkpoint_before(struct store *st, const char *chain, int64_t time,
                                  int64_t max_index, struct audit_checkpoint *out)
{
    return st->ops->audit_checkpoint_before(st, chain, time, max_index, out);
}

int store_audit_prune_mark(struct store *st, const char *chain, int64_t index)
{
    return st->ops->audit_prune_mark(st, chain, index);
}

int store_audit_prune(struct store *st, const char *chain, size_t limit, int64_t *deleted)
{
    return st->ops->audit_prune(st, chain, limit, deleted);
}

int store_audit_stream_put(struct store *st, const struct audit_stream *s)
{
    return st->ops->audit_stream_put(st, s);
}

int store_audit_stream_delete(struct store *st, const char *id, bool keep_sent)
{
    return st->ops->audit_stream_delete(st, id, keep_sent);
}

int store_audit_streams(struct store *st, struct audit_stream_list *out)
{
    return st->ops->audit_streams(st, out);
}

int store_audit_stream_backlog(struct store *st, const char *id,
                               struct audit_stream_chain_list *out)
{
    return st->ops->audit_stream_backlog(st, id, out);
}

int store_audit_stream_update(struct store *st, const struct audit_stream *s, const char *owner,
                              const char *chain, int64_t index)
{
    return st->ops->audit_stream_update(st, s, owner, chain, index);
}

int store_audit_stream_hold(struct store *st, const char *stream, const char *chain, int64_t index,
                            const char *request_id)
{
    return st->ops->audit_stream_hold(st, stream, chain, index, request_id);
}

int store_audit_stream_held(struct store *st, const char *stream, size_t limit,
                            struct audit_stream_held_list *out)
{
    return st->ops->audit_stream_held(st, stream, limit, out);
}

int store_audit_stream_release(struct store *st, const char *stream, const char *chain,
                               int64_t index)
{
    return st->ops->audit_stream_release(st, stream, chain, index);
}

int store_audit_stream_claim(struct store *st, const char *id, const char *owner, int64_t now,
                             int64_t until)
{
    return st->ops->audit_stream_claim(st, id, owner, now, until);
}

int store_webhook_insert(struct store *st, const struct webhook *w)
{
    return st->ops->webhook_insert(st, w);
}

int store_webhook_get(struct store *st, const char *id, struct webhook *out)
{
    return st->ops->webhook_get(st, id, out);
}

int store_webhook_delete(struct store *st, const char *id)
{
    return st->ops->webhook_delete(st, id);
}

int store_webhook_list(struct store *st, const char *tenant_id, bool with_global,
                       struct webhook_list *out)
{
    return st->ops->webhook_list(st, tenant_id, with_global, out);
}

int store_outbox_insert(struct store *st, const struct outbox_msg *m)
{
    return st->ops->outbox_insert(st, m);
}

int store_outbox_due(struct store *st, const char *channel, int64_t now, size_t limit,
                     struct outbox_list *out)
{
    return st->ops->outbox_due(st, channel, now, limit, out);
}

int store_outbox_next_due(struct store *st, const char *channel, int64_t *at)
{
    return st->ops->outbox_next_due(st, channel, at);
}

int store_outbox_update(struct store *st, const struct outbox_msg *m)
{
    return st->ops->outbox_update(st, m);
}

int store_outbox_list_for_request(struct store *st, const char *request_id, bool tenant_only,
                                  struct outbox_list *out)
{
    return st->ops->outbox_list_for_request(st, request_id, tenant_only, out);
}

int store_outbox_count(struct store *st, struct outbox_counts *out)
{
    return st->ops->outbox_count(st, out);
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

int store_table_stat(struct store *st, const struct store_table *t, int64_t *rows,
                     int64_t *last_seq)
{
    return st->ops->table_stat(st, t, rows, last_seq);
}

int store_table_each(struct store *st, const struct store_table *t, store_row_fn *fn, void *ctx,
                     struct buf *err)
{
    return st->ops->table_each(st, t, fn, ctx, err);
}

int store_table_insert(struct store *st, const struct store_table *t,
                       const struct store_value *rows, size_t count, struct buf *err)
{
    return st->ops->table_insert(st, t, rows, count, err);
}

int store_table_seq_set(struct store *st, const struct store_table *t, int64_t last_seq)
{
    return st->ops->table_seq_set(st, t, last_seq);
}

int store_ping(struct store *st)
{
    return st->ops->ping(st);
}
