/*
 * ticket.h - a tenant's support ticket and its history (creation, comments).
 *
 * A record filled by the store owns its strings and its history, released by ticket_clear
 * (each clear accepts a zeroed record and leaves it zeroed); a ticket or a ticket_event
 * passed to the store for an insert is borrowed, which is why their strings are const: core
 * points them at its caller's. Plain data: no behaviour, no I/O.
 */
#ifndef LB_MODEL_TICKET_H
#define LB_MODEL_TICKET_H

#include <stddef.h>
#include <stdint.h>

struct ticket_event {
    int64_t at;
    const char *by, *type, *text;
};

struct ticket {
    int64_t seq;
    const char *id, *tenant_id, *title, *description, *severity, *status;
    const char *created_by, *created_by_username;
    int64_t created_at;
    struct ticket_event *history;
    size_t history_count;
};

struct ticket_list {
    struct ticket *items;
    size_t count;
};

/* Frees what a record owns (its history too) and zeroes it; accepts a zeroed record. */
void ticket_clear(struct ticket *t);
void ticket_list_clear(struct ticket_list *l);

#endif
