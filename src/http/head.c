#include "http/head.h"

#include "http/framing.h"
#include "http/server.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "util/banned.h"

/* framing_check_layout knows where libmicrohttpd 0.9.75 leaves a request's head */
#if MHD_VERSION == 0x00097500
#define HEAD_CHECK_LAYOUT 1
#else
#define HEAD_CHECK_LAYOUT 0
#endif

static_assert(HTTP_MAX_HEAD <= HTTP_CONN_MEMORY / 2, "libmicrohttpd must hold every head we judge");

struct field_list {
    struct framing_field f[HTTP_MAX_FIELDS];
    size_t count;
    bool overflow;
};

static enum MHD_Result collect_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                     size_t key_size, const char *value, size_t value_size)
{
    struct field_list *l = cls;

    (void)kind;
    if (l->count == HTTP_MAX_FIELDS) {
        l->overflow = true;
        return MHD_NO;
    }
    l->f[l->count++] = (struct framing_field){key, key_size, value, value_size};
    return MHD_YES;
}

int http_head_check(struct MHD_Connection *conn, const char *method, const char *version,
                    const char **detail)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    const size_t head_len = ci ? ci->header_size : 0;
    const uintptr_t head = (uintptr_t)method, ver = (uintptr_t)version;
    struct field_list fields;

    /* the request line runs from the method to the version, both in the head */
    if (HEAD_CHECK_LAYOUT && ver > head && ver < head + head_len &&
        ver - head > HTTP_MAX_REQUEST_LINE) {
        *detail = "the request line is longer than 8 KiB (8192 bytes)";
        return 414;
    }
    if (head_len > HTTP_MAX_HEAD) {
        *detail = "the request head is larger than 16 KiB (16384 bytes)";
        return 431;
    }
    fields.count = 0;
    fields.overflow = false;
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, collect_field, &fields);
    if (fields.overflow) {
        *detail = "the request has more than 100 header fields";
        return 431;
    }
    *detail =
        HEAD_CHECK_LAYOUT ? framing_check_layout(method, head_len, fields.f, fields.count) : NULL;
    if (!*detail)
        *detail = framing_check_fields(fields.f, fields.count,
                                       strcmp(version, MHD_HTTP_VERSION_1_0) != 0);
    return *detail ? 400 : 0;
}

bool http_head_layout_checked(void)
{
    return HEAD_CHECK_LAYOUT;
}
