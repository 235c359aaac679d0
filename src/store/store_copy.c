/* Moving a whole store into another one (store_copy.h): batches of rows from one backend's
 * table_each to the other's table_insert, inside one transaction of the target, then the
 * checks. */
#include "store_copy.h"

#include "model/audit.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

#define BATCH_ROWS 500            /* rows inserted by one call */
#define BATCH_BYTES (1024 * 1024) /* ... or fewer, once their text is this long */
#define AUDIT_PAGE 500            /* audit records compared per read */

/* A table's figures in the source: its rows and its newest seq. */
struct table_totals {
    int64_t rows, last_seq;
};

struct copy {
    struct store *from, *to;
    store_copy_progress_fn *fn;
    void *ctx;
    struct buf *err;
    const struct store_table *t; /* the table being copied */
    struct store_value *batch;   /* BATCH_ROWS rows of t; text values are owned copies */
    size_t count, bytes;         /* rows in the batch, and the length of their text */
    int64_t done, total;         /* of t */
};

static int progress(struct copy *c, bool checking, bool finished)
{
    struct store_copy_progress p = {.table = c->t->name,
                                    .checking = checking,
                                    .done = c->done,
                                    .total = c->total,
                                    .finished = finished};
    int rc = c->fn ? c->fn(c->ctx, &p) : 0;

    return rc < 0 ? rc : 0;
}

/* Frees the texts of the batch and empties it. */
static void batch_clear(struct copy *c)
{
    for (size_t i = 0; i < c->count * c->t->column_count; i++)
        if (c->t->columns[i % c->t->column_count].type == STORE_COLUMN_TEXT)
            lb_free(c->batch[i].text);
    c->count = c->bytes = 0;
}

/* Inserts the batch into the target. */
static int flush(struct copy *c)
{
    int rc = 0;

    if (c->count) {
        rc = store_table_insert(c->to, c->t, c->batch, c->count, c->err);
        c->done += (int64_t)c->count;
    }
    batch_clear(c);
    return rc ? rc : progress(c, false, false);
}

/* store_row_fn: adds a source row to the batch (its text copied: the row is only lent). */
static int add_row(void *ctx, const struct store_value *row)
{
    struct copy *c = ctx;
    struct store_value *to = c->batch + c->count * c->t->column_count;
    int rc = 0;

    for (size_t i = 0; i < c->t->column_count; i++) {
        bool text = c->t->columns[i].type == STORE_COLUMN_TEXT;
        if (row[i].is_null || (text && !row[i].text) || rc) {
            to[i] = (struct store_value){.is_null = true};
            continue;
        }
        to[i] = (struct store_value){.num = row[i].num};
        if (!text)
            continue;
        /* on failure the rest of the row is NULL, and the batch frees what was copied */
        if (!(to[i].text = lb_strdup(row[i].text)))
            rc = LB_ENOMEM;
        else
            c->bytes += strlen(row[i].text);
    }
    c->count++;
    if (rc)
        return rc;
    return c->count == BATCH_ROWS || c->bytes >= BATCH_BYTES ? flush(c) : 0;
}

/* Copies table c->t, whose source figures are tot. */
static int copy_table(struct copy *c, const struct table_totals *tot)
{
    int rc;

    c->done = 0;
    c->total = tot->rows;
    if ((rc = progress(c, false, false)) != 0)
        return rc;
    rc = store_table_each(c->from, c->t, add_row, c, c->err);
    if (rc == 0)
        rc = flush(c);
    batch_clear(c);
    if (rc == 0 && c->done != tot->rows) {
        if (c->err)
            buf_appendf(c->err, "table %s: %lld rows read of the %lld counted in the source",
                        c->t->name, (long long)c->done, (long long)tot->rows);
        rc = LB_ECONFLICT;
    }
    return rc ? rc : progress(c, false, true);
}

/* LB_EPRECONDITION (naming the tables that hold rows) unless every table of to is empty. */
static int check_empty(struct copy *c)
{
    int64_t rows, last_seq;
    int rc = 0;

    for (size_t i = 0; i < store_table_count; i++) {
        int r = store_table_stat(c->to, &store_tables[i], &rows, &last_seq);
        if (r)
            return r;
        if (rows == 0)
            continue;
        if (c->err)
            buf_appendf(c->err, "%s%s (%lld)",
                        rc ? ", " : "the target database is not empty: it holds rows in ",
                        store_tables[i].name, (long long)rows);
        rc = LB_EPRECONDITION;
    }
    return rc;
}

