/* SPDX-License-Identifier: MIT */
/* The avx2 tier's GEMM: the 6x16 assembly microkernel (src/asm/x86_64/), the generic small-m
 * kernel over vec_avx2.h, and packing whose transposing case (A stored m x k, B stored n x k) goes
 * through 8 x 8 register transposes instead of the generic element-wise scatter. */
#include "kernels/avx2/vec_avx2.h"

#include "kernels/kernel_decls.h"

#include "kernels/generic/gemm.inc"

/* Transposes the 8 x 8 block r[0..7] (row i in r[i]) in place. */
static inline void gk_avx2_transpose8(__m256 r[8])
{
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* The first g (1..8) lanes of v to p. */
static inline void gk_avx2_store_first(float *p, __m256 v, size_t g)
{
    if (g == 8) {
        _mm256_storeu_ps(p, v);
    } else if (g == 6) {
        _mm_storeu_ps(p, _mm256_castps256_ps128(v));
        _mm_storel_pi((__m64 *)(void *)(p + 4), _mm256_extractf128_ps(v, 1));
    } else {
        _mm256_maskstore_ps(p, gk_avx2_lanes_below(g), v);
    }
}

/* Whole 8 x 8 blocks of a full group of g rows (8 rows of a B panel, the 6 rows of an A panel)
 * at `base` (row i at base + i * stride elements), for depth [0, depth rounded down to 8), with g
 * and dtype constants at each call and the source pointer and stride in locals: the per-load row
 * and type tests of the general loop, and reloading the view after every store (which may alias
 * it), made this pack take about 9% of a call with B stored n x k (m = 128, 1 thread), and the
 * runtime g still cost a fifth of its speed (2.3 against 2.7-3.3 floats per cycle packing a
 * 128 x 256 block of B from L2, Zen 3). When `next` is set, the next group's rows (the g rows
 * after these) are prefetched one cache line per row ahead of their packing: a run of KC values
 * per row is too short for the hardware prefetchers to follow. Returns the depth done. */
static inline __attribute__((always_inline)) size_t
gk_avx2_pack_transpose_full(float *dst,
                            const void *base,
                            size_t stride,
                            size_t width,
                            size_t depth,
                            bool next,
                            const size_t g,
                            const gk_dtype dtype)
{
    const size_t esize = dtype == GK_DTYPE_F32 ? 4 : 2, line = 64 / esize;
    size_t d0 = 0;
    for (; d0 + 8 <= depth; d0 += 8) {
        if (next && d0 % line == 0) {
            for (size_t i = 0; i < g; i++)
                __builtin_prefetch((const char *)base + ((g + i) * stride + d0) * esize);
        }
        __m256 r[8];
        for (size_t i = 0; i < 8; i++)
            r[i] = i < g ? gk_gemm_vload(base, dtype, i * stride + d0, 8) : _mm256_setzero_ps();
        gk_avx2_transpose8(r);
        for (size_t t = 0; t < 8; t++)
            gk_avx2_store_first(dst + (d0 + t) * width, r[t], g);
    }
    return d0;
}

/* gk_avx2_pack_transpose_full with the group size and type as constants: 8 (B panels of 16) and
 * 6 (A panels), each source type. Other sizes take the general loop (returns 0). */
static size_t gk_avx2_pack_transpose_group(float *dst,
                                           const void *base,
                                           size_t stride,
                                           size_t width,
                                           size_t depth,
                                           bool next,
                                           size_t g,
                                           gk_dtype dtype)
{
    const bool f16 = dtype == GK_DTYPE_F16, bf16 = dtype == GK_DTYPE_BF16;
    if (g == 8 && f16)
        return gk_avx2_pack_transpose_full(dst, base, stride, width, depth, next, 8, GK_DTYPE_F16);
    if (g == 8 && bf16)
        return gk_avx2_pack_transpose_full(dst, base, stride, width, depth, next, 8, GK_DTYPE_BF16);
    if (g == 8)
        return gk_avx2_pack_transpose_full(dst, base, stride, width, depth, next, 8, GK_DTYPE_F32);
    if (g == 6 && f16)
        return gk_avx2_pack_transpose_full(dst, base, stride, width, depth, next, 6, GK_DTYPE_F16);
    if (g == 6 && bf16)
        return gk_avx2_pack_transpose_full(dst, base, stride, width, depth, next, 6, GK_DTYPE_BF16);
    if (g == 6)
        return gk_avx2_pack_transpose_full(dst, base, stride, width, depth, next, 6, GK_DTYPE_F32);
    return 0;
}

/* Depth-contiguous source: lanes in groups of 8 rows, depth in steps of 8, each 8 x 8 block
 * loaded (and widened) row by row, transposed, and stored as 8 depth rows of the panel. `after`
 * lanes of the call follow this panel (the rows that may be prefetched). */
static void gk_gemm_pack_transpose_avx2(float *dst,
                                        const struct gk_gemm_view *src,
                                        size_t l0,
                                        size_t nl,
                                        size_t width,
                                        size_t depth,
                                        size_t after)
{
    const size_t esize = src->dtype == GK_DTYPE_F32 ? 4 : 2;
    for (size_t lg = 0; lg < width; lg += 8) {
        const size_t g = width - lg < 8 ? width - lg : 8;
        const size_t rows = lg >= nl ? 0 : nl - lg < g ? nl - lg : g; /* real rows of the group */
        size_t d0 = 0;
        if (rows == g) {
            const bool next = !src->cached && (lg + 2 * g <= nl || (lg + g >= width && after >= g));
            d0 = gk_avx2_pack_transpose_group(
                dst + lg, (const char *)src->ptr + (l0 + lg) * src->lane_stride * esize,
                src->lane_stride, width, depth, next, g, src->dtype);
        }
        for (; d0 < depth; d0 += 8) {
            const size_t nd = depth - d0 < 8 ? depth - d0 : 8;
            __m256 r[8];
            for (size_t i = 0; i < 8; i++)
                r[i] = i < rows ? gk_gemm_vload(src->ptr, src->dtype,
                                                (l0 + lg + i) * src->lane_stride + d0, nd)
                                : _mm256_setzero_ps();
            gk_avx2_transpose8(r);
            for (size_t t = 0; t < nd; t++)
                gk_avx2_store_first(dst + (d0 + t) * width + lg, r[t], g);
        }
    }
}

static void gk_gemm_pack_tr8_avx2(
    float *dst, const struct gk_gemm_view *src, size_t n_lanes, size_t width, size_t depth)
{
    if (src->lane_stride == 1 || width == 1) { /* a copy, not a transpose */
        gk_gemm_pack_avx2(dst, src, n_lanes, width, depth);
        return;
    }
    for (size_t l0 = 0; l0 < n_lanes; l0 += width) {
        const size_t nl = n_lanes - l0 < width ? n_lanes - l0 : width;
        gk_gemm_pack_transpose_avx2(dst, src, l0, nl, width, depth, n_lanes - l0 - nl);
        dst += width * depth;
    }
}

void gk_gemm_fill_avx2(struct gk_gemm_kernels *g)
{
    g->ukr = gk_ukr_gemm_f32_avx2_6x16;
    g->ukr_name = "gk_ukr_gemm_f32_avx2_6x16";
    g->mr = 6;
    g->nr = 16;
    /* an edge tile of r rows runs 2 r FMA chains (two vectors per row); Zen 3's two FMA pipes of
     * latency 4 need 8, so edges of 1-3 rows split (6 + r rows as 4 + 3, 4 + 4, 5 + 4) */
    g->split_below = 4;
    g->pack = gk_gemm_pack_tr8_avx2;
    g->pack_name = "gk_gemm_pack_tr8_avx2";
    g->small = gk_gemm_small_avx2;
    g->small_name = "gk_gemm_small_avx2";
    g->small_packed = gk_gemm_small_packed_avx2;
    g->edge = gk_gemm_edge_avx2;
}
