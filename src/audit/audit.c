#include "audit.h"

#include "audit/chain.h"
#include "util/mem.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

static json_t *field_value(const struct audit_field *f)
{
    json_t *arr;

    switch (f->type) {
    case AUDIT_STR:
        return f->str ? json_string(f->str) : json_null();
    case AUDIT_INT:
        return json_integer(f->num);
    case AUDIT_BOOL:
        return json_boolean(f->num);
    case AUDIT_JSON:
        return f->str ? json_loads(f->str, JSON_DECODE_ANY, NULL) : json_null();
    case AUDIT_STRV:
        arr = json_array();
        for (size_t i = 0; arr && i < f->strv_count; i++)
            if (json_array_append_new(arr, json_string(f->strv[i])) != 0) {
                json_decref(arr);
                return NULL;
            }
        return arr;
    }
    return NULL;
}

static char *details_text(const struct audit_entry *e)
{
    json_t *obj = json_object();
    char *text = NULL;

    if (!obj)
        return NULL;
    for (size_t i = 0; i < e->field_count; i++) {
        json_t *v = field_value(&e->fields[i]);
        if (!v || json_object_set_new(obj, e->fields[i].key, v) != 0)
            goto out;
    }
    text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
out:
    json_decref(obj);
    return text;
}

int audit_link(struct store *st, struct audit_record *r, char hash[AUDIT_HASH_HEX_LEN],
               struct audit_chain_head *head)
{
    int rc;

    r->chain = audit_chain_of(r->tenant_id);
    rc = store_audit_chain_head(st, r->chain, head);
    if (rc == LB_ENOTFOUND) {
        r->chain_index = 1;
        r->prev_hash = AUDIT_GENESIS_HASH;
    } else if (rc == 0) {
        r->chain_index = head->index + 1;
        r->prev_hash = head->hash;
    } else {
        return rc;
    }
    if ((rc = audit_chain_hash(r, hash)) == 0)
        r->hash = hash;
    return rc;
}

int audit_append(struct store *st, const struct audit_entry *e, int64_t *seq)
{
    char *details = details_text(e); /* jansson's: freed with free() */
    struct audit_chain_head head = {0};
    char hash[AUDIT_HASH_HEX_LEN];
    struct audit_record rec = {
        .time = e->time,
        .tenant_id = e->tenant_id,
        .actor = e->actor,
        .actor_id = e->actor_id,
        .actor_type = e->actor_type,
        .client_ip = e->client_ip,
        .activity = e->activity,
        .item = e->item,
        .request_id = e->request_id,
        .decision = e->decision,
        .details = details,
    };
    int rc;

    if (!details)
        return LB_ENOMEM;
    if ((rc = audit_link(st, &rec, hash, &head)) == 0)
        rc = store_audit_insert(st, &rec, seq);
    audit_chain_head_clear(&head);
    free(details);
    return rc;
}

bool audit_details_str_is(const char *details, const char *key, const char *want)
{
    json_t *j = details ? json_loads(details, 0, NULL) : NULL;
    const char *v = json_string_value(json_object_get(j, key));
    bool is = v && strcmp(v, want) == 0;

    json_decref(j);
    return is;
}

int audit_details_str(const char *details, const char *key, char **out)
{
    json_t *j = details ? json_loads(details, 0, NULL) : NULL;
    const char *v = json_string_value(json_object_get(j, key));
    int rc = 0;

    *out = NULL;
    if (v && !(*out = lb_strdup(v)))
        rc = LB_ENOMEM;
    json_decref(j);
    return rc;
}
