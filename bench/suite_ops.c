/* SPDX-License-Identifier: MIT */
/* Suite `ops`: the memory-bound operators at a size in L2 and in DRAM (64 MiB per array). GB/s
 * counts the bytes the operator must move (each input read once, each output written once), and
 * is compared with the measured bandwidth of the same access pattern on the same working-set
 * size: binary (two inputs, one output), copy (one in, one out), update (in place: read and
 * written back, no write-allocate), read (reductions). vec_axpy (x read, y updated) is compared
 * with binary, which pays a write-allocate read that axpy does not.
 * Row-wise ops run rows of 4096 columns; RoPE runs tokens of 32 heads of 128. Inputs are uniform
 * in [-5, 5] (as the `math` suite's): constant inputs, used before, let the transcendental
 * kernels take their value-dependent shortcuts on every vector. */
#include <gllmk/gllmk.h>
#include <string.h>

#include "bench.h"

struct gkb_ops_job {
    void *a, *b, *out;
    size_t n;
};

typedef void (*gkb_ops_call)(void *job);

struct gkb_ops_case {
    const char *op, *dtype;
    size_t elem_bytes;
    int arrays; /* arrays moved: inputs + outputs (in place counts once per direction) */
    enum gkb_pattern_id pattern;
    gkb_ops_call call;
};

enum { GKB_ROW_COLS = 4096, GKB_ROPE_HEADS = 32, GKB_ROPE_HEAD_DIM = 128 };

/* One adapter per call shape; `job` is a struct gkb_ops_job. */
#define GKB_BINARY(op, ctype)                                                     \
    static void gkb_##op(void *ctx)                                               \
    {                                                                             \
        struct gkb_ops_job *j = ctx;                                              \
        gk_##op((const ctype *)j->a, (const ctype *)j->b, (ctype *)j->out, j->n); \
    }
#define GKB_UNARY(op, ctype)                                 \
    static void gkb_##op(void *ctx)                          \
    {                                                        \
        struct gkb_ops_job *j = ctx;                         \
        gk_##op((const ctype *)j->a, (ctype *)j->out, j->n); \
    }
#define GKB_REDUCE(op, ctype)                   \
    static void gkb_##op(void *ctx)             \
    {                                           \
        struct gkb_ops_job *j = ctx;            \
        float r;                                \
        gk_##op((const ctype *)j->a, j->n, &r); \
    }

GKB_BINARY(vec_add_f32, float)
GKB_BINARY(vec_add_f16, gk_f16)
GKB_BINARY(vec_add_bf16, gk_bf16)
GKB_BINARY(vec_mul_f32, float)
GKB_UNARY(relu_f32, float)
GKB_UNARY(exp_f32, float)
GKB_UNARY(tanh_f32, float)
GKB_UNARY(silu_f32, float)
GKB_UNARY(silu_bf16, gk_bf16)
GKB_UNARY(gelu_f32, float)
GKB_UNARY(gelu_erf_f32, float)
GKB_BINARY(swiglu_f32, float)
GKB_UNARY(relu_bf16, gk_bf16)
GKB_REDUCE(vec_sum_f32, float)
GKB_REDUCE(vec_sum_squares_f32, float)
GKB_REDUCE(vec_max_f32, float)
GKB_REDUCE(vec_sum_bf16, gk_bf16)

static void gkb_vec_scale_f32(void *ctx)
{
    struct gkb_ops_job *j = ctx;
    gk_vec_scale_f32(j->out, 1.0f, j->n);
}

static void gkb_vec_axpy_f32(void *ctx)
{
    struct gkb_ops_job *j = ctx;
    gk_vec_axpy_f32(j->out, 0.0f, j->a, j->n);
}

static void gkb_vec_dot_f32(void *ctx)
{
    struct gkb_ops_job *j = ctx;
    float r;
    gk_vec_dot_f32(j->a, j->b, j->n, &r);
}

static void gkb_rms_norm_f32(void *ctx)
{
    struct gkb_ops_job *j = ctx;
    gk_rms_norm_f32(j->a, j->b, j->out, j->n / GKB_ROW_COLS, GKB_ROW_COLS, 1e-6f);
}

static void gkb_rms_norm_bf16(void *ctx)
{
    struct gkb_ops_job *j = ctx;
    gk_rms_norm_bf16(j->a, j->b, j->out, j->n / GKB_ROW_COLS, GKB_ROW_COLS, 1e-6f);
}

static void gkb_layer_norm_f32(void *ctx)
{
    struct gkb_ops_job *j = ctx;
    gk_layer_norm_f32(j->a, j->b, j->b, j->out, j->n / GKB_ROW_COLS, GKB_ROW_COLS, 1e-6f);
}

static void gkb_softmax_f32(void *ctx)
{
    struct gkb_ops_job *j = ctx;
    gk_softmax_f32(j->a, j->out, j->n / GKB_ROW_COLS, GKB_ROW_COLS);
}

static void gkb_softmax_bf16(void *ctx)
{
    struct gkb_ops_job *j = ctx;
    gk_softmax_bf16(j->a, j->out, j->n / GKB_ROW_COLS, GKB_ROW_COLS);
}

