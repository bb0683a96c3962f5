/* SPDX-License-Identifier: MIT */
/* The transcendental activations (exp, tanh, silu, gelu, gelu_erf, swiglu) on the tier under test,
 * against the double-precision oracles of tests/common/gk_oracles.h:
 *   - f32: at least 10^7 inputs per op (every k-th bit pattern of the whole f32 range, dense random
 *     values of the interesting region, random magnitudes down to 2^-30) plus every edge (zeros,
 *     infinities, NaNs, FLT_MAX, the smallest subnormals, the overflow and underflow thresholds and
 *     each switch point of the kernels, with their neighbours): within 2 ULP of the correctly
 *     rounded result; the maximum error is printed;
 *   - the result of an element does not depend on its neighbours (the kernels' common and wide
 *     paths agree bit for bit), nor on the tier: every tier this CPU runs gives the same bits
 *     (the vocabulary's primitives are exactly specified);
 *   - f16 and bf16: every input pattern (pairs of patterns for swiglu) gives exactly the f32 op's
 *     result, on the same tier, rounded to the type;
 *   - the scalar references (the plain libm formulas the JIT lifts) against the same oracles, with
 *     the bounds documented at their definitions (src/scalar_ops/map_ref.c, binary_ref.c).
 * Under emulation (GK_TEST_SWEEP=small) the sweeps are 10x smaller. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gk_oracles.h"
#include "common/gk_test.h"
#include "core/half.h"
#include "scalar_ops/ref.h"

/* ---- error measures ----------------------------------------------------------------------- */

/* The ULP of the f32 number w: subnormals have the ULP 2^-149; +-Inf counts as 2^128. */
static double ulp_of(float w)
{
    if (isinf(w)) return ldexp(1.0, 104);
    int e;
    frexpf(w, &e);
    return ldexp(1.0, (w == 0.0f || e - 1 < -126 ? -126 : e - 1) - 23);
}

/* |got - exact| in ULPs of the correctly rounded result (float)exact; infinities count as
 * +-2^128 (so FLT_MAX against a result that rounds to Inf is 1 ULP). NaN against NaN is 0, a NaN
 * against a number is infinite. */
static double ulp_error(float got, double exact)
{
    if (isnan(exact) || isnan(got)) return isnan(exact) && isnan(got) ? 0.0 : (double)INFINITY;
    const double cap = ldexp(1.0, 128);
    const double g = isinf(got) ? copysign(cap, (double)got) : (double)got;
    const double e = fabs(exact) > cap ? copysign(cap, exact) : exact;
    return fabs(g - e) / ulp_of((float)exact);
}

/* Representable floats between got and the correctly rounded result (0 and -0 are 1 apart, as
 * in gk_test_close_ulp). */
static uint64_t ulp_distance(float got, double exact)
{
    const float want = (float)exact;
    if (isnan(got) || isnan(want)) return isnan(got) && isnan(want) ? 0 : UINT64_MAX;
    const uint32_t ug = gk_f32_bits(got), uw = gk_f32_bits(want);
    const int64_t ig = (ug & 0x80000000u) ? -(int64_t)(ug & 0x7FFFFFFFu) - 1 : (int64_t)ug;
    const int64_t iw = (uw & 0x80000000u) ? -(int64_t)(uw & 0x7FFFFFFFu) - 1 : (int64_t)uw;
    return ig > iw ? (uint64_t)(ig - iw) : (uint64_t)(iw - ig);
}

/* The worst case seen so far for one op. */
typedef struct stats {
    double max_err;
    uint64_t max_dist;
    float worst_x, worst_u;
    size_t count;
} stats;

static void stats_add(stats *st, float got, double exact, float x, float u)
{
    const double err = ulp_error(got, exact);
    const uint64_t dist = ulp_distance(got, exact);
    if (err > st->max_err || st->count == 0) {
        st->max_err = err;
        st->worst_x = x;
        st->worst_u = u;
    }
    if (dist > st->max_dist) st->max_dist = dist;
    st->count++;
}

/* ---- the ops ------------------------------------------------------------------------------- */

