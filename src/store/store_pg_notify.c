/* The PostgreSQL backend's webhooks (their secrets sealed) and transactional outbox
 * (store.h, migration 2). */
#include "store_pg_int.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

/* ---- webhooks ---- */

#define WEBHOOK_COLS "id, tenant_id, url, events, secret, created_at"

static int read_webhook(const struct pgs_row *row, void *item)
{
    struct webhook *w = item;
    bool oom = false;
    int rc;

    memset(w, 0, sizeof(*w));
    w->id = pgs_col_str(row, 0, &oom);
    w->tenant_id = pgs_col_str(row, 1, &oom);
    w->url = pgs_col_str(row, 2, &oom);
    rc = strv_split_lines(pgs_col_text(row, 3), &w->events, &w->event_count);
    w->secret = pgs_col_str(row, 4, &oom);
    w->created_at = pgs_col_int(row, 5);
    if (oom || rc) {
        webhook_clear(w);
        return LB_ENOMEM;
    }
    return 0;
}

int pgs_webhook_insert(struct store *base, const struct webhook *w)
{
    static const char sql[] = "INSERT INTO webhooks(" WEBHOOK_COLS ")"
                              " VALUES($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING";
    struct pg_store *s = pgs_of(base);
    char *events = NULL, *sealed = NULL;
    struct pgs_params p = {0};
    int rc;

    if ((rc = pgs_seal(s, "webhooks.secret", w->id, w->secret, &sealed)) != 0)
        return STORE_ERR(rc);
    if (!(events = strv_join_lines(w->events, w->event_count))) {
        rc = LB_ENOMEM;
        goto out;
    }
    pgs_bind_text(&p, w->id);
    pgs_bind_text(&p, w->tenant_id);
    pgs_bind_text(&p, w->url);
    pgs_bind_text(&p, events);
    pgs_bind_text(&p, sealed);
    pgs_bind_int(&p, w->created_at);
    rc = pgs_insert(s, sql, &p);
out:
    lb_free(events);
    lb_free(sealed);
    return rc;
}

int pgs_webhook_get(struct store *base, const char *id, struct webhook *out)
{
    static const char sql[] = "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id=$1";
    struct pg_store *s = pgs_of(base);
    struct pgs_params p = {0};
    int rc;

    pgs_bind_text(&p, id);
    rc = pgs_get(s, sql, &p, out, read_webhook);
    if (rc == 0 && (rc = pgs_unseal(s, "webhooks.secret", out->id, &out->secret)) != 0)
        webhook_clear(out);
    return rc;
}

int pgs_webhook_delete(struct store *base, const char *id)
{
    static const char sql[] = "DELETE FROM webhooks WHERE id=$1";
    struct pgs_params p = {0};

    pgs_bind_text(&p, id);
    return pgs_change(pgs_of(base), sql, &p);
}

int pgs_webhook_list(struct store *base, const char *tenant_id, bool with_global,
                     struct webhook_list *out)
{
    static const char sql[] = "SELECT " WEBHOOK_COLS " FROM webhooks"
                              " WHERE tenant_id IS NOT DISTINCT FROM $1"
                              " OR ($2::boolean AND tenant_id IS NULL) ORDER BY created_at, seq";
    struct pg_store *s = pgs_of(base);
    struct pgs_params p = {0};
    struct pgs_query q = {.sql = sql,
                          .params = &p,
                          .read = read_webhook,
                          .items = &out->items,
                          .count = &out->count,
                          .size = sizeof(*out->items)};
    int rc;

    memset(out, 0, sizeof(*out));
    pgs_bind_text(&p, tenant_id);
    pgs_bind_bool(&p, with_global);
    rc = pgs_list(s, &q);
    for (size_t i = 0; rc == 0 && i < out->count; i++)
        rc = pgs_unseal(s, "webhooks.secret", out->items[i].id, &out->items[i].secret);
    if (rc)
        webhook_list_clear(out);
    return rc;
}

/* ---- the outbox ---- */

#define OUTBOX_COLS                                                                                \
    "seq, id, tenant_id, request_id, event, channel, recipient, webhook_id, payload, created_at,"  \
    " status, attempts, next_attempt_at, last_attempt_at, delivered_at, last_error,"               \
    " tenant_visible"

static int read_outbox(const struct pgs_row *row, void *item)
{
    struct outbox_msg *m = item;
    const char *status = pgs_col_text(row, 10);
    bool oom = false;

    memset(m, 0, sizeof(*m));
    m->seq = pgs_col_int(row, 0);
    m->id = pgs_col_str(row, 1, &oom);
    m->tenant_id = pgs_col_str(row, 2, &oom);
    m->request_id = pgs_col_str(row, 3, &oom);
    m->event = pgs_col_str(row, 4, &oom);
    m->channel = pgs_col_str(row, 5, &oom);
    m->recipient = pgs_col_str(row, 6, &oom);
    m->webhook_id = pgs_col_str(row, 7, &oom);
    m->payload = pgs_col_str(row, 8, &oom);
    m->created_at = pgs_col_int(row, 9);
    m->status = (enum outbox_status)(status ? outbox_status_parse(status) : 0);
    m->attempts = pgs_col_int(row, 11);
    m->next_attempt_at = pgs_col_int(row, 12);
    m->last_attempt_at = pgs_col_int(row, 13);
    m->delivered_at = pgs_col_int(row, 14);
    m->last_error = pgs_col_str(row, 15, &oom);
    m->tenant_visible = pgs_col_bool(row, 16);
    if (oom) {
        outbox_msg_clear(m);
        return LB_ENOMEM;
    }
    return 0;
}

