/*
 * err.h - the error convention of every Lockbox library layer.
 *
 * A call that can fail returns int: 0 on success or one of the negative LB_E* codes below.
 * Codes are stable; lb_strerror() names them for logs. Human detail, when a caller wants it,
 * travels in an optional `struct buf *err` argument written only on failure. Nothing here
 * allocates; it is safe from any thread.
 */
#ifndef LB_UTIL_ERR_H
#define LB_UTIL_ERR_H

#define LB_MUST_CHECK __attribute__((warn_unused_result))

enum lb_err {
    LB_OK = 0,
    LB_ENOMEM = -1,        /* an allocation failed */
    LB_EINVAL = -2,        /* the input is malformed or out of range */
    LB_ENOTFOUND = -3,     /* no such object (or not visible to the caller) */
    LB_ECONFLICT = -4,     /* the object is not in a state that allows this */
    LB_EFORBIDDEN = -5,    /* authenticated, but not allowed */
    LB_ESTORE = -6,        /* the store failed */
    LB_EIO = -7,           /* a file or socket operation failed */
    LB_EUNAUTH = -8,       /* no, bad or expired credentials */
    LB_EPRECONDITION = -9, /* the system is not in a state that allows this (plan, last admin) */
    LB_EEXISTS = -10,      /* the object already exists */
    LB_ENOSPC = -11,       /* the storage is full (a full disk or quota): nothing was written */
    LB_ERATELIMIT = -12,   /* too many attempts: wait before trying again */
    LB_EKEY = -13,         /* a secret key is missing, malformed, or not the one data was sealed
                            * with */
    LB_EUNAVAIL = -14,     /* the store cannot be reached now (down, restarting, unreachable):
                            * nothing was done; try again */
    LB_EVERIFY = -15,      /* an audit chain or checkpoint does not verify */
};

/* The constant's name of code, e.g. "LB_ENOTFOUND"; "LB_E?" for unknown codes. */
const char *lb_strerror(int code);

#endif
