/* SPDX-License-Identifier: MIT */
/* The element-wise ops of ops.def (classes BINARY, UNARY, SCALE, AXPY), every element type, on
 * the tier under test. One generic test drives them all through an adapter per op:
 *   - the scalar reference against a double-precision oracle (so the oracle of the kernels is
 *     itself checked);
 *   - the kernel against the reference (tolerance EXACT_NAN) or against the oracle within 2 ULP
 *     (tolerance ULP2; f16/bf16 ULP2 ops must equal the f32 op's result rounded to the type);
 *   - every size 0..257 (every tail of every tier) at three misalignments with guard bytes;
 *   - every operand the same array (in place);
 *   - large calls split over 1..4 threads giving identical bits;
 *   - every error path (per class), leaving the output untouched. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gk_oracles.h"
#include "common/gk_test.h"
#include "common/gk_test_dtypes.h"
#include "core/half.h"
#include "scalar_ops/ref.h"

/* ---- element types: widen to f32, round from f32, random fill ---------------------------- */

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
 * two inputs filled with different strides), then a mix of random values of moderate size and
 * random bit patterns. */
static float sample_value(gk_rng *rng, size_t i, size_t stride)
{
    static float specials[128];
    static size_t n_special;
    if (!n_special) n_special = gk_test_special_floats(specials, 128);
    if (i < n_special * n_special) return specials[(i / stride) % n_special];
    switch (gk_rng_u32(rng) % 3) {
    case 0: return gk_rng_uniform(rng, -1000.0f, 1000.0f);
    case 1: return gk_rng_uniform(rng, -10.0f, 10.0f);
    default: return gk_f32_from_bits(gk_rng_u32(rng));
    }
}

#define GK_TEST_DTYPE(t)                                                \
    static void fill_##t(void *p, size_t n, gk_rng *rng, size_t stride) \
    {                                                                   \
        gk_ctype_##t *x = p;                                            \
        for (size_t i = 0; i < n; i++)                                  \
            gk_store_##t(x + i, sample_value(rng, i, stride));          \
    }
GK_TEST_DTYPE(f32)
GK_TEST_DTYPE(f16)
GK_TEST_DTYPE(bf16)

/* Scalars of SCALE and AXPY: not powers of two, so the products round. */
static const float test_scale = -1.3125001f, test_axpy_a = 0.30000001f;

/* ---- oracles: the exact (or double-accurate) result of each family ---------------------- */

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

static double oracle_relu(double x)
{
    return (x > 0.0 || isnan(x)) ? x : 0.0;
}

static double oracle_vec_scale(double x)
{
    return x * (double)test_scale;
}

/* a*x is exact in double; the sum with y is rounded to odd in double (the two-sum error decides),
 * which makes the final rounding to f32 correct: a plain double or long double sum could round to
 * a tie first and then to even the wrong way. */
static double oracle_vec_axpy(double x, double y)
{
    const double product = (double)test_axpy_a * x, sum = product + y;
    if (!isfinite(sum)) return sum;
    const double b_virtual = sum - product;
    const double err = (product - (sum - b_virtual)) + (y - b_virtual);
    uint64_t bits;
    memcpy(&bits, &sum, sizeof bits);
    if (err == 0.0 || (bits & 1)) return sum;
    return nextafter(sum, err > 0 ? (double)INFINITY : -(double)INFINITY);
}

/* ---- the adapter of one op ------------------------------------------------------------------ */

enum tolerance { EXACT, EXACT_NAN, ULP2 };

