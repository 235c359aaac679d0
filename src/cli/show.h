/*
 * show.h - the human forms of the API's answers that several commands share.
 *
 * Each prints to stdout a JSON object (or a list's "items") the caller parsed and still owns;
 * a field that is absent prints as "-", times as "2026-11-22 10:15:30 UTC", and every string
 * from the server goes through format_put_safe, so no terminal control character reaches the
 * terminal. The one-object forms print a line per field, its name in a column of 22, a
 * continued value indented under it. Single-threaded, as the CLI is.
 */
#ifndef LB_CLI_SHOW_H
#define LB_CLI_SHOW_H

#include <jansson.h>
#include <stddef.h>

/* Prints one field: its name k, then the value v (continued lines indented under it). */
void show_kv(const char *k, const char *v);
/* As show_kv, the name in a column of width (a form whose names are longer than 22). */
void show_kv_width(const char *k, const char *v, int width);
/* Prints the tenant of o: its "tenant_name" (cmd_name_tenants adds it), else its "tenant_id",
 * "(provider)" when that is null. */
void show_tenant_kv(json_t *o);
/* Prints the RFC 3339 time obj.key under the name k ("-" when absent). */
void show_time(const char *k, json_t *obj, const char *key);
/* Prints list's "items" as a table: header's cols titles over the given keys of each item
 * ("a.b" reads a nested field; *_at and "time" print as times, integers as numbers). */
void show_items(json_t *list, const char *const *header, const char *const *keys, size_t cols);
/* Prints a user as whoami shows one: name, id, tenant, roles and (when present) mfa. */
void show_me(json_t *u);
/* Prints only the object's id, on a line of its own. */
void show_id(json_t *o);

#endif
