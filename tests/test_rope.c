/* SPDX-License-Identifier: MIT */
/* RoPE (class ROPE: gk_rope_* and gk_rope_with_pos_*), every element type, on the tier under
 * test:
 *   - f32 against a double-precision oracle (angles and rotation in double): within 2e-6
 *     absolute for |x| <= 1 and positions up to 2^20, both styles, partial rotary, odd head_dim;
 *   - elements past rot_dim untouched, guard bytes intact, misaligned tensors;
 *   - f16/bf16: the f32 function's result on the widened data, rounded once, bit for bit;
 *   - explicit positions: random, negative, repeated, consecutive runs;
 *   - the scalar reference (with a table built here in double) within the same bound;
 *   - identical bits for 1..4 threads; every error path leaving x untouched. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gk_test.h"
#include "common/gk_test_dtypes.h"
#include "core/half.h"
#include "scalar_ops/ref.h"

typedef struct rope_shape {
    size_t n_tokens, n_heads, head_dim, rot_dim;
    float theta;
    gk_rope_style style;
} rope_shape;

typedef struct rope_op {
    const char *name;
    size_t elem_bytes;
    bool is_f32;
    /* pos NULL: gk_rope_* with pos0; else gk_rope_with_pos_* */
    gk_status (*run)(void *x, const int32_t *pos, size_t pos0, const rope_shape *s);
    void (*ref)(
        void *x, const float *table, size_t n_heads, size_t head_dim, size_t rot_dim, bool neox);
    void (*from_f32)(const float *x, void *y, size_t n);
    void (*widen)(const void *x, float *y, size_t n);
} rope_op;

#define GK_EACH_ROPE(op, family, src, t, tol)                                                  \
    static gk_status run_##op(void *x, const int32_t *pos, size_t pos0, const rope_shape *s)   \
    {                                                                                          \
        if (pos)                                                                               \
            return gk_##family##_with_pos_##t(x, pos, s->n_tokens, s->n_heads, s->head_dim,    \
                                              s->rot_dim, s->theta, s->style);                 \
        return gk_##op(x, s->n_tokens, s->n_heads, s->head_dim, s->rot_dim, pos0, s->theta,    \
                       s->style);                                                              \
    }                                                                                          \
    static void ref_##op(void *x, const float *table, size_t n_heads, size_t head_dim,         \
                         size_t rot_dim, bool neox)                                            \
    {                                                                                          \
        gk_ref_##op(x, table, n_heads, head_dim, rot_dim, neox);                               \
    }                                                                                          \
    static const rope_op rope_##op = {#op,      sizeof(gk_ctype_##t), GK_IS_F32_##t, run_##op, \
                                      ref_##op, from_f32_##t,         widen_##t};
#include "ops/each_op.inc"

/* ---- the oracle ------------------------------------------------------------------------ */

static double token_position(const int32_t *pos, size_t pos0, size_t t)
{
    return pos ? (double)pos[t] : (double)pos0 + (double)t;
}

/* Pair i's element indices within a head. */
static void pair_of(const rope_shape *s, size_t i, size_t *j, size_t *k)
{
    const bool neox = s->style == GK_ROPE_NEOX;
    *j = neox ? i : 2 * i;
    *k = neox ? i + s->rot_dim / 2 : 2 * i + 1;
}

static double angle_of(const rope_shape *s, double position, size_t i)
{
    return position * pow((double)s->theta, -2.0 * (double)i / (double)s->rot_dim);
}

/* Checks rotated `got` against the exact rotation of `x` (both f32, widened). */
static void check_against_oracle(const char *what,
                                 const float *got,
                                 const float *x,
                                 const int32_t *pos,
                                 size_t pos0,
                                 const rope_shape *s)
{
    const size_t token = s->n_heads * s->head_dim;
    double worst = 0.0;
    for (size_t t = 0; t < s->n_tokens; t++) {
        const double p = token_position(pos, pos0, t);
        for (size_t h = 0; h < s->n_heads; h++) {
            const size_t base = t * token + h * s->head_dim;
            for (size_t e = s->rot_dim; e < s->head_dim; e++)
                if (gk_f32_bits(got[base + e]) != gk_f32_bits(x[base + e])) {
                    gk_test_fail(__FILE__, __LINE__, "%s: element %zu past rot_dim changed", what,
                                 base + e);
                    return;
                }
            for (size_t i = 0; i < s->rot_dim / 2; i++) {
                size_t j, k;
                pair_of(s, i, &j, &k);
                const double a = angle_of(s, p, i), c = cos(a), sn = sin(a);
                const double xj = (double)x[base + j], xk = (double)x[base + k];
                const double ej = fabs((double)got[base + j] - (xj * c - xk * sn));
                const double ek = fabs((double)got[base + k] - (xj * sn + xk * c));
                if (ej > worst) worst = ej;
                if (ek > worst) worst = ek;
                if (ej <= 2e-6 && ek <= 2e-6) continue;
                gk_test_fail(__FILE__, __LINE__,
                             "%s: token %zu (position %.0f) head %zu pair %zu: errors %.3g %.3g",
                             what, t, p, h, i, ej, ek);
                return;
            }
        }
    }
}

