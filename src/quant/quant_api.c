/* SPDX-License-Identifier: MIT */
/* Public entry points of include/gllmk/quant.h: format facts from the traits table, and
 * dequantize / quantize: validate everything, then split the blocks into fixed-size parts over
 * the thread pool (part boundaries do not depend on the thread count, and each part writes only
 * its own blocks, so results are identical for any thread count). */
#include <math.h>
#include <string.h>

#include "core/checked.h"
#include "core/error.h"
#include "core/kernels.h"
#include "core/pool.h"
#include "core/stream.h"
#include "quant/traits.h"

/* Values per part: 128 KiB of f32 output, a multiple of every block size. */
enum { GK_QPART_ELEMS = 1 << 15, GK_QCHUNK_ELEMS = 1024 };

_Static_assert(GK_STREAM_CHUNK_BYTES / sizeof(float) % 256 == 0 &&
                   GK_STREAM_CHUNK_BYTES / sizeof(gk_f16) <= GK_QCHUNK_ELEMS,
               "a streamed chunk is whole blocks of every format and fits the f32 buffer");

size_t gk_qtype_block_elems(gk_qtype t)
{
    const struct gk_qtraits *tr = gk_qtraits_of(t);
    return tr ? tr->block_elems : 0;
}

size_t gk_qtype_block_bytes(gk_qtype t)
{
    const struct gk_qtraits *tr = gk_qtraits_of(t);
    return tr ? tr->block_bytes : 0;
}

size_t gk_qtype_block_align(gk_qtype t)
{
    const struct gk_qtraits *tr = gk_qtraits_of(t);
    return tr ? tr->block_align : 0;
}

const char *gk_qtype_name(gk_qtype t)
{
    const struct gk_qtraits *tr = gk_qtraits_of(t);
    return tr ? tr->name : NULL;
}

gk_status gk_qtype_from_name(const char *name, gk_qtype *out)
{
    static const char api[] = "gk_qtype_from_name";
    GK_CHECK(name != NULL && out != NULL, GK_EINVAL, api, "name or out is NULL");
    for (int t = 0; t < GK_QTYPE_COUNT; t++) {
        if (strcmp(gk_qtraits_of((gk_qtype)t)->name, name) == 0) {
            *out = (gk_qtype)t;
            return GK_OK;
        }
    }
    GK_CHECK(false, GK_EINVAL, api, "\"%.32s\" is not a quantized format name", name);
    return GK_EINTERNAL; /* not reached */
}

gk_status gk_qtype_from_gguf(uint32_t gguf_type_id, gk_qtype *out)
{
    static const char api[] = "gk_qtype_from_gguf";
    GK_CHECK(out != NULL, GK_EINVAL, api, "out is NULL");
    for (int t = 0; t < GK_QTYPE_COUNT; t++) {
        const struct gk_qtraits *tr = gk_qtraits_of((gk_qtype)t);
        if (tr->in_gguf && tr->gguf_id == gguf_type_id) {
            *out = (gk_qtype)t;
            return GK_OK;
        }
    }
    GK_CHECK(false, GK_EUNSUPPORTED, api,
             "GGUF type id %u is not a block format this library decodes", gguf_type_id);
    return GK_EINTERNAL; /* not reached */
}

gk_status gk_qtype_to_gguf(gk_qtype t, uint32_t *out)
{
    static const char api[] = "gk_qtype_to_gguf";
    const struct gk_qtraits *tr = gk_qtraits_of(t);
    GK_CHECK(out != NULL, GK_EINVAL, api, "out is NULL");
    GK_CHECK(tr != NULL, GK_EINVAL, api, "%d is not a gk_qtype", (int)t);
    GK_CHECK(tr->in_gguf, GK_EUNSUPPORTED, api, "%s is not a GGUF format", tr->name);
    *out = tr->gguf_id;
    return GK_OK;
}

size_t gk_qtype_row_bytes(gk_qtype t, size_t n)
{
    const struct gk_qtraits *tr = gk_qtraits_of(t);
    size_t bytes;
    if (!tr || n % tr->block_elems != 0) return 0;
    return gk_mul_size(n / tr->block_elems, tr->block_bytes, &bytes) ? bytes : 0;
}

/* ---- dequantize ----------------------------------------------------------------------- */

struct gk_qjob {
    const struct gk_qtraits *tr;
    gk_dequant_fn dequant;
    gk_quant_fn quant;
    const struct gk_kernels *kernels; /* f16/bf16 conversion */
    gk_dtype dst_type;
    const void *src;
    void *dst;
    const float *importance;
    size_t n_blocks, blocks_per_part;
    bool stream; /* the output bypasses the caches (core/stream.h) */
};

