/*
 * strv.h - arrays of owned strings: the resource ids of a request, a tenant's scopes and mail
 * addresses, a webhook's events.
 *
 * A string vector is a `char **` of `count` strings, each (owned) by the array, as is the
 * array itself; strv_free releases both. strv_dup returns a new deep copy (caller frees with
 * strv_free) or LB_ENOMEM, leaving *out untouched. No state; thread-safe.
 */
#ifndef LB_UTIL_STRV_H
#define LB_UTIL_STRV_H

#include "util/err.h"

#include <stddef.h>

/* Frees an array of count strings and the array; accepts NULL. */
void strv_free(char **v, size_t count);
/* Deep copy of a string array into *out (caller frees with strv_free); LB_ENOMEM on failure. */
LB_MUST_CHECK int strv_dup(char *const *v, size_t count, char ***out);
/* Splits '\n'-joined text (NULL or "": none) into a new array (strv_free); LB_ENOMEM. */
LB_MUST_CHECK int strv_split_lines(const char *text, char ***out, size_t *count);
/* Joins strings with '\n' into a new string (lb_free; NULL when out of memory); the caller
 * has made sure none holds a newline. The stores keep short lists so, in one column. */
char *strv_join_lines(char *const *v, size_t count);

#endif
