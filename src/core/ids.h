/*
 * ids.h - random identifiers.
 *
 * Object ids are UUID version 4 in lower case, drawn from libsodium's CSPRNG (which must have
 * been initialised with sodium_init). No allocation; thread-safe.
 */
#ifndef LB_CORE_IDS_H
#define LB_CORE_IDS_H

#include "model/id.h"

#include <stdbool.h>

/* Writes a new random UUID v4 into out. */
void id_new(char out[ID_LEN]);
/* true when s is a lower-case UUID (any version); cheap guard before a store lookup. */
bool id_is_valid(const char *s);

#endif
