/* SPDX-License-Identifier: MIT */
/* Element type conversions: the scalar reference against an independent double-precision oracle
 * (every f16/bf16 pattern, f32 edge cases, random f32 patterns), then every CVT op of ops.def on
 * the tier under test against the reference, bit for bit: all sizes through the vector tails,
 * unaligned pointers, guard bytes, large arrays split over threads, and every error path. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gk_test.h"
#include "core/half.h"
#include "scalar_ops/ref.h"

/* ---- independent oracle: values as doubles, nearest-even by comparison --------------------- */

static double oracle_f16_value(uint16_t h)
{
    const int e = (h >> 10) & 0x1F, m = h & 0x3FF;
    const double mag = e == 0 ? ldexp(m, -24) : ldexp(1024 + m, e - 25);
    return (h & 0x8000) ? -mag : mag;
}

static double oracle_bf16_value(uint16_t b)
{
    if ((b & 0x7FFF) == 0x7F80) return (b & 0x8000) ? -ldexp(1, 128) : ldexp(1, 128);
    return (double)gk_f32_from_bits((uint32_t)b << 16);
}

/* Picks between the candidates lo and lo + 1 (adjacent magnitudes) the one nearest |x|, ties to
 * the even pattern. `value` gives each pattern's magnitude (Inf counted as the next power of 2,
 * as IEEE 754 rounding does). */
static uint16_t oracle_pick(double ax, uint16_t lo, double (*value)(uint16_t))
{
    const double below = ax - value(lo), above = value((uint16_t)(lo + 1)) - ax;
    if (below < above) return lo;
    if (above < below) return (uint16_t)(lo + 1);
    return (lo & 1) ? (uint16_t)(lo + 1) : lo;
}

static double oracle_f16_magnitude(uint16_t h)
{
    return h >= 0x7C00 ? 65536.0 : oracle_f16_value(h);
}

static uint16_t oracle_f32_to_f16(float x)
{
    const uint32_t bits = gk_f32_bits(x);
    const uint16_t sign = (uint16_t)((bits >> 16) & 0x8000);
    if (isnan(x)) return (uint16_t)(sign | 0x7E00 | ((bits >> 13) & 0x3FF));
    const double ax = fabs((double)x);
    if (ax >= 65536.0) return (uint16_t)(sign | 0x7C00);
    /* largest pattern whose value is <= ax (patterns of non-negative f16 sort like values) */
    uint16_t lo = 0, hi = 0x7BFF;
    while (lo < hi) {
        const uint16_t mid = (uint16_t)((lo + hi + 1) / 2);
        if (oracle_f16_value(mid) <= ax)
            lo = mid;
        else
            hi = (uint16_t)(mid - 1);
    }
    return (uint16_t)(sign | oracle_pick(ax, lo, oracle_f16_magnitude));
}

static uint16_t oracle_f32_to_bf16(float x)
{
    const uint32_t bits = gk_f32_bits(x);
    const uint16_t sign = (uint16_t)((bits >> 16) & 0x8000);
    if (isnan(x)) return (uint16_t)((bits >> 16) | 0x0040);
    const uint16_t lo = (uint16_t)((bits & 0x7FFFFFFF) >> 16);
    if (lo == 0x7F80) return (uint16_t)(sign | lo);
    return (uint16_t)(sign | oracle_pick(fabs((double)x), lo, oracle_bf16_value));
}

static uint32_t oracle_widen_nan_or_value(uint16_t h, bool is_bf16)
{
    if (is_bf16) {
        const uint32_t x = (uint32_t)h << 16;
        return (x & 0x7FFFFFFF) > 0x7F800000 ? x | 0x00400000 : x;
    }
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    if ((h & 0x7C00) == 0x7C00)
        return sign | 0x7F800000 | ((h & 0x3FF) ? 0x00400000 | ((uint32_t)(h & 0x3FF) << 13) : 0);
    return gk_f32_bits((float)oracle_f16_value(h)); /* exact: every f16 is a float */
}

