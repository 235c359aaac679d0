/*
 * sse: liblockbox's Server-Sent Events parser (on_data and take_line in client/stream.c,
 * reached by including the file), the stream of GET /api/v1/events as a server sends it.
 * Input: the first byte picks where the stream is cut in two deliveries; the rest is the
 * stream after a 200 text/event-stream answer.
 * Asserts: every event handed over has an id and a type shorter than 64 bytes and data with no
 * line end but LF; and the parser reads the same events and ends the same way however the
 * stream is cut (libcurl delivers it in pieces of any size).
 */
#include "../src/client/stream.c"
#include "fuzz.h"

static int record(void *ctx, const struct lockbox_event *ev)
{
    struct buf *seen = ctx;

    FUZZ_CHECK(strlen(ev->id) < 64 && strlen(ev->type) < 64 && *ev->type);
    FUZZ_CHECK(!strchr(ev->data, '\r'));
    buf_appendf(seen, "%s|%s|%s\n", ev->id, ev->type, ev->data);
    return 0;
}

/* Feeds the stream in two pieces cut at `cut`; answers how the parser ended. */
static int feed(const uint8_t *s, size_t n, size_t cut, struct buf *seen)
{
    struct lockbox_follow_options opt = {.on_event = record, .ctx = seen};
    struct follow f = {.opt = &opt, .checked = true, .status = 200};
    char *copy = malloc(n ? n : 1);
    size_t took;

    if (!copy)
        abort(); /* a harness out of memory is libFuzzer's -rss_limit_mb, not a finding */
    buf_init(&f.problem, PROBLEM_MAX);
    buf_init(&f.line, EVENT_MAX);
    buf_init(&f.data, EVENT_MAX);
    memcpy(copy, s, n);
    took = on_data(copy, 1, cut, &f);
    if (took == cut)
        on_data(copy + cut, 1, n - cut, &f);
    buf_release(&f.problem);
    buf_release(&f.line);
    buf_release(&f.data);
    free(copy);
    return f.failed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf whole = BUF_INIT, cut = BUF_INIT;
    int a, b;

    if (size < 1)
        return 0;
    a = feed(data + 1, size - 1, size - 1, &whole);
    b = feed(data + 1, size - 1, (size - 1) * data[0] / 255, &cut);
    FUZZ_CHECK(a == b && strcmp(buf_cstr(&whole), buf_cstr(&cut)) == 0);
    buf_release(&whole);
    buf_release(&cut);
    return 0;
}
