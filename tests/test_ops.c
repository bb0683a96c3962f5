/* SPDX-License-Identifier: MIT */
/* Element-wise BINARY ops (vec_add/sub/mul, f32/f16/bf16): the scalar reference against a
 * double-precision oracle, then every BINARY op of ops.def on the tier under test against the
 * reference: every size through the tails at unaligned offsets with guard bytes, special values
 * in every pairing, in-place calls, large calls split over threads, and every error path. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gk_test.h"
#include "core/half.h"
#include "scalar_ops/ref.h"

/* ---- element types: widen to f32, round from f32, random fill ---------------------------- */

static float widen_f32(float x)
{
    return x;
}

static float widen_f16(gk_f16 x)
{
    return gk_f32_from_f16_bits(x.bits);
}

static float widen_bf16(gk_bf16 x)
{
    return gk_f32_from_bf16_bits(x.bits);
}

static float round_f32(float x)
{
    return x;
}

static float round_f16(float x)
{
    return gk_f32_from_f16_bits(gk_f16_bits_from_f32(x));
}

static float round_bf16(float x)
{
    return gk_f32_from_bf16_bits(gk_bf16_bits_from_f32(x));
}

/* Values: the special floats first (so every pairing of them occurs among the first elements of
 * a and b, which are filled with different strides), then a mix of random normal-range values and
 * random bit patterns. */
static float sample_value(gk_rng *rng, size_t i, size_t stride)
{
    static float specials[128];
    static size_t n_special;
    if (!n_special) n_special = gk_test_special_floats(specials, 128);
    if (i < n_special * n_special) return specials[(i / stride) % n_special];
    return (gk_rng_u32(rng) & 1) ? gk_rng_uniform(rng, -1000.0f, 1000.0f)
                                 : gk_f32_from_bits(gk_rng_u32(rng));
}

static void fill_f32(float *x, size_t n, gk_rng *rng, size_t stride)
{
    for (size_t i = 0; i < n; i++)
        x[i] = sample_value(rng, i, stride);
}

static void fill_f16(gk_f16 *x, size_t n, gk_rng *rng, size_t stride)
{
    for (size_t i = 0; i < n; i++)
        x[i].bits = gk_f16_bits_from_f32(sample_value(rng, i, stride));
}

static void fill_bf16(gk_bf16 *x, size_t n, gk_rng *rng, size_t stride)
{
    for (size_t i = 0; i < n; i++)
        x[i].bits = gk_bf16_bits_from_f32(sample_value(rng, i, stride));
}

/* Compares element arrays as floats: bit-equal, or both NaN (tolerance EXACT_NAN). */
static bool same_or_both_nan(const char *what, const float *got, const float *want, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (isnan(got[i]) && isnan(want[i])) continue;
        if (gk_f32_bits(got[i]) == gk_f32_bits(want[i])) continue;
        gk_test_fail(__FILE__, __LINE__, "%s: element %zu of %zu: got %a, want %a", what, i, n,
                     (double)got[i], (double)want[i]);
        return false;
    }
    return true;
}

static double oracle_vec_add(double x, double y)
{
    return x + y;
}

static double oracle_vec_sub(double x, double y)
{
    return x - y;
}

static double oracle_vec_mul(double x, double y)
{
    return x * y;
}

enum { MAX_SMALL = 3 * 64 + 3, BIG_SPECIALS = 128 * 128 };

/* One generic test per BINARY op. The oracle: the exact result in double, rounded to f32 (for
 * +, -, * the double result rounded to f32 is the correctly rounded f32 result), then rounded
 * once to the element type. */
