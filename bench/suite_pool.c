/* SPDX-License-Identifier: MIT */
/* Suite `pool`: fork-join overhead of the library's thread pool for an empty job, back to back
 * (workers still spinning: the cost between the ops of one layer). */
#include <gllmk/gllmk.h>
#include <stdio.h>

#include "bench.h"
#include "core/pool.h"

static void gkb_empty_part(void *ctx, size_t first, size_t end)
{
    (void)ctx;
    (void)first;
    (void)end;
}

struct gkb_pool_job {
    int n_calls;
    size_t n_parts;
};

static void gkb_pool_calls(void *ctx)
{
    const struct gkb_pool_job *job = ctx;
    for (int i = 0; i < job->n_calls; i++)
        gk_pool_run(gkb_empty_part, NULL, job->n_parts);
}

void gkb_suite_pool(const struct gkb_context *ctx)
{
    for (int c = 0; c < ctx->n_configs; c++) {
        const int threads = ctx->threads[c];
        gk_set_num_threads(threads);
        struct gkb_pool_job job = {ctx->smoke ? 10 : 10000, (size_t)threads};
        const double ns = gkb_min_time_ns(gkb_pool_calls, &job, 1, ctx->smoke ? 1 : 15);
        struct gkb_row row = {.op = "pool_fork_join",
                              .dtype = "-",
                              .threads = threads,
                              .time_ns = ns / job.n_calls,
                              .rate = ns / job.n_calls / 1000.0,
                              .unit = "us",
                              .pct_limit = -1,
                              .peer_ratio = -1};
        snprintf(row.shape, sizeof row.shape, "empty job, %zu parts", job.n_parts);
        gkb_report(&row);
    }
    gk_set_num_threads(0);
}
