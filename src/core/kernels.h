/* SPDX-License-Identifier: MIT */
/* The dispatch table: one function pointer (and the kernel's name) per op of src/ops/ops.def,
 * filled once per ISA tier by that tier's fill function and read-only afterwards. */
#ifndef GK_CORE_KERNELS_H
#define GK_CORE_KERNELS_H

#include <stddef.h>

#include "core/cpu.h"
#include "core/gemm_kernels.h"
#include "ops/sig.h"

/* Kernel prototypes: gk_kfn_<op> is the type of the dispatch slot for <op>. */
#define GK_OP(op, family, sig, src_t, dst_t, tol) typedef GK_KSIG_##sig(*gk_kfn_##op, src_t, dst_t);
#include "ops/ops.def"
#undef GK_OP

/* Op indices, for loops over the table (introspection, tests, benchmarks). */
enum gk_op_id {

#define GK_OP(op, family, sig, src_t, dst_t, tol) GK_OP_ID_##op,
#include "ops/ops.def"
#undef GK_OP
    GK_OP_COUNT
};

struct gk_kernels {
    gk_isa isa;
#define GK_OP(op, family, sig, src_t, dst_t, tol) \
    gk_kfn_##op op;                               \
    const char *op##_name;
#include "ops/ops.def"
#undef GK_OP
    struct gk_gemm_kernels gemm; /* GEMM microkernel, packing, small-m path, block sizes */
    /* Copies `bytes` from `src` to `dst` with non-temporal stores where the tier has them (no
     * fence: the caller ends with gk_stream_fence, core/stream.h); plain memcpy otherwise. */
    void (*stream_copy)(void *dst, const void *src, size_t bytes);
    const char *stream_copy_name;
};

/* Sets slot `op` of table `k` to kernel function `fn` and records its name. */
#define GK_KERNEL_SET(k, op, fn) GK_KERNEL_SET_(k, op, fn) /* expands `fn` before naming it */
#define GK_KERNEL_SET_(k, op, fn) \
    do {                          \
        (k)->op = (fn);           \
        (k)->op##_name = #fn;     \
    } while (0)

/* Fill functions, one per tier; each starts from the tier below and overrides what it improves.
 * Only the tiers this build compiled exist (GK_HAVE_<TIER> is defined for them). */
void gk_kernels_fill_scalar(struct gk_kernels *k);
void gk_kernels_fill_avx2(struct gk_kernels *k);
void gk_kernels_fill_avx512(struct gk_kernels *k);
void gk_kernels_fill_neon(struct gk_kernels *k);

/* Name of the kernel in slot `op_id` of `k`. */
const char *gk_kernels_slot_name(const struct gk_kernels *k, size_t op_id);

/* Checks the table's invariants (no empty slot, a consistent GEMM section); false means a fill
 * function is broken. */
bool gk_kernels_check(const struct gk_kernels *k);

/* The active table (filled on first use). Never NULL. */
const struct gk_kernels *gk_kernels_active(void);

/* The table of a specific tier, or NULL if this build or CPU cannot run it. */
const struct gk_kernels *gk_kernels_for_isa(gk_isa isa);

#endif /* GK_CORE_KERNELS_H */
