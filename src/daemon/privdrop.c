/* Least privilege for lockboxd (privdrop.h). */
#define _GNU_SOURCE /* setresuid, getresuid and their gid twins */
#include "daemon/privdrop.h"

#include "util/mem.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/banned.h"

/* room for one passwd or group entry with its strings (a group lists its members) */
#define PRIVDROP_ENTRY_MAX (64 * 1024)

struct ids {
    uid_t uid;
    gid_t gid;
};

static bool is_not_found(int e)
{
    return e == 0 || e == ENOENT || e == ESRCH;
}

/* The ids of user and of group ("": the user's own group). */
static int lookup(const char *user, const char *group, struct ids *ids, struct buf *err)
{
    char *text = lb_malloc(PRIVDROP_ENTRY_MAX);
    struct passwd pw, *pwp = NULL;
    struct group gr, *grp = NULL;
    int e, rc = LB_EINVAL;

    if (!text)
        return LB_ENOMEM;
    e = getpwnam_r(user, &pw, text, PRIVDROP_ENTRY_MAX, &pwp);
    if (!pwp) {
        buf_appendf(err, "[server] user=%s: %s", user,
                    is_not_found(e) ? "no such user" : strerror(e));
        goto out;
    }
    ids->uid = pw.pw_uid;
    ids->gid = pw.pw_gid;
    if (*group) {
        e = getgrnam_r(group, &gr, text, PRIVDROP_ENTRY_MAX, &grp);
        if (!grp) {
            buf_appendf(err, "[server] group=%s: %s", group,
                        is_not_found(e) ? "no such group" : strerror(e));
            goto out;
        }
        ids->gid = gr.gr_gid;
    }
    if (ids->uid == 0 || ids->gid == 0) {
        buf_appendf(err,
                    "[server] user=%s%s%s: that is root or root's group; name an "
                    "unprivileged user and group (such as lockbox)",
                    user, *group ? " group=" : "", group);
        goto out;
    }
    rc = 0;
out:
    lb_free(text);
    return rc;
}

/* Empties the ambient and bounding sets: no later execve could give a capability back. */
static int drop_capability_sets(struct buf *err)
{
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
        buf_appendf(err, "cannot clear the ambient capabilities: %s", strerror(errno));
        return LB_EIO;
    }
    /* PR_CAPBSET_READ fails past the kernel's last capability */
    for (unsigned long cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
            buf_appendf(err, "cannot drop capability %lu from the bounding set: %s", cap,
                        strerror(errno));
            return LB_EIO;
        }
    }
    return 0;
}

/* true when the process holds any capability, or cannot tell. */
static bool has_capabilities(void)
{
    struct __user_cap_header_struct head = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {{0}};

    if (syscall(SYS_capget, &head, data) != 0)
        return true;
    for (size_t i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
        if (data[i].effective || data[i].permitted || data[i].inheritable)
            return true;
    return false;
}

/* Not root, with capabilities given (systemd's AmbientCapabilities= to bind a low port): the
 * port is bound, so none is needed any more; each is let go (lowering needs no privilege). */
static int drop_own_capabilities(struct buf *err)
{
    struct __user_cap_header_struct head = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = {{0}};

    if (!has_capabilities())
        return 0;
    if ((prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) ||
        syscall(SYS_capset, &head, none) != 0 || has_capabilities()) {
        buf_appendf(err, "cannot let go of the capabilities it was started with: %s",
                    strerror(errno));
        return LB_EIO;
    }
    return 0;
}

/* Checks that the drop took: every id changed, one group, no way back to root, no capability. */
static int verify(const struct ids *ids, struct buf *err)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg, groups[2];
    int n;

    if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 || ru != ids->uid ||
        eu != ids->uid || su != ids->uid || rg != ids->gid || eg != ids->gid || sg != ids->gid) {
        buf_appendf(err, "the real, effective and saved ids did not all change");
        return LB_EIO;
    }
    n = getgroups(2, groups);
    if (n < 0 || n > 1 || (n == 1 && groups[0] != ids->gid)) {
        buf_appendf(err, "supplementary groups are left");
        return LB_EIO;
    }
    if (setuid(0) == 0 || setgid(0) == 0) {
        buf_appendf(err, "root could be had back");
        return LB_EIO;
    }
    if (has_capabilities()) {
        buf_appendf(err, "capabilities are left");
        return LB_EIO;
    }
    return 0;
}