static void gkb_rope_f32(void *ctx)
{
    struct gkb_ops_job *j = ctx;
    gk_rope_f32(j->out, j->n / (GKB_ROPE_HEADS * GKB_ROPE_HEAD_DIM), GKB_ROPE_HEADS,
                GKB_ROPE_HEAD_DIM, GKB_ROPE_HEAD_DIM, 0, 10000.0f, GK_ROPE_NEOX);
}

static const struct gkb_ops_case gkb_ops_cases[] = {
    {"vec_add", "f32", 4, 3, GKB_BINARY, gkb_vec_add_f32},
    {"vec_add", "f16", 2, 3, GKB_BINARY, gkb_vec_add_f16},
    {"vec_add", "bf16", 2, 3, GKB_BINARY, gkb_vec_add_bf16},
    {"vec_mul", "f32", 4, 3, GKB_BINARY, gkb_vec_mul_f32},
    {"vec_axpy", "f32", 4, 3, GKB_BINARY, gkb_vec_axpy_f32},
    {"vec_scale", "f32", 4, 2, GKB_UPDATE, gkb_vec_scale_f32},
    {"relu", "f32", 4, 2, GKB_COPY, gkb_relu_f32},
    {"relu", "bf16", 2, 2, GKB_COPY, gkb_relu_bf16},
    {"exp", "f32", 4, 2, GKB_COPY, gkb_exp_f32},
    {"tanh", "f32", 4, 2, GKB_COPY, gkb_tanh_f32},
    {"silu", "f32", 4, 2, GKB_COPY, gkb_silu_f32},
    {"silu", "bf16", 2, 2, GKB_COPY, gkb_silu_bf16},
    {"gelu", "f32", 4, 2, GKB_COPY, gkb_gelu_f32},
    {"gelu_erf", "f32", 4, 2, GKB_COPY, gkb_gelu_erf_f32},
    {"swiglu", "f32", 4, 3, GKB_BINARY, gkb_swiglu_f32},
    {"vec_sum", "f32", 4, 1, GKB_READ, gkb_vec_sum_f32},
    {"vec_sum", "bf16", 2, 1, GKB_READ, gkb_vec_sum_bf16},
    {"vec_sum_squares", "f32", 4, 1, GKB_READ, gkb_vec_sum_squares_f32},
    {"vec_max", "f32", 4, 1, GKB_READ, gkb_vec_max_f32},
    {"vec_dot", "f32", 4, 2, GKB_READ, gkb_vec_dot_f32},
    {"rms_norm", "f32", 4, 2, GKB_COPY, gkb_rms_norm_f32},
    {"rms_norm", "bf16", 2, 2, GKB_COPY, gkb_rms_norm_bf16},
    {"layer_norm", "f32", 4, 2, GKB_COPY, gkb_layer_norm_f32},
    {"softmax", "f32", 4, 2, GKB_COPY, gkb_softmax_f32},
    {"softmax", "bf16", 2, 2, GKB_COPY, gkb_softmax_bf16},
    {"rope", "f32", 4, 2, GKB_UPDATE, gkb_rope_f32},
};

/* n elements of dtype ("f32", "f16", "bf16") uniform in [-5, 5], through f32 chunks. */
static void gkb_fill_inputs(void *p, size_t n, const char *dtype, uint64_t seed)
{
    enum { CHUNK = 4096 };

    float chunk[CHUNK];
    for (size_t i = 0; i < n; i += CHUNK) {
        const size_t len = n - i < CHUNK ? n - i : CHUNK;
        gkb_fill_uniform(chunk, len, -5.0f, 5.0f, seed * 1000003u + i / CHUNK);
        if (strcmp(dtype, "f32") == 0)
            memcpy((float *)p + i, chunk, len * sizeof(float));
        else if (strcmp(dtype, "f16") == 0)
            gk_cvt_f32_to_f16(chunk, (gk_f16 *)p + i, len);
        else
            gk_cvt_f32_to_bf16(chunk, (gk_bf16 *)p + i, len);
    }
}

void gkb_suite_ops(const struct gkb_context *ctx)
{
    /* 64K elements: 256 KiB per f32 array, L2; DRAM: 64 MiB per array whatever the type */
    const size_t cached_elems = 65536, dram_bytes = ctx->smoke ? 1u << 22 : 64u << 20;
    for (size_t k = 0; k < sizeof gkb_ops_cases / sizeof gkb_ops_cases[0]; k++) {
        const struct gkb_ops_case *c = &gkb_ops_cases[k];
        const size_t sizes[] = {cached_elems, dram_bytes / c->elem_bytes};
        for (size_t s = 0; s < 2; s++) {
            const size_t n = sizes[s], array = n * c->elem_bytes;
            void *a = gk_aligned_alloc(array, 64), *b = gk_aligned_alloc(array, 64);
            void *out = gk_aligned_alloc(array, 64);
            gkb_fill_inputs(a, n, c->dtype, 1);
            gkb_fill_inputs(b, n, c->dtype, 2);
            gkb_fill_inputs(out, n, c->dtype, 3);
            struct gkb_ops_job job = {a, b, out, n};
            gkb_report_stream_case(ctx, c->op, c->dtype, n, (size_t)c->arrays * array, c->pattern,
                                   c->call, &job);
            gk_aligned_free(a);
            gk_aligned_free(b);
            gk_aligned_free(out);
        }
    }
}
