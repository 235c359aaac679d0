/*
 * pam_args.h - pam_lockbox's module arguments and the host names of its resource id.
 *
 * pam_args_parse reads the arguments of a PAM configuration line (one `key=value` each) into a
 * struct pam_args whose strings are borrowed from argv (libpam keeps them for the life of the
 * handle); nothing is allocated, so there is nothing to release. Every fault of the line (an
 * unknown key, a key given twice, a missing or empty value, a value out of range) is LB_EINVAL
 * with the reason in err: the module then denies (fail closed). pam_args_expand turns the
 * `resource=` template into the resource id, `%h` the short host name, `%H` the full one, `%%`
 * a percent sign. Pure functions (pam_args_host_names asks the resolver); thread-safe.
 */
#ifndef LB_PAM_PAM_ARGS_H
#define LB_PAM_PAM_ARGS_H

#include "util/buf.h"
#include "util/err.h"

#include <stdbool.h>

#define PAM_ARGS_TIMEOUT_MS_DEFAULT 2000
#define PAM_ARGS_TIMEOUT_MS_MAX 600000
#define PAM_ARGS_SESSION_DIR_DEFAULT "/run/lockbox/sessions"

struct pam_args {
    const char *url;         /* lockboxd's base URL, http:// or https:// (required) */
    const char *token_file;  /* absolute path of the file holding the enforcer's token (required) */
    const char *resource;    /* the resource id template, starting with '/' (required) */
    const char *level;       /* "read" (default), "write" or "admin" */
    const char *ca_file;     /* absolute path of a PEM bundle, or NULL for the system's */
    long timeout_ms;         /* bounds each call to lockboxd; 1 .. PAM_ARGS_TIMEOUT_MS_MAX */
    const char *only_group;  /* NULL: everyone is checked; else only this Unix group's members */
    const char *session_dir; /* absolute path where open sessions are registered */
    bool allow_http;         /* allow_http=yes: plain http:// to a host that is not loopback */
};

/* Fills *out from argv (borrowed); LB_EINVAL with the reason in err for a bad line. */
LB_MUST_CHECK int pam_args_parse(int argc, const char **argv, struct pam_args *out,
                                 struct buf *err);
/* Appends tmpl to out with %h, %H and %% replaced; LB_EINVAL for any other '%' sequence,
 * LB_ENOMEM when out failed. */
LB_MUST_CHECK int pam_args_expand(const char *tmpl, const char *short_host, const char *full_host,
                                  struct buf *out, struct buf *err);
/* true when tmpl names the full host name (%H), which costs a resolver lookup. */
bool pam_args_wants_full_host(const char *tmpl);
/* This host's names: short (up to the first dot of gethostname) and, when want_full, full
 * (gethostname when it has a dot, else the resolver's canonical name, else gethostname);
 * LB_EIO when the system has no host name, LB_ENOMEM. */
LB_MUST_CHECK int pam_args_host_names(bool want_full, struct buf *short_host, struct buf *full_host,
                                      struct buf *err);

#endif
