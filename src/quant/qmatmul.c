/* SPDX-License-Identifier: MIT */
/* gk_qgemv / gk_qgemm / gk_qgemm_ex and the named wrappers (gllmk/qmatmul.h).
 *
 * One call: validate; quantize every activation row once into the weight format's 8-bit form
 * (formats with an integer dot kernel, src/quant/qdot.h); then split the weight rows over the
 * pool in fixed tiles of GK_QMM_TILE_ROWS rows. A tile's rows are dotted with every token before
 * the next tile starts, so a tile is read from memory once and from cache for the other tokens.
 * Each output comes from one kernel call on its tile, whatever the thread count. Formats without
 * an integer kernel decode a block at a time and dot it in f32 with the tier's vec_dot. */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "core/checked.h"
#include "core/error.h"
#include "core/kernels.h"
#include "core/pool.h"
#include "core/scratch.h"
#include "gllmk/gemm.h"
#include "gllmk/qmatmul.h"
#include "gllmk/runtime.h"
#include "quant/qdot.h"
#include "quant/qpack.h"
#include "quant/traits.h"

/* Rows per tile: enough to amortise a kernel call, few enough that a tile (16 rows of 4096 Q8_0
 * weights: 70 KiB) stays in L2 while the tokens of a qgemm pass over it. */
enum { GK_QMM_TILE_ROWS = 16 };

/* From GK_QMM_GEMM_MIN_M tokens on (qdot.h), W is dequantized a panel of rows at a time and
 * multiplied by the f32 GEMM (gllmk/gemm.h): its FMA microkernel beats re-decoding each weight
 * block for every token. Panels hold about GK_QMM_PANEL_BYTES of f32 weights. */
#define GK_QMM_PANEL_BYTES (16u << 20)

/* Calls moving less than this many weight bytes (times tokens) stay on the calling thread. Waking
 * the pool pays from about two 16-row tiles of 4096 on. With two threads, k = 4096, W in cache
 * (Zen 3, minimum of 5 runs per build in separate processes), 256 KiB here (which kept these on
 * one thread) against 64 KiB: Q4_K n = 32 / 64 / 96 rows 6.2 / 10.6 / 14.7 -> 4.6 / 6.9 / 9.1 us,
 * Q4_0 6.3 / 10.8 / 15.8 -> 5.0 / 6.7 / 9.2, Q8_0 n = 32 6.6 -> 4.6. */
#define GK_QMM_PARALLEL_BYTES (64u << 10)

/* ---- per-format kernels of each tier ---------------------------------------------------- */

/* The scalar tier's activation quantizers are the formats' own quantizers. */
#define GK_QACT_SCALAR(form, NAME, avx2, avx512, neon)                             \
    static void gk_qact_##form##_scalar(const float *x, void *xq, size_t n_blocks) \
    {                                                                              \
        gk_quant_##form##_scalar(x, xq, n_blocks, NULL);                           \
    }
GK_QACT_FORMS(GK_QACT_SCALAR)
#undef GK_QACT_SCALAR

/* A SIMD tier's quantizer where the build has the tier and GK_QACT_FORMS says V, else NULL: the
 * lookup then takes the next lower tier's. */
#define GK_QA_S(form, tier) NULL
#define GK_QA_V(form, tier) GK_QA_V_##tier(form)
#ifdef GK_HAVE_AVX2
#    define GK_QA_V_avx2(form) gk_qact_##form##_avx2
#else
#    define GK_QA_V_avx2(form) NULL
#endif
#ifdef GK_HAVE_AVX512
#    define GK_QA_V_avx512(form) gk_qact_##form##_avx512
#else
#    define GK_QA_V_avx512(form) NULL
#endif
#ifdef GK_HAVE_NEON
#    define GK_QA_V_neon(form) gk_qact_##form##_neon
#else
#    define GK_QA_V_neon(form) NULL
#endif

