/* SPDX-License-Identifier: MIT */
/* Streamed outputs (src/core/stream.h) on the tier under test: outputs larger than the cache go
 * out through a chunk buffer and the tier's non-temporal stream_copy, and jobs that do not
 * stream visit their parts interleaved (src/ops/entry.c). The paths must change nothing but
 * speed, so every check here is bit equality with the same call below the threshold:
 *   - the stream_copy kernel against memcpy, every length 0..200 at every destination offset
 *     0..63 (its aligned middle and both plain ends), guard bytes intact;
 *   - every op that can stream (CVT, BINARY, UNARY, RMS_NORM, LAYER_NORM, SOFTMAX), forced with
 *     a threshold of 1 byte, at lengths that end inside a chunk, on a chunk boundary and past a
 *     pool part, output misaligned, on 1 and 2 threads, and in place;
 *   - SCALE and AXPY (in place: interleaved, never streamed) the same way;
 *   - the reductions interleaved: vec_max bit-equal, the sums within 1e-6 of the sum of the
 *     terms' magnitudes (their chunks' results are combined in double, so the bits change),
 *     the same bits on 1 and 2 threads, NaN propagated;
 *   - gk_dequantize / _f16 / _bf16 of every format, the same way.
 * The unstreamed results are themselves checked against the references by the other tests. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gk_test.h"
#include "core/kernels.h"
#include "core/stream.h"
#include "gllmk/gllmk.h"

static gk_rng rng;

/* Random bit patterns, with the special floats among them (NaN payloads must survive the copy). */
static void fill_bytes(void *p, size_t bytes)
{
    unsigned char *b = p;
    for (size_t i = 0; i < bytes; i++)
        b[i] = (unsigned char)gk_rng_u32(&rng);
}

/* Uniform values with special ones (NaN, Inf, subnormals, ...) at every 7th element; with
 * `cols`, only in the rows r % 3 == 1, so that row-wise ops see ordinary rows next to special
 * ones. */
static void fill_f32(float *x, size_t n, size_t cols)
{
    float specials[128];
    const size_t n_special = gk_test_special_floats(specials, 128);
    for (size_t i = 0; i < n; i++) {
        const bool special = i % 7 == 3 && (cols == 0 || i / cols % 3 == 1);
        x[i] = special ? specials[(i / 7) % n_special] : gk_rng_uniform(&rng, -8.0f, 8.0f);
    }
}

/* ---- the stream_copy kernel ------------------------------------------------------------ */

static void test_stream_copy(void)
{
    const struct gk_kernels *k = gk_kernels_active();
    unsigned char src[256];
    fill_bytes(src, sizeof src);
    for (size_t offset = 0; offset < 64; offset++) {
        for (size_t len = 0; len <= 200; len++) {
            unsigned char *dst = gk_guarded_alloc(len ? len : 1, offset, 0xA5);
            k->stream_copy(dst, src + len % 7, len);
            gk_stream_fence();
            char what[64];
            snprintf(what, sizeof what, "%s len %zu offset %zu", k->stream_copy_name, len, offset);
            GK_EXPECT(memcmp(dst, src + len % 7, len) == 0, "%s: bytes differ", what);
            GK_EXPECT(gk_guarded_check(what, dst), "%s: guard overwritten", what);
            gk_guarded_free(dst);
        }
    }
}

/* ---- ops: one runner per signature class ------------------------------------------------ */

/* Lengths around the 1 KiB chunk (256 f32 / 512 16-bit elements) and past a 32K-element part;
 * 4 parts are interleaved at a time: 3 and 5 parts leave a partial group. */
static const size_t map_lengths[] = {1,   7,   255,  256,   257,   511,
                                     512, 513, 1000, 33000, 70001, 131073};
/* Output offsets in elements: aligned, and off the 32-byte alignment of the copy's middle. */
static const size_t out_offsets[] = {0, 1, 3};
/* Rows x cols: rows of one vector or less, tails, rows past softmax's 4096-column scratch (f32:
 * kept in y, which then does not stream; 16-bit: recomputed), several rows per thread part. */
