/* SPDX-License-Identifier: MIT */
/* The JIT front end (phase 0):
 *   - the registry: the default operators, registration and its errors, lookups, one analysis
 *     per operator under concurrent get_trace calls, cached failures with their detail;
 *   - x86-64: every default operator's trace, run by the interpreter, equals the scalar function
 *     bit for bit on 10^5 random inputs plus special values (NaN, Inf, -0, subnormals, huge),
 *     except the operators listed as unsupported, which must fail with GK_EUNSUPPORTED;
 *   - user operators compiled with the documented flags (mish, squared ReLU, a GEMM, a Q8_0-like
 *     decode) likewise; an indirect call and an unknown libm call are rejected cleanly;
 *   - 20000 random byte strings and truncated functions fed to the executor: no crash (the
 *     sanitizer build runs this too), every answer a documented status;
 *   - other architectures: the registry works and get_trace answers GK_EUNSUPPORTED.
 * In the sanitizer build the library's references are instrumented (not liftable): there each
 * must lift correctly or be rejected cleanly; the user operators are built plain and must lift. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gk_test.h"
#include "gllmk/gllmk.h"
#include "jit/symexec/symexec.h"
#include "jit/user_ops.h"

/* ---- registry (every architecture) -------------------------------------------------------- */

typedef struct race {
    gk_scalar_registry *reg;
    const gk_op_trace *got;
    gk_status status;
} race;

static void *race_body(void *arg)
{
    race *r = arg;
    r->status = gk_scalar_registry_get_trace(r->reg, "plus_one", &r->got);
    return NULL;
}

static void test_registry(void)
{
    gk_scalar_registry *def = gk_scalar_registry_default();
    GK_EXPECT(def != NULL && def == gk_scalar_registry_default(), "default registry");
    const char *const must[] = {
        "silu_f32",      "gelu_f32",     "gelu_erf_f32",   "relu_f32",    "tanh_f32",
        "exp_f32",       "swiglu_f32",   "vec_add_f32",    "vec_sub_f32", "vec_mul_f32",
        "vec_scale_f32", "vec_axpy_f32", "vec_sum_f32",    "vec_max_f32", "vec_sum_squares_f32",
        "softmax_f32",   "rms_norm_f32", "layer_norm_f32", "rope_f32"};
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++) {
        bool found = false;
        for (size_t k = 0; k < gk_scalar_registry_count(def); k++) {
            const gk_scalar_op_desc *d = NULL;
            GK_EXPECT_STATUS(gk_scalar_registry_at(def, k, &d), GK_OK);
            if (d && strcmp(d->name, must[i]) == 0) found = d->fn != NULL;
        }
        GK_EXPECT(found, "default registry lacks %s", must[i]);
    }
    const gk_scalar_op_desc *d = NULL;
    GK_EXPECT_STATUS(gk_scalar_registry_at(def, gk_scalar_registry_count(def), &d), GK_EINVAL);
    const gk_param *params = NULL;
    size_t n_params = 0;
    GK_EXPECT_STATUS(gk_sig_params(GK_SIG_NORM, &params, &n_params), GK_OK);
    GK_EXPECT(n_params == 6 && strcmp(params[5].name, "eps") == 0, "norm parameters");
    GK_EXPECT_STATUS(gk_sig_params((gk_sig)99, &params, &n_params), GK_EINVAL);
    GK_EXPECT(strcmp(gk_sig_name(GK_SIG_GEMM), "gemm") == 0, "sig name");

    gk_scalar_registry *reg = NULL;
    GK_EXPECT_STATUS(gk_scalar_registry_create(&reg), GK_OK);
    if (!reg) return;
    gk_scalar_op_desc desc = {"plus_one", (void (*)(void))gk_test_plus_one, GK_SIG_UNARY, 0, 0};
    GK_EXPECT_STATUS(gk_scalar_registry_register(NULL, &desc), GK_EINVAL);
    GK_EXPECT_STATUS(gk_scalar_registry_register(reg, NULL), GK_EINVAL);
    gk_scalar_op_desc bad = desc;
    bad.fn = NULL;
    GK_EXPECT_STATUS(gk_scalar_registry_register(reg, &bad), GK_EINVAL);
    bad = desc;
    bad.name = "";
    GK_EXPECT_STATUS(gk_scalar_registry_register(reg, &bad), GK_EINVAL);
    bad = desc;
    bad.name = "a_name_that_is_much_too_long_for_the_registry_of_sixty_three_bytes_yes";
    GK_EXPECT_STATUS(gk_scalar_registry_register(reg, &bad), GK_EINVAL);
    bad = desc;
    bad.sig = (gk_sig)42;
    GK_EXPECT_STATUS(gk_scalar_registry_register(reg, &bad), GK_EINVAL);
    bad = desc;
    bad.sig = GK_SIG_DEQUANT;
    GK_EXPECT_STATUS(gk_scalar_registry_register(reg, &bad), GK_EINVAL);
    GK_EXPECT_STATUS(gk_scalar_registry_register(reg, &desc), GK_OK);
    GK_EXPECT_STATUS(gk_scalar_registry_register(reg, &desc), GK_EALIAS);
    GK_EXPECT(gk_scalar_registry_count(reg) == 1, "count after one registration");
    const gk_op_trace *t = NULL;
    GK_EXPECT_STATUS(gk_scalar_registry_get_trace(reg, "nope", &t), GK_EINVAL);
    GK_EXPECT_STATUS(gk_scalar_registry_get_trace(reg, NULL, &t), GK_EINVAL);

    /* concurrent first calls: one analysis, one trace */
    race r[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        r[i] = (race){.reg = reg};
        GK_EXPECT(pthread_create(&th[i], NULL, race_body, &r[i]) == 0, "pthread_create");
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 1; i < 4; i++)
        GK_EXPECT(r[i].status == r[0].status && r[i].got == r[0].got,
                  "thread %d got another answer", i);