typedef struct map_op {
    const char *name;
    size_t elem_bytes;
    enum tolerance tol;
    bool is_f32;
    /* out = op(a, b) through the public entry point; b is ignored by one-input classes; for
     * SCALE and AXPY the in/out operand starts as a copy of a (SCALE) or b (AXPY). */
    gk_status (*run)(const void *a, const void *b, void *out, size_t n);
    /* The same with every operand the array x (in place). */
    gk_status (*run_self)(void *x, size_t n);
    void (*ref)(const void *a, const void *b, void *out, size_t n);
    /* Element-wise oracle of the f32 (widened) inputs. */
    void (*oracle)(const float *a, const float *b, double *want, size_t n);
    /* The f32 op of the same family (for the f16/bf16 ULP2 rule). */
    gk_status (*run_f32)(const void *a, const void *b, void *out, size_t n);
    void (*fill)(void *x, size_t n, gk_rng *rng, size_t stride);
    void (*widen)(const void *x, float *y, size_t n);
    void (*narrow)(const float *x, void *y, size_t n);
    float (*round)(float x);
} map_op;

#define GK_ADAPT_COMMON(op, family, t, tolerance, class)                                 \
    static void oracle_##op(const float *a, const float *b, double *want, size_t n)      \
    {                                                                                    \
        for (size_t i = 0; i < n; i++)                                                   \
            want[i] = GK_ORACLE_##class(family, (double)a[i], (double)b[i]);             \
    }                                                                                    \
    static gk_status run_f32_of_##op(const void *a, const void *b, void *out, size_t n); \
    static const map_op map_##op = {                                                     \
        .name = #op,                                                                     \
        .elem_bytes = sizeof(gk_ctype_##t),                                              \
        .tol = tolerance,                                                                \
        .is_f32 = GK_IS_F32_##t,                                                         \
        .run = run_##op,                                                                 \
        .run_self = run_self_##op,                                                       \
        .ref = ref_##op,                                                                 \
        .oracle = oracle_##op,                                                           \
        .run_f32 = run_f32_of_##op,                                                      \
        .fill = fill_##t,                                                                \
        .widen = widen_##t,                                                              \
        .narrow = from_f32_##t,                                                          \
        .round = round_##t,                                                              \
    };

/* How each class calls its family's oracle with (widened) inputs a and b. */
#define GK_ORACLE_BINARY(family, a, b) oracle_##family(a, b)
#define GK_ORACLE_UNARY(family, a, b)  ((void)(b), oracle_##family(a))
#define GK_ORACLE_SCALE(family, a, b)  ((void)(b), oracle_##family(a))
#define GK_ORACLE_AXPY(family, a, b)   oracle_##family(a, b)

#define GK_EACH_BINARY(op, family, src, t, tol)                                  \
    static gk_status run_##op(const void *a, const void *b, void *out, size_t n) \
    {                                                                            \
        return gk_##op(a, b, out, n);                                            \
    }                                                                            \
    static gk_status run_self_##op(void *x, size_t n)                            \
    {                                                                            \
        return gk_##op(x, x, x, n);                                              \
    }                                                                            \
    static void ref_##op(const void *a, const void *b, void *out, size_t n)      \
    {                                                                            \
        gk_ref_##op(a, b, out, n);                                               \
    }                                                                            \
    GK_ADAPT_COMMON(op, family, t, tol, BINARY)

#define GK_EACH_UNARY(op, family, src, t, tol)                                   \
    static gk_status run_##op(const void *a, const void *b, void *out, size_t n) \
    {                                                                            \
        (void)b;                                                                 \
        return gk_##op(a, out, n);                                               \
    }                                                                            \
    static gk_status run_self_##op(void *x, size_t n)                            \
    {                                                                            \
        return gk_##op(x, x, n);                                                 \
    }                                                                            \
    static void ref_##op(const void *a, const void *b, void *out, size_t n)      \
    {                                                                            \
        (void)b;                                                                 \
        gk_ref_##op(a, out, n);                                                  \
    }                                                                            \
    GK_ADAPT_COMMON(op, family, t, tol, UNARY)