/* Each table of to holds as many rows as the source (tot, in store_tables' order). */
static int check_counts(struct copy *c, const struct table_totals *tot)
{
    for (size_t i = 0; i < store_table_count; i++) {
        int64_t rows, last_seq;
        int rc = store_table_stat(c->to, &store_tables[i], &rows, &last_seq);
        if (rc)
            return rc;
        if (rows != tot[i].rows) {
            if (c->err)
                buf_appendf(c->err, "table %s: %lld rows in the source, %lld in the copy",
                            store_tables[i].name, (long long)tot[i].rows, (long long)rows);
            return LB_ECONFLICT;
        }
    }
    return 0;
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* The name of the first field in which a and b differ, or NULL. */
static const char *audit_difference(const struct audit_record *a, const struct audit_record *b)
{
    const struct {
        const char *name, *a, *b;
    } texts[] = {
        {"tenant_id", a->tenant_id, b->tenant_id},
        {"actor", a->actor, b->actor},
        {"actor_id", a->actor_id, b->actor_id},
        {"actor_type", a->actor_type, b->actor_type},
        {"client_ip", a->client_ip, b->client_ip},
        {"activity", a->activity, b->activity},
        {"item", a->item, b->item},
        {"request_id", a->request_id, b->request_id},
        {"decision", a->decision, b->decision},
        {"details", a->details, b->details},
        {"chain", a->chain, b->chain},
        {"prev_hash", a->prev_hash, b->prev_hash},
        {"hash", a->hash, b->hash},
    };

    if (a->seq != b->seq)
        return "seq";
    if (a->time != b->time)
        return "time";
    if (a->chain_index != b->chain_index)
        return "chain_index";
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        if (!same_text(texts[i].a, texts[i].b))
            return texts[i].name;
    return NULL;
}

/* Compares one page of the audit log, the records after *cursor; *more is false after the
 * last. */
static int check_audit_page(struct copy *c, int64_t *cursor, bool *more)
{
    struct audit_filter f = {.ascending = true, .after_seq = *cursor, .limit = AUDIT_PAGE};
    struct audit_list a = {0}, b = {0};
    const char *field = NULL;
    int rc;

    if ((rc = store_audit_query(c->from, &f, &a)) != 0 ||
        (rc = store_audit_query(c->to, &f, &b)) != 0)
        goto out;
    for (size_t i = 0; i < a.count && i < b.count && !field; i++) {
        if ((field = audit_difference(&a.items[i], &b.items[i])) != NULL && c->err)
            buf_appendf(c->err, "audit record %lld differs in the copy (%s)",
                        (long long)a.items[i].seq, field);
    }
    if (!field && a.count != b.count && c->err)
        buf_appendf(c->err, "the copy's audit log has %zu records after seq %lld, the source's %zu",
                    b.count, (long long)*cursor, a.count);
    if (field || a.count != b.count) {
        rc = LB_ECONFLICT;
        goto out;
    }
    c->done += (int64_t)a.count;
    *more = a.count == AUDIT_PAGE;
    if (a.count)
        *cursor = a.items[a.count - 1].seq;
out:
    audit_list_clear(&a);
    audit_list_clear(&b);
    return rc;
}

/* Compares the audit log of the copy with the source's (its table t, with tot rows there),
 * record for record. */
static int check_audit(struct copy *c, const struct store_table *t, const struct table_totals *tot)
{
    int64_t cursor = 0;
    bool more = true;
    int rc = 0;

    c->t = t;
    c->done = 0;
    c->total = tot->rows;
    while (rc == 0 && more) {
        more = false;
        if ((rc = check_audit_page(c, &cursor, &more)) == 0)
            rc = progress(c, true, !more);
    }
    return rc;
}

/* Gives each seq of to a start past the source's newest, then checks it took. */
static int set_seqs(struct copy *c, const struct table_totals *tot)
{
    for (size_t i = 0; i < store_table_count; i++) {
        const struct store_table *t = &store_tables[i];
        int64_t rows, last_seq;
        int rc;
        if (!(t->flags & STORE_TABLE_SEQ))
            continue;
        if ((rc = store_table_seq_set(c->to, t, tot[i].last_seq)) != 0 ||
            (rc = store_table_stat(c->to, t, &rows, &last_seq)) != 0)
            return rc;
        /* SQLite numbers a new row past the highest by itself: only a kept seq must say so */
        if (last_seq < tot[i].last_seq && (t->flags & STORE_TABLE_SEQ_KEPT)) {
            if (c->err)
                buf_appendf(c->err, "table %s: the copy's seq is at %lld, the source's at %lld",
                            t->name, (long long)last_seq, (long long)tot[i].last_seq);
            return LB_ECONFLICT;
        }
    }
    return 0;
}

/* Everything between the target's BEGIN and its COMMIT. */
static int copy_all(struct copy *c, const struct table_totals *tot, struct store_copy_report *r)
{
    const struct store_table *audit = store_table_find("audit");
    int rc;

    if ((rc = check_empty(c)) != 0)
        return rc;
    for (size_t i = 0; i < store_table_count; i++) {
        c->t = &store_tables[i];
        if ((rc = copy_table(c, &tot[i])) != 0)
            return rc;
        r->tables++;
        r->rows += c->done;
    }
    if ((rc = check_counts(c, tot)) != 0 ||
        (rc = check_audit(c, audit, &tot[audit - store_tables])) != 0)
        return rc;
    r->audit_checked = c->done;
    /* last: a sequence keeps its value when the transaction rolls back */
    return set_seqs(c, tot);
}

int store_copy(struct store *from, struct store *to, store_copy_progress_fn *fn, void *ctx,
               struct store_copy_report *report, struct buf *err)
{
    struct copy c = {.from = from, .to = to, .fn = fn, .ctx = ctx, .err = err};
    struct store_copy_report r = {0};
    struct table_totals *tot = lb_calloc(store_table_count, sizeof(*tot));
    size_t widest = 0;
    int rc = LB_ENOMEM;

    for (size_t i = 0; i < store_table_count; i++)
        if (store_tables[i].column_count > widest)
            widest = store_tables[i].column_count;
    c.batch = lb_calloc(BATCH_ROWS * widest, sizeof(*c.batch));
    if (!tot || !c.batch)
        goto out;
    for (size_t i = 0; i < store_table_count; i++)
        if ((rc = store_table_stat(from, &store_tables[i], &tot[i].rows, &tot[i].last_seq)) != 0)
            goto out;
    if ((rc = store_begin(to)) != 0)
        goto out;
    if ((rc = copy_all(&c, tot, &r)) != 0) {
        store_rollback(to);
        goto out;
    }
    if ((rc = store_commit(to)) != 0)
        goto out;
    if (report)
        *report = r;
out:
    if (rc && err && !err->len)
        buf_appendf(err, "%s", lb_strerror(rc));
    lb_free(c.batch);
    lb_free(tot);
    return rc;
}