#if defined(__x86_64__)
    GK_EXPECT(r[0].status == GK_OK && r[0].got && r[0].got->pattern == GK_PATTERN_ELEMENTWISE,
              "plus_one: %s", gk_last_error_detail());
#else
    GK_EXPECT(r[0].status == GK_EUNSUPPORTED, "non-x86 get_trace must be GK_EUNSUPPORTED");
    GK_EXPECT_STATUS(gk_scalar_registry_get_trace(reg, "plus_one", &t), GK_EUNSUPPORTED);
    GK_EXPECT(strstr(gk_last_error_detail(), "x86-64") != NULL, "detail: %s",
              gk_last_error_detail());
    const gk_op_trace *t2 = NULL;
    GK_EXPECT_STATUS(gk_scalar_registry_get_trace(def, "silu_f32", &t2), GK_EUNSUPPORTED);
#endif
    gk_scalar_registry_destroy(reg);
    gk_scalar_registry_destroy(NULL);
    gk_scalar_registry_destroy(def); /* a no-op for the default registry */
    GK_EXPECT(gk_scalar_registry_count(def) > 0, "default registry survives destroy");
}

#if defined(__x86_64__)

/* Operators whose compiled shape the executor does not lift yet (see src/jit/README.md), with
 * the reason; none at present (NULL ends the list). */
static const char *const known_unsupported[] = {NULL};

static bool is_known_unsupported(const char *name)
{
    for (size_t i = 0; known_unsupported[i]; i++)
        if (strcmp(name, known_unsupported[i]) == 0) return true;
    return false;
}

/* ---- inputs ----------------------------------------------------------------------------- */

static gk_rng rng;

static float special(size_t i)
{
    static float table[64];
    static size_t n;
    if (!n) n = gk_test_special_floats(table, 64);
    return table[i % n];
}

/* A mix: a quarter random bit patterns (every class of float), half moderate values, and the
 * special values; `plain` asks for finite moderate values only (shapes where special values
 * only exercise one documented path). */
static void fill(float *x, size_t n, bool plain)
{
    for (size_t i = 0; i < n; i++) {
        const uint32_t r = gk_rng_u32(&rng) % 16;
        if (plain || r < 8) {
            x[i] = gk_rng_uniform(&rng, -12.0f, 12.0f);
        } else if (r < 12) {
            const uint32_t bits = gk_rng_u32(&rng);
            memcpy(&x[i], &bits, sizeof bits);
        } else if (r < 14) {
            x[i] = special(gk_rng_u32(&rng));
        } else {
            x[i] = gk_rng_uniform(&rng, -1e30f, 1e30f);
        }
    }
}

