/* SPDX-License-Identifier: MIT */
/* Public entry points, one per line of ops.def: validate, then one indirect call through the
 * active dispatch table (split over the thread pool when the data is large). The definitions are
 * generated; the declarations in include/gllmk/ops.h are written out for readers, and a mismatch
 * between the two fails to compile here. */
#include "gllmk/ops.h"

#include <math.h>
#include <stdlib.h>

#include "core/error.h"
#include "core/kernels.h"
#include "core/pool.h"
#include "core/stream.h"
#include "ops/validate.h"

enum {
    /* Below this many bytes moved, a call runs on the calling thread: waking workers costs a few
     * microseconds, about what 1 MiB takes at L2/L3 bandwidth. */
    GK_PARALLEL_MIN_BYTES = 1 << 20,
    /* Elements per part of a parallel job; parts are independent of the thread count. */
    GK_PART_ELEMS = 1 << 15,
};

/* Parts of a job of n elements: fixed-size ranges, whatever the thread count. */
static size_t gk_part_count(size_t n)
{
    return (n + GK_PART_ELEMS - 1) / GK_PART_ELEMS;
}

static size_t gk_part_end(size_t end_part, size_t n)
{
    return end_part < gk_part_count(n) ? end_part * GK_PART_ELEMS : n;
}

/* ---- element-wise classes: CVT, BINARY, UNARY, SCALE, AXPY ---------------------------------
 * One job shape for all: up to two inputs, one output, a scalar. Each op's part function calls
 * its kernel on a range of whole parts; small jobs run as one range on the calling thread. CVT,
 * BINARY and UNARY stream outputs too large for the cache when the output is a separate array
 * (core/stream.h); an in-place call already has its lines in cache, and SCALE and AXPY are
 * always in place. */

struct gk_map_job {
    const struct gk_kernels *kernels;
    const void *in0, *in1;
    void *out;
    float scalar;
    size_t n;
    bool stream;     /* the kernel streams the output itself (core/stream.h) */
    bool staged;     /* the kernel writes chunks to a buffer on the stack, stream_copy moves them */
    size_t out_elem; /* bytes per output element */
    size_t chunk;    /* elements per kernel call when the job interleaves its parts, else 0 */
};

/* Jobs that move at least the last-level cache's size (core/stream.h) visit their parts
 * GK_INTERLEAVE at a time, GK_INTERLEAVE_BYTES of the widest array of each in turn: one core's
 * DRAM traffic is faster over several interleaved streams than over one (the hardware prefetcher
 * keeps more lines in flight). Zen 3, 64 MiB arrays, 1 thread, before -> after in alternating
 * runs: vec_max f32 16.7 -> 22.5 GB/s, vec_sum bf16 15.4 -> 18.9, vec_scale f32 34 -> 40, relu
 * f32 19-22 -> 26-32 (non-temporal stores), cvt f32 -> bf16 16 -> 24; 4 KiB at a time
 * gained nothing in a plain read loop. Binary ops (three arrays, twelve streams) gained nothing
 * and lost up to 15% on two threads, so they run sequentially. */
enum { GK_INTERLEAVE = 4, GK_INTERLEAVE_BYTES = 512 };

/* Chunks per part at most: elements are at most 4 bytes (the chunk then 128 elements). */
#define GK_MAX_CHUNKS (GK_PART_ELEMS / (GK_INTERLEAVE_BYTES / 4))
_Static_assert(GK_PART_ELEMS % (GK_INTERLEAVE_BYTES / 2) == 0, "parts are whole chunks");

/* The elements of job->chunk per call for a job whose widest array has elements of `widest`
 * bytes moving `bytes` in all, or 0 when it runs each range in one call. */
static size_t gk_interleave_chunk(size_t bytes, size_t widest)
{
    return gk_stream_output(bytes) ? GK_INTERLEAVE_BYTES / widest : 0;
}

/* Runs `body` on the chunks of parts [group, group + parts) of a job of n elements: chunk c of
 * each part in turn, then chunk c + 1. The body sees the part `p`, the chunk's index `c` within
 * its part and its elements [first, end). */
