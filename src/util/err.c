#include "err.h"

#include "banned.h"

const char *lb_strerror(int code)
{
    switch (code) {
    case LB_OK:
        return "LB_OK";
    case LB_ENOMEM:
        return "LB_ENOMEM";
    case LB_EINVAL:
        return "LB_EINVAL";
    case LB_ENOTFOUND:
        return "LB_ENOTFOUND";
    case LB_ECONFLICT:
        return "LB_ECONFLICT";
    case LB_EFORBIDDEN:
        return "LB_EFORBIDDEN";
    case LB_ESTORE:
        return "LB_ESTORE";
    case LB_EIO:
        return "LB_EIO";
    case LB_EUNAUTH:
        return "LB_EUNAUTH";
    case LB_EPRECONDITION:
        return "LB_EPRECONDITION";
    case LB_EEXISTS:
        return "LB_EEXISTS";
    case LB_ENOSPC:
        return "LB_ENOSPC";
    case LB_ERATELIMIT:
        return "LB_ERATELIMIT";
    case LB_EKEY:
        return "LB_EKEY";
    case LB_EUNAVAIL:
        return "LB_EUNAVAIL";
    case LB_EVERIFY:
        return "LB_EVERIFY";
    }
    return "LB_E?";
}