/* Bit for bit. For operators compiled with hardware FMA only the NaN-ness of a NaN result is
 * compared: which NaN payload and sign vfmadd keeps differs from the C library's fma. */
static bool any_nan_matches;

static bool same(const char *what, const float *got, const float *want, size_t n)
{
    if (!any_nan_matches) return gk_test_same_bits(what, got, want, n, sizeof *got);
    for (size_t i = 0; i < n; i++)
        if (!(isnan(got[i]) && isnan(want[i])) && memcmp(&got[i], &want[i], sizeof *got) != 0) {
            GK_EXPECT(false, "%s: element %zu of %zu: got %a want %a", what, i, n, (double)got[i],
                      (double)want[i]);
            return false;
        }
    return true;
}

/* ---- one operator against its trace ----------------------------------------------------- */

typedef void (*unary_fn)(const float *, float *, size_t);
typedef void (*binary_fn)(const float *, const float *, float *, size_t);
typedef void (*scale_fn)(float *, float, size_t);
typedef void (*axpy_fn)(float *, float, const float *, size_t);
typedef double (*reduce_fn)(const float *, size_t);
typedef double (*dot_fn)(const float *, const float *, size_t);
typedef void (*norm_fn)(const float *, const float *, float *, size_t, size_t, float);
typedef void (*lnorm_fn)(
    const float *, const float *, const float *, float *, size_t, size_t, float);
typedef void (*softmax_fn)(const float *, float *, size_t, size_t);
typedef void (*gemm_fn)(const float *, const float *, float *, size_t, size_t, size_t);
typedef void (*dequant_fn)(const void *, float *, size_t);
typedef void (*rope_fn)(float *, const float *, size_t, size_t, size_t, bool);

static void check_elementwise(const gk_scalar_op_desc *d, const gk_op_trace *t, size_t total)
{
    const size_t n = total;
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    float *want = malloc(n * sizeof *want), *got = malloc(n * sizeof *got);
    if (!a || !b || !want || !got) goto out;
    fill(a, n, false);
    fill(b, n, false);
    const size_t n_special = 64;
    for (size_t i = 0; i < n_special && i < n; i++)
        a[i] = special(i); /* every special value */
    const float s = gk_rng_uniform(&rng, -3.0f, 3.0f);
    switch (d->sig) {
    case GK_SIG_UNARY:
        ((unary_fn)d->fn)(a, want, n);
        GK_EXPECT_STATUS(gk_op_trace_eval_unary(t, a, got, n), GK_OK);
        break;
    case GK_SIG_BINARY:
        ((binary_fn)d->fn)(a, b, want, n);
        GK_EXPECT_STATUS(gk_op_trace_eval_binary(t, a, b, got, n), GK_OK);
        break;
    case GK_SIG_SCALE: {
        memcpy(want, a, n * sizeof *a);
        memcpy(got, a, n * sizeof *a);
        ((scale_fn)d->fn)(want, s, n);
        const void *arrays[1] = {got};
        GK_EXPECT_STATUS(gk_op_trace_eval(t, arrays, &s, &n, NULL), GK_OK);
        break;
    }
    case GK_SIG_AXPY: {
        memcpy(want, a, n * sizeof *a);
        memcpy(got, a, n * sizeof *a);
        ((axpy_fn)d->fn)(want, s, b, n);
        /* the interpreter reads y before writing it, element by element, like the function */
        const void *arrays[2] = {got, b};
        GK_EXPECT_STATUS(gk_op_trace_eval(t, arrays, &s, &n, NULL), GK_OK);
        break;
    }
    default: GK_EXPECT(false, "%s: not elementwise", d->name);
    }
    same(d->name, got, want, n);
out:
    free(a), free(b), free(want), free(got);
}

/* Values whose order and payload a reduction must keep: zeros of both signs, NaNs with
 * different payloads and signs (quiet and signalling), infinities. */
