#include "strv.h"

#include "mem.h"

#include <string.h>

#include "banned.h"

void strv_free(char **v, size_t count)
{
    if (!v)
        return;
    for (size_t i = 0; i < count; i++)
        lb_free(v[i]);
    lb_free(v);
}

int strv_dup(char *const *v, size_t count, char ***out)
{
    char **copy = lb_calloc(count ? count : 1, sizeof(*copy));

    if (!copy)
        return LB_ENOMEM;
    for (size_t i = 0; i < count; i++) {
        copy[i] = lb_strdup(v[i]);
        if (!copy[i]) {
            strv_free(copy, i);
            return LB_ENOMEM;
        }
    }
    *out = copy;
    return 0;
}

int strv_split_lines(const char *text, char ***out, size_t *count)
{
    size_t n = 1, i = 0;
    const char *p;
    char **v;

    *out = NULL;
    *count = 0;
    if (!text || !*text)
        return 0;
    for (p = text; *p; p++)
        n += *p == '\n';
    if (!(v = lb_calloc(n, sizeof(*v))))
        return LB_ENOMEM;
    for (p = text; i < n; i++) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (!(v[i] = lb_strndup(p, len))) {
            strv_free(v, i);
            return LB_ENOMEM;
        }
        p += len + (end != NULL);
    }
    *out = v;
    *count = n;
    return 0;
}

char *strv_join_lines(char *const *v, size_t count)
{
    size_t len = 1;
    char *text, *p;

    for (size_t i = 0; i < count; i++)
        len += strlen(v[i]) + 1;
    if (!(p = text = lb_malloc(len)))
        return NULL;
    *p = '\0';
    for (size_t i = 0; i < count; i++) {
        size_t n = strlen(v[i]);
        if (i)
            *p++ = '\n';
        memcpy(p, v[i], n);
        p += n;
        *p = '\0';
    }
    return text;
}
