/*
 * daemon_config: lockboxd's configuration file (config_load_file and config_validate in
 * daemon/config.c over the table of config_table.c, through inih). Input: the INI file.
 * Asserts: a refused file says why; every integer of an accepted file is within its table
 * bounds; and an accepted, valid configuration written out by config_dump (what
 * `lockboxd --dump-config` prints) reads back to the same configuration.
 */
#include "daemon/config.h"
#include "fuzz.h"

static char *dump(const struct daemon_config *cfg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    if (!f)
        abort();
    config_dump(cfg, f);
    fclose(f);
    return text;
}

static void check_bounds(const struct daemon_config *cfg)
{
    for (size_t i = 0; i < config_table_count; i++) {
        const struct config_entry *e = &config_table[i];
        const int64_t *v = (const int64_t *)(const void *)((const char *)cfg + e->offset);
        if (e->type == CONFIG_INT)
            FUZZ_CHECK(*v >= e->min && *v <= e->max);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct daemon_config cfg, again;
    struct buf err = BUF_INIT;
    const char *path = fuzz_file(data, size);
    char *first = NULL, *second = NULL;

    if (!path || config_defaults(&cfg) != 0)
        abort();
    if (config_load_file(&cfg, path, &err) != 0) {
        FUZZ_CHECK(err.len > 0);
        goto out;
    }
    check_bounds(&cfg);
    if (config_validate(&cfg, &err) != 0)
        goto out;
    first = dump(&cfg);
    path = fuzz_file((const uint8_t *)first, strlen(first));
    FUZZ_CHECK(config_defaults(&again) == 0);
    FUZZ_CHECK(config_load_file(&again, path, &err) == 0);
    second = dump(&again);
    FUZZ_CHECK(strcmp(first, second) == 0);
    config_release(&again);
out:
    config_release(&cfg);
    buf_release(&err);
    free(first);
    free(second);
    return 0;
}