#define GK_EACH_SCALE(op, family, src, t, tol)                                   \
    static gk_status run_##op(const void *a, const void *b, void *out, size_t n) \
    {                                                                            \
        (void)b;                                                                 \
        memmove(out, a, n * sizeof(gk_ctype_##t));                               \
        return gk_##op(out, test_scale, n);                                      \
    }                                                                            \
    static gk_status run_self_##op(void *x, size_t n)                            \
    {                                                                            \
        return gk_##op(x, test_scale, n);                                        \
    }                                                                            \
    static void ref_##op(const void *a, const void *b, void *out, size_t n)      \
    {                                                                            \
        (void)b;                                                                 \
        memmove(out, a, n * sizeof(gk_ctype_##t));                               \
        gk_ref_##op(out, test_scale, n);                                         \
    }                                                                            \
    GK_ADAPT_COMMON(op, family, t, tol, SCALE)

#define GK_EACH_AXPY(op, family, src, t, tol)                                    \
    static gk_status run_##op(const void *a, const void *b, void *out, size_t n) \
    {                                                                            \
        memmove(out, b, n * sizeof(gk_ctype_##t));                               \
        return gk_##op(out, test_axpy_a, a, n);                                  \
    }                                                                            \
    static gk_status run_self_##op(void *x, size_t n)                            \
    {                                                                            \
        return gk_##op(x, test_axpy_a, x, n);                                    \
    }                                                                            \
    static void ref_##op(const void *a, const void *b, void *out, size_t n)      \
    {                                                                            \
        memmove(out, b, n * sizeof(gk_ctype_##t));                               \
        gk_ref_##op(out, test_axpy_a, a, n);                                     \
    }                                                                            \
    GK_ADAPT_COMMON(op, family, t, tol, AXPY)
#include "ops/each_op.inc"

/* run_f32_of_<op>: the f32 op of the op's family. */
#define GK_RUN_F32_OF(op, family)                                                       \
    static gk_status run_f32_of_##op(const void *a, const void *b, void *out, size_t n) \
    {                                                                                   \
        return run_##family##_f32(a, b, out, n);                                        \
    }
#define GK_EACH_BINARY(op, family, src, t, tol) GK_RUN_F32_OF(op, family)
#define GK_EACH_UNARY(op, family, src, t, tol)  GK_RUN_F32_OF(op, family)
#define GK_EACH_SCALE(op, family, src, t, tol)  GK_RUN_F32_OF(op, family)
#define GK_EACH_AXPY(op, family, src, t, tol)   GK_RUN_F32_OF(op, family)
#include "ops/each_op.inc"

/* ---- the generic test ---------------------------------------------------------------------- */

/* Compares element arrays as floats: bit-equal, or both NaN. */
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

/* The expected result of `c` on inputs a, b (n elements), as floats:
 * EXACT_NAN: the reference's result; ULP2 f32: the oracle rounded to f32; ULP2 f16/bf16: the f32
 * op's result on the widened inputs, rounded to the type. */
static void expected(const map_op *c, const void *a, const void *b, size_t n, float *want)
{
    float *fa = calloc(n + 1, sizeof *fa), *fb = calloc(n + 1, sizeof *fb);
    c->widen(a, fa, n);
    c->widen(b, fb, n);
    if (c->tol == EXACT_NAN) {
        void *out = calloc(n + 1, c->elem_bytes);
        c->ref(a, b, out, n);
        c->widen(out, want, n);
        free(out);
    } else if (c->is_f32) {
        double *exact = calloc(n + 1, sizeof *exact);
        c->oracle(fa, fb, exact, n);
        for (size_t i = 0; i < n; i++)
            want[i] = (float)exact[i];
        free(exact);
    } else {
        GK_EXPECT_STATUS(c->run_f32(fa, fb, want, n), GK_OK);
        for (size_t i = 0; i < n; i++)
            want[i] = c->round(want[i]);
    }
    free(fa);
    free(fb);
}

/* Checks the kernel's result `out` (n elements of the op's type) against `want`. */
static bool check(const map_op *c, const char *what, const void *out, const float *want, size_t n)
{
    float *got = calloc(n + 1, sizeof *got);
    c->widen(out, got, n);
    const bool ok = (c->tol == ULP2 && c->is_f32) ? gk_test_close_ulp(what, got, want, n, 2)
                                                  : same_or_both_nan(what, got, want, n);
    free(got);
    return ok;
}

/* The reference against the oracle: exact results rounded to f32, then to the type (ULP2
 * references are the plain float formulas the JIT lifts; test_activations.c bounds them). */
static void check_reference(const map_op *c, const void *a, const void *b, size_t n)
{
    if (c->tol != EXACT_NAN) return;
    float *fa = calloc(n, sizeof *fa), *fb = calloc(n, sizeof *fb);
    float *got = calloc(n, sizeof *got), *want = calloc(n, sizeof *want);
    double *exact = calloc(n, sizeof *exact);
    void *out = calloc(n, c->elem_bytes);
    c->widen(a, fa, n);
    c->widen(b, fb, n);
    c->oracle(fa, fb, exact, n);
    for (size_t i = 0; i < n; i++)
        want[i] = c->round((float)exact[i]);
    c->ref(a, b, out, n);
    c->widen(out, got, n);
    char what[96];
    snprintf(what, sizeof what, "%s reference vs oracle", c->name);
    same_or_both_nan(what, got, want, n);
    free(fa);
    free(fb);
    free(got);
    free(want);
    free(exact);
    free(out);
}

enum { MAX_SMALL = 257, N_SPECIAL_PAIRS = 128 * 128, N_THREADED = 1 << 19 };

static void test_map_op(const map_op *c)
{
    gk_rng rng = gk_rng_seeded(0xB1A7);
    const size_t eb = c->elem_bytes;
    const size_t n_bulk = gk_test_sweep(200000) + N_SPECIAL_PAIRS;
    const size_t n_max = n_bulk > N_THREADED ? n_bulk : N_THREADED;
    void *a = malloc(n_max * eb), *b = malloc(n_max * eb), *out = malloc(n_max * eb);
    float *want = calloc(n_max, sizeof *want);
    char what[128];

    /* bulk: specials in every pairing, then random values */
    c->fill(a, n_bulk, &rng, 1);
    c->fill(b, n_bulk, &rng, 128);
    check_reference(c, a, b, n_bulk);
    expected(c, a, b, n_bulk, want);
    GK_EXPECT_STATUS(c->run(a, b, out, n_bulk), GK_OK);
    snprintf(what, sizeof what, "%s bulk", c->name);
    check(c, what, out, want, n_bulk);

    /* every size, three misalignments, guard bytes; then in place */
    static const size_t misaligns[] = {0, 1, 3};
    for (size_t n = 0; n <= MAX_SMALL; n++) {
        for (size_t m = 0; m < 3; m++) {
            const size_t off = misaligns[m] * eb, bytes = n * eb;
            void *x = gk_guarded_alloc(bytes, off, 0), *y = gk_guarded_alloc(bytes, off, 0);
            void *z = gk_guarded_alloc(bytes, off, 0xCD);
            c->fill(x, n, &rng, 1);
            c->fill(y, n, &rng, 7);
            expected(c, x, y, n, want);
            snprintf(what, sizeof what, "%s n=%zu misalign=%zu", c->name, n, misaligns[m]);
            GK_EXPECT_STATUS(c->run(x, y, z, n), GK_OK);
            check(c, what, z, want, n);
            expected(c, x, x, n, want);
            snprintf(what, sizeof what, "%s in place n=%zu misalign=%zu", c->name, n, misaligns[m]);
            GK_EXPECT_STATUS(c->run_self(x, n), GK_OK);
            check(c, what, x, want, n);
            gk_guarded_check(what, x);
            gk_guarded_check(what, y);
            gk_guarded_check(what, z);
            gk_guarded_free(x);
            gk_guarded_free(y);
            gk_guarded_free(z);
        }
    }

    /* large calls are split over threads: identical bits for every count */
    c->fill(a, N_THREADED, &rng, 1);
    c->fill(b, N_THREADED, &rng, 3);
    void *first = malloc(N_THREADED * eb);
    for (int threads = 1; threads <= 4; threads++) {
        GK_EXPECT_STATUS(gk_set_num_threads(threads), GK_OK);
        memset(out, 0, N_THREADED * eb);
        GK_EXPECT_STATUS(c->run(a, b, out, N_THREADED), GK_OK);
        if (threads == 1) {
            memcpy(first, out, N_THREADED * eb);
            expected(c, a, b, N_THREADED, want);
            snprintf(what, sizeof what, "%s n=%d", c->name, N_THREADED);
            check(c, what, out, want, N_THREADED);
        }
        snprintf(what, sizeof what, "%s at %d threads", c->name, threads);
        gk_test_same_bits(what, out, first, N_THREADED, eb);
    }
    GK_EXPECT_STATUS(gk_set_num_threads(0), GK_OK);
    free(first);
    free(a);
    free(b);
    free(out);
    free(want);
}

/* ---- error paths, per class: nothing is written, the detail names the function ----------- */

enum { EN = 64 };

#define GK_ERRORS_BEGIN(op, t)          \
    typedef gk_ctype_##t elem;          \
    elem buf[3 * EN], pristine[3 * EN]; \
    memset(buf, 0x3C, sizeof buf);      \
    memcpy(pristine, buf, sizeof buf);  \
    elem *a = buf, *b = buf + EN, *out = buf + 2 * EN;

#define GK_ERRORS_END(op)                                                      \
    GK_EXPECT(strstr(gk_last_error_detail(), "gk_" #op) != NULL, "detail: %s", \
              gk_last_error_detail());                                         \
    gk_test_same_bits(#op " untouched after errors", buf, pristine, 3 * EN, sizeof(elem));

#define GK_EACH_BINARY(op, family, src, t, tol)                                      \
    static void test_errors_##op(void)                                               \
    {                                                                                \
        GK_ERRORS_BEGIN(op, t)                                                       \
        GK_EXPECT_STATUS(gk_##op(NULL, b, out, EN), GK_EINVAL);                      \
        GK_EXPECT_STATUS(gk_##op(a, NULL, out, EN), GK_EINVAL);                      \
        GK_EXPECT_STATUS(gk_##op(NULL, NULL, NULL, 0), GK_OK);                       \
        GK_EXPECT_STATUS(gk_##op(a, b, out, SIZE_MAX / 2 + 1), GK_EOVERFLOW);        \
        GK_EXPECT_STATUS(gk_##op(a, b, a + 1, EN), GK_EALIAS);      /* out over a */ \
        GK_EXPECT_STATUS(gk_##op(a + 2, b, a, EN), GK_EALIAS);      /* other side */ \
        GK_EXPECT_STATUS(gk_##op(a, b, b + EN / 2, EN), GK_EALIAS); /* out over b */ \
        GK_EXPECT_STATUS(gk_##op(a, b, NULL, EN), GK_EINVAL);                        \
        GK_ERRORS_END(op)                                                            \
        GK_EXPECT_STATUS(gk_##op(a, a + 1, out, EN), GK_OK); /* a, b may overlap */  \
    }

#define GK_EACH_UNARY(op, family, src, t, tol)                             \
    static void test_errors_##op(void)                                     \
    {                                                                      \
        GK_ERRORS_BEGIN(op, t)                                             \
        (void)b;                                                           \
        GK_EXPECT_STATUS(gk_##op(a, NULL, EN), GK_EINVAL);                 \
        GK_EXPECT_STATUS(gk_##op(NULL, NULL, 0), GK_OK);                   \
        GK_EXPECT_STATUS(gk_##op(a, out, SIZE_MAX / 2 + 1), GK_EOVERFLOW); \
        GK_EXPECT_STATUS(gk_##op(a, a + 1, EN), GK_EALIAS);                \
        GK_EXPECT_STATUS(gk_##op(a + 3, a, EN), GK_EALIAS);                \
        GK_EXPECT_STATUS(gk_##op(NULL, out, EN), GK_EINVAL);               \
        GK_ERRORS_END(op)                                                  \
    }

#define GK_EACH_SCALE(op, family, src, t, tol)                              \
    static void test_errors_##op(void)                                      \
    {                                                                       \
        GK_ERRORS_BEGIN(op, t)                                              \
        (void)b;                                                            \
        (void)out;                                                          \
        GK_EXPECT_STATUS(gk_##op(NULL, 2.0f, 0), GK_OK);                    \
        GK_EXPECT_STATUS(gk_##op(a, 2.0f, SIZE_MAX / 2 + 1), GK_EOVERFLOW); \
        GK_EXPECT_STATUS(gk_##op(NULL, 2.0f, EN), GK_EINVAL);               \
        GK_ERRORS_END(op)                                                   \
    }

#define GK_EACH_AXPY(op, family, src, t, tol)                                    \
    static void test_errors_##op(void)                                           \
    {                                                                            \
        GK_ERRORS_BEGIN(op, t)                                                   \
        (void)b;                                                                 \
        GK_EXPECT_STATUS(gk_##op(out, 2.0f, NULL, EN), GK_EINVAL);               \
        GK_EXPECT_STATUS(gk_##op(NULL, 2.0f, NULL, 0), GK_OK);                   \
        GK_EXPECT_STATUS(gk_##op(out, 2.0f, a, SIZE_MAX / 2 + 1), GK_EOVERFLOW); \
        GK_EXPECT_STATUS(gk_##op(a + 1, 2.0f, a, EN), GK_EALIAS);                \
        GK_EXPECT_STATUS(gk_##op(a, 2.0f, a + 5, EN), GK_EALIAS);                \
        GK_EXPECT_STATUS(gk_##op(NULL, 2.0f, a, EN), GK_EINVAL);                 \
        GK_ERRORS_END(op)                                                        \
    }
#include "ops/each_op.inc"

/* Which NaN a 16-bit op returns: relu passes a signalling bf16 NaN through, and the store must
 * quiet it and keep its payload (src/core/half.h) on every path of the tier (pairs, single
 * vectors, tails); same_or_both_nan above accepts any NaN. */
static void test_bf16_nan_bits(void)
{
    enum { N = 40 };

    gk_bf16 x[N], y[N];
    for (size_t n = 1; n <= N; n++) {
        for (size_t at = 0; at < n; at++) {
            for (size_t i = 0; i < n; i++)
                x[i].bits = (uint16_t)(0x3F80u + i); /* 1 + i/128: relu keeps it */
            x[at].bits = (uint16_t)(at % 2 ? 0xFF81u : 0x7F81u);
            GK_EXPECT_STATUS(gk_relu_bf16(x, y, n), GK_OK);
            for (size_t i = 0; i < n; i++) {
                const uint16_t want = (uint16_t)(i == at ? x[i].bits | 0x0040u : x[i].bits);
                GK_EXPECT(y[i].bits == want,
                          "relu_bf16 n=%zu NaN at %zu: y[%zu] = 0x%04x, want 0x%04x", n, at, i,
                          y[i].bits, want);
            }
        }
    }
}

int main(void)
{
    gk_test_require_isa();
#define GK_RUN(op)              \
    do {                        \
        test_map_op(&map_##op); \
        test_errors_##op();     \
    } while (0);
#define GK_EACH_BINARY(op, family, src, t, tol) GK_RUN(op)
#define GK_EACH_UNARY(op, family, src, t, tol)  GK_RUN(op)
#define GK_EACH_SCALE(op, family, src, t, tol)  GK_RUN(op)
#define GK_EACH_AXPY(op, family, src, t, tol)   GK_RUN(op)
#include "ops/each_op.inc"
    test_bf16_nan_bits();
    return gk_test_finish("test_ops");
}
