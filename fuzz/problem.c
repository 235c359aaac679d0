/*
 * problem: liblockbox's reading of a refusal (client_take_problem), the body of any answer
 * 4xx/5xx from whatever server the client was pointed at. Input: the body.
 * Asserts: the answer is LOCKBOX_EREFUSED exactly when the body is a JSON object with a
 * string "code" (the code and detail then copied as sent), LOCKBOX_EPROTOCOL otherwise, and
 * either way the reply has a code and a detail the caller can print.
 */
#include "client/client_int.h"
#include "fuzz.h"

#include <jansson.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = fuzz_cstr(data, size);
    struct lockbox_reply r = {0};
    json_t *j = json_loads(body, 0, NULL);
    const char *code = json_string_value(json_object_get(j, "code"));
    const char *detail = json_string_value(json_object_get(j, "detail"));
    int rc = client_take_problem(&r, body);

    FUZZ_CHECK(rc == (code ? LOCKBOX_EREFUSED : LOCKBOX_EPROTOCOL));
    FUZZ_CHECK(r.code && r.detail);
    if (code)
        FUZZ_CHECK(strcmp(r.code, code) == 0);
    if (detail)
        FUZZ_CHECK(strcmp(r.detail, detail) == 0);
    lockbox_reply_clear(&r);
    json_decref(j);
    free(body);
    return 0;
}
