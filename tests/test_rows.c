/* SPDX-License-Identifier: MIT */
/* The row-wise ops of ops.def (RMS_NORM, LAYER_NORM, SOFTMAX), every element type, on the tier
 * under test:
 *   - the f32 kernel and the scalar reference against a double-precision oracle (norms: each
 *     element within 1e-5 relative, layer_norm also 1e-6 |gamma| absolute; softmax: 2 ULP +
 *     1e-7 absolute); softmax rows with NaN, -Inf and +Inf, and a row of 256K columns;
 *   - f16/bf16: the f32 function's result on the widened data, rounded once, bit for bit;
 *   - cols 1..70 (every tail) and wide rows beyond one part, rows 1..7, three misalignments,
 *     parameters given or NULL, rows with a large mean against their spread, in place;
 *   - identical bits for 1..4 threads; every error path, output untouched. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gk_test.h"
#include "common/gk_test_dtypes.h"
#include "core/half.h"
#include "scalar_ops/ref.h"

/* ---- oracles (double throughout) -------------------------------------------------------- */

/* Exact result of row `x` into `want`; `slack[i]` the allowed absolute error beyond 1e-5
 * relative. p1, p2: weight / gamma, beta (NULL if absent). */
static void oracle_rms_norm(const float *x,
                            const float *p1,
                            const float *p2,
                            size_t cols,
                            float eps,
                            double *want,
                            double *slack)
{
    (void)p2;
    double sum_sq = 0.0;
    for (size_t i = 0; i < cols; i++)
        sum_sq += (double)x[i] * (double)x[i];
    const double scale = 1.0 / sqrt(sum_sq / (double)cols + (double)eps);
    for (size_t i = 0; i < cols; i++) {
        want[i] = (double)x[i] * scale * (p1 ? (double)p1[i] : 1.0);
        slack[i] = 1e-30;
    }
}

static void oracle_layer_norm(const float *x,
                              const float *p1,
                              const float *p2,
                              size_t cols,
                              float eps,
                              double *want,
                              double *slack)
{
    double sum = 0.0, sum_sq = 0.0;
    for (size_t i = 0; i < cols; i++)
        sum += (double)x[i];
    const double mean = sum / (double)cols;
    for (size_t i = 0; i < cols; i++)
        sum_sq += ((double)x[i] - mean) * ((double)x[i] - mean);
    const double rstd = 1.0 / sqrt(sum_sq / (double)cols + (double)eps);
    for (size_t i = 0; i < cols; i++) {
        const double g = p1 ? (double)p1[i] : 1.0, b = p2 ? (double)p2[i] : 0.0;
        want[i] = ((double)x[i] - mean) * rstd * g + b;
        slack[i] = 1e-6 * fabs(g) + 1e-6 * fabs(b) + 1e-30;
    }
}

static void oracle_softmax(const float *x,
                           const float *p1,
                           const float *p2,
                           size_t cols,
                           float eps,
                           double *want,
                           double *slack)
{
    (void)p1;
    (void)p2;
    (void)eps;
    double m = -(double)INFINITY, sum = 0.0;
    size_t n_nan = 0, n_inf = 0;
    for (size_t i = 0; i < cols; i++) {
        n_nan += isnan(x[i]);
        n_inf += x[i] == INFINITY;
        if ((double)x[i] > m) m = (double)x[i];
    }
    for (size_t i = 0; i < cols; i++)
        sum += exp((double)x[i] - m);
    for (size_t i = 0; i < cols; i++) {
        if (n_nan)
            want[i] = (double)NAN;
        else if (m == -(double)INFINITY)
            want[i] = 0.0;
        else if (n_inf)
            want[i] = x[i] == INFINITY ? 1.0 / (double)n_inf : 0.0;
        else
            want[i] = exp((double)x[i] - m) / sum;
        const float w = (float)fabs(want[i]);
        slack[i] = 2.0 * (double)(nextafterf(w, INFINITY) - w) + 1e-7;
    }
}

/* ---- adapters ------------------------------------------------------------------------------ */

