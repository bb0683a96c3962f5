/* SPDX-License-Identifier: MIT */
/* The GEMM entry points and driver: validation, then the five BLIS loops (NC, KC, MC around the
 * tier's MR x NR microkernel) over panels packed by the tier's SIMD packing kernel, or the small-m
 * path that streams B once without packing. Everything ISA-specific comes from the dispatch
 * table's GEMM section (src/core/gemm_kernels.h). */
#include "gllmk/gemm.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/error.h"
#include "core/half.h"
#include "core/kernels.h"
#include "core/pool.h"
#include "core/scratch.h"
#include "gemm/gemm_tune.h"
#include "gllmk/runtime.h"

enum {
    GK_GEMM_ALIGN = 64,
    /* Rows of A packed per pass (a multiple of MC): bounds the packed-A buffer (at most
     * 4096 x KC floats) however large m is. */
    GK_GEMM_M_PASS_BLOCKS = 16,
    /* Columns of C per part of a parallel job, in NR panels. Parts never depend on the thread
     * count, and no part splits k, so every element is computed by the same operations whatever
     * the split. */
    GK_GEMM_PART_PANELS = 4,
    /* Columns per part of the small-m path: 2048 / m (at least 256), so that m = 1 streams each
     * row of B stored k x n in runs of 8 KiB and still splits a 4096-column B over two threads.
     * B stored n x k (a column is a whole row of B, read in one run however the columns are
     * split): also at most n / 4, so that n = 1024 splits too (m = 1, k = 1024, B in L3, two
     * threads: 61 -> 33 us). */
    GK_GEMM_SMALL_PART_COLS_M1 = 2048,
    GK_GEMM_SMALL_PART_COLS_MIN = 256,
    /* Panels of B per part of the one-MC-block path (128 columns for NR = 16: the slice's part of
     * C, 64 KiB at m = 128, stays in L2 over a depth pass). */
    GK_GEMM_SLICE_PANELS = 8,
    /* packed A per thread in one depth pass of the one-MC-block path (gk_gemm_slice_k_pass) */
    GK_GEMM_A_PASS_BYTES = 8 << 20,
    /* Panels of B per packing part: a source row is read in runs of this many panels (1 KiB
     * for NR = 16), and a 1024-column block still makes 4 parts for the threads. */
    GK_GEMM_PACK_B_PANELS = 16,
    /* Below this many flops a call runs on the calling thread (waking workers costs ~5 us). */
    GK_GEMM_PARALLEL_MIN_FLOPS = 1 << 22,
    GK_PACKED_B_HEADER_BYTES = 64,
    GK_PACKED_B_MAGIC = 0x4B4D4D47, /* "GMMK" */
    GK_PACKED_B_VERSION = 1,
};

/* The tuning override of gk_gemm_tune_blocking (all zero: the dispatch table's block sizes). */
static struct {
    size_t mc, kc, nc;
} gk_gemm_tuning;

void gk_gemm_tune_blocking(size_t mc, size_t kc, size_t nc)
{
    gk_gemm_tuning.mc = mc;
    gk_gemm_tuning.kc = kc;
    gk_gemm_tuning.nc = nc;
}

/* ---- the plan: everything a part of a job needs ---------------------------------------------- */

/* How the rows of packed A are cut into tiles: panels of MR rows from row 0, except that a split
 * tail (gk_gemm_row_tiles) from row `tail` on is packed as panels of `tail_mr` rows for the edge
 * kernel. A panel starting at row i is always at i * KC floats of the packed block. */
struct gk_gemm_row_tiles {
    size_t mr, tail, tail_mr; /* tail = the number of rows when nothing is split */
};

struct gk_gemm_plan {
    const struct gk_gemm_kernels *g;
    size_t m, n, k;
    struct gk_gemm_view a; /* lanes = rows of op(A), depth = k */
    struct gk_gemm_view b; /* lanes = columns of op(B), depth = k */
    float *c;              /* f32 output (the caller's, or the workspace for f16/bf16 C) */
    size_t ldc;
    float alpha, beta;
    const float *bias;        /* f32, padded to a whole panel, or NULL */
    const float *prepacked;   /* panels of a prepacked B, or NULL */
    size_t mc, kc, nc, n_pad; /* block sizes; n rounded up to NR */
    float *a_buf, *b_buf;     /* packed A (one M pass) and packed B (one NC x KC block) */
    /* the current block */
    size_t jc, nc_cur, pc, kc_cur, ic0, m_pass;
    size_t mc_pass; /* rows per MC block of this pass: m_pass split into equal blocks <= MC */
    struct gk_gemm_row_tiles rows; /* how the pass's rows are cut into tiles */
    const float *b_block; /* packed B of columns [jc, jc + nc_cur), depth [pc, pc + kc_cur) */
};

static size_t gk_round_up(size_t x, size_t multiple)
{
    return (x + multiple - 1) / multiple * multiple;
}

static size_t gk_min(size_t a, size_t b)
{
    return a < b ? a : b;
}

static size_t gk_dtype_bytes(gk_dtype t)
{
    return t == GK_DTYPE_F32 ? 4 : 2;
}

/* The view v moved to element (lane, depth). */
static struct gk_gemm_view gk_view_at(struct gk_gemm_view v, size_t lane, size_t depth)
{
    v.ptr = (const char *)v.ptr +
            (lane * v.lane_stride + depth * v.depth_stride) * gk_dtype_bytes(v.dtype);
    return v;
}

/* The tiles of `rows` rows of A. A last partial panel of r < g->split_below rows is too short to
 * keep the FMA units busy (r x NR/lanes chains); it joins the full panel before it, and the
 * MR + r rows become two edge tiles of about equal height. The edge kernel has the microkernel's
 * bits, so the cut changes no result. Zen 3, AVX2, B n x k, n = k = 4096, 1 thread: a 2-row edge
 * took as long as 4 rows of the microkernel, while a 4-row edge runs at its rate. The tail never
 * starts before row `from` (the last MC block's first row: tiles do not cross blocks). */
static struct gk_gemm_row_tiles
gk_gemm_row_tiles(const struct gk_gemm_kernels *g, size_t rows, size_t from)
{
    const size_t r = rows % g->mr;
    struct gk_gemm_row_tiles t = {g->mr, rows, g->mr};
    if (r != 0 && r < g->split_below && rows >= from + g->mr + r) {
        t.tail = rows - r - g->mr;
        t.tail_mr = (g->mr + r + 1) / 2;
    }
    return t;
}

