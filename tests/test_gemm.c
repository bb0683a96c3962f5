/* SPDX-License-Identifier: MIT */
/* GEMM tests: every entry point against a double-precision oracle on the same (rounded) inputs,
 * over every m, n in 1..40 and k in {1, 7, 64, 257}, leading dimensions, transposes, alpha, beta,
 * bias, prepacked B, f16/bf16; the microkernel directly; bitwise identity over thread counts;
 * large shapes natively; NaN/Inf; and every error path (nothing written on failure). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gk_test.h"
#include "core/half.h"
#include "core/kernels.h"
#include "scalar_ops/ref.h"

static size_t dtype_bytes(gk_dtype t)
{
    return t == GK_DTYPE_F32 ? 4 : 2;
}

static double get(const void *p, gk_dtype t, size_t i)
{
    switch (t) {
    case GK_DTYPE_F16: return (double)gk_f32_from_f16_bits(((const gk_f16 *)p)[i].bits);
    case GK_DTYPE_BF16: return (double)gk_f32_from_bf16_bits(((const gk_bf16 *)p)[i].bits);
    default: return (double)((const float *)p)[i];
    }
}

static void put(void *p, gk_dtype t, size_t i, float v)
{
    switch (t) {
    case GK_DTYPE_F16: ((gk_f16 *)p)[i].bits = gk_f16_bits_from_f32(v); break;
    case GK_DTYPE_BF16: ((gk_bf16 *)p)[i].bits = gk_bf16_bits_from_f32(v); break;
    default: ((float *)p)[i] = v; break;
    }
}

static void *random_matrix(gk_rng *rng, gk_dtype t, size_t elems)
{
    void *p = malloc(elems * dtype_bytes(t) + 1);
    for (size_t i = 0; i < elems; i++)
        put(p, t, i, gk_rng_uniform(rng, -1.0f, 1.0f));
    return p;
}

/* The relative tolerance of an f32-accumulated sum of k products (the bound). */
static double gemm_tol(size_t k)
{
    return 1e-5 * sqrt((double)(k ? k : 1));
}

/* Unit roundoff of the output type (an f16/bf16 C is rounded once more). */
static double out_eps(gk_dtype t)
{
    return t == GK_DTYPE_F16 ? 0x1p-11 : t == GK_DTYPE_BF16 ? 0x1p-8 : 0.0;
}

/* Checks C (after) against the oracle from the same inputs and C (before). The error of each
 * element is measured against the magnitude of its terms, sum |alpha a b| + |beta c| + |bias|,
 * so cancellation does not make a correct result look wrong. Returns true if all match. */
static bool
check_gemm(const char *what, const gk_gemm_args *x, const void *c_before, const void *c_after)
{
    const gk_dtype in = x->a_dtype, ct = x->c_dtype;
    for (size_t i = 0; i < x->m; i++) {
        for (size_t j = 0; j < x->n; j++) {
            double sum = 0.0, mag = 0.0;
            for (size_t p = 0; p < x->k; p++) {
                const double a = get(x->a, in, x->trans_a ? p * x->lda + i : i * x->lda + p);
                const double b = get(x->b, in, x->trans_b ? j * x->ldb + p : p * x->ldb + j);
                sum += a * b;
                mag += fabs(a * b);
            }
            double want = (double)x->alpha * sum;
            mag *= fabs((double)x->alpha);
            if (x->beta != 0.0f) {
                const double c0 = (double)x->beta * get(c_before, ct, i * x->ldc + j);
                want += c0;
                mag += fabs(c0);
            }
            if (x->bias) {
                want += get(x->bias, ct, j);
                mag += fabs(get(x->bias, ct, j));
            }
            const double got = get(c_after, ct, i * x->ldc + j);
            const double bound = gemm_tol(x->k) * mag + out_eps(ct) * fabs(want) + 1e-30;
            if (!(fabs(got - want) <= bound)) {
                GK_EXPECT(false,
                          "%s m %zu n %zu k %zu (ta %d tb %d lda %zu ldb %zu ldc %zu alpha %g "
                          "beta %g bias %d): C[%zu][%zu] = %.9g, want %.9g (bound %.3g)",
                          what, x->m, x->n, x->k, x->trans_a, x->trans_b, x->lda, x->ldb, x->ldc,
                          (double)x->alpha, (double)x->beta, x->bias != NULL, i, j, got, want,
                          bound);
                return false;
            }
        }
    }
    /* Padding between rows of C (ldc > n) is never written. */
    for (size_t i = 0; i + 1 < x->m; i++)
        for (size_t j = x->n; j < x->ldc; j++)
            if (memcmp((const char *)c_after + (i * x->ldc + j) * dtype_bytes(ct),
                       (const char *)c_before + (i * x->ldc + j) * dtype_bytes(ct),
                       dtype_bytes(ct)) != 0) {
                GK_EXPECT(false, "%s: padding C[%zu][%zu] was written", what, i, j);
                return false;
            }
    return true;
}

/* Builds random A, B, C (and bias) for the shape and options, runs gk_gemm_ex, checks it. */
struct case_opts {
    gk_dtype in, out;
    bool trans_a, trans_b, bias;
    size_t pad_a, pad_b, pad_c; /* extra elements per row (odd values make odd strides) */
    float alpha, beta;
};