typedef struct rows_op {
    const char *name;
    size_t elem_bytes;
    bool is_f32, has_p1, has_p2, has_eps;
    double rel; /* allowed relative error, beyond the oracle's absolute slack */
    gk_status (*run)(const void *x,
                     const void *p1,
                     const void *p2,
                     void *y,
                     size_t rows,
                     size_t cols,
                     float eps);
    void (*ref)(const void *x,
                const void *p1,
                const void *p2,
                void *y,
                size_t rows,
                size_t cols,
                float eps);
    void (*oracle)(const float *x,
                   const float *p1,
                   const float *p2,
                   size_t cols,
                   float eps,
                   double *want,
                   double *slack);
    gk_status (*run_f32)(const void *x,
                         const void *p1,
                         const void *p2,
                         void *y,
                         size_t rows,
                         size_t cols,
                         float eps);
    void (*from_f32)(const float *x, void *y, size_t n);
    void (*widen)(const void *x, float *y, size_t n);
} rows_op;

#define GK_ROWS_ADAPTER(op, family, t, params, run_call, ref_call)                                 \
    static gk_status run_##op(const void *x, const void *p1, const void *p2, void *y, size_t rows, \
                              size_t cols, float eps)                                              \
    {                                                                                              \
        (void)p1, (void)p2, (void)eps;                                                             \
        return run_call;                                                                           \
    }                                                                                              \
    static void ref_##op(const void *x, const void *p1, const void *p2, void *y, size_t rows,      \
                         size_t cols, float eps)                                                   \
    {                                                                                              \
        (void)p1, (void)p2, (void)eps;                                                             \
        ref_call;                                                                                  \
    }                                                                                              \
    static gk_status run_f32_of_##op(const void *x, const void *p1, const void *p2, void *y,       \
                                     size_t rows, size_t cols, float eps);                         \
    static const rows_op rows_##op = {                                                             \
        .name = #op,                                                                               \
        .elem_bytes = sizeof(gk_ctype_##t),                                                        \
        .is_f32 = GK_IS_F32_##t,                                                                   \
        .has_p1 = (params) >= 1,                                                                   \
        .has_p2 = (params) >= 2,                                                                   \
        .has_eps = (params) >= 1,                                                                  \
        .rel = (params) >= 1 ? 1e-5 : 0.0,                                                         \
        .run = run_##op,                                                                           \
        .ref = ref_##op,                                                                           \
        .oracle = oracle_##family,                                                                 \
        .run_f32 = run_f32_of_##op,                                                                \
        .from_f32 = from_f32_##t,                                                                  \
        .widen = widen_##t,                                                                        \
    };

