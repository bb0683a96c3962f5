/* SPDX-License-Identifier: MIT */
/* The per-format traits table: the single place a quantized format is described at run time
 * (expanded from src/quant/formats.def). Internal; tests and gk-bench read it to reach each
 * tier's kernel directly. */
#ifndef GK_QUANT_TRAITS_H
#define GK_QUANT_TRAITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpu.h"
#include "gllmk/quant.h"

typedef void (*gk_dequant_fn)(const void *blocks, float *dst, size_t n_blocks);
typedef void (*gk_quant_fn)(const float *src,
                            void *blocks,
                            size_t n_blocks,
                            const float *importance);
/* A quantized dot-product kernel: y[r] = weight row r (at w + r * w_stride) dotted with one
 * activation row xq quantized to the row's `act` format, n_blocks weight blocks per row
 * (src/quant/qdot.h). */
typedef void (*gk_qdot_fn)(
    const void *w, size_t w_stride, const void *xq, size_t n_blocks, float *y, size_t n_rows);

struct gk_qtraits {
    const char *name;   /* GGUF spelling */
    bool in_gguf;       /* false for AWQ4, GPTQ4, SQUEEZE */
    uint32_t gguf_id;   /* valid if in_gguf */
    size_t block_elems; /* values per block */
    size_t block_bytes; /* bytes per block */
    size_t block_align; /* alignment of the block struct: blocks must start at a multiple */
    /* Dequantizer per ISA tier (a tier without its own kernel has the scalar one); all NULL if
     * this build has no decoder for the format (IQ rows before the iq branch is merged). */
    gk_dequant_fn dequant[GK_ISA_COUNT];
    const char *dequant_name[GK_ISA_COUNT];
    gk_quant_fn quant; /* NULL: decode-only */
    /* The integer dot product: activations quantized to `act` (GK_QTYPE_COUNT: none, the format
     * takes gk_qgemv's f32 path), and the kernel per tier; NULL in a tier that uses the next
     * lower tier's kernel (the scalar one always exists when act is set). */
    gk_qtype act;
    gk_qdot_fn dot[GK_ISA_COUNT];
    /* The NEON kernel built with the dot-product extension (SDOT), which gk_qmm_kernels_of picks
     * instead of dot[GK_ISA_NEON] on CPUs with ASIMDDP; NULL where dot[GK_ISA_NEON] is. */
    gk_qdot_fn dot_neon_dotprod;
};

/* The row of t, or NULL if t is not a gk_qtype. */
const struct gk_qtraits *gk_qtraits_of(gk_qtype t);

#endif /* GK_QUANT_TRAITS_H */
