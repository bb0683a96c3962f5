/* SPDX-License-Identifier: MIT */
/* Shared by the memory-bound suites: time one case at each thread count and report it against
 * the machine's bandwidth for the same access pattern on the same working set. */
#include <gllmk/gllmk.h>
#include <stdio.h>

#include "bench.h"

struct gkb_passes {
    void (*call)(void *job);
    void *job;
    int passes;
};

static void gkb_run_passes(void *ctx)
{
    const struct gkb_passes *p = ctx;
    for (int i = 0; i < p->passes; i++)
        p->call(p->job);
}

void gkb_report_stream_case(const struct gkb_context *ctx,
                            const char *op,
                            const char *dtype,
                            size_t n,
                            size_t bytes,
                            enum gkb_pattern_id pattern,
                            void (*call)(void *job),
                            void *job)
{
    for (int ci = 0; ci < ctx->n_configs; ci++) {
        const int threads = ctx->threads[ci];
        gk_set_num_threads(threads);
        /* about 32 MiB moved per sample for cached sizes, one call for DRAM sizes */
        struct gkb_passes p = {call, job, (int)((32u << 20) / bytes)};
        if (p.passes < 1 || ctx->smoke) p.passes = 1;
        const double ns = gkb_min_time_ns(gkb_run_passes, &p, 1, ctx->smoke ? 1 : 9) / p.passes;
        struct gkb_row row = {.op = op,
                              .dtype = dtype,
                              .threads = threads,
                              .time_ns = ns,
                              .rate = (double)bytes / ns,
                              .unit = "GB/s",
                              .pct_limit = -1,
                              .peer_ratio = -1};
        snprintf(row.shape, sizeof row.shape, "n=%zu", n);
        /* the library splits calls moving >= 1 MiB over its threads (src/ops/entry.c), so
         * compare with the limit of that many threads on each one's share */
        const int limit_threads = bytes >= (1u << 20) ? threads : 1;
        const double limit = gkb_bandwidth_limit(
            ctx->limits, pattern, bytes / (size_t)limit_threads, limit_threads, &row.limit);
        if (limit > 0) row.pct_limit = 100.0 * row.rate / limit;
        gkb_report(&row);
    }
    gk_set_num_threads(0);
}
