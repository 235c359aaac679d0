/* The request event stream: who may follow it and from where (the stream itself is http/'s). */
#include "api/api_int.h"

#include <string.h>

#include "util/banned.h"

/* Reads an event id: a decimal seq of 1 to 18 digits. */
static bool parse_event_id(const char *text, int64_t *out)
{
    size_t len = strlen(text);
    int64_t v = 0;

    if (len == 0 || len > 18)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return true;
}

void api_events(struct api_call *call)
{
    const char *given = call->last_event_id;
    int64_t last_id = 0;
    int rc;

    /* the header (a browser's EventSource sends it when it reconnects) wins over the query
     * parameter (which a first connection, that cannot set headers, may carry) */
    if (!given || !*given)
        given = call->query(call->query_ctx, "last_event_id");
    if (given && *given && !parse_event_id(given, &last_id)) {
        api_fail(call, LB_EINVAL,
                 "Last-Event-ID: must be the id of an event this stream sent (a decimal number)");
        return;
    }
    if ((rc = core_events_view(call->principal, &call->stream.view)) != 0) {
        api_fail(call, rc, "this role does not see requests, nor their events");
        return;
    }
    rc = core_events_start(call->core, given && *given, last_id, &call->stream.after,
                           &call->stream.reset);
    if (rc) {
        api_fail(call, rc, "cannot read the event stream");
        return;
    }
    call->stream.open = true;
    call->status = 200;
}
