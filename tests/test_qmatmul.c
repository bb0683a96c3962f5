/* SPDX-License-Identifier: MIT */
/* Quantized GEMV / GEMM (gllmk/qmatmul.h) on the tier under test, for every format:
 *   - against the double-precision product of the dequantized weights (gk_dequantize) and the
 *     unquantized activations, within the bound the header states (activation quantization:
 *     0.57 d_B per unit of |w| in each activation block B, plus 2^-20 relative), for m = 1, 7,
 *     32, 100 tokens, k from one block to 16384, n with tile tails; weights both from random
 *     bytes (every code and scale pattern that decodes to finite values) and from quantizing
 *     random data;
 *   - the K-quants, TQ1_0, TQ2_0, the IQ formats, AWQ4 and GPTQ4 bit for bit equal to the
 *     scalar tier, the others within the bound;
 *   - gk_qgemm equal to m calls of gk_qgemv; identical bits for 1..4 threads, and for three user
 *     threads calling at once (each call then holds scratch buffers, core/scratch.h);
 *   - the activation quantizer of the tier bit-exact with the format's scalar quantizer
 *     (ties, zeros, subnormal-only blocks, signs of the extreme value);
 *   - on NEON, both builds of each dot kernel (baseline and SDOT, where the CPU has ASIMDDP)
 *     called directly, bit for bit equal to the scalar kernel, and gk_qgemm's choice of build;
 *     likewise each four-token kernel, every token equal to the one-token kernel;
 *   - gk_qgemm_ex: leading dimensions, bias, beta 0 (Y not read: NaN does not leak) and 1;
 *   - packed weights (gk_qpack, gk_qgemm_packed) of every format with a packed layout: the
 *     bound, the bits of the scalar tier, of token-by-token calls and of 1 and 3 threads (the
 *     K-quants, TQ2_0 and IQ4_XS: of gk_qgemv), the IQ grid formats also against the exact
 *     arithmetic of their layout (a decoding error in one weight fails), stale headers;
 *   - named wrappers; every error path, with Y untouched. */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gk_test.h"
#include "core/kernels.h"
#include "quant/qdot.h"
#include "quant/qpack.h"
#include "quant/traits.h"

/* ---- weights ---------------------------------------------------------------------------- */

/* n rows of k weights of type t from random bytes, each block redrawn until it decodes to
 * finite values of magnitude below 1e4 (random f16 scales can be NaN, Inf or huge); the
 * dequantized weights go to wf. With `saturate`, 3 bytes in 4 are 0xFF: codes at their largest
 * (unsigned) value nearly everywhere, the case that overflows a kernel's int16 sums first (a
 * block that never decodes finite that way, as SQUEEZE's f16 table, is drawn plainly after 500
 * tries). */
static void
draw_weights(gk_rng *rng, gk_qtype t, size_t n, size_t k, bool saturate, void *w, float *wf)
{
    const size_t be = gk_qtype_block_elems(t), bb = gk_qtype_block_bytes(t);
    unsigned char *bytes = w;
    for (size_t b = 0; b < n * k / be; b++) {
        for (int tries = 0;; tries++) {
            for (size_t i = 0; i < bb; i++) {
                const uint32_t r = gk_rng_u32(rng);
                bytes[b * bb + i] =
                    saturate && tries < 500 && r % 4 != 0 ? 0xFF : (unsigned char)(r >> 8);
            }
            GK_EXPECT(gk_dequantize(t, bytes + b * bb, wf + b * be, be) == GK_OK, "%s decode",
                      gk_qtype_name(t));
            bool ok = true;
            for (size_t i = 0; i < be; i++)
                ok = ok && fabsf(wf[b * be + i]) < 1e4f;
            if (ok) break;
            if (tries > 1000) {
                GK_EXPECT(false, "%s: no finite random block in 1000 draws", gk_qtype_name(t));
                break;
            }
        }
    }
}

static void random_weights(gk_rng *rng, gk_qtype t, size_t n, size_t k, void *w, float *wf)
{
    draw_weights(rng, t, n, k, false, w, wf);
}

/* The same from quantizing N(0,1)-like data (formats with a quantizer; false otherwise). */
static bool quantized_weights(gk_rng *rng, gk_qtype t, size_t n, size_t k, void *w, float *wf)
{
    for (size_t i = 0; i < n * k; i++)
        wf[i] = gk_rng_uniform(rng, -1.0f, 1.0f) + gk_rng_uniform(rng, -1.0f, 1.0f);
    if (gk_quantize(t, wf, w, n * k, NULL) != GK_OK) return false;
    GK_EXPECT(gk_dequantize(t, w, wf, n * k) == GK_OK, "%s decode", gk_qtype_name(t));
    return true;
}

/* ---- the reference and its bound ---------------------------------------------------------- */

/* Checks y (m x n, row stride ldy) against X W^T in double within the header's bound, with the
 * activation blocks of act_elems values (0: the f32 path, no quantization term). */
static void check_bound(const char *what,
                        gk_qtype t,
                        const float *wf,
                        const float *x,
                        const float *y,
                        size_t m,
                        size_t n,
                        size_t k,
                        size_t act_elems)
{
    for (size_t tk = 0; tk < m; tk++) {
        const float *xt = x + tk * k;
        for (size_t r = 0; r < n; r++) {
            const float *wr = wf + r * k;
            double exact = 0.0, magnitude = 0.0, quant = 0.0;
            for (size_t i = 0; i < k; i++) {
                exact += (double)wr[i] * (double)xt[i];
                magnitude += fabs((double)wr[i] * (double)xt[i]);
            }
            for (size_t b0 = 0; act_elems && b0 < k; b0 += act_elems) {
                double amax = 0.0, wsum = 0.0;
                for (size_t i = b0; i < b0 + act_elems; i++) {
                    amax = fmax(amax, fabs((double)xt[i]));
                    wsum += fabs((double)wr[i]);
                }
                quant += wsum * 0.57 * amax / 127.0;
            }
            /* the many-token path is the f32 GEMM on dequantized weights (gllmk/gemm.h) */
            const double relative =
                gk_qmm_uses_gemm(t, gk_kernels_active()->isa, m) ? (double)k * 0x1p-24 : 0x1p-20;
            const double bound = quant + relative * magnitude + 1e-30;
            const double got = (double)y[tk * n + r];
            if (!(fabs(got - exact) <= bound)) {
                GK_EXPECT(false,
                          "%s %s m=%zu n=%zu k=%zu: y[%zu][%zu] = %.9g, exact %.9g, bound %.3g",
                          what, gk_qtype_name(t), m, n, k, tk, r, got, exact, bound);
                return;
            }
        }
    }
}

static size_t act_elems_of(gk_qtype t)
{
    struct gk_qmm_kernels qk;
    return gk_qmm_kernels_of(t, GK_ISA_SCALAR, &qk) ? qk.act_block_elems : 0;
}

/* The formats whose kernels reduce each block to exact integers and do the f32 steps one block
 * at a time, like the scalar tier: every tier gives the same bits. */
