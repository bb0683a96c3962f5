/* SPDX-License-Identifier: MIT */
/* The traits table, one row per line of src/quant/formats.def. */
#include "quant/traits.h"

#include "quant/blocks.h"
#include "quant/iq.h"
#include "quant/qdot.h"

/* Column helpers of formats.def. */
#define GK_QF_FN_S(kern, tier) gk_dequant_##kern##_scalar
#define GK_QF_FN_V(kern, tier) gk_dequant_##kern##_##tier
#define GK_QF_QUANT_Q(kern)    gk_quant_##kern##_scalar
#define GK_QF_QUANT_DEC(kern)  NULL

/* A tier this build does not compile keeps the scalar kernel (it is never selected anyway). */
#ifdef GK_HAVE_AVX2
#    define GK_QF_AVX2(flag, kern) GK_QF_FN_##flag(kern, avx2)
#else
#    define GK_QF_AVX2(flag, kern) GK_QF_FN_S(kern, avx2)
#endif
#ifdef GK_HAVE_AVX512
#    define GK_QF_AVX512(flag, kern) GK_QF_FN_##flag(kern, avx512)
#else
#    define GK_QF_AVX512(flag, kern) GK_QF_FN_S(kern, avx512)
#endif
#ifdef GK_HAVE_NEON
#    define GK_QF_NEON(flag, kern) GK_QF_FN_##flag(kern, neon)
#else
#    define GK_QF_NEON(flag, kern) GK_QF_FN_S(kern, neon)
#endif

/* Alignment of a block: its struct's; the IQ structs (src/quant/iq.h) hold f16 and u16 fields
 * and bytes, so 2 bounds them. */
#define GK_QF_ALIGN_CORE(kern) _Alignof(gk_block_##kern)
#define GK_QF_ALIGN_IQ(kern)   2

/* Dot-product columns: the activation format, and each tier's kernel where the build has the tier
 * and the row says V (S and N leave NULL: the next lower tier's kernel, or none). */
#define GK_QF_ACT_NONE              GK_QTYPE_COUNT
#define GK_QF_ACT_Q8_0              GK_QTYPE_Q8_0
#define GK_QF_ACT_Q8_1              GK_QTYPE_Q8_1
#define GK_QF_ACT_Q8_K              GK_QTYPE_Q8_K
#define GK_QF_DOT_SCALAR_NONE(kern) NULL
#define GK_QF_DOT_SCALAR_Q8_0(kern) gk_qdot_##kern##_scalar
#define GK_QF_DOT_SCALAR_Q8_1(kern) gk_qdot_##kern##_scalar
#define GK_QF_DOT_SCALAR_Q8_K(kern) gk_qdot_##kern##_scalar
#define GK_QF_DOT_AVX2_S(kern)      NULL
#define GK_QF_DOT_AVX2_N(kern)      NULL
#define GK_QF_DOT_AVX512_S(kern)    NULL
#define GK_QF_DOT_AVX512_N(kern)    NULL
#define GK_QF_DOT_NEON_S(kern)      NULL
#define GK_QF_DOT_NEON_N(kern)      NULL
#ifdef GK_HAVE_AVX2
#    define GK_QF_DOT_AVX2_V(kern) gk_qdot_##kern##_avx2
#else
#    define GK_QF_DOT_AVX2_V(kern) NULL
#endif
#ifdef GK_HAVE_AVX512
#    define GK_QF_DOT_AVX512_V(kern) gk_qdot_##kern##_avx512
#else
#    define GK_QF_DOT_AVX512_V(kern) NULL
#endif
#define GK_QF_DOT_NEON_DOTPROD_S(kern) NULL
#define GK_QF_DOT_NEON_DOTPROD_N(kern) NULL
#ifdef GK_HAVE_NEON
#    define GK_QF_DOT_NEON_V(kern)         gk_qdot_##kern##_neon
#    define GK_QF_DOT_NEON_DOTPROD_V(kern) gk_qdot_##kern##_neon_dotprod
#else
#    define GK_QF_DOT_NEON_V(kern)         NULL
#    define GK_QF_DOT_NEON_DOTPROD_V(kern) NULL
#endif