/* The height of the panel (and tile) that starts at row i. */
static size_t gk_gemm_tile_height(const struct gk_gemm_row_tiles *t, size_t i)
{
    return i < t->tail ? t->mr : t->tail_mr;
}

/* Packs the panels that start in rows [r0, r1) of A (r0 at a panel start) into `dst`, a panel
 * starting at row i at dst + i * kc; `v` is A at row 0 of the cut. A split tail is packed whole by
 * the call whose range holds its first row. */
static void gk_gemm_pack_a_rows(const struct gk_gemm_kernels *g,
                                float *dst,
                                const struct gk_gemm_view *v,
                                const struct gk_gemm_row_tiles *t,
                                size_t rows,
                                size_t r0,
                                size_t r1,
                                size_t kc)
{
    const size_t main_end = gk_min(r1, t->tail);
    if (r0 < main_end) {
        const struct gk_gemm_view va = gk_view_at(*v, r0, 0);
        g->pack(dst + r0 * kc, &va, main_end - r0, t->mr, kc);
    }
    if (r0 <= t->tail && t->tail < r1) {
        const struct gk_gemm_view vt = gk_view_at(*v, t->tail, 0);
        g->pack(dst + t->tail * kc, &vt, rows - t->tail, t->tail_mr, kc);
    }
}

/* The epilogue of block pc: the first block applies beta, later ones accumulate (beta 1), the
 * last adds the bias. */
static struct gk_gemm_epilogue
gk_block_epilogue(const struct gk_gemm_plan *p, size_t pc, size_t kc_cur, const float *bias_at)
{
    const bool last = pc + kc_cur >= p->k;
    struct gk_gemm_epilogue ep = {p->alpha, pc == 0 ? p->beta : 1.0f,
                                  last && p->bias ? bias_at : NULL};
    return ep;
}

/* Packing B: part q packs GK_GEMM_PACK_B_PANELS panels of the NC x KC block. */
static void gk_gemm_pack_b_part(void *ctx, size_t first, size_t end)
{
    const struct gk_gemm_plan *p = ctx;
    const struct gk_gemm_kernels *g = p->g;
    for (size_t part = first; part < end; part++) {
        const size_t j = part * GK_GEMM_PACK_B_PANELS * g->nr;
        const struct gk_gemm_view v = gk_view_at(p->b, p->jc + j, p->pc);
        g->pack(p->b_buf + j * p->kc_cur, &v, gk_min(GK_GEMM_PACK_B_PANELS * g->nr, p->nc_cur - j),
                g->nr, p->kc_cur);
    }
}

/* Packing A: part q packs the panels that start in the q-th MR rows of the M pass; a range of
 * parts is one call, so that the pack can read the next panel's source ahead. */
static void gk_gemm_pack_a_part(void *ctx, size_t first, size_t end)
{
    const struct gk_gemm_plan *p = ctx;
    const struct gk_gemm_kernels *g = p->g;
    const struct gk_gemm_view v = gk_view_at(p->a, p->ic0, p->pc);
    gk_gemm_pack_a_rows(g, p->a_buf, &v, &p->rows, p->m_pass, first * g->mr,
                        gk_min(end * g->mr, p->m_pass), p->kc_cur);
}

/* One tile of C at `c` (row stride ldc) from an A panel of `panel_rows` rows: the microkernel's
 * whole tile, else the edge kernel, else (edges of more rows than it takes) the microkernel through
 * a buffer, so that it always writes a whole tile and never touches C outside the matrix. */
static void gk_gemm_tile(const struct gk_gemm_kernels *g,
                         size_t kc,
                         const float *a_panel,
                         size_t panel_rows,
                         const float *b_panel,
                         float *c,
                         size_t ldc,
                         size_t mr_cur,
                         size_t nr_cur,
                         const struct gk_gemm_epilogue *ep)
{
    if (mr_cur == g->mr && nr_cur == g->nr) {
        g->ukr(kc, a_panel, b_panel, c, ldc, ep);
        return;
    }
    if (mr_cur < g->mr && mr_cur <= GK_GEMM_EDGE_ROWS) {
        g->edge(kc, a_panel, panel_rows, b_panel, g->nr, c, ldc, mr_cur, nr_cur, ep);
        return;
    }
    _Alignas(GK_GEMM_ALIGN) float tile[GK_GEMM_MAX_MR * GK_GEMM_MAX_NR];
    if (ep->beta != 0.0f) {
        for (size_t r = 0; r < mr_cur; r++)
            memcpy(tile + r * g->nr, c + r * ldc, nr_cur * sizeof(float));
    }
    g->ukr(kc, a_panel, b_panel, tile, g->nr, ep);
    for (size_t r = 0; r < mr_cur; r++)
        memcpy(c + r * ldc, tile + r * g->nr, nr_cur * sizeof(float));
}

/* Compute stage: part = (MC block of the pass) x (GK_GEMM_PART_PANELS panels of the NC block). */
static void gk_gemm_compute_part(void *ctx, size_t first, size_t end)
{
    const struct gk_gemm_plan *p = ctx;
    const struct gk_gemm_kernels *g = p->g;
    const size_t n_panels = (p->nc_cur + g->nr - 1) / g->nr;
    const size_t n_chunks = (n_panels + GK_GEMM_PART_PANELS - 1) / GK_GEMM_PART_PANELS;
    for (size_t part = first; part < end; part++) {
        const size_t ib = (part / n_chunks) * p->mc_pass;
        const size_t q0 = (part % n_chunks) * GK_GEMM_PART_PANELS;
        const size_t mc_cur = gk_min(p->mc_pass, p->m_pass - ib);
        const size_t q1 = gk_min(q0 + GK_GEMM_PART_PANELS, n_panels);
        for (size_t q = q0; q < q1; q++) {
            const size_t j = q * g->nr, nr_cur = gk_min(g->nr, p->nc_cur - j);
            const float *b_panel = p->b_block + j * p->kc_cur;
            const struct gk_gemm_epilogue ep =
                gk_block_epilogue(p, p->pc, p->kc_cur, p->bias ? p->bias + p->jc + j : NULL);
            for (size_t i = ib, h; i < ib + mc_cur; i += h) {
                h = gk_gemm_tile_height(&p->rows, i);
                gk_gemm_tile(g, p->kc_cur, p->a_buf + i * p->kc_cur, h, b_panel,
                             p->c + (p->ic0 + i) * p->ldc + p->jc + j, p->ldc,
                             gk_min(h, ib + mc_cur - i), nr_cur, &ep);
            }
        }
    }
}