static bool same_bits_on_every_tier(gk_qtype t)
{
    return (t >= GK_QTYPE_Q2_K && t <= GK_QTYPE_Q8_K) || t == GK_QTYPE_TQ2_0 ||
           t == GK_QTYPE_IQ4_XS || t == GK_QTYPE_AWQ4 || t == GK_QTYPE_GPTQ4 ||
           (t >= GK_QTYPE_IQ2_XXS && t <= GK_QTYPE_IQ2_S) || t == GK_QTYPE_IQ4_NL ||
           t == GK_QTYPE_IQ3_XXS || t == GK_QTYPE_IQ3_S || t == GK_QTYPE_TQ1_0 ||
           t == GK_QTYPE_IQ1_S || t == GK_QTYPE_IQ1_M;
}

/* ---- one shape of one format ---------------------------------------------------------------- */

/* Where a shape's weights come from: random blocks, quantized data, or saturated blocks (codes at
 * their largest nearly everywhere, every token's activation one constant: draw_weights). */
enum weight_source { RANDOM_BLOCKS, QUANTIZED, SATURATED };

static void
test_shape(gk_rng *rng, gk_qtype t, size_t m, size_t n, size_t k, enum weight_source src)
{
    const size_t w_bytes = gk_qtype_row_bytes(t, k) * n;
    void *w = malloc(w_bytes);
    float *wf = malloc(n * k * sizeof(float));
    float *x = malloc(m * k * sizeof(float));
    float *y = malloc(m * n * sizeof(float));
    float *y2 = malloc(m * n * sizeof(float));
    if (src == QUANTIZED) {
        if (!quantized_weights(rng, t, n, k, w, wf)) goto done;
    } else {
        draw_weights(rng, t, n, k, src == SATURATED, w, wf);
    }
    for (size_t i = 0; i < m * k; i++)
        x[i] = src == SATURATED ? (i / k % 2 ? -1.0f : 1.0f)
                                : gk_rng_uniform(rng, -2.0f, 2.0f) * (i % 97 == 0 ? 50.0f : 1.0f);

    GK_EXPECT_STATUS(gk_qgemm(t, w, x, y, m, n, k), GK_OK);
    const bool gemm_path = gk_qmm_uses_gemm(t, gk_kernels_active()->isa, m);
    check_bound(src == QUANTIZED   ? "quantized"
                : src == SATURATED ? "saturated"
                                   : "random",
                t, wf, x, y, m, n, k, gemm_path ? 0 : act_elems_of(t));
    if (gemm_path) goto done; /* the checks below are of the quantized-activation path */

    /* gk_qgemm is m gk_qgemv calls, bit for bit */
    for (size_t tk = 0; tk < m; tk++)
        GK_EXPECT_STATUS(gk_qgemv(t, w, x + tk * k, y2 + tk * n, n, k), GK_OK);
    GK_EXPECT(gk_test_same_bits("qgemm vs qgemv", y, y2, m * n, sizeof(float)), "%s",
              gk_qtype_name(t));

    /* every tier gives the scalar tier's bits */
    if (same_bits_on_every_tier(t)) {
        const char *isa = gk_isa_name();
        GK_EXPECT_STATUS(gk_set_isa("scalar"), GK_OK);
        /* token by token: from 32 tokens on, the scalar tier's gk_qgemm takes the GEMM path */
        for (size_t tk = 0; tk < m; tk++)
            GK_EXPECT_STATUS(gk_qgemv(t, w, x + tk * k, y2 + tk * n, n, k), GK_OK);
        GK_EXPECT_STATUS(gk_set_isa(isa), GK_OK);
        GK_EXPECT(gk_test_same_bits("tier vs scalar", y, y2, m * n, sizeof(float)), "%s on %s",
                  gk_qtype_name(t), isa);
    }
done:
    free(w);
    free(wf);
    free(x);
    free(y);
    free(y2);
}

static void test_formats(void)
{
    gk_rng rng = gk_rng_seeded(0x9e3779b97f4a7c15u);
    const bool small = gk_test_sweep(10) < 10;
    for (int ti = 0; ti < GK_QTYPE_COUNT; ti++) {
        const gk_qtype t = (gk_qtype)ti;
        if (!gk_qtraits_of(t)->dequant[GK_ISA_SCALAR]) continue; /* not in this build */
        const size_t be = gk_qtype_block_elems(t);
        test_shape(&rng, t, 1, 1, be, RANDOM_BLOCKS);
        test_shape(&rng, t, 7, 17, 2 * be, RANDOM_BLOCKS);
        test_shape(&rng, t, 1, 33, 4096, QUANTIZED);
        test_shape(&rng, t, 7, 16, 4096, RANDOM_BLOCKS);
        test_shape(&rng, t, 3, 5, 7 * be, RANDOM_BLOCKS); /* block counts not a multiple of 4 */
        test_shape(&rng, t, 5, 9, 16 * be, SATURATED);    /* integer sums at their bounds */
        if (!small) {
            test_shape(&rng, t, 32, 37, 4096, QUANTIZED);
            test_shape(&rng, t, 1, 19, 16384, RANDOM_BLOCKS);
            /* 263 blocks: past a chunk of 256 (the AVX2 Q8_0 / Q4_0 / Q5_0 side table), odd rest */
            if (be == 32) test_shape(&rng, t, 5, 19, 263 * be, RANDOM_BLOCKS);
        }
        if (!small && (t == GK_QTYPE_Q4_K || t == GK_QTYPE_Q8_0 || t == GK_QTYPE_IQ4_XS))
            test_shape(&rng, t, 100, 23, 1024, QUANTIZED);
    }
}

/* ---- threads ------------------------------------------------------------------------------ */

static void test_threads(void)
{
    gk_rng rng = gk_rng_seeded(7);
    const gk_qtype types[] = {GK_QTYPE_Q4_0, GK_QTYPE_Q8_0, GK_QTYPE_Q4_K,
                              GK_QTYPE_Q6_K, GK_QTYPE_Q5_K, GK_QTYPE_TQ2_0};
    const size_t m = 3, n = 16 * 40 + 5, k = 1024; /* enough weight bytes to use the pool */
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        const gk_qtype t = types[ti];
        void *w = malloc(gk_qtype_row_bytes(t, k) * n);
        float *wf = malloc(n * k * sizeof(float)), *x = malloc(m * k * sizeof(float));
        float *y1 = malloc(m * n * sizeof(float)), *yt = malloc(m * n * sizeof(float));
        random_weights(&rng, t, n, k, w, wf);
        for (size_t i = 0; i < m * k; i++)
            x[i] = gk_rng_uniform(&rng, -1.0f, 1.0f);
        gk_set_num_threads(1);
        GK_EXPECT_STATUS(gk_qgemm(t, w, x, y1, m, n, k), GK_OK);
        for (int threads = 2; threads <= 4; threads++) {
            gk_set_num_threads(threads);
            GK_EXPECT_STATUS(gk_qgemm(t, w, x, yt, m, n, k), GK_OK);
            GK_EXPECT(gk_test_same_bits("threads", yt, y1, m * n, sizeof(float)),
                      "%s at %d threads", gk_qtype_name(t), threads);
        }
        gk_set_num_threads(0);
        free(w);
        free(wf);
        free(x);
        free(y1);
        free(yt);
    }
}

/* Three user threads call gk_qgemm on the many-token path at once (each call holds a dequantized
 * panel and, inside it, a GEMM workspace: the cached scratch buffers or fresh ones) and must get
 * the bits of a call made alone. */
enum { CONCURRENT_CALLERS = 3, CONCURRENT_ROUNDS = 4 };

struct concurrent_call {
    gk_qtype t;
    const void *w;
    const float *x, *want;
    size_t m, n, k;
    float *y;
    bool same;
};