static void run_case(gk_rng *rng, size_t m, size_t n, size_t k, const struct case_opts *o)
{
    gk_gemm_args x = {0};
    x.m = m;
    x.n = n;
    x.k = k;
    x.a_dtype = x.b_dtype = o->in;
    x.c_dtype = o->out;
    x.trans_a = o->trans_a;
    x.trans_b = o->trans_b;
    x.lda = (o->trans_a ? m : k) + o->pad_a;
    x.ldb = (o->trans_b ? k : n) + o->pad_b;
    x.ldc = n + o->pad_c;
    x.alpha = o->alpha;
    x.beta = o->beta;
    const size_t a_elems = (o->trans_a ? k : m) * x.lda, b_elems = (o->trans_b ? n : k) * x.ldb;
    const size_t c_elems = m * x.ldc;
    void *a = random_matrix(rng, o->in, a_elems), *b = random_matrix(rng, o->in, b_elems);
    void *c0 = random_matrix(rng, o->out, c_elems);
    void *bias = o->bias ? random_matrix(rng, o->out, n) : NULL;
    if (o->beta == 0.0f) /* C is not read when beta == 0: garbage must not leak in */
        for (size_t i = 0; i < c_elems; i++)
            put(c0, o->out, i, NAN);
    const size_t c_bytes = c_elems * dtype_bytes(o->out);
    void *c = gk_guarded_alloc(c_bytes ? c_bytes : 1, 0, 0);
    memcpy(c, c0, c_bytes);
    x.a = a;
    x.b = b;
    x.c = c;
    x.bias = bias;
    GK_EXPECT_STATUS(gk_gemm_ex(&x), GK_OK);
    check_gemm("gk_gemm_ex", &x, c0, c);
    GK_EXPECT(gk_guarded_check("C", c), "guard of C overwritten (m %zu n %zu k %zu)", m, n, k);
    gk_guarded_free(c);
    free(a);
    free(b);
    free(c0);
    free(bias);
}

/* Every m, n in 1..40 x k in {1, 7, 64, 257}; each shape gets one combination of options from a
 * rotation, so every option meets every shape class (edges of MR and NR, small-m and packed
 * paths, one and several KC blocks). */
static void test_sweep(void)
{
    gk_rng rng = gk_rng_seeded(1);
    const size_t ks[] = {1, 7, 64, 257};
    const bool small = gk_test_sweep(10) < 10;
    const size_t step = small ? 3 : 1;
    size_t variant = 0;
    for (size_t ki = 0; ki < 4; ki++) {
        for (size_t m = 1; m <= 40; m += (m < 18 ? 1 : step)) {
            for (size_t n = 1; n <= 40; n += (n < 18 ? 1 : step)) {
                const size_t v = variant++;
                struct case_opts o = {
                    GK_DTYPE_F32,         GK_DTYPE_F32,         (v & 1) != 0,
                    (v & 2) != 0,         (v & 4) != 0,         (v % 3),
                    (v % 5 == 1) ? 3 : 0, (v % 7 == 2) ? 1 : 0, v % 4 == 3 ? -1.5f : 1.0f,
                    (v & 8) ? 1.0f : 0.0f};
                if (v % 11 == 5) o.beta = 0.5f;
                run_case(&rng, m, n, ks[ki], &o);
            }
        }
    }
}

/* f16 and bf16 inputs, with f32 and same-type output, through gk_gemm_ex and the simple forms. */
static void test_half_types(void)
{
    gk_rng rng = gk_rng_seeded(2);
    const gk_dtype types[] = {GK_DTYPE_F16, GK_DTYPE_BF16};
    const size_t sizes[] = {1, 5, 6, 8, 13, 16, 17, 33};
    const size_t ks[] = {1, 7, 64, 257};
    size_t v = 0;
    for (int t = 0; t < 2; t++)
        for (size_t mi = 0; mi < 8; mi++)
            for (size_t ni = 0; ni < 8; ni++, v++) {
                const struct case_opts o = {types[t],     (v & 1) ? types[t] : GK_DTYPE_F32,
                                            (v & 2) != 0, (v & 4) != 0,
                                            (v & 8) != 0, v % 2,
                                            v % 3,        0,
                                            1.0f,         (v & 16) ? 1.0f : 0.0f};
                run_case(&rng, sizes[mi], sizes[ni], ks[v % 4], &o);
            }

    /* The simple forms: dense, alpha 1, beta 0, output in the input type. */
    const size_t m = 19, n = 23, k = 37;
    for (int t = 0; t < 2; t++) {
        const gk_dtype dt = types[t];
        void *a = random_matrix(&rng, dt, m * k), *b = random_matrix(&rng, dt, k * n);
        void *bias = random_matrix(&rng, dt, n), *c = random_matrix(&rng, dt, m * n);
        void *c0 = malloc(m * n * 2);
        memcpy(c0, c, m * n * 2);
        gk_gemm_args x = {m, n, k, a, k, dt, false, b, n, dt, false, c, n, dt, 1.0f, 0.0f, NULL};
        if (dt == GK_DTYPE_F16)
            GK_EXPECT_STATUS(gk_gemm_f16(a, b, c, m, n, k), GK_OK);
        else
            GK_EXPECT_STATUS(gk_gemm_bf16(a, b, c, m, n, k), GK_OK);
        check_gemm(dt == GK_DTYPE_F16 ? "gk_gemm_f16" : "gk_gemm_bf16", &x, c0, c);
        x.bias = bias;
        if (dt == GK_DTYPE_F16)
            GK_EXPECT_STATUS(gk_gemm_bias_f16(a, b, bias, c, m, n, k), GK_OK);
        else
            GK_EXPECT_STATUS(gk_gemm_bias_bf16(a, b, bias, c, m, n, k), GK_OK);
        check_gemm(dt == GK_DTYPE_F16 ? "gk_gemm_bias_f16" : "gk_gemm_bias_bf16", &x, c0, c);
        free(a);
        free(b);
        free(bias);
        free(c);
        free(c0);
    }
}

