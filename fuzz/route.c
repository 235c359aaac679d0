/*
 * route: the API's route matching (api_route_find, api_route_allow) on "METHOD PATH" as the
 * request line gives them (input: the method, one space, the path).
 * Asserts: a route found gives back the path exactly when its pattern's "{}" are replaced by the
 * parameters (each one segment: no '/', not empty), and the Allow list of that path names the
 * method; a path found only under another method has a non-empty Allow list.
 */
#include "api/api.h"
#include "fuzz.h"

/* The path the pattern gives with params in its "{}" (NULL when it does not fit in out). */
static const char *fill(const char *pattern, const char *const *params, char *out, size_t cap)
{
    size_t len = 0, n = 0;

    for (const char *p = pattern; *p; p++) {
        const char *piece = p[0] == '{' && p[1] == '}' ? params[n++] : NULL;
        size_t add = piece ? strlen(piece) : 1;
        if (len + add >= cap)
            return NULL;
        memcpy(out + len, piece ? piece : p, add);
        len += add;
        p += piece ? 1 : 0;
    }
    out[len] = '\0';
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = fuzz_cstr(data, size), *orig = fuzz_cstr(data, size);
    char *space = strchr(line, ' '), allow[API_ALLOW_LEN], rebuilt[4096];
    const char *params[API_MAX_PARAMS] = {0};
    const struct api_route *r;
    bool other;

    if (!space)
        goto out;
    *space = '\0';
    r = api_route_find(line, space + 1, params, &other);
    api_route_allow(orig + (space + 1 - line), allow);
    if (r) {
        size_t n = 0;
        for (const char *p = strstr(r->pattern, "{}"); p; p = strstr(p + 2, "{}"))
            n++;
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(params[i] && *params[i] && !strchr(params[i], '/'));
        if (size < sizeof(rebuilt))
            FUZZ_CHECK(fill(r->pattern, params, rebuilt, sizeof(rebuilt)) &&
                       strcmp(rebuilt, orig + (space + 1 - line)) == 0);
        FUZZ_CHECK(strstr(allow, r->method) != NULL);
    } else if (other) {
        FUZZ_CHECK(allow[0] != '\0');
    }
out:
    free(line);
    free(orig);
    return 0;
}