static void gk_gemm_run_parts(gk_pool_fn fn, struct gk_gemm_plan *p, size_t n_parts, bool parallel)
{
    if (parallel && n_parts > 1)
        gk_pool_run(fn, p, n_parts);
    else
        fn(p, 0, n_parts);
}

static void gk_gemm_packed_path(struct gk_gemm_plan *p)
{
    const struct gk_gemm_kernels *g = p->g;
    const double flops = 2.0 * (double)p->m * (double)p->n * (double)p->k;
    const bool parallel = flops >= (double)GK_GEMM_PARALLEL_MIN_FLOPS;
    const size_t m_pass_max = p->mc * GK_GEMM_M_PASS_BLOCKS;
    for (p->jc = 0; p->jc < p->n; p->jc += p->nc) {
        p->nc_cur = gk_min(p->nc, p->n - p->jc);
        for (p->pc = 0; p->pc < p->k; p->pc += p->kc) {
            p->kc_cur = gk_min(p->kc, p->k - p->pc);
            p->b_block =
                p->prepacked ? p->prepacked + p->pc * p->n_pad + p->jc * p->kc_cur : p->b_buf;
            for (p->ic0 = 0; p->ic0 < p->m; p->ic0 += m_pass_max) {
                p->m_pass = gk_min(m_pass_max, p->m - p->ic0);
                /* B is packed with the first M pass only; later passes reuse it. */
                const size_t n_panels = (p->nc_cur + g->nr - 1) / g->nr;
                if (!p->prepacked && p->ic0 == 0)
                    gk_gemm_run_parts(
                        gk_gemm_pack_b_part, p,
                        (n_panels + GK_GEMM_PACK_B_PANELS - 1) / GK_GEMM_PACK_B_PANELS, parallel);
                /* Equal MC blocks (a multiple of MR each), so that the threads, which get equal
                 * numbers of parts, also get equal work. Depends on m only, never on threads. */
                const size_t n_mblocks = (p->m_pass + p->mc - 1) / p->mc;
                p->mc_pass = gk_round_up((p->m_pass + n_mblocks - 1) / n_mblocks, g->mr);
                const size_t last_block = (p->m_pass - 1) / p->mc_pass * p->mc_pass;
                p->rows = gk_gemm_row_tiles(g, p->m_pass, last_block);
                gk_gemm_run_parts(gk_gemm_pack_a_part, p, (p->m_pass + g->mr - 1) / g->mr,
                                  parallel);
                const size_t n_parts = ((p->m_pass + p->mc_pass - 1) / p->mc_pass) *
                                       ((n_panels + GK_GEMM_PART_PANELS - 1) / GK_GEMM_PART_PANELS);
                gk_gemm_run_parts(gk_gemm_compute_part, p, n_parts, parallel);
            }
        }
    }
}

/* ---- one MC block (m <= MC): one parallel job per call ----------------------------------------
 * The LLM shapes (m up to a few hundred) have a single MC block. The packed path above would
 * fork and join three times per (NC, KC) block (hundreds of times per call), and each join waits
 * for the slowest thread: on a shared machine, a thread that loses its CPU for one time slice
 * stalls them all. Here one job covers the call: parts are slices of GK_GEMM_SLICE_PANELS
 * panels of columns, each thread takes a contiguous range of slices, packs A a depth pass at a
 * time (gk_gemm_slice_k_pass) into its own buffer, then runs each slice over the pass's KC
 * blocks, packing and multiplying one panel of B at a time while it reads the next one ahead. The
 * KC blocks and the microkernel calls of each element, in their order, are the same as in the
 * packed path, so results do not depend on the thread count. */

struct gk_gemm_slice_job {
    const struct gk_gemm_plan *p;
    float *slots;       /* one A + B buffer per thread */
    size_t slot_floats; /* floats per slot */
    size_t n_slots;
    atomic_size_t next_slot;
    atomic_bool failed; /* a thread found no slot and could not allocate one */
};

/* Depth of A a thread packs at once (a multiple of KC). Each slice then runs through the whole
 * pass, KC block after KC block, while its part of C stays in L2 and its source rows of B are read
 * in order; with one KC block per pass instead, C went through L3 once per block and B was read 1
 * KiB per column per block (m = 128, n = 4096, k = 11008, B stored n x k, 1 thread: 158.7 ms per
 * call, 138.3 ms with the whole depth in one pass). The pass is bounded so that the packed A stays
 * under GK_GEMM_A_PASS_BYTES per thread. */
static size_t gk_gemm_slice_k_pass(const struct gk_gemm_plan *p)
{
    const size_t a_row_bytes = gk_round_up(p->m, p->g->mr) * sizeof(float);
    const size_t blocks = GK_GEMM_A_PASS_BYTES / (a_row_bytes * p->kc);
    return blocks == 0 ? p->kc : gk_min(blocks * p->kc, gk_round_up(p->k, p->kc));
}

/* The B panel a thread reads next (its source, or the prepacked panel), read ahead while it
 * multiplies the current one: packing reads B in short runs (one run of KC values per column when
 * B stored n x k), which the hardware prefetchers follow poorly, and a prepacked panel is a new
 * run every 16 KiB. Measured on Zen 3, m = 128, n = k = 4096, 1 thread: a slice's next source
 * read ahead took 52.1 ms per call instead of 53.5; one panel ahead instead of a slice (one panel
 * packed at a time) was 1.4-6% faster again than that for B n x k, B k x n and prepacked at
 * m = 32..200 (two builds in one process, alternating calls). The region is `runs` runs of
 * `run_bytes` bytes, `stride` bytes apart; each tile of the current panel issues the next
 * `per_tile` cache lines' prefetches, spreading them over the panel's multiplication. */
struct gk_gemm_ahead {
    const char *base;
    size_t runs, run_bytes, stride;
    size_t run, offset; /* the next line to prefetch */
    size_t per_tile;
};

enum { GK_CACHE_LINE = 64 };