#define GK_TEST_BINARY(op, family, t)                                                            \
    static void widen_array_##op(const gk_ctype_##t *x, float *y, size_t n)                      \
    {                                                                                            \
        for (size_t i = 0; i < n; i++)                                                           \
            y[i] = widen_##t(x[i]);                                                              \
    }                                                                                            \
                                                                                                 \
    static void test_##op(void)                                                                  \
    {                                                                                            \
        typedef gk_ctype_##t elem;                                                               \
        gk_rng rng = gk_rng_seeded(0xB1A7);                                                      \
        const size_t n_bulk = gk_test_sweep(200000) + BIG_SPECIALS;                              \
        elem *a = malloc(n_bulk * sizeof *a), *b = malloc(n_bulk * sizeof *b);                   \
        elem *got = malloc(n_bulk * sizeof *got), *want = malloc(n_bulk * sizeof *want);         \
        float *fg = calloc(n_bulk, sizeof *fg), *fw = calloc(n_bulk, sizeof *fw);                \
        fill_##t(a, n_bulk, &rng, 1);                                                            \
        fill_##t(b, n_bulk, &rng, 128);                                                          \
        gk_ref_##op(a, b, want, n_bulk);                                                         \
        /* the reference against the oracle */                                                   \
        widen_array_##op(want, fw, n_bulk);                                                      \
        for (size_t i = 0; i < n_bulk; i++) {                                                    \
            const double exact =                                                                 \
                oracle_##family((double)widen_##t(a[i]), (double)widen_##t(b[i]));               \
            fg[i] = round_##t((float)exact);                                                     \
        }                                                                                        \
        same_or_both_nan(#op " reference vs oracle", fw, fg, n_bulk);                            \
        /* the kernel against the reference */                                                   \
        GK_EXPECT_STATUS(gk_##op(a, b, got, n_bulk), GK_OK);                                     \
        widen_array_##op(got, fg, n_bulk);                                                       \
        same_or_both_nan(#op " bulk", fg, fw, n_bulk);                                           \
        /* every size, three misalignments, guard bytes, and in place */                         \
        static const size_t misaligns[] = {0, 1, 3};                                             \
        for (size_t n = 0; n <= MAX_SMALL; n++) {                                                \
            for (size_t m = 0; m < 3; m++) {                                                     \
                const size_t off = misaligns[m] * sizeof(elem), bytes = n * sizeof(elem);        \
                elem *x = gk_guarded_alloc(bytes, off, 0), *y = gk_guarded_alloc(bytes, off, 0); \
                elem *z = gk_guarded_alloc(bytes, off, 0xCD);                                    \
                fill_##t(x, n, &rng, 1);                                                         \
                fill_##t(y, n, &rng, 7);                                                         \
                gk_ref_##op(x, y, want, n);                                                      \
                widen_array_##op(want, fw, n);                                                   \
                char what[96];                                                                   \
                snprintf(what, sizeof what, #op " n=%zu misalign=%zu", n, misaligns[m]);         \
                GK_EXPECT_STATUS(gk_##op(x, y, z, n), GK_OK);                                    \
                widen_array_##op(z, fg, n);                                                      \
                same_or_both_nan(what, fg, fw, n);                                               \
                gk_guarded_check(what, z);                                                       \
                GK_EXPECT_STATUS(gk_##op(x, y, x, n), GK_OK); /* out == a */                     \
                widen_array_##op(x, fg, n);                                                      \
                same_or_both_nan(what, fg, fw, n);                                               \
                memcpy(x, y, bytes);                                                             \
                gk_ref_##op(x, x, want, n);                                                      \
                widen_array_##op(want, fw, n);                                                   \
                GK_EXPECT_STATUS(gk_##op(y, y, y, n), GK_OK); /* out == a == b */                \
                widen_array_##op(y, fg, n);                                                      \
                same_or_both_nan(what, fg, fw, n);                                               \
                gk_guarded_check(what, x);                                                       \
                gk_guarded_check(what, y);                                                       \
                gk_guarded_free(x);                                                              \
                gk_guarded_free(y);                                                              \
                gk_guarded_free(z);                                                              \
            }                                                                                    \
        }                                                                                        \
        /* large calls are split over threads: identical bits for every count */                 \
        gk_ref_##op(a, b, want, n_bulk);                                                         \
        widen_array_##op(want, fw, n_bulk);                                                      \
        for (int threads = 1; threads <= 4; threads++) {                                         \
            GK_EXPECT_STATUS(gk_set_num_threads(threads), GK_OK);                                \
            memset(got, 0, n_bulk * sizeof *got);                                                \
            GK_EXPECT_STATUS(gk_##op(a, b, got, n_bulk), GK_OK);                                 \
            widen_array_##op(got, fg, n_bulk);                                                   \
            same_or_both_nan(#op " threads", fg, fw, n_bulk);                                    \
        }                                                                                        \
        GK_EXPECT_STATUS(gk_set_num_threads(0), GK_OK);                                          \
        test_errors_##op();                                                                      \
        free(a);                                                                                 \
        free(b);                                                                                 \
        free(got);                                                                               \
        free(want);                                                                              \
        free(fg);                                                                                \
        free(fw);                                                                                \
    }

/* Every error path leaves the output untouched and names the function. */
#define GK_TEST_ERRORS_BINARY(op, t)                                                          \
    static void test_errors_##op(void)                                                        \
    {                                                                                         \
        typedef gk_ctype_##t elem;                                                            \
        enum { N = 64 };                                                                      \
        elem buf[3 * N], pristine[3 * N];                                                     \
        memset(buf, 0x3C, sizeof buf);                                                        \
        memcpy(pristine, buf, sizeof buf);                                                    \
        elem *a = buf, *b = buf + N, *out = buf + 2 * N;                                      \
        GK_EXPECT_STATUS(gk_##op(NULL, b, out, N), GK_EINVAL);                                \
        GK_EXPECT(strstr(gk_last_error_detail(), "gk_" #op) != NULL, "detail: %s",            \
                  gk_last_error_detail());                                                    \
        GK_EXPECT_STATUS(gk_##op(a, NULL, out, N), GK_EINVAL);                                \
        GK_EXPECT_STATUS(gk_##op(a, b, NULL, N), GK_EINVAL);                                  \
        GK_EXPECT_STATUS(gk_##op(NULL, NULL, NULL, 0), GK_OK);                                \
        GK_EXPECT_STATUS(gk_##op(a, b, out, SIZE_MAX / 2 + 1), GK_EOVERFLOW);                 \
        GK_EXPECT_STATUS(gk_##op(a, b, a + 1, N), GK_EALIAS);     /* out partially over a */  \
        GK_EXPECT_STATUS(gk_##op(a + 2, b, a, N), GK_EALIAS);     /* from the other side */   \
        GK_EXPECT_STATUS(gk_##op(a, b, b + N / 2, N), GK_EALIAS); /* out partially over b */  \
        gk_test_same_bits(#op " untouched after errors", buf, pristine, 3 * N, sizeof(elem)); \
        GK_EXPECT_STATUS(gk_##op(a, a + 1, out, N), GK_OK); /* a and b may overlap */         \
    }

#define GK_OP(op, family, sig, src, dst, tol) \
    GK_ERRORS_##sig(op, dst) GK_TESTS_##sig(op, family, dst)
#define GK_ERRORS_BINARY(op, t)        GK_TEST_ERRORS_BINARY(op, t)
#define GK_TESTS_BINARY(op, family, t) GK_TEST_BINARY(op, family, t)
#define GK_ERRORS_CVT(op, t)           /* test_convert.c */
#define GK_TESTS_CVT(op, family, t)    /* test_convert.c */
#include "ops/ops.def"
#undef GK_OP

int main(void)
{
    gk_test_require_isa();
#define GK_RUN_BINARY(op)                     test_##op();
#define GK_RUN_CVT(op)                        /* test_convert.c */
#define GK_OP(op, family, sig, src, dst, tol) GK_RUN_##sig(op)
#include "ops/ops.def"
#undef GK_OP
    return gk_test_finish("test_ops");
}