static const size_t row_shapes[][2] = {{1, 1},    {3, 5},    {9, 64},  {5, 1000},
                                       {2, 4096}, {40, 257}, {3, 5000}};

/* Calls `run` with streaming off and forced, on 1 and 2 threads, and compares the outputs. `out`
 * is the output in the guarded buffer: n elements of `type`. */
static void compare_streamed(
    const char *what, void (*run)(void *ctx), void *ctx, void *out, size_t n, gk_dtype type)
{
    const size_t bytes = n * (type == GK_DTYPE_F32 ? 4 : 2);
    unsigned char *want = malloc(bytes ? bytes : 1);
    gk_stream_set_min_bytes(SIZE_MAX);
    gk_set_num_threads(1);
    run(ctx);
    memcpy(want, out, bytes);
    for (int threads = 1; threads <= 2; threads++) {
        gk_stream_set_min_bytes(1);
        gk_set_num_threads(threads);
        memset(out, 0x5A, bytes);
        run(ctx);
        char label[160];
        snprintf(label, sizeof label, "%s streamed, %d thread(s)", what, threads);
        GK_EXPECT(gk_test_same_values(label, out, want, n, type), "%s differs", label);
        GK_EXPECT(gk_guarded_check(label, out), "%s: guard overwritten", label);
    }
    gk_stream_set_min_bytes(0);
    gk_set_num_threads(0);
    free(want);
}

struct map_call {
    const void *a, *b;
    void *out;
    size_t n, rows, cols;
    void (*call)(const struct map_call *c);
};

static void run_map_call(void *ctx)
{
    const struct map_call *c = ctx;
    c->call(c);
}

