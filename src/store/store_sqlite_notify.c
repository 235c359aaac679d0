/* The SQLite backend's webhooks and transactional outbox (store.h, migration 2). */
#include "store_sqlite_int.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

/* ---- webhooks ---- */

#define WEBHOOK_COLS "id, tenant_id, url, events, secret, created_at"

static int read_webhook(sqlite3_stmt *st, struct webhook *w)
{
    bool oom = false;
    int rc;

    memset(w, 0, sizeof(*w));
    w->id = sqs_col_str(st, 0, &oom);
    w->tenant_id = sqs_col_str(st, 1, &oom);
    w->url = sqs_col_str(st, 2, &oom);
    rc = sqs_split_lines((const char *)sqlite3_column_text(st, 3), &w->events, &w->event_count);
    w->secret = sqs_col_str(st, 4, &oom);
    w->created_at = sqlite3_column_int64(st, 5);
    if (oom || rc) {
        webhook_clear(w);
        return LB_ENOMEM;
    }
    return 0;
}

static int row_webhook(sqlite3_stmt *st, void *item)
{
    return read_webhook(st, item);
}

int sqs_webhook_insert(struct store *base, const struct webhook *w)
{
    static const char sql[] = "INSERT INTO webhooks(" WEBHOOK_COLS ") VALUES(?,?,?,?,?,?)";
    struct sqlite_store *s = sqs_of(base);
    char *events = NULL, *sealed = NULL;
    struct conn *cn;
    sqlite3_stmt *st;
    int rc;

    if ((rc = sqs_seal(s, "webhooks.secret", w->id, w->secret, &sealed)) != 0)
        return STORE_ERR(rc);
    if (!(events = sqs_join_lines(w->events, w->event_count))) {
        lb_free(sealed);
        return LB_ENOMEM;
    }
    rc = LB_ESTORE;
    cn = sqs_acquire(s, CONN_WRITE);
    if ((st = sqs_stmt(cn, sql)) != NULL) {
        sqs_bind_text(st, 1, w->id);
        sqs_bind_text(st, 2, w->tenant_id);
        sqs_bind_text(st, 3, w->url);
        sqs_bind_text(st, 4, events);
        sqs_bind_text(st, 5, sealed);
        sqlite3_bind_int64(st, 6, w->created_at);
        rc = sqs_run(cn, st);
    }
    rc = sqs_release(s, cn, rc);
    lb_free(events);
    lb_free(sealed);
    return rc;
}

int sqs_webhook_get(struct store *base, const char *id, struct webhook *out)
{
    static const char sql[] = "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id=?";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, id);
        rc = sqs_get_one(cn, st, out, row_webhook);
    }
    sqs_release(s, cn, 0);
    if (rc == 0 && (rc = sqs_unseal(s, "webhooks.secret", out->id, &out->secret)) != 0)
        webhook_clear(out);
    return rc;
}

int sqs_webhook_delete(struct store *base, const char *id)
{
    static const char sql[] = "DELETE FROM webhooks WHERE id=?";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, id);
        rc = sqs_run(cn, st);
        if (rc == 0 && sqlite3_changes(cn->db) == 0)
            rc = LB_ENOTFOUND;
    }
    return sqs_release(s, cn, rc);
}