typedef gk_status (*unary_f32)(const float *x, float *y, size_t n);
typedef gk_status (*unary_f16)(const gk_f16 *x, gk_f16 *y, size_t n);
typedef gk_status (*unary_bf16)(const gk_bf16 *x, gk_bf16 *y, size_t n);

typedef struct unary_op {
    const char *name;
    unary_f32 kernel;
    unary_f16 kernel_f16;
    unary_bf16 kernel_bf16;
    void (*ref)(const float *x, float *y, size_t n);
    double (*oracle)(double x);
    float region_lo, region_hi; /* where the dense random sweep goes */
    /* the reference's documented bound: at most ref_ulp (distance from the correctly rounded
     * result) for x >= ref_from; below, it is not bounded (see src/scalar_ops/map_ref.c) */
    float ref_from;
    uint64_t ref_ulp;
} unary_op;

static const unary_op unary_ops[] = {
    {"exp", gk_exp_f32, gk_exp_f16, gk_exp_bf16, gk_ref_exp_f32, oracle_exp, -110.0f, 100.0f,
     -INFINITY, 1},
    {"tanh", gk_tanh_f32, gk_tanh_f16, gk_tanh_bf16, gk_ref_tanh_f32, oracle_tanh, -10.0f, 10.0f,
     -INFINITY, 3},
    {"silu", gk_silu_f32, gk_silu_f16, gk_silu_bf16, gk_ref_silu_f32, oracle_silu, -120.0f, 100.0f,
     -88.0f, 4},
    {"gelu", gk_gelu_f32, gk_gelu_f16, gk_gelu_bf16, gk_ref_gelu_f32, oracle_gelu, -12.0f, 12.0f,
     -2.0f, 10},
    {"gelu_erf", gk_gelu_erf_f32, gk_gelu_erf_f16, gk_gelu_erf_bf16, gk_ref_gelu_erf_f32,
     oracle_gelu_erf, -16.0f, 16.0f, -2.5f, 10},
};

enum { N_UNARY = sizeof unary_ops / sizeof unary_ops[0], CHUNK = 1 << 16 };

/* ---- inputs -------------------------------------------------------------------------------- */

/* Edges every op is checked at, with their neighbours (next_around adds +-1..3 ULP). */
static const float edge_values[] = {
    0.0f, 1.0f, 0.5f, 2.0f, 0x1p-149f, 0x1p-148f, 0x1p-126f, 0x1.fffffcp-127f, FLT_MAX, 1e-10f,
    1e-4f,
    /* exp: overflow (ln FLT_MAX and ln of the rounding boundary), the subnormal range and zero
     * (ln 2^-126, ln 2^-149, ln 2^-150), the common-path limit */
    88.72283935546875f, 88.7228393554688f, 88.72284f, -87.33654475f, -103.2789f, -103.972077f,
    -104.0f, 87.5f, 89.0f,
    /* silu / swiglu: the common path, the n >= 24 form, the tail, the clamp */
    16.0f, 16.6355f, 87.5f, 88.3763f, 91.8f, 108.66030f, 200.0f,
    /* tanh: the polynomial / exponential switch atanh(0.75), the clamp, tanh = 1 */
    0.97295505f, 0.97295507f, 9.1f, 9.01091f,
    /* gelu: the common path (-4.85, 9.9), the tail, zero below -10.77 */
    4.85f, 9.9f, 10.0f, 10.7708683f, 11.0f,
    /* gelu_erf: the two polynomials' boundary, the centre, the common path, zero below -14.36 */
    2.5f, 1.25f, 0.625f, 13.0f, 14.3560680f, 15.0f};

/* x and its neighbours at +-1..3 ULP, both signs. Returns the count written. */
static size_t edges(float *out)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof edge_values / sizeof edge_values[0]; i++) {
        for (int sign = 0; sign < 2; sign++) {
            float x = sign ? -edge_values[i] : edge_values[i];
            out[n++] = x;
            float up = x, down = x;
            for (int k = 0; k < 3; k++) {
                up = nextafterf(up, INFINITY);
                down = nextafterf(down, -INFINITY);
                out[n++] = up;
                out[n++] = down;
            }
        }
    }
    n += gk_test_special_floats(out + n, 128);
    return n;
}

