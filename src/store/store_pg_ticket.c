/* The PostgreSQL backend's tickets and their history (store.h). */
#include "store_pg_int.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

#define TICKET_SELECT                                                                              \
    "SELECT t.seq, t.id, t.tenant_id, t.title, t.description, t.severity, t.status,"               \
    " t.created_by, u.username, t.created_at FROM tickets t JOIN users u ON u.id = t.created_by "

static int read_ticket(const struct pgs_row *row, void *item)
{
    struct ticket *t = item;
    bool oom = false;

    memset(t, 0, sizeof(*t));
    t->seq = pgs_col_int(row, 0);
    t->id = pgs_col_str(row, 1, &oom);
    t->tenant_id = pgs_col_str(row, 2, &oom);
    t->title = pgs_col_str(row, 3, &oom);
    t->description = pgs_col_str(row, 4, &oom);
    t->severity = pgs_col_str(row, 5, &oom);
    t->status = pgs_col_str(row, 6, &oom);
    t->created_by = pgs_col_str(row, 7, &oom);
    t->created_by_username = pgs_col_str(row, 8, &oom);
    t->created_at = pgs_col_int(row, 9);
    if (oom) {
        ticket_clear(t);
        return LB_ENOMEM;
    }
    return 0;
}

static int read_event(const struct pgs_row *row, void *item)
{
    struct ticket_event *ev = item;
    bool oom = false;

    memset(ev, 0, sizeof(*ev));
    ev->at = pgs_col_int(row, 0);
    ev->by = pgs_col_str(row, 1, &oom);
    ev->type = pgs_col_str(row, 2, &oom);
    ev->text = pgs_col_str(row, 3, &oom);
    if (oom) {
        lb_free(ev->by);
        lb_free(ev->type);
        lb_free(ev->text);
        return LB_ENOMEM;
    }
    return 0;
}

/* Reads t's history on cn. */
static int read_history(struct pgs_conn *cn, struct ticket *t)
{
    static const char sql[] = "SELECT at, \"by\", type, text FROM ticket_history"
                              " WHERE ticket_id=$1 ORDER BY seq";
    struct pgs_params p = {0};
    struct pgs_query q = {.sql = sql,
                          .params = &p,
                          .read = read_event,
                          .items = &t->history,
                          .count = &t->history_count,
                          .size = sizeof(*t->history)};

    pgs_bind_text(&p, t->id);
    return pgs_run(cn, &q);
}

int pgs_ticket_insert(struct store *base, const struct ticket *t)
{
    static const char sql[] = "INSERT INTO tickets(id, tenant_id, title, description, severity,"
                              " status, created_by, created_at) VALUES($1,$2,$3,$4,$5,$6,$7,$8)"
                              " ON CONFLICT DO NOTHING";
    struct pgs_params p = {0};

    pgs_bind_text(&p, t->id);
    pgs_bind_text(&p, t->tenant_id);
    pgs_bind_text(&p, t->title);
    pgs_bind_text(&p, t->description);
    pgs_bind_text(&p, t->severity);
    pgs_bind_text(&p, t->status);
    pgs_bind_text(&p, t->created_by);
    pgs_bind_int(&p, t->created_at);
    return pgs_insert(pgs_of(base), sql, &p);
}

int pgs_ticket_event_append(struct store *base, const char *ticket_id,
                            const struct ticket_event *ev)
{
    static const char sql[] = "INSERT INTO ticket_history(ticket_id, at, \"by\", type, text)"
                              " VALUES($1,$2,$3,$4,$5)";
    struct pgs_params p = {0};

    pgs_bind_text(&p, ticket_id);
    pgs_bind_int(&p, ev->at);
    pgs_bind_text(&p, ev->by);
    pgs_bind_text(&p, ev->type);
    pgs_bind_text(&p, ev->text);
    return pgs_write(pgs_of(base), sql, &p, NULL);
}

int pgs_ticket_get(struct store *base, const char *id, struct ticket *out)
{
    static const char sql[] = TICKET_SELECT "WHERE t.id=$1";
    struct pg_store *s = pgs_of(base);
    struct pgs_conn *cn = NULL;
    struct pgs_params p = {0};
    int rc = pgs_acquire(s, PGS_READ, &cn);

    pgs_bind_text(&p, id);
    if (rc == 0)
        rc = pgs_get_on(cn, sql, &p, out, read_ticket);
    if (rc == 0 && (rc = read_history(cn, out)) != 0)
        ticket_clear(out);
    pgs_release(s, cn, 0);
    return rc;
}

int pgs_ticket_list(struct store *base, const char *tenant_id, int64_t before_seq, size_t limit,
                    struct ticket_list *out)
{
    static const char sql[] = TICKET_SELECT "WHERE t.tenant_id=$1 AND ($2::bigint=0 OR t.seq<$2)"
                                            " ORDER BY t.seq DESC LIMIT $3";
    struct pg_store *s = pgs_of(base);
    struct pgs_conn *cn = NULL;
    struct pgs_params p = {0};
    struct pgs_query q = {.sql = sql,
                          .params = &p,
                          .read = read_ticket,
                          .items = &out->items,
                          .count = &out->count,
                          .size = sizeof(*out->items),
                          .limit = limit};
    int rc;

    memset(out, 0, sizeof(*out));
    pgs_bind_text(&p, tenant_id);
    pgs_bind_int(&p, before_seq);
    pgs_bind_int(&p, (int64_t)limit);
    rc = pgs_acquire(s, PGS_READ, &cn);
    if (rc == 0)
        rc = pgs_run(cn, &q);
    for (size_t i = 0; rc == 0 && i < out->count; i++)
        rc = read_history(cn, &out->items[i]);
    pgs_release(s, cn, 0);
    if (rc)
        ticket_list_clear(out);
    return rc;
}
