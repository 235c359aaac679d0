/* The SQLite backend's webhooks and transactional outbox (store.h, migration 2). */
#include "store_sqlite_int.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

/* ---- webhooks ---- */

#define WEBHOOK_COLS "id, tenant_id, url, events, secret, created_at"

static int read_webhook(sqlite3_stmt *st, void *item)
{
    struct webhook *w = item;
    bool oom = false;
    int rc;

    memset(w, 0, sizeof(*w));
    w->id = sqs_col_str(st, 0, &oom);
    w->tenant_id = sqs_col_str(st, 1, &oom);
    w->url = sqs_col_str(st, 2, &oom);
    rc = strv_split_lines((const char *)sqlite3_column_text(st, 3), &w->events, &w->event_count);
    w->secret = sqs_col_str(st, 4, &oom);
    w->created_at = sqlite3_column_int64(st, 5);
    if (oom || rc) {
        webhook_clear(w);
        return LB_ENOMEM;
    }
    return 0;
}

int sqs_webhook_insert(struct store *base, const struct webhook *w)
{
    static const char sql[] = "INSERT INTO webhooks(" WEBHOOK_COLS ") VALUES(?,?,?,?,?,?)";
    struct sqlite_store *s = sqs_of(base);
    char *events = NULL, *sealed = NULL;
    int rc;

    if ((rc = sqs_seal(s, "webhooks.secret", w->id, w->secret, &sealed)) != 0)
        return STORE_ERR(rc);
    if (!(events = strv_join_lines(w->events, w->event_count))) {
        lb_free(sealed);
        return LB_ENOMEM;
    }
    rc = sqs_write(s,
                   SQS_QUERY(sql, SQS_TEXT(w->id), SQS_TEXT(w->tenant_id), SQS_TEXT(w->url),
                             SQS_TEXT(events), SQS_TEXT(sealed), SQS_INT(w->created_at)),
                   0, NULL);
    lb_free(events);
    lb_free(sealed);
    return rc;
}

int sqs_webhook_get(struct store *base, const char *id, struct webhook *out)
{
    static const char sql[] = "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id=?";
    struct sqlite_store *s = sqs_of(base);
    int rc = sqs_query_one(s, SQS_QUERY(sql, SQS_TEXT(id)), out, read_webhook, NULL);

    if (rc == 0 && (rc = sqs_unseal(s, "webhooks.secret", out->id, &out->secret)) != 0)
        webhook_clear(out);
    return rc;
}

int sqs_webhook_delete(struct store *base, const char *id)
{
    static const char sql[] = "DELETE FROM webhooks WHERE id=?";

    return sqs_write(sqs_of(base), SQS_QUERY(sql, SQS_TEXT(id)), LB_ENOTFOUND, NULL);
}

int sqs_webhook_list(struct store *base, const char *tenant_id, bool with_global,
                     struct webhook_list *out)
{
    static const char sql[] = "SELECT " WEBHOOK_COLS " FROM webhooks"
                              " WHERE tenant_id IS ?1 OR (?2 AND tenant_id IS NULL)"
                              " ORDER BY created_at, rowid";
    struct sqlite_store *s = sqs_of(base);
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sqs_query_list(s, SQS_QUERY(sql, SQS_TEXT(tenant_id), SQS_INT(with_global)), SQS_LIST(out),
                        read_webhook, NULL);
    for (size_t i = 0; rc == 0 && i < out->count; i++)
        rc = sqs_unseal(s, "webhooks.secret", out->items[i].id, &out->items[i].secret);
    if (rc)
        webhook_list_clear(out);
    return rc;
}

/* ---- the outbox ---- */

#define OUTBOX_COLS                                                                                \
    "seq, id, tenant_id, request_id, event, channel, recipient, webhook_id, payload, created_at,"  \
    " status, attempts, next_attempt_at, last_attempt_at, delivered_at, last_error, "              \
    "tenant_visible"

static int read_outbox(sqlite3_stmt *st, void *item)
{
    struct outbox_msg *m = item;
    bool oom = false;
    const char *status;

    memset(m, 0, sizeof(*m));
    m->seq = sqlite3_column_int64(st, 0);
    m->id = sqs_col_str(st, 1, &oom);
    m->tenant_id = sqs_col_str(st, 2, &oom);
    m->request_id = sqs_col_str(st, 3, &oom);
    m->event = sqs_col_str(st, 4, &oom);
    m->channel = sqs_col_str(st, 5, &oom);
    m->recipient = sqs_col_str(st, 6, &oom);
    m->webhook_id = sqs_col_str(st, 7, &oom);
    m->payload = sqs_col_str(st, 8, &oom);
    m->created_at = sqlite3_column_int64(st, 9);
    status = (const char *)sqlite3_column_text(st, 10);
    m->status = (enum outbox_status)(status ? outbox_status_parse(status) : 0);
    m->attempts = sqlite3_column_int64(st, 11);
    m->next_attempt_at = sqs_col_time(st, 12);
    m->last_attempt_at = sqs_col_time(st, 13);
    m->delivered_at = sqs_col_time(st, 14);
    m->last_error = sqs_col_str(st, 15, &oom);
    m->tenant_visible = sqlite3_column_int(st, 16) != 0;
    if (oom) {
        outbox_msg_clear(m);
        return LB_ENOMEM;
    }
    return 0;
}

