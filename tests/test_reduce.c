/* SPDX-License-Identifier: MIT */
/* The reductions of ops.def (classes REDUCE and DOT: vec_sum, vec_sum_squares, vec_max,
 * vec_dot), every element type, on the tier under test:
 *   - the scalar reference and the kernel against a compensated double oracle: sums within 1e-6
 *     of the sum of magnitudes (tolerance REL), vec_max exact (tolerance EXACT);
 *   - f16/bf16: the f32 function's result on the widened data, bit for bit;
 *   - every size 0..257 at three misalignments, mixed-sign and positive data;
 *   - 10^8 random elements (10^7 emulated), where one f32 accumulator would fail the bound;
 *   - NaN and Inf anywhere (vector body and tail): the documented results;
 *   - identical bits for 1..4 threads; every error path leaving *out untouched. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gk_test.h"
#include "common/gk_test_dtypes.h"
#include "core/half.h"
#include "scalar_ops/ref.h"

enum tolerance { EXACT, REL };

static const double rel_bound = 1e-6;

/* ---- oracles: Kahan-compensated double sums, and the sum of magnitudes ------------------ */

typedef struct oracle_result {
    double value, magnitude;
} oracle_result;

static oracle_result oracle_sum(const float *x, const float *y, size_t n, int kind)
{
    double sum = 0.0, comp = 0.0, mag = 0.0, plain = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double term = kind == 0   ? (double)x[i]
                            : kind == 1 ? (double)x[i] * (double)x[i]
                                        : (double)x[i] * (double)y[i];
        const double t = term - comp, next = sum + t;
        comp = (next - sum) - t;
        sum = next;
        mag += fabs(term);
        plain += term;
    }
    /* Inf or NaN terms: compensation is meaningless, IEEE addition decides */
    return (oracle_result){isfinite(plain) ? sum : plain, mag};
}

static oracle_result oracle_vec_sum(const float *x, const float *y, size_t n)
{
    return oracle_sum(x, y, n, 0);
}

static oracle_result oracle_vec_sum_squares(const float *x, const float *y, size_t n)
{
    return oracle_sum(x, y, n, 1);
}

static oracle_result oracle_vec_dot(const float *x, const float *y, size_t n)
{
    return oracle_sum(x, y, n, 2);
}

static oracle_result oracle_vec_max(const float *x, const float *y, size_t n)
{
    (void)y;
    double m = -(double)INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) return (oracle_result){(double)NAN, 0.0};
        if ((double)x[i] > m) m = (double)x[i];
    }
    return (oracle_result){m, 0.0};
}

/* ---- adapters ------------------------------------------------------------------------------ */

typedef struct reduce_op {
    const char *name;
    size_t elem_bytes;
    enum tolerance tol;
    bool is_f32;
    gk_status (*run)(const void *a, const void *b, size_t n, float *out);
    double (*ref)(const void *a, const void *b, size_t n);
    oracle_result (*oracle)(const float *a, const float *b, size_t n);
    gk_status (*run_f32)(const void *a, const void *b, size_t n, float *out);
    void (*from_f32)(const float *x, void *y, size_t n); /* round f32 data to the type */
    void (*widen)(const void *x, float *y, size_t n);
} reduce_op;

#define GK_REDUCE_ADAPTER(op, family, t, tolerance, run_call, ref_call)                   \
    static gk_status run_##op(const void *a, const void *b, size_t n, float *out)         \
    {                                                                                     \
        (void)b;                                                                          \
        return run_call;                                                                  \
    }                                                                                     \
    static double ref_##op(const void *a, const void *b, size_t n)                        \
    {                                                                                     \
        (void)b;                                                                          \
        return ref_call;                                                                  \
    }                                                                                     \
    static gk_status run_f32_of_##op(const void *a, const void *b, size_t n, float *out); \
    static const reduce_op reduce_##op = {                                                \
        .name = #op,                                                                      \
        .elem_bytes = sizeof(gk_ctype_##t),                                               \
        .tol = tolerance,                                                                 \
        .is_f32 = GK_IS_F32_##t,                                                          \
        .run = run_##op,                                                                  \
        .ref = ref_##op,                                                                  \
        .oracle = oracle_##family,                                                        \
        .run_f32 = run_f32_of_##op,                                                       \
        .from_f32 = from_f32_##t,                                                         \
        .widen = widen_##t,                                                               \
    };

