/* GET /audit: the audit search. */
#include "api/api_int.h"

#include <string.h>

#include "util/banned.h"

void api_audit_search(struct api_call *call)
{
    struct audit_filter f = {0};
    struct audit_list l = {0};
    struct buf scope = BUF_INIT;
    json_t *arr;
    int rc;

    f.activity = call->query(call->query_ctx, "activity");
    f.actor = call->query(call->query_ctx, "actor");
    f.item = call->query(call->query_ctx, "item");
    f.tenant_id = call->query(call->query_ctx, "tenant_id");
    if (!api_query_time(call, "from", &f.has_from, &f.from) ||
        !api_query_time(call, "to", &f.has_to, &f.to))
        return;
    f.ascending = f.has_from;
    /* the token is bound to the caller and every filter: it cannot be replayed elsewhere */
    buf_appendf(&scope, "audit|%s|%s|%s|%s|%s|%s%lld|%s%lld", call->principal->user_id,
                f.activity ? f.activity : "", f.actor ? f.actor : "", f.item ? f.item : "",
                f.tenant_id ? f.tenant_id : "", f.has_from ? "@" : "none", (long long)f.from,
                f.has_to ? "@" : "none", (long long)f.to);
    if (!buf_ok(&scope)) {
        api_fail(call, LB_ENOMEM, "out of memory");
        goto out;
    }
    if (!api_page_params(call, buf_cstr(&scope), &f.limit, &f.after_seq))
        goto out;
    rc = core_audit_query(call->core, call->principal, &f, &l);
    if (rc) {
        api_fail(call, rc,
                 rc == LB_EFORBIDDEN ? "this role cannot read the audit log"
                                     : "cannot search the audit log");
        goto out;
    }
    arr = json_array();
    for (size_t i = 0; arr && i < l.count; i++)
        json_array_append_new(arr, api_json_audit(&l.items[i]));
    api_reply_page(call, arr, buf_cstr(&scope), l.count == f.limit,
                   l.count ? l.items[l.count - 1].seq : 0);
out:
    audit_list_clear(&l);
    buf_release(&scope);
}
