/* SPDX-License-Identifier: MIT */
/* Suites `qgemv` and `qgemm`: matrix products with quantized weights (gllmk/qmatmul.h).
 *
 * qgemv: y = W x with W n x 4096 (n = 4096 and 11008) streamed from DRAM: each timed call reads
 * a different copy of W from a set of copies larger than any cache, so the minimum over calls is
 * a DRAM-bound call, not a cache hit. Reported as GB/s of weight bytes and as % of the machine's
 * DRAM read bandwidth at the same thread count (measured by `limits` in the same run). Every
 * format runs at n = 4096; the five the bandwidth targets name (Q4_K, Q8_0, Q6_K, Q4_0, IQ4_XS)
 * also at n = 11008.
 * qgemm: Y = X W^T for m = 8, 32, 128, 512 tokens, W 4096 x 4096 (in cache after the first
 * token: the kernels are compute-bound), GFLOP/s counting 2 m n k, % of the widest f32 FMA
 * peak measured by `limits`.
 * Weights come from quantizing random data (formats without a quantizer: random blocks).
 * Formats with a packed layout (gk_qpack: Q4_0..Q5_1, Q8_0, IQ4_NL, TQ1_0, TQ2_0, Q2_K..Q6_K and
 * the IQ formats) also run from packed weights ("_packed" rows). GKB_QTYPES=IQ4_NL,Q4_K
 * (environment) limits qgemv to the formats named. */
#include <gllmk/gllmk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

enum { GKB_QK = 4096, GKB_QROWS_PATTERN = 256 };

/* The packed form of n x k weights w of type t (gk_qpack), in *bytes; w is freed. */
static unsigned char *gkb_q_pack(gk_qtype t, unsigned char *w, size_t n, size_t k, size_t *bytes)
{
    *bytes = gk_qpack_size(t, n, k);
    unsigned char *packed = w ? gk_aligned_alloc(*bytes, 64) : NULL;
    if (packed && gk_qpack(t, w, n, k, packed, *bytes) != GK_OK) {
        gk_aligned_free(packed);
        packed = NULL;
    }
    gk_aligned_free(w);
    return packed;
}

/* n x k weights of type t: GKB_QROWS_PATTERN rows quantized from random data (or random blocks
 * that decode to finite values), repeated. NULL if t has no decoder in this build. */
static unsigned char *gkb_q_weights(gk_qtype t, size_t n, size_t k)
{
    const size_t row = gk_qtype_row_bytes(t, k),
                 pattern_rows = n < GKB_QROWS_PATTERN ? n : GKB_QROWS_PATTERN;
    unsigned char *w = gk_aligned_alloc(row * n, 64);
    float *src = malloc(pattern_rows * k * sizeof(float));
    if (!w || !src) goto fail;
    uint64_t state = 0x2545F4914F6CDD1Du;
    for (size_t i = 0; i < pattern_rows * k; i++) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        src[i] = (float)(int32_t)(state >> 32) * 0x1p-31f;
    }
    if (gk_quantize(t, src, w, pattern_rows * k, NULL) != GK_OK) {
        /* decode-only format: random bytes with small f16 scales fixed up by decoding */
        for (size_t i = 0; i < row * pattern_rows; i++) {
            state = state * 6364136223846793005u + 1442695040888963407u;
            w[i] = (unsigned char)(state >> 56);
        }
        if (gk_dequantize(t, w, src, pattern_rows * k) != GK_OK) goto fail;
    }
    for (size_t r = pattern_rows; r < n; r++)
        memcpy(w + r * row, w + (r % pattern_rows) * row, row);
    free(src);
    return w;
fail:
    free(src);
    gk_aligned_free(w);
    return NULL;
}

struct gkb_qgemv_job {
    gk_qtype type;
    bool packed; /* the copies are gk_qpack buffers */
    unsigned char **copies;
    size_t n_copies, next, n, k, m;
    const float *x;
    float *y;
};

static void gkb_qmm_call(void *ctx)
{
    struct gkb_qgemv_job *j = ctx;
    const unsigned char *w = j->copies[j->next];
    j->next = (j->next + 1) % j->n_copies;
    if (j->packed)
        gk_qgemm_packed(w, j->x, j->y, j->m, j->n, j->k);
    else
        gk_qgemm(j->type, w, j->x, j->y, j->m, j->n, j->k);
}

static void gkb_qgemv_case(
    const struct gkb_context *ctx, gk_qtype t, bool packed, size_t n, const float *x, float *y)
{
    const size_t k = ctx->smoke ? 256 : GKB_QK;
    if (ctx->smoke) n = 64;
    unsigned char *first = gkb_q_weights(t, n, k);
    size_t bytes = gk_qtype_row_bytes(t, k) * n;
    if (packed) first = gkb_q_pack(t, first, n, k, &bytes);
    if (!first) return;
    /* copies filling at least 512 MiB (the DRAM level's working set of `limits`) */
    size_t n_copies = ctx->smoke ? 1 : ((512u << 20) + bytes - 1) / bytes;
    unsigned char **copies = malloc(n_copies * sizeof *copies);
    copies[0] = first;
    for (size_t c = 1; c < n_copies; c++) {
        copies[c] = gk_aligned_alloc(bytes, 64);
        if (!copies[c]) {
            n_copies = c;
            break;
        }
        memcpy(copies[c], first, bytes);
    }
    struct gkb_qgemv_job job = {t, packed, copies, n_copies, 0, n, k, 1, x, y};
    for (int ci = 0; ci < ctx->n_configs; ci++) {
        const int threads = ctx->threads[ci];
        gk_set_num_threads(threads);
        /* every copy once to warm up, then each call a cold copy */
        const double ns =
            gkb_min_time_ns(gkb_qmm_call, &job, (int)n_copies, ctx->smoke ? 1 : 2 * (int)n_copies);
        struct gkb_row row = {.op = packed ? "qgemv_packed" : "qgemv",
                              .dtype = gk_qtype_name(t),
                              .threads = threads,
                              .time_ns = ns,
                              .rate = (double)bytes / ns,
                              .unit = "GB/s",
                              .pct_limit = -1,
                              .limit = "read DRAM",
                              .peer_ratio = -1};
        snprintf(row.shape, sizeof row.shape, "%zux%zu", n, k);
        const double limit = ctx->limits->bw_gbs[ci][GKB_READ][GKB_DRAM];
        if (limit > 0) row.pct_limit = 100.0 * row.rate / limit;
        gkb_report(&row);
    }
    gk_set_num_threads(0);
    for (size_t c = 0; c < n_copies; c++)
        gk_aligned_free(copies[c]);
    free(copies);
}

