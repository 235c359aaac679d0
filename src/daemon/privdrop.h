/*
 * privdrop.h - least privilege: lockboxd started as root becomes the user and group of
 * [server] user and group once its port is bound, and keeps nothing of root.
 *
 * privdrop_apply runs before any thread is started and before any file of the data folder is
 * made, so every thread and file is the service user's. Started as root with a user, it keeps
 * only the named group (no other supplementary group), sets the real, effective and saved
 * group and user ids, empties the capability bounding and ambient sets, checks that all of it
 * took (and that root cannot be had back), and sets no_new_privs. Started as root without a
 * user, nothing changes and *as_root says so (lockboxd warns). Not root, a user is allowed only
 * when it is the user the process already runs as, and capabilities it was started with (such
 * as systemd's AmbientCapabilities=CAP_NET_BIND_SERVICE for a low port) are let go once the
 * port is bound. privdrop_check_dir then checks that the
 * data folder and what it holds are the service user's to write, naming the chown to run if
 * not. Both write the reason to `err` and return LB_EINVAL (an unknown user or group, a user
 * set while not root, a data folder the user cannot reach or write) or LB_EIO (a call of the drop
 * failed); on such an error lockboxd must end. Not thread-safe: call from main, alone.
 */
#ifndef LB_DAEMON_PRIVDROP_H
#define LB_DAEMON_PRIVDROP_H

#include "util/buf.h"
#include "util/err.h"

#include <stdbool.h>

/* Becomes user (and group; "": the user's own) when root; "" user: stays as it is. */
LB_MUST_CHECK int privdrop_apply(const char *user, const char *group, bool *as_root,
                                 struct buf *err);
/* Checks that dir (made if missing) and its entries are readable and writable by this
 * process; user and group only name them in the chown the message asks for. */
LB_MUST_CHECK int privdrop_check_dir(const char *dir, const char *user, const char *group,
                                     struct buf *err);

#endif
