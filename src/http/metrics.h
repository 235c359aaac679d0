/*
 * metrics.h - request counters and latency histogram for /metrics (Prometheus text format).
 *
 * Counters are atomics in a fixed table indexed by route and status, so recording costs no lock
 * on the hot path. A struct metrics is created once by the server and freed with it.
 */
#ifndef LB_HTTP_METRICS_H
#define LB_HTTP_METRICS_H

#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>

struct metrics;

/* A new zeroed set for route_count routes (+1 for "unmatched"); NULL when out of memory. */
struct metrics *metrics_new(size_t route_count);
void metrics_free(struct metrics *m);
/* Counts one answered request; route -1 is "unmatched". */
void metrics_record(struct metrics *m, int route, int status, int64_t micros);
/* Appends the Prometheus text; route_name(i) names route i. `extra` is appended verbatim. */
void metrics_render(struct metrics *m, const char *(*route_name)(size_t i), const char *extra,
                    struct buf *out);

#endif
