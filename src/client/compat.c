/* liblockbox.so.0's lockbox_new as version LOCKBOX_0 had it, for programs built before struct
 * lockbox_options gained allow_plain_http: they pass the shorter struct, which is read here as
 * such (their plain http:// to a host that is not loopback is refused, as the new default).
 * Only the shared library carries it (liblockbox.map); a static link gets lockbox_new. */
#include "lockbox/lockbox.h"

#include "util/banned.h"

struct options_v0 {
    const char *url, *token, *ca_file;
    bool insecure_skip_verify;
    long connect_timeout_ms, timeout_ms;
};

int compat_new_v0(const struct options_v0 *opt, struct lockbox **out);

__asm__(".symver compat_new_v0, lockbox_new@LOCKBOX_0");

int compat_new_v0(const struct options_v0 *opt, struct lockbox **out)
{
    struct lockbox_options o = {0};

    if (!opt)
        return lockbox_new(NULL, out);
    o.url = opt->url;
    o.token = opt->token;
    o.ca_file = opt->ca_file;
    o.insecure_skip_verify = opt->insecure_skip_verify;
    o.connect_timeout_ms = opt->connect_timeout_ms;
    o.timeout_ms = opt->timeout_ms;
    return lockbox_new(&o, out);
}