static float edge_value(uint32_t r)
{
    static const uint32_t bits[] = {0x00000000u, 0x80000000u, 0x7FC00001u, 0xFFC12345u,
                                    0x7F800001u, 0xFF800000u, 0x7F800000u, 0x3F800000u,
                                    0xBF800000u, 0x00000001u, 0x80000001u, 0x7FBFFFFFu};
    float f;
    memcpy(&f, &bits[r % (sizeof bits / sizeof bits[0])], sizeof f);
    return f;
}

static void check_reduction(const gk_scalar_op_desc *d, const gk_op_trace *t, size_t total)
{
    float *a = malloc(512 * sizeof *a), *b = malloc(512 * sizeof *b);
    if (!a || !b) goto out;
    for (size_t done = 0, round = 0; done < total; round++) {
        const size_t n = 1 + gk_rng_u32(&rng) % 300;
        fill(a, n, round % 4 != 0);
        fill(b, n, round % 4 != 0);
        if (round % 4 == 1)
            /* short arrays made of edge values only: every order of zeros and NaNs */
            for (size_t i = 0; i < n; i++)
                a[i] = edge_value(gk_rng_u32(&rng)), b[i] = edge_value(gk_rng_u32(&rng));
        if (round % 8 == 3) /* one NaN of an edge payload anywhere, often the last element */
            a[round % 16 == 3 ? n - 1 : gk_rng_u32(&rng) % n] = edge_value(2 + round % 3);
        const double want =
            d->sig == GK_SIG_REDUCE ? ((reduce_fn)d->fn)(a, n) : ((dot_fn)d->fn)(a, b, n);
        double got = 0.0;
        const void *arrays[2] = {a, b};
        GK_EXPECT_STATUS(gk_op_trace_eval(t, arrays, NULL, &n, &got), GK_OK);
        if (memcmp(&got, &want, sizeof got) != 0 &&
            !(any_nan_matches && isnan(got) && isnan(want))) {
            GK_EXPECT(false, "%s n=%zu: got %a want %a", d->name, n, got, want);
            break;
        }
        done += n;
    }
out:
    free(a), free(b);
}

static void check_rows(const gk_scalar_op_desc *d, const gk_op_trace *t, size_t total)
{
    const size_t cap = 4096;
    float *x = malloc(cap * sizeof *x), *w = malloc(cap * sizeof *w), *v = malloc(cap * sizeof *v);
    float *want = malloc(cap * sizeof *want), *got = malloc(cap * sizeof *got);
    if (!x || !w || !v || !want || !got) goto out;
    for (size_t done = 0, round = 0; done < total; round++) {
        const size_t rows = 1 + gk_rng_u32(&rng) % 6, cols = 1 + gk_rng_u32(&rng) % 300;
        fill(x, rows * cols, round % 3 != 0);
        fill(w, cols, true);
        fill(v, cols, true);
        const float eps = round % 5 ? 1e-5f : 0.0f;
        const float scalars[1] = {eps};
        const size_t sizes[2] = {rows, cols};
        memset(want, 0, rows * cols * sizeof *want);
        memset(got, 0xFF, rows * cols * sizeof *got);
        switch (d->sig) {
        case GK_SIG_NORM: {
            ((norm_fn)d->fn)(x, w, want, rows, cols, eps);
            const void *arrays[3] = {x, w, got};
            GK_EXPECT_STATUS(gk_op_trace_eval(t, arrays, scalars, sizes, NULL), GK_OK);
            break;
        }
        case GK_SIG_LAYER_NORM: {
            ((lnorm_fn)d->fn)(x, w, v, want, rows, cols, eps);
            const void *arrays[4] = {x, w, v, got};
            GK_EXPECT_STATUS(gk_op_trace_eval(t, arrays, scalars, sizes, NULL), GK_OK);
            break;
        }
        default: {
            ((softmax_fn)d->fn)(x, want, rows, cols);
            const void *arrays[2] = {x, got};
            GK_EXPECT_STATUS(gk_op_trace_eval(t, arrays, NULL, sizes, NULL), GK_OK);
        }
        }
        if (!same(d->name, got, want, rows * cols)) break;
        done += rows * cols;
    }
out:
    free(x), free(w), free(v), free(want), free(got);
}

