/* The audit search's statements by shape (audit_sql.h). */
#include "audit_sql.h"

#include "util/buf.h"
#include "util/mem.h"

#include <string.h>

#include "util/banned.h"

enum {
    SHAPE_ACTIVITY = 1 << 0,
    SHAPE_ACTOR = 1 << 1,
    SHAPE_ITEM = 1 << 2,
    SHAPE_TENANT = 1 << 3,
    SHAPE_FROM = 1 << 4,
    SHAPE_TO = 1 << 5,
    SHAPE_VIEW = 1 << 6,
    SHAPE_ASC = 1 << 7,
    SHAPE_AFTER = 1 << 8,
    SHAPE_BY_TIME = 1 << 9,
};

_Static_assert(AUDIT_SQL_SHAPES == SHAPE_BY_TIME << 1, "a statement for every shape");

void audit_sql_cache_init(struct audit_sql_cache *c)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
}

void audit_sql_cache_free(struct audit_sql_cache *c)
{
    for (size_t i = 0; i < AUDIT_SQL_SHAPES; i++)
        lb_free(c->sql[i]);
    pthread_mutex_destroy(&c->lock);
}

unsigned audit_sql_shape(const struct audit_filter *f)
{
    return (f->activity ? SHAPE_ACTIVITY : 0) | (f->actor ? SHAPE_ACTOR : 0) |
           (f->item ? SHAPE_ITEM : 0) | (f->tenant_id ? SHAPE_TENANT : 0) |
           (f->has_from ? SHAPE_FROM : 0) | (f->has_to ? SHAPE_TO : 0) |
           (f->tenant_view ? SHAPE_VIEW : 0) | (f->ascending ? SHAPE_ASC : 0) |
           (f->after_seq ? SHAPE_AFTER : 0) | (f->by_time ? SHAPE_BY_TIME : 0);
}

/* One condition, its placeholder numbered next. */
static void cond(struct buf *b, const struct audit_sql_dialect *d, int *n, const char *what)
{
    buf_appendf(b, "%s %s%c%d", *n == 1 ? " WHERE" : " AND", what, d->placeholder, *n);
    (*n)++;
}

static char *build(const struct audit_sql_dialect *d, unsigned shape)
{
    struct buf b = BUF_INIT;
    bool asc = shape & SHAPE_ASC;
    int n = 1;

    buf_puts(&b, d->select);
    if (shape & SHAPE_ACTIVITY)
        cond(&b, d, &n, "activity=");
    if (shape & SHAPE_ACTOR)
        cond(&b, d, &n, "actor=");
    if (shape & SHAPE_ITEM)
        cond(&b, d, &n, "item=");
    if (shape & SHAPE_TENANT)
        cond(&b, d, &n, "tenant_id=");
    if (shape & SHAPE_FROM)
        cond(&b, d, &n, "time>=");
    if (shape & SHAPE_TO)
        cond(&b, d, &n, "time<");
    /* by time, the cursor is the (time, seq) of the page's last record, looked up by its seq */
    if ((shape & SHAPE_AFTER) && (shape & SHAPE_BY_TIME)) {
        cond(&b, d, &n,
             asc ? "(time,seq)>(SELECT time,seq FROM audit WHERE seq="
                 : "(time,seq)<(SELECT time,seq FROM audit WHERE seq=");
        buf_puts(&b, ")");
    } else if (shape & SHAPE_AFTER)
        cond(&b, d, &n, asc ? "seq>" : "seq<");
    if (shape & SHAPE_VIEW)
        buf_appendf(&b,
                    "%s (request_id IS NULL OR EXISTS(SELECT 1 FROM requests r"
                    " WHERE r.id=audit.request_id AND r.customer_visible%s))",
                    n == 1 ? " WHERE" : " AND", d->visible);
    if (shape & SHAPE_BY_TIME)
        buf_appendf(&b, " ORDER BY time %s,", asc ? "ASC" : "DESC");
    else
        buf_puts(&b, " ORDER BY");
    buf_appendf(&b, " seq %s LIMIT %c%d", asc ? "ASC" : "DESC", d->placeholder, n);
    if (!buf_ok(&b)) {
        buf_release(&b);
        return NULL;
    }
    return buf_take(&b);
}

const char *audit_sql_get(struct audit_sql_cache *c, const struct audit_sql_dialect *d,
                          const struct audit_filter *f)
{
    unsigned shape = audit_sql_shape(f);
    const char *sql;

    pthread_mutex_lock(&c->lock);
    if (!c->sql[shape])
        c->sql[shape] = build(d, shape);
    sql = c->sql[shape];
    pthread_mutex_unlock(&c->lock);
    return sql;
}

void audit_sql_bind(const struct audit_filter *f, audit_sql_bind_fn *fn, void *ctx)
{
    const char *texts[] = {f->activity, f->actor, f->item, f->tenant_id};

    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        if (texts[i])
            fn(ctx, texts[i], 0);
    if (f->has_from)
        fn(ctx, NULL, f->from);
    if (f->has_to)
        fn(ctx, NULL, f->to);
    if (f->after_seq)
        fn(ctx, NULL, f->after_seq);
    fn(ctx, NULL, (int64_t)f->limit);
}
