/* SPDX-License-Identifier: MIT */
/* The GEMM section of the dispatch table: a tier's microkernel with its tile shape, its packing
 * and small-m kernels, and the block sizes the driver (src/gemm/) uses with them. */
#ifndef GK_CORE_GEMM_KERNELS_H
#define GK_CORE_GEMM_KERNELS_H

#include <stdbool.h>
#include <stddef.h>

#include "gllmk/types.h"

/* What the microkernel does with its accumulators before it stores them:
 *   c = alpha * acc                       when beta == 0 (C is not read)
 *   c = beta * c + alpha * acc            otherwise (one rounding: fma(beta, c, alpha * acc))
 *   c += bias[j]                          when bias != NULL (bias points at the tile's NR columns)
 * The layout is part of the assembly contract: alpha at byte 0, beta at 4, bias at 8. */
struct gk_gemm_epilogue {
    float alpha;
    float beta;
    const float *bias;
};

/* C[i][j] (i < MR, j < NR, row stride ldc elements) from packed panels:
 *   a: k steps of MR floats (column p of the MR x k block of A),
 *   b: k steps of NR floats (row p of the k x NR block of B), 64-byte aligned.
 * k may be 0 (acc = 0). The whole MR x NR tile of C is written (edge tiles go through a buffer). */
typedef void (*gk_ukr_gemm_f32_fn)(size_t k,
                                   const float *a,
                                   const float *b,
                                   float *c,
                                   size_t ldc,
                                   const struct gk_gemm_epilogue *ep);

/* A strided view of a matrix source: element (lane l, depth d) is at
 * ptr[l * lane_stride + d * depth_stride] in `dtype`. Packing A uses lanes = rows of op(A);
 * packing B uses lanes = columns of op(B). One of the strides is 1 for every layout we accept. */
struct gk_gemm_view {
    const void *ptr;
    gk_dtype dtype;
    size_t lane_stride, depth_stride;
    /* The caller already brought the source into cache (read ahead while it multiplied): the
     * pack does not prefetch it. Otherwise the pack prefetches ahead of its reads: on Zen 3 that
     * made a transposing pack from L2 1.5x slower (1.8 against 2.7-3.3 floats per cycle), and
     * one from DRAM 1.3-1.5x faster (1020 x 256 of A stored m x k: 157-219 -> 119-149 us). */
    bool cached;
};

/* Packs lanes [0, n_lanes) x depth [0, depth) of `src` into ceil(n_lanes / width) panels of
 * depth x width f32 values each (panel q holds lanes q*width ..), lanes past n_lanes zero. */
typedef void (*gk_gemm_pack_fn)(
    float *dst, const struct gk_gemm_view *src, size_t n_lanes, size_t width, size_t depth);

/* The small-m path (m <= GK_GEMM_SMALL_M): computes columns [j0, j1) of the f32 C (ldc) from the
 * dense f32 A (m x k, row stride k) and B read in place (no packing) from `b` (lanes = columns of
 * op(B), depth = k), with the epilogue applied in registers; ep->bias is the whole bias (n values)
 * or NULL. Each element is one f32 sum over p = 0..k-1 in order. */
enum { GK_GEMM_SMALL_M = 16 };

typedef void (*gk_gemm_small_fn)(const float *a,
                                 size_t m,
                                 size_t k,
                                 const struct gk_gemm_view *b,
                                 float *c,
                                 size_t ldc,
                                 size_t j0,
                                 size_t j1,
                                 const struct gk_gemm_epilogue *ep);

/* The small-m path on prepacked B (gk_pack_b_f32's panels: KC blocks of depth kc, each n_pad x
 * kc_cur floats, panel q of columns q nr.. at q nr kc_cur within its block, row p of a panel at
 * p nr): columns [j0, j1) (j0 a multiple of nr) of C from the dense f32 A (m x k). Every element
 * is the microkernel's: per KC block an FMA chain over the block's depth from 0, then the
 * epilogue of that block (beta for the first, 1 after; the bias, n_pad values, with the last), so
 * the result has the packed path's bits. */
typedef void (*gk_gemm_small_packed_fn)(const float *a,
                                        size_t m,
                                        size_t k,
                                        const float *packed,
                                        size_t n,
                                        size_t nr,
                                        size_t kc,
                                        float *c,
                                        size_t ldc,
                                        size_t j0,
                                        size_t j1,
                                        const struct gk_gemm_epilogue *ep);

/* A tile of rows < MR (at most GK_GEMM_EDGE_ROWS; larger edges go through a buffer) and
 * cols <= NR of C from the microkernel's packed panels (a: k steps of `mr` floats, b: k steps of
 * `nr` floats), written straight to C.
 * Every element is the microkernel's: an FMA chain over p = 0..k-1 from zero, then its epilogue,
 * so the bits are those of a microkernel call through a buffer, which would also multiply the
 * missing rows (zero padding) at the full tile's cost. */
enum { GK_GEMM_EDGE_ROWS = 5 };

typedef void (*gk_gemm_edge_fn)(size_t k,
                                const float *a,
                                size_t mr,
                                const float *b,
                                size_t nr,
                                float *c,
                                size_t ldc,
                                size_t rows,
                                size_t cols,
                                const struct gk_gemm_epilogue *ep);

struct gk_gemm_kernels {
    gk_ukr_gemm_f32_fn ukr;
    const char *ukr_name;
    gk_gemm_pack_fn pack;
    const char *pack_name;
    gk_gemm_small_fn small;
    const char *small_name;
    gk_gemm_small_packed_fn small_packed;
    gk_gemm_edge_fn edge;
    size_t mr, nr; /* the microkernel's tile */
    /* A last partial panel of A with fewer rows than this (and a full panel before it) is too
     * short to keep the FMA units busy: the two are cut into two edge tiles of about equal height
     * instead (gemm.c, gk_gemm_row_tiles). 0: never. At most MR - 1, and the halves at most
     * GK_GEMM_EDGE_ROWS (gk_gemm_kernels_check). */
    size_t split_below;
    size_t mc, kc, nc; /* block sizes (set by gk_gemm_blocking_fill after the tier's fill) */
};

enum { GK_GEMM_MAX_MR = 16, GK_GEMM_MAX_NR = 32 }; /* tile buffer bound, checked at fill time */

struct gk_cpu;

/* Sets g->mc, kc, nc from the cache sizes of `cpu` and g->mr, nr, then applies the GK_GEMM_MC/KC/NC
 * environment overrides. */
void gk_gemm_blocking_fill(struct gk_gemm_kernels *g, const struct gk_cpu *cpu);

/* True if the GEMM section is complete and consistent. */
bool gk_gemm_kernels_check(const struct gk_gemm_kernels *g);

#endif /* GK_CORE_GEMM_KERNELS_H */