#define GK_QF_STR(x)   #x
#define GK_QF_NAME(fn) GK_QF_STR(fn) /* expands fn first */

#define NONE GK_QF_NO_GGUF

enum { GK_QF_NO_GGUF = -1 };

#define GK_QFORMAT(fmt, NAME, gguf, elems, bytes, group, has_quant, avx2, avx512, neon, kern, \
                   act_fmt, dot_avx2, dot_avx512, dot_neon)                                   \
    [GK_QTYPE_##NAME] = {                                                                     \
        .name = #NAME,                                                                        \
        .in_gguf = (gguf) >= 0,                                                               \
        .gguf_id = (gguf) >= 0 ? (uint32_t)(gguf) : 0u,                                       \
        .block_elems = (elems),                                                               \
        .block_bytes = (bytes),                                                               \
        .block_align = GK_QF_ALIGN_##group(kern),                                             \
        .dequant =                                                                            \
            {                                                                                 \
                [GK_ISA_SCALAR] = (GK_QF_FN_V(kern, scalar)),                                 \
                [GK_ISA_AVX2] = (GK_QF_AVX2(avx2, kern)),                                     \
                [GK_ISA_AVX512] = (GK_QF_AVX512(avx512, kern)),                               \
                [GK_ISA_NEON] = (GK_QF_NEON(neon, kern)),                                     \
            },                                                                                \
        .dequant_name =                                                                       \
            {                                                                                 \
                [GK_ISA_SCALAR] = (GK_QF_NAME(GK_QF_FN_V(kern, scalar))),                     \
                [GK_ISA_AVX2] = (GK_QF_NAME(GK_QF_AVX2(avx2, kern))),                         \
                [GK_ISA_AVX512] = (GK_QF_NAME(GK_QF_AVX512(avx512, kern))),                   \
                [GK_ISA_NEON] = (GK_QF_NAME(GK_QF_NEON(neon, kern))),                         \
            },                                                                                \
        .quant = (GK_QF_QUANT_##has_quant(kern)),                                             \
        .act = GK_QF_ACT_##act_fmt,                                                           \
        .dot =                                                                                \
            {                                                                                 \
                [GK_ISA_SCALAR] = GK_QF_DOT_SCALAR_##act_fmt(kern),                           \
                [GK_ISA_AVX2] = GK_QF_DOT_AVX2_##dot_avx2(kern),                              \
                [GK_ISA_AVX512] = GK_QF_DOT_AVX512_##dot_avx512(kern),                        \
                [GK_ISA_NEON] = GK_QF_DOT_NEON_##dot_neon(kern),                              \
            },                                                                                \
        .dot_neon_dotprod = GK_QF_DOT_NEON_DOTPROD_##dot_neon(kern),                          \
    },

static const struct gk_qtraits gk_qtraits_table[GK_QTYPE_COUNT] = {
#include "quant/formats.def"
};
#undef GK_QFORMAT
#undef NONE

/* Every gk_qtype has a row, in enum order. */
#define GK_QFORMAT(fmt, NAME, gguf, elems, bytes, group, quant, avx2, avx512, neon, kern, act, \
                   dot_avx2, dot_avx512, dot_neon)                                             \
    +1

enum {
    GK_QF_ROWS = 0

#include "quant/formats.def"
};
static_assert((int)GK_QF_ROWS == (int)GK_QTYPE_COUNT, "formats.def has one line per gk_qtype");
#undef GK_QFORMAT

const struct gk_qtraits *gk_qtraits_of(gk_qtype t)
{
    if ((unsigned)t >= GK_QTYPE_COUNT) return NULL;
    return &gk_qtraits_table[t];
}