/* Shapes that cross the block sizes: several KC blocks, several NC blocks, several M passes
 * (m > 16 MC), on both layouts of B, with the simple f32 forms and the reference. */
static void test_blocks(void)
{
    gk_rng rng = gk_rng_seeded(3);
    const struct gk_gemm_kernels *g = &gk_kernels_active()->gemm;
    const size_t shapes[][3] = {
        {g->mc + 1, g->nr * 3 + 1, g->kc * 2 + 3},
        {17, g->nc + g->nr + 3, 9},
        {g->mc * 16 + g->mr + 1, 5, 21},
        {2, 300, g->kc + 1},
        /* one MC block whose packed A (mc x k f32) exceeds gemm.c's GK_GEMM_A_PASS_BYTES (8 MiB):
         * two depth passes, the second ending in a partial KC block */
        {g->mc, g->nr + 3, (8u << 20) / (g->mc * 4) + g->kc + 5},
    };
    for (size_t s = 0; s < 5; s++) {
        for (int tb = 0; tb < 2; tb++) {
            const struct case_opts o = {
                GK_DTYPE_F32, GK_DTYPE_F32,    false, tb != 0, tb != 0, 1, 0, 0,
                1.0f,         tb ? 1.0f : 0.0f};
            run_case(&rng, shapes[s][0], shapes[s][1], shapes[s][2], &o);
        }
    }

    /* gk_gemm_f32 / gk_gemm_bias_f32 and the scalar reference gk_ref_gemm_f32. */
    const size_t m = 45, n = 50, k = 300;
    float *a = random_matrix(&rng, GK_DTYPE_F32, m * k),
          *b = random_matrix(&rng, GK_DTYPE_F32, k * n);
    float *bias = random_matrix(&rng, GK_DTYPE_F32, n), *c = malloc(m * n * 4),
          *c0 = calloc(m * n, 4);
    gk_gemm_args x = {
        m,    n,    k,   a, k, GK_DTYPE_F32, false, b, n, GK_DTYPE_F32, false, c, n, GK_DTYPE_F32,
        1.0f, 0.0f, NULL};
    GK_EXPECT_STATUS(gk_gemm_f32(a, b, c, m, n, k), GK_OK);
    check_gemm("gk_gemm_f32", &x, c0, c);
    x.bias = bias;
    GK_EXPECT_STATUS(gk_gemm_bias_f32(a, b, bias, c, m, n, k), GK_OK);
    check_gemm("gk_gemm_bias_f32", &x, c0, c);
    x.bias = NULL;
    gk_ref_gemm_f32(a, b, c, m, n, k);
    check_gemm("gk_ref_gemm_f32", &x, c0, c);
    free(a);
    free(b);
    free(bias);
    free(c);
    free(c0);
}

/* The small-m path with B stored k x n (m <= GK_GEMM_SMALL_M): column blocks of
 * min(4096, 16384 / m rounded down to a multiple of 192) columns walked down k in depth chunks of
 * 8 rows, tiles of 4 x 3, 3 x 4, 2 x 6 and 1 x 4 vectors. Each shape crosses a block boundary with
 * a tail that is neither a whole tile nor a whole vector, k leaves a partial chunk (or none), ldb
 * is odd, and f16/bf16 B goes through the same tiles. */
static void test_small_kn(void)
{
    gk_rng rng = gk_rng_seeded(7);
    const bool small = gk_test_sweep(10) < 10;
    const size_t shapes[][3] = {
        {1, 4096 + 101, 9},     {2, 4096 + 51, 17}, {5, 3264 + 1, 31},
        {8, 2 * 1920 + 29, 16}, {16, 960 + 31, 49}, {3, 4096 + 33, 12},
        {4, 4096 + 23, 8},      {7, 2304 + 95, 19}, {13, 1152 + 47, 18},
    };
    const size_t n_shapes = small ? 5 : sizeof shapes / sizeof shapes[0];
    const gk_dtype types[] = {GK_DTYPE_F32, GK_DTYPE_F16, GK_DTYPE_BF16};
    for (size_t s = 0; s < n_shapes; s++) {
        const struct case_opts o = {types[s % 3],
                                    GK_DTYPE_F32,
                                    false,
                                    false,
                                    s % 2 == 0,
                                    s % 3,
                                    2 * s + 1,
                                    s % 2,
                                    s % 4 == 1 ? -0.5f : 1.0f,
                                    s % 3 == 2 ? 0.75f : 0.0f};
        run_case(&rng, shapes[s][0], shapes[s][1], shapes[s][2], &o);
    }
}

/* n values uniform in [-1, 1). */
static void fill_uniform(gk_rng *rng, float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = gk_rng_uniform(rng, -1.0f, 1.0f);
}

/* A packed panel of `steps` depth steps of `width` random floats (64-byte aligned, one spare
 * step so that k = 0 still allocates). */
static float *random_panel(gk_rng *rng, size_t steps, size_t width)
{
    float *p = gk_aligned_alloc((steps + 1) * width * 4, 64);
    fill_uniform(rng, p, steps * width);
    return p;
}