static void gk_gemm_ahead_start(struct gk_gemm_ahead *ah,
                                const struct gk_gemm_plan *p,
                                size_t j0,
                                size_t pc,
                                size_t cols,
                                size_t tiles)
{
    const struct gk_gemm_view *b = &p->b;
    const size_t esize = gk_dtype_bytes(b->dtype);
    const size_t nc = gk_min(cols, p->n - j0);
    const size_t kc = gk_min(p->kc, p->k - pc);
    ah->base = p->prepacked ? (const char *)(p->prepacked + pc * p->n_pad + j0 * kc)
                            : (const char *)gk_view_at(*b, j0, pc).ptr;
    if (p->prepacked) { /* packed panels: one run */
        ah->runs = 1;
        ah->run_bytes = gk_round_up(nc, p->g->nr) * kc * sizeof(float);
        ah->stride = 0;
    } else if (b->lane_stride == 1) { /* B stored k x n: a run per depth row */
        ah->runs = kc;
        ah->run_bytes = nc * esize;
        ah->stride = b->depth_stride * esize;
    } else { /* B stored n x k: a run per column */
        ah->runs = nc;
        ah->run_bytes = kc * esize;
        ah->stride = b->lane_stride * esize;
    }
    ah->run = ah->offset = 0;
    const size_t lines = ah->runs * ((ah->run_bytes + GK_CACHE_LINE - 1) / GK_CACHE_LINE);
    ah->per_tile = (lines + tiles - 1) / tiles;
}

static void gk_gemm_ahead_step(struct gk_gemm_ahead *ah)
{
    for (size_t q = 0; q < ah->per_tile && ah->run < ah->runs; q++) {
        __builtin_prefetch(ah->base + ah->run * ah->stride + ah->offset, 0, 3);
        ah->offset += GK_CACHE_LINE;
        if (ah->offset >= ah->run_bytes) {
            ah->offset = 0;
            ah->run++;
        }
    }
}

static void gk_gemm_slice_part(void *ctx, size_t first, size_t end)
{
    struct gk_gemm_slice_job *job = ctx;
    const struct gk_gemm_plan *p = job->p;
    const struct gk_gemm_kernels *g = p->g;
    const size_t slot = atomic_fetch_add(&job->next_slot, 1);
    /* The pool runs at most gk_pool_threads() ranges at once, so a slot always exists unless the
     * thread count changed during the call (which runtime.h forbids); allocate then. */
    float *own = NULL;
    float *buf = slot < job->n_slots ? job->slots + slot * job->slot_floats : NULL;
    if (!buf) {
        buf = own = gk_aligned_alloc(job->slot_floats * sizeof(float), GK_GEMM_ALIGN);
        if (!buf) {
            atomic_store(&job->failed, true);
            return;
        }
    }
    const size_t slice_cols = GK_GEMM_SLICE_PANELS * g->nr;
    const size_t m_pad = gk_round_up(p->m, g->mr), k_pass = gk_gemm_slice_k_pass(p);
    const struct gk_gemm_row_tiles rows = gk_gemm_row_tiles(g, p->m, 0);
    float *a_pass = buf, *b_buf = buf + m_pad * k_pass;
    for (size_t kp = 0; kp < p->k; kp += k_pass) {
        const size_t kp_end = gk_min(kp + k_pass, p->k);
        for (size_t pc = kp; pc < kp_end; pc += p->kc) {
            const struct gk_gemm_view va = gk_view_at(p->a, 0, pc);
            gk_gemm_pack_a_rows(g, a_pass + (pc - kp) * m_pad, &va, &rows, p->m, 0, p->m,
                                gk_min(p->kc, p->k - pc));
        }
        bool ahead_next = false; /* the panel packed next was read ahead */
        for (size_t part = first; part < end; part++) {
            const size_t j0 = part * slice_cols, nc_cur = gk_min(slice_cols, p->n - j0);
            for (size_t pc = kp; pc < kp_end; pc += p->kc) {
                const size_t kc_cur = gk_min(p->kc, p->k - pc);
                const float *a_buf = a_pass + (pc - kp) * m_pad;
                for (size_t j = 0; j < nc_cur; j += g->nr) {
                    /* the panel read next: the slice's next one, else the first of the slice's
                     * next KC block, else the next slice's first of this pass */
                    struct gk_gemm_ahead ahead = {0};
                    const size_t tiles = m_pad / g->mr, nr = g->nr;
                    const bool ahead_started = ahead_next;
                    ahead_next = j + nr < nc_cur || pc + p->kc < kp_end || part + 1 < end;
                    if (j + nr < nc_cur)
                        gk_gemm_ahead_start(&ahead, p, j0 + j + nr, pc, nr, tiles);
                    else if (pc + p->kc < kp_end)
                        gk_gemm_ahead_start(&ahead, p, j0, pc + p->kc, nr, tiles);
                    else if (part + 1 < end)
                        gk_gemm_ahead_start(&ahead, p, j0 + slice_cols, kp, nr, tiles);
                    const float *b_panel;
                    if (p->prepacked) {
                        b_panel = p->prepacked + pc * p->n_pad + (j0 + j) * kc_cur;
                    } else {
                        struct gk_gemm_view vb = gk_view_at(p->b, j0 + j, pc);
                        vb.cached = ahead_started;
                        g->pack(b_buf, &vb, gk_min(nr, nc_cur - j), nr, kc_cur);
                        b_panel = b_buf;
                    }
                    const struct gk_gemm_epilogue ep =
                        gk_block_epilogue(p, pc, kc_cur, p->bias ? p->bias + j0 + j : NULL);
                    for (size_t i = 0, h; i < p->m; i += h, gk_gemm_ahead_step(&ahead)) {
                        h = gk_gemm_tile_height(&rows, i);
                        gk_gemm_tile(g, kc_cur, a_buf + i * kc_cur, h, b_panel,
                                     p->c + i * p->ldc + j0 + j, p->ldc, gk_min(h, p->m - i),
                                     gk_min(nr, nc_cur - j), &ep);
                    }
                }
            }
        }
    }
    gk_aligned_free(own);
}

/* Floats of one thread's slot: packed A (all m rows) and one panel of packed B. */
static size_t gk_gemm_slice_slot_floats(const struct gk_gemm_plan *p)
{
    const size_t kc = gk_min(p->kc, p->k);
    const size_t floats = gk_round_up(p->m, p->g->mr) * gk_gemm_slice_k_pass(p) + p->g->nr * kc;
    return gk_round_up(floats, GK_GEMM_ALIGN / sizeof(float));
}

