/* The names of notification events: the webhook event types of API.md. */
#include "notify/notify.h"

#include <string.h>

#include "util/banned.h"

static const char *const names[NOTIFY_EVENT_COUNT] = {
    [NOTIFY_PENDING_INTERNAL] = "request.pending_internal",
    [NOTIFY_PENDING] = "request.pending",
    [NOTIFY_REMINDER] = "request.reminder",
    [NOTIFY_APPROVED] = "request.approved",
    [NOTIFY_DENIED] = "request.denied",
    [NOTIFY_EXPIRED] = "request.expired",
    [NOTIFY_CANCELED] = "request.canceled",
    [NOTIFY_REVOKED] = "request.revoked",
    [NOTIFY_COMPLETED] = "request.completed",
    [NOTIFY_REPORT] = "request.report",
};

const char *notify_event_name(enum notify_event e)
{
    return names[e];
}

int notify_event_parse(const char *name)
{
    for (int i = 0; i < NOTIFY_EVENT_COUNT; i++)
        if (i != NOTIFY_REPORT && strcmp(name, names[i]) == 0)
            return i;
    return -1;
}
