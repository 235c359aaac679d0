/* The data folder's lock (datadir.h). */
#include "daemon/datadir.h"

#include "store/store_pg.h"
#include "store/store_sqlite.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "util/banned.h"

int datadir_lock(const char *dir)
{
    char path[4096];
    int fd;

    snprintf(path, sizeof(path), "%s/lockboxd.lock", dir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        if (e == EROFS)
            log_error("data folder %s is read-only: lockboxd must write there (remount it "
                      "read-write)",
                      dir);
        else
            log_error("data folder %s cannot be written: %s: %s", dir, path, strerror(e));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            log_error("data folder %s is in use by another lockboxd", dir);
        else
            log_error("data folder %s cannot be locked: %s: %s", dir, path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int datadir_store_open(const char *dir, const char *url, struct store **out, struct buf *err)
{
    struct buf db = BUF_INIT;
    int rc;

    if (url && *url)
        return store_pg_open(url, out, err);
    buf_appendf(&db, "%s/lockbox.db", dir ? dir : ".");
    if (!buf_ok(&db)) {
        rc = LB_ENOMEM;
    } else if (access(buf_cstr(&db), F_OK) != 0) {
        buf_appendf(err, "%s: no store there", buf_cstr(&db));
        rc = LB_ENOTFOUND;
    } else {
        rc = store_sqlite_open(buf_cstr(&db), out, err);
    }
    buf_release(&db);
    return rc;
}
