/*
 * login_throttle.h - the record of failed logins kept for one username or one client address.
 *
 * core/ counts failures into it and decides from it how long a login must wait (core/throttle.h);
 * store/ keeps it so that a lockout survives a restart and is shared by every lockboxd of one
 * store. A record owns its `name`, released by login_throttle_clear. No behaviour, no I/O.
 */
#ifndef LB_MODEL_LOGIN_THROTTLE_H
#define LB_MODEL_LOGIN_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

enum throttle_kind {
    THROTTLE_USERNAME = 0, /* name is the username as given at login (known or not) */
    THROTTLE_ADDRESS = 1,  /* name is the client address (an IPv6 one cut to its /64) */
};

struct login_throttle {
    enum throttle_kind kind;
    char *name;              /* (owned) */
    int64_t failures;        /* failed logins counted since the count last started over */
    int64_t last_failure_at; /* 0: none */
    int64_t locked_until;    /* usernames only; 0 or past: not locked */
};

struct login_throttle_list {
    struct login_throttle *items;
    size_t count;
};

/* Frees what a record owns and zeroes it; accepts a zeroed record. */
void login_throttle_clear(struct login_throttle *t);
void login_throttle_list_clear(struct login_throttle_list *l);

#endif