#define GK_EACH_REDUCE(op, family, src, t, tol) \
    GK_REDUCE_ADAPTER(op, family, t, tol, gk_##op(a, n, out), gk_ref_##op(a, n))
#define GK_EACH_DOT(op, family, src, t, tol) \
    GK_REDUCE_ADAPTER(op, family, t, tol, gk_##op(a, b, n, out), gk_ref_##op(a, b, n))
#include "ops/each_op.inc"

#define GK_RUN_F32_OF(op, family)                                                        \
    static gk_status run_f32_of_##op(const void *a, const void *b, size_t n, float *out) \
    {                                                                                    \
        return run_##family##_f32(a, b, n, out);                                         \
    }
#define GK_EACH_REDUCE(op, family, src, t, tol) GK_RUN_F32_OF(op, family)
#define GK_EACH_DOT(op, family, src, t, tol)    GK_RUN_F32_OF(op, family)
#include "ops/each_op.inc"

/* ---- checks -------------------------------------------------------------------------------- */

/* `got` (a float result of the op on inputs a, b) against the oracle or the f32 rule. */
static void check_result(
    const reduce_op *c, const char *what, float got, const void *a, const void *b, size_t n)
{
    float *fa = malloc((n + 1) * sizeof *fa), *fb = malloc((n + 1) * sizeof *fb);
    c->widen(a, fa, n);
    c->widen(b, fb, n);
    if (!c->is_f32) {
        float want = 0.0f;
        GK_EXPECT_STATUS(c->run_f32(fa, fb, n, &want), GK_OK);
        GK_EXPECT(gk_f32_bits(got) == gk_f32_bits(want) || (isnan(got) && isnan(want)),
                  "%s: got %a, the f32 function gives %a", what, (double)got, (double)want);
    } else {
        const oracle_result o = c->oracle(fa, fb, n);
        const double want = isnan(o.value) || isinf(o.value) ? o.value : (double)(float)o.value;
        if (isnan(want) || isinf(want) || c->tol == EXACT) {
            GK_EXPECT((isnan(got) && isnan(want)) || (double)got == want,
                      "%s n=%zu: got %a, want %a", what, n, (double)got, want);
        } else {
            const double err = fabs((double)got - o.value);
            if (n >= 1000000) /* quoted in the closing notes */
                printf("%s n=%zu: error %.3g of the sum of magnitudes\n", what, n,
                       err / o.magnitude);
            GK_EXPECT(err <= rel_bound * o.magnitude + 1e-30, /* + the float rounding of *out */
                      "%s n=%zu: got %.9g, want %.17g: error %.3g of magnitude %.3g", what, n,
                      (double)got, o.value, err, o.magnitude);
        }
    }
    free(fa);
    free(fb);
}

/* The reference against the oracle (f32 data only; f16/bf16 references are the same loops). */
static void
check_reference(const reduce_op *c, const char *what, const void *a, const void *b, size_t n)
{
    if (!c->is_f32) return;
    const float *fa = a, *fb = b;
    const oracle_result o = c->oracle(fa, fb, n);
    const double got = c->ref(a, b, n);
    if (c->tol == EXACT || isnan(o.value) || isinf(o.value))
        GK_EXPECT((isnan(got) && isnan(o.value)) || got == o.value, "%s reference: %a, want %a",
                  what, got, o.value);
    else
        GK_EXPECT(fabs(got - o.value) <= 1e-12 * o.magnitude, "%s reference: %.17g, want %.17g",
                  what, got, o.value);
}

static void fill_uniform(float *x, size_t n, gk_rng *rng, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = gk_rng_uniform(rng, lo, hi);
}

/* Runs the op on f32 data `fa`, `fb` converted to its type (at misalignment `misalign` elements,
 * in guarded buffers) and checks the result. */
static void run_and_check(const reduce_op *c,
                          const char *what,
                          const float *fa,
                          const float *fb,
                          size_t n,
                          size_t misalign)
{
    const size_t eb = c->elem_bytes;
    void *a = gk_guarded_alloc(n * eb, misalign * eb, 0), *b = gk_guarded_alloc(n * eb, 0, 0);
    c->from_f32(fa, a, n);
    c->from_f32(fb, b, n);
    float got = -1.0f;
    GK_EXPECT_STATUS(c->run(a, b, n, &got), GK_OK);
    check_result(c, what, got, a, b, n);
    check_reference(c, what, a, b, n);
    gk_guarded_check(what, a);
    gk_guarded_check(what, b);
    gk_guarded_free(a);
    gk_guarded_free(b);
}

enum { MAX_SMALL = 257 };

static void test_sizes(const reduce_op *c)
{
    gk_rng rng = gk_rng_seeded(0x5EED);
    float fa[MAX_SMALL + 1], fb[MAX_SMALL + 1];
    char what[96];
    for (size_t n = 0; n <= MAX_SMALL; n++) {
        for (size_t m = 0; m < 3; m++) {
            const bool positive = m == 1;
            fill_uniform(fa, n, &rng, positive ? 0.0f : -1.0f, 1.0f);
            fill_uniform(fb, n, &rng, positive ? 0.0f : -2.0f, 2.0f);
            snprintf(what, sizeof what, "%s n=%zu misalign=%zu", c->name, n, m);
            run_and_check(c, what, fa, fb, n, m == 2 ? 3 : m);
        }
    }
}

/* NaN, +Inf and -Inf at positions in the vector body and in the tail. */
static void test_specials(const reduce_op *c)
{
    enum { N = 203 };

    static const size_t positions[] = {0, 7, 64, 100, 195, 201, 202};
    float fa[N], fb[N];
    char what[96];
    gk_rng rng = gk_rng_seeded(0x1F);
    for (size_t p = 0; p < sizeof positions / sizeof positions[0]; p++) {
        const size_t at = positions[p];
        const float values[] = {NAN, INFINITY, -INFINITY, 3.0e38f, 1e-45f};
        for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
            fill_uniform(fa, N, &rng, -1.0f, 1.0f);
            fill_uniform(fb, N, &rng, -1.0f, 1.0f);
            fa[at] = values[v];
            snprintf(what, sizeof what, "%s %a at %zu", c->name, (double)values[v], at);
            run_and_check(c, what, fa, fb, N, 0);
            fa[(at + 50) % N] = -values[v]; /* +Inf with -Inf: NaN */
            snprintf(what, sizeof what, "%s +-%a at %zu", c->name, (double)values[v], at);
            run_and_check(c, what, fa, fb, N, 1);
        }
    }
    /* all -Inf: the maximum is -Inf, the sum -Inf */
    for (size_t i = 0; i < N; i++)
        fa[i] = -INFINITY;
    snprintf(what, sizeof what, "%s all -Inf", c->name);
    run_and_check(c, what, fa, fb, N, 0);
}

/* Large inputs, generated once: 10^8 positive values (no cancellation: the bound is tight
 * relative to the result; one f32 accumulator would be off by ~1e-4) and 10^7 of mixed sign. */
static float *large_a, *large_b;
static size_t large_n;

static void make_large_inputs(void)
{
    large_n = gk_test_sweep(100000000);
    large_a = malloc(large_n * sizeof *large_a);
    large_b = malloc(large_n * sizeof *large_b);
    gk_rng rng = gk_rng_seeded(0xB16);
    fill_uniform(large_a, large_n, &rng, 0.0f, 1.0f);
    fill_uniform(large_b, large_n, &rng, 0.0f, 1.0f);
}

/* The first n large inputs, mixed signs if asked, converted to c's type; checked at 1 thread,
 * then identical bits at 2..4 threads. */
static void test_large(const reduce_op *c, size_t n, bool mixed)
{
    const size_t eb = c->elem_bytes;
    void *a = malloc(n * eb), *b = malloc(n * eb);
    float *fa = large_a, *fb = large_b;
    if (mixed) {
        fa = malloc(n * sizeof *fa);
        fb = malloc(n * sizeof *fb);
        for (size_t i = 0; i < n; i++) {
            fa[i] = large_a[i] - 0.5f;
            fb[i] = 0.5f - large_b[i];
        }
    }
    c->from_f32(fa, a, n);
    c->from_f32(fb, b, n);
    char what[96];
    float first = 0.0f;
    for (int threads = 1; threads <= 4; threads++) {
        GK_EXPECT_STATUS(gk_set_num_threads(threads), GK_OK);
        float got = -1.0f;
        GK_EXPECT_STATUS(c->run(a, b, n, &got), GK_OK);
        if (threads == 1) {
            first = got;
            snprintf(what, sizeof what, "%s large %s", c->name, mixed ? "mixed" : "positive");
            check_result(c, what, got, a, b, n);
        }
        GK_EXPECT(gk_f32_bits(got) == gk_f32_bits(first),
                  "%s n=%zu: %d threads give %a, 1 thread %a", c->name, n, threads, (double)got,
                  (double)first);
    }
    GK_EXPECT_STATUS(gk_set_num_threads(0), GK_OK);
    if (mixed) {
        free(fa);
        free(fb);
    }
    free(a);
    free(b);
}

static void test_errors(const reduce_op *c)
{
    unsigned char data[64] = {0};
    float out = 42.0f;
    GK_EXPECT_STATUS(c->run(data, data, 4, NULL), GK_EINVAL);
    GK_EXPECT_STATUS(c->run(NULL, NULL, 0, NULL), GK_EINVAL);
    GK_EXPECT_STATUS(c->run(NULL, NULL, 4, &out), GK_EINVAL);
    GK_EXPECT(strstr(gk_last_error_detail(), c->name) != NULL, "detail: %s",
              gk_last_error_detail());
    GK_EXPECT_STATUS(c->run(data, data, SIZE_MAX / 2 + 1, &out), GK_EOVERFLOW);
    GK_EXPECT(out == 42.0f, "%s wrote *out on error", c->name);
    GK_EXPECT_STATUS(c->run(NULL, NULL, 0, &out), GK_OK);
    GK_EXPECT(out == (c->tol == EXACT ? -INFINITY : 0.0f), "%s of nothing: %a", c->name,
              (double)out);
    /* out may point into the input: it is written after every read */
    float x[40], want = 0.0f;
    for (size_t i = 0; i < 40; i++)
        x[i] = (float)i * 0.25f;
    GK_EXPECT_STATUS(c->run_f32(x, x, 40, &want), GK_OK);
    GK_EXPECT_STATUS(c->run_f32(x, x, 40, &x[39]), GK_OK);
    GK_EXPECT(gk_f32_bits(x[39]) == gk_f32_bits(want), "%s into its input: %a, want %a", c->name,
              (double)x[39], (double)want);
}

int main(void)
{
    gk_test_require_isa();
    make_large_inputs();
    const size_t n_mixed = large_n / 10, n_half = large_n / 30;
#define GK_RUN(op)                                                          \
    test_sizes(&reduce_##op);                                               \
    test_specials(&reduce_##op);                                            \
    test_large(&reduce_##op, reduce_##op.is_f32 ? large_n : n_half, false); \
    test_large(&reduce_##op, reduce_##op.is_f32 ? n_mixed : n_half, true);  \
    test_errors(&reduce_##op);
#define GK_EACH_REDUCE(op, family, src, t, tol) GK_RUN(op)
#define GK_EACH_DOT(op, family, src, t, tol)    GK_RUN(op)
#include "ops/each_op.inc"
    free(large_a);
    free(large_b);
    return gk_test_finish("test_reduce");
}
