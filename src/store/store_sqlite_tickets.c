/* The SQLite backend's tickets and their history (store.h, migration 1). */
#include "store_sqlite_int.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

#define TICKET_SELECT                                                                              \
    "SELECT t.seq, t.id, t.tenant_id, t.title, t.description, t.severity, t.status,"               \
    " t.created_by, u.username, t.created_at FROM tickets t JOIN users u ON u.id = t.created_by "

static int read_event(sqlite3_stmt *st, void *item)
{
    struct ticket_event *ev = item;
    bool oom = false;

    ev->at = sqlite3_column_int64(st, 0);
    ev->by = sqs_col_str(st, 1, &oom);
    ev->type = sqs_col_str(st, 2, &oom);
    ev->text = sqs_col_str(st, 3, &oom);
    if (oom) {
        lb_free(ev->by);
        lb_free(ev->type);
        lb_free(ev->text);
        return LB_ENOMEM;
    }
    return 0;
}

/* A ticket's history, read on the connection its row came from (cleared on failure). */
static int read_history(struct conn *cn, void *item)
{
    static const char sql[] =
        "SELECT at, by, type, text FROM ticket_history WHERE ticket_id=? ORDER BY seq";
    struct ticket *t = item;
    sqlite3_stmt *st = sqs_stmt(cn, sql);
    int rc = LB_ESTORE;

    if (st) {
        sqs_bind_text(st, 1, t->id);
        rc = sqs_collect(cn, st, &t->history, &t->history_count, sizeof(*t->history), read_event);
    }
    if (rc)
        ticket_clear(t);
    return rc;
}

static int read_ticket(sqlite3_stmt *st, void *item)
{
    struct ticket *t = item;
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

int sqs_ticket_insert(struct store *base, const struct ticket *t)
{
    static const char sql[] = "INSERT INTO tickets(id, tenant_id, title, description, severity,"
                              " status, created_by, created_at) VALUES(?,?,?,?,?,?,?,?)";

    return sqs_write(sqs_of(base),
                     SQS_QUERY(sql, SQS_TEXT(t->id), SQS_TEXT(t->tenant_id), SQS_TEXT(t->title),
                               SQS_TEXT(t->description), SQS_TEXT(t->severity), SQS_TEXT(t->status),
                               SQS_TEXT(t->created_by), SQS_INT(t->created_at)),
                     0, NULL);
}

int sqs_ticket_event_append(struct store *base, const char *ticket_id,
                            const struct ticket_event *ev)
{
    static const char sql[] =
        "INSERT INTO ticket_history(ticket_id, at, by, type, text) VALUES(?,?,?,?,?)";

    return sqs_write(sqs_of(base),
                     SQS_QUERY(sql, SQS_TEXT(ticket_id), SQS_INT(ev->at), SQS_TEXT(ev->by),
                               SQS_TEXT(ev->type), SQS_TEXT(ev->text)),
                     0, NULL);
}

int sqs_ticket_get(struct store *base, const char *id, struct ticket *out)
{
    static const char sql[] = TICKET_SELECT "WHERE t.id=?";

    return sqs_query_one(sqs_of(base), SQS_QUERY(sql, SQS_TEXT(id)), out, read_ticket,
                         read_history);
}

int sqs_ticket_list(struct store *base, const char *tenant_id, int64_t before_seq, size_t limit,
                    struct ticket_list *out)
{
    static const char sql[] = TICKET_SELECT "WHERE t.tenant_id=? AND (?2 = 0 OR t.seq < ?2)"
                                            " ORDER BY t.seq DESC LIMIT ?3";
    int rc;

    memset(out, 0, sizeof(*out));
    rc = sqs_query_list(sqs_of(base),
                        SQS_QUERY(sql, SQS_TEXT(tenant_id), SQS_INT(before_seq), SQS_INT(limit)),
                        SQS_LIST(out), read_ticket, read_history);
    if (rc)
        ticket_list_clear(out);
    return rc;
}