#define GK_FOR_INTERLEAVED(group, parts, n, chunk, body)                    \
    for (size_t c = 0; c * (chunk) < GK_PART_ELEMS; c++)                    \
        for (size_t p = (group); p < (group) + (parts); p++) {              \
            const size_t first = p * GK_PART_ELEMS + c * (chunk);           \
            if (first >= (n)) break;                                        \
            const size_t end = (n)-first < (chunk) ? (n) : first + (chunk); \
            body;                                                           \
        }

/* The number of parts of the group starting at `group` (GK_INTERLEAVE, or those left). */
static size_t gk_group_parts(size_t group, size_t end_part)
{
    return end_part - group < GK_INTERLEAVE ? end_part - group : GK_INTERLEAVE;
}

/* Runs an element-wise job moving `bytes_moved` in all; n output elements of `out_elem` bytes,
 * which leave as `output` says (core/stream.h) when they are a separate array too large for the
 * cache: SCALE and AXPY never stream (always in place), CVT streams from its kernels, BINARY and
 * UNARY as their family's gk_family_stream_<family>. Staged: the kernel writes each chunk to a
 * buffer on the stack, in L1, and stream_copy moves it out in whole lines. `widest` is the
 * largest element size of the job's arrays. */
static void gk_run_map(gk_pool_fn part,
                       struct gk_map_job *job,
                       size_t bytes_moved,
                       size_t out_elem,
                       enum gk_stream_way output,
                       size_t widest)
{
    const bool large = job->out != job->in0 && job->out != job->in1 && output != GK_STREAM_NONE &&
                       gk_stream_output(job->n * out_elem);
    job->stream = large && output == GK_STREAM_BY_KERNEL;
    job->staged = large && output == GK_STREAM_STAGED && out_elem == sizeof(float);
    job->out_elem = out_elem;
    job->chunk = job->in1 ? 0 : gk_interleave_chunk(bytes_moved, widest);
    if (bytes_moved < GK_PARALLEL_MIN_BYTES)
        part(job, 0, gk_part_count(job->n));
    else
        gk_pool_run(part, job, gk_part_count(job->n));
}

_Static_assert((size_t)GK_INTERLEAVE_BYTES <= (size_t)GK_STREAM_CHUNK_BYTES,
               "an interleaved chunk fits the stage");

/* The job's output at element `first`. */
static inline void *gk_map_out_at(const struct gk_map_job *job, size_t first)
{
    return (char *)job->out + first * job->out_elem;
}

/* Where the kernel call for elements [first, ...) writes: the job's output, or the stage. */
static inline void *gk_map_dst(const struct gk_map_job *job, void *stage, size_t first)
{
    return job->staged ? stage : gk_map_out_at(job, first);
}

/* The kernel call `call` on elements [first, end), then a staged chunk's way out. */
#define GK_MAP_CALL(call)                                               \
    do {                                                                \
        call;                                                           \
        if (job->staged)                                                \
            job->kernels->stream_copy(gk_map_out_at(job, first), stage, \
                                      (end - first) * job->out_elem);   \
    } while (0)

/* Defines gk_<op>_part: the kernel call `call` on elements [first, end) of the job, with
 * non-temporal stores when the job streams (the kernels read gk_stream_stores), through the
 * stage when it is staged (chunks of at most GK_STREAM_CHUNK_BYTES of output). */
#define GK_MAP_PART(op, call)                                                                  \
    static void gk_##op##_part(void *ctx, size_t first_part, size_t end_part)                  \
    {                                                                                          \
        const struct gk_map_job *job = ctx;                                                    \
        _Alignas(64) unsigned char stage[GK_STREAM_CHUNK_BYTES];                               \
        if (job->stream)                                                                       \
            gk_stream_stores = true; /* only streaming calls touch the thread-local */         \
        if (job->chunk) {                                                                      \
            for (size_t group = first_part; group < end_part; group += GK_INTERLEAVE)          \
                GK_FOR_INTERLEAVED(group, gk_group_parts(group, end_part), job->n, job->chunk, \
                                   GK_MAP_CALL(call));                                         \
        } else {                                                                               \
            const size_t part_first = first_part * GK_PART_ELEMS;                              \
            const size_t part_end = gk_part_end(end_part, job->n);                             \
            const size_t step =                                                                \
                job->staged ? GK_STREAM_CHUNK_BYTES / job->out_elem : part_end - part_first;   \
            for (size_t first = part_first; first < part_end; first += step) {                 \
                const size_t end = part_end - first < step ? part_end : first + step;          \
                GK_MAP_CALL(call);                                                             \
            }                                                                                  \
        }                                                                                      \
        if (job->stream) gk_stream_stores = false;                                             \
        if (job->stream || job->staged) gk_stream_fence();                                     \
    }