/* ---- one case ------------------------------------------------------------------------------ */

static void run_case(const rope_op *c,
                     const rope_shape *s,
                     const int32_t *pos,
                     size_t pos0,
                     size_t misalign,
                     gk_rng *rng)
{
    const size_t n = s->n_tokens * s->n_heads * s->head_dim, eb = c->elem_bytes;
    float *fx = malloc((n + 1) * sizeof *fx), *fgot = malloc((n + 1) * sizeof *fgot);
    for (size_t i = 0; i < n; i++)
        fx[i] = gk_rng_uniform(rng, -1.0f, 1.0f);
    void *x = gk_guarded_alloc(n * eb, misalign * eb, 0);
    c->from_f32(fx, x, n);
    c->widen(x, fx, n); /* the values actually stored */
    char what[160];
    snprintf(what, sizeof what, "%s %s tokens=%zu heads=%zu head_dim=%zu rot=%zu pos%s%zu", c->name,
             s->style == GK_ROPE_NEOX ? "neox" : "norm", s->n_tokens, s->n_heads, s->head_dim,
             s->rot_dim,
             pos ? " given, first " : "0=", pos ? (size_t)(pos[0] < 0 ? 0 : pos[0]) : pos0);
    GK_EXPECT_STATUS(c->run(x, pos, pos0, s), GK_OK);
    c->widen(x, fgot, n);
    if (c->is_f32) {
        check_against_oracle(what, fgot, fx, pos, pos0, s);
    } else {
        /* the f32 function on the widened data, rounded to the type */
        float *want = malloc((n + 1) * sizeof *want);
        memcpy(want, fx, n * sizeof *want);
        GK_EXPECT_STATUS(rope_rope_f32.run(want, pos, pos0, s), GK_OK);
        void *rounded = malloc((n + 1) * eb);
        c->from_f32(want, rounded, n);
        c->widen(rounded, want, n);
        gk_test_same_bits(what, fgot, want, n, sizeof(float));
        free(rounded);
        free(want);
    }
    gk_guarded_check(what, x);
    gk_guarded_free(x);
    free(fx);
    free(fgot);
}

/* The reference, with a table built here in double, meets the oracle's bound. */
static void check_reference(const rope_shape *s, size_t pos0, gk_rng *rng)
{
    const size_t n = s->n_tokens * s->n_heads * s->head_dim, rot = s->rot_dim;
    float *x = malloc((n + 1) * sizeof *x), *y = malloc((n + 1) * sizeof *y);
    float *table = malloc((2 * rot + 1) * sizeof *table);
    for (size_t i = 0; i < n; i++)
        x[i] = gk_rng_uniform(rng, -1.0f, 1.0f);
    memcpy(y, x, n * sizeof *y);
    for (size_t t = 0; t < s->n_tokens; t++) {
        for (size_t i = 0; i < rot / 2; i++) {
            size_t j, k;
            pair_of(s, i, &j, &k);
            const double a = angle_of(s, token_position(NULL, pos0, t), i);
            table[j] = table[k] = (float)cos(a);
            table[rot + j] = -(float)sin(a);
            table[rot + k] = (float)sin(a);
        }
        gk_ref_rope_f32(y + t * s->n_heads * s->head_dim, table, s->n_heads, s->head_dim, rot,
                        s->style == GK_ROPE_NEOX);
    }
    check_against_oracle("rope reference", y, x, NULL, pos0, s);
    free(x);
    free(y);
    free(table);
}

static void test_shapes(const rope_op *c)
{
    gk_rng rng = gk_rng_seeded(0x40E);
    static const size_t dims[][2] = {{2, 2},     {4, 4},     {6, 6},    {8, 8},   {10, 10},
                                     {16, 16},   {18, 18},   {34, 34},  {64, 64}, {80, 80},
                                     {128, 128}, {128, 64},  {128, 32}, {96, 94}, {81, 80},
                                     {256, 256}, {130, 130}, {128, 0},  {33, 2},  {1024, 1024}};
    static const size_t starts[] = {0, 1000, (1u << 20) - 9};
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++) {
        for (int style = 0; style < 2; style++) {
            for (size_t p = 0; p < 3; p++) {
                const rope_shape s = {.n_tokens = 1 + (d + p) % 9,
                                      .n_heads = 1 + d % 3,
                                      .head_dim = dims[d][0],
                                      .rot_dim = dims[d][1],
                                      .theta = p == 1 ? 1000000.0f : 10000.0f,
                                      .style = style ? GK_ROPE_NEOX : GK_ROPE_NORM};
                run_case(c, &s, NULL, starts[p], (d + p) % 3, &rng);
                if (c->is_f32 && p == 2) check_reference(&s, starts[p], &rng);
            }
        }
    }

    /* explicit positions: consecutive runs, repeats, jumps, negative, up to 2^20 */
    enum { T = 70 };

    int32_t pos[T];
    for (size_t t = 0; t < T; t++)
        pos[t] = t < 40   ? (int32_t)(500 + t)
                 : t < 45 ? 539
                 : t < 55 ? (int32_t)(gk_rng_u32(&rng) % (1u << 20))
                 : t < 60 ? -(int32_t)(t * 7)
                          : (int32_t)((1u << 20) - 70 + t);
    for (int style = 0; style < 2; style++) {
        const rope_shape s = {.n_tokens = T,
                              .n_heads = 2,
                              .head_dim = 64,
                              .rot_dim = 64,
                              .theta = 10000.0f,
                              .style = style ? GK_ROPE_NEOX : GK_ROPE_NORM};
        run_case(c, &s, pos, 0, 1, &rng);
    }
}