int sqs_webhook_list(struct store *base, const char *tenant_id, bool with_global,
                     struct webhook_list *out)
{
    static const char sql[] = "SELECT " WEBHOOK_COLS " FROM webhooks"
                              " WHERE tenant_id IS ?1 OR (?2 AND tenant_id IS NULL)"
                              " ORDER BY created_at, rowid";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    memset(out, 0, sizeof(*out));
    if (st) {
        sqs_bind_text(st, 1, tenant_id);
        sqlite3_bind_int(st, 2, with_global);
        rc = sqs_collect(cn, st, &out->items, &out->count, sizeof(*out->items), row_webhook);
    }
    sqs_release(s, cn, 0);
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

static int read_outbox(sqlite3_stmt *st, struct outbox_msg *m)
{
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

static int row_outbox(sqlite3_stmt *st, void *item)
{
    return read_outbox(st, item);
}

int sqs_outbox_insert(struct store *base, const struct outbox_msg *m)
{
    static const char sql[] =
        "INSERT INTO outbox(id, tenant_id, request_id, event, channel, recipient, webhook_id,"
        " payload, created_at, status, attempts, next_attempt_at, tenant_visible)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, m->id);
        sqs_bind_text(st, 2, m->tenant_id);
        sqs_bind_text(st, 3, m->request_id);
        sqs_bind_text(st, 4, m->event);
        sqs_bind_text(st, 5, m->channel);
        sqs_bind_text(st, 6, m->recipient);
        sqs_bind_text(st, 7, m->webhook_id);
        sqs_bind_text(st, 8, m->payload);
        sqlite3_bind_int64(st, 9, m->created_at);
        sqs_bind_text(st, 10, outbox_status_name(m->status));
        sqlite3_bind_int64(st, 11, m->attempts);
        sqs_bind_time(st, 12, m->next_attempt_at);
        sqlite3_bind_int(st, 13, m->tenant_visible);
        rc = sqs_run(cn, st);
    }
    return sqs_release(s, cn, rc);
}

/* Runs a query of outbox rows into out: ?1 is text (or, when NULL, num), ?2 the limit, ?3
 * channel when not NULL. */
static int outbox_query(struct sqlite_store *s, const char *sql, const char *text, int64_t num,
                        size_t limit, const char *channel, struct outbox_list *out)
{
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    memset(out, 0, sizeof(*out));
    if (st) {
        if (text)
            sqs_bind_text(st, 1, text);
        else
            sqlite3_bind_int64(st, 1, num);
        sqlite3_bind_int64(st, 2, (int64_t)limit);
        if (channel)
            sqs_bind_text(st, 3, channel);
        rc = sqs_collect(cn, st, &out->items, &out->count, sizeof(*out->items), row_outbox);
    }
    sqs_release(s, cn, 0);
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

    return outbox_query(sqs_of(base), sql, NULL, now, limit, channel, out);
}

int sqs_outbox_list_for_request(struct store *base, const char *request_id, bool tenant_only,
                                struct outbox_list *out)
{
    static const char all[] =
        "SELECT " OUTBOX_COLS " FROM outbox WHERE request_id=?1 ORDER BY seq LIMIT ?2";
    static const char tenant[] = "SELECT " OUTBOX_COLS " FROM outbox WHERE request_id=?1"
                                 " AND tenant_visible=1 ORDER BY seq LIMIT ?2";

    return outbox_query(sqs_of(base), tenant_only ? tenant : all, request_id, 0, 10000, NULL, out);
}

int sqs_outbox_next_due(struct store *base, const char *channel, int64_t *at)
{
    static const char sql[] =
        "SELECT min(next_attempt_at) FROM outbox WHERE status='pending' AND channel=?1";

    return sqs_query_int(sqs_of(base), sql, channel, at);
}

int sqs_outbox_count(struct store *base, struct outbox_counts *out)
{
    static const char pending[] = "SELECT count(*) FROM outbox WHERE status='pending'";
    static const char delivered[] = "SELECT count(*) FROM outbox WHERE status='delivered'";
    static const char failed[] = "SELECT count(*) FROM outbox WHERE status='failed'";
    struct sqlite_store *s = sqs_of(base);
    int rc;

    if ((rc = sqs_query_int(s, pending, NULL, &out->pending)) != 0 ||
        (rc = sqs_query_int(s, delivered, NULL, &out->delivered)) != 0)
        return rc;
    return sqs_query_int(s, failed, NULL, &out->failed);
}

int sqs_outbox_update(struct store *base, const struct outbox_msg *m)
{
    static const char sql[] = "UPDATE outbox SET status=?, attempts=?, next_attempt_at=?,"
                              " last_attempt_at=?, delivered_at=?, last_error=? WHERE id=?";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, outbox_status_name(m->status));
        sqlite3_bind_int64(st, 2, m->attempts);
        sqs_bind_time(st, 3, m->next_attempt_at);
        sqs_bind_time(st, 4, m->last_attempt_at);
        sqs_bind_time(st, 5, m->delivered_at);
        sqs_bind_text(st, 6, m->last_error);
        sqs_bind_text(st, 7, m->id);
        rc = sqs_run(cn, st);
        if (rc == 0 && sqlite3_changes(cn->db) == 0)
            rc = LB_ENOTFOUND;
    }
    return sqs_release(s, cn, rc);
}
