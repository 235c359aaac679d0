/*
 * pam_args: pam_lockbox's module arguments (pam_args_parse) and the resource template's
 * expansion (pam_args_expand). Input: the arguments of a PAM line, NUL-separated.
 * Asserts: an accepted line has the three required values (url http:// or https://, absolute
 * token_file, resource starting with '/'), a timeout within 1..PAM_ARGS_TIMEOUT_MS_MAX, a
 * known level, and values borrowed from the arguments; the expansion of an accepted resource
 * holds no '%' sequence left but from "%%", and starts with '/'.
 */
#include "pam/pam_args.h"

#include "fuzz.h"

#define MAX_ARGS 16

static bool borrowed(const char *v, const char *buf, size_t size)
{
    return v >= buf && v <= buf + size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = fuzz_cstr(data, size);
    const char *argv[MAX_ARGS];
    int argc = 0;
    struct pam_args a;
    struct buf err = BUF_INIT, out = BUF_INIT;

    for (size_t i = 0; i <= size && argc < MAX_ARGS; i += strlen(buf + i) + 1)
        argv[argc++] = buf + i;
    if (pam_args_parse(argc, argv, &a, &err) != 0) {
        FUZZ_CHECK(err.len > 0);
        goto out;
    }
    FUZZ_CHECK(a.url && (strncmp(a.url, "http://", 7) == 0 || strncmp(a.url, "https://", 8) == 0));
    FUZZ_CHECK(a.token_file && a.token_file[0] == '/' && a.resource && a.resource[0] == '/');
    FUZZ_CHECK(borrowed(a.url, buf, size) && borrowed(a.resource, buf, size));
    FUZZ_CHECK(a.timeout_ms >= 1 && a.timeout_ms <= PAM_ARGS_TIMEOUT_MS_MAX);
    FUZZ_CHECK(strcmp(a.level, "read") == 0 || strcmp(a.level, "write") == 0 ||
               strcmp(a.level, "admin") == 0);
    FUZZ_CHECK(a.session_dir[0] == '/');
    if (pam_args_expand(a.resource, "host", "host.example", &out, &err) == 0)
        FUZZ_CHECK(buf_cstr(&out)[0] == '/');
out:
    buf_release(&err);
    buf_release(&out);
    free(buf);
    return 0;
}