enum { MAX_EDGES = 2 * 7 * (sizeof edge_values / sizeof edge_values[0]) + 128 };

/* Input i of the sweep of `count` values: a third every k-th bit pattern of the whole range (with
 * a varying low part), a third uniform in [lo, hi], a third +-2^U(-30, 7) (small magnitudes). */
static float sweep_value(gk_rng *rng, size_t i, size_t count, float lo, float hi)
{
    const size_t third = count / 3;
    if (i < third) {
        const uint64_t step = (1ull << 32) / third;
        return gk_f32_from_bits((uint32_t)(i * step + gk_rng_u64(rng) % step));
    }
    if (i < 2 * third) return gk_rng_uniform(rng, lo, hi);
    const float mag = exp2f(gk_rng_uniform(rng, -30.0f, 7.0f));
    return (gk_rng_u32(rng) & 1) ? mag : -mag;
}

/* ---- checks -------------------------------------------------------------------------------- */

/* The f32 kernel on x[0..n) against the oracle; with `regroup`, also on x[1..n) (another vector
 * grouping): the elements must not change. */
static void check_f32_chunk(const unary_op *op, const float *x, size_t n, stats *st, bool regroup)
{
    float *y = malloc(n * sizeof *y), *y1 = malloc(n * sizeof *y1);
    GK_EXPECT_STATUS(op->kernel(x, y, n), GK_OK);
    for (size_t i = 0; i < n; i++)
        stats_add(st, y[i], op->oracle((double)x[i]), x[i], 0.0f);
    if (regroup && n > 1) {
        GK_EXPECT_STATUS(op->kernel(x + 1, y1, n - 1), GK_OK);
        for (size_t i = 1; i < n; i++) {
            if (gk_f32_bits(y[i]) == gk_f32_bits(y1[i - 1]) || (isnan(y[i]) && isnan(y1[i - 1])))
                continue;
            gk_test_fail(__FILE__, __LINE__, "%s_f32(%a) depends on its neighbours: %a vs %a",
                         op->name, (double)x[i], (double)y[i], (double)y1[i - 1]);
            break;
        }
    }
    free(y);
    free(y1);
}

static void report(const char *what, const stats *st, bool two_args)
{
    printf("%-14s max error %.3f ULP (at x = %a", what, st->max_err, (double)st->worst_x);
    if (two_args) printf(", u = %a", (double)st->worst_u);
    printf("), at most %llu ULP from the correctly rounded result, %zu values\n",
           (unsigned long long)st->max_dist, st->count);
    GK_EXPECT(st->max_dist <= 2, "%s: %llu ULP from the correctly rounded result at %a", what,
              (unsigned long long)st->max_dist, (double)st->worst_x);
}

static void test_unary_f32(const unary_op *op, const char *isa)
{
    stats st = {0};
    float *x = malloc(CHUNK * sizeof *x);
    const size_t n_edges = edges(x);
    check_f32_chunk(op, x, n_edges, &st, true);
    gk_rng rng = gk_rng_seeded(0xAC71 + (uint64_t)(op - unary_ops));
    const size_t count = gk_test_sweep(10000000);
    for (size_t done = 0; done < count; done += CHUNK) {
        const size_t n = count - done < CHUNK ? count - done : CHUNK;
        for (size_t i = 0; i < n; i++)
            x[i] = sweep_value(&rng, done + i, count, op->region_lo, op->region_hi);
        check_f32_chunk(op, x, n, &st, done % (8 * CHUNK) == 0);
    }
    char what[64];
    snprintf(what, sizeof what, "%s_f32 [%s]", op->name, isa);
    report(what, &st, false);
    free(x);
}