/* The microkernel directly: k from 0 to a few unrolls, overwrite (garbage in C) and accumulate
 * modes, with and without bias, alpha != 1. */
static void test_microkernel(void)
{
    gk_rng rng = gk_rng_seeded(4);
    const struct gk_gemm_kernels *g = &gk_kernels_active()->gemm;
    const size_t mr = g->mr, nr = g->nr, ldc = nr + 3;
    for (size_t k = 0; k <= 13; k++) {
        float *a = random_panel(&rng, k, mr), *b = random_panel(&rng, k, nr);
        float c[GK_GEMM_MAX_MR * (GK_GEMM_MAX_NR + 3)], c0[GK_GEMM_MAX_MR * (GK_GEMM_MAX_NR + 3)];
        float bias[GK_GEMM_MAX_NR];
        fill_uniform(&rng, bias, nr);
        for (int mode = 0; mode < 4; mode++) {
            const float beta = (mode & 1) ? 0.75f : 0.0f;
            const struct gk_gemm_epilogue ep = {-1.25f, beta, (mode & 2) ? bias : NULL};
            for (size_t i = 0; i < mr * ldc; i++)
                c[i] = c0[i] = beta != 0.0f ? gk_rng_uniform(&rng, -1.0f, 1.0f) : NAN;
            g->ukr(k, a, b, c, ldc, &ep);
            for (size_t i = 0; i < mr; i++) {
                for (size_t j = 0; j < ldc; j++) {
                    if (j >= nr) {
                        GK_EXPECT(memcmp(&c[i * ldc + j], &c0[i * ldc + j], 4) == 0,
                                  "%s wrote past its tile", g->ukr_name);
                        continue;
                    }
                    double sum = 0.0, mag = 0.0;
                    for (size_t p = 0; p < k; p++) {
                        sum += (double)a[p * mr + i] * (double)b[p * nr + j];
                        mag += fabs((double)a[p * mr + i] * (double)b[p * nr + j]);
                    }
                    double want = -1.25 * sum;
                    mag *= 1.25;
                    if (beta != 0.0f) {
                        want += (double)beta * (double)c0[i * ldc + j];
                        mag += fabs((double)beta * (double)c0[i * ldc + j]);
                    }
                    if (ep.bias) want += (double)bias[j], mag += fabs((double)bias[j]);
                    GK_EXPECT(fabs((double)c[i * ldc + j] - want) <= gemm_tol(k) * mag + 1e-30,
                              "%s k %zu mode %d C[%zu][%zu] = %.9g want %.9g", g->ukr_name, k, mode,
                              i, j, (double)c[i * ldc + j], want);
                }
            }
        }
        gk_aligned_free(a);
        gk_aligned_free(b);
    }
}

/* The edge kernel (tiles of 1..GK_GEMM_EDGE_ROWS rows below MR, up to NR columns, written to C)
 * gives the microkernel's bits on the rows and columns it owns and touches nothing else. */
static void test_edge_tiles(void)
{
    gk_rng rng = gk_rng_seeded(14);
    const struct gk_gemm_kernels *g = &gk_kernels_active()->gemm;
    const size_t mr = g->mr, nr = g->nr, ldc = nr + 3, ks[] = {0, 1, 7, 13, 300};
    for (size_t ki = 0; ki < 5; ki++) {
        const size_t k = ks[ki];
        float *a = random_panel(&rng, k, mr), *b = random_panel(&rng, k, nr);
        float *narrow = random_panel(&rng, k, mr);
        float full[GK_GEMM_MAX_MR * (GK_GEMM_MAX_NR + 3)], c[GK_GEMM_MAX_MR * (GK_GEMM_MAX_NR + 3)];
        float c0[GK_GEMM_MAX_MR * (GK_GEMM_MAX_NR + 3)], bias[GK_GEMM_MAX_NR];
        fill_uniform(&rng, bias, nr);
        const size_t cols_list[] = {nr, nr - 1, 1};
        for (size_t rows = 1; rows <= GK_GEMM_EDGE_ROWS && rows < mr; rows++)
            for (size_t ci = 0; ci < 3; ci++)
                for (int mode = 0; mode < 4; mode++) {
                    const size_t cols = cols_list[ci];
                    const float beta = (mode & 1) ? 0.75f : 0.0f;
                    const struct gk_gemm_epilogue ep = {-1.25f, beta, (mode & 2) ? bias : NULL};
                    for (size_t i = 0; i < mr * ldc; i++)
                        full[i] = c[i] = c0[i] = gk_rng_uniform(&rng, -1.0f, 1.0f);
                    g->ukr(k, a, b, full, ldc, &ep);
                    /* odd modes: the rows packed as a panel of their own height, as the driver
                     * packs a split tail (gemm.c, gk_gemm_row_tiles) */
                    const bool own_panel = mode & 1;
                    for (size_t p = 0; p < k; p++)
                        for (size_t i = 0; i < rows; i++)
                            narrow[p * rows + i] = a[p * mr + i];
                    if (own_panel)
                        g->edge(k, narrow, rows, b, nr, c, ldc, rows, cols, &ep);
                    else
                        g->edge(k, a, mr, b, nr, c, ldc, rows, cols, &ep);
                    size_t wrong = 0, outside = 0;
                    for (size_t i = 0; i < mr; i++)
                        for (size_t j = 0; j < ldc; j++) {
                            const bool owned = i < rows && j < cols;
                            const float *want = owned ? &full[i * ldc + j] : &c0[i * ldc + j];
                            if (memcmp(&c[i * ldc + j], want, 4) != 0) {
                                wrong += owned;
                                outside += !owned;
                            }
                        }
                    GK_EXPECT(wrong == 0 && outside == 0,
                              "edge k %zu rows %zu cols %zu mode %d: %zu elements differ from the "
                              "microkernel's, %zu written outside the tile",
                              k, rows, cols, mode, wrong, outside);
                }
        gk_aligned_free(a);
        gk_aligned_free(b);
        gk_aligned_free(narrow);
    }
}