static void *concurrent_caller(void *arg)
{
    struct concurrent_call *c = arg;
    c->same = true;
    for (int round = 0; round < CONCURRENT_ROUNDS; round++) {
        memset(c->y, 0, c->m * c->n * sizeof(float));
        c->same = c->same && gk_qgemm(c->t, c->w, c->x, c->y, c->m, c->n, c->k) == GK_OK &&
                  memcmp(c->y, c->want, c->m * c->n * sizeof(float)) == 0;
    }
    return NULL;
}

static void test_concurrent_callers(void)
{
    gk_rng rng = gk_rng_seeded(11);
    const gk_qtype t = GK_QTYPE_Q8_0;
    const size_t m = 72, n = 48, k = 256;
    GK_EXPECT(gk_qmm_uses_gemm(t, gk_kernels_active()->isa, m),
              "Q8_0 at m = %zu: not the GEMM path", m);
    void *w = malloc(gk_qtype_row_bytes(t, k) * n);
    float *wf = malloc(n * k * sizeof(float)), *x = malloc(m * k * sizeof(float));
    float *want = malloc(m * n * sizeof(float));
    random_weights(&rng, t, n, k, w, wf);
    for (size_t i = 0; i < m * k; i++)
        x[i] = gk_rng_uniform(&rng, -1.0f, 1.0f);
    GK_EXPECT_STATUS(gk_qgemm(t, w, x, want, m, n, k), GK_OK);
    struct concurrent_call calls[CONCURRENT_CALLERS];
    pthread_t threads[CONCURRENT_CALLERS];
    for (int i = 0; i < CONCURRENT_CALLERS; i++) {
        calls[i] =
            (struct concurrent_call){t, w, x, want, m, n, k, malloc(m * n * sizeof(float)), false};
        GK_EXPECT(pthread_create(&threads[i], NULL, concurrent_caller, &calls[i]) == 0,
                  "pthread_create");
    }
    for (int i = 0; i < CONCURRENT_CALLERS; i++) {
        pthread_join(threads[i], NULL);
        GK_EXPECT(calls[i].same, "caller %d differs from a call made alone", i);
        free(calls[i].y);
    }
    free(w);
    free(wf);
    free(x);
    free(want);
}

/* ---- activation quantizers ------------------------------------------------------------------ */

static void test_activation_quantizers(void)
{
    gk_rng rng = gk_rng_seeded(11);
    const gk_qtype pairs[] = {GK_QTYPE_Q8_0, GK_QTYPE_Q4_1, GK_QTYPE_Q4_K};

    enum { K = 1024 };

    float x[K];
    unsigned char got[K * 2], want[K * 2];
    for (size_t pi = 0; pi < sizeof pairs / sizeof pairs[0]; pi++) {
        struct gk_qmm_kernels tier, scalar;
        GK_EXPECT(gk_qmm_kernels_of(pairs[pi], (gk_isa)gk_kernels_active()->isa, &tier), "kernels");
        GK_EXPECT(gk_qmm_kernels_of(pairs[pi], GK_ISA_SCALAR, &scalar), "kernels");
        const size_t blocks = K / tier.act_block_elems;
        for (int round = 0; round < (int)gk_test_sweep(200); round++) {
            for (size_t i = 0; i < K; i++) {
                switch (round % 5) {
                case 0: x[i] = gk_rng_uniform(&rng, -3.0f, 3.0f); break;
                case 1:
                    x[i] = (float)((int)(gk_rng_u32(&rng) % 255) - 127) * 0.5f;
                    break;                                                        /* ties */
                case 2: x[i] = gk_rng_uniform(&rng, -1.0f, 1.0f) * 1e-40f; break; /* subnormal */
                case 3: x[i] = i % 64 < 32 ? 0.0f : gk_rng_uniform(&rng, -1.0f, 1.0f); break;
                default: x[i] = (i % 7 == 0 ? -1.0f : 1.0f) * (float)(i % 13); break;
                }
            }
            memset(got, 0xA5, sizeof got);
            memset(want, 0x5A, sizeof want);
            tier.quantize(x, got, blocks);
            scalar.quantize(x, want, blocks);
            GK_EXPECT(memcmp(got, want, blocks * tier.act_block_bytes) == 0,
                      "activation quantizer of %s differs from the scalar one (round %d)",
                      gk_qtype_name(pairs[pi]), round);
        }
    }
}

/* ---- the general form and the wrappers ------------------------------------------------------ */

static void test_ex(void)
{
    gk_rng rng = gk_rng_seeded(13);
    const gk_qtype t = GK_QTYPE_Q4_K;
    const size_t m = 5, n = 21, k = 512, ldx = k + 3, ldy = n + 2;
    void *w = malloc(gk_qtype_row_bytes(t, k) * n);
    float *wf = malloc(n * k * sizeof(float)), *x = malloc(m * ldx * sizeof(float));
    float *xd = malloc(m * k * sizeof(float)), *yd = malloc(m * n * sizeof(float));
    float *y = malloc(m * ldy * sizeof(float)), bias[21];
    random_weights(&rng, t, n, k, w, wf);
    for (size_t i = 0; i < m * ldx; i++)
        x[i] = gk_rng_uniform(&rng, -1.0f, 1.0f);
    for (size_t tk = 0; tk < m; tk++)
        memcpy(xd + tk * k, x + tk * ldx, k * sizeof(float));
    for (size_t r = 0; r < n; r++)
        bias[r] = (float)r - 10.0f;
    GK_EXPECT_STATUS(gk_qgemm(t, w, xd, yd, m, n, k), GK_OK);

    /* beta 0: Y is not read (NaN there does not leak); padding columns untouched */
    for (size_t i = 0; i < m * ldy; i++)
        y[i] = NAN;
    gk_qgemm_args a = {.type = t,
                       .w = w,
                       .x = x,
                       .y = y,
                       .bias = bias,
                       .m = m,
                       .n = n,
                       .k = k,
                       .ldx = ldx,
                       .ldy = ldy,
                       .beta = 0.0f};
    GK_EXPECT_STATUS(gk_qgemm_ex(&a), GK_OK);
    for (size_t tk = 0; tk < m; tk++) {
        for (size_t r = 0; r < n; r++)
            GK_EXPECT(y[tk * ldy + r] == yd[tk * n + r] + bias[r], "bias [%zu][%zu]", tk, r);
        GK_EXPECT(isnan(y[tk * ldy + n]) && isnan(y[tk * ldy + n + 1]), "padding written");
    }
    /* beta 1 accumulates: Y = Y + X W^T + bias */
    for (size_t i = 0; i < m * ldy; i++)
        y[i] = 0.25f;
    a.beta = 1.0f;
    GK_EXPECT_STATUS(gk_qgemm_ex(&a), GK_OK);
    for (size_t tk = 0; tk < m; tk++)
        for (size_t r = 0; r < n; r++)
            GK_EXPECT(y[tk * ldy + r] == yd[tk * n + r] + bias[r] + 0.25f, "beta [%zu][%zu]", tk,
                      r);
    free(w);
    free(wf);
    free(x);
    free(xd);
    free(yd);
    free(y);
}

