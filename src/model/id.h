/*
 * id.h - the length of an object's id, one for every layer that holds ids in fixed buffers.
 *
 * Ids are UUIDs in lower case (core/ids.h makes and checks them): 36 characters. Plain data:
 * no behaviour.
 */
#ifndef LB_MODEL_ID_H
#define LB_MODEL_ID_H

#define ID_LEN 37 /* 36 characters and a NUL */

#endif
