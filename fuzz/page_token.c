/*
 * page_token: the list APIs' page tokens (core_page_token_encode and _decode in core/core.c),
 * which clients send back in ?page_token=. Input: 8 bytes of cursor, then the listing's scope,
 * a LF, a byte position and a byte, then a token as a client may send it.
 * Asserts: a token made for a scope decodes to its cursor for that scope only; the same token
 * with one byte changed is refused; and any token the input gives is refused unless it is
 * exactly the one the server makes for its cursor (a client cannot forge or vary one).
 */
#include "core/core.h"
#include "fuzz.h"
#include "store/store_sqlite.h"
#include "util/log.h"
#include "util/mem.h"

#include <sodium.h>

static int64_t fixed_now(void *ctx)
{
    (void)ctx;
    return 1795000000;
}

static struct core *core_once(void)
{
    static struct core *c;
    struct core_config cfg = {.session_ttl_seconds = 3600};
    struct store *st = NULL;
    struct policy *p = NULL;
    struct buf err = BUF_INIT;

    if (c)
        return c;
    log_set_level(LOG_LEVEL_WARN);
    FUZZ_CHECK(sodium_init() >= 0 && store_sqlite_open(":memory:", &st, &err) == 0);
    FUZZ_CHECK(policy_default(&p) == 0 &&
               core_new(st, (struct clock){fixed_now, NULL}, p, &cfg, &c) == 0);
    buf_release(&err);
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct core *c = core_once();
    char *text, *scope, *given, *token = NULL, *other = NULL;
    int64_t cursor = 0, got;
    size_t at;

    if (size < 10)
        return 0;
    for (int i = 0; i < 8; i++)
        cursor = (int64_t)((uint64_t)cursor << 8 | data[i]);
    text = fuzz_cstr(data + 8, size - 8);
    scope = text;
    given = strchr(text, '\n');
    if (given)
        *given++ = '\0';
    FUZZ_CHECK(core_page_token_encode(c, scope, cursor, &token) == 0);
    FUZZ_CHECK(core_page_token_decode(c, scope, token, &got) == 0 && got == cursor);
    other = malloc(strlen(scope) + 2);
    snprintf(other, strlen(scope) + 2, "%s/", scope);
    FUZZ_CHECK(core_page_token_decode(c, other, token, &got) != 0);
    if (given && given[0] && given[1]) {
        at = (unsigned char)given[0] % strlen(token);
        if (token[at] != given[1]) {
            token[at] = given[1];
            FUZZ_CHECK(core_page_token_decode(c, scope, token, &got) != 0);
        }
        lb_free(token);
        token = NULL;
        if (core_page_token_decode(c, scope, given + 2, &got) == 0) {
            FUZZ_CHECK(core_page_token_encode(c, scope, got, &token) == 0);
            FUZZ_CHECK(strcmp(token, given + 2) == 0);
        }
    }
    lb_free(token);
    free(other);
    free(text);
    return 0;
}