static bool gkb_q_is_target(gk_qtype t)
{
    return t == GK_QTYPE_Q4_K || t == GK_QTYPE_Q8_0 || t == GK_QTYPE_Q6_K || t == GK_QTYPE_Q4_0 ||
           t == GK_QTYPE_IQ4_XS;
}

/* Whether GKB_QTYPES (comma-separated format names) is unset or names t. */
static bool gkb_q_selected(gk_qtype t)
{
    const char *p = getenv("GKB_QTYPES");
    if (!p || !*p) return true;
    const char *name = gk_qtype_name(t);
    const size_t len = strlen(name);
    for (; *p; p += *p == ',') {
        const size_t item = strcspn(p, ",");
        if (item == len && strncmp(p, name, len) == 0) return true;
        p += item;
    }
    return false;
}

void gkb_suite_qgemv(const struct gkb_context *ctx)
{
    float *x = malloc(GKB_QK * sizeof(float)), *y = malloc(11008 * sizeof(float));
    for (size_t i = 0; i < GKB_QK; i++)
        x[i] = (float)(i % 29) / 29.0f - 0.5f;
    for (int ti = 0; ti < GK_QTYPE_COUNT; ti++) {
        const gk_qtype t = (gk_qtype)ti;
        if (!gkb_q_selected(t)) continue;
        gkb_progress("qgemv %s", gk_qtype_name(t));
        for (int packed = 0; packed <= (gk_qpack_size(t, 1, GKB_QK) != 0); packed++) {
            gkb_qgemv_case(ctx, t, packed, 4096, x, y);
            if (gkb_q_is_target(t) && !ctx->smoke) gkb_qgemv_case(ctx, t, packed, 11008, x, y);
        }
    }
    free(x);
    free(y);
}

void gkb_suite_qgemm(const struct gkb_context *ctx)
{
    /* the three formats, Q6_K, the other format of Q4_K_M models, and Q4_0 */
    const gk_qtype types[] = {GK_QTYPE_Q4_K,   GK_QTYPE_Q8_0, GK_QTYPE_IQ4_XS, GK_QTYPE_Q6_K,
                              GK_QTYPE_Q4_0,   GK_QTYPE_Q4_0, GK_QTYPE_Q8_0,   GK_QTYPE_Q4_K,
                              GK_QTYPE_IQ4_XS, GK_QTYPE_Q6_K};
    const bool packed[] = {false, false, false, false, false, true, true, true, true, true};
    const size_t ms[] = {8, 32, 128, 512};
    const size_t n = ctx->smoke ? 64 : 4096, k = ctx->smoke ? 256 : GKB_QK;
    const int peak_slot = ctx->limits->n_fma - 1; /* the widest FMA the CPU has */
    float *x = malloc(512 * k * sizeof(float)), *y = malloc(512 * n * sizeof(float));
    for (size_t i = 0; i < 512 * k; i++)
        x[i] = (float)(i % 31) / 31.0f - 0.5f;
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        unsigned char *w = gkb_q_weights(types[ti], n, k);
        size_t bytes;
        if (packed[ti]) w = gkb_q_pack(types[ti], w, n, k, &bytes);
        if (!w) continue;
        unsigned char *copies[1] = {w};
        for (size_t mi = 0; mi < sizeof ms / sizeof ms[0]; mi++) {
            const size_t m = ctx->smoke ? ms[mi] / 8 : ms[mi];
            gkb_progress("qgemm %s m=%zu", gk_qtype_name(types[ti]), m);
            struct gkb_qgemv_job job = {types[ti], packed[ti], copies, 1, 0, n, k, m, x, y};
            for (int ci = 0; ci < ctx->n_configs; ci++) {
                const int threads = ctx->threads[ci];
                gk_set_num_threads(threads);
                const double ns = gkb_min_time_ns(gkb_qmm_call, &job, 1, ctx->smoke ? 1 : 5);
                struct gkb_row row = {.op = packed[ti] ? "qgemm_packed" : "qgemm",
                                      .dtype = gk_qtype_name(types[ti]),
                                      .threads = threads,
                                      .time_ns = ns,
                                      .rate = 2.0 * (double)m * (double)n * (double)k / ns,
                                      .unit = "GFLOP/s",
                                      .pct_limit = -1,
                                      .limit = ctx->limits->fma_name[peak_slot],
                                      .peer_ratio = -1};
                snprintf(row.shape, sizeof row.shape, "m=%zu %zux%zu", m, n, k);
                const double peak = ctx->limits->fma_gflops[ci][peak_slot];
                if (peak > 0) row.pct_limit = 100.0 * row.rate / peak;
                gkb_report(&row);
            }
            gk_set_num_threads(0);
        }
        gk_aligned_free(w);
    }
    free(x);
    free(y);
}