static gk_status gk_gemm_slice_path(const struct gk_gemm_plan *p, float *slots, size_t n_slots)
{
    struct gk_gemm_slice_job job = {p, slots, gk_gemm_slice_slot_floats(p), n_slots, 0, false};
    const size_t slice_cols = GK_GEMM_SLICE_PANELS * p->g->nr;
    const size_t n_parts = (p->n + slice_cols - 1) / slice_cols;
    const double flops = 2.0 * (double)p->m * (double)p->n * (double)p->k;
    if (flops >= (double)GK_GEMM_PARALLEL_MIN_FLOPS && n_parts > 1)
        gk_pool_run(gk_gemm_slice_part, &job, n_parts);
    else
        gk_gemm_slice_part(&job, 0, n_parts);
    return atomic_load(&job.failed) ? GK_ENOMEM : GK_OK;
}

/* ---- small m -----------------------------------------------------------------------------------
 */

struct gk_gemm_small_job {
    const struct gk_gemm_kernels *g;
    const float *a;
    size_t m, n, k;
    struct gk_gemm_view b;
    float *c;
    size_t ldc;
    struct gk_gemm_epilogue ep;
    size_t part_cols; /* depends on m only */
};

static void gk_gemm_small_part(void *ctx, size_t first, size_t end)
{
    const struct gk_gemm_small_job *s = ctx;
    const size_t j0 = first * s->part_cols;
    const size_t j1 = gk_min(end * s->part_cols, s->n);
    s->g->small(s->a, s->m, s->k, &s->b, s->c, s->ldc, j0, j1, &s->ep);
}

/* Small m on prepacked B: parts of GK_GEMM_SLICE_PANELS panels, each over every KC block. */
struct gk_gemm_small_packed_job {
    const struct gk_gemm_plan *p;
    const float *a;
};

static void gk_gemm_small_packed_part(void *ctx, size_t first, size_t end)
{
    const struct gk_gemm_small_packed_job *s = ctx;
    const struct gk_gemm_plan *p = s->p;
    const size_t part_cols = GK_GEMM_SLICE_PANELS * p->g->nr;
    const struct gk_gemm_epilogue ep = {p->alpha, p->beta, p->bias};
    p->g->small_packed(s->a, p->m, p->k, p->prepacked, p->n, p->g->nr, p->kc, p->c, p->ldc,
                       first * part_cols, gk_min(end * part_cols, p->n), &ep);
}

static void gk_gemm_small_packed_path(const struct gk_gemm_plan *p, float *a_dense)
{
    p->g->pack(a_dense, &p->a, p->m, 1, p->k);
    struct gk_gemm_small_packed_job s = {p, a_dense};
    const size_t part_cols = GK_GEMM_SLICE_PANELS * p->g->nr;
    const size_t n_parts = (p->n + part_cols - 1) / part_cols;
    const double flops = 2.0 * (double)p->m * (double)p->n * (double)p->k;
    if (flops >= (double)GK_GEMM_PARALLEL_MIN_FLOPS / 4 && n_parts > 1)
        gk_pool_run(gk_gemm_small_packed_part, &s, n_parts);
    else
        gk_gemm_small_packed_part(&s, 0, n_parts);
}

static void gk_gemm_small_path(const struct gk_gemm_plan *p, float *a_dense)
{
    /* A (at most 16 rows) is widened to a dense f32 m x k matrix: panels of width 1 are rows. */
    p->g->pack(a_dense, &p->a, p->m, 1, p->k);
    struct gk_gemm_small_job s = {p->g,
                                  a_dense,
                                  p->m,
                                  p->n,
                                  p->k,
                                  p->b,
                                  p->c,
                                  p->ldc,
                                  {p->alpha, p->beta, p->bias},
                                  GK_GEMM_SMALL_PART_COLS_M1 / p->m / 64 * 64};
    if (p->b.lane_stride != 1) /* B stored n x k */
        s.part_cols = gk_min(s.part_cols, gk_round_up(p->n / 4, 64));
    if (s.part_cols < GK_GEMM_SMALL_PART_COLS_MIN) s.part_cols = GK_GEMM_SMALL_PART_COLS_MIN;
    const size_t n_parts = (p->n + s.part_cols - 1) / s.part_cols;
    const double flops = 2.0 * (double)p->m * (double)p->n * (double)p->k;
    if (flops >= (double)GK_GEMM_PARALLEL_MIN_FLOPS / 4 && n_parts > 1)
        gk_pool_run(gk_gemm_small_part, &s, n_parts);
    else
        gk_gemm_small_part(&s, 0, n_parts);
}

/* ---- validation -------------------------------------------------------------------------------
 */

static bool gk_dtype_valid(gk_dtype t)
{
    return t == GK_DTYPE_F32 || t == GK_DTYPE_F16 || t == GK_DTYPE_BF16;
}

/* Bytes spanned by a rows x cols row-major matrix with leading dimension ld; false on overflow. */
static bool gk_matrix_bytes(size_t rows, size_t cols, size_t ld, size_t elem, size_t *bytes)
{
    if (rows == 0 || cols == 0) {
        *bytes = 0;
        return true;
    }
    size_t span;
    return gk_mul_size(rows - 1, ld, &span) && gk_add_size(span, cols, &span) &&
           gk_mul_size(span, elem, bytes);
}