#define GK_AT(type, ptr) ((type *)(ptr) + first)
#define GK_DST(type)     ((type *)gk_map_dst(job, stage, first))

#define GK_ENTRY_CVT(op, family, src, dst)                                                         \
    GK_MAP_PART(op, job->kernels->op(GK_AT(const gk_ctype_##src, job->in0),                        \
                                     GK_DST(gk_ctype_##dst), end - first))                         \
    gk_status gk_##op(const gk_ctype_##src *src_ptr, gk_ctype_##dst *dst_ptr, size_t n)            \
    {                                                                                              \
        GK_TRY(gk_validate_cvt("gk_" #op, src_ptr, sizeof *src_ptr, dst_ptr, sizeof *dst_ptr, n)); \
        if (n == 0) return GK_OK;                                                                  \
        struct gk_map_job job = {                                                                  \
            .kernels = gk_kernels_active(), .in0 = src_ptr, .out = dst_ptr, .n = n};               \
        gk_run_map(gk_##op##_part, &job, n *(sizeof *src_ptr + sizeof *dst_ptr), sizeof *dst_ptr,  \
                   GK_STREAM_BY_KERNEL,                                                            \
                   sizeof *src_ptr > sizeof *dst_ptr ? sizeof *src_ptr : sizeof *dst_ptr);         \
        return GK_OK;                                                                              \
    }

#define GK_ENTRY_BINARY(op, family, src, dst)                                                \
    GK_MAP_PART(op, job->kernels->op(GK_AT(const gk_ctype_##dst, job->in0),                  \
                                     GK_AT(const gk_ctype_##dst, job->in1),                  \
                                     GK_DST(gk_ctype_##dst), end - first))                   \
    gk_status gk_##op(const gk_ctype_##dst *a, const gk_ctype_##dst *b, gk_ctype_##dst *out, \
                      size_t n)                                                              \
    {                                                                                        \
        GK_TRY(gk_validate_binary("gk_" #op, a, b, out, sizeof *out, n));                    \
        if (n == 0) return GK_OK;                                                            \
        struct gk_map_job job = {                                                            \
            .kernels = gk_kernels_active(), .in0 = a, .in1 = b, .out = out, .n = n};         \
        gk_run_map(gk_##op##_part, &job, 3 * n * sizeof *out, sizeof *out,                   \
                   gk_family_stream_##family, sizeof *out);                                  \
        return GK_OK;                                                                        \
    }

#define GK_ENTRY_UNARY(op, family, src, dst)                                                      \
    GK_MAP_PART(op, job->kernels->op(GK_AT(const gk_ctype_##dst, job->in0),                       \
                                     GK_DST(gk_ctype_##dst), end - first))                        \
    gk_status gk_##op(const gk_ctype_##dst *x, gk_ctype_##dst *y, size_t n)                       \
    {                                                                                             \
        GK_TRY(gk_validate_inplace("gk_" #op, "x", x, "y", y, sizeof *y, n));                     \
        if (n == 0) return GK_OK;                                                                 \
        struct gk_map_job job = {.kernels = gk_kernels_active(), .in0 = x, .out = y, .n = n};     \
        gk_run_map(gk_##op##_part, &job, 2 * n * sizeof *y, sizeof *y, gk_family_stream_##family, \
                   sizeof *y);                                                                    \
        return GK_OK;                                                                             \
    }

#define GK_ENTRY_SCALE(op, family, src, dst)                                                       \
    GK_MAP_PART(op, job->kernels->op(GK_AT(gk_ctype_##dst, job->out), job->scalar, end - first))   \
    gk_status gk_##op(gk_ctype_##dst *x, float s, size_t n)                                        \
    {                                                                                              \
        GK_TRY(gk_validate_inplace("gk_" #op, "x", x, "x", x, sizeof *x, n));                      \
        if (n == 0) return GK_OK;                                                                  \
        struct gk_map_job job = {.kernels = gk_kernels_active(), .out = x, .scalar = s, .n = n};   \
        gk_run_map(gk_##op##_part, &job, 2 * n * sizeof *x, sizeof *x, GK_STREAM_NONE, sizeof *x); \
        return GK_OK;                                                                              \
    }

#define GK_ENTRY_AXPY(op, family, src, dst)                                                        \
    GK_MAP_PART(op, job->kernels->op(GK_AT(gk_ctype_##dst, job->out), job->scalar,                 \
                                     GK_AT(const gk_ctype_##dst, job->in0), end - first))          \
    gk_status gk_##op(gk_ctype_##dst *y, float a, const gk_ctype_##dst *x, size_t n)               \
    {                                                                                              \
        GK_TRY(gk_validate_inplace("gk_" #op, "x", x, "y", y, sizeof *y, n));                      \
        if (n == 0) return GK_OK;                                                                  \
        struct gk_map_job job = {                                                                  \
            .kernels = gk_kernels_active(), .in0 = x, .out = y, .scalar = a, .n = n};              \
        gk_run_map(gk_##op##_part, &job, 3 * n * sizeof *y, sizeof *y, GK_STREAM_NONE, sizeof *y); \
        return GK_OK;                                                                              \
    }

/* ---- reductions: REDUCE, DOT -------------------------------------------------------------
 * The kernel reduces each fixed-size part to a double; the parts' results are combined here in
 * part order, so the result is the same for every thread count. */

struct gk_reduce_job {
    const struct gk_kernels *kernels;
    const void *a, *b;
    size_t n;
    double *partials; /* one per part */
    size_t chunk;     /* elements per kernel call when the parts interleave, else 0 */
};

static double gk_combine_sum(const double *partials, size_t n_parts)
{
    double total = 0.0;
    for (size_t p = 0; p < n_parts; p++)
        total += partials[p];
    return total;
}

static double gk_combine_max(const double *partials, size_t n_parts)
{
    double m = -(double)INFINITY;
    for (size_t p = 0; p < n_parts; p++) {
        if (isnan(partials[p])) return partials[p];
        if (partials[p] > m) m = partials[p];
    }
    return m;
}

#define GK_COMBINE_vec_sum         gk_combine_sum
#define GK_COMBINE_vec_sum_squares gk_combine_sum
#define GK_COMBINE_vec_dot         gk_combine_sum
#define GK_COMBINE_vec_max         gk_combine_max

/* The result of an empty reduction. */
#define GK_EMPTY_vec_sum         0.0f
#define GK_EMPTY_vec_sum_squares 0.0f
#define GK_EMPTY_vec_dot         0.0f
#define GK_EMPTY_vec_max         (-INFINITY)

/* Reduces job->n elements part by part with `part` (on the pool when the input is large) and
 * combines the parts' results. GK_ENOMEM if the array of partial results cannot be allocated. */
static gk_status gk_run_reduce(gk_pool_fn part,
                               struct gk_reduce_job *job,
                               size_t bytes_read,
                               size_t elem,
                               double (*combine)(const double *, size_t),
                               double *result)
{
    enum { GK_LOCAL_PARTIALS = 32 };

    double local[GK_LOCAL_PARTIALS];
    const size_t n_parts = gk_part_count(job->n);
    job->partials = n_parts <= GK_LOCAL_PARTIALS ? local : malloc(n_parts * sizeof(double));
    job->chunk = gk_interleave_chunk(bytes_read, elem);
    if (!job->partials) return GK_ENOMEM;
    if (bytes_read < GK_PARALLEL_MIN_BYTES)
        part(job, 0, n_parts);
    else
        gk_pool_run(part, job, n_parts);
    *result = combine(job->partials, n_parts);
    if (job->partials != local) free(job->partials);
    return GK_OK;
}

/* Defines gk_<op>_part: partials[p] = the kernel call `call` on part p; interleaved (job->chunk),
 * the combination by `combine` of the kernel's results on the part's chunks in order. */
#define GK_REDUCE_PART(op, call, combine)                                                       \
    static void gk_##op##_part(void *ctx, size_t first_part, size_t end_part)                   \
    {                                                                                           \
        struct gk_reduce_job *job = ctx;                                                        \
        if (!job->chunk) {                                                                      \
            for (size_t p = first_part; p < end_part; p++) {                                    \
                const size_t first = p * GK_PART_ELEMS, end = gk_part_end(p + 1, job->n);       \
                job->partials[p] = call;                                                        \
            }                                                                                   \
            return;                                                                             \
        }                                                                                       \
        double results[GK_INTERLEAVE][GK_MAX_CHUNKS];                                           \
        for (size_t group = first_part; group < end_part; group += GK_INTERLEAVE) {             \
            const size_t parts = gk_group_parts(group, end_part);                               \
            GK_FOR_INTERLEAVED(group, parts, job->n, job->chunk, results[p - group][c] = call); \
            for (size_t p = group; p < group + parts; p++) {                                    \
                const size_t elems = gk_part_end(p + 1, job->n) - p * GK_PART_ELEMS;            \
                job->partials[p] =                                                              \
                    combine(results[p - group], (elems + job->chunk - 1) / job->chunk);         \
            }                                                                                   \
        }                                                                                       \
    }

/* Finishes an entry point: empty input gives the identity, else reduce and store as float. */
#define GK_REDUCE_FINISH(op, family, bytes_read, elem)                                           \
    if (n == 0) {                                                                                \
        *out = GK_EMPTY_##family;                                                                \
        return GK_OK;                                                                            \
    }                                                                                            \
    double result = 0.0;                                                                         \
    GK_TRY(gk_run_reduce(gk_##op##_part, &job, bytes_read, elem, GK_COMBINE_##family, &result)); \
    *out = (float)result;                                                                        \
    return GK_OK;

#define GK_ENTRY_REDUCE(op, family, src, dst)                                              \
    GK_REDUCE_PART(op, job->kernels->op(GK_AT(const gk_ctype_##dst, job->a), end - first), \
                   GK_COMBINE_##family)                                                    \
    gk_status gk_##op(const gk_ctype_##dst *x, size_t n, float *out)                       \
    {                                                                                      \
        GK_TRY(gk_validate_reduce("gk_" #op, x, x, out, sizeof *x, n));                    \
        struct gk_reduce_job job = {gk_kernels_active(), x, NULL, n, NULL, 0};             \
        GK_REDUCE_FINISH(op, family, n * sizeof *x, sizeof *x)                             \
    }

#define GK_ENTRY_DOT(op, family, src, dst)                                                    \
    GK_REDUCE_PART(op,                                                                        \
                   job->kernels->op(GK_AT(const gk_ctype_##dst, job->a),                      \
                                    GK_AT(const gk_ctype_##dst, job->b), end - first),        \
                   GK_COMBINE_##family)                                                       \
    gk_status gk_##op(const gk_ctype_##dst *a, const gk_ctype_##dst *b, size_t n, float *out) \
    {                                                                                         \
        GK_TRY(gk_validate_reduce("gk_" #op, a, b, out, sizeof *a, n));                       \
        struct gk_reduce_job job = {gk_kernels_active(), a, b, n, NULL, 0};                   \
        GK_REDUCE_FINISH(op, family, 2 * n * sizeof *a, sizeof *a)                            \
    }

/* ---- row-wise classes: RMS_NORM, LAYER_NORM, SOFTMAX ------------------------------------
 * Rows are independent: parts are groups of whole rows of about GK_PART_ELEMS elements. */

struct gk_rows_job {
    const struct gk_kernels *kernels;
    const void *x, *p1, *p2; /* input, then the op's optional parameter arrays */
    void *y;
    size_t rows, cols, rows_per_part;
    float eps;
    bool stream; /* the output streams (core/stream.h): the kernels' stores are non-temporal */
};

/* Runs a row-wise job of elements of `elem` bytes. The output streams when it is a separate array
 * too large for the cache; the kernels store it themselves, reading the next row while they write
 * this one (norm.inc, softmax.inc). */
static void gk_run_rows(gk_pool_fn part, struct gk_rows_job *job, size_t elem)
{
    const size_t bytes = job->rows * job->cols * elem;
    job->stream = job->x != job->y && gk_stream_output(bytes);
    job->rows_per_part = job->cols >= GK_PART_ELEMS ? 1 : GK_PART_ELEMS / job->cols;
    const size_t n_parts = (job->rows + job->rows_per_part - 1) / job->rows_per_part;
    if (2 * bytes < GK_PARALLEL_MIN_BYTES || n_parts < 2)
        part(job, 0, n_parts);
    else
        gk_pool_run(part, job, n_parts);
}

/* Defines gk_<op>_part: the kernel call `call` on the `count` rows from element `first` of the
 * job, writing to `out`. */
#define GK_ROWS_PART(op, dst, call)                                                        \
    static void gk_##op##_rows(const struct gk_rows_job *job, size_t first, size_t count,  \
                               gk_ctype_##dst *out)                                        \
    {                                                                                      \
        call;                                                                              \
    }                                                                                      \
    static void gk_##op##_part(void *ctx, size_t first_part, size_t end_part)              \
    {                                                                                      \
        const struct gk_rows_job *job = ctx;                                               \
        const size_t first_row = first_part * job->rows_per_part;                          \
        size_t end_row = end_part * job->rows_per_part;                                    \
        if (end_row > job->rows) end_row = job->rows;                                      \
        const size_t first = first_row * job->cols;                                        \
        gk_stream_stores = job->stream;                                                    \
        gk_##op##_rows(job, first, end_row - first_row, (gk_ctype_##dst *)job->y + first); \
        if (job->stream) {                                                                 \
            gk_stream_stores = false;                                                      \
            gk_stream_fence();                                                             \
        }                                                                                  \
    }

#define GK_ENTRY_RMS_NORM(op, family, src, dst)                                                 \
    GK_ROWS_PART(op, dst,                                                                       \
                 job->kernels->op(GK_AT(const gk_ctype_##dst, job->x),                          \
                                  (const gk_ctype_##dst *)job->p1, out, count, job->cols,       \
                                  job->eps))                                                    \
    gk_status gk_##op(const gk_ctype_##dst *x, const gk_ctype_##dst *weight, gk_ctype_##dst *y, \
                      size_t rows, size_t cols, float eps)                                      \
    {                                                                                           \
        GK_TRY(gk_validate_rows("gk_" #op, x, y, weight, NULL, sizeof *x, rows, cols, eps));    \
        if (rows == 0 || cols == 0) return GK_OK;                                               \
        struct gk_rows_job job = {                                                              \
            gk_kernels_active(), x, weight, NULL, y, rows, cols, 0, eps, false};                \
        gk_run_rows(gk_##op##_part, &job, sizeof *x);                                           \
        return GK_OK;                                                                           \
    }

#define GK_ENTRY_LAYER_NORM(op, family, src, dst)                                              \
    GK_ROWS_PART(                                                                              \
        op, dst,                                                                               \
        job->kernels->op(GK_AT(const gk_ctype_##dst, job->x), (const gk_ctype_##dst *)job->p1, \
                         (const gk_ctype_##dst *)job->p2, out, count, job->cols, job->eps))    \
    gk_status gk_##op(const gk_ctype_##dst *x, const gk_ctype_##dst *gamma,                    \
                      const gk_ctype_##dst *beta, gk_ctype_##dst *y, size_t rows, size_t cols, \
                      float eps)                                                               \
    {                                                                                          \
        GK_TRY(gk_validate_rows("gk_" #op, x, y, gamma, beta, sizeof *x, rows, cols, eps));    \
        if (rows == 0 || cols == 0) return GK_OK;                                              \
        struct gk_rows_job job = {                                                             \
            gk_kernels_active(), x, gamma, beta, y, rows, cols, 0, eps, false};                \
        gk_run_rows(gk_##op##_part, &job, sizeof *x);                                          \
        return GK_OK;                                                                          \
    }

#define GK_ENTRY_SOFTMAX(op, family, src, dst)                                                 \
    GK_ROWS_PART(op, dst,                                                                      \
                 job->kernels->op(GK_AT(const gk_ctype_##dst, job->x), out, count, job->cols)) \
    gk_status gk_##op(const gk_ctype_##dst *x, gk_ctype_##dst *y, size_t rows, size_t cols)    \
    {                                                                                          \
        GK_TRY(gk_validate_rows("gk_" #op, x, y, NULL, NULL, sizeof *x, rows, cols, 0.0f));    \
        if (rows == 0 || cols == 0) return GK_OK;                                              \
        struct gk_rows_job job = {                                                             \
            gk_kernels_active(), x, NULL, NULL, y, rows, cols, 0, 0.0f, false};                \
        gk_run_rows(gk_##op##_part, &job, sizeof *x);                                          \
        return GK_OK;                                                                          \
    }

/* ---- ROPE -------------------------------------------------------------------------------
 * Angles are set up in double: inv_freq[i] = theta_base^(-2i/rot_dim), angle = position *
 * inv_freq[i]. Each token's cosines and sines are evaluated with libm in double, or, when the
 * position advanced by one since the previous token, by one exact-to-rounding rotation step of
 * the previous token's values in double (exact again at every token index that is a multiple of
 * GK_ROPE_REANCHOR, so the drift stays near 1e-15). They are rounded to f32 once, into the
 * kernel's table. */

/* Anchor blocks: tokens [32k, 32k + 32) start from exact cos/sin; parts are whole blocks, so
 * every token's values are the same for any thread count. */
enum { GK_ROPE_REANCHOR = 32 };

struct gk_rope_job {
    const struct gk_kernels *kernels;
    void *x;
    const int32_t *pos; /* NULL: position pos0 + token */
    size_t pos0, n_tokens, n_heads, head_dim, rot_dim, tokens_per_part;
    bool neox;
    void (*rotate)(const struct gk_rope_job *job, size_t token, const float *table);
    /* per pair i: theta_base^(-2i/rot_dim), and the cos and sin of that one-position step */
    const double *inv_freq, *step_c, *step_s;
};

static double gk_rope_position(const struct gk_rope_job *job, size_t token)
{
    return job->pos ? (double)job->pos[token] : (double)job->pos0 + (double)token;
}

/* Writes the kernel's table for pair angles with cosines c[i] and sines s[i], i < rot_dim/2. */
static void
gk_rope_fill_table(const struct gk_rope_job *job, const double *c, const double *s, float *table)
{
    const size_t rot = job->rot_dim, half = rot / 2;
    for (size_t i = 0; i < half; i++) {
        const float cf = (float)c[i], sf = (float)s[i];
        const size_t j = job->neox ? i : 2 * i, k = job->neox ? i + half : 2 * i + 1;
        table[j] = cf;
        table[k] = cf;
        table[rot + j] = -sf;
        table[rot + k] = sf;
    }
}

static void gk_rope_part(void *ctx, size_t first_part, size_t end_part)
{
    const struct gk_rope_job *job = ctx;
    double c[GK_ROPE_MAX_ROT_DIM / 2], s[GK_ROPE_MAX_ROT_DIM / 2];
    float table[2 * GK_ROPE_MAX_ROT_DIM];
    const size_t half = job->rot_dim / 2;
    const size_t first = first_part * job->tokens_per_part;
    size_t end = end_part * job->tokens_per_part;
    if (end > job->n_tokens) end = job->n_tokens;
    double previous = 0.0;
    for (size_t t = first; t < end; t++) {
        const double position = gk_rope_position(job, t);
        const bool anchor = t % GK_ROPE_REANCHOR == 0 || t == first;
        if (!anchor && position == previous + 1.0) {
            for (size_t i = 0; i < half; i++) {
                const double next_c = c[i] * job->step_c[i] - s[i] * job->step_s[i];
                s[i] = s[i] * job->step_c[i] + c[i] * job->step_s[i];
                c[i] = next_c;
            }
        } else if (anchor || position != previous) {
            for (size_t i = 0; i < half; i++) {
                c[i] = cos(position * job->inv_freq[i]);
                s[i] = sin(position * job->inv_freq[i]);
            }
        }
        previous = position;
        gk_rope_fill_table(job, c, s, table);
        job->rotate(job, t, table);
    }
}

/* The body of gk_rope_* (with_pos false: positions pos0 + token) and gk_rope_with_pos_*
 * (positions pos[token]): validates, then rotates every token with `rotate` (on the pool when
 * the tensor is large). */
static gk_status gk_rope_run(const char *api,
                             void (*rotate)(const struct gk_rope_job *, size_t, const float *),
                             void *x,
                             bool with_pos,
                             const int32_t *pos,
                             size_t pos0,
                             size_t n_tokens,
                             size_t n_heads,
                             size_t head_dim,
                             size_t rot_dim,
                             float theta_base,
                             gk_rope_style style,
                             size_t elem_bytes)
{
    GK_CHECK(style == GK_ROPE_NORM || style == GK_ROPE_NEOX, GK_EINVAL, api, "unknown style %d",
             (int)style);
    GK_CHECK(!with_pos || pos != NULL || n_tokens == 0, GK_EINVAL, api, "pos is NULL");
    GK_TRY(gk_validate_rope(api, x, pos, n_tokens, n_heads, head_dim, rot_dim, theta_base,
                            style == GK_ROPE_NEOX, elem_bytes));
    const size_t token_elems = n_heads * head_dim;
    if (n_tokens == 0 || token_elems == 0 || rot_dim == 0) return GK_OK;
    double inv_freq[GK_ROPE_MAX_ROT_DIM / 2], step_c[GK_ROPE_MAX_ROT_DIM / 2],
        step_s[GK_ROPE_MAX_ROT_DIM / 2];
    for (size_t i = 0; i < rot_dim / 2; i++) {
        inv_freq[i] = pow((double)theta_base, -2.0 * (double)i / (double)rot_dim);
        step_c[i] = cos(inv_freq[i]);
        step_s[i] = sin(inv_freq[i]);
    }
    /* parts: whole anchor blocks of about GK_PART_ELEMS elements */
    const size_t blocks = token_elems * GK_ROPE_REANCHOR >= GK_PART_ELEMS
                              ? 1
                              : GK_PART_ELEMS / (token_elems * GK_ROPE_REANCHOR);
    struct gk_rope_job job = {.kernels = gk_kernels_active(),
                              .x = x,
                              .pos = pos,
                              .pos0 = pos0,
                              .n_tokens = n_tokens,
                              .n_heads = n_heads,
                              .head_dim = head_dim,
                              .rot_dim = rot_dim,
                              .tokens_per_part = blocks * GK_ROPE_REANCHOR,
                              .neox = style == GK_ROPE_NEOX,
                              .rotate = rotate,
                              .inv_freq = inv_freq,
                              .step_c = step_c,
                              .step_s = step_s};
    const size_t n_parts = (n_tokens + job.tokens_per_part - 1) / job.tokens_per_part;
    if (2 * n_tokens * token_elems * elem_bytes < GK_PARALLEL_MIN_BYTES || n_parts < 2)
        gk_rope_part(&job, 0, n_parts);
    else
        gk_pool_run(gk_rope_part, &job, n_parts);
    return GK_OK;
}

/* gk_rope_<t> and gk_rope_with_pos_<t>: positions pos0 + token, or pos[token]. */
#define GK_ENTRY_ROPE(op, family, src, dst)                                                        \
    static void gk_##op##_rotate(const struct gk_rope_job *job, size_t token, const float *table)  \
    {                                                                                              \
        const size_t token_elems = job->n_heads * job->head_dim;                                   \
        job->kernels->op((gk_ctype_##dst *)job->x + token * token_elems, table, job->n_heads,      \
                         job->head_dim, job->rot_dim, job->neox);                                  \
    }                                                                                              \
    gk_status gk_##op(gk_ctype_##dst *x, size_t n_tokens, size_t n_heads, size_t head_dim,         \
                      size_t rot_dim, size_t pos0, float theta_base, gk_rope_style style)          \
    {                                                                                              \
        return gk_rope_run("gk_" #op, gk_##op##_rotate, x, false, NULL, pos0, n_tokens, n_heads,   \
                           head_dim, rot_dim, theta_base, style, sizeof *x);                       \
    }                                                                                              \
    gk_status gk_##family##_with_pos_##dst(gk_ctype_##dst *x, const int32_t *pos, size_t n_tokens, \
                                           size_t n_heads, size_t head_dim, size_t rot_dim,        \
                                           float theta_base, gk_rope_style style)                  \
    {                                                                                              \
        return gk_rope_run("gk_" #family "_with_pos_" #dst, gk_##op##_rotate, x, true, pos, 0,     \
                           n_tokens, n_heads, head_dim, rot_dim, theta_base, style, sizeof *x);    \
    }

#define GK_OP(op, family, sig, src, dst, tol) GK_ENTRY_##sig(op, family, src, dst)
#include "ops/ops.def"
#undef GK_OP