static size_t gk_qjob_parts(const struct gk_qjob *job)
{
    return (job->n_blocks + job->blocks_per_part - 1) / job->blocks_per_part;
}

static void gk_dequant_part(void *ctx, size_t first_part, size_t end_part)
{
    const struct gk_qjob *job = ctx;
    const size_t elems = job->tr->block_elems, bytes = job->tr->block_bytes;
    size_t first = first_part * job->blocks_per_part, end = end_part * job->blocks_per_part;
    if (end > job->n_blocks) end = job->n_blocks;
    const uint8_t *src = (const uint8_t *)job->src + first * bytes;
    if (job->dst_type == GK_DTYPE_F32 && !job->stream) {
        job->dequant(src, (float *)job->dst + first * elems, end - first);
        return;
    }
    /* Chunk by chunk: decode to f32 on the stack, then f16 / bf16 round it with the dispatch
     * table's conversion kernel (round to nearest even, as every conversion of the library), and a
     * streamed f32 output leaves through stream_copy. Streamed chunks are small (1 KiB of output),
     * so that reading the blocks and writing the output overlap: with 16 KiB chunks the two
     * alternate and streaming gained nothing on Zen 3. Every chunk is whole blocks. */
    float tmp[GK_QCHUNK_ELEMS];
    const size_t dst_elem = job->dst_type == GK_DTYPE_F32 ? sizeof(float) : sizeof(gk_f16);
    const size_t chunk_blocks =
        (job->stream ? GK_STREAM_CHUNK_BYTES / dst_elem : (size_t)GK_QCHUNK_ELEMS) / elems;
    if (job->stream) gk_stream_stores = true; /* the conversion kernels stream themselves */
    for (size_t b = first; b < end; b += chunk_blocks) {
        const size_t nb = end - b < chunk_blocks ? end - b : chunk_blocks, count = nb * elems;
        void *dst = (char *)job->dst + b * elems * dst_elem;
        job->dequant((const uint8_t *)job->src + b * bytes, tmp, nb);
        if (job->dst_type == GK_DTYPE_F32)
            job->kernels->stream_copy(dst, tmp, count * dst_elem);
        else if (job->dst_type == GK_DTYPE_F16)
            job->kernels->cvt_f32_to_f16(tmp, dst, count);
        else
            job->kernels->cvt_f32_to_bf16(tmp, dst, count);
    }
    if (job->stream) {
        gk_stream_stores = false;
        gk_stream_fence();
    }
}

static gk_status gk_dequantize_any(
    const char *api, gk_qtype t, const void *src, void *dst, gk_dtype dst_type, size_t n)
{
    const struct gk_qtraits *tr = gk_qtraits_of(t);
    GK_CHECK(tr != NULL, GK_EINVAL, api, "%d is not a gk_qtype", (int)t);
    GK_CHECK(n % tr->block_elems == 0, GK_EINVAL, api,
             "n %zu is not a multiple of the %s block size %zu", n, tr->name, tr->block_elems);
    const struct gk_kernels *kernels = gk_kernels_active();
    const gk_dequant_fn fn = tr->dequant[kernels->isa];
    GK_CHECK(fn != NULL, GK_EUNSUPPORTED, api, "this build has no %s decoder", tr->name);
    if (n == 0) return GK_OK;
    GK_CHECK(src != NULL, GK_EINVAL, api, "src is NULL");
    GK_CHECK(dst != NULL, GK_EINVAL, api, "dst is NULL");
    const size_t dst_elem_bytes = dst_type == GK_DTYPE_F32 ? 4 : 2;
    size_t src_bytes, dst_bytes;
    GK_CHECK(gk_mul_size(n / tr->block_elems, tr->block_bytes, &src_bytes) &&
                 gk_mul_size(n, dst_elem_bytes, &dst_bytes),
             GK_EOVERFLOW, api, "n %zu values overflow size_t bytes", n);
    GK_CHECK((uintptr_t)src % tr->block_align == 0, GK_EINVAL, api,
             "src %p is not aligned to %zu bytes (the %s block's alignment)", src, tr->block_align,
             tr->name);
    GK_CHECK(!gk_ranges_overlap(src, src_bytes, dst, dst_bytes), GK_EALIAS, api,
             "src and dst overlap");
    struct gk_qjob job = {
        .tr = tr,
        .dequant = fn,
        .kernels = kernels,
        .dst_type = dst_type,
        .src = src,
        .dst = dst,
        .n_blocks = n / tr->block_elems,
        .blocks_per_part = GK_QPART_ELEMS / tr->block_elems,
        .stream = gk_stream_output(dst_bytes),
    };
    gk_pool_run(gk_dequant_part, &job, gk_qjob_parts(&job));
    return GK_OK;
}