/* lockboxd runs no program: none could gain a privilege by setuid bits or file caps. */
static int no_new_privs(struct buf *err)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        buf_appendf(err, "cannot set no_new_privs: %s", strerror(errno));
        return LB_EIO;
    }
    return 0;
}

/* Not root: a user is fine only when it is the one the process runs as. */
static int check_same_user(const char *user, const struct ids *ids, struct buf *err)
{
    if (ids->uid == getuid() && ids->uid == geteuid() && ids->gid == getegid())
        return 0;
    buf_appendf(err,
                "[server] user=%s: only lockboxd started as root can become another user "
                "or group (this one runs as uid %u gid %u)",
                user, (unsigned)geteuid(), (unsigned)getegid());
    return LB_EINVAL;
}

int privdrop_apply(const char *user, const char *group, bool *as_root, struct buf *err)
{
    struct ids ids;
    int rc;

    *as_root = false;
    if (!*user) {
        *as_root = geteuid() == 0;
        if (!*as_root && (rc = drop_own_capabilities(err)) != 0)
            return rc;
        return no_new_privs(err);
    }
    if ((rc = lookup(user, group, &ids, err)) != 0)
        return rc;
    if (geteuid() != 0) {
        if ((rc = check_same_user(user, &ids, err)) != 0 || (rc = drop_own_capabilities(err)) != 0)
            return rc;
        return no_new_privs(err);
    }
    if ((rc = drop_capability_sets(err)) != 0)
        return rc;
    /* the group list first: once the user is set, it could not be changed */
    if (setgroups(1, &ids.gid) != 0 || setresgid(ids.gid, ids.gid, ids.gid) != 0 ||
        setresuid(ids.uid, ids.uid, ids.uid) != 0) {
        buf_appendf(err, "cannot become user=%s (uid %u gid %u): %s", user, (unsigned)ids.uid,
                    (unsigned)ids.gid, strerror(errno));
        return LB_EIO;
    }
    if ((rc = verify(&ids, err)) != 0)
        return rc;
    return no_new_privs(err);
}

/* "chown -R USER:GROUP DIR", the user's own group when group is "" (chown's "USER:"). */
static void say_chown(struct buf *err, const char *dir, const char *user, const char *group)
{
    buf_appendf(err, "; give it to that user: chown -R %s:%s %s", user, group, dir);
}

int privdrop_check_dir(const char *dir, const char *user, const char *group, struct buf *err)
{
    struct buf path = BUF_INIT;
    struct dirent *de;
    struct stat st;
    DIR *d = NULL;
    int rc = 0;

    /* EACCES for a path the user may not even look up: a folder above it shuts the user out
     * (the folder may well exist and be the user's; making it again would not help) */
    if (stat(dir, &st) != 0 && errno == EACCES) {
        buf_appendf(err,
                    "cannot reach the data folder %s as user %s: %s; a folder above it does not "
                    "let that user through: let it search each one (chmod o+x), or put the "
                    "data folder where that user can reach it",
                    dir, user, strerror(errno));
        return LB_EINVAL;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        buf_appendf(err,
                    "cannot create the data folder %s as user %s: %s; make it that user's: "
                    "install -d -m 700 -o %s%s%s %s",
                    dir, user, strerror(errno), user, *group ? " -g " : "", group, dir);
        return LB_EINVAL;
    }
    /* a read-only file system is named as such when the folder is locked */
    if (access(dir, R_OK | W_OK | X_OK) != 0 && errno != EROFS) {
        buf_appendf(err, "the data folder %s is not writable by user %s", dir, user);
        say_chown(err, dir, user, group);
        return LB_EINVAL;
    }
    if (!(d = opendir(dir))) {
        buf_appendf(err, "cannot read the data folder %s: %s", dir, strerror(errno));
        return LB_EIO;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        buf_reset(&path);
        buf_appendf(&path, "%s/%s", dir, de->d_name);
        if (!buf_ok(&path)) {
            rc = LB_ENOMEM;
            break;
        }
        if (access(buf_cstr(&path), R_OK | W_OK) != 0 && errno != EROFS) {
            buf_appendf(err,
                        "the data folder %s holds %s, which user %s cannot write (made "
                        "while lockboxd ran as root?)",
                        dir, de->d_name, user);
            say_chown(err, dir, user, group);
            rc = LB_EINVAL;
            break;
        }
    }
    closedir(d);
    buf_release(&path);
    return rc;
}
