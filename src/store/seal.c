#include "seal.h"

#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/banned.h"

#define KEY_HEX_LEN (2 * SEAL_KEY_BYTES)
_Static_assert(SEAL_KEY_BYTES == crypto_secretbox_KEYBYTES, "a seal key is a secretbox key");
#define PREFIX_LEN (sizeof(SEAL_PREFIX) - 1)
#define BOX_OVERHEAD (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

struct seal {
    unsigned char key[crypto_secretbox_KEYBYTES];
    bool locked; /* key is mlock'ed */
};

static int seal_from_bytes(const unsigned char *key, struct seal **out)
{
    struct seal *s = lb_calloc(1, sizeof(*s));

    if (!s)
        return LB_ENOMEM;
    s->locked = sodium_mlock(s->key, sizeof(s->key)) == 0;
    memcpy(s->key, key, sizeof(s->key));
    *out = s;
    return 0;
}

void seal_free(struct seal *s)
{
    if (!s)
        return;
    sodium_memzero(s->key, sizeof(s->key));
    if (s->locked)
        sodium_munlock(s->key, sizeof(s->key));
    lb_free(s);
}

int seal_new_ephemeral(struct seal **out)
{
    unsigned char key[crypto_secretbox_KEYBYTES];
    int rc;

    crypto_secretbox_keygen(key);
    rc = seal_from_bytes(key, out);
    sodium_memzero(key, sizeof(key));
    return rc;
}

static int fail(struct buf *err, int code, const char *path, const char *why)
{
    if (err)
        buf_appendf(err, "%s: %s", path, why);
    return code;
}

int seal_key_file_read(const char *path, unsigned char key[SEAL_KEY_BYTES], struct buf *err)
{
    char text[KEY_HEX_LEN + 8];
    size_t len = 0, bin_len = 0;
    ssize_t n;
    int fd, rc = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return fail(err, errno == ENOENT ? LB_ENOTFOUND : LB_EIO, path,
                    errno == ENOENT ? "no such file" : strerror(errno));
    while (len < sizeof(text) && (n = read(fd, text + len, sizeof(text) - len)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = fail(err, LB_EIO, path, strerror(errno));
            goto out;
        }
        len += (size_t)n;
    }
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    if (len != KEY_HEX_LEN ||
        sodium_hex2bin(key, SEAL_KEY_BYTES, text, len, NULL, &bin_len, NULL) != 0 ||
        bin_len != SEAL_KEY_BYTES)
        rc = fail(err, LB_EKEY, path,
                  "not a Lockbox secret key (want 64 hex digits, a 256-bit key, alone)");
out:
    close(fd);
    sodium_memzero(text, sizeof(text));
    return rc;
}

int seal_key_load(const char *path, struct seal **out, struct buf *err)
{
    unsigned char key[SEAL_KEY_BYTES];
    int rc = seal_key_file_read(path, key, err);

    if (rc == 0)
        rc = seal_from_bytes(key, out);
    sodium_memzero(key, sizeof(key));
    return rc;
}

/* fsyncs the folder holding path, so a new name in it survives a crash. */
static int sync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? lb_strndup(path, slash == path ? 1 : (size_t)(slash - path)) : NULL;
    int fd, rc = -1;

    if (slash && !dir)
        return -1;
    fd = open(dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        rc = fsync(fd);
        close(fd);
    }
    lb_free(dir);
    return rc;
}

int seal_key_file_write(const char *path, const unsigned char key[SEAL_KEY_BYTES], struct buf *err)
{
    char hex[KEY_HEX_LEN + 2];
    struct buf tmp = BUF_INIT;
    int fd = -1, rc = 0;

    sodium_bin2hex(hex, sizeof(hex), key, SEAL_KEY_BYTES);
    hex[KEY_HEX_LEN] = '\n';
    buf_appendf(&tmp, "%s.tmp", path);
    if (!buf_ok(&tmp)) {
        rc = LB_ENOMEM;
        goto out;
    }
    /* written whole under another name first, then linked: the key file is never seen half
     * written, and link() never replaces a key that exists */
    fd = open(buf_cstr(&tmp), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0 ||
        write(fd, hex, KEY_HEX_LEN + 1) != (ssize_t)(KEY_HEX_LEN + 1) || fsync(fd) != 0) {
        rc = fail(err, LB_EIO, buf_cstr(&tmp), strerror(errno));
        goto out;
    }
    close(fd);
    fd = -1;
    if (link(buf_cstr(&tmp), path) != 0) {
        rc = fail(err, errno == EEXIST ? LB_EEXISTS : LB_EIO, path, strerror(errno));
        goto out;
    }
    if (sync_parent(path) != 0)
        rc = fail(err, LB_EIO, path, "cannot sync its folder");
out:
    if (fd >= 0)
        close(fd);
    if (tmp.data)
        (void)unlink(buf_cstr(&tmp));
    buf_release(&tmp);
    sodium_memzero(hex, sizeof(hex));
    return rc;
}

