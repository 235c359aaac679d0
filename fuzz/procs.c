/*
 * procs: the host agent's reading of /proc/PID/stat (parse_stat in agent/procs.c, reached by
 * including the file: it is static). The command field is the process's own name, which any
 * user sets, spaces and parentheses included. Input: the stat line.
 * Asserts: the fields are read after the last ')' whatever the name holds: an accepted line
 * with its name replaced by a plain one parses to the same process.
 */
#include "../src/agent/procs.c"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size), *open, *close, *plain;
    struct proc_info a, b;

    if (parse_stat(text, &a) != 0)
        goto out;
    open = strchr(text, '(');
    close = strrchr(text, ')');
    if (open && open < close) {
        size_t cap = strlen(text) + 8;
        plain = malloc(cap);
        snprintf(plain, cap, "%.*s(name%s", (int)(open - text), text, close);
        FUZZ_CHECK(parse_stat(plain, &b) == 0 && a.pid == b.pid && a.ppid == b.ppid &&
                   a.sid == b.sid && a.state == b.state && a.start_ticks == b.start_ticks);
        free(plain);
    }
out:
    free(text);
    return 0;
}