static void check_gemm(const gk_scalar_op_desc *d, const gk_op_trace *t, size_t total)
{
    const size_t cap = 64 * 64;
    float *a = malloc(cap * sizeof *a), *b = malloc(cap * sizeof *b);
    float *want = malloc(cap * sizeof *want), *got = malloc(cap * sizeof *got);
    if (!a || !b || !want || !got) goto out;
    for (size_t done = 0, round = 0; done < total; round++) {
        const size_t m = 1 + gk_rng_u32(&rng) % 9, n = 1 + gk_rng_u32(&rng) % 9,
                     k = 1 + gk_rng_u32(&rng) % 40;
        fill(a, m * k, round % 3 != 0);
        fill(b, k * n, round % 3 != 0);
        ((gemm_fn)d->fn)(a, b, want, m, n, k);
        const void *arrays[3] = {a, b, got};
        const size_t sizes[3] = {m, n, k};
        GK_EXPECT_STATUS(gk_op_trace_eval(t, arrays, NULL, sizes, NULL), GK_OK);
        if (!same(d->name, got, want, m * n)) break;
        done += m * n * k;
    }
out:
    free(a), free(b), free(want), free(got);
}

static void check_dequant(const gk_scalar_op_desc *d, const gk_op_trace *t, size_t total)
{
    const size_t n_blocks = 64, n = n_blocks * d->block_elems;
    unsigned char *blocks = malloc(n_blocks * d->block_bytes);
    float *want = malloc(n * sizeof *want), *got = malloc(n * sizeof *got);
    if (!blocks || !want || !got) goto out;
    for (size_t done = 0; done < total; done += n) {
        for (size_t i = 0; i < n_blocks * d->block_bytes; i++)
            blocks[i] = (unsigned char)gk_rng_u32(&rng);
        /* f16 fields at the block start (Q8_0 d; Q4_K d and dmin) set to zeros, subnormals,
         * the largest finite, Inf and NaNs with payloads in some blocks */
        static const uint16_t halves[] = {0x0000, 0x8000, 0x0001, 0x83FF, 0x03FF, 0x7BFF,
                                          0x7C00, 0xFC00, 0x7E01, 0xFD55, 0x7C01, 0x3C00};
        for (size_t b = 0; b < n_blocks; b += 2)
            for (size_t f = 0; f < 2; f++) {
                const uint16_t h = halves[gk_rng_u32(&rng) % (sizeof halves / sizeof halves[0])];
                blocks[b * d->block_bytes + 2 * f] = (unsigned char)(h & 0xFF);
                blocks[b * d->block_bytes + 2 * f + 1] = (unsigned char)(h >> 8);
            }
        ((dequant_fn)d->fn)(blocks, want, n);
        const void *arrays[2] = {blocks, got};
        GK_EXPECT_STATUS(gk_op_trace_eval(t, arrays, NULL, &n, NULL), GK_OK);
        if (!same(d->name, got, want, n)) break;
    }
out:
    free(blocks), free(want), free(got);
}

/* Heads of even sizes, rotated fully or partly, both pair styles; x and the table hold every
 * class of float. The interpreter runs in place like the function. */
static void check_rope(const gk_scalar_op_desc *d, const gk_op_trace *t, size_t total)
{
    const size_t cap = 8 * 128;
    float *x = malloc(cap * sizeof *x), *table = malloc(2 * 128 * sizeof *table);
    float *want = malloc(cap * sizeof *want), *got = malloc(cap * sizeof *got);
    if (!x || !table || !want || !got) goto out;
    for (size_t done = 0, round = 0; done < total; round++) {
        const size_t n_heads = 1 + gk_rng_u32(&rng) % 8;
        const size_t head_dim = 2 * (1 + gk_rng_u32(&rng) % 64);
        const size_t rot_dim = round % 3 ? head_dim : 2 * (gk_rng_u32(&rng) % (head_dim / 2 + 1));
        const bool neox = round % 2;
        fill(x, n_heads * head_dim, round % 4 == 0);
        fill(table, 2 * rot_dim, round % 4 == 0);
        memcpy(want, x, n_heads * head_dim * sizeof *x);
        memcpy(got, x, n_heads * head_dim * sizeof *x);
        ((rope_fn)d->fn)(want, table, n_heads, head_dim, rot_dim, neox);
        const void *arrays[2] = {got, table};
        const size_t sizes[4] = {n_heads, head_dim, rot_dim, neox};
        GK_EXPECT_STATUS(gk_op_trace_eval(t, arrays, NULL, sizes, NULL), GK_OK);
        if (!same(d->name, got, want, n_heads * head_dim)) break;
        done += n_heads * head_dim;
    }
    /* bad arguments: odd rot_dim, rot_dim above head_dim, a flag other than 0 / 1 */
    const void *arrays[2] = {got, table};
    static const size_t bad[3][4] = {{1, 8, 3, 0}, {1, 4, 6, 0}, {1, 8, 8, 2}};
    for (int i = 0; i < 3; i++)
        GK_EXPECT_STATUS(gk_op_trace_eval(t, arrays, NULL, bad[i], NULL), GK_EINVAL);
out:
    free(x), free(table), free(want), free(got);
}

