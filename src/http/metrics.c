#include "http/metrics.h"

#include "util/mem.h"

#include <stdatomic.h>

#include "util/banned.h"

static const int statuses[] = {200, 201, 204, 400, 401, 403, 404,
                               405, 409, 413, 415, 429, 500, 503};
#define STATUS_SLOTS (sizeof(statuses) / sizeof(statuses[0]) + 1) /* + "other" */

static const double buckets_s[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                   0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
#define BUCKETS (sizeof(buckets_s) / sizeof(buckets_s[0]))

struct metrics {
    size_t route_count;    /* including the "unmatched" slot */
    atomic_ullong *counts; /* [route][status slot] */
    atomic_ullong hist[BUCKETS + 1];
    atomic_ullong hist_sum_us;
    atomic_ullong hist_count;
};

struct metrics *metrics_new(size_t route_count)
{
    struct metrics *m = lb_calloc(1, sizeof(*m));

    if (!m)
        return NULL;
    m->route_count = route_count + 1;
    m->counts = lb_calloc(m->route_count * STATUS_SLOTS, sizeof(*m->counts));
    if (!m->counts) {
        lb_free(m);
        return NULL;
    }
    return m;
}

void metrics_free(struct metrics *m)
{
    if (!m)
        return;
    lb_free(m->counts);
    lb_free(m);
}

static size_t status_slot(int status)
{
    for (size_t i = 0; i < STATUS_SLOTS - 1; i++)
        if (statuses[i] == status)
            return i;
    return STATUS_SLOTS - 1;
}

void metrics_record(struct metrics *m, int route, int status, int64_t micros)
{
    size_t r = route < 0 ? m->route_count - 1 : (size_t)route;
    size_t b = 0;

    atomic_fetch_add_explicit(&m->counts[r * STATUS_SLOTS + status_slot(status)], 1,
                              memory_order_relaxed);
    while (b < BUCKETS && (double)micros / 1e6 > buckets_s[b])
        b++;
    atomic_fetch_add_explicit(&m->hist[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->hist_sum_us, (unsigned long long)micros, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->hist_count, 1, memory_order_relaxed);
}

void metrics_render(struct metrics *m, const char *(*route_name)(size_t i), const char *extra,
                    struct buf *out)
{
    unsigned long long by_status[STATUS_SLOTS] = {0}, cumulative = 0;

    buf_puts(out, "# HELP lockbox_http_requests_total HTTP requests answered, by route and "
                  "status.\n# TYPE lockbox_http_requests_total counter\n");
    for (size_t r = 0; r < m->route_count; r++) {
        const char *name = r == m->route_count - 1 ? "unmatched" : route_name(r);
        for (size_t s = 0; s < STATUS_SLOTS; s++) {
            unsigned long long n = atomic_load(&m->counts[r * STATUS_SLOTS + s]);
            by_status[s] += n;
            if (n && s == STATUS_SLOTS - 1)
                buf_appendf(out,
                            "lockbox_http_requests_total{route=\"%s\",status=\"other\"} %llu\n",
                            name, n);
            else if (n)
                buf_appendf(out, "lockbox_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                            name, statuses[s], n);
        }
    }
    buf_puts(out, "# HELP lockbox_http_responses_total HTTP responses by status.\n"
                  "# TYPE lockbox_http_responses_total counter\n");
    for (size_t s = 0; s < STATUS_SLOTS - 1; s++)
        buf_appendf(out, "lockbox_http_responses_total{status=\"%d\"} %llu\n", statuses[s],
                    by_status[s]);
    buf_appendf(out, "lockbox_http_responses_total{status=\"other\"} %llu\n",
                by_status[STATUS_SLOTS - 1]);
    buf_puts(out, "# HELP lockbox_http_request_duration_seconds Time to answer a request.\n"
                  "# TYPE lockbox_http_request_duration_seconds histogram\n");
    for (size_t b = 0; b < BUCKETS; b++) {
        cumulative += atomic_load(&m->hist[b]);
        buf_appendf(out, "lockbox_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                    buckets_s[b], cumulative);
    }
    cumulative += atomic_load(&m->hist[BUCKETS]);
    buf_appendf(out, "lockbox_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                cumulative);
    buf_appendf(out, "lockbox_http_request_duration_seconds_sum %.6f\n",
                (double)atomic_load(&m->hist_sum_us) / 1e6);
    buf_appendf(out, "lockbox_http_request_duration_seconds_count %llu\n",
                (unsigned long long)atomic_load(&m->hist_count));
    if (extra)
        buf_puts(out, extra);
}
