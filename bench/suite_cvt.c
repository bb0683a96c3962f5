/* SPDX-License-Identifier: MIT */
/* Suite `cvt`: element type conversions at sizes in each cache level and in DRAM; GB/s counts
 * bytes read plus bytes written, compared with the measured bandwidth of the same access pattern
 * (narrow: 4 bytes in, 2 out; widen: 2 in, 4 out) at the level the data lives in. */
#include <gllmk/gllmk.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

struct gkb_cvt_case {
    const char *op;
    size_t src_bytes, dst_bytes;
    enum gkb_pattern_id pattern;
    gk_status (*run)(const void *src, void *dst, size_t n);
};

static gk_status gkb_f32_to_f16(const void *src, void *dst, size_t n)
{
    return gk_cvt_f32_to_f16(src, dst, n);
}

static gk_status gkb_f16_to_f32(const void *src, void *dst, size_t n)
{
    return gk_cvt_f16_to_f32(src, dst, n);
}

static gk_status gkb_f32_to_bf16(const void *src, void *dst, size_t n)
{
    return gk_cvt_f32_to_bf16(src, dst, n);
}

static gk_status gkb_bf16_to_f32(const void *src, void *dst, size_t n)
{
    return gk_cvt_bf16_to_f32(src, dst, n);
}

static const struct gkb_cvt_case gkb_cvt_cases[] = {
    {"cvt_f32_to_f16", 4, 2, GKB_NARROW, gkb_f32_to_f16},
    {"cvt_f16_to_f32", 2, 4, GKB_WIDEN, gkb_f16_to_f32},
    {"cvt_f32_to_bf16", 4, 2, GKB_NARROW, gkb_f32_to_bf16},
    {"cvt_bf16_to_f32", 2, 4, GKB_WIDEN, gkb_bf16_to_f32},
};

struct gkb_cvt_job {
    const struct gkb_cvt_case *c;
    const void *src;
    void *dst;
    size_t n;
    int passes;
};

static void gkb_cvt_run(void *ctx)
{
    const struct gkb_cvt_job *job = ctx;
    for (int p = 0; p < job->passes; p++)
        job->c->run(job->src, job->dst, job->n);
}

void gkb_suite_cvt(const struct gkb_context *ctx)
{
    const struct gkb_limits *lim = ctx->limits;
    /* element counts: in L1, in L2, in L3, in DRAM (64 MiB of f32) */
    const size_t sizes[] = {2048, 32768, 262144, ctx->smoke ? 1u << 20 : 16u << 20};
    for (size_t k = 0; k < sizeof gkb_cvt_cases / sizeof gkb_cvt_cases[0]; k++) {
        const struct gkb_cvt_case *c = &gkb_cvt_cases[k];
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            const size_t n = sizes[s], bytes = n * (c->src_bytes + c->dst_bytes);
            void *src = gk_aligned_alloc(n * c->src_bytes, 64);
            void *dst = gk_aligned_alloc(n * c->dst_bytes, 64);
            memset(src, 0x3C, n * c->src_bytes);
            memset(dst, 0, n * c->dst_bytes);
            for (int ci = 0; ci < ctx->n_configs; ci++) {
                const int threads = ctx->threads[ci];
                gk_set_num_threads(threads);
                /* about 32 MiB moved per sample for cached sizes */
                struct gkb_cvt_job job = {c, src, dst, n, (int)((32u << 20) / bytes)};
                if (job.passes < 1 || ctx->smoke) job.passes = 1;
                const double ns =
                    gkb_min_time_ns(gkb_cvt_run, &job, 1, ctx->smoke ? 1 : 9) / job.passes;
                struct gkb_row row = {.op = c->op,
                                      .dtype = "-",
                                      .threads = threads,
                                      .time_ns = ns,
                                      .rate = (double)bytes / ns,
                                      .unit = "GB/s",
                                      .pct_limit = -1,
                                      .peer_ratio = -1};
                snprintf(row.shape, sizeof row.shape, "n=%zu", n);
                /* the library splits calls moving >= 1 MiB over its threads (src/ops/entry.c),
                 * so compare with the limit of that many threads on each one's share */
                const bool split = bytes >= (1u << 20);
                const int limit_threads = split ? threads : 1;
                const double limit = gkb_bandwidth_limit(
                    lim, c->pattern, bytes / (size_t)limit_threads, limit_threads, &row.limit);
                if (limit > 0) row.pct_limit = 100.0 * row.rate / limit;
                gkb_report(&row);
            }
            gk_aligned_free(src);
            gk_aligned_free(dst);
        }
    }
    gk_set_num_threads(0);
}
