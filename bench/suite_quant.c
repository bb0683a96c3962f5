/* SPDX-License-Identifier: MIT */
/* Suite `quant`: dequantize a 4096 x 4096 matrix of each quantized format (every format this
 * build decodes) to f32; GB/s counts the f32 bytes written (the figure ggml's to_float is quoted
 * in), plus elements per cycle. The blocks come from quantizing N(0,1)-like data (one 64 Ki-value
 * tile, repeated), so scales are realistic (no NaN or subnormal results).
 * ggml's to_float on this machine, for comparison: docs/formats.md ("Dequantization speed"). */
#include <gllmk/gllmk.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

struct gkb_quant_job {
    gk_qtype t;
    const void *blocks;
    float *dst;
    size_t n;
};

static void gkb_quant_call(void *ctx)
{
    const struct gkb_quant_job *job = ctx;
    gk_dequantize(job->t, job->blocks, job->dst, job->n);
}

/* Nanoseconds per cycle from a dependent chain of integer additions (one per cycle). */
static void gkb_chain(void *ctx)
{
    uint64_t x = 0, n = *(const uint64_t *)ctx;
    for (uint64_t i = 0; i < n; i++)
        __asm__ volatile("add $1, %0" : "+r"(x));
}

static double gkb_quant_ns_per_cycle(bool smoke)
{
#if defined(__x86_64__)
    uint64_t adds = smoke ? 1u << 12 : 1u << 24;
    return gkb_min_time_ns(gkb_chain, &adds, 1, smoke ? 1 : 5) / (double)adds;
#else
    (void)smoke;
    (void)gkb_chain;
    return -1;
#endif
}

void gkb_suite_quant(const struct gkb_context *ctx)
{
    const size_t n = ctx->smoke ? (size_t)1 << 16 : (size_t)4096 * 4096, tile = (size_t)1 << 16;
    const double ns_cycle = gkb_quant_ns_per_cycle(ctx->smoke);
    if (ns_cycle > 0)
        printf("# quant: clock %.2f GHz (dependent integer-add chain)\n", 1 / ns_cycle);
    float *x = gk_aligned_alloc(tile * sizeof *x, 64);
    float *dst = gk_aligned_alloc(n * sizeof *dst, 64);
    uint8_t *blocks = gk_aligned_alloc(n * 2, 64); /* >= the largest format's bytes per value */
    uint64_t state = 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < tile; i++) {
        /* sum of 4 uniforms: roughly normal, cheap */
        float s = 0.0f;
        for (int k = 0; k < 4; k++) {
            state = state * 6364136223846793005u + 1442695040888963407u;
            s += (float)(state >> 40) * 0x1p-24f - 0.5f;
        }
        x[i] = s * 1.7f;
    }
    memset(dst, 0, n * sizeof *dst);
    for (int t = 0; t < GK_QTYPE_COUNT; t++) {
        const gk_qtype q = (gk_qtype)t;
        const size_t tile_bytes = gk_qtype_row_bytes(q, tile);
        if (gk_quantize(q, x, blocks, tile, NULL) != GK_OK) {
            /* decode-only: fill the tile with random bytes, finite f16 d in the first 2 bytes */
            for (size_t i = 0; i < tile_bytes; i++) {
                state = state * 6364136223846793005u + 1442695040888963407u;
                blocks[i] = (uint8_t)(state >> 56);
            }
            for (size_t i = 0; i < tile_bytes; i += gk_qtype_block_bytes(q)) {
                blocks[i] = 0x00;
                blocks[i + 1] = 0x2C; /* d = 2^-4 */
            }
        }
        if (gk_dequantize(q, blocks, dst, tile) != GK_OK) continue; /* no decoder in this build */
        for (size_t off = tile_bytes; off < gk_qtype_row_bytes(q, n); off += tile_bytes)
            memcpy(blocks + off, blocks, tile_bytes);
        struct gkb_quant_job job = {q, blocks, dst, n};
        for (int ci = 0; ci < ctx->n_configs; ci++) {
            const int threads = ctx->threads[ci];
            gk_set_num_threads(threads);
            const double ns = gkb_min_time_ns(gkb_quant_call, &job, 1, ctx->smoke ? 1 : 5);
            struct gkb_row row = {.op = "dequantize",
                                  .dtype = gk_qtype_name(q),
                                  .threads = threads,
                                  .time_ns = ns,
                                  .rate = (double)(n * sizeof(float)) / ns,
                                  .unit = "GB/s",
                                  .pct_limit = -1,
                                  .peer_ratio = -1};
            snprintf(row.shape, sizeof row.shape, "4096x4096");
            if (ctx->smoke) snprintf(row.shape, sizeof row.shape, "n=%zu", n);
            gkb_report(&row);
            if (ns_cycle > 0) {
                row.rate = (double)n / (ns / ns_cycle);
                row.unit = "el/cyc";
                gkb_report(&row);
            }
        }
    }
    gk_set_num_threads(0);
    gk_aligned_free(x);
    gk_aligned_free(dst);
    gk_aligned_free(blocks);
}