/* A last partial panel of A of r < split_below rows is cut with the full panel before it into two
 * edge tiles (gemm.c, gk_gemm_row_tiles): the rows keep the bits they have in a call with more
 * rows, where whole microkernel tiles compute them. One MC block and several, B k x n and n x k,
 * bias and beta, 1 and 2 threads. */
static void test_split_tail(void)
{
    gk_rng rng = gk_rng_seeded(15);
    const struct gk_gemm_kernels *g = &gk_kernels_active()->gemm;
    const size_t mr = g->mr, n = 45, k = 300;
    const int saved = gk_get_num_threads();
    for (size_t r = 1; r < mr; r++)
        for (int several = 0; several < 2; several++)
            for (int tb = 0; tb < 2; tb++) {
                /* above the small-m path; several: two MC blocks, the split in the second */
                const size_t above_small = (GK_GEMM_SMALL_M + mr) / mr * mr;
                const size_t m = (several ? g->mc : 0) + above_small + r, m_more = m + mr;
                float *a = random_matrix(&rng, GK_DTYPE_F32, m_more * k);
                float *b = random_matrix(&rng, GK_DTYPE_F32, k * n);
                float *bias = random_matrix(&rng, GK_DTYPE_F32, n);
                float *c_init = random_matrix(&rng, GK_DTYPE_F32, m_more * n);
                float *c = malloc(m * n * 4), *c_more = malloc(m_more * n * 4);
                gk_gemm_args x = {m,          n,
                                  k,          a,
                                  k,          GK_DTYPE_F32,
                                  false,      b,
                                  tb ? k : n, GK_DTYPE_F32,
                                  tb != 0,    c_more,
                                  n,          GK_DTYPE_F32,
                                  -0.5f,      tb ? 1.0f : 0.0f,
                                  bias};
                x.m = m_more;
                memcpy(c_more, c_init, m_more * n * 4);
                GK_EXPECT_STATUS(gk_gemm_ex(&x), GK_OK);
                for (int t = 1; t <= 2; t++) {
                    GK_EXPECT_STATUS(gk_set_num_threads(t), GK_OK);
                    x.m = m;
                    x.c = c;
                    memcpy(c, c_init, m * n * 4);
                    GK_EXPECT_STATUS(gk_gemm_ex(&x), GK_OK);
                    char what[96];
                    snprintf(what, sizeof what, "m %zu (r %zu) tb %d, %d threads vs m %zu", m, r,
                             tb, t, m_more);
                    gk_test_same_bits(what, c, c_more, m * n, 4);
                }
                GK_EXPECT_STATUS(gk_set_num_threads(saved), GK_OK);
                free(a);
                free(b);
                free(bias);
                free(c_init);
                free(c);
                free(c_more);
            }
}

