/* SPDX-License-Identifier: MIT */
/* Suite `ops`: element-wise operators at sizes in each cache level and in DRAM (64 MiB per f32
 * array); GB/s counts bytes read plus written, compared with the measured bandwidth of the same
 * access pattern (binary: two inputs, one output) on the same working-set size. */
#include <gllmk/gllmk.h>
#include <string.h>

#include "bench.h"

struct gkb_binary_case {
    const char *op, *dtype;
    size_t elem_bytes;
    gk_status (*run)(const void *a, const void *b, void *out, size_t n);
};

#define GKB_BINARY_ADAPTER(op, ctype)                                            \
    static gk_status gkb_##op(const void *a, const void *b, void *out, size_t n) \
    {                                                                            \
        return gk_##op((const ctype *)a, (const ctype *)b, (ctype *)out, n);     \
    }
GKB_BINARY_ADAPTER(vec_add_f32, float)
GKB_BINARY_ADAPTER(vec_add_f16, gk_f16)
GKB_BINARY_ADAPTER(vec_add_bf16, gk_bf16)
GKB_BINARY_ADAPTER(vec_mul_f32, float)

static const struct gkb_binary_case gkb_binary_cases[] = {
    {"vec_add", "f32", 4, gkb_vec_add_f32},
    {"vec_add", "f16", 2, gkb_vec_add_f16},
    {"vec_add", "bf16", 2, gkb_vec_add_bf16},
    {"vec_mul", "f32", 4, gkb_vec_mul_f32},
};

struct gkb_binary_job {
    const struct gkb_binary_case *c;
    const void *a, *b;
    void *out;
    size_t n;
};

static void gkb_binary_call(void *ctx)
{
    const struct gkb_binary_job *job = ctx;
    job->c->run(job->a, job->b, job->out, job->n);
}

void gkb_suite_ops(const struct gkb_context *ctx)
{
    const size_t sizes[] = {1024, 16384, 262144, ctx->smoke ? 1u << 20 : 16u << 20};
    for (size_t k = 0; k < sizeof gkb_binary_cases / sizeof gkb_binary_cases[0]; k++) {
        const struct gkb_binary_case *c = &gkb_binary_cases[k];
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            const size_t n = sizes[s], array = n * c->elem_bytes;
            void *a = gk_aligned_alloc(array, 64), *b = gk_aligned_alloc(array, 64);
            void *out = gk_aligned_alloc(array, 64);
            memset(a, 0x3C, array);
            memset(b, 0x3D, array);
            memset(out, 0, array);
            struct gkb_binary_job job = {c, a, b, out, n};
            gkb_report_stream_case(ctx, c->op, c->dtype, n, 3 * array, GKB_BINARY, gkb_binary_call,
                                   &job);
            gk_aligned_free(a);
            gk_aligned_free(b);
            gk_aligned_free(out);
        }
    }
}