int seal_key_create(const char *path, struct seal **out, struct buf *err)
{
    unsigned char key[SEAL_KEY_BYTES];
    int rc;

    crypto_secretbox_keygen(key);
    if ((rc = seal_key_file_write(path, key, err)) == 0)
        rc = seal_from_bytes(key, out);
    sodium_memzero(key, sizeof(key));
    return rc;
}

void seal_key_id(const struct seal *s, char out[SEAL_KEY_ID_LEN])
{
    static const char text[] = "lockbox secret key id";
    unsigned char id[(SEAL_KEY_ID_LEN - 1) / 2];

    crypto_generichash(id, sizeof(id), (const unsigned char *)text, sizeof(text) - 1, s->key,
                       sizeof(s->key));
    sodium_bin2hex(out, SEAL_KEY_ID_LEN, id, sizeof(id));
}

bool seal_is_sealed(const char *text)
{
    return text && strncmp(text, SEAL_PREFIX, PREFIX_LEN) == 0;
}

int seal_text(const struct seal *s, const char *context, const char *plain, char **out)
{
    size_t ctx_len = strlen(context), msg_len = ctx_len + 1 + strlen(plain);
    size_t box_len = BOX_OVERHEAD + msg_len;
    size_t text_len = PREFIX_LEN + sodium_base64_ENCODED_LEN(box_len, B64);
    unsigned char *msg = lb_malloc(msg_len), *box = lb_malloc(box_len);
    char *text = lb_malloc(text_len);
    int rc = LB_ENOMEM;

    if (!msg || !box || !text)
        goto out;
    /* the context rides inside the box: it is checked when the value is opened */
    memcpy(msg, context, ctx_len + 1);
    memcpy(msg + ctx_len + 1, plain, msg_len - ctx_len - 1);
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, msg, msg_len, box, s->key);
    memcpy(text, SEAL_PREFIX, PREFIX_LEN);
    sodium_bin2base64(text + PREFIX_LEN, text_len - PREFIX_LEN, box, box_len, B64);
    *out = text;
    text = NULL;
    rc = 0;
out:
    if (msg)
        sodium_memzero(msg, msg_len);
    lb_free(msg);
    lb_free(box);
    lb_free(text);
    return rc;
}

int seal_open_text(const struct seal *s, const char *context, const char *sealed, char **out)
{
    size_t ctx_len = strlen(context), b64_len, box_len = 0, msg_len = 0;
    unsigned char *box = NULL, *msg = NULL;
    int rc = LB_EKEY;

    if (!seal_is_sealed(sealed))
        return LB_EKEY;
    b64_len = strlen(sealed + PREFIX_LEN);
    box = lb_malloc(b64_len + 1); /* base64 decodes to fewer bytes than it has */
    if (!box)
        return LB_ENOMEM;
    if (sodium_base642bin(box, b64_len, sealed + PREFIX_LEN, b64_len, NULL, &box_len, NULL, B64) !=
            0 ||
        box_len < BOX_OVERHEAD + ctx_len + 1)
        goto out;
    msg_len = box_len - BOX_OVERHEAD;
    if (!(msg = lb_malloc(msg_len + 1))) {
        rc = LB_ENOMEM;
        goto out;
    }
    if (crypto_secretbox_open_easy(msg, box + crypto_secretbox_NONCEBYTES,
                                   box_len - crypto_secretbox_NONCEBYTES, box, s->key) != 0 ||
        memcmp(msg, context, ctx_len + 1) != 0)
        goto out;
    msg[msg_len] = '\0';
    if (memchr(msg + ctx_len + 1, '\0', msg_len - ctx_len - 1))
        goto out;
    *out = lb_strdup((const char *)msg + ctx_len + 1);
    rc = *out ? 0 : LB_ENOMEM;
out:
    if (msg)
        sodium_memzero(msg, msg_len + 1);
    lb_free(msg);
    lb_free(box);
    return rc;
}

/* The context a column's value is sealed for: its column and its row's id. */
static char *column_context(const char *column, const char *id)
{
    struct buf b = BUF_INIT;

    buf_appendf(&b, "%s:%s", column, id ? id : "");
    return buf_take(&b);
}

int seal_column(const struct seal *s, const char *column, const char *id, const char *plain,
                char **out)
{
    char *ctx;
    int rc;

    if (!s)
        return LB_EKEY;
    if (!(ctx = column_context(column, id)))
        return LB_ENOMEM;
    rc = seal_text(s, ctx, plain, out);
    lb_free(ctx);
    return rc;
}

int seal_column_open(const struct seal *s, const char *column, const char *id, char **value)
{
    char *ctx, *plain = NULL;
    int rc;

    if (!*value)
        return 0;
    if (!s)
        return LB_EKEY;
    if (!(ctx = column_context(column, id)))
        return LB_ENOMEM;
    rc = seal_open_text(s, ctx, *value, &plain);
    lb_free(ctx);
    if (rc) {
        if (rc == LB_EKEY)
            log_error("store: a sealed %s (id %s) does not open with the secret key", column,
                      id ? id : "?");
        return rc;
    }
    lb_free(*value);
    *value = plain;
    return 0;
}
