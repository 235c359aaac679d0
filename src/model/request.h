/*
 * request.h - an access request: who asks for what on which resources, its state, its grant
 * and its decisions; the names of its enums; and the filter of a request list.
 *
 * A record filled by the store owns its strings, arrays and decisions, released by
 * request_clear (each clear accepts a zeroed record and leaves it zeroed); a request or a
 * decision passed to the store for an insert or an update is borrowed (a decision's strings
 * are const: core points them at the actor's, for the one it inserts); request_decision_add
 * keeps a copy of one in the record, as the store would read it back (LB_ENOMEM when out of
 * memory, the record unchanged). The names are static
 * strings; each parser answers -1 for an unknown name. Plain data: no behaviour, no I/O;
 * the names and parsers are thread-safe.
 */
#ifndef LB_MODEL_REQUEST_H
#define LB_MODEL_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum access_level { ACCESS_READ = 1, ACCESS_WRITE = 2, ACCESS_ADMIN = 3 };

enum request_status {
    REQ_PENDING_INTERNAL,
    REQ_PENDING,
    REQ_APPROVED,
    REQ_DENIED,
    REQ_REJECTED,
    REQ_EXPIRED,
    REQ_CANCELED,
    REQ_REVOKED,
    REQ_COMPLETED,
};

enum decision_kind { DECISION_REVIEW, DECISION_CUSTOMER };

/* A fact about the requester kept on the request when it was made: unknown (a request made
 * before the request kept it, or a zeroed record), no or yes. */
enum request_fact { FACT_UNKNOWN, FACT_NO, FACT_YES };

struct decision {
    enum decision_kind kind;
    const char *by_id, *by_username;
    bool approve;
    int64_t at;
    const char *reason;    /* may be NULL */
    const char *client_ip; /* may be NULL */
};

struct request {
    int64_t seq;
    char *id, *tenant_id, *ticket_id;
    char *requester_id, *requester_username;
    char *requester_display_name;         /* may be NULL: unknown or none */
    enum request_fact requester_mfa;      /* the requester's session had passed MFA */
    enum request_fact requester_isolated; /* the requester's identity is an isolated one */
    char *resource_type;
    char **resource_ids;
    size_t resource_count;
    enum access_level access_level;
    char *justification;
    int64_t duration_seconds;
    enum request_status status;
    bool customer_approval_required;
    bool internal_review_required;
    bool customer_visible; /* reached the customer: shown to tenant users */
    int64_t approvals_required;
    int64_t created_at;
    int64_t expires_at;                                     /* 0 when not pending */
    int64_t grant_starts_at, grant_ends_at, grant_ended_at; /* 0 when none */
    int64_t reminder_at; /* when approvers who have not acted are reminded; 0: never (again) */
    char *status_reason; /* may be NULL */
    struct decision *decisions; /* review first, then customer */
    size_t decision_count;
};

struct request_list {
    struct request *items;
    size_t count;
};

struct request_filter {
    const char *tenant_id;          /* NULL: any */
    int status;                     /* -1: any */
    const char *requester_username; /* NULL: any */
    bool customer_visible_only;
    int64_t created_from, created_to;      /* created_at in [from, to) where set */
    bool has_created_from, has_created_to; /* else open (any instant, 0 too, is a bound) */
    const char *text;   /* in the id, requester, resource ids or justification (ASCII case
                           folded); NULL: any */
    int64_t before_seq; /* 0: from the newest */
    size_t limit;
};

/* Frees what a record owns and zeroes it; accepts a zeroed record. */
void decision_clear(struct decision *d);
void request_clear(struct request *r);
void request_list_clear(struct request_list *l);
/* Appends a copy of d (its strings duplicated) to r's decisions: 0 or LB_ENOMEM. */
int request_decision_add(struct request *r, const struct decision *d);

/* Names for the enums, and their parsers (-1 for an unknown name). */
const char *request_status_name(enum request_status s);
int request_status_parse(const char *name);
/* How many statuses there are: request_status_name(0 .. count - 1) names each (for messages
 * that list the allowed ones). */
size_t request_status_count(void);
const char *access_level_name(enum access_level l);
int access_level_parse(const char *name);

#endif