gk_status gk_dequantize(gk_qtype t, const void *src, float *dst, size_t n)
{
    return gk_dequantize_any("gk_dequantize", t, src, dst, GK_DTYPE_F32, n);
}

gk_status gk_dequantize_f16(gk_qtype t, const void *src, gk_f16 *dst, size_t n)
{
    return gk_dequantize_any("gk_dequantize_f16", t, src, dst, GK_DTYPE_F16, n);
}

gk_status gk_dequantize_bf16(gk_qtype t, const void *src, gk_bf16 *dst, size_t n)
{
    return gk_dequantize_any("gk_dequantize_bf16", t, src, dst, GK_DTYPE_BF16, n);
}

/* ---- quantize ------------------------------------------------------------------------- */

static void gk_quant_part(void *ctx, size_t first_part, size_t end_part)
{
    const struct gk_qjob *job = ctx;
    const size_t elems = job->tr->block_elems, bytes = job->tr->block_bytes;
    size_t first = first_part * job->blocks_per_part, end = end_part * job->blocks_per_part;
    if (end > job->n_blocks) end = job->n_blocks;
    job->quant((const float *)job->src + first * elems, (uint8_t *)job->dst + first * bytes,
               end - first, job->importance ? job->importance + first * elems : NULL);
}

/* Index of the first value that is not finite (or, if `non_negative`, is negative), or n. */
static size_t gk_first_bad(const float *x, size_t n, bool non_negative)
{
    if (!non_negative) return gk_first_non_finite(x, n);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]) || (non_negative && x[i] < 0.0f)) return i;
    return n;
}

gk_status gk_quantize(gk_qtype t, const float *src, void *dst, size_t n, const float *importance)
{
    static const char api[] = "gk_quantize";
    const struct gk_qtraits *tr = gk_qtraits_of(t);
    GK_CHECK(tr != NULL, GK_EINVAL, api, "%d is not a gk_qtype", (int)t);
    GK_CHECK(n % tr->block_elems == 0, GK_EINVAL, api,
             "n %zu is not a multiple of the %s block size %zu", n, tr->name, tr->block_elems);
    GK_CHECK(tr->quant != NULL, GK_EUNSUPPORTED, api,
             "%s is decode-only in this build (see docs/formats.md)", tr->name);
    if (n == 0) return GK_OK;
    GK_CHECK(src != NULL, GK_EINVAL, api, "src is NULL");
    GK_CHECK(dst != NULL, GK_EINVAL, api, "dst is NULL");
    size_t src_bytes, dst_bytes;
    GK_CHECK(gk_mul_size(n, sizeof(float), &src_bytes) &&
                 gk_mul_size(n / tr->block_elems, tr->block_bytes, &dst_bytes),
             GK_EOVERFLOW, api, "n %zu values overflow size_t bytes", n);
    GK_CHECK(!gk_ranges_overlap(src, src_bytes, dst, dst_bytes), GK_EALIAS, api,
             "src and dst overlap");
    GK_CHECK((uintptr_t)dst % tr->block_align == 0, GK_EINVAL, api,
             "dst %p is not aligned to %zu bytes (the %s block's alignment)", dst, tr->block_align,
             tr->name);
    GK_CHECK(!gk_ranges_overlap(importance, importance ? src_bytes : 0, dst, dst_bytes), GK_EALIAS,
             api, "importance and dst overlap");
    /* The quantizers' searches assume finite input: reject NaN / Inf up front (documented). */
    const size_t bad = gk_first_bad(src, n, false);
    GK_CHECK(bad == n, GK_EINVAL, api, "src[%zu] = %g is not finite", bad,
             bad < n ? (double)src[bad] : 0.0);
    if (importance) {
        const size_t bad_w = gk_first_bad(importance, n, true);
        GK_CHECK(bad_w == n, GK_EINVAL, api, "importance[%zu] = %g is negative or not finite",
                 bad_w, bad_w < n ? (double)importance[bad_w] : 0.0);
    }
    struct gk_qjob job = {
        .tr = tr,
        .quant = tr->quant,
        .src = src,
        .dst = dst,
        .importance = importance,
        .n_blocks = n / tr->block_elems,
        /* quantizing costs far more per value than decoding: smaller parts balance better */
        .blocks_per_part = (GK_QPART_ELEMS / 8) / tr->block_elems,
    };
    gk_pool_run(gk_quant_part, &job, gk_qjob_parts(&job));
    return GK_OK;
}