static gk_status gk_gemm_validate(
    const char *api, const gk_gemm_args *x, size_t *a_bytes, size_t *b_bytes, size_t *c_bytes)
{
    GK_CHECK(x != NULL, GK_EINVAL, api, "args is NULL");
    GK_CHECK(gk_dtype_valid(x->a_dtype) && gk_dtype_valid(x->b_dtype) && gk_dtype_valid(x->c_dtype),
             GK_EINVAL, api, "unknown dtype");
    GK_CHECK(x->a_dtype == x->b_dtype, GK_EINVAL, api, "A and B have different dtypes");
    GK_CHECK(x->c_dtype == GK_DTYPE_F32 || x->c_dtype == x->a_dtype, GK_EINVAL, api,
             "C must be f32 or the input dtype");
    const size_t a_rows = x->trans_a ? x->k : x->m, a_cols = x->trans_a ? x->m : x->k;
    const size_t b_rows = x->trans_b ? x->n : x->k, b_cols = x->trans_b ? x->k : x->n;
    GK_CHECK(a_rows == 0 || a_cols == 0 || x->lda >= a_cols, GK_EINVAL, api, "lda %zu < %zu",
             x->lda, a_cols);
    GK_CHECK(b_rows == 0 || b_cols == 0 || x->ldb >= b_cols, GK_EINVAL, api, "ldb %zu < %zu",
             x->ldb, b_cols);
    GK_CHECK(x->m == 0 || x->n == 0 || x->ldc >= x->n, GK_EINVAL, api, "ldc %zu < n %zu", x->ldc,
             x->n);
    GK_CHECK(gk_matrix_bytes(a_rows, a_cols, x->lda, gk_dtype_bytes(x->a_dtype), a_bytes) &&
                 gk_matrix_bytes(b_rows, b_cols, x->ldb, gk_dtype_bytes(x->b_dtype), b_bytes) &&
                 gk_matrix_bytes(x->m, x->n, x->ldc, gk_dtype_bytes(x->c_dtype), c_bytes),
             GK_EOVERFLOW, api, "a matrix size overflows size_t bytes");
    size_t mn;
    GK_CHECK(gk_mul_size(x->m, x->n, &mn) && gk_mul_size(mn, x->k, &mn), GK_EOVERFLOW, api,
             "m * n * k overflows size_t");
    if (x->m == 0 || x->n == 0) return GK_OK;
    GK_CHECK(x->c != NULL, GK_EINVAL, api, "c is NULL");
    GK_CHECK(*a_bytes == 0 || x->a != NULL, GK_EINVAL, api, "a is NULL");
    GK_CHECK(*b_bytes == 0 || x->b != NULL, GK_EINVAL, api, "b is NULL");
    GK_CHECK(!gk_ranges_overlap(x->c, *c_bytes, x->a, *a_bytes), GK_EALIAS, api, "c overlaps a");
    GK_CHECK(!gk_ranges_overlap(x->c, *c_bytes, x->b, *b_bytes), GK_EALIAS, api, "c overlaps b");
    GK_CHECK(!gk_ranges_overlap(x->c, *c_bytes, x->bias, x->n * gk_dtype_bytes(x->c_dtype)),
             GK_EALIAS, api, "c overlaps bias");
    return GK_OK;
}

/* ---- the common driver ------------------------------------------------------------------------
 */

static float gk_load_as_f32(const void *p, gk_dtype t, size_t i)
{
    switch (t) {
    case GK_DTYPE_F16: return gk_f32_from_f16_bits(((const gk_f16 *)p)[i].bits);
    case GK_DTYPE_BF16: return gk_f32_from_bits((uint32_t)((const gk_bf16 *)p)[i].bits << 16);
    default: return ((const float *)p)[i];
    }
}

/* The rows of an f16/bf16 C (row stride ldc) widened into the f32 workspace (row stride n), and
 * back, through the active tier's conversion kernels: the bits of gk_cvt_*, at vector speed. */
static void gk_gemm_c_to_f32(const gk_gemm_args *x, float *c32)
{
    const struct gk_kernels *k = gk_kernels_active();
    for (size_t i = 0; i < x->m; i++) {
        if (x->c_dtype == GK_DTYPE_F16)
            k->cvt_f16_to_f32((const gk_f16 *)x->c + i * x->ldc, c32 + i * x->n, x->n);
        else
            k->cvt_bf16_to_f32((const gk_bf16 *)x->c + i * x->ldc, c32 + i * x->n, x->n);
    }
}

static void gk_gemm_c_from_f32(const gk_gemm_args *x, const float *c32)
{
    const struct gk_kernels *k = gk_kernels_active();
    for (size_t i = 0; i < x->m; i++) {
        if (x->c_dtype == GK_DTYPE_F16)
            k->cvt_f32_to_f16(c32 + i * x->n, (gk_f16 *)x->c + i * x->ldc, x->n);
        else
            k->cvt_f32_to_bf16(c32 + i * x->n, (gk_bf16 *)x->c + i * x->ldc, x->n);
    }
}

/* Offsets of the workspace pieces, each 64-byte aligned. */
struct gk_gemm_workspace {
    size_t a_off, b_off, bias_off, c_off, bytes;
};

static bool gk_ws_add(struct gk_gemm_workspace *ws, size_t *off, size_t n_floats)
{
    size_t bytes;
    if (!gk_mul_size(n_floats, sizeof(float), &bytes) ||
        !gk_add_size(bytes, GK_GEMM_ALIGN - 1, &bytes))
        return false;
    *off = ws->bytes;
    return gk_add_size(ws->bytes, bytes / GK_GEMM_ALIGN * GK_GEMM_ALIGN, &ws->bytes);
}

static float *gk_ws_at(void *base, size_t off)
{
    return (float *)((char *)base + off);
}

/* Runs a validated call. `prepacked` (panels of B, NULL if B is in args) and `kc` (the packed
 * buffer's depth block, 0 for the table's) come from a prepacked buffer. */