/* Prepacked B: results, and every way a packed buffer can be stale or foreign. */
static void test_prepacked(void)
{
    gk_rng rng = gk_rng_seeded(5);
    const struct gk_gemm_kernels *g = &gk_kernels_active()->gemm;
    /* k = 4 KC + 3: m = 1 takes four whole KC blocks at once, then the partial one */
    const size_t ns[] = {1, 15, 16, 17, 40, 100}, ks[] = {1, 7, 257, 2 * g->kc + 5, 4 * g->kc + 3};
    const size_t ms[] = {1, 5, 40, g->mc + 7}; /* small m, one MC block, several */
    for (size_t ni = 0; ni < 6; ni++)
        for (size_t ki = 0; ki < 5; ki++) {
            const size_t n = ns[ni], k = ks[ki];
            float *b = random_matrix(&rng, GK_DTYPE_F32, k * n);
            const size_t bytes = gk_pack_b_size_f32(n, k);
            GK_EXPECT(bytes >= 64 + n * k * 4, "gk_pack_b_size_f32(%zu, %zu) = %zu", n, k, bytes);
            void *packed = gk_aligned_alloc(bytes, 64);
            GK_EXPECT_STATUS(gk_pack_b_f32(b, packed, n, k), GK_OK);
            for (size_t mi = 0; mi < 4; mi++) {
                const size_t m = ms[mi];
                float *a = random_matrix(&rng, GK_DTYPE_F32, m * k), *c = malloc(m * n * 4);
                float *c0 = calloc(m * n, 4);
                GK_EXPECT_STATUS(gk_gemm_prepacked_f32(a, packed, c, m, n, k), GK_OK);
                const gk_gemm_args x = {m,     n,
                                        k,     a,
                                        k,     GK_DTYPE_F32,
                                        false, b,
                                        n,     GK_DTYPE_F32,
                                        false, c,
                                        n,     GK_DTYPE_F32,
                                        1.0f,  0.0f,
                                        NULL};
                check_gemm("gk_gemm_prepacked_f32", &x, c0, c);
                if (m <= GK_GEMM_SMALL_M) {
                    /* the small-m kernel has the packed path's bits: the same rows as part of
                     * a call with more rows than the small-m path takes */
                    const size_t mb = GK_GEMM_SMALL_M + 1;
                    float *ab = random_matrix(&rng, GK_DTYPE_F32, mb * k), *cb = malloc(mb * n * 4);
                    memcpy(ab, a, m * k * 4);
                    GK_EXPECT_STATUS(gk_gemm_prepacked_f32(ab, packed, cb, mb, n, k), GK_OK);
                    GK_EXPECT(gk_test_same_bits("prepacked small m", c, cb, m * n, 4),
                              "m %zu n %zu k %zu: small-m rows differ from the packed path's", m, n,
                              k);
                    free(ab);
                    free(cb);
                }
                free(a);
                free(c);
                free(c0);
            }
            gk_aligned_free(packed);
            free(b);
        }

    /* Stale or foreign buffers: other n, other k, damaged header, another ISA level. */
    const size_t m = 3, n = 20, k = 30;
    float *a = random_matrix(&rng, GK_DTYPE_F32, m * k),
          *b = random_matrix(&rng, GK_DTYPE_F32, k * n);
    float c[3 * 21];
    void *packed = gk_aligned_alloc(gk_pack_b_size_f32(n + 1, k + 1), 64);
    GK_EXPECT_STATUS(gk_pack_b_f32(b, packed, n, k), GK_OK);
    for (size_t i = 0; i < 3 * 21; i++)
        c[i] = 7.0f;
    GK_EXPECT_STATUS(gk_gemm_prepacked_f32(a, packed, c, m, n - 1, k), GK_EINVAL);
    GK_EXPECT_STATUS(gk_gemm_prepacked_f32(a, packed, c, m, n, k - 1), GK_EINVAL);
    GK_EXPECT_STATUS(gk_gemm_prepacked_f32(a, NULL, c, m, n, k), GK_EINVAL);
    ((unsigned char *)packed)[16] ^= 1; /* a header field, so the checksum no longer matches */
    GK_EXPECT_STATUS(gk_gemm_prepacked_f32(a, packed, c, m, n, k), GK_EINVAL);
    ((unsigned char *)packed)[16] ^= 1;
    ((unsigned char *)packed)[0] ^= 0xFF; /* the magic */
    GK_EXPECT_STATUS(gk_gemm_prepacked_f32(a, packed, c, m, n, k), GK_EINVAL);
    ((unsigned char *)packed)[0] ^= 0xFF;
    GK_EXPECT_STATUS(gk_gemm_prepacked_f32(a, packed, c, m, n, k), GK_OK);
    for (size_t i = 0; i < 3 * 21; i++)
        c[i] = 7.0f;
    const char *isa = gk_isa_name();
    if (strcmp(isa, "scalar") != 0) {
        GK_EXPECT_STATUS(gk_set_isa("scalar"), GK_OK);
        GK_EXPECT_STATUS(gk_gemm_prepacked_f32(a, packed, c, m, n, k), GK_EINVAL);
        GK_EXPECT_STATUS(gk_set_isa(isa), GK_OK);
    }
    bool untouched = true;
    for (size_t i = 0; i < 3 * 21; i++)
        untouched = untouched && c[i] == 7.0f;
    GK_EXPECT(untouched, "a rejected prepacked call wrote C");
    /* Overflow and aliasing. */
    GK_EXPECT(gk_pack_b_size_f32(SIZE_MAX, 2) == 0, "pack size overflow not reported");
    GK_EXPECT(gk_pack_b_size_f32(SIZE_MAX / 8, SIZE_MAX / 8) == 0, "pack size overflow");
    GK_EXPECT_STATUS(gk_pack_b_f32(b, packed, SIZE_MAX / 4, 3), GK_EOVERFLOW);
    GK_EXPECT_STATUS(gk_pack_b_f32(b, b + 1, n, k), GK_EALIAS);
    GK_EXPECT_STATUS(gk_pack_b_f32(NULL, packed, n, k), GK_EINVAL);
    GK_EXPECT_STATUS(gk_pack_b_f32(b, NULL, n, k), GK_EINVAL);
    GK_EXPECT_STATUS(gk_pack_b_f32(b, (char *)packed + 1, n, k), GK_EINVAL);
    gk_aligned_free(packed);
    free(a);
    free(b);
}

/* The same call gives the same bits for 1, 2, 3 and 4 threads (one-MC-block, several-MC-block
 * and small-m paths, both layouts of B, bias and beta). */