static void check_op(const gk_scalar_op_desc *d, const gk_op_trace *t)
{
    const size_t total = gk_test_sweep(100000);
    switch (d->sig) {
    case GK_SIG_UNARY:
    case GK_SIG_BINARY:
    case GK_SIG_SCALE:
    case GK_SIG_AXPY: check_elementwise(d, t, total); break;
    case GK_SIG_REDUCE:
    case GK_SIG_DOT: check_reduction(d, t, total); break;
    case GK_SIG_NORM:
    case GK_SIG_LAYER_NORM:
    case GK_SIG_SOFTMAX: check_rows(d, t, total); break;
    case GK_SIG_GEMM: check_gemm(d, t, total); break;
    case GK_SIG_DEQUANT: check_dequant(d, t, total); break;
    case GK_SIG_ROPE: check_rope(d, t, total); break;
    default: GK_EXPECT(false, "%s: no checker for sig %s", d->name, gk_sig_name(d->sig));
    }
}

static void test_default_ops(void)
{
    gk_scalar_registry *reg = gk_scalar_registry_default();
    static char text[1 << 15];
    for (size_t i = 0; i < gk_scalar_registry_count(reg); i++) {
        const gk_scalar_op_desc *d = NULL;
        GK_EXPECT_STATUS(gk_scalar_registry_at(reg, i, &d), GK_OK);
        const gk_op_trace *t = NULL;
        const gk_status st = gk_scalar_registry_get_trace(reg, d->name, &t);
#    ifdef GK_TEST_SANITIZED
        /* instrumented references: lifted correctly or rejected cleanly */
        if (st == GK_EUNSUPPORTED) {
            GK_EXPECT(strstr(gk_last_error_detail(), "+0x") ||
                          strstr(gk_last_error_detail(), d->name),
                      "%s: detail '%s'", d->name, gk_last_error_detail());
            continue;
        }
#    endif
        if (is_known_unsupported(d->name)) {
            GK_EXPECT(st == GK_EUNSUPPORTED && strstr(gk_last_error_detail(), d->name),
                      "%s: want GK_EUNSUPPORTED naming the op, got %s (%s)", d->name,
                      gk_status_str(st), gk_last_error_detail());
            /* the failure is cached with its detail */
            GK_EXPECT_STATUS(gk_scalar_registry_get_trace(reg, d->name, &t), GK_EUNSUPPORTED);
            continue;
        }
        GK_EXPECT(st == GK_OK, "%s: %s", d->name, gk_last_error_detail());
        if (st != GK_OK) continue;
        if (d->sig == GK_SIG_NORM) {
            /* the general entry validates its arguments before touching memory */
            float x[4] = {1, 2, 3, 4}, y[4];
            const void *arrays[3] = {x, NULL, y};
            const float eps = 1e-5f;
            const size_t sizes[2] = {1, 4}, huge[2] = {SIZE_MAX / 2, 3};
            GK_EXPECT_STATUS(gk_op_trace_eval(t, arrays, &eps, sizes, NULL), GK_EINVAL);
            arrays[1] = x;
            GK_EXPECT_STATUS(gk_op_trace_eval(t, arrays, NULL, sizes, NULL), GK_EINVAL);
            GK_EXPECT_STATUS(gk_op_trace_eval(t, arrays, &eps, huge, NULL), GK_EOVERFLOW);
            GK_EXPECT_STATUS(gk_op_trace_eval_unary(t, x, y, 4), GK_EINVAL);
        }
        const gk_op_trace *again = NULL;
        GK_EXPECT_STATUS(gk_scalar_registry_get_trace(reg, d->name, &again), GK_OK);
        GK_EXPECT(again == t, "%s: the trace is cached", d->name);
        GK_EXPECT(gk_op_trace_print(t, text, sizeof text) > 0 && strstr(text, "result"),
                  "%s: printable", d->name);
        check_op(d, t);
    }
}

