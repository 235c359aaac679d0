/* The human forms of answers that several commands share. */
#include "cli/show.h"

#include "cli/cli.h"
#include "cli/format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

void show_kv(const char *k, const char *v)
{
    show_kv_width(k, v, 22);
}

void show_kv_width(const char *k, const char *v, int width)
{
    char cont[80];

    /* a continued line starts under the value */
    snprintf(cont, sizeof(cont), "\n%*s", width + 1 < 78 ? width + 1 : 78, "");
    printf("%-*s ", width, k);
    format_put_safe(stdout, v, 0, cont);
    fputc('\n', stdout);
}

void show_time(const char *k, json_t *obj, const char *key)
{
    char t[FORMAT_TIME_LEN];

    cli_time(json_string_value(json_object_get(obj, key)), t);
    show_kv(k, t);
}

void show_tenant_kv(json_t *o)
{
    json_t *name = json_object_get(o, "tenant_name");

    if (json_is_null(json_object_get(o, "tenant_id")) || !json_object_get(o, "tenant_id"))
        show_kv("tenant", "(provider)");
    else
        show_kv("tenant", json_is_string(name) ? json_string_value(name) : cli_str(o, "tenant_id"));
}

void show_me(json_t *u)
{
    json_t *r;
    size_t i;

    show_kv("username", cli_str(u, "username"));
    /* a user made without one has their username as display name: said once */
    if (json_is_string(json_object_get(u, "display_name")) &&
        strcmp(cli_str(u, "display_name"), cli_str(u, "username")) != 0)
        show_kv("name", cli_str(u, "display_name"));
    show_kv("id", cli_str(u, "id"));
    show_tenant_kv(u);
    json_array_foreach(json_object_get(u, "roles"), i, r)
    {
        char line[300];
        snprintf(line, sizeof(line), "%s at %s", cli_str(r, "role"), cli_str(r, "scope"));
        show_kv(i ? "" : "roles", line);
    }
    if (json_object_get(u, "mfa"))
        show_kv("mfa", json_is_true(json_object_get(u, "mfa")) ? "yes" : "no");
}

/* Prints a list of objects as a table of the given keys ("a.b" reads a nested field). */
void show_items(json_t *list, const char *const *header, const char *const *keys, size_t cols)
{
    json_t *items = json_object_get(list, "items"), *it;
    size_t n = json_array_size(items), i;
    const char ***rows = calloc(n ? n : 1, sizeof(*rows));
    char(*times)[16][FORMAT_TIME_LEN] = calloc(n ? n : 1, sizeof(*times));

    if (!rows || !times) {
        fprintf(stderr, "lockbox: out of memory\n");
        goto out;
    }
    json_array_foreach(items, i, it)
    {
        rows[i] = calloc(cols, sizeof(char *));
        for (size_t c = 0; rows[i] && c < cols && c < 16; c++) {
            const char *key = keys[c], *dot = strchr(key, '.');
            json_t *v = it;
            char head[64];
            if (dot) {
                snprintf(head, sizeof(head), "%.*s", (int)(dot - key), key);
                v = json_object_get(it, head);
                key = dot + 1;
            }
            v = json_object_get(v, key);
            if (strstr(key, "_at") || strcmp(key, "time") == 0) {
                cli_time(json_string_value(v), times[i][c]);
                rows[i][c] = times[i][c];
            } else if (json_is_integer(v)) {
                snprintf(times[i][c], FORMAT_TIME_LEN, "%lld", (long long)json_integer_value(v));
                rows[i][c] = times[i][c];
            } else {
                rows[i][c] = json_is_string(v) ? json_string_value(v) : "-";
            }
        }
        if (!rows[i])
            goto out;
    }
    cli_table(header, cols, rows, n);
out:
    for (i = 0; rows && i < n; i++)
        free(rows[i]);
    free(rows);
    free(times);
}

void show_id(json_t *o)
{
    printf("%s\n", cli_str(o, "id"));
}