static void test_threads(void)
{
    gk_rng rng = gk_rng_seeded(6);
    const size_t shapes[][3] = {{100, 300, 300}, {8, 1000, 300}, {300, 64, 700}, {40, 2000, 50}};
    const int saved = gk_get_num_threads();
    for (size_t s = 0; s < 4; s++) {
        for (int tb = 0; tb < 2; tb++) {
            const size_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
            float *a = random_matrix(&rng, GK_DTYPE_F32, m * k);
            float *b = random_matrix(&rng, GK_DTYPE_F32, k * n);
            float *bias = random_matrix(&rng, GK_DTYPE_F32, n);
            float *c_init = random_matrix(&rng, GK_DTYPE_F32, m * n);
            float *c1 = malloc(m * n * 4), *ct = malloc(m * n * 4);
            gk_gemm_args x = {m,          n,
                              k,          a,
                              k,          GK_DTYPE_F32,
                              false,      b,
                              tb ? k : n, GK_DTYPE_F32,
                              tb != 0,    c1,
                              n,          GK_DTYPE_F32,
                              0.5f,       tb ? 1.0f : 0.0f,
                              bias};
            for (int t = 1; t <= 4; t++) {
                GK_EXPECT_STATUS(gk_set_num_threads(t), GK_OK);
                x.c = t == 1 ? c1 : ct;
                memcpy(x.c, c_init, m * n * 4);
                GK_EXPECT_STATUS(gk_gemm_ex(&x), GK_OK);
                if (t == 1) {
                    check_gemm("threads 1", &x, c_init, c1);
                } else {
                    char what[64];
                    snprintf(what, sizeof what, "gemm %zux%zux%zu tb %d, %d threads vs 1", m, n, k,
                             tb, t);
                    gk_test_same_bits(what, ct, c1, m * n, 4);
                }
            }
            free(a);
            free(b);
            free(bias);
            free(c_init);
            free(c1);
            free(ct);
        }
    }
    /* Prepacked B (the one-MC-block path, small m included). */
    const size_t ms[] = {8, 40}, n = 1000, k = 300;
    float *b = random_matrix(&rng, GK_DTYPE_F32, k * n);
    void *packed = gk_aligned_alloc(gk_pack_b_size_f32(n, k), 64);
    GK_EXPECT_STATUS(gk_pack_b_f32(b, packed, n, k), GK_OK);
    for (size_t s = 0; s < 2; s++) {
        const size_t m = ms[s];
        float *a = random_matrix(&rng, GK_DTYPE_F32, m * k);
        float *c1 = malloc(m * n * 4), *ct = malloc(m * n * 4);
        for (int t = 1; t <= 4; t++) {
            GK_EXPECT_STATUS(gk_set_num_threads(t), GK_OK);
            GK_EXPECT_STATUS(gk_gemm_prepacked_f32(a, packed, t == 1 ? c1 : ct, m, n, k), GK_OK);
            if (t > 1) {
                char what[64];
                snprintf(what, sizeof what, "prepacked m %zu, %d threads vs 1", m, t);
                gk_test_same_bits(what, ct, c1, m * n, 4);
            }
        }
        free(a);
        free(c1);
        free(ct);
    }
    gk_aligned_free(packed);
    free(b);
    GK_EXPECT_STATUS(gk_set_num_threads(saved), GK_OK);
}

/* NaN and Inf in A propagate; NaN in C does not when beta == 0 (checked by every sweep case). */
static void test_specials(void)
{
    const size_t shapes[][3] = {{3, 20, 9}, {40, 33, 70}};
    for (size_t s = 0; s < 2; s++) {
        const size_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        float *a = malloc(m * k * 4), *b = malloc(k * n * 4), *c = malloc(m * n * 4);
        for (size_t i = 0; i < m * k; i++)
            a[i] = 0.5f;
        for (size_t i = 0; i < k * n; i++)
            b[i] = 0.25f;
        a[1 * k + 4] = NAN;      /* row 1: NaN everywhere */
        a[2 * k + 5] = INFINITY; /* row 2: +Inf everywhere (B > 0) */
        GK_EXPECT_STATUS(gk_gemm_f32(a, b, c, m, n, k), GK_OK);
        for (size_t j = 0; j < n; j++) {
            GK_EXPECT(isnan(c[1 * n + j]), "NaN in A row 1 lost at column %zu", j);
            GK_EXPECT(isinf(c[2 * n + j]) && c[2 * n + j] > 0, "Inf in A row 2 lost at %zu", j);
            GK_EXPECT(c[j] == 0.5f * 0.25f * (float)k, "row 0 column %zu: %g", j, (double)c[j]);
        }
        free(a);
        free(b);
        free(c);
    }
}

#if defined(__x86_64__)
/* Large shapes (native x86 runs only): every element of sampled rows. */
static void test_large(size_t m, size_t n, size_t k)
{
    gk_rng rng = gk_rng_seeded(7);
    float *a = random_matrix(&rng, GK_DTYPE_F32, m * k),
          *b = random_matrix(&rng, GK_DTYPE_F32, k * n);
    float *c = malloc(m * n * 4);
    GK_EXPECT_STATUS(gk_gemm_f32(a, b, c, m, n, k), GK_OK);
    size_t bad = 0;
    for (size_t s = 0; s < 24 && bad == 0; s++) {
        const size_t i = gk_rng_u64(&rng) % m;
        for (size_t j = 0; j < n; j++) {
            double sum = 0.0, mag = 0.0;
            for (size_t p = 0; p < k; p++) {
                sum += (double)a[i * k + p] * (double)b[p * n + j];
                mag += fabs((double)a[i * k + p] * (double)b[p * n + j]);
            }
            if (!(fabs((double)c[i * n + j] - sum) <= gemm_tol(k) * mag)) {
                GK_EXPECT(false, "large %zux%zux%zu C[%zu][%zu] = %.9g want %.9g", m, n, k, i, j,
                          (double)c[i * n + j], sum);
                bad++;
                break;
            }
        }
    }
    free(a);
    free(b);
    free(c);
}
#endif

