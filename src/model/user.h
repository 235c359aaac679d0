/*
 * user.h - a user: a provider's staff or service account (no tenant), or a tenant's user.
 *
 * A record filled by the store owns its strings, released by user_clear, which also wipes the
 * TOTP seed before freeing it (each clear accepts a zeroed record and leaves it zeroed); a
 * record passed to the store for an insert is borrowed. The store keeps totp_secret sealed on
 * disk; a record always holds it in plaintext. Plain data: no behaviour, no I/O.
 */
#ifndef LB_MODEL_USER_H
#define LB_MODEL_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct user {
    char *id;
    char *tenant_id; /* NULL for provider users */
    char *username, *display_name, *email;
    char *password_hash; /* Argon2id string; NULL when the user has no password */
    char *totp_secret;   /* base32; NULL when no TOTP is enrolled */
    int64_t totp_last_step;
    bool isolated_identity;
    int64_t created_at;
    int64_t locked_until; /* not kept with the user: core_user_list fills it from the login
                           * throttle (0: not locked) */
};

struct user_list {
    struct user *items;
    size_t count;
};

/* Frees what a record owns (wiping the TOTP seed) and zeroes it; accepts a zeroed record. */
void user_clear(struct user *u);
void user_list_clear(struct user_list *l);

#endif