static void check_reference_against_oracle(void)
{
    for (uint32_t h = 0; h <= 0xFFFF; h++) {
        const uint32_t want_f16 = oracle_widen_nan_or_value((uint16_t)h, false);
        const uint32_t want_bf16 = oracle_widen_nan_or_value((uint16_t)h, true);
        const uint32_t got_f16 = gk_f32_bits(gk_f32_from_f16_bits((uint16_t)h));
        const uint32_t got_bf16 = gk_f32_bits(gk_f32_from_bf16_bits((uint16_t)h));
        GK_EXPECT(got_f16 == want_f16, "ref f16 0x%04x -> f32 0x%08x, oracle 0x%08x", h, got_f16,
                  want_f16);
        GK_EXPECT(got_bf16 == want_bf16, "ref bf16 0x%04x -> f32 0x%08x, oracle 0x%08x", h,
                  got_bf16, want_bf16);
    }
    float specials[128];
    const size_t n_special = gk_test_special_floats(specials, 128);
    gk_rng rng = gk_rng_seeded(1);
    const size_t n_random = gk_test_sweep(1000000);
    for (size_t i = 0; i < n_special + n_random; i++) {
        const float x = i < n_special ? specials[i] : gk_f32_from_bits(gk_rng_u32(&rng));
        const uint16_t got16 = gk_f16_bits_from_f32(x), want16 = oracle_f32_to_f16(x);
        const uint16_t gotb = gk_bf16_bits_from_f32(x), wantb = oracle_f32_to_bf16(x);
        GK_EXPECT(got16 == want16, "ref f32 0x%08x -> f16 0x%04x, oracle 0x%04x", gk_f32_bits(x),
                  got16, want16);
        GK_EXPECT(gotb == wantb, "ref f32 0x%08x -> bf16 0x%04x, oracle 0x%04x", gk_f32_bits(x),
                  gotb, wantb);
    }
}

/* ---- inputs per element type ------------------------------------------------------------- */

/* f32: the special values first, then random bit patterns (every class of float). */
static void fill_f32(float *x, size_t n, gk_rng *rng)
{
    float specials[128];
    const size_t n_special = gk_test_special_floats(specials, 128);
    for (size_t i = 0; i < n; i++)
        x[i] = i < n_special ? specials[i] : gk_f32_from_bits(gk_rng_u32(rng));
}

/* f16/bf16: every pattern in order while n allows, then random ones. */
static void fill_f16(gk_f16 *x, size_t n, gk_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        x[i].bits = (uint16_t)(i <= 0xFFFF ? i : gk_rng_u32(rng) >> 16);
}

static void fill_bf16(gk_bf16 *x, size_t n, gk_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        x[i].bits = (uint16_t)(i <= 0xFFFF ? i : gk_rng_u32(rng) >> 16);
}

/* ---- one generic test per CVT op of ops.def ------------------------------------------------ */

static const size_t misaligns[] = {0, 1, 3}; /* in elements */