/* Every f16 and every bf16 input: the typed kernel equals the f32 kernel rounded to the type. */
static void test_unary_narrow(const unary_op *op)
{
    enum { N = 1 << 16 };

    gk_f16 *h = malloc(N * sizeof *h), *hy = malloc(N * sizeof *hy);
    gk_bf16 *b = malloc(N * sizeof *b), *by = malloc(N * sizeof *by);
    float *xh = malloc(N * sizeof *xh), *yh = malloc(N * sizeof *yh);
    float *xb = malloc(N * sizeof *xb), *yb = malloc(N * sizeof *yb);
    for (uint32_t i = 0; i < N; i++) {
        h[i].bits = (uint16_t)i;
        b[i].bits = (uint16_t)i;
        xh[i] = gk_load_f16(h + i);
        xb[i] = gk_load_bf16(b + i);
    }
    GK_EXPECT_STATUS(op->kernel_f16(h, hy, N), GK_OK);
    GK_EXPECT_STATUS(op->kernel_bf16(b, by, N), GK_OK);
    GK_EXPECT_STATUS(op->kernel(xh, yh, N), GK_OK);
    GK_EXPECT_STATUS(op->kernel(xb, yb, N), GK_OK);
    int bad = 0;
    for (uint32_t i = 0; i < N && bad < 5; i++) {
        const uint16_t want_h = gk_f16_bits_from_f32(yh[i]), want_b = gk_bf16_bits_from_f32(yb[i]);
        const bool nan_h = isnan(yh[i]) && isnan(gk_load_f16(hy + i));
        const bool nan_b = isnan(yb[i]) && isnan(gk_load_bf16(by + i));
        if (hy[i].bits != want_h && !nan_h) {
            gk_test_fail(__FILE__, __LINE__, "%s_f16(0x%04x): 0x%04x, want 0x%04x", op->name,
                         (unsigned)i, (unsigned)hy[i].bits, (unsigned)want_h);
            bad++;
        }
        if (by[i].bits != want_b && !nan_b) {
            gk_test_fail(__FILE__, __LINE__, "%s_bf16(0x%04x): 0x%04x, want 0x%04x", op->name,
                         (unsigned)i, (unsigned)by[i].bits, (unsigned)want_b);
            bad++;
        }
    }
    free(h);
    free(hy);
    free(b);
    free(by);
    free(xh);
    free(yh);
    free(xb);
    free(yb);
}

/* The reference where it is bounded. */
static void test_unary_ref(const unary_op *op)
{
    stats st = {0};
    float *x = malloc(CHUNK * sizeof *x), *y = malloc(CHUNK * sizeof *y);
    gk_rng rng = gk_rng_seeded(0x5EF + (uint64_t)(op - unary_ops));
    const size_t count = gk_test_sweep(1000000);
    for (size_t done = 0; done < count; done += CHUNK) {
        const size_t n = count - done < CHUNK ? count - done : CHUNK;
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            const float v = sweep_value(&rng, done + i, count, op->region_lo, op->region_hi);
            if (v >= op->ref_from || isnan(v)) x[m++] = v;
        }
        op->ref(x, y, m);
        for (size_t i = 0; i < m; i++)
            stats_add(&st, y[i], op->oracle((double)x[i]), x[i], 0.0f);
    }
    printf("%-14s max error %.3f ULP (at x = %a), at most %llu ULP from the correctly rounded "
           "result for x >= %g (bound %llu), %zu values\n",
           op->name, st.max_err, (double)st.worst_x, (unsigned long long)st.max_dist,
           (double)op->ref_from, (unsigned long long)op->ref_ulp, st.count);
    GK_EXPECT(st.max_dist <= op->ref_ulp, "reference %s: %llu ULP at %a, documented bound %llu",
              op->name, (unsigned long long)st.max_dist, (double)st.worst_x,
              (unsigned long long)op->ref_ulp);
    free(x);
    free(y);
}

/* ---- swiglu -------------------------------------------------------------------------------- */

/* u of the sweep: random bit patterns (every magnitude), uniform in [-4, 4], or 1. */
static float sweep_up(gk_rng *rng)
{
    switch (gk_rng_u32(rng) % 4) {
    case 0:
    case 1: {
        const float u = gk_f32_from_bits(gk_rng_u32(rng));
        return isnan(u) ? 1.0f : u;
    }
    case 2: return gk_rng_uniform(rng, -4.0f, 4.0f);
    default: return 1.0f;
    }
}

static void check_swiglu_chunk(const float *g, const float *u, size_t n, stats *st)
{
    float *y = malloc(n * sizeof *y);
    GK_EXPECT_STATUS(gk_swiglu_f32(g, u, y, n), GK_OK);
    for (size_t i = 0; i < n; i++)
        stats_add(st, y[i], oracle_swiglu((double)g[i], (double)u[i]), g[i], u[i]);
    free(y);
}

