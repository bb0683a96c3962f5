/* SPDX-License-Identifier: MIT */
/* Public entry points, one per line of ops.def: validate, then one indirect call through the
 * active dispatch table (split over the thread pool when the data is large). The definitions are
 * generated; the declarations in include/gllmk/ops.h are written out for readers, and a mismatch
 * between the two fails to compile here. */
#include "gllmk/ops.h"

#include "core/error.h"
#include "core/kernels.h"
#include "core/pool.h"
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

/* ---- CVT ---------------------------------------------------------------------------------- */

struct gk_cvt_job {
    const struct gk_kernels *kernels;
    const void *in;
    void *out;
    size_t n;
};

#define GK_ENTRY_CVT(op, src, dst)                                                                 \
    static void gk_##op##_part(void *ctx, size_t first_part, size_t end_part)                      \
    {                                                                                              \
        const struct gk_cvt_job *job = ctx;                                                        \
        const size_t first = first_part * GK_PART_ELEMS, end = gk_part_end(end_part, job->n);      \
        job->kernels->op((const gk_ctype_##src *)job->in + first,                                  \
                         (gk_ctype_##dst *)job->out + first, end - first);                         \
    }                                                                                              \
                                                                                                   \
    gk_status gk_##op(const gk_ctype_##src *src_ptr, gk_ctype_##dst *dst_ptr, size_t n)            \
    {                                                                                              \
        GK_TRY(gk_validate_cvt("gk_" #op, src_ptr, sizeof *src_ptr, dst_ptr, sizeof *dst_ptr, n)); \
        if (n == 0) return GK_OK;                                                                  \
        const struct gk_kernels *kernels = gk_kernels_active();                                    \
        if (n * (sizeof *src_ptr + sizeof *dst_ptr) < GK_PARALLEL_MIN_BYTES) {                     \
            kernels->op(src_ptr, dst_ptr, n);                                                      \
            return GK_OK;                                                                          \
        }                                                                                          \
        struct gk_cvt_job job = {kernels, src_ptr, dst_ptr, n};                                    \
        gk_pool_run(gk_##op##_part, &job, gk_part_count(n));                                       \
        return GK_OK;                                                                              \
    }

/* ---- BINARY ------------------------------------------------------------------------------- */

struct gk_binary_job {
    const struct gk_kernels *kernels;
    const void *a, *b;
    void *out;
    size_t n;
};

#define GK_ENTRY_BINARY(op, src, dst)                                                         \
    static void gk_##op##_part(void *ctx, size_t first_part, size_t end_part)                 \
    {                                                                                         \
        const struct gk_binary_job *job = ctx;                                                \
        const size_t first = first_part * GK_PART_ELEMS, end = gk_part_end(end_part, job->n); \
        job->kernels->op((const gk_ctype_##dst *)job->a + first,                              \
                         (const gk_ctype_##dst *)job->b + first,                              \
                         (gk_ctype_##dst *)job->out + first, end - first);                    \
    }                                                                                         \
                                                                                              \
    gk_status gk_##op(const gk_ctype_##dst *a, const gk_ctype_##dst *b, gk_ctype_##dst *out,  \
                      size_t n)                                                               \
    {                                                                                         \
        GK_TRY(gk_validate_binary("gk_" #op, a, b, out, sizeof *out, n));                     \
        if (n == 0) return GK_OK;                                                             \
        const struct gk_kernels *kernels = gk_kernels_active();                               \
        if (3 * n * sizeof *out < GK_PARALLEL_MIN_BYTES) {                                    \
            kernels->op(a, b, out, n);                                                        \
            return GK_OK;                                                                     \
        }                                                                                     \
        struct gk_binary_job job = {kernels, a, b, out, n};                                   \
        gk_pool_run(gk_##op##_part, &job, gk_part_count(n));                                  \
        return GK_OK;                                                                         \
    }

#define GK_OP(op, family, sig, src, dst, tol) GK_ENTRY_##sig(op, src, dst)
#include "ops/ops.def"
#undef GK_OP