static gk_status
gk_gemm_run(const char *api, const gk_gemm_args *x, const float *prepacked, size_t prepacked_kc)
{
    if (x->m == 0 || x->n == 0) return GK_OK;
    const struct gk_kernels *kt = gk_kernels_active();
    const struct gk_gemm_kernels *g = &kt->gemm;
    struct gk_gemm_plan p = {0};
    p.g = g;
    p.m = x->m;
    p.n = x->n;
    p.k = x->k;
    p.a = (struct gk_gemm_view){x->a, x->a_dtype, x->trans_a ? 1 : x->lda, x->trans_a ? x->lda : 1,
                                false};
    p.b = (struct gk_gemm_view){x->b, x->b_dtype, x->trans_b ? x->ldb : 1, x->trans_b ? 1 : x->ldb,
                                false};
    p.alpha = x->alpha;
    p.beta = x->beta;
    p.prepacked = prepacked;
    p.kc = prepacked_kc ? prepacked_kc : gk_gemm_tuning.kc ? gk_gemm_tuning.kc : g->kc;
    p.mc = gk_gemm_tuning.mc ? gk_gemm_tuning.mc / g->mr * g->mr : g->mc;
    p.nc = gk_gemm_tuning.nc ? gk_gemm_tuning.nc / g->nr * g->nr : g->nc;
    if (p.mc == 0) p.mc = g->mr;
    if (p.nc == 0) p.nc = g->nr;
    p.n_pad = gk_round_up(x->n, g->nr);
    const bool small = x->m <= GK_GEMM_SMALL_M && x->k > 0;
    const bool c_f32 = x->c_dtype == GK_DTYPE_F32;
    const bool slices = !small && x->k > 0 && x->m <= p.mc;
    const size_t n_slots = (size_t)gk_pool_threads();
    size_t slot_total = 0;

    struct gk_gemm_workspace ws = {0};
    bool ok = true;
    size_t c_floats = 0;
    ok = ok && gk_mul_size(x->m, x->n, &c_floats);
    if (small) {
        ok = ok && gk_ws_add(&ws, &ws.a_off, x->m * x->k);
    } else if (slices) {
        ok = ok && gk_mul_size(gk_gemm_slice_slot_floats(&p), n_slots, &slot_total) &&
             gk_ws_add(&ws, &ws.a_off, slot_total);
    } else if (x->k > 0) {
        const size_t m_pass = gk_min(gk_round_up(x->m, g->mr), p.mc * GK_GEMM_M_PASS_BLOCKS);
        ok = ok && gk_ws_add(&ws, &ws.a_off, gk_round_up(m_pass, g->mr) * gk_min(p.kc, x->k));
        if (!prepacked)
            ok = ok && gk_ws_add(&ws, &ws.b_off,
                                 gk_round_up(gk_min(p.nc, x->n), g->nr) * gk_min(p.kc, x->k));
    }
    if (x->bias) ok = ok && gk_ws_add(&ws, &ws.bias_off, p.n_pad);
    if (!c_f32) ok = ok && gk_ws_add(&ws, &ws.c_off, c_floats);
    GK_CHECK(ok, GK_EOVERFLOW, api, "workspace size overflows size_t");
    void *base = ws.bytes ? gk_scratch_acquire(ws.bytes) : NULL;
    GK_CHECK(ws.bytes == 0 || base != NULL, GK_ENOMEM, api, "no memory for a %zu-byte workspace",
             ws.bytes);

    gk_status status = GK_OK;
    if (x->bias) {
        float *bias = gk_ws_at(base, ws.bias_off);
        for (size_t j = 0; j < p.n_pad; j++)
            bias[j] = j < x->n ? gk_load_as_f32(x->bias, x->c_dtype, j) : 0.0f;
        p.bias = bias;
    }
    if (c_f32) {
        p.c = x->c;
        p.ldc = x->ldc;
    } else {
        p.c = gk_ws_at(base, ws.c_off);
        p.ldc = x->n;
        if (x->beta != 0.0f) gk_gemm_c_to_f32(x, p.c);
    }

    if (x->k == 0) {
        /* No products: C = beta * C + bias, C not read when beta == 0. */
        for (size_t i = 0; i < x->m; i++) {
            for (size_t j = 0; j < x->n; j++) {
                float v = x->beta != 0.0f ? x->beta * p.c[i * p.ldc + j] : 0.0f;
                if (p.bias) v += p.bias[j];
                p.c[i * p.ldc + j] = v;
            }
        }
    } else if (small && prepacked) {
        gk_gemm_small_packed_path(&p, gk_ws_at(base, ws.a_off));
    } else if (small) {
        gk_gemm_small_path(&p, gk_ws_at(base, ws.a_off));
    } else if (slices) {
        status = gk_gemm_slice_path(&p, gk_ws_at(base, ws.a_off), n_slots);
    } else {
        p.a_buf = gk_ws_at(base, ws.a_off);
        p.b_buf = prepacked ? NULL : gk_ws_at(base, ws.b_off);
        gk_gemm_packed_path(&p);
    }

    if (!c_f32 && status == GK_OK) gk_gemm_c_from_f32(x, p.c);
    gk_scratch_release(base);
    GK_CHECK(status == GK_OK, status, api, "no memory for a thread's packing buffer");
    return GK_OK;
}

gk_status gk_gemm_ex(const gk_gemm_args *args)
{
    size_t a_bytes, b_bytes, c_bytes;
    GK_TRY(gk_gemm_validate("gk_gemm_ex", args, &a_bytes, &b_bytes, &c_bytes));
    return gk_gemm_run("gk_gemm_ex", args, NULL, 0);
}

