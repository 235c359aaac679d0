/* The SQLite backend's tickets and their history (store.h, migration 1). */
#include "store_sqlite_int.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

/* ---- tickets ---- */

#define TICKET_SELECT                                                                              \
    "SELECT t.seq, t.id, t.tenant_id, t.title, t.description, t.severity, t.status,"               \
    " t.created_by, u.username, t.created_at FROM tickets t JOIN users u ON u.id = t.created_by "

static int read_ticket_history(struct conn *cn, struct ticket *t)
{
    static const char sql[] =
        "SELECT at, by, type, text FROM ticket_history WHERE ticket_id=? ORDER BY seq";
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    size_t cap = 0;
    bool oom = false;
    int rc;

    if (!st)
        return LB_ESTORE;
    sqs_bind_text(st, 1, t->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (lb_array_reserve(&t->history, &cap, t->history_count, sizeof(*t->history)) != 0) {
            oom = true;
            break;
        }
        struct ticket_event *ev = &t->history[t->history_count++];
        ev->at = sqlite3_column_int64(st, 0);
        ev->by = sqs_col_str(st, 1, &oom);
        ev->type = sqs_col_str(st, 2, &oom);
        ev->text = sqs_col_str(st, 3, &oom);
        if (oom)
            break;
    }
    sqs_stmt_done(cn, st);
    if (oom)
        return LB_ENOMEM;
    return rc == SQLITE_DONE ? 0 : sqs_code(cn, rc);
}

static int read_ticket(sqlite3_stmt *st, struct ticket *t)
{
    bool oom = false;

    memset(t, 0, sizeof(*t));
    t->seq = sqlite3_column_int64(st, 0);
    t->id = sqs_col_str(st, 1, &oom);
    t->tenant_id = sqs_col_str(st, 2, &oom);
    t->title = sqs_col_str(st, 3, &oom);
    t->description = sqs_col_str(st, 4, &oom);
    t->severity = sqs_col_str(st, 5, &oom);
    t->status = sqs_col_str(st, 6, &oom);
    t->created_by = sqs_col_str(st, 7, &oom);
    t->created_by_username = sqs_col_str(st, 8, &oom);
    t->created_at = sqlite3_column_int64(st, 9);
    if (oom) {
        ticket_clear(t);
        return LB_ENOMEM;
    }
    return 0;
}

static int row_ticket(sqlite3_stmt *st, void *item)
{
    return read_ticket(st, item);
}

int sqs_ticket_insert(struct store *base, const struct ticket *t)
{
    static const char sql[] = "INSERT INTO tickets(id, tenant_id, title, description, severity,"
                              " status, created_by, created_at) VALUES(?,?,?,?,?,?,?,?)";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, t->id);
        sqs_bind_text(st, 2, t->tenant_id);
        sqs_bind_text(st, 3, t->title);
        sqs_bind_text(st, 4, t->description);
        sqs_bind_text(st, 5, t->severity);
        sqs_bind_text(st, 6, t->status);
        sqs_bind_text(st, 7, t->created_by);
        sqlite3_bind_int64(st, 8, t->created_at);
        rc = sqs_run(cn, st);
    }
    rc = sqs_release(s, cn, rc);
    return rc;
}

int sqs_ticket_event_append(struct store *base, const char *ticket_id,
                            const struct ticket_event *ev)
{
    static const char sql[] =
        "INSERT INTO ticket_history(ticket_id, at, by, type, text) VALUES(?,?,?,?,?)";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_WRITE);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, ticket_id);
        sqlite3_bind_int64(st, 2, ev->at);
        sqs_bind_text(st, 3, ev->by);
        sqs_bind_text(st, 4, ev->type);
        sqs_bind_text(st, 5, ev->text);
        rc = sqs_run(cn, st);
    }
    rc = sqs_release(s, cn, rc);
    return rc;
}

int sqs_ticket_get(struct store *base, const char *id, struct ticket *out)
{
    static const char sql[] = TICKET_SELECT "WHERE t.id=?";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (!st)
        goto out;
    sqs_bind_text(st, 1, id);
    rc = sqs_get_one(cn, st, out, row_ticket);
    if (rc == 0 && (rc = read_ticket_history(cn, out)) != 0)
        ticket_clear(out);
out:
    sqs_release(s, cn, 0);
    return rc;
}

int sqs_ticket_list(struct store *base, const char *tenant_id, int64_t before_seq, size_t limit,
                    struct ticket_list *out)
{
    static const char sql[] = TICKET_SELECT "WHERE t.tenant_id=? AND (?2 = 0 OR t.seq < ?2)"
                                            " ORDER BY t.seq DESC LIMIT ?3";
    struct sqlite_store *s = sqs_of(base);
    struct conn *cn = sqs_acquire(s, CONN_READ);
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    memset(out, 0, sizeof(*out));
    if (!st)
        goto out;
    out->items = lb_calloc(limit ? limit : 1, sizeof(*out->items));
    if (!out->items) {
        sqs_stmt_done(cn, st);
        rc = LB_ENOMEM;
        goto out;
    }
    sqs_bind_text(st, 1, tenant_id);
    sqlite3_bind_int64(st, 2, before_seq);
    sqlite3_bind_int64(st, 3, (int64_t)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->count < limit) {
        if ((rc = read_ticket(st, &out->items[out->count])) != 0)
            break;
        out->count++;
    }
    rc = rc == SQLITE_DONE ? 0 : (rc < 0 ? rc : sqs_code(cn, rc));
    sqs_stmt_done(cn, st);
    for (size_t i = 0; rc == 0 && i < out->count; i++)
        rc = read_ticket_history(cn, &out->items[i]);
out:
    sqs_release(s, cn, 0);
    if (rc)
        ticket_list_clear(out);
    return rc;
}
