/*
 * session.h - a login session, or an API token of a service account (a session with an id
 * and a name of its own).
 *
 * Only the SHA-256 of a session's bearer token is kept, never the token. A record filled by
 * the store owns its strings, released by session_clear (each clear accepts a zeroed record
 * and leaves it zeroed); a record passed to the store for an insert is borrowed. Plain data:
 * no behaviour, no I/O.
 */
#ifndef LB_MODEL_SESSION_H
#define LB_MODEL_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct session {
    char *token_hash; /* hex SHA-256 of the token; the token itself is never stored */
    char *user_id;
    char *token_id, *name; /* an API token's id and name; NULL for a login session */
    bool mfa;
    int64_t created_at, expires_at;
};

struct session_list {
    struct session *items;
    size_t count;
};

/* Frees what a record owns and zeroes it; accepts a zeroed record. */
void session_clear(struct session *s);
void session_list_clear(struct session_list *l);

#endif