/* ---- user operators --------------------------------------------------------------------- */

static void check_user(const gk_scalar_op_desc *d, gk_trace_pattern want_pattern)
{
    gk_op_trace *t = NULL;
    const gk_status st = gk_op_trace_analyse(d, &t);
    GK_EXPECT(st == GK_OK, "%s: %s", d->name, gk_last_error_detail());
    if (st != GK_OK) return;
    GK_EXPECT(t->pattern == want_pattern, "%s: pattern %s", d->name,
              gk_trace_pattern_name(t->pattern));
    check_op(d, t);
    gk_op_trace_destroy(t);
}

static void test_user_ops(void)
{
    const gk_scalar_op_desc mish = {"mish", (void (*)(void))gk_test_mish, GK_SIG_UNARY, 0, 0};
    const gk_scalar_op_desc sqrelu = {"relu_squared", (void (*)(void))gk_test_relu_squared,
                                      GK_SIG_UNARY, 0, 0};
    const gk_scalar_op_desc gemm = {"gemm", (void (*)(void))gk_test_gemm, GK_SIG_GEMM, 0, 0};
    const gk_scalar_op_desc q8 = {"dequant_q8", (void (*)(void))gk_test_dequant_q8, GK_SIG_DEQUANT,
                                  GK_TEST_Q8_ELEMS, GK_TEST_Q8_BYTES};
    check_user(&mish, GK_PATTERN_ELEMENTWISE);
    check_user(&sqrelu, GK_PATTERN_ELEMENTWISE);
    check_user(&gemm, GK_PATTERN_GEMM);
    check_user(&q8, GK_PATTERN_DEQUANT);
    const gk_scalar_op_desc q8h = {"dequant_q8_half", (void (*)(void))gk_test_dequant_q8_half,
                                   GK_SIG_DEQUANT, GK_TEST_Q8_ELEMS, GK_TEST_Q8_BYTES};
    check_user(&q8h, GK_PATTERN_DEQUANT);
    const gk_scalar_op_desc rope = {"rope_halves", (void (*)(void))gk_test_rope_halves, GK_SIG_ROPE,
                                    0, 0};
    check_user(&rope, GK_PATTERN_PAIRWISE);

    /* VEX encodings and FMAs (built with -mavx2 -mfma), where the CPU can run them */
    if (gk_cpu_has_feature("fma") && gk_cpu_has_feature("avx2")) {
        const gk_scalar_op_desc poly = {"fma_poly", (void (*)(void))gk_test_fma_poly, GK_SIG_UNARY,
                                        0, 0};
        const gk_scalar_op_desc dot = {"fma_dot", (void (*)(void))gk_test_fma_dot, GK_SIG_DOT, 0,
                                       0};
        any_nan_matches = true;
        check_user(&poly, GK_PATTERN_ELEMENTWISE);
        check_user(&dot, GK_PATTERN_REDUCTION);
        any_nan_matches = false;
    }

    /* a registered user operator through the registry */
    gk_scalar_registry *reg = NULL;
    GK_EXPECT_STATUS(gk_scalar_registry_create(&reg), GK_OK);
    if (reg) {
        GK_EXPECT_STATUS(gk_scalar_registry_register(reg, &mish), GK_OK);
        const gk_op_trace *t = NULL;
        GK_EXPECT_STATUS(gk_scalar_registry_get_trace(reg, "mish", &t), GK_OK);
        if (t) check_op(&mish, t);
        gk_scalar_registry_destroy(reg);
    }

    const struct {
        gk_scalar_op_desc d;
        const char *detail;
    } rejected[] = {
        /* the pointer is loaded from writable data: rejected at that load */
        {{"indirect", (void (*)(void))gk_test_indirect, GK_SIG_UNARY, 0, 0}, "writable"},
        {{"unknown_libm", (void (*)(void))gk_test_unknown_libm, GK_SIG_UNARY, 0, 0}, "sinf"},
        /* a function analysed under the wrong signature: writes the wrong elements */
        {{"wrong_sig", (void (*)(void))gk_test_mish, GK_SIG_SOFTMAX, 0, 0}, "wrong_sig"},
        /* an early exit that depends on the accumulator */
        {{"sum_until", (void (*)(void))gk_test_sum_until, GK_SIG_REDUCE, 0, 0}, "accumulator"},
        /* a partner that is neither j ^ 1 nor j +- rot_dim / 2 */
        {{"rope_mirror", (void (*)(void))gk_test_rope_mirror, GK_SIG_ROPE, 0, 0}, "partner"},
    };

    for (size_t i = 0; i < sizeof rejected / sizeof rejected[0]; i++) {
        gk_op_trace *t = NULL;
        const gk_status st = gk_op_trace_analyse(&rejected[i].d, &t);
        GK_EXPECT(st == GK_EUNSUPPORTED && t == NULL, "%s: got %s", rejected[i].d.name,
                  gk_status_str(st));
        GK_EXPECT(strstr(gk_last_error_detail(), rejected[i].detail) != NULL,
                  "%s: detail '%s' lacks '%s'", rejected[i].d.name, gk_last_error_detail(),
                  rejected[i].detail);
        gk_op_trace_destroy(t);
    }
}

