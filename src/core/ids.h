/*
 * ids.h - random identifiers.
 *
 * Object ids are UUID version 7 in lower case (RFC 9562): the wall clock's milliseconds, then
 * 74 bits from libsodium's CSPRNG (which must have been initialised with sodium_init). Ids made
 * near in time sort near each other, so each store index they key gains at its end instead of
 * at a random page: a lifecycle writes fewer pages. No allocation; thread-safe.
 */
#ifndef LB_CORE_IDS_H
#define LB_CORE_IDS_H

#include "model/id.h"

#include <stdbool.h>

/* Writes a new UUID v7 into out. */
void id_new(char out[ID_LEN]);
/* true when s is a lower-case UUID (any version); cheap guard before a store lookup. */
bool id_is_valid(const char *s);

#endif