int sqs_outbox_insert(struct store *base, const struct outbox_msg *m)
{
    static const char sql[] =
        "INSERT INTO outbox(id, tenant_id, request_id, event, channel, recipient, webhook_id,"
        " payload, created_at, status, attempts, next_attempt_at, tenant_visible)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)";

    return sqs_write(sqs_of(base),
                     SQS_QUERY(sql, SQS_TEXT(m->id), SQS_TEXT(m->tenant_id),
                               SQS_TEXT(m->request_id), SQS_TEXT(m->event), SQS_TEXT(m->channel),
                               SQS_TEXT(m->recipient), SQS_TEXT(m->webhook_id),
                               SQS_TEXT(m->payload), SQS_INT(m->created_at),
                               SQS_TEXT(outbox_status_name(m->status)), SQS_INT(m->attempts),
                               SQS_TIME(m->next_attempt_at), SQS_INT(m->tenant_visible)),
                     0, NULL);
}

/* The outbox rows q selects, into out. */
static int outbox_list(struct sqlite_store *s, const struct sqs_query *q, struct outbox_list *out)
{
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sqs_query_list(s, q, SQS_LIST(out), read_outbox, NULL);
    if (rc)
        outbox_list_clear(out);
    return rc;
}

int sqs_outbox_due(struct store *base, const char *channel, int64_t now, size_t limit,
                   struct outbox_list *out)
{
    static const char sql[] =
        "SELECT " OUTBOX_COLS " FROM outbox WHERE status='pending' AND next_attempt_at<=?1"
        " AND channel=?3 ORDER BY next_attempt_at, seq LIMIT ?2";

    return outbox_list(sqs_of(base),
                       SQS_QUERY(sql, SQS_INT(now), SQS_INT(limit), SQS_TEXT(channel)), out);
}

int sqs_outbox_list_for_request(struct store *base, const char *request_id, bool tenant_only,
                                struct outbox_list *out)
{
    static const char all[] =
        "SELECT " OUTBOX_COLS " FROM outbox WHERE request_id=?1 ORDER BY seq LIMIT ?2";
    static const char tenant[] = "SELECT " OUTBOX_COLS " FROM outbox WHERE request_id=?1"
                                 " AND tenant_visible=1 ORDER BY seq LIMIT ?2";

    return outbox_list(sqs_of(base),
                       SQS_QUERY(tenant_only ? tenant : all, SQS_TEXT(request_id), SQS_INT(10000)),
                       out);
}

int sqs_outbox_next_due(struct store *base, const char *channel, int64_t *at)
{
    static const char sql[] =
        "SELECT min(next_attempt_at) FROM outbox WHERE status='pending' AND channel=?1";

    return sqs_query_int(sqs_of(base), SQS_QUERY(sql, SQS_TEXT(channel)), at);
}

int sqs_outbox_count(struct store *base, struct outbox_counts *out)
{
    static const char pending[] = "SELECT count(*) FROM outbox WHERE status='pending'";
    static const char delivered[] = "SELECT count(*) FROM outbox WHERE status='delivered'";
    static const char failed[] = "SELECT count(*) FROM outbox WHERE status='failed'";
    struct sqlite_store *s = sqs_of(base);
    int rc;

    if ((rc = sqs_query_int(s, SQS_QUERY_NOARGS(pending), &out->pending)) != 0 ||
        (rc = sqs_query_int(s, SQS_QUERY_NOARGS(delivered), &out->delivered)) != 0)
        return rc;
    return sqs_query_int(s, SQS_QUERY_NOARGS(failed), &out->failed);
}

int sqs_outbox_update(struct store *base, const struct outbox_msg *m)
{
    static const char sql[] = "UPDATE outbox SET status=?, attempts=?, next_attempt_at=?,"
                              " last_attempt_at=?, delivered_at=?, last_error=? WHERE id=?";

    return sqs_write(sqs_of(base),
                     SQS_QUERY(sql, SQS_TEXT(outbox_status_name(m->status)), SQS_INT(m->attempts),
                               SQS_TIME(m->next_attempt_at), SQS_TIME(m->last_attempt_at),
                               SQS_TIME(m->delivered_at), SQS_TEXT(m->last_error), SQS_TEXT(m->id)),
                     LB_ENOTFOUND, NULL);
}
