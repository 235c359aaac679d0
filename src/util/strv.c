#include "strv.h"

#include "mem.h"

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
