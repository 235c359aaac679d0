/*
 * cli_args: the lockbox CLI's command line (globals and cli_args_parse in cli/main.c, reached
 * by including the file) and the durations, times and counts its options take (cli/parse.c).
 * Input: the first byte picks the command; then the arguments after it, NUL-separated.
 * Asserts: an accepted command line has its positional count within the command's bounds,
 * only options the command declares (a value exactly for those that take one, every required
 * one present), values that are the arguments' own text; an accepted duration is positive, an
 * accepted count within its bounds.
 */
#include "cli/parse.h"
#include "fuzz.h"

int lb_cli_main(int argc, char **argv);
#define main lb_cli_main
#include "../src/cli/main.c"
#undef main

#define MAX_ARGS 24

static bool inside(const char *v, const char *buf, size_t size)
{
    return v >= buf && v <= buf + size;
}

static void check_values(const char *v)
{
    int64_t secs, at;
    long n;

    if (parse_duration(v, &secs) == 0)
        FUZZ_CHECK(secs > 0);
    if (parse_time(v, 1795000000, &at) == 0)
        FUZZ_CHECK(at > INT64_MIN);
    if (parse_count(v, 1, 1000, &n) == 0)
        FUZZ_CHECK(n >= 1 && n <= 1000);
}

static void check_args(const struct cli_command *c, const struct cli_args *a, const char *buf,
                       size_t size)
{
    FUZZ_CHECK(a->pos_count >= c->min_pos && a->pos_count <= c->max_pos);
    for (size_t i = 0; i < a->pos_count; i++)
        FUZZ_CHECK(inside(a->pos[i], buf, size));
    for (size_t i = 0; i < a->count; i++) {
        const struct cli_optspec *s = find_spec(c, a->names[i]);
        FUZZ_CHECK(s != NULL);
        FUZZ_CHECK(s->takes_value ? inside(a->values[i], buf, size) : *a->values[i] == '\0');
        check_values(a->values[i]);
    }
    for (const struct cli_optspec *s = c->opts; s && s->name; s++)
        FUZZ_CHECK(!s->required || cli_opt(a, s->name));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cli cli = {.prog = "lockbox"};
    const struct cli_command *c;
    struct cli_args args;
    char *buf, *argv[MAX_ARGS + 1];
    int argc = 1;
    bool help = false;

    if (size < 1)
        return 0;
    c = &cli_commands[data[0] % cli_command_count];
    buf = fuzz_cstr(data + 1, size - 1);
    argv[0] = "lockbox";
    for (size_t i = 0; i < size && argc < MAX_ARGS; i += strlen(buf + i) + 1)
        argv[argc++] = buf + i;
    argv[argc] = NULL;
    if (globals(&cli, argc, argv, &help) > 0 && cli_args_parse(&cli, c, argc - 1, argv + 1, &args))
        check_args(c, &args, buf, size);
    free(cli.url);
    free(cli.token);
    free(cli.ca_file);
    free(cli.field);
    free(buf);
    return 0;
}