#define GK_TEST_CVT(op, src, dst)                                                          \
    static void test_##op(void)                                                            \
    {                                                                                      \
        typedef gk_ctype_##src src_t;                                                      \
        typedef gk_ctype_##dst dst_t;                                                      \
        gk_rng rng = gk_rng_seeded(0x5eed);                                                \
        /* all patterns / many random ones, kernel vs reference */                         \
        const size_t n_bulk = sizeof(src_t) == 2 ? 0x10000 : gk_test_sweep(10000000);      \
        src_t *in = malloc(n_bulk * sizeof *in);                                           \
        dst_t *got = malloc(n_bulk * sizeof *got), *want = malloc(n_bulk * sizeof *want);  \
        fill_##src(in, n_bulk, &rng);                                                      \
        gk_ref_##op(in, want, n_bulk);                                                     \
        GK_EXPECT_STATUS(gk_##op(in, got, n_bulk), GK_OK);                                 \
        gk_test_same_bits(#op " bulk", got, want, n_bulk, sizeof(dst_t));                  \
        /* every size through the tails, at unaligned offsets, with guard bytes */         \
        for (size_t n = 0; n <= 3 * 64 + 3; n++) {                                         \
            for (size_t a = 0; a < sizeof misaligns / sizeof misaligns[0]; a++) {          \
                const size_t off = misaligns[a];                                           \
                src_t *s = gk_guarded_alloc(n * sizeof(src_t), off * sizeof(src_t), 0);    \
                dst_t *d = gk_guarded_alloc(n * sizeof(dst_t), off * sizeof(dst_t), 0xCD); \
                fill_##src(s, n, &rng);                                                    \
                gk_ref_##op(s, want, n);                                                   \
                GK_EXPECT_STATUS(gk_##op(s, d, n), GK_OK);                                 \
                char what[64];                                                             \
                snprintf(what, sizeof what, #op " n=%zu misalign=%zu", n, off);            \
                gk_test_same_bits(what, d, want, n, sizeof(dst_t));                        \
                gk_guarded_check(what, d);                                                 \
                gk_guarded_free(s);                                                        \
                gk_guarded_free(d);                                                        \
            }                                                                              \
        }                                                                                  \
        free(in);                                                                          \
        free(got);                                                                         \
        free(want);                                                                        \
        test_errors_##op();                                                                \
        test_threads_##op();                                                               \
    }

/* Every error path leaves the output untouched and names the function in the detail. */
#define GK_TEST_ERRORS_CVT(op, src, dst)                                                           \
    static void test_errors_##op(void)                                                             \
    {                                                                                              \
        typedef gk_ctype_##src src_t;                                                              \
        typedef gk_ctype_##dst dst_t;                                                              \
        enum { N = 64 };                                                                           \
        src_t s[N];                                                                                \
        dst_t d[N], pristine[N];                                                                   \
        memset(s, 0x3C, sizeof s);                                                                 \
        memset(d, 0xEE, sizeof d);                                                                 \
        memcpy(pristine, d, sizeof d);                                                             \
        GK_EXPECT_STATUS(gk_##op(NULL, d, N), GK_EINVAL);                                          \
        GK_EXPECT(strstr(gk_last_error_detail(), "gk_" #op) != NULL, "detail: %s",                 \
                  gk_last_error_detail());                                                         \
        GK_EXPECT_STATUS(gk_##op(s, NULL, N), GK_EINVAL);                                          \
        GK_EXPECT_STATUS(gk_##op(NULL, NULL, 0), GK_OK);                                           \
        GK_EXPECT_STATUS(gk_##op(s, d, SIZE_MAX / 2 + 1), GK_EOVERFLOW);                           \
        /* dst overlapping src, fully or partially, from either side */                            \
        unsigned char *raw = malloc(N * (sizeof(src_t) + sizeof(dst_t)));                          \
        memset(raw, 0x11, N *(sizeof(src_t) + sizeof(dst_t)));                                     \
        GK_EXPECT_STATUS(gk_##op((const src_t *)(void *)raw, (dst_t *)(void *)raw, N), GK_EALIAS); \
        GK_EXPECT_STATUS(                                                                          \
            gk_##op((const src_t *)(void *)(raw + 4 * sizeof(dst_t)), (dst_t *)(void *)raw, N),    \
            GK_EALIAS);                                                                            \
        GK_EXPECT_STATUS(                                                                          \
            gk_##op((const src_t *)(void *)raw, (dst_t *)(void *)(raw + 4 * sizeof(src_t)), N),    \
            GK_EALIAS);                                                                            \
        for (size_t i = 0; i < N * (sizeof(src_t) + sizeof(dst_t)); i++)                           \
            GK_EXPECT(raw[i] == 0x11, #op ": a rejected call wrote byte %zu", i);                  \
        free(raw);                                                                                 \
        gk_test_same_bits(#op " untouched after errors", d, pristine, N, sizeof(dst_t));           \
        /* adjacent but not overlapping is fine */                                                 \
        unsigned char *pair = malloc(N * (sizeof(src_t) + sizeof(dst_t)));                         \
        memset(pair, 0, N *(sizeof(src_t) + sizeof(dst_t)));                                       \
        GK_EXPECT_STATUS(                                                                          \
            gk_##op((const src_t *)(void *)pair, (dst_t *)(void *)(pair + N * sizeof(src_t)), N),  \
            GK_OK);                                                                                \
        free(pair);                                                                                \
    }

/* A large call is split over the pool; results are identical for every thread count. */
#define GK_TEST_THREADS_CVT(op, src, dst)                                              \
    static void test_threads_##op(void)                                                \
    {                                                                                  \
        typedef gk_ctype_##src src_t;                                                  \
        typedef gk_ctype_##dst dst_t;                                                  \
        const size_t n = gk_test_sweep((size_t)3 << 20) + 13;                          \
        gk_rng rng = gk_rng_seeded(77);                                                \
        src_t *s = malloc(n * sizeof *s);                                              \
        dst_t *want = malloc(n * sizeof *want), *got = malloc(n * sizeof *got);        \
        fill_##src(s, n, &rng);                                                        \
        gk_ref_##op(s, want, n);                                                       \
        static const int thread_counts[] = {1, 2, 3, 8};                               \
        for (size_t t = 0; t < sizeof thread_counts / sizeof thread_counts[0]; t++) {  \
            GK_EXPECT_STATUS(gk_set_num_threads(thread_counts[t]), GK_OK);             \
            memset(got, 0, n * sizeof *got);                                           \
            GK_EXPECT_STATUS(gk_##op(s, got, n), GK_OK);                               \
            char what[64];                                                             \
            snprintf(what, sizeof what, #op " n=%zu threads=%d", n, thread_counts[t]); \
            gk_test_same_bits(what, got, want, n, sizeof(dst_t));                      \
        }                                                                              \
        GK_EXPECT_STATUS(gk_set_num_threads(0), GK_OK);                                \
        free(s);                                                                       \
        free(want);                                                                    \
        free(got);                                                                     \
    }

#define GK_EACH_CVT(op, family, src, dst, tol) \
    GK_TEST_ERRORS_CVT(op, src, dst) GK_TEST_THREADS_CVT(op, src, dst) GK_TEST_CVT(op, src, dst)
#include "ops/each_op.inc"

/* f16 -> f32 -> f16 and bf16 -> f32 -> bf16 give back every pattern (NaNs come back quiet). */
static void test_round_trips(void)
{
    gk_f16 *h = malloc(0x10000 * sizeof *h), *h2 = malloc(0x10000 * sizeof *h2);
    gk_bf16 *b = malloc(0x10000 * sizeof *b), *b2 = malloc(0x10000 * sizeof *b2);
    float *f = malloc(0x10000 * sizeof *f);
    for (uint32_t i = 0; i <= 0xFFFF; i++) {
        h[i].bits = (uint16_t)i;
        b[i].bits = (uint16_t)i;
    }
    GK_EXPECT_STATUS(gk_cvt_f16_to_f32(h, f, 0x10000), GK_OK);
    GK_EXPECT_STATUS(gk_cvt_f32_to_f16(f, h2, 0x10000), GK_OK);
    GK_EXPECT_STATUS(gk_cvt_bf16_to_f32(b, f, 0x10000), GK_OK);
    GK_EXPECT_STATUS(gk_cvt_f32_to_bf16(f, b2, 0x10000), GK_OK);
    for (uint32_t i = 0; i <= 0xFFFF; i++) {
        const bool f16_nan = (i & 0x7C00) == 0x7C00 && (i & 0x3FF);
        const bool bf16_nan = (i & 0x7F80) == 0x7F80 && (i & 0x7F);
        const uint16_t want_h = (uint16_t)(f16_nan ? i | 0x0200 : i);
        const uint16_t want_b = (uint16_t)(bf16_nan ? i | 0x0040 : i);
        GK_EXPECT(h2[i].bits == want_h, "f16 0x%04x round trip gave 0x%04x", i, h2[i].bits);
        GK_EXPECT(b2[i].bits == want_b, "bf16 0x%04x round trip gave 0x%04x", i, b2[i].bits);
    }
    free(h);
    free(h2);
    free(b);
    free(b2);
    free(f);
}

int main(void)
{
    gk_test_require_isa();
    check_reference_against_oracle();
#define GK_EACH_CVT(op, family, src, dst, tol) test_##op();
#include "ops/each_op.inc"
    test_round_trips();
    return gk_test_finish("test_convert");
}