static void test_swiglu(const char *isa)
{
    stats st = {0};
    float *g = malloc(CHUNK * sizeof *g), *u = malloc(CHUNK * sizeof *u);
    /* every edge and special gate with every special up */
    float specials[128];
    const size_t n_special = gk_test_special_floats(specials, 128);
    float *ge = malloc(MAX_EDGES * sizeof *ge);
    const size_t n_edges = edges(ge);
    for (size_t j = 0; j < n_special; j++) {
        for (size_t i = 0; i < n_edges; i++) {
            g[i] = ge[i];
            u[i] = specials[j];
        }
        check_swiglu_chunk(g, u, n_edges, &st);
    }
    gk_rng rng = gk_rng_seeded(0x5A16);
    const size_t count = gk_test_sweep(10000000);
    for (size_t done = 0; done < count; done += CHUNK) {
        const size_t n = count - done < CHUNK ? count - done : CHUNK;
        for (size_t i = 0; i < n; i++) {
            g[i] = sweep_value(&rng, done + i, count, -220.0f, 100.0f);
            u[i] = sweep_up(&rng);
        }
        check_swiglu_chunk(g, u, n, &st);
    }
    char what[64];
    snprintf(what, sizeof what, "swiglu_f32 [%s]", isa);
    report(what, &st, true);

    /* f16 / bf16: random pairs of patterns against the f32 op rounded */
    enum { N = 1 << 18 };

    gk_f16 *gh = malloc(N * sizeof *gh), *uh = malloc(N * sizeof *uh), *yh = malloc(N * sizeof *yh);
    gk_bf16 *gb = malloc(N * sizeof *gb), *ub = malloc(N * sizeof *ub),
            *yb = malloc(N * sizeof *yb);
    float *fg = malloc(N * sizeof *fg), *fu = malloc(N * sizeof *fu), *fy = malloc(N * sizeof *fy);
    for (int t = 0; t < 2; t++) {
        for (size_t i = 0; i < N; i++) {
            const uint16_t a = (uint16_t)gk_rng_u32(&rng), b = (uint16_t)gk_rng_u32(&rng);
            gh[i].bits = gb[i].bits = a;
            uh[i].bits = ub[i].bits = b;
            fg[i] = t ? gk_load_bf16(gb + i) : gk_load_f16(gh + i);
            fu[i] = t ? gk_load_bf16(ub + i) : gk_load_f16(uh + i);
        }
        if (t)
            GK_EXPECT_STATUS(gk_swiglu_bf16(gb, ub, yb, N), GK_OK);
        else
            GK_EXPECT_STATUS(gk_swiglu_f16(gh, uh, yh, N), GK_OK);
        GK_EXPECT_STATUS(gk_swiglu_f32(fg, fu, fy, N), GK_OK);
        for (size_t i = 0; i < N; i++) {
            const uint16_t got = t ? yb[i].bits : yh[i].bits;
            const uint16_t want = t ? gk_bf16_bits_from_f32(fy[i]) : gk_f16_bits_from_f32(fy[i]);
            const float got_f = t ? gk_load_bf16(yb + i) : gk_load_f16(yh + i);
            if (got == want || (isnan(got_f) && isnan(fy[i]))) continue;
            gk_test_fail(__FILE__, __LINE__, "swiglu_%s(%a, %a): 0x%04x, want 0x%04x",
                         t ? "bf16" : "f16", (double)fg[i], (double)fu[i], (unsigned)got,
                         (unsigned)want);
            break;
        }
    }

    free(g);
    free(u);
    free(ge);
    free(gh);
    free(uh);
    free(yh);
    free(gb);
    free(ub);
    free(yb);
    free(fg);
    free(fu);
    free(fy);
}

/* ---- the same bits on every tier ----------------------------------------------------------- */

enum { N_CROSS = 1 << 17, N_CROSS_OPS = N_UNARY + 1 };

struct cross_tier {
    float *x, *u;
    float *first[N_CROSS_OPS]; /* the first tier's results */
    const char *first_isa;
    size_t n;
};