static void test_wrappers(void)
{
    gk_rng rng = gk_rng_seeded(17);
    const size_t n = 9, k = 256;
    unsigned char w[9 * 292];
    float wf[9 * 256], x[256], y[9], want[9];
    for (size_t i = 0; i < k; i++)
        x[i] = gk_rng_uniform(&rng, -1.0f, 1.0f);
#define WRAPPER_GEMV(fn, T)                                            \
    random_weights(&rng, GK_QTYPE_##T, n, k, w, wf);                   \
    GK_EXPECT_STATUS(gk_qgemv(GK_QTYPE_##T, w, x, want, n, k), GK_OK); \
    GK_EXPECT_STATUS(fn(w, x, y, n, k), GK_OK);                        \
    GK_EXPECT(memcmp(y, want, sizeof y) == 0, #fn);
    WRAPPER_GEMV(gk_gemv_q8, Q8_0)
    WRAPPER_GEMV(gk_gemv_q4, Q4_0)
    WRAPPER_GEMV(gk_gemv_q2, TQ2_0)
    WRAPPER_GEMV(gk_gemv_q1, TQ1_0)
#define WRAPPER_GEMM(call, T)                                          \
    random_weights(&rng, GK_QTYPE_##T, n, k, w, wf);                   \
    GK_EXPECT_STATUS(gk_qgemv(GK_QTYPE_##T, w, x, want, n, k), GK_OK); \
    GK_EXPECT_STATUS(call, GK_OK);                                     \
    GK_EXPECT(memcmp(y, want, sizeof y) == 0, #call);
    WRAPPER_GEMM(gk_gemm_q8(w, x, y, 1, n, k), Q8_0)
    WRAPPER_GEMM(gk_gemm_q4(w, x, y, 1, n, k), Q4_0)
    WRAPPER_GEMM(gk_kquant_matmul(GK_QTYPE_Q5_K, w, x, y, 1, n, k), Q5_K)
    WRAPPER_GEMM(gk_awq_matmul(w, x, y, 1, n, k), AWQ4)
    WRAPPER_GEMM(gk_gptq_matmul(w, x, y, 1, n, k), GPTQ4)
    WRAPPER_GEMM(gk_squeeze_matmul(w, x, y, 1, n, k), SQUEEZE)
    if (gk_qtraits_of(GK_QTYPE_IQ4_XS)->dequant[GK_ISA_SCALAR]) {
        WRAPPER_GEMM(gk_iq_matmul(GK_QTYPE_IQ4_XS, w, x, y, 1, n, k), IQ4_XS)
    }
    GK_EXPECT_STATUS(gk_kquant_matmul(GK_QTYPE_Q8_0, w, x, y, 1, n, k), GK_EINVAL);
    GK_EXPECT_STATUS(gk_iq_matmul(GK_QTYPE_Q4_K, w, x, y, 1, n, k), GK_EINVAL);
}

/* ---- the NEON kernels' two builds ------------------------------------------------------------ */

#if defined(__aarch64__)
/* The NEON group kernels of the packed layouts, both builds (qpack.h declares them for the
 * library's own build, under GK_HAVE_NEON). */
#    define NEON_QDOT8_DECLARE(kern)                                                        \
        void gk_qdot8_##kern##_neon(const void *group, const void *xq, const int32_t *xsum, \
                                    size_t n_blocks, float *out);                           \
        void gk_qdot8_##kern##_neon_dotprod(const void *group, const void *xq,              \
                                            const int32_t *xsum, size_t n_blocks, float *out);
GK_QPACK_FORMATS(NEON_QDOT8_DECLARE)
#    undef NEON_QDOT8_DECLARE
#endif

#if defined(__aarch64__)
/* The NEON four-token kernels of GK_QDOT4_FORMS, both builds (qdot.h declares them). */
#    define NEON_DOT4_V(kern, NAME) \
        {GK_QTYPE_##NAME, gk_qdot4_##kern##_neon, gk_qdot4_##kern##_neon_dotprod},
#    define NEON_DOT4_S(kern, NAME)
#    define NEON_DOT4_N(kern, NAME)
#    define NEON_DOT4_ROW(kern, NAME, avx2, avx512, neon, gemm_min_m) NEON_DOT4_##neon(kern, NAME)

static const struct {
    gk_qtype t;
    gk_qdot4_fn baseline, sdot;
} neon_dot4[] = {GK_QDOT4_FORMS(NEON_DOT4_ROW)};

#    undef NEON_DOT4_ROW
#    undef NEON_DOT4_N
#    undef NEON_DOT4_S
#    undef NEON_DOT4_V

/* gk_qgemm must take the SDOT build of a four-token kernel exactly when the CPU has ASIMDDP, and
 * every build the CPU can run must give each of the four tokens the bits of the one-token NEON
 * kernel (itself checked against the scalar one): random-byte blocks, 0 to 70 blocks (past a
 * chunk of 64 Q8_0 activation scales), 1, 3 or 17 rows (past a group of 16), activation rows
 * and outputs with gaps between them (which must stay untouched); no rows writes nothing. */
static void test_neon_dot4_builds(bool has_dotprod)
{
    enum { T = GK_QDOT4_TOKENS };

    gk_rng rng = gk_rng_seeded(31);

    const struct {
        size_t n_blocks, n_rows;
    } shapes[] = {{0, 3}, {1, 1}, {2, 17}, {3, 3}, {5, 1}, {9, 17}, {70, 17}};

    GK_EXPECT(sizeof neon_dot4 / sizeof neon_dot4[0] > 0, "no NEON four-token kernel");
    for (size_t fi = 0; fi < sizeof neon_dot4 / sizeof neon_dot4[0]; fi++) {
        const gk_qtype t = neon_dot4[fi].t;
        struct gk_qmm_kernels neon, scalar;
        GK_EXPECT(gk_qmm_kernels_of(t, GK_ISA_NEON, &neon) &&
                      gk_qmm_kernels_of(t, GK_ISA_SCALAR, &scalar),
                  "%s kernels", gk_qtype_name(t));
        GK_EXPECT(neon.dot4 == (has_dotprod ? neon_dot4[fi].sdot : neon_dot4[fi].baseline),
                  "%s: gk_qgemm does not use the %s four-token build", gk_qtype_name(t),
                  has_dotprod ? "SDOT" : "baseline");
        const gk_qdot_fn one_token = gk_qtraits_of(t)->dot[GK_ISA_NEON];
        const gk_qdot4_fn builds[2] = {neon_dot4[fi].baseline,
                                       has_dotprod ? neon_dot4[fi].sdot : NULL};
        for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
            const size_t n_blocks = shapes[si].n_blocks, n_rows = shapes[si].n_rows;
            const size_t k = n_blocks * gk_qtype_block_elems(t),
                         row_bytes = gk_qtype_row_bytes(t, k);
            const size_t act_blocks = k / scalar.act_block_elems;
            const size_t xq_stride = act_blocks * scalar.act_block_bytes + 40, ldy = n_rows + 2;
            unsigned char *w = malloc(row_bytes * n_rows + 1);
            unsigned char *xq = calloc(T, xq_stride);
            float *wf = malloc((k * n_rows + 1) * sizeof(float));
            float *x = malloc((k + 1) * sizeof(float));
            float *want = malloc(T * ldy * sizeof(float)), *got = malloc(T * ldy * sizeof(float));
            random_weights(&rng, t, n_rows, k, w, wf);
            for (size_t tk = 0; tk < T; tk++) {
                for (size_t i = 0; i < k; i++)
                    x[i] = gk_rng_uniform(&rng, -2.0f, 2.0f) * (i % 61 == 0 ? 40.0f : 1.0f);
                scalar.quantize(x, xq + tk * xq_stride, act_blocks);
                one_token(w, row_bytes, xq + tk * xq_stride, n_blocks, want + tk * ldy, n_rows);
            }
            for (int bi = 0; bi < 2; bi++) {
                if (!builds[bi]) continue;
                const char *build = bi ? "SDOT" : "baseline";
                for (size_t i = 0; i < T * ldy; i++)
                    got[i] = -7.0f;
                builds[bi](w, row_bytes, xq, xq_stride, n_blocks, got, ldy, n_rows);
                for (size_t tk = 0; tk < T; tk++) {
                    GK_EXPECT(gk_test_same_bits("NEON four-token vs one-token", got + tk * ldy,
                                                want + tk * ldy, n_rows, sizeof(float)),
                              "%s %s build, token %zu, %zu blocks, %zu rows", gk_qtype_name(t),
                              build, tk, n_blocks, n_rows);
                    GK_EXPECT(
                        got[tk * ldy + n_rows] == -7.0f && got[tk * ldy + n_rows + 1] == -7.0f,
                        "%s %s build wrote past token %zu's rows", gk_qtype_name(t), build, tk);
                }
                for (size_t i = 0; i < T * ldy; i++)
                    got[i] = -7.0f;
                builds[bi](w, row_bytes, xq, xq_stride, n_blocks, got, ldy, 0);
                for (size_t i = 0; i < T * ldy; i++)
                    GK_EXPECT(got[i] == -7.0f, "%s %s build wrote with no rows", gk_qtype_name(t),
                              build);
            }
            free(w);
            free(xq);
            free(wf);
            free(x);
            free(want);
            free(got);
        }
    }
}
#endif

/* On the NEON tier each integer dot kernel exists as a baseline build and an SDOT build
 * (src/quant/qdot.h). gk_qgemm must use the SDOT build exactly when the CPU has ASIMDDP (absent
 * under qemu -cpu cortex-a57, hidden by GK_CPU_DISABLE=asimddp), and every build the CPU can run
 * must give the scalar kernel's bits: rows of random-byte blocks (every code and scale pattern
 * that decodes to finite values), 0 to 9 blocks, 1 or 3 rows; no rows writes nothing. */
static void test_neon_dot_builds(void)
{
    if (gk_kernels_active()->isa != GK_ISA_NEON) return;
    const bool has_dotprod = gk_cpu_has_feature("asimddp");
    printf("test_qmatmul: NEON dot kernels: baseline%s\n",
           has_dotprod ? " and SDOT builds" : " build (no ASIMDDP: the SDOT build is not run)");
    gk_rng rng = gk_rng_seeded(23);
    const size_t block_counts[] = {0, 1, 2, 3, 5, 9};
    size_t n_checked = 0;
    for (int ti = 0; ti < GK_QTYPE_COUNT; ti++) {
        const gk_qtype t = (gk_qtype)ti;
        const struct gk_qtraits *tr = gk_qtraits_of(t);
        if (!tr->dequant[GK_ISA_SCALAR] || !tr->dot[GK_ISA_NEON]) continue;
        GK_EXPECT(tr->dot_neon_dotprod != NULL, "%s: no SDOT build", gk_qtype_name(t));
        struct gk_qmm_kernels neon, scalar;
        GK_EXPECT(gk_qmm_kernels_of(t, GK_ISA_NEON, &neon) &&
                      gk_qmm_kernels_of(t, GK_ISA_SCALAR, &scalar),
                  "%s kernels", gk_qtype_name(t));
        GK_EXPECT(neon.dot == (has_dotprod ? tr->dot_neon_dotprod : tr->dot[GK_ISA_NEON]),
                  "%s: gk_qgemm does not use the %s build", gk_qtype_name(t),
                  has_dotprod ? "SDOT" : "baseline");
        const gk_qdot_fn builds[2] = {tr->dot[GK_ISA_NEON],
                                      has_dotprod ? tr->dot_neon_dotprod : NULL};
        const size_t be = gk_qtype_block_elems(t);
        for (size_t ci = 0; ci < sizeof block_counts / sizeof block_counts[0]; ci++) {
            const size_t n_blocks = block_counts[ci], k = n_blocks * be, n_rows = 1 + 2 * (ci % 2);
            const size_t row_bytes = gk_qtype_row_bytes(t, k);
            const size_t act_blocks = k / scalar.act_block_elems;
            unsigned char *w = malloc(row_bytes * n_rows + 1);
            unsigned char *xq = malloc(act_blocks * scalar.act_block_bytes + 1);
            float *wf = malloc((k * n_rows + 1) * sizeof(float));
            float *x = malloc((k + 1) * sizeof(float));
            float want[3], got[4];
            random_weights(&rng, t, n_rows, k, w, wf);
            for (size_t i = 0; i < k; i++)
                x[i] = gk_rng_uniform(&rng, -2.0f, 2.0f) * (i % 61 == 0 ? 40.0f : 1.0f);
            scalar.quantize(x, xq, act_blocks);
            scalar.dot(w, row_bytes, xq, n_blocks, want, n_rows);
            for (int bi = 0; bi < 2; bi++) {
                if (!builds[bi]) continue;
                const char *build = bi ? "SDOT" : "baseline";
                for (size_t r = 0; r < 4; r++)
                    got[r] = -7.0f;
                builds[bi](w, row_bytes, xq, n_blocks, got, n_rows);
                GK_EXPECT(
                    gk_test_same_bits("NEON build vs scalar", got, want, n_rows, sizeof(float)),
                    "%s %s build, %zu blocks, %zu rows", gk_qtype_name(t), build, n_blocks, n_rows);
                GK_EXPECT(got[n_rows] == -7.0f, "%s %s build wrote past its rows", gk_qtype_name(t),
                          build);
                builds[bi](w, row_bytes, xq, n_blocks, got + 3, 0);
                GK_EXPECT(got[3] == -7.0f, "%s %s build wrote with no rows", gk_qtype_name(t),
                          build);
                n_checked++;
            }
            free(w);
            free(xq);
            free(wf);
            free(x);
        }
    }
    GK_EXPECT(n_checked > 0, "no NEON dot kernel was checked");

#if defined(__aarch64__)
    test_neon_dot4_builds(has_dotprod);

    /* the packed layouts' group kernels (qpack.h): the same choice (their bits are checked against
     * the scalar tier's by test_packed, in the runs with and without ASIMDDP) */
    const struct {
        gk_qtype t;
        gk_qdot8_fn baseline, sdot;
    } packed[] = {{GK_QTYPE_Q4_0, gk_qdot8_q4_0_neon, gk_qdot8_q4_0_neon_dotprod},
                  {GK_QTYPE_IQ4_NL, gk_qdot8_iq4_nl_neon, gk_qdot8_iq4_nl_neon_dotprod},
                  {GK_QTYPE_Q5_K, gk_qdot8_q5_k_neon, gk_qdot8_q5_k_neon_dotprod},
                  {GK_QTYPE_Q6_K, gk_qdot8_q6_k_neon, gk_qdot8_q6_k_neon_dotprod},
                  {GK_QTYPE_IQ1_M, gk_qdot8_iq1_m_neon, gk_qdot8_iq1_m_neon_dotprod},
                  {GK_QTYPE_IQ3_S, gk_qdot8_iq3_s_neon, gk_qdot8_iq3_s_neon_dotprod}};

    for (size_t pi = 0; pi < sizeof packed / sizeof packed[0]; pi++) {
        const gk_qtype t = packed[pi].t;
        const size_t n = 9, k = 2 * gk_qtype_block_elems(t), p_bytes = gk_qpack_size(t, n, k);
        void *w = calloc(gk_qtype_row_bytes(t, k), n), *p = malloc(p_bytes);
        gk_qtype type;
        gk_qdot8_fn kernel = NULL;
        gk_qdot8x4_fn kernel4 = NULL;
        GK_EXPECT_STATUS(gk_qpack(t, w, n, k, p, p_bytes), GK_OK);
        GK_EXPECT_STATUS(gk_qpack_open("test", p, n, k, GK_ISA_NEON, &type, &kernel, &kernel4),
                         GK_OK);
        GK_EXPECT(kernel == (has_dotprod ? packed[pi].sdot : packed[pi].baseline),
                  "packed %s: gk_qgemm_packed does not use the %s build", gk_qtype_name(t),
                  has_dotprod ? "SDOT" : "baseline");
        free(w);
        free(p);
    }
#endif
}

/* ---- errors ------------------------------------------------------------------------------------
 */

static void test_errors(void)
{
    enum { N = 4, K = 64 };

    unsigned char w[N * 2 * 34] = {0};
    float x[2 * K] = {0}, y[2 * N], bias[N] = {0};
    const gk_qtype t = GK_QTYPE_Q8_0;
    for (size_t i = 0; i < 2 * N; i++)
        y[i] = 42.0f;
#define EXPECT_UNTOUCHED(call, want)                        \
    do {                                                    \
        GK_EXPECT_STATUS(call, want);                       \
        for (size_t i_ = 0; i_ < 2 * N; i_++)               \
            GK_EXPECT(y[i_] == 42.0f, "%s wrote y", #call); \
    } while (0)
    EXPECT_UNTOUCHED(gk_qgemv((gk_qtype)GK_QTYPE_COUNT, w, x, y, N, K), GK_EINVAL);
    EXPECT_UNTOUCHED(gk_qgemv((gk_qtype)-1, w, x, y, N, K), GK_EINVAL);
    EXPECT_UNTOUCHED(gk_qgemv(t, NULL, x, y, N, K), GK_EINVAL);
    EXPECT_UNTOUCHED(gk_qgemv(t, w, NULL, y, N, K), GK_EINVAL);
    EXPECT_UNTOUCHED(gk_qgemv(t, w, x, NULL, N, K), GK_EINVAL);
    EXPECT_UNTOUCHED(gk_qgemv(t, w, x, y, N, K + 1), GK_EINVAL);
    EXPECT_UNTOUCHED(gk_qgemv(t, w, x, y, SIZE_MAX / 8, K), GK_EOVERFLOW);
    EXPECT_UNTOUCHED(gk_qgemm(t, w, x, y, SIZE_MAX / 2, N, K), GK_EOVERFLOW);
    EXPECT_UNTOUCHED(gk_qgemv(t, w, x, (float *)(void *)w, N, K), GK_EALIAS);
    EXPECT_UNTOUCHED(gk_qgemv(t, w, y + 1, y, N, K), GK_EALIAS);
    x[5] = NAN;
    EXPECT_UNTOUCHED(gk_qgemv(t, w, x, y, N, K), GK_EINVAL);
    x[5] = INFINITY;
    EXPECT_UNTOUCHED(gk_qgemv(t, w, x, y, N, K), GK_EINVAL);
    x[5] = 0.0f;
    EXPECT_UNTOUCHED(gk_qgemm_ex(NULL), GK_EINVAL);
    gk_qgemm_args a = {.type = t,
                       .w = w,
                       .x = x,
                       .y = y,
                       .bias = bias,
                       .m = 2,
                       .n = N,
                       .k = K,
                       .ldx = K - 1,
                       .ldy = N,
                       .beta = 0.0f};
    EXPECT_UNTOUCHED(gk_qgemm_ex(&a), GK_EINVAL); /* ldx < k */
    a.ldx = K;
    a.ldy = N - 1;
    EXPECT_UNTOUCHED(gk_qgemm_ex(&a), GK_EINVAL); /* ldy < n */
    a.ldy = N;
    a.bias = y + N;
    EXPECT_UNTOUCHED(gk_qgemm_ex(&a), GK_EALIAS); /* bias inside Y */
    /* nothing to do: m = 0 or n = 0 write nothing, even with NULL pointers */
    EXPECT_UNTOUCHED(gk_qgemm(t, NULL, NULL, NULL, 0, N, K), GK_OK);
    EXPECT_UNTOUCHED(gk_qgemm(t, NULL, NULL, y, 1, 0, K), GK_OK);
    /* k = 0: Y = bias (or zeros) */
    GK_EXPECT_STATUS(gk_qgemv(t, NULL, NULL, y, N, 0), GK_OK);
    for (size_t i = 0; i < N; i++)
        GK_EXPECT(y[i] == 0.0f, "k = 0 gives zeros");
}

/* ---- packed weights (gk_qpack, gk_qgemm_packed) ------------------------------------------- */

/* The formats with a packed layout and the bytes of a block column of 8 blocks (qpack.h). */
static const struct {
    gk_qtype type;
    size_t column;
} packed_formats[] = {
    {GK_QTYPE_TQ1_0, 528},  {GK_QTYPE_Q4_0, 144},     {GK_QTYPE_Q8_0, 272},
    {GK_QTYPE_Q4_1, 160},   {GK_QTYPE_Q5_0, 176},     {GK_QTYPE_Q5_1, 192},
    {GK_QTYPE_IQ4_NL, 144}, {GK_QTYPE_Q2_K, 672},     {GK_QTYPE_Q3_K, 912},
    {GK_QTYPE_Q4_K, 1184},  {GK_QTYPE_Q5_K, 1440},    {GK_QTYPE_Q6_K, 1680},
    {GK_QTYPE_TQ2_0, 528},  {GK_QTYPE_IQ4_XS, 1104},  {GK_QTYPE_IQ1_S, 600},
    {GK_QTYPE_IQ1_M, 624},  {GK_QTYPE_IQ2_XXS, 848},  {GK_QTYPE_IQ2_XS, 848},
    {GK_QTYPE_IQ2_S, 848},  {GK_QTYPE_IQ3_XXS, 1104}, {GK_QTYPE_IQ3_S, 1104},
};

/* The grid formats, whose packed layout holds codes of values decoded at pack time (qpack.h). */
static bool packed_iq_grid(gk_qtype t)
{
    return t == GK_QTYPE_IQ1_S || t == GK_QTYPE_IQ1_M || t == GK_QTYPE_IQ2_XXS ||
           t == GK_QTYPE_IQ2_XS || t == GK_QTYPE_IQ2_S || t == GK_QTYPE_IQ3_XXS ||
           t == GK_QTYPE_IQ3_S;
}

/* A grid format's packed product y (m x n) against the one its arithmetic computes (qpack.h),
 * evaluated in double from the dequantized weights wf and the Q8_K activations: per super-block
 * sum of wf * xq (exact: the weights of a block are integer multiples of one d * factor) times
 * d_x. The packed kernels' integer sums are exact, so y differs from it only by the f32 steps:
 * at most 3 roundings per block and one per addition, (n_blocks + 3) 2^-24 of the sum of the
 * blocks' magnitudes (a decoding error in one weight is far larger, unlike against
 * check_bound's activation-quantization bound). */
static void check_packed_iq_exact(
    gk_qtype t, const float *wf, const float *x, const float *y, size_t m, size_t n, size_t k)
{
    struct gk_qmm_kernels qk;
    GK_EXPECT(gk_qmm_kernels_of(t, GK_ISA_SCALAR, &qk) && qk.act == GK_QTYPE_Q8_K, "%s: Q8_K",
              gk_qtype_name(t));
    const size_t n_blocks = k / GK_QK_K;
    gk_block_q8_k *xq = malloc(n_blocks * sizeof *xq);
    for (size_t tk = 0; tk < m; tk++) {
        qk.quantize(x + tk * k, xq, n_blocks);
        for (size_t r = 0; r < n; r++) {
            double want = 0.0, magnitude = 0.0;
            for (size_t b = 0; b < n_blocks; b++) {
                double dot = 0.0;
                for (size_t e = 0; e < GK_QK_K; e++)
                    dot += (double)wf[r * k + b * GK_QK_K + e] * xq[b].qs[e];
                want += dot * (double)xq[b].d;
                magnitude += fabs(dot * (double)xq[b].d);
            }
            const double bound = (double)(n_blocks + 3) * 0x1p-24 * magnitude;
            const double got = (double)y[tk * n + r];
            if (!(fabs(got - want) <= bound)) {
                GK_EXPECT(false,
                          "packed %s m=%zu n=%zu k=%zu: y[%zu][%zu] = %.9g, want %.9g (+-%.3g)",
                          gk_qtype_name(t), m, n, k, tk, r, got, want, bound);
                break;
            }
        }
    }
    free(xq);
}

/* One shape: the packed product is within the bound of the exact one, the same for any number of
 * tokens per call, thread count and ISA level (the scalar kernel's bits). With `saturate`, the
 * weights' codes are nearly all at their largest and every token's activation is one constant
 * (+1 or -1: all its quantized codes at +-127), so integer sums reach their bounds. */
static void test_packed_shape(
    gk_rng *rng, gk_qtype t, size_t column, size_t m, size_t n, size_t k, bool saturate)
{
    const size_t elems = gk_qtype_block_elems(t);
    const size_t w_bytes = gk_qtype_row_bytes(t, k) * n, p_bytes = gk_qpack_size(t, n, k);
    void *w = malloc(w_bytes), *packed = malloc(p_bytes);
    float *wf = malloc(n * k * sizeof(float)), *x = malloc(m * k * sizeof(float));
    float *y = malloc(m * n * sizeof(float)), *y2 = malloc(m * n * sizeof(float));
    draw_weights(rng, t, n, k, saturate, w, wf);
    for (size_t i = 0; i < m * k; i++)
        x[i] = saturate ? (i / k % 2 ? -1.0f : 1.0f)
                        : gk_rng_uniform(rng, -2.0f, 2.0f) * (i % 97 == 0 ? 50.0f : 1.0f);
    GK_EXPECT(p_bytes == 64 + (n + 7) / 8 * (k / elems) * column,
              "gk_qpack_size(%s, %zu, %zu) = %zu", gk_qtype_name(t), n, k, p_bytes);
    GK_EXPECT_STATUS(gk_qpack(t, w, n, k, packed, p_bytes), GK_OK);
    GK_EXPECT_STATUS(gk_qgemm_packed(packed, x, y, m, n, k), GK_OK);
    check_bound("packed", t, wf, x, y, m, n, k, act_elems_of(t));
    if (packed_iq_grid(t)) check_packed_iq_exact(t, wf, x, y, m, n, k);
    /* the unpacked kernels' integer and f32 steps (not the grid formats': qpack.h) */
    if (elems != 32 && t != GK_QTYPE_TQ1_0 && !packed_iq_grid(t)) {
        for (size_t tk = 0; tk < m; tk++)
            GK_EXPECT_STATUS(gk_qgemv(t, w, x + tk * k, y2 + tk * n, n, k), GK_OK);
        GK_EXPECT(gk_test_same_bits("packed vs unpacked", y, y2, m * n, sizeof(float)),
                  "%s m=%zu n=%zu k=%zu", gk_qtype_name(t), m, n, k);
    }

    /* token by token */
    for (size_t tk = 0; tk < m; tk++)
        GK_EXPECT_STATUS(gk_qgemm_packed(packed, x + tk * k, y2 + tk * n, 1, n, k), GK_OK);
    GK_EXPECT(gk_test_same_bits("packed tokens", y, y2, m * n, sizeof(float)),
              "%s m=%zu n=%zu k=%zu", gk_qtype_name(t), m, n, k);
    /* the scalar tier */
    const char *isa = gk_isa_name();
    GK_EXPECT_STATUS(gk_set_isa("scalar"), GK_OK);
    GK_EXPECT_STATUS(gk_qgemm_packed(packed, x, y2, m, n, k), GK_OK);
    GK_EXPECT_STATUS(gk_set_isa(isa), GK_OK);
    GK_EXPECT(gk_test_same_bits("packed tier vs scalar", y, y2, m * n, sizeof(float)),
              "%s m=%zu n=%zu k=%zu on %s", gk_qtype_name(t), m, n, k, isa);
    /* thread counts */
    for (int threads = 1; threads <= 3; threads += 2) {
        gk_set_num_threads(threads);
        GK_EXPECT_STATUS(gk_qgemm_packed(packed, x, y2, m, n, k), GK_OK);
        GK_EXPECT(gk_test_same_bits("packed threads", y, y2, m * n, sizeof(float)),
                  "%s at %d threads, m=%zu n=%zu k=%zu", gk_qtype_name(t), threads, m, n, k);
    }
    gk_set_num_threads(0);
    free(w);
    free(packed);
    free(wf);
    free(x);
    free(y);
    free(y2);
}

static void test_packed_errors(void)
{
    const gk_qtype t = GK_QTYPE_Q4_0;
    const size_t n = 9, k = 64, w_bytes = gk_qtype_row_bytes(t, k) * n;
    const size_t p_bytes = gk_qpack_size(t, n, k);
    unsigned char *w = calloc(w_bytes, 1), *packed = malloc(p_bytes + 64);
    float x[2 * 64], y[2 * 9];
    for (size_t i = 0; i < 2 * k; i++)
        x[i] = (float)i / 64.0f;

    GK_EXPECT(gk_qpack_size(GK_QTYPE_Q8_K, n, 256) == 0, "Q8_K has no packed layout");
    GK_EXPECT(gk_qpack_size(t, n, 33) == 0, "k not a block multiple");
    GK_EXPECT(gk_qpack_size(t, SIZE_MAX, 1u << 20) == 0, "overflow");
    GK_EXPECT(gk_qpack_size(t, 0, k) == 64, "n = 0: the header alone");

    /* nothing is written on error */
    memset(packed, 0xA5, p_bytes + 64);
    GK_EXPECT_STATUS(gk_qpack(GK_QTYPE_Q8_K, w, n, 256, packed, p_bytes), GK_EUNSUPPORTED);
    GK_EXPECT_STATUS(gk_qpack((gk_qtype)999, w, n, k, packed, p_bytes), GK_EINVAL);
    GK_EXPECT_STATUS(gk_qpack(t, w, n, 48, packed, p_bytes), GK_EINVAL);
    GK_EXPECT_STATUS(gk_qpack(t, NULL, n, k, packed, p_bytes), GK_EINVAL);
    GK_EXPECT_STATUS(gk_qpack(t, w, n, k, NULL, p_bytes), GK_EINVAL);
    GK_EXPECT_STATUS(gk_qpack(t, w, n, k, packed, p_bytes - 1), GK_EINVAL);
    GK_EXPECT_STATUS(gk_qpack(t, w, SIZE_MAX / 8, k, packed, p_bytes), GK_EOVERFLOW);
    GK_EXPECT_STATUS(gk_qpack(t, packed + 8, n, k, packed, p_bytes + 64), GK_EALIAS);
    bool untouched = true;
    for (size_t i = 0; i < p_bytes + 64; i++)
        untouched = untouched && packed[i] == 0xA5;
    GK_EXPECT(untouched, "gk_qpack wrote on error");

    GK_EXPECT_STATUS(gk_qpack(t, w, n, k, packed, p_bytes), GK_OK);
    float sentinel[2 * 9];
    for (size_t i = 0; i < 2 * n; i++)
        sentinel[i] = y[i] = -7.0f;
    GK_EXPECT_STATUS(gk_qgemm_packed(NULL, x, y, 2, n, k), GK_EINVAL);
    GK_EXPECT_STATUS(gk_qgemm_packed(packed, x, y, 2, n + 1, k), GK_EINVAL);
    GK_EXPECT_STATUS(gk_qgemm_packed(packed, x, y, 2, n, k + 32), GK_EINVAL);
    GK_EXPECT_STATUS(gk_qgemm_packed(packed, NULL, y, 2, n, k), GK_EINVAL);
    GK_EXPECT_STATUS(gk_qgemm_packed(packed, x, NULL, 2, n, k), GK_EINVAL);
    GK_EXPECT_STATUS(gk_qgemm_packed(packed, x, (float *)(void *)(packed + 64), 1, n, k),
                     GK_EALIAS);
    x[5] = NAN;
    GK_EXPECT_STATUS(gk_qgemm_packed(packed, x, y, 2, n, k), GK_EINVAL);
    x[5] = 5.0f / 64.0f;
    /* a damaged header, or a buffer that is not a packed one */
    for (size_t byte = 0; byte < 40; byte += 3) { /* the header's fields and checksum */
        packed[byte] ^= 0x10;
        GK_EXPECT_STATUS(gk_qgemm_packed(packed, x, y, 2, n, k), GK_EINVAL);
        packed[byte] ^= 0x10;
    }
    GK_EXPECT(memcmp(y, sentinel, sizeof y) == 0, "gk_qgemm_packed wrote on error");
    GK_EXPECT_STATUS(gk_qgemm_packed(packed, x, y, 0, n, k), GK_OK);
    GK_EXPECT(memcmp(y, sentinel, sizeof y) == 0, "m = 0 writes nothing");
    /* zero weights: every output is 0 */
    GK_EXPECT_STATUS(gk_qgemm_packed(packed, x, y, 2, n, k), GK_OK);
    bool zeros = true;
    for (size_t i = 0; i < 2 * n; i++)
        zeros = zeros && y[i] == 0.0f;
    GK_EXPECT(zeros, "zero scales give zero outputs");
    free(w);
    free(packed);
}

/* A grid format's packed buffer: the stale-header checks (another n or k, a damaged header). */
static void test_packed_iq_stale(gk_qtype t)
{
    const size_t n = 9, k = 2 * GK_QK_K, p_bytes = gk_qpack_size(t, n, k);
    unsigned char *w = calloc(gk_qtype_row_bytes(t, k), n), *packed = malloc(p_bytes);
    float *x = calloc(2 * (k + GK_QK_K), sizeof(float)), y[2 * 10], sentinel[2 * 10];
    for (size_t i = 0; i < 2 * 10; i++)
        sentinel[i] = y[i] = -7.0f;
    GK_EXPECT_STATUS(gk_qpack(t, w, n, k, packed, p_bytes), GK_OK);
    GK_EXPECT_STATUS(gk_qgemm_packed(packed, x, y, 2, n + 1, k), GK_EINVAL);
    GK_EXPECT_STATUS(gk_qgemm_packed(packed, x, y, 2, n - 1, k), GK_EINVAL);
    GK_EXPECT_STATUS(gk_qgemm_packed(packed, x, y, 2, n, k + GK_QK_K), GK_EINVAL);
    for (size_t byte = 0; byte < 40; byte += 3) {
        packed[byte] ^= 0x10;
        GK_EXPECT_STATUS(gk_qgemm_packed(packed, x, y, 2, n, k), GK_EINVAL);
        packed[byte] ^= 0x10;
    }
    GK_EXPECT(memcmp(y, sentinel, sizeof y) == 0, "packed %s: written on error", gk_qtype_name(t));
    GK_EXPECT_STATUS(gk_qgemm_packed(packed, x, y, 2, n, k), GK_OK);
    free(w);
    free(packed);
    free(x);
}

static void test_packed(void)
{
    test_packed_errors();
    for (size_t i = 0; i < sizeof packed_formats / sizeof packed_formats[0]; i++)
        if (packed_iq_grid(packed_formats[i].type)) test_packed_iq_stale(packed_formats[i].type);
    /* exactly the formats of the table have a packed layout */
    for (int t = 0; t < GK_QTYPE_COUNT; t++) {
        bool listed = false;
        for (size_t i = 0; i < sizeof packed_formats / sizeof packed_formats[0]; i++)
            listed |= packed_formats[i].type == (gk_qtype)t;
        GK_EXPECT((gk_qpack_size((gk_qtype)t, 8, 256) != 0) == listed, "%s: packed layout %s",
                  gk_qtype_name((gk_qtype)t), listed ? "missing" : "unexpected");
    }
    gk_rng rng = gk_rng_seeded(0x51ed27);
    const size_t ns[] = {1, 7, 8, 9, 16, 17, 40};
    const size_t ks[] = {1, 3, 16}; /* in blocks */
    const size_t ms[] = {1, 3, 7};
    for (size_t ti = 0; ti < sizeof packed_formats / sizeof packed_formats[0]; ti++) {
        const gk_qtype t = packed_formats[ti].type;
        const size_t column = packed_formats[ti].column;
        const size_t elems = gk_qtype_block_elems(t);
        for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++)
            for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
                test_packed_shape(&rng, t, column, ms[(ni + ki) % 3], ns[ni], ks[ki] * elems,
                                  false);
        /* enough rows to use the pool; the longest rows; integer sums at their bounds */
        test_packed_shape(&rng, t, column, 5, 16 * 40 + 5, 1024, false);
        if (gk_test_sweep(10) == 10) test_packed_shape(&rng, t, column, 6, 33, 16384, false);
        test_packed_shape(&rng, t, column, 2, 17, 16 * elems, true);
    }
}

int main(int argc, char **argv)
{
    gk_test_require_isa();
    test_neon_dot_builds();
    /* --neon-dot-builds: only the check above (the cheap run with GK_CPU_DISABLE=asimddp) */
    if (argc > 1 && strcmp(argv[1], "--neon-dot-builds") == 0)
        return gk_test_finish("test_qmatmul --neon-dot-builds");
    test_errors();
    test_activation_quantizers();
    test_wrappers();
    test_ex();
    test_threads();
    test_concurrent_callers();
    test_formats();
    test_packed();
    return gk_test_finish("test_qmatmul");
}