/* The activation quantizers per tier, indexed by the activation format (the `act` column of
 * src/quant/formats.def). */
static const struct gk_qact_entry {
    gk_qact_fn fn[GK_ISA_COUNT];
} gk_qact_table[GK_QTYPE_COUNT] = {

#define GK_QACT_ROW(form, NAME, has_avx2, has_avx512, has_neon)               \
    [GK_QTYPE_##NAME] = {{[GK_ISA_SCALAR] = gk_qact_##form##_scalar,          \
                          [GK_ISA_AVX2] = GK_QA_##has_avx2(form, avx2),       \
                          [GK_ISA_AVX512] = GK_QA_##has_avx512(form, avx512), \
                          [GK_ISA_NEON] = GK_QA_##has_neon(form, neon)}},
    GK_QACT_FORMS(GK_QACT_ROW)
#undef GK_QACT_ROW
};

/* The four-token kernels per tier, indexed by the weight format (GK_QDOT4_FORMS, qdot.h): a
 * V entry where the build has the tier, NULL elsewhere; beside the NEON one, its SDOT build. */
#define GK_QD4_S(kern, tier) NULL
#define GK_QD4_N(kern, tier) NULL
#define GK_QD4_V(kern, tier) GK_QD4_V_##tier(kern)
#ifdef GK_HAVE_AVX2
#    define GK_QD4_V_avx2(kern) gk_qdot4_##kern##_avx2
#else
#    define GK_QD4_V_avx2(kern) NULL
#endif
#ifdef GK_HAVE_AVX512
#    define GK_QD4_V_avx512(kern) gk_qdot4_##kern##_avx512
#else
#    define GK_QD4_V_avx512(kern) NULL
#endif
#ifdef GK_HAVE_NEON
#    define GK_QD4_V_neon(kern)         gk_qdot4_##kern##_neon
#    define GK_QD4_V_neon_dotprod(kern) gk_qdot4_##kern##_neon_dotprod
#else
#    define GK_QD4_V_neon(kern)         NULL
#    define GK_QD4_V_neon_dotprod(kern) NULL
#endif

static const struct gk_qdot4_entry {
    gk_qdot4_fn fn[GK_ISA_COUNT];
    gk_qdot4_fn neon_dotprod; /* the NEON kernel's SDOT build */
    size_t gemm_min_m;
} gk_qdot4_table[GK_QTYPE_COUNT] = {

#define GK_QDOT4_ROW(kern, NAME, has_avx2, has_avx512, has_neon, gemm_min_m)   \
    [GK_QTYPE_##NAME] = {{[GK_ISA_AVX2] = GK_QD4_##has_avx2(kern, avx2),       \
                          [GK_ISA_AVX512] = GK_QD4_##has_avx512(kern, avx512), \
                          [GK_ISA_NEON] = GK_QD4_##has_neon(kern, neon)},      \
                         GK_QD4_##has_neon(kern, neon_dotprod),                \
                         gemm_min_m},
    GK_QDOT4_FORMS(GK_QDOT4_ROW)
#undef GK_QDOT4_ROW
};

/* The tier at or below `isa` that has a kernel in fns, else the scalar tier. */
static int gk_qk_tier(const void *const *fns, gk_isa isa)
{
    int tier = (int)isa;
    while (tier > GK_ISA_SCALAR && !fns[tier])
        tier--;
    return tier;
}

/* Whether a kernel of `tier` is taken in its SDOT build: a NEON kernel on a CPU with the
 * dot-product extension (the same bits; detected once, GK_CPU_DISABLE=asimddp hides it). */
static bool gk_qk_sdot(int tier)
{
    return tier == GK_ISA_NEON && gk_cpu_get()->has[GK_FEATURE_ASIMDDP];
}

bool gk_qmm_kernels_of(gk_qtype t, gk_isa isa, struct gk_qmm_kernels *out)
{
    memset(out, 0, sizeof *out);
    const struct gk_qtraits *tr = gk_qtraits_of(t);
    if (!tr || tr->act == GK_QTYPE_COUNT) return false;
    const struct gk_qact_entry *act = &gk_qact_table[tr->act];
    const int dot_tier = gk_qk_tier((const void *const *)tr->dot, isa);
    out->dot = tr->dot[dot_tier];
    if (gk_qk_sdot(dot_tier) && tr->dot_neon_dotprod) out->dot = tr->dot_neon_dotprod;
    out->quantize = act->fn[gk_qk_tier((const void *const *)act->fn, isa)];
    /* the four-token kernel of the nearest tier at or below isa that has one (a build has only
     * its own architecture's kernels: the others are NULL; the scalar tier has none) */
    const struct gk_qdot4_entry *dot4 = &gk_qdot4_table[t];
    const int dot4_tier = gk_qk_tier((const void *const *)dot4->fn, isa);
    out->dot4 = dot4->fn[dot4_tier];
    if (gk_qk_sdot(dot4_tier) && dot4->neon_dotprod) out->dot4 = dot4->neon_dotprod;
    out->dot4_gemm_min_m = dot4->gemm_min_m;
    out->act = tr->act;
    out->act_block_elems = gk_qtype_block_elems(tr->act);
    out->act_block_bytes = gk_qtype_block_bytes(tr->act);
    return true;
}

bool gk_qmm_uses_gemm(gk_qtype t, gk_isa isa, size_t m)
{
    struct gk_qmm_kernels qk;
    if (gk_qmm_kernels_of(t, isa, &qk) && qk.dot4)
        return qk.dot4_gemm_min_m != 0 && m >= qk.dot4_gemm_min_m;
    return m >= GK_QMM_GEMM_MIN_M;
}

/* ---- one call ----------------------------------------------------------------------------- */

struct gk_qmm_job {
    const char *w;
    size_t w_row_bytes, n_blocks;
    gk_qdot_fn dot;       /* integer path; NULL for the f32 path */
    gk_qdot4_fn dot4;     /* four tokens at a time, or NULL */
    gk_qdot8_fn dot8;     /* packed weights (qpack.h): w holds groups of group_bytes, or NULL */
    gk_qdot8x4_fn dot8x4; /* packed weights, four tokens at a time, or NULL */
    size_t group_bytes;
    const int32_t *xsum; /* packed path: per token, the sum of each activation block's codes
                          * (IQ1_S, IQ1_M: gk_qpack_iq1_xsum's words), xsum_stride words */
    size_t xsum_stride;
    const char *xq; /* m quantized activation rows of act_row_bytes (integer path) */
    size_t act_row_bytes;
    gk_dequant_fn dequant; /* f32 path */
    size_t block_elems, block_bytes;
    const struct gk_kernels *kernels;
    const float *x;
    size_t ldx;
    float *y;
    size_t ldy;
    const float *bias;
    float beta;
    size_t m, n, k;
};

/* f32 path: out[r] = sum over blocks of vec_dot(decoded block, x block), in double. */
static void
gk_qmm_dot_f32(const struct gk_qmm_job *job, const char *w, const float *x, float *out, size_t rows)
{
    /* decode a chunk of blocks at a time (one kernel call per chunk, 16 KiB of f32 on the stack),
     * then one vec_dot over it */
    enum { GK_QMM_F32_CHUNK = 4096 };

    float chunk[GK_QMM_F32_CHUNK];
    const size_t chunk_blocks = GK_QMM_F32_CHUNK / job->block_elems;
    for (size_t r = 0; r < rows; r++) {
        const char *wr = w + r * job->w_row_bytes;
        double acc = 0.0;
        for (size_t b = 0; b < job->n_blocks; b += chunk_blocks) {
            const size_t blocks =
                job->n_blocks - b < chunk_blocks ? job->n_blocks - b : chunk_blocks;
            job->dequant(wr + b * job->block_bytes, chunk, blocks);
            acc += job->kernels->vec_dot_f32(chunk, x + b * job->block_elems,
                                             blocks * job->block_elems);
        }
        out[r] = (float)acc;
    }
}

/* Token t's outputs r0 .. r0 + rows - 1 from their dots, with the bias and beta terms. */
static void
gk_qmm_store(const struct gk_qmm_job *job, size_t t, size_t r0, size_t rows, const float *dots)
{
    float *yt = job->y + t * job->ldy + r0;
    for (size_t r = 0; r < rows; r++) {
        float v = dots[r];
        if (job->bias) v += job->bias[r0 + r];
        if (job->beta != 0.0f) v += job->beta * yt[r];
        yt[r] = v;
    }
}

/* Packed weights: the tile's groups of GK_QPACK_ROWS rows, dotted with every token. */
static void gk_qmm_packed_tile(const struct gk_qmm_job *job, size_t r0, size_t rows)
{
    _Static_assert(GK_QMM_TILE_ROWS % GK_QPACK_ROWS == 0, "a tile is whole groups");
    size_t t = 0;
    if (job->dot8x4)
        for (; t + GK_QDOT8X4_TOKENS <= job->m; t += GK_QDOT8X4_TOKENS)
            for (size_t g = 0; g < rows; g += GK_QPACK_ROWS) {
                float dots[GK_QDOT8X4_TOKENS][GK_QPACK_ROWS];
                job->dot8x4(job->w + (r0 + g) / GK_QPACK_ROWS * job->group_bytes,
                            job->xq + t * job->act_row_bytes, job->act_row_bytes,
                            job->xsum ? job->xsum + t * job->xsum_stride : NULL, job->n_blocks,
                            &dots[0][0]);
                for (size_t u = 0; u < GK_QDOT8X4_TOKENS; u++)
                    gk_qmm_store(job, t + u, r0 + g,
                                 rows - g < GK_QPACK_ROWS ? rows - g : GK_QPACK_ROWS, dots[u]);
            }
    for (; t < job->m; t++) {
        for (size_t g = 0; g < rows; g += GK_QPACK_ROWS) {
            float dots[GK_QPACK_ROWS];
            job->dot8(job->w + (r0 + g) / GK_QPACK_ROWS * job->group_bytes,
                      job->xq + t * job->act_row_bytes,
                      job->xsum ? job->xsum + t * job->xsum_stride : NULL, job->n_blocks, dots);
            gk_qmm_store(job, t, r0 + g, rows - g < GK_QPACK_ROWS ? rows - g : GK_QPACK_ROWS, dots);
        }
    }
}

static void gk_qmm_tiles(void *ctx, size_t first_tile, size_t end_tile)
{
    const struct gk_qmm_job *job = ctx;
    for (size_t tile = first_tile; tile < end_tile; tile++) {
        const size_t r0 = tile * GK_QMM_TILE_ROWS;
        const size_t rows = job->n - r0 < GK_QMM_TILE_ROWS ? job->n - r0 : GK_QMM_TILE_ROWS;
        if (job->dot8) {
            gk_qmm_packed_tile(job, r0, rows);
            continue;
        }
        const char *w = job->w + r0 * job->w_row_bytes;
        size_t t = 0;
        if (job->dot4 && job->k > 0) {
            for (; t + GK_QDOT4_TOKENS <= job->m; t += GK_QDOT4_TOKENS) {
                float dots[GK_QDOT4_TOKENS][GK_QMM_TILE_ROWS];
                job->dot4(w, job->w_row_bytes, job->xq + t * job->act_row_bytes, job->act_row_bytes,
                          job->n_blocks, &dots[0][0], GK_QMM_TILE_ROWS, rows);
                for (size_t u = 0; u < GK_QDOT4_TOKENS; u++)
                    gk_qmm_store(job, t + u, r0, rows, dots[u]);
            }
        }
        for (; t < job->m; t++) {
            float dots[GK_QMM_TILE_ROWS] = {0};
            if (job->k == 0) {
                /* no weights: every dot is 0 */
            } else if (job->dot) {
                job->dot(w, job->w_row_bytes, job->xq + t * job->act_row_bytes, job->n_blocks, dots,
                         rows);
            } else {
                gk_qmm_dot_f32(job, w, job->x + t * job->ldx, dots, rows);
            }
            gk_qmm_store(job, t, r0, rows, dots);
        }
    }
}

/* ---- validation and the entry points ---------------------------------------------------- */

static gk_status gk_qmm_validate(const char *api, const gk_qgemm_args *a, size_t *w_row_bytes)
{
    GK_CHECK(a, GK_EINVAL, api, "args is NULL");
    const size_t elems = gk_qtype_block_elems(a->type);
    GK_CHECK(elems != 0, GK_EINVAL, api, "type %d is not a gk_qtype", (int)a->type);
    GK_CHECK(a->k % elems == 0, GK_EINVAL, api, "k = %zu is not a multiple of %s's block of %zu",
             a->k, gk_qtype_name(a->type), elems);
    if (a->m == 0 || a->n == 0) return GK_OK;
    GK_CHECK(a->y, GK_EINVAL, api, "y is NULL");
    GK_CHECK(a->m == 1 || a->ldy >= a->n, GK_EINVAL, api, "ldy = %zu is below n = %zu", a->ldy,
             a->n);
    GK_CHECK(a->m == 1 || a->ldx >= a->k, GK_EINVAL, api, "ldx = %zu is below k = %zu", a->ldx,
             a->k);
    size_t w_bytes = 0, x_bytes = 0, y_bytes = 0;
    *w_row_bytes = a->k / elems * gk_qtype_block_bytes(a->type);
    GK_CHECK(gk_mul_size(a->n, *w_row_bytes, &w_bytes), GK_EOVERFLOW, api,
             "n = %zu rows of %zu bytes overflow", a->n, *w_row_bytes);
    const size_t ldx = a->m == 1 ? a->k : a->ldx, ldy = a->m == 1 ? a->n : a->ldy;
    GK_CHECK(gk_mul_size(a->m - 1, ldx, &x_bytes) && gk_add_size(x_bytes, a->k, &x_bytes) &&
                 gk_mul_size(x_bytes, sizeof(float), &x_bytes),
             GK_EOVERFLOW, api, "X (m = %zu, ldx = %zu) overflows", a->m, ldx);
    GK_CHECK(gk_mul_size(a->m - 1, ldy, &y_bytes) && gk_add_size(y_bytes, a->n, &y_bytes) &&
                 gk_mul_size(y_bytes, sizeof(float), &y_bytes),
             GK_EOVERFLOW, api, "Y (m = %zu, ldy = %zu) overflows", a->m, ldy);
    if (a->k > 0) {
        GK_CHECK(a->w, GK_EINVAL, api, "w is NULL");
        GK_CHECK(a->x, GK_EINVAL, api, "x is NULL");
    }
    GK_CHECK(!gk_ranges_overlap(a->y, y_bytes, a->w, a->k ? w_bytes : 0), GK_EALIAS, api,
             "y overlaps w");
    GK_CHECK(!gk_ranges_overlap(a->y, y_bytes, a->x, a->k ? x_bytes : 0), GK_EALIAS, api,
             "y overlaps x");
    GK_CHECK(!a->bias || !gk_ranges_overlap(a->y, y_bytes, a->bias, a->n * sizeof(float)),
             GK_EALIAS, api, "y overlaps bias");
    for (size_t t = 0; t < a->m && a->k > 0; t++) {
        const size_t i = gk_first_non_finite(a->x + t * ldx, a->k);
        GK_CHECK(i == a->k, GK_EINVAL, api, "x[%zu][%zu] is not finite (activations are quantized)",
                 t, i);
    }
    return GK_OK;
}

/* The many-token path: Y = beta Y + X W^T + bias by the f32 GEMM on dequantized panels of W
 * (the activations are not quantized here). Each panel call splits its work over the pool. */
static gk_status gk_qmm_run_gemm(const char *api, const gk_qgemm_args *a, size_t w_row_bytes)
{
    size_t panel_rows =
        GK_QMM_PANEL_BYTES / (a->k * sizeof(float)) / GK_QMM_TILE_ROWS * GK_QMM_TILE_ROWS;
    if (panel_rows < GK_QMM_TILE_ROWS) panel_rows = GK_QMM_TILE_ROWS;
    if (panel_rows > a->n) panel_rows = a->n;
    float *panel = gk_scratch_acquire(panel_rows * a->k * sizeof(float));
    GK_CHECK(panel, GK_ENOMEM, api, "no memory for a %zu x %zu weight panel", panel_rows, a->k);
    gk_status status = GK_OK;
    for (size_t r0 = 0; r0 < a->n && status == GK_OK; r0 += panel_rows) {
        const size_t rows = a->n - r0 < panel_rows ? a->n - r0 : panel_rows;
        status = gk_dequantize(a->type, (const char *)a->w + r0 * w_row_bytes, panel, rows * a->k);
        const gk_gemm_args g = {.m = a->m,
                                .n = rows,
                                .k = a->k,
                                .a = a->x,
                                .lda = a->ldx,
                                .a_dtype = GK_DTYPE_F32,
                                .b = panel,
                                .ldb = a->k,
                                .b_dtype = GK_DTYPE_F32,
                                .trans_b = true,
                                .c = a->y + r0,
                                .ldc = a->ldy,
                                .c_dtype = GK_DTYPE_F32,
                                .alpha = 1.0f,
                                .beta = a->beta,
                                .bias = a->bias ? a->bias + r0 : NULL};
        if (status == GK_OK) status = gk_gemm_ex(&g);
    }
    gk_scratch_release(panel);
    return status;
}

/* One product; dot8 is the group kernel when a->w holds packed groups (qpack.h), else NULL. */
static gk_status
gk_qmm_run(const char *api, const gk_qgemm_args *a, gk_qdot8_fn dot8, gk_qdot8x4_fn dot8x4)
{
    size_t w_row_bytes = 0;
    GK_TRY(gk_qmm_validate(api, a, &w_row_bytes));
    if (a->m == 0 || a->n == 0) return GK_OK;
    const struct gk_kernels *kernels = gk_kernels_active();
    if (!dot8 && a->k > 0 && gk_qmm_uses_gemm(a->type, kernels->isa, a->m))
        return gk_qmm_run_gemm(api, a, w_row_bytes);

    const size_t elems = gk_qtype_block_elems(a->type);
    struct gk_qmm_job job = {
        .w = a->w,
        .w_row_bytes = w_row_bytes,
        .n_blocks = a->k / elems,
        .block_elems = elems,
        .block_bytes = gk_qtype_block_bytes(a->type),
        .kernels = kernels,
        .x = a->x,
        .ldx = a->m == 1 ? a->k : a->ldx,
        .y = a->y,
        .ldy = a->m == 1 ? a->n : a->ldy,
        .bias = a->bias,
        .beta = a->beta,
        .m = a->m,
        .n = a->n,
        .k = a->k,
    };
    void *xq = NULL;
    struct gk_qmm_kernels qk;
    if (gk_qmm_kernels_of(a->type, kernels->isa, &qk) && a->k > 0) {
        const size_t act_blocks = a->k / qk.act_block_elems;
        job.dot = qk.dot;
        job.dot4 = qk.dot4;
        job.dot8 = dot8;
        job.dot8x4 = dot8x4;
        job.act_row_bytes = act_blocks * qk.act_block_bytes;
        size_t xq_bytes = 0, xsum_bytes = 0;
        const bool iq1 = a->type == GK_QTYPE_IQ1_S || a->type == GK_QTYPE_IQ1_M;
        job.xsum_stride = act_blocks * (iq1 ? GK_QPACK_IQ1_XSUM : 1);
        /* the code sums of the packed path follow the quantized rows, 64-byte aligned */
        GK_CHECK(gk_mul_size(a->m, job.act_row_bytes, &xq_bytes) &&
                     gk_add_size(xq_bytes, 63, &xq_bytes) &&
                     gk_mul_size(a->m, job.xsum_stride, &xsum_bytes) &&
                     gk_mul_size(xsum_bytes, sizeof(int32_t), &xsum_bytes) &&
                     gk_add_size(xq_bytes / 64 * 64, dot8 ? xsum_bytes : 0, &xq_bytes),
                 GK_EOVERFLOW, api, "activation buffer overflows");
        xq = gk_aligned_alloc(xq_bytes, 64);
        GK_CHECK(xq, GK_ENOMEM, api, "no memory for %zu bytes of quantized activations", xq_bytes);
        for (size_t t = 0; t < a->m; t++)
            qk.quantize(a->x + t * job.ldx, (char *)xq + t * job.act_row_bytes, act_blocks);
        if (dot8 && qk.act == GK_QTYPE_Q8_0) {
            /* packed Q4_0 and Q5_0 take each Q8_0 activation block's code sum (qpack.h) */
            int32_t *xsum = (int32_t *)((char *)xq + xq_bytes - xsum_bytes);
            const gk_block_q8_0 *xb = xq;
            for (size_t i = 0; i < a->m * act_blocks; i++) {
                int32_t sum = 0;
                for (size_t j = 0; j < 32; j++)
                    sum += xb[i].qs[j];
                xsum[i] = sum;
            }
            job.xsum = xsum;
        }
        if (dot8 && iq1) { /* the IQ1 kernels' delta terms (qpack.h) */
            int32_t *xsum = (int32_t *)((char *)xq + xq_bytes - xsum_bytes);
            for (size_t t = 0; t < a->m; t++)
                gk_qpack_iq1_xsum((const char *)xq + t * job.act_row_bytes, act_blocks,
                                  xsum + t * job.xsum_stride);
            job.xsum = xsum;
        }
        if (dot8) job.group_bytes = gk_qpack_group_bytes(a->type, a->k);
        job.xq = xq;
    } else {
        job.dequant = gk_qtraits_of(a->type)->dequant[kernels->isa];
        GK_CHECK(job.dequant, GK_EUNSUPPORTED, api, "this build cannot decode %s",
                 gk_qtype_name(a->type));
    }

    const size_t tiles = (a->n + GK_QMM_TILE_ROWS - 1) / GK_QMM_TILE_ROWS;
    if ((double)a->n * (double)w_row_bytes * (double)a->m >= (double)GK_QMM_PARALLEL_BYTES)
        gk_pool_run(gk_qmm_tiles, &job, tiles);
    else
        gk_qmm_tiles(&job, 0, tiles);
    gk_aligned_free(xq);
    return GK_OK;
}

gk_status gk_qgemm_ex(const gk_qgemm_args *args)
{
    return gk_qmm_run("gk_qgemm_ex", args, NULL, NULL);
}

/* Y = X W^T for m tokens, dense rows, under the public name `api`; dot8 is the group kernel when w
 * holds packed groups (qpack.h), else NULL. */
static gk_status gk_qmm_simple(const char *api,
                               gk_qtype t,
                               const void *w,
                               const float *x,
                               float *y,
                               size_t m,
                               size_t n,
                               size_t k,
                               gk_qdot8_fn dot8,
                               gk_qdot8x4_fn dot8x4)
{
    const gk_qgemm_args args = {.type = t,
                                .w = w,
                                .x = x,
                                .y = y,
                                .m = m,
                                .n = n,
                                .k = k,
                                .ldx = k,
                                .ldy = n,
                                .bias = NULL,
                                .beta = 0.0f};
    return gk_qmm_run(api, &args, dot8, dot8x4);
}

gk_status gk_qgemv(gk_qtype t, const void *w, const float *x, float *y, size_t n, size_t k)
{
    return gk_qmm_simple("gk_qgemv", t, w, x, y, 1, n, k, NULL, NULL);
}

gk_status
gk_qgemm(gk_qtype t, const void *w, const float *x, float *y, size_t m, size_t n, size_t k)
{
    return gk_qmm_simple("gk_qgemm", t, w, x, y, m, n, k, NULL, NULL);
}

/* ---- the named wrappers ----------------------------------------------------------------- */

#define GK_QMM_GEMV(name, NAME)                                                           \
    gk_status gk_##name(const void *w, const float *x, float *y, size_t n, size_t k)      \
    {                                                                                     \
        return gk_qmm_simple("gk_" #name, GK_QTYPE_##NAME, w, x, y, 1, n, k, NULL, NULL); \
    }
#define GK_QMM_GEMM(name, NAME)                                                                \
    gk_status gk_##name(const void *w, const float *x, float *y, size_t m, size_t n, size_t k) \
    {                                                                                          \
        return gk_qmm_simple("gk_" #name, GK_QTYPE_##NAME, w, x, y, m, n, k, NULL, NULL);      \
    }
GK_QMM_GEMV(gemv_q8, Q8_0)
GK_QMM_GEMV(gemv_q4, Q4_0)
GK_QMM_GEMV(gemv_q2, TQ2_0)
GK_QMM_GEMV(gemv_q1, TQ1_0)
GK_QMM_GEMM(gemm_q8, Q8_0)
GK_QMM_GEMM(gemm_q4, Q4_0)
GK_QMM_GEMM(awq_matmul, AWQ4)
GK_QMM_GEMM(gptq_matmul, GPTQ4)
GK_QMM_GEMM(squeeze_matmul, SQUEEZE)

/* The family wrappers: t must belong to the family. */
#define GK_QMM_FAMILY(name, first, last)                                                         \
    gk_status gk_##name(gk_qtype t, const void *w, const float *x, float *y, size_t m, size_t n, \
                        size_t k)                                                                \
    {                                                                                            \
        GK_CHECK(t >= GK_QTYPE_##first && t <= GK_QTYPE_##last, GK_EINVAL, "gk_" #name,          \
                 "type %d is not one of " #first ".." #last, (int)t);                            \
        return gk_qmm_simple("gk_" #name, t, w, x, y, m, n, k, NULL, NULL);                      \
    }
GK_QMM_FAMILY(kquant_matmul, Q2_K, Q8_K)
GK_QMM_FAMILY(iq_matmul, IQ1_S, IQ4_XS)

gk_status
gk_qgemm_packed(const void *packed, const float *x, float *y, size_t m, size_t n, size_t k)
{
    const char *api = "gk_qgemm_packed";
    gk_qtype t;
    gk_qdot8_fn kernel;
    gk_qdot8x4_fn kernel4;
    GK_TRY(gk_qpack_open(api, packed, n, k, gk_kernels_active()->isa, &t, &kernel, &kernel4));
    size_t y_bytes = 0;
    GK_CHECK(gk_mul_size(m, n, &y_bytes) && gk_mul_size(y_bytes, sizeof(float), &y_bytes),
             GK_EOVERFLOW, api, "Y (m = %zu, n = %zu) overflows", m, n);
    const size_t packed_bytes = gk_qpack_size(t, n, k);
    GK_CHECK(packed_bytes != 0, GK_EOVERFLOW, api, "n %zu x k %zu overflows size_t bytes", n, k);
    GK_CHECK(!gk_ranges_overlap(y, y_bytes, packed, packed_bytes), GK_EALIAS, api,
             "y overlaps packed");
    return gk_qmm_simple(api, t, (const char *)packed + GK_QPACK_HEADER_BYTES, x, y, m, n, k,
                         kernel, kernel4);
}