static void cross_tier_body(const char *isa, void *ctx)
{
    struct cross_tier *c = ctx;
    float *y = malloc(c->n * sizeof *y);
    for (size_t k = 0; k < N_CROSS_OPS; k++) {
        if (k < N_UNARY)
            GK_EXPECT_STATUS(unary_ops[k].kernel(c->x, y, c->n), GK_OK);
        else
            GK_EXPECT_STATUS(gk_swiglu_f32(c->x, c->u, y, c->n), GK_OK);
        if (!c->first[k]) {
            c->first[k] = y;
            y = malloc(c->n * sizeof *y);
            continue;
        }
        for (size_t i = 0; i < c->n; i++) {
            if (gk_f32_bits(y[i]) == gk_f32_bits(c->first[k][i])) continue;
            if (isnan(y[i]) && isnan(c->first[k][i])) continue;
            gk_test_fail(__FILE__, __LINE__, "%s at %a: %a on %s, %a on %s",
                         k < N_UNARY ? unary_ops[k].name : "swiglu", (double)c->x[i], (double)y[i],
                         isa, (double)c->first[k][i], c->first_isa);
            break;
        }
    }
    if (!c->first_isa) c->first_isa = isa;
    free(y);
}

static void test_cross_tier(void)
{
    struct cross_tier c = {0};
    c.n = gk_test_sweep(N_CROSS);
    c.x = malloc(c.n * sizeof *c.x);
    c.u = malloc(c.n * sizeof *c.u);
    gk_rng rng = gk_rng_seeded(0xC055);
    const size_t n_edges = edges(c.x);
    for (size_t i = n_edges; i < c.n; i++)
        c.x[i] = sweep_value(&rng, i, c.n, -120.0f, 100.0f);
    for (size_t i = 0; i < c.n; i++)
        c.u[i] = sweep_up(&rng);
    const int tiers = gk_test_for_each_isa(cross_tier_body, &c);
    printf("the same bits on %d tier(s) of this CPU, %zu inputs per op\n", tiers, c.n);
    for (size_t k = 0; k < N_CROSS_OPS; k++)
        free(c.first[k]);
    free(c.x);
    free(c.u);
}

/* The swiglu reference: silu(g) rounded, times u, for g >= -88 and moderate u. */
static void test_swiglu_ref(void)
{
    enum { N = 1 << 18 };

    float *g = malloc(N * sizeof *g), *u = malloc(N * sizeof *u), *y = malloc(N * sizeof *y);
    gk_rng rng = gk_rng_seeded(0x5A17);
    stats st = {0};
    const size_t n = gk_test_sweep(N);
    for (size_t i = 0; i < n; i++) {
        g[i] = gk_rng_uniform(&rng, -88.0f, 100.0f);
        u[i] = gk_rng_uniform(&rng, -4.0f, 4.0f);
    }
    gk_ref_swiglu_f32(g, u, y, n);
    for (size_t i = 0; i < n; i++)
        stats_add(&st, y[i], oracle_swiglu((double)g[i], (double)u[i]), g[i], u[i]);
    printf("%-14s max error %.3f ULP (at g = %a, u = %a), at most %llu ULP from the correctly "
           "rounded result for g >= -88 (bound 4), %zu values\n",
           "swiglu", st.max_err, (double)st.worst_x, (double)st.worst_u,
           (unsigned long long)st.max_dist, st.count);
    GK_EXPECT(st.max_dist <= 4, "reference swiglu: %llu ULP", (unsigned long long)st.max_dist);
    free(g);
    free(u);
    free(y);
}

int main(void)
{
    const char *isa = gk_test_require_isa();
    printf("kernels (f32 against the correctly rounded result):\n");
    for (size_t k = 0; k < N_UNARY; k++) {
        test_unary_f32(&unary_ops[k], isa);
        test_unary_narrow(&unary_ops[k]);
    }
    test_swiglu(isa);
    test_cross_tier();
    printf("scalar references (the plain libm formulas):\n");
    for (size_t k = 0; k < N_UNARY; k++)
        test_unary_ref(&unary_ops[k]);
    test_swiglu_ref();
    return gk_test_finish("test_activations");
}