/* The simple forms: dense row-major, alpha 1, beta 0. */
#define GK_GEMM_SIMPLE(dt, ctype)                                                                  \
    gk_status gk_gemm_##dt(const ctype *a, const ctype *b, ctype *c, size_t m, size_t n, size_t k) \
    {                                                                                              \
        const gk_gemm_args x = {m,     n,                                                          \
                                k,     a,                                                          \
                                k,     GK_DTYPE_##dt,                                              \
                                false, b,                                                          \
                                n,     GK_DTYPE_##dt,                                              \
                                false, c,                                                          \
                                n,     GK_DTYPE_##dt,                                              \
                                1.0f,  0.0f,                                                       \
                                NULL};                                                             \
        size_t a_bytes, b_bytes, c_bytes;                                                          \
        GK_TRY(gk_gemm_validate("gk_gemm_" #dt, &x, &a_bytes, &b_bytes, &c_bytes));                \
        return gk_gemm_run("gk_gemm_" #dt, &x, NULL, 0);                                           \
    }                                                                                              \
    gk_status gk_gemm_bias_##dt(const ctype *a, const ctype *b, const ctype *bias, ctype *c,       \
                                size_t m, size_t n, size_t k)                                      \
    {                                                                                              \
        const gk_gemm_args x = {m,     n,                                                          \
                                k,     a,                                                          \
                                k,     GK_DTYPE_##dt,                                              \
                                false, b,                                                          \
                                n,     GK_DTYPE_##dt,                                              \
                                false, c,                                                          \
                                n,     GK_DTYPE_##dt,                                              \
                                1.0f,  0.0f,                                                       \
                                bias};                                                             \
        size_t a_bytes, b_bytes, c_bytes;                                                          \
        GK_CHECK(m == 0 || n == 0 || bias != NULL, GK_EINVAL, "gk_gemm_bias_" #dt,                 \
                 "bias is NULL");                                                                  \
        GK_TRY(gk_gemm_validate("gk_gemm_bias_" #dt, &x, &a_bytes, &b_bytes, &c_bytes));           \
        return gk_gemm_run("gk_gemm_bias_" #dt, &x, NULL, 0);                                      \
    }

#define GK_DTYPE_f32  GK_DTYPE_F32
#define GK_DTYPE_f16  GK_DTYPE_F16
#define GK_DTYPE_bf16 GK_DTYPE_BF16
GK_GEMM_SIMPLE(f32, float)
GK_GEMM_SIMPLE(f16, gk_f16)
GK_GEMM_SIMPLE(bf16, gk_bf16)

/* ---- prepacked B ------------------------------------------------------------------------------
 * Layout: the header, then for each depth block pc (KC deep, the last one shorter) the panels of
 * all n columns: panel q of block pc starts at float index pc * n_pad + q * NR * kc_cur, which is
 * exactly the layout the driver packs for one NC x KC block, so the microkernel reads it as is. */

struct gk_packed_b_header {
    uint32_t magic, version, isa, nr;
    uint64_t kc, n, k, checksum;
};

_Static_assert(sizeof(struct gk_packed_b_header) <= GK_PACKED_B_HEADER_BYTES, "header size");

/* The checksum covers the header fields before it. */
static uint64_t gk_packed_b_checksum(const struct gk_packed_b_header *h)
{
    return gk_fnv1a64(h, offsetof(struct gk_packed_b_header, checksum));
}

size_t gk_pack_b_size_f32(size_t n, size_t k)
{
    const struct gk_gemm_kernels *g = &gk_kernels_active()->gemm;
    size_t floats, bytes;
    if (n > SIZE_MAX - g->nr || !gk_mul_size(gk_round_up(n, g->nr), k, &floats) ||
        !gk_mul_size(floats, sizeof(float), &bytes) ||
        !gk_add_size(bytes, GK_PACKED_B_HEADER_BYTES, &bytes))
        return 0;
    return bytes;
}

gk_status gk_pack_b_f32(const float *b, void *packed_b, size_t n, size_t k)
{
    const char *api = "gk_pack_b_f32";
    const struct gk_kernels *kt = gk_kernels_active();
    const struct gk_gemm_kernels *g = &kt->gemm;
    GK_CHECK(packed_b != NULL, GK_EINVAL, api, "packed_b is NULL");
    GK_CHECK(((uintptr_t)packed_b & (sizeof(float) - 1)) == 0, GK_EINVAL, api,
             "packed_b is not aligned to 4 bytes");
    const size_t bytes = gk_pack_b_size_f32(n, k);
    size_t b_bytes;
    GK_CHECK(bytes != 0 && gk_matrix_bytes(k, n, n, sizeof(float), &b_bytes), GK_EOVERFLOW, api,
             "n %zu x k %zu overflows size_t bytes", n, k);
    GK_CHECK(b_bytes == 0 || b != NULL, GK_EINVAL, api, "b is NULL");
    GK_CHECK(!gk_ranges_overlap(b, b_bytes, packed_b, bytes), GK_EALIAS, api,
             "b overlaps packed_b");
    struct gk_packed_b_header h = {
        GK_PACKED_B_MAGIC, GK_PACKED_B_VERSION, (uint32_t)kt->isa, (uint32_t)g->nr, g->kc, n, k, 0};
    h.checksum = gk_packed_b_checksum(&h);
    memset(packed_b, 0, GK_PACKED_B_HEADER_BYTES);
    memcpy(packed_b, &h, sizeof h);
    float *panels = gk_ws_at(packed_b, GK_PACKED_B_HEADER_BYTES);
    const size_t n_pad = gk_round_up(n, g->nr);
    for (size_t pc = 0; pc < k; pc += g->kc) {
        const struct gk_gemm_view v = {b + pc * n, GK_DTYPE_F32, 1, n, false};
        g->pack(panels + pc * n_pad, &v, n, g->nr, gk_min(g->kc, k - pc));
    }
    return GK_OK;
}

gk_status
gk_gemm_prepacked_f32(const float *a, const void *packed_b, float *c, size_t m, size_t n, size_t k)
{
    const char *api = "gk_gemm_prepacked_f32";
    GK_CHECK(packed_b != NULL, GK_EINVAL, api, "packed_b is NULL");
    /* B's place is taken by the packed buffer (its first k x n floats, for the checks). */
    const gk_gemm_args x = {m,     n,
                            k,     a,
                            k,     GK_DTYPE_F32,
                            false, packed_b,
                            n,     GK_DTYPE_F32,
                            false, c,
                            n,     GK_DTYPE_F32,
                            1.0f,  0.0f,
                            NULL};
    size_t a_bytes, b_bytes, c_bytes;
    GK_TRY(gk_gemm_validate(api, &x, &a_bytes, &b_bytes, &c_bytes));
    GK_CHECK(((uintptr_t)packed_b & (sizeof(float) - 1)) == 0, GK_EINVAL, api,
             "packed_b is not aligned to 4 bytes");
    const struct gk_kernels *kt = gk_kernels_active();
    struct gk_packed_b_header h;
    memcpy(&h, packed_b, sizeof h);
    GK_CHECK(h.magic == GK_PACKED_B_MAGIC && h.version == GK_PACKED_B_VERSION &&
                 h.checksum == gk_packed_b_checksum(&h),
             GK_EINVAL, api, "packed_b is not a packed B buffer (bad magic or checksum)");
    GK_CHECK(h.isa == (uint32_t)kt->isa && h.nr == kt->gemm.nr && h.kc >= 1, GK_EINVAL, api,
             "packed_b was packed for ISA level %s (NR %u), the active level is %s (NR %zu)",
             h.isa < GK_ISA_COUNT ? gk_isa_to_name((gk_isa)h.isa) : "?", h.nr,
             gk_isa_to_name(kt->isa), kt->gemm.nr);
    GK_CHECK(h.n == n && h.k == k, GK_EINVAL, api,
             "packed_b holds a %llu x %llu B, the call has k %zu x n %zu", (unsigned long long)h.k,
             (unsigned long long)h.n, k, n);
    if (m == 0 || n == 0) return GK_OK;
    GK_CHECK(!gk_ranges_overlap(c, c_bytes, packed_b, gk_pack_b_size_f32(n, k)), GK_EALIAS, api,
             "c overlaps packed_b");
    return gk_gemm_run(api, &x, gk_ws_at((void *)(uintptr_t)packed_b, GK_PACKED_B_HEADER_BYTES),
                       (size_t)h.kc);
}
