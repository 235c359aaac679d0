/*
 * cli_config: the lockbox CLI's config file (~/.config/lockbox/config, read by on_config in
 * cli/main.c through inih; reached by including the file). Input: the file.
 * Asserts: what it takes (url, token, ca_file) is one line of the file, the first value given
 * wins and is kept whole (a later one does not replace or leak it).
 */
#include "fuzz.h"

int lb_cli_main(int argc, char **argv);
#define main lb_cli_main
#include "../src/cli/main.c"
#undef main

static void check_field(const char *v, const char *text)
{
    if (!v)
        return;
    FUZZ_CHECK(!strchr(v, '\n'));
    FUZZ_CHECK(strstr(text, v) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cli cli = {.prog = "lockbox"};
    char *text = fuzz_cstr(data, size);

    ini_parse_string(text, on_config, &cli);
    check_field(cli.url, text);
    check_field(cli.token, text);
    check_field(cli.ca_file, text);
    free(cli.url);
    free(cli.token);
    free(cli.ca_file);
    free(text);
    return 0;
}