int pgs_outbox_insert(struct store *base, const struct outbox_msg *m)
{
    static const char sql[] =
        "INSERT INTO outbox(id, tenant_id, request_id, event, channel, recipient, webhook_id,"
        " payload, created_at, status, attempts, next_attempt_at, tenant_visible)"
        " VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) ON CONFLICT DO NOTHING";
    struct pgs_params p = {0};

    pgs_bind_text(&p, m->id);
    pgs_bind_text(&p, m->tenant_id);
    pgs_bind_text(&p, m->request_id);
    pgs_bind_text(&p, m->event);
    pgs_bind_text(&p, m->channel);
    pgs_bind_text(&p, m->recipient);
    pgs_bind_text(&p, m->webhook_id);
    pgs_bind_text(&p, m->payload);
    pgs_bind_int(&p, m->created_at);
    pgs_bind_text(&p, outbox_status_name(m->status));
    pgs_bind_int(&p, m->attempts);
    pgs_bind_time(&p, m->next_attempt_at);
    pgs_bind_bool(&p, m->tenant_visible);
    return pgs_insert(pgs_of(base), sql, &p);
}

/* The outbox rows q selects (its parameters bound), into out. */
static int outbox_query(struct pg_store *s, const char *sql, const struct pgs_params *p,
                        struct outbox_list *out)
{
    struct pgs_query q = {.sql = sql,
                          .params = p,
                          .read = read_outbox,
                          .items = &out->items,
                          .count = &out->count,
                          .size = sizeof(*out->items)};
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = pgs_list(s, &q)) != 0)
        outbox_list_clear(out);
    return rc;
}

int pgs_outbox_due(struct store *base, const char *channel, int64_t now, size_t limit,
                   struct outbox_list *out)
{
    static const char sql[] =
        "SELECT " OUTBOX_COLS " FROM outbox WHERE status='pending' AND next_attempt_at<=$1"
        " AND channel=$3 ORDER BY next_attempt_at, seq LIMIT $2";
    struct pgs_params p = {0};

    pgs_bind_int(&p, now);
    pgs_bind_int(&p, (int64_t)limit);
    pgs_bind_text(&p, channel);
    return outbox_query(pgs_of(base), sql, &p, out);
}

int pgs_outbox_list_for_request(struct store *base, const char *request_id, bool tenant_only,
                                struct outbox_list *out)
{
    static const char sql[] = "SELECT " OUTBOX_COLS " FROM outbox WHERE request_id=$1"
                              " AND (NOT $2::boolean OR tenant_visible) ORDER BY seq LIMIT 10000";
    struct pgs_params p = {0};

    pgs_bind_text(&p, request_id);
    pgs_bind_bool(&p, tenant_only);
    return outbox_query(pgs_of(base), sql, &p, out);
}

int pgs_outbox_next_due(struct store *base, const char *channel, int64_t *at)
{
    static const char sql[] =
        "SELECT min(next_attempt_at) FROM outbox WHERE status='pending' AND channel=$1";
    struct pgs_params p = {0};

    pgs_bind_text(&p, channel);
    return pgs_int(pgs_of(base), sql, &p, at);
}

static int read_counts(const struct pgs_row *row, void *item)
{
    struct outbox_counts *c = item;

    c->pending = pgs_col_int(row, 0);
    c->delivered = pgs_col_int(row, 1);
    c->failed = pgs_col_int(row, 2);
    return 0;
}

int pgs_outbox_count(struct store *base, struct outbox_counts *out)
{
    /* one statement, one snapshot: the three counts agree with each other */
    static const char sql[] = "SELECT count(*) FILTER (WHERE status='pending'),"
                              " count(*) FILTER (WHERE status='delivered'),"
                              " count(*) FILTER (WHERE status='failed') FROM outbox";

    memset(out, 0, sizeof(*out));
    return pgs_get(pgs_of(base), sql, NULL, out, read_counts);
}

int pgs_outbox_update(struct store *base, const struct outbox_msg *m)
{
    static const char sql[] = "UPDATE outbox SET status=$1, attempts=$2, next_attempt_at=$3,"
                              " last_attempt_at=$4, delivered_at=$5, last_error=$6 WHERE id=$7";
    struct pgs_params p = {0};

    pgs_bind_text(&p, outbox_status_name(m->status));
    pgs_bind_int(&p, m->attempts);
    pgs_bind_time(&p, m->next_attempt_at);
    pgs_bind_time(&p, m->last_attempt_at);
    pgs_bind_time(&p, m->delivered_at);
    pgs_bind_text(&p, m->last_error);
    pgs_bind_text(&p, m->id);
    return pgs_change(pgs_of(base), sql, &p);
}
