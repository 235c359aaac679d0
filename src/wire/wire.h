/*
 * wire.h - the JSON forms of domain objects written by more than one layer: the API's answers
 * (api/) and the bodies of webhook deliveries (notify/) must show a request the same way.
 *
 * Each function returns a new jansson value (the caller owns the reference) or NULL when an
 * allocation failed; the objects passed in are borrowed; wire_text returns text the caller
 * frees with lb_free. Thread-safe.
 */
#ifndef LB_WIRE_WIRE_H
#define LB_WIRE_WIRE_H

#include "model/audit.h"
#include "model/request.h"

#include <jansson.h>
#include <stdint.h>

/* RFC 3339 string of t (Unix seconds), or null for 0. */
json_t *wire_time(int64_t t);
/* A JSON array of count strings. */
json_t *wire_strv(char *const *v, size_t count);
/* A string, or null for NULL. */
json_t *wire_str_or_null(const char *s);
/* A request as API.md shows it; its requester's display_name, mfa and isolated_identity as
 * the request kept them (null where unknown: a request made before it kept them). */
json_t *wire_request(const struct request *r);
/* An audit record as API.md shows it, its place in its chain included when it has one. */
json_t *wire_audit(const struct audit_record *r);
/* The same under the names Microsoft 365's audit log uses (docs/audit-chain.md, "Field
 * profiles"), its place in its chain kept as it is. */
json_t *wire_audit_m365(const struct audit_record *r);
/* v as compact JSON text, or NULL when out of memory. Written on the stack and copied once,
 * not into a buffer grown by reallocs and copied again (json_dumps); a text past the stack
 * buffer is written twice, sized then filled. */
char *wire_text(const json_t *v);

#endif