static void test_threads(const rope_op *c)
{
    const rope_shape s = {.n_tokens = 300,
                          .n_heads = 8,
                          .head_dim = 128,
                          .rot_dim = 128,
                          .theta = 10000.0f,
                          .style = GK_ROPE_NEOX};
    const size_t n = s.n_tokens * s.n_heads * s.head_dim, eb = c->elem_bytes;
    float *fx = malloc(n * sizeof *fx);
    gk_rng rng = gk_rng_seeded(0x7E);
    for (size_t i = 0; i < n; i++)
        fx[i] = gk_rng_uniform(&rng, -1.0f, 1.0f);
    void *x = malloc(n * eb), *first = malloc(n * eb);
    for (int threads = 1; threads <= 4; threads++) {
        GK_EXPECT_STATUS(gk_set_num_threads(threads), GK_OK);
        c->from_f32(fx, x, n);
        GK_EXPECT_STATUS(c->run(x, NULL, 12345, &s), GK_OK);
        if (threads == 1) memcpy(first, x, n * eb);
        char what[64];
        snprintf(what, sizeof what, "%s at %d threads", c->name, threads);
        gk_test_same_bits(what, x, first, n, eb);
    }
    GK_EXPECT_STATUS(gk_set_num_threads(0), GK_OK);
    free(fx);
    free(x);
    free(first);
}

static void test_errors(const rope_op *c)
{
    unsigned char buf[256], pristine[256];
    memset(buf, 0x3C, sizeof buf);
    memcpy(pristine, buf, sizeof buf);
    const int32_t pos[2] = {0, 1};
    rope_shape s = {.n_tokens = 2, .n_heads = 1, .head_dim = 8, .rot_dim = 8, .theta = 1e4f};
    GK_EXPECT_STATUS(c->run(NULL, NULL, 0, &s), GK_EINVAL);
    GK_EXPECT(strstr(gk_last_error_detail(), "gk_rope") != NULL, "detail: %s",
              gk_last_error_detail());
    s.style = (gk_rope_style)7;
    GK_EXPECT_STATUS(c->run(buf, NULL, 0, &s), GK_EINVAL);
    GK_EXPECT_STATUS(c->run(buf, pos, 0, &s), GK_EINVAL);
    s.style = GK_ROPE_NORM;
    s.rot_dim = 7;
    GK_EXPECT_STATUS(c->run(buf, NULL, 0, &s), GK_EINVAL);
    s.rot_dim = 10;
    GK_EXPECT_STATUS(c->run(buf, NULL, 0, &s), GK_EINVAL);
    s.rot_dim = 8;
    s.theta = 0.0f;
    GK_EXPECT_STATUS(c->run(buf, NULL, 0, &s), GK_EINVAL);
    s.theta = NAN;
    GK_EXPECT_STATUS(c->run(buf, pos, 0, &s), GK_EINVAL);
    s.theta = 1e4f;
    s.n_heads = SIZE_MAX / 4;
    GK_EXPECT_STATUS(c->run(buf, NULL, 0, &s), GK_EOVERFLOW);
    s.n_heads = 1;
    GK_EXPECT_STATUS(c->run(buf, (const int32_t *)(buf + 4), 0, &s), GK_EALIAS);
    rope_shape big = {
        .n_tokens = 1, .n_heads = 1, .head_dim = 2048, .rot_dim = 2048, .theta = 1e4f};
    GK_EXPECT_STATUS(c->run(buf, NULL, 0, &big), GK_EINVAL); /* rot_dim above 1024 */
    gk_test_same_bits("rope untouched after errors", buf, pristine, sizeof buf, 1);
    /* with_pos with pos NULL is an error; nothing to do is not */
    GK_EXPECT_STATUS(
        gk_rope_with_pos_f32((float *)(void *)buf, NULL, 2, 1, 8, 8, 1e4f, GK_ROPE_NORM),
        GK_EINVAL);
    s.n_tokens = 0;
    GK_EXPECT_STATUS(c->run(NULL, NULL, 0, &s), GK_OK);
    s.n_tokens = 2;
    s.rot_dim = 0;
    GK_EXPECT_STATUS(c->run(buf, NULL, 0, &s), GK_OK);
    gk_test_same_bits("rope with rot_dim 0", buf, pristine, sizeof buf, 1);
}

int main(void)
{
    gk_test_require_isa();
#define GK_EACH_ROPE(op, family, src, t, tol) \
    test_shapes(&rope_##op);                  \
    test_threads(&rope_##op);                 \
    test_errors(&rope_##op);
#include "ops/each_op.inc"
    return gk_test_finish("test_rope");
}
