/* Composing notifications into outbox rows and the event stream, inside the caller's
 * transaction. */
#include "notify/notify.h"
#include "util/mem.h"
#include "wire/wire.h"

#include <string.h>

#include "util/banned.h"

/* A new pending row of s; the caller fills recipient, channel and payload. */
static void row_init(struct outbox_msg *m, const struct notify_subject *s, char id[ID_LEN],
                     bool tenant_visible)
{
    memset(m, 0, sizeof(*m));
    m->tenant_visible = tenant_visible;
    m->id = id;
    m->tenant_id = s->request->tenant_id;
    m->request_id = s->request->id;
    m->event = notify_event_name(s->event);
    m->created_at = s->now;
    m->status = OUTBOX_PENDING;
    m->next_attempt_at = s->now;
}

static int enqueue_mail(struct store *st, const struct notify_config *cfg,
                        const struct notify_subject *s, const char *to, bool tenant_visible)
{
    struct outbox_msg m;
    char id[ID_LEN], *payload = NULL;
    int rc;

    cfg->new_id(id);
    if ((rc = notify_mail_render(cfg, s, to, id, &payload)) != 0)
        return rc;
    row_init(&m, s, id, tenant_visible);
    m.channel = "email";
    m.recipient = to;
    m.payload = payload;
    rc = store_outbox_insert(st, &m);
    lb_free(payload);
    return rc;
}

bool notify_webhook_wants(const struct webhook *w, enum notify_event e)
{
    for (size_t i = 0; i < w->event_count; i++)
        if (strcmp(w->events[i], notify_event_name(e)) == 0)
            return true;
    return false;
}

/* The webhook body: {"id","type","time","tenant_id","request"}. */
static char *webhook_body(const struct notify_subject *s, const char *id)
{
    json_t *j = json_pack("{s:s, s:s, s:o, s:s, s:o}", "id", id, "type",
                          notify_event_name(s->event), "time", wire_time(s->now), "tenant_id",
                          s->request->tenant_id, "request", wire_request(s->request));
    char *text = j ? wire_text(j) : NULL;

    json_decref(j);
    return text;
}

static int enqueue_webhook(struct store *st, const struct notify_config *cfg,
                           const struct notify_subject *s, const struct webhook *w,
                           bool tenant_visible)
{
    struct outbox_msg m;
    char id[ID_LEN], *payload;
    int rc;

    cfg->new_id(id);
    if (!(payload = webhook_body(s, id)))
        return LB_ENOMEM;
    row_init(&m, s, id, tenant_visible);
    m.channel = "webhook";
    m.recipient = w->url;
    m.webhook_id = w->id;
    m.payload = payload;
    rc = store_outbox_insert(st, &m);
    lb_free(payload);
    return rc;
}

int notify_enqueue(struct store *st, const struct notify_config *cfg,
                   const struct notify_subject *s, char *const *emails, size_t email_count,
                   const struct webhook_list *hooks, bool tenant_visible)
{
    int rc = 0;

    for (size_t i = 0; cfg->mail_enabled && rc == 0 && i < email_count; i++)
        if (notify_address_is_safe(emails[i]))
            rc = enqueue_mail(st, cfg, s, emails[i], tenant_visible);
    for (size_t i = 0; hooks && rc == 0 && i < hooks->count; i++)
        if (notify_webhook_wants(&hooks->items[i], s->event))
            rc = enqueue_webhook(st, cfg, s, &hooks->items[i], tenant_visible);
    return rc;
}

int notify_stream_append(struct store *st, const struct notify_config *cfg,
                         const struct notify_subject *s, bool tenant_visible)
{
    char id[ID_LEN];
    struct request_event e = {.id = id,
                              .type = notify_event_name(s->event),
                              .tenant_id = s->request->tenant_id,
                              .request_id = s->request->id,
                              .tenant_visible = tenant_visible,
                              .created_at = s->now};
    int rc;

    cfg->new_id(id);
    if (!(e.body = webhook_body(s, id)))
        return LB_ENOMEM;
    rc = store_event_insert(st, &e, NULL);
    lb_free(e.body);
    return rc;
}