/* ---- fuzz: random bytes and truncated functions ----------------------------------------- */

static void test_fuzz(void)
{
    static const gk_sig sigs[] = {GK_SIG_UNARY,   GK_SIG_BINARY, GK_SIG_REDUCE,  GK_SIG_NORM,
                                  GK_SIG_SOFTMAX, GK_SIG_GEMM,   GK_SIG_DEQUANT, GK_SIG_SCALE,
                                  GK_SIG_AXPY,    GK_SIG_ROPE};
    gk_scalar_registry *reg = gk_scalar_registry_default();
    const size_t runs = gk_test_sweep(20000);
    unsigned char buf[256];
    size_t ok = 0;
    for (size_t r = 0; r < runs; r++) {
        size_t len = 1 + gk_rng_u32(&rng) % sizeof buf;
        if (r % 2) {
            /* a prefix of a real operator (its calls and constants now point outside) */
            const gk_scalar_op_desc *d = NULL;
            gk_scalar_registry_at(reg, gk_rng_u32(&rng) % gk_scalar_registry_count(reg), &d);
            memcpy(buf, (const void *)d->fn, sizeof buf);
            if (r % 4 == 1) buf[gk_rng_u32(&rng) % len] ^= (unsigned char)(1u << (r % 8));
        } else {
            for (size_t i = 0; i < len; i++)
                buf[i] = (unsigned char)gk_rng_u32(&rng);
        }
        const gk_scalar_op_desc d = {"fuzz", (void (*)(void))gk_test_plus_one,
                                     sigs[gk_rng_u32(&rng) % (sizeof sigs / sizeof sigs[0])], 32,
                                     34};
        gk_op_trace *t = NULL;
        const gk_status st = gk_sx_analyse_code(buf, len, &d, 4000, &t);
        GK_EXPECT(st == GK_OK || st == GK_EUNSUPPORTED, "fuzz input %zu: status %s (%s)", r,
                  gk_status_str(st), gk_last_error_detail());
        GK_EXPECT((st == GK_OK) == (t != NULL), "fuzz input %zu: trace iff OK", r);
        ok += st == GK_OK;
        gk_op_trace_destroy(t);
    }
    printf("fuzz: %zu inputs, %zu lifted\n", runs, ok);
}

#endif /* __x86_64__ */

int main(void)
{
    test_registry();
#if defined(__x86_64__)
    rng = gk_rng_seeded(0x5EED7);
    test_default_ops();
    test_user_ops();
    test_fuzz();
#endif
    return gk_test_finish("test_jit");
}