/* Adapters: the public entry point of each op on a map_call. */
#define CALL_CVT(op, family, src, dst, tol)                                                       \
    static void call_##op(const struct map_call *c)                                               \
    {                                                                                             \
        GK_EXPECT(gk_##op((const gk_ctype_##src *)c->a, (gk_ctype_##dst *)c->out, c->n) == GK_OK, \
                  #op " failed");                                                                 \
    }
#define CALL_BINARY(op, family, src, dst, tol)                                        \
    static void call_##op(const struct map_call *c)                                   \
    {                                                                                 \
        GK_EXPECT(gk_##op((const gk_ctype_##dst *)c->a, (const gk_ctype_##dst *)c->b, \
                          (gk_ctype_##dst *)c->out, c->n) == GK_OK,                   \
                  #op " failed");                                                     \
    }
#define CALL_UNARY(op, family, src, dst, tol)                                                     \
    static void call_##op(const struct map_call *c)                                               \
    {                                                                                             \
        GK_EXPECT(gk_##op((const gk_ctype_##dst *)c->a, (gk_ctype_##dst *)c->out, c->n) == GK_OK, \
                  #op " failed");                                                                 \
    }
#define CALL_RMS_NORM(op, family, src, dst, tol)                                       \
    static void call_##op(const struct map_call *c)                                    \
    {                                                                                  \
        GK_EXPECT(gk_##op((const gk_ctype_##dst *)c->a, (const gk_ctype_##dst *)c->b,  \
                          (gk_ctype_##dst *)c->out, c->rows, c->cols, 1e-5f) == GK_OK, \
                  #op " failed");                                                      \
    }
#define CALL_LAYER_NORM(op, family, src, dst, tol)                                         \
    static void call_##op(const struct map_call *c)                                        \
    {                                                                                      \
        GK_EXPECT(gk_##op((const gk_ctype_##dst *)c->a, (const gk_ctype_##dst *)c->b,      \
                          (const gk_ctype_##dst *)c->b, (gk_ctype_##dst *)c->out, c->rows, \
                          c->cols, 1e-5f) == GK_OK,                                        \
                  #op " failed");                                                          \
    }
#define CALL_SOFTMAX(op, family, src, dst, tol)                                            \
    static void call_##op(const struct map_call *c)                                        \
    {                                                                                      \
        GK_EXPECT(gk_##op((const gk_ctype_##dst *)c->a, (gk_ctype_##dst *)c->out, c->rows, \
                          c->cols) == GK_OK,                                               \
                  #op " failed");                                                          \
    }
#define GK_EACH_CVT        CALL_CVT
#define GK_EACH_BINARY     CALL_BINARY
#define GK_EACH_UNARY      CALL_UNARY
#define GK_EACH_RMS_NORM   CALL_RMS_NORM
#define GK_EACH_LAYER_NORM CALL_LAYER_NORM
#define GK_EACH_SOFTMAX    CALL_SOFTMAX
#include "ops/each_op.inc"

/* Random inputs as fill_f32 makes them (rows of `cols` for row-wise ops, else 0), converted to
 * bf16 by the library for 16-bit types. */
static void *random_input(size_t n, size_t elem, size_t cols)
{
    void *p = malloc(n * elem + 64);
    if (elem == 4) {
        fill_f32(p, n, cols);
    } else {
        float *f = malloc(n * sizeof(float) + 4);
        fill_f32(f, n, cols);
        GK_EXPECT(gk_cvt_f32_to_bf16(f, p, n) == GK_OK, "input conversion failed");
        free(f);
    }
    return p;
}

/* One op over every length (element-wise) or shape (row-wise) and output offset, and in place
 * (streaming must not apply, and the result must equal the out-of-place one). */
static void test_op(const char *name,
                    void (*call)(const struct map_call *),
                    size_t in_elem,
                    gk_dtype out_type,
                    bool rows)
{
    const size_t n_cases = rows ? sizeof row_shapes / sizeof row_shapes[0]
                                : sizeof map_lengths / sizeof map_lengths[0];
    const size_t out_elem = out_type == GK_DTYPE_F32 ? 4 : 2;
    for (size_t c = 0; c < n_cases; c++) {
        const size_t n_rows = rows ? row_shapes[c][0] : 1;
        const size_t cols = rows ? row_shapes[c][1] : map_lengths[c];
        const size_t n = n_rows * cols;
        void *a = random_input(n, in_elem, rows ? cols : 0);
        void *b = random_input(n, in_elem, rows ? cols : 0);
        for (size_t o = 0; o < sizeof out_offsets / sizeof out_offsets[0]; o++) {
            void *out = gk_guarded_alloc(n * out_elem, out_offsets[o] * out_elem, 0);
            struct map_call mc = {a, b, out, n, n_rows, cols, call};
            char what[96];
            snprintf(what, sizeof what, "%s n %zu (%zu rows) out offset %zu", name, n, n_rows,
                     out_offsets[o]);
            compare_streamed(what, run_map_call, &mc, out, n, out_type);
            /* in place, where the output has the input's type: equal to the out-of-place call */
            if (in_elem == out_elem && o == 0) {
                void *in_place = malloc(n * in_elem);
                memcpy(in_place, a, n * in_elem);
                struct map_call ip = {in_place, b, in_place, n, n_rows, cols, call};
                gk_stream_set_min_bytes(1);
                run_map_call(&ip);
                gk_stream_set_min_bytes(0);
                GK_EXPECT(gk_test_same_values(what, in_place, out, n, out_type),
                          "%s: in place differs", what);
                free(in_place);
            }
            gk_guarded_free(out);
        }
        free(a);
        free(b);
    }
}

/* The dtype of each element type's token. */
enum { dtype_f32 = GK_DTYPE_F32, dtype_f16 = GK_DTYPE_F16, dtype_bf16 = GK_DTYPE_BF16 };

static void test_ops(void)
{
#define TEST_MAP(op, family, src, dst, tol) \
    test_op(#op, call_##op, sizeof(gk_ctype_##src), (gk_dtype)dtype_##dst, false);
#define TEST_ROWS(op, family, src, dst, tol) \
    test_op(#op, call_##op, sizeof(gk_ctype_##dst), (gk_dtype)dtype_##dst, true);
#define GK_EACH_CVT        TEST_MAP
#define GK_EACH_BINARY     TEST_MAP
#define GK_EACH_UNARY      TEST_MAP
#define GK_EACH_RMS_NORM   TEST_ROWS
#define GK_EACH_LAYER_NORM TEST_ROWS
#define GK_EACH_SOFTMAX    TEST_ROWS
#include "ops/each_op.inc"
}

/* ---- in-place ops and reductions: interleaved parts --------------------------------------- */

struct scalar_call {
    void *x;
    const void *a;
    size_t n;
    void (*call)(const struct scalar_call *c);
};

static void run_scalar_call(void *ctx)
{
    const struct scalar_call *c = ctx;
    c->call(c);
}

#define CALL_SCALE(op, family, src, dst, tol)                                            \
    static void call_##op(const struct scalar_call *c)                                   \
    {                                                                                    \
        GK_EXPECT(gk_##op((gk_ctype_##dst *)c->x, 0.75f, c->n) == GK_OK, #op " failed"); \
    }
#define CALL_AXPY(op, family, src, dst, tol)                                                    \
    static void call_##op(const struct scalar_call *c)                                          \
    {                                                                                           \
        GK_EXPECT(gk_##op((gk_ctype_##dst *)c->x, -1.5f, (const gk_ctype_##dst *)c->a, c->n) == \
                      GK_OK,                                                                    \
                  #op " failed");                                                               \
    }
#define GK_EACH_SCALE CALL_SCALE
#define GK_EACH_AXPY  CALL_AXPY
#include "ops/each_op.inc"

/* An in-place op: x is reset from `start` before each run, so every run sees the same input. */
struct in_place_run {
    struct scalar_call call;
    const void *start;
    size_t bytes;
};

static void run_in_place(void *ctx)
{
    struct in_place_run *r = ctx;
    memcpy(r->call.x, r->start, r->bytes);
    run_scalar_call(&r->call);
}

static void
test_in_place(const char *name, void (*call)(const struct scalar_call *), size_t elem, gk_dtype t)
{
    for (size_t c = 0; c < sizeof map_lengths / sizeof map_lengths[0]; c++) {
        const size_t n = map_lengths[c];
        void *start = random_input(n, elem, 0), *a = random_input(n, elem, 0);
        void *x = gk_guarded_alloc(n * elem, elem, 0);
        struct in_place_run r = {{x, a, n, call}, start, n * elem};
        char what[96];
        snprintf(what, sizeof what, "%s n %zu", name, n);
        compare_streamed(what, run_in_place, &r, x, n, t);
        gk_guarded_free(x);
        free(start);
        free(a);
    }
}

/* The reductions: `call` stores the op's result on a and b (b only for the dot). */
struct reduce_call {
    const void *a, *b;
    size_t n;
    float out;
    void (*call)(struct reduce_call *c);
};

#define CALL_REDUCE(op, family, src, dst, tol)                                                   \
    static void call_##op(struct reduce_call *c)                                                 \
    {                                                                                            \
        GK_EXPECT(gk_##op((const gk_ctype_##dst *)c->a, c->n, &c->out) == GK_OK, #op " failed"); \
    }
#define CALL_DOT(op, family, src, dst, tol)                                                 \
    static void call_##op(struct reduce_call *c)                                            \
    {                                                                                       \
        GK_EXPECT(gk_##op((const gk_ctype_##dst *)c->a, (const gk_ctype_##dst *)c->b, c->n, \
                          &c->out) == GK_OK,                                                \
                  #op " failed");                                                           \
    }
#define GK_EACH_REDUCE CALL_REDUCE
#define GK_EACH_DOT    CALL_DOT
#include "ops/each_op.inc"

/* n values of `type` at p as f32. */
static float *as_f32(const void *p, size_t n, gk_dtype type)
{
    float *f = malloc(n * sizeof(float) + 4);
    if (type == GK_DTYPE_F32)
        memcpy(f, p, n * sizeof(float));
    else if (type == GK_DTYPE_F16)
        GK_EXPECT(gk_cvt_f16_to_f32(p, f, n) == GK_OK, "conversion failed");
    else
        GK_EXPECT(gk_cvt_bf16_to_f32(p, f, n) == GK_OK, "conversion failed");
    return f;
}

/* The result of c below the threshold on 1 thread, then interleaved on 1 and 2 threads: equal
 * bits on both thread counts; vec_max (exact) equal to the plain result, the others within 1e-6
 * of `magnitude`, the sum of the terms' magnitudes. */
static void compare_reduce(const char *what, struct reduce_call *c, bool exact, double magnitude)
{
    gk_stream_set_min_bytes(SIZE_MAX);
    gk_set_num_threads(1);
    c->call(c);
    const float plain = c->out;
    float interleaved[2];
    for (int threads = 1; threads <= 2; threads++) {
        gk_stream_set_min_bytes(1);
        gk_set_num_threads(threads);
        c->out = 12345.0f;
        c->call(c);
        interleaved[threads - 1] = c->out;
    }
    gk_stream_set_min_bytes(0);
    gk_set_num_threads(0);
    char label[160];
    snprintf(label, sizeof label, "%s interleaved, 1 and 2 threads", what);
    GK_EXPECT(gk_test_same_values(label, &interleaved[1], &interleaved[0], 1, GK_DTYPE_F32),
              "%s differ", label);
    snprintf(label, sizeof label, "%s interleaved against plain", what);
    if (exact || plain != plain)
        GK_EXPECT(gk_test_same_values(label, &interleaved[0], &plain, 1, GK_DTYPE_F32),
                  "%s: %g, plain %g", label, (double)interleaved[0], (double)plain);
    else
        GK_EXPECT(fabs((double)interleaved[0] - (double)plain) <= 1e-6 * magnitude + 1e-30,
                  "%s: %.9g, plain %.9g (magnitude %g)", label, (double)interleaved[0],
                  (double)plain, magnitude);
}

static void test_reduce(const char *name,
                        void (*call)(struct reduce_call *),
                        size_t elem,
                        gk_dtype t,
                        bool exact,
                        bool dot,
                        bool squares)
{
    for (size_t c = 0; c < sizeof map_lengths / sizeof map_lengths[0]; c++) {
        const size_t n = map_lengths[c];
        float *fa = malloc(n * sizeof(float) + 4), *fb = malloc(n * sizeof(float) + 4);
        for (size_t i = 0; i < n; i++) {
            fa[i] = gk_rng_uniform(&rng, -8.0f, 8.0f);
            fb[i] = gk_rng_uniform(&rng, -8.0f, 8.0f);
        }
        void *a = malloc(n * elem + 4), *b = malloc(n * elem + 4);
        for (int which = 0; which < 2; which++) {
            const float *f = which ? fb : fa;
            void *dst = which ? b : a;
            if (t == GK_DTYPE_F32)
                memcpy(dst, f, n * sizeof(float));
            else if (t == GK_DTYPE_F16)
                GK_EXPECT(gk_cvt_f32_to_f16(f, dst, n) == GK_OK, "conversion failed");
            else
                GK_EXPECT(gk_cvt_f32_to_bf16(f, dst, n) == GK_OK, "conversion failed");
        }
        float *va = as_f32(a, n, t), *vb = as_f32(b, n, t);
        double magnitude = 0.0;
        for (size_t i = 0; i < n; i++)
            magnitude += dot       ? fabs((double)va[i] * (double)vb[i])
                         : squares ? (double)va[i] * (double)va[i]
                                   : fabs((double)va[i]);
        struct reduce_call rc = {a, b, n, 0.0f, call};
        char what[96];
        snprintf(what, sizeof what, "%s n %zu", name, n);
        compare_reduce(what, &rc, exact, magnitude);
        /* a NaN in the last element: every path returns NaN */
        float nan_f = NAN;
        if (t == GK_DTYPE_F32)
            memcpy((char *)a + (n - 1) * elem, &nan_f, sizeof nan_f);
        else
            memset((char *)a + (n - 1) * elem, 0xFF, 2);
        snprintf(what, sizeof what, "%s n %zu, NaN last", name, n);
        compare_reduce(what, &rc, exact, magnitude);
        GK_EXPECT(rc.out != rc.out, "%s: %g is not NaN", what, (double)rc.out);
        free(fa);
        free(fb);
        free(a);
        free(b);
        free(va);
        free(vb);
    }
}

static void test_interleaved(void)
{
#define TEST_IN_PLACE(op, family, src, dst, tol) \
    test_in_place(#op, call_##op, sizeof(gk_ctype_##dst), (gk_dtype)dtype_##dst);
#define TEST_REDUCE(op, family, src, dst, tol)                                 \
    test_reduce(#op, call_##op, sizeof(gk_ctype_##dst), (gk_dtype)dtype_##dst, \
                strcmp(#tol, "EXACT") == 0, false, strcmp(#family, "vec_sum_squares") == 0);
#define TEST_DOT(op, family, src, dst, tol) \
    test_reduce(#op, call_##op, sizeof(gk_ctype_##dst), (gk_dtype)dtype_##dst, false, true, false);
#define GK_EACH_SCALE  TEST_IN_PLACE
#define GK_EACH_AXPY   TEST_IN_PLACE
#define GK_EACH_REDUCE TEST_REDUCE
#define GK_EACH_DOT    TEST_DOT
#include "ops/each_op.inc"
}

/* ---- dequantization ---------------------------------------------------------------------- */

struct dequant_call {
    gk_qtype type;
    const void *src;
    void *dst;
    size_t n;
    int out; /* 0 f32, 1 f16, 2 bf16 */
    gk_status status;
};

static void run_dequant(void *ctx)
{
    struct dequant_call *c = ctx;
    c->status = c->out == 0   ? gk_dequantize(c->type, c->src, c->dst, c->n)
                : c->out == 1 ? gk_dequantize_f16(c->type, c->src, c->dst, c->n)
                              : gk_dequantize_bf16(c->type, c->src, c->dst, c->n);
}

static void test_dequant(void)
{
    static const char *out_names[] = {"f32", "f16", "bf16"};
    for (int t = 0; t < GK_QTYPE_COUNT; t++) {
        const size_t elems = gk_qtype_block_elems((gk_qtype)t);
        const size_t block_bytes = gk_qtype_block_bytes((gk_qtype)t);
        if (elems == 0) continue;
        /* ends inside a 1 KiB chunk, on one, and past a 32K-value part */
        const size_t blocks_list[] = {1, 3, 8, 33, 32768 / elems + 5};
        for (size_t bl = 0; bl < sizeof blocks_list / sizeof blocks_list[0]; bl++) {
            const size_t blocks = blocks_list[bl], n = blocks * elems;
            void *src = malloc(blocks * block_bytes);
            fill_bytes(src, blocks * block_bytes);
            for (int out = 0; out < 3; out++) {
                const size_t elem = out == 0 ? 4 : 2;
                void *dst = gk_guarded_alloc(n * elem, elem, 0);
                struct dequant_call dc = {(gk_qtype)t, src, dst, n, out, GK_OK};
                char what[96];
                snprintf(what, sizeof what, "dequantize %s -> %s, %zu blocks",
                         gk_qtype_name((gk_qtype)t), out_names[out], blocks);
                run_dequant(&dc);
                const gk_status plain = dc.status;
                if (plain == GK_OK) {
                    compare_streamed(what, run_dequant, &dc, dst, n, (gk_dtype)out);
                    GK_EXPECT(dc.status == GK_OK, "%s: streamed call failed", what);
                }
                gk_guarded_free(dst);
            }
            free(src);
        }
    }
}

int main(void)
{
    gk_test_require_isa();
    rng = gk_rng_seeded(0x57AEA3);
    test_stream_copy();
    test_ops();
    test_interleaved();
    test_dequant();
    /* the threshold comes back to its default after the forced runs */
    gk_stream_set_min_bytes(0);
    GK_EXPECT(gk_stream_min_bytes() > 1 << 20, "default threshold %zu is not restored",
              gk_stream_min_bytes());
    return gk_test_finish("test_stream");
}
