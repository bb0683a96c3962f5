/* SPDX-License-Identifier: MIT */
/* Suite `cvt`: element type conversions at sizes in each cache level and in DRAM; GB/s counts
 * bytes read plus bytes written, compared with the measured bandwidth of the same access pattern
 * (narrow: 4 bytes in, 2 out; widen: 2 in, 4 out) at the level the data lives in. */
#include <gllmk/gllmk.h>
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
};

static void gkb_cvt_call(void *ctx)
{
    const struct gkb_cvt_job *job = ctx;
    job->c->run(job->src, job->dst, job->n);
}

void gkb_suite_cvt(const struct gkb_context *ctx)
{
    /* element counts: in L1, in L2, in L3, in DRAM (64 MiB of f32) */
    const size_t sizes[] = {2048, 32768, 262144, ctx->smoke ? 1u << 20 : 16u << 20};
    for (size_t k = 0; k < sizeof gkb_cvt_cases / sizeof gkb_cvt_cases[0]; k++) {
        const struct gkb_cvt_case *c = &gkb_cvt_cases[k];
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            const size_t n = sizes[s];
            void *src = gk_aligned_alloc(n * c->src_bytes, 64);
            void *dst = gk_aligned_alloc(n * c->dst_bytes, 64);
            memset(src, 0x3C, n * c->src_bytes);
            memset(dst, 0, n * c->dst_bytes);
            struct gkb_cvt_job job = {c, src, dst, n};
            gkb_report_stream_case(ctx, c->op, "-", n, n * (c->src_bytes + c->dst_bytes),
                                   c->pattern, gkb_cvt_call, &job);
            gk_aligned_free(src);
            gk_aligned_free(dst);
        }
    }
}