#define GK_EACH_RMS_NORM(op, family, src, t, tol)                         \
    GK_ROWS_ADAPTER(op, family, t, 1, gk_##op(x, p1, y, rows, cols, eps), \
                    gk_ref_##op(x, p1, y, rows, cols, eps))
#define GK_EACH_LAYER_NORM(op, family, src, t, tol)                           \
    GK_ROWS_ADAPTER(op, family, t, 2, gk_##op(x, p1, p2, y, rows, cols, eps), \
                    gk_ref_##op(x, p1, p2, y, rows, cols, eps))
#define GK_EACH_SOFTMAX(op, family, src, t, tol) \
    GK_ROWS_ADAPTER(op, family, t, 0, gk_##op(x, y, rows, cols), gk_ref_##op(x, y, rows, cols))
#include "ops/each_op.inc"

#define GK_RUN_F32_OF(op, family)                                                            \
    static gk_status run_f32_of_##op(const void *x, const void *p1, const void *p2, void *y, \
                                     size_t rows, size_t cols, float eps)                    \
    {                                                                                        \
        return run_##family##_f32(x, p1, p2, y, rows, cols, eps);                            \
    }
#define GK_EACH_RMS_NORM(op, family, src, t, tol)   GK_RUN_F32_OF(op, family)
#define GK_EACH_LAYER_NORM(op, family, src, t, tol) GK_RUN_F32_OF(op, family)
#define GK_EACH_SOFTMAX(op, family, src, t, tol)    GK_RUN_F32_OF(op, family)
#include "ops/each_op.inc"

/* ---- one case ------------------------------------------------------------------------------ */

typedef struct rows_case {
    size_t rows, cols, misalign;
    bool with_p1, with_p2, in_place;
    float eps, offset, spread; /* x = offset + spread * uniform(-1, 1) */
    float special;             /* if nonzero: put this value into some elements of each row */
    bool special_odd_rows;     /* ... of the odd rows only (ops that carry a row's statistic
                                  into the next row's pass must restart after a special row) */
} rows_case;

/* Checks `got` (rows x cols of c's type, computed from x, p1, p2 of c's type). */
static void check_rows(const rows_op *c,
                       const char *what,
                       const void *got,
                       const void *x,
                       const void *p1,
                       const void *p2,
                       const rows_case *k)
{
    const size_t n = k->rows * k->cols;
    float *fg = malloc((n + 1) * sizeof *fg), *fx = malloc((n + 1) * sizeof *fx);
    float *f1 = malloc((k->cols + 1) * sizeof *f1), *f2 = malloc((k->cols + 1) * sizeof *f2);
    c->widen(got, fg, n);
    c->widen(x, fx, n);
    if (p1) c->widen(p1, f1, k->cols);
    if (p2) c->widen(p2, f2, k->cols);
    if (!c->is_f32) {
        /* the f32 function on the widened data, rounded to the type */
        float *want = malloc((n + 1) * sizeof *want);
        void *rounded = malloc((n + 1) * c->elem_bytes);
        GK_EXPECT_STATUS(
            c->run_f32(fx, p1 ? f1 : NULL, p2 ? f2 : NULL, want, k->rows, k->cols, k->eps), GK_OK);
        c->from_f32(want, rounded, n);
        c->widen(rounded, want, n);
        for (size_t i = 0; i < n; i++) {
            if (gk_f32_bits(fg[i]) == gk_f32_bits(want[i]) || (isnan(fg[i]) && isnan(want[i])))
                continue;
            gk_test_fail(__FILE__, __LINE__, "%s: element %zu: got %a, f32 rounded %a", what, i,
                         (double)fg[i], (double)want[i]);
            break;
        }
        free(want);
        free(rounded);
    } else {
        double *want = malloc((k->cols + 1) * sizeof *want);
        double *slack = malloc((k->cols + 1) * sizeof *slack);
        for (size_t r = 0; r < k->rows; r++) {
            c->oracle(fx + r * k->cols, p1 ? f1 : NULL, p2 ? f2 : NULL, k->cols, k->eps, want,
                      slack);
            for (size_t i = 0; i < k->cols; i++) {
                const double got_i = (double)fg[r * k->cols + i];
                const double err = fabs(got_i - want[i]);
                if (err <= c->rel * fabs(want[i]) + slack[i] || (isnan(got_i) && isnan(want[i])))
                    continue;
                gk_test_fail(__FILE__, __LINE__, "%s: row %zu col %zu: got %.9g, want %.12g", what,
                             r, i, got_i, want[i]);
                r = k->rows;
                break;
            }
        }
        free(want);
        free(slack);
    }
    free(fg);
    free(fx);
    free(f1);
    free(f2);
}

static void run_case(const rows_op *c, const rows_case *k, gk_rng *rng)
{
    const size_t n = k->rows * k->cols, eb = c->elem_bytes;
    float *fx = malloc((n + 1) * sizeof *fx), *f1 = malloc((k->cols + 1) * sizeof *f1);
    float *f2 = malloc((k->cols + 1) * sizeof *f2);
    for (size_t i = 0; i < n; i++)
        fx[i] = k->offset + k->spread * gk_rng_uniform(rng, -1.0f, 1.0f);
    if (k->special != 0.0f)
        for (size_t i = 0; i < n; i += 1 + gk_rng_u32(rng) % 5)
            if (!k->special_odd_rows || i / k->cols % 2 == 1) fx[i] = k->special;
    for (size_t i = 0; i < k->cols; i++) {
        f1[i] = gk_rng_uniform(rng, -2.0f, 2.0f);
        f2[i] = gk_rng_uniform(rng, -1.0f, 1.0f);
    }
    void *x = gk_guarded_alloc(n * eb, k->misalign * eb, 0);
    void *y = gk_guarded_alloc(n * eb, k->misalign * eb, 0xCD);
    void *p1 = k->with_p1 && c->has_p1 ? gk_guarded_alloc(k->cols * eb, 0, 0) : NULL;
    void *p2 = k->with_p2 && c->has_p2 ? gk_guarded_alloc(k->cols * eb, 0, 0) : NULL;
    c->from_f32(fx, x, n);
    if (p1) c->from_f32(f1, p1, k->cols);
    if (p2) c->from_f32(f2, p2, k->cols);
    char what[128];
    snprintf(what, sizeof what, "%s rows=%zu cols=%zu misalign=%zu%s%s%s offset=%g", c->name,
             k->rows, k->cols, k->misalign, p1 ? " p1" : "", p2 ? " p2" : "",
             k->in_place ? " in place" : "", (double)k->offset);
    if (k->in_place) {
        memcpy(y, x, n * eb);
        GK_EXPECT_STATUS(c->run(y, p1, p2, y, k->rows, k->cols, k->eps), GK_OK);
    } else {
        GK_EXPECT_STATUS(c->run(x, p1, p2, y, k->rows, k->cols, k->eps), GK_OK);
    }
    check_rows(c, what, y, x, p1, p2, k);
    if (c->is_f32) { /* the reference meets the same bound */
        void *r = malloc((n + 1) * eb);
        c->ref(x, p1, p2, r, k->rows, k->cols, k->eps);
        strncat(what, " (reference)", sizeof what - strlen(what) - 1);
        check_rows(c, what, r, x, p1, p2, k);
        free(r);
    }
    gk_guarded_check(what, x);
    gk_guarded_check(what, y);
    if (p1) gk_guarded_check(what, p1);
    if (p2) gk_guarded_check(what, p2);
    gk_guarded_free(x);
    gk_guarded_free(y);
    if (p1) gk_guarded_free(p1);
    if (p2) gk_guarded_free(p2);
    free(fx);
    free(f1);
    free(f2);
}

static void test_shapes(const rows_op *c)
{
    gk_rng rng = gk_rng_seeded(0x5A);
    for (size_t cols = 1; cols <= 70; cols++) {
        for (size_t v = 0; v < 4; v++) {
            const rows_case k = {.rows = 1 + (cols + v) % 7,
                                 .cols = cols,
                                 .misalign = v % 3,
                                 .with_p1 = v != 1,
                                 .with_p2 = v != 2,
                                 .in_place = v == 3,
                                 .eps = v == 0 ? 0.0f : 1e-5f,
                                 .offset = v == 2 ? 3.0f : 0.0f,
                                 .spread = 1.0f};
            run_case(c, &k, &rng);
        }
    }
    static const size_t wide[] = {127, 128, 4096, 40000};
    for (size_t w = 0; w < sizeof wide / sizeof wide[0]; w++) {
        const rows_case k = {.rows = 3,
                             .cols = wide[w],
                             .with_p1 = true,
                             .with_p2 = true,
                             .eps = 1e-6f,
                             .spread = 4.0f};
        run_case(c, &k, &rng);
    }
    /* a mean far from zero against a small spread: layer_norm must centre precisely */
    const rows_case far = {
        .rows = 4, .cols = 300, .with_p1 = true, .eps = 1e-6f, .offset = 1000.0f, .spread = 0.5f};
    run_case(c, &far, &rng);
    /* rows of zeros: y = 0 with eps > 0 (softmax: uniform) */
    const rows_case zeros = {.rows = 2, .cols = 33, .eps = 1e-5f, .spread = 0.0f};
    run_case(c, &zeros, &rng);
    if (c->has_eps) return;
    /* softmax: a wide spread (exponentials from 1 down to underflow), special values, all -Inf,
     * and one row of 256K columns */
    const rows_case spread = {.rows = 3, .cols = 999, .spread = 80.0f};
    run_case(c, &spread, &rng);
    const float specials[] = {NAN, INFINITY, -INFINITY};
    for (size_t v = 0; v < 3; v++) {
        const rows_case k = {.rows = 5, .cols = 37, .spread = 3.0f, .special = specials[v]};
        run_case(c, &k, &rng);
        const rows_case some = {.rows = 6,
                                .cols = 300,
                                .spread = 3.0f,
                                .special = specials[v],
                                .special_odd_rows = true};
        run_case(c, &some, &rng);
    }
    const rows_case all_minus_inf = {.rows = 2, .cols = 19, .spread = 0.0f, .offset = -INFINITY};
    run_case(c, &all_minus_inf, &rng);
    const rows_case huge = {.rows = 1, .cols = 262144, .spread = 10.0f};
    run_case(c, &huge, &rng);
}

static void test_threads(const rows_op *c)
{
    const size_t rows = 64, cols = 8192, n = rows * cols, eb = c->elem_bytes;
    float *fx = malloc(n * sizeof *fx);
    gk_rng rng = gk_rng_seeded(0x77);
    for (size_t i = 0; i < n; i++)
        fx[i] = gk_rng_uniform(&rng, -3.0f, 3.0f);
    void *x = malloc(n * eb), *y = malloc(n * eb), *first = malloc(n * eb);
    c->from_f32(fx, x, n);
    for (int threads = 1; threads <= 4; threads++) {
        GK_EXPECT_STATUS(gk_set_num_threads(threads), GK_OK);
        GK_EXPECT_STATUS(c->run(x, NULL, NULL, threads == 1 ? first : y, rows, cols, 1e-5f), GK_OK);
        if (threads > 1) {
            char what[64];
            snprintf(what, sizeof what, "%s at %d threads", c->name, threads);
            gk_test_same_bits(what, y, first, n, eb);
        }
    }
    GK_EXPECT_STATUS(gk_set_num_threads(0), GK_OK);
    free(fx);
    free(x);
    free(y);
    free(first);
}

static void test_errors(const rows_op *c)
{
    enum { COLS = 16 };

    unsigned char buf[4 * COLS * 4], pristine[sizeof buf];
    memset(buf, 0x3C, sizeof buf);
    memcpy(pristine, buf, sizeof buf);
    const size_t eb = c->elem_bytes;
    unsigned char *x = buf, *y = buf + 2 * COLS * eb, *w = buf + 4 * COLS * eb - COLS * eb;
    GK_EXPECT_STATUS(c->run(NULL, NULL, NULL, y, 1, COLS, 1e-5f), GK_EINVAL);
    GK_EXPECT(strstr(gk_last_error_detail(), c->name) != NULL, "detail: %s",
              gk_last_error_detail());
    GK_EXPECT_STATUS(c->run(x, NULL, NULL, NULL, 1, COLS, 1e-5f), GK_EINVAL);
    if (c->has_eps) {
        GK_EXPECT_STATUS(c->run(x, NULL, NULL, y, 1, COLS, -1.0f), GK_EINVAL);
        GK_EXPECT_STATUS(c->run(x, NULL, NULL, y, 1, COLS, NAN), GK_EINVAL);
        GK_EXPECT_STATUS(c->run(x, NULL, NULL, y, 1, COLS, INFINITY), GK_EINVAL);
    }
    GK_EXPECT_STATUS(c->run(x, NULL, NULL, y, SIZE_MAX / 4, 8, 1e-5f), GK_EOVERFLOW);
    GK_EXPECT_STATUS(c->run(x, NULL, NULL, x + eb, 2, COLS, 1e-5f), GK_EALIAS);
    if (c->has_p1)
        GK_EXPECT_STATUS(c->run(x, w - COLS * eb / 2, NULL, y, 2, COLS, 1e-5f), GK_EALIAS);
    gk_test_same_bits("untouched after errors", buf, pristine, sizeof buf, 1);
    GK_EXPECT_STATUS(c->run(NULL, NULL, NULL, NULL, 0, COLS, 1e-5f), GK_OK);
    GK_EXPECT_STATUS(c->run(NULL, NULL, NULL, NULL, 5, 0, 1e-5f), GK_OK);
    GK_EXPECT_STATUS(c->run(x, w, c->has_p2 ? w : NULL, y, 1, COLS, 1e-5f), GK_OK);
}

int main(void)
{
    gk_test_require_isa();
#define GK_RUN(op)            \
    test_shapes(&rows_##op);  \
    test_threads(&rows_##op); \
    test_errors(&rows_##op);
#define GK_EACH_RMS_NORM(op, family, src, t, tol)   GK_RUN(op)
#define GK_EACH_LAYER_NORM(op, family, src, t, tol) GK_RUN(op)
#define GK_EACH_SOFTMAX(op, family, src, t, tol)    GK_RUN(op)
#include "ops/each_op.inc"
    return gk_test_finish("test_rows");
}