/* Every error path; C (filled with a pattern) is unchanged after each. */
static void test_errors(void)
{
    float a[64], b[64], c[64], bias[8];
    for (int i = 0; i < 64; i++)
        a[i] = b[i] = 1.0f, c[i] = 3.0f;
    for (int i = 0; i < 8; i++)
        bias[i] = 1.0f;
    const gk_gemm_args ok = {
        4,    4,    4,   a, 4, GK_DTYPE_F32, false, b, 4, GK_DTYPE_F32, false, c, 4, GK_DTYPE_F32,
        1.0f, 0.0f, NULL};
    gk_gemm_args x;
    GK_EXPECT_STATUS(gk_gemm_ex(NULL), GK_EINVAL);
#define BAD(field, value, status) \
    x = ok;                       \
    x.field = value;              \
    GK_EXPECT_STATUS(gk_gemm_ex(&x), status);
    BAD(a, NULL, GK_EINVAL)
    BAD(b, NULL, GK_EINVAL)
    BAD(c, NULL, GK_EINVAL)
    BAD(lda, 3, GK_EINVAL)
    BAD(ldb, 3, GK_EINVAL)
    BAD(ldc, 3, GK_EINVAL)
    BAD(b_dtype, GK_DTYPE_F16, GK_EINVAL)
    BAD(c_dtype, GK_DTYPE_BF16, GK_EINVAL)
    BAD(a_dtype, (gk_dtype)7, GK_EINVAL)
    BAD(c, a + 2, GK_EALIAS)
    BAD(c, b, GK_EALIAS)
    BAD(bias, c + 15, GK_EALIAS)
    BAD(m, SIZE_MAX / 2, GK_EOVERFLOW)
    BAD(lda, SIZE_MAX / 2, GK_EOVERFLOW)
    x = ok;
    x.trans_a = true;
    x.lda = 3; /* A stored k x m needs lda >= m */
    GK_EXPECT_STATUS(gk_gemm_ex(&x), GK_EINVAL);
    x = ok;
    x.trans_b = true;
    x.ldb = 3;
    GK_EXPECT_STATUS(gk_gemm_ex(&x), GK_EINVAL);
#undef BAD
    GK_EXPECT_STATUS(gk_gemm_f32(NULL, b, c, 4, 4, 4), GK_EINVAL);
    GK_EXPECT_STATUS(gk_gemm_f32(a, b, a + 1, 4, 4, 4), GK_EALIAS);
    GK_EXPECT_STATUS(gk_gemm_f32(a, b, c, SIZE_MAX / 2, 4, 4), GK_EOVERFLOW);
    GK_EXPECT_STATUS(gk_gemm_bias_f32(a, b, NULL, c, 4, 4, 4), GK_EINVAL);
    GK_EXPECT_STATUS(gk_gemm_bias_f32(a, b, bias, c, 4, 4, 4), GK_OK);
    for (int i = 0; i < 16; i++)
        GK_EXPECT(c[i] == 5.0f, "gk_gemm_bias_f32 C[%d] = %g", i, (double)c[i]);
    for (int i = 16; i < 64; i++)
        GK_EXPECT(c[i] == 3.0f, "an error path or the 4x4 call wrote C[%d]", i);

    /* m == 0 or n == 0: nothing written, NULL allowed. k == 0: C = beta * C + bias. */
    for (int i = 0; i < 64; i++)
        c[i] = 3.0f;
    GK_EXPECT_STATUS(gk_gemm_f32(NULL, NULL, NULL, 0, 4, 4), GK_OK);
    GK_EXPECT_STATUS(gk_gemm_f32(NULL, NULL, NULL, 4, 0, 4), GK_OK);
    GK_EXPECT_STATUS(gk_gemm_f32(a, b, c, 0, 4, 4), GK_OK);
    for (int i = 0; i < 64; i++)
        GK_EXPECT(c[i] == 3.0f, "m == 0 wrote C[%d]", i);
    GK_EXPECT_STATUS(gk_gemm_f32(NULL, NULL, c, 4, 4, 0), GK_OK);
    for (int i = 0; i < 16; i++)
        GK_EXPECT(c[i] == 0.0f, "k == 0: C[%d] = %g, want 0", i, (double)c[i]);
    x = ok;
    x.k = 0;
    x.beta = 2.0f;
    x.bias = bias;
    for (int i = 0; i < 64; i++)
        c[i] = 3.0f;
    GK_EXPECT_STATUS(gk_gemm_ex(&x), GK_OK);
    for (int i = 0; i < 16; i++)
        GK_EXPECT(c[i] == 7.0f, "k == 0, beta 2, bias 1: C[%d] = %g, want 7", i, (double)c[i]);
}

int main(void)
{
    gk_test_require_isa();
    test_errors();
    test_microkernel();
    test_edge_tiles();
    test_split_tail();
    test_specials();
    test_sweep();
    test_half_types();
    test_blocks();
    test_small_kn();
    test_prepacked();
    test_threads();
#if defined(__x86_64__)
    const char *sweep = getenv("GK_TEST_SWEEP");
    const bool native = !(sweep && strcmp(sweep, "small") == 0);
    if (native && strcmp(gk_isa_name(), "scalar") != 0) {
        test_large(1024, 1024, 1024);
        /* 4096^3 (137 GFLOP) once, on the best tier of this CPU only. */
        const bool best_tier =
            strcmp(gk_isa_name(), "avx512") == 0 || !gk_cpu_has_feature("avx512f");
        if (best_tier) test_large(4096, 4096, 4096);
    }
#endif
    return gk_test_finish("test_gemm");
}
