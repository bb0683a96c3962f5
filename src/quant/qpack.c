/* SPDX-License-Identifier: MIT */
/* gk_qpack_size / gk_qpack (gllmk/qmatmul.h): quantized weights repacked in groups of rows
 * (layout: qpack.h), the header checks, and the scalar group kernel. gk_qgemm_packed runs in
 * qmatmul.c with the other products. */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "core/checked.h"
#include "core/error.h"
#include "core/half.h"
#include "gllmk/qmatmul.h"
#include "quant/blocks.h"
#include "quant/iq.h"
#include "quant/qdot.h"
#include "quant/qpack.h"

#define GK_QPACK_MAGIC   0x50514b47u /* "GKQP" */
#define GK_QPACK_VERSION 2u          /* 2: the IQ1 layout (codes and delta signs) */

struct gk_qpack_header {
    uint32_t magic, version, type, rows;
    uint64_t n, k, checksum;
};

_Static_assert(sizeof(struct gk_qpack_header) <= GK_QPACK_HEADER_BYTES, "header size");

/* The checksum covers the header fields before it. */
static uint64_t gk_qpack_checksum(const struct gk_qpack_header *h)
{
    return gk_fnv1a64(h, offsetof(struct gk_qpack_header, checksum));
}

/* The formats with a packed layout: bytes of one block column (GK_QPACK_ROWS blocks). */
static size_t gk_qpack_column_bytes(gk_qtype t)
{
    switch (t) {
    case GK_QTYPE_Q4_0:
    case GK_QTYPE_Q8_0:
    case GK_QTYPE_Q4_1:
    case GK_QTYPE_Q5_0:
    case GK_QTYPE_Q5_1:
    case GK_QTYPE_IQ4_NL: return gk_qpack_q32_layout_of(t).column;
    case GK_QTYPE_TQ1_0: /* decoded into TQ2_0's layout */
    case GK_QTYPE_TQ2_0: return GK_QPACK_TQ2_0_COLUMN;
    case GK_QTYPE_Q2_K: return GK_QPACK_Q2_K_COLUMN;
    case GK_QTYPE_Q3_K: return GK_QPACK_Q3_K_COLUMN;
    case GK_QTYPE_Q4_K: return GK_QPACK_Q4_K_COLUMN;
    case GK_QTYPE_Q5_K: return GK_QPACK_Q5_K_COLUMN;
    case GK_QTYPE_Q6_K: return GK_QPACK_Q6_K_COLUMN;
    case GK_QTYPE_IQ4_XS: return GK_QPACK_IQ4_XS_COLUMN;
    case GK_QTYPE_IQ1_S: return GK_QPACK_IQ1_S_COLUMN;
    case GK_QTYPE_IQ1_M: return GK_QPACK_IQ1_M_COLUMN;
    case GK_QTYPE_IQ2_XXS:
    case GK_QTYPE_IQ2_XS:
    case GK_QTYPE_IQ2_S: return GK_QPACK_IQ_SM_COLUMN;
    case GK_QTYPE_IQ3_XXS:
    case GK_QTYPE_IQ3_S: return GK_QPACK_IQ_GRID_COLUMN;
    default: return 0;
    }
}

size_t gk_qpack_group_bytes(gk_qtype t, size_t k)
{
    return k / gk_qtype_block_elems(t) * gk_qpack_column_bytes(t);
}

size_t gk_qpack_size(gk_qtype t, size_t n, size_t k)
{
    const size_t column = gk_qpack_column_bytes(t);
    if (column == 0 || k % gk_qtype_block_elems(t) != 0) return 0;
    const size_t groups = n / GK_QPACK_ROWS + (n % GK_QPACK_ROWS != 0);
    size_t bytes;
    if (!gk_mul_size(groups, k / gk_qtype_block_elems(t), &bytes) ||
        !gk_mul_size(bytes, column, &bytes) || !gk_add_size(bytes, GK_QPACK_HEADER_BYTES, &bytes))
        return 0;
    return bytes;
}

/* One block column of a 32-value format t from the blocks of `rows` rows, row r's at
 * first + r * row_bytes (the others: zero d and m, nibbles 8 so that Q4_0's padding sums to 0
 * whatever its scale; Q8_0's codes 0). Every one of these blocks starts with d, the codes end it
 * (the nibbles' 16 bytes, Q8_0's 32), and Q4_1 / Q5_1's m follows d, Q5_0 / Q5_1's fifth bits
 * (32-bit little-endian) precede qs. */
static void
gk_qpack_q32_column(gk_qtype t, const char *first, size_t row_bytes, size_t rows, uint8_t *out)
{
    const struct gk_qpack_q32_layout lay = gk_qpack_q32_layout_of(t);
    const size_t block_bytes = gk_qtype_block_bytes(t);
    memset(out, 0, lay.column);
    if (!lay.bytes8) memset(out + lay.codes, 0x88, 128);
    for (unsigned r = 0; r < rows; r++) {
        const uint8_t *block = (const uint8_t *)first + r * row_bytes;
        memcpy(out + 2 * r, block, 2);
        if (lay.bytes8) {
            for (unsigned h = 0; h < 8; h++) /* elements 4 h + j */
                memcpy(out + lay.codes + 32 * h + 4 * r, block + 2 + 4 * h, 4);
            continue;
        }
        const uint8_t *qs = block + block_bytes - 16;
        if (lay.min) memcpy(out + lay.mins + 2 * r, block + 2, 2);
        for (unsigned h = 0; h < 4; h++) /* byte j: elements 4 h + j (low), 16 + 4 h + j (high) */
            memcpy(out + lay.codes + 32 * h + 4 * r, qs + 4 * h, 4);
        if (lay.fifth) {
            uint32_t qh;
            memcpy(&qh, qs - 4, 4);
            for (unsigned j = 0; j < 4; j++) {
                uint8_t byte = 0;
                for (unsigned h = 0; h < 4; h++)
                    for (unsigned s = 0; s < 2; s++)
                        byte |= (uint8_t)(((qh >> (16 * s + 4 * h + j)) & 1u) << (2 * h + s));
                out[lay.fifth + 4 * r + j] = byte;
            }
        }
    }
}

/* One Q2_K (Q3_K: three) block column from the blocks of `rows` rows, row r's at
 * first + r * row_bytes (the others: zero d, dmin and scales). */
static void
gk_qpack_q23_k_column(const char *first, size_t row_bytes, size_t rows, bool three, uint8_t *out)
{
    memset(out, 0, three ? GK_QPACK_Q3_K_COLUMN : GK_QPACK_Q2_K_COLUMN);
    const size_t scales_at = three ? 16 : 32, codes_at = scales_at + 128;
    for (unsigned r = 0; r < rows; r++) {
        const char *block = first + r * row_bytes;
        const gk_block_q2_k *b2 = (const gk_block_q2_k *)(const void *)block;
        const gk_block_q3_k *b3 = (const gk_block_q3_k *)(const void *)block;
        int8_t sc3[16];
        if (three) {
            memcpy(out + 2 * r, &b3->d, 2);
            gk_q3k_scales(b3->scales, sc3);
        } else {
            memcpy(out + 2 * r, &b2->d, 2);
            memcpy(out + 16 + 2 * r, &b2->dmin, 2);
        }
        for (unsigned sub = 0; sub < 16; sub++)
            out[scales_at + 16 * (sub / 2) + 2 * r + sub % 2] =
                three ? (uint8_t)sc3[sub] : b2->scales[sub];
        for (unsigned u = 0; u < 16; u++)
            memcpy(out + codes_at + 32 * u + 4 * r, (three ? b3->qs : b2->qs) + 4 * u, 4);
        if (three)
            for (unsigned v = 0; v < 8; v++)
                memcpy(out + codes_at + 512 + 32 * v + 4 * r, b3->hmask + 4 * v, 4);
    }
}

/* One TQ2_0 block column from the blocks of `rows` rows, row r's at first + r * row_bytes (the
 * others: zero d); TQ1_0 blocks (tq1) are decoded into TQ2_0's codes first. */
static void
gk_qpack_tq2_0_column(const char *first, size_t row_bytes, size_t rows, bool tq1, uint8_t *out)
{
    memset(out, 0, GK_QPACK_TQ2_0_COLUMN);
    for (unsigned r = 0; r < rows; r++) {
        gk_block_tq2_0 b;
        if (tq1) {
            const gk_block_tq1_0 *t = (const gk_block_tq1_0 *)(const void *)(first + r * row_bytes);
            uint8_t digit[GK_QK_K];
            gk_tq1_digits(t, digit);
            /* TQ2_0: element 128 h + 32 l + m in bits 2 l of qs[32 h + m] */
            memset(b.qs, 0, sizeof b.qs);
            for (unsigned e = 0; e < GK_QK_K; e++)
                b.qs[32 * (e / 128) + e % 32] |= (uint8_t)(digit[e] << (2 * (e % 128 / 32)));
            b.d = t->d;
        } else {
            memcpy(&b, first + r * row_bytes, sizeof b);
        }
        memcpy(out + 2 * r, &b.d, sizeof b.d);
        for (unsigned u = 0; u < 16; u++)
            memcpy(out + 16 + 32 * u + 4 * r, b.qs + 4 * u, 4);
    }
}

/* One Q4_K (Q5_K: five) block column from the blocks of `rows` rows, row r's at
 * first + r * row_bytes (the others: zero d and dmin). The two formats share d, dmin, scales and
 * qs; Q5_K adds qh. */
static void
gk_qpack_q45_k_column(const char *first, size_t row_bytes, size_t rows, bool five, uint8_t *out)
{
    memset(out, 0, five ? GK_QPACK_Q5_K_COLUMN : GK_QPACK_Q4_K_COLUMN);
    for (unsigned r = 0; r < rows; r++) {
        const char *block = first + r * row_bytes;
        const gk_block_q4_k *b4 = (const gk_block_q4_k *)(const void *)block;
        const gk_block_q5_k *b5 = (const gk_block_q5_k *)(const void *)block;
        const uint8_t *scales = five ? b5->scales : b4->scales, *qs = five ? b5->qs : b4->qs;
        memcpy(out + 2 * r, block, 2);          /* d */
        memcpy(out + 16 + 2 * r, block + 2, 2); /* dmin */
        for (int sub = 0; sub < 8; sub++) {
            uint8_t sc, m;
            gk_q4k_scale_min(scales, sub, &sc, &m);
            out[32 + 8 * sub + r] = sc;
            out[96 + 16 * (sub / 2) + 2 * r + sub % 2] = m;
        }
        for (unsigned p = 0; p < 4; p++)
            for (unsigned g = 0; g < 8; g++)
                memcpy(out + 160 + 256 * p + 32 * g + 4 * r, qs + 32 * p + 4 * g, 4);
        if (five)
            for (unsigned g = 0; g < 8; g++)
                memcpy(out + GK_QPACK_Q4_K_COLUMN + 32 * g + 4 * r, b5->qh + 4 * g, 4);
    }
}

/* The 6-bit code (0..63) of element e of a Q6_K block. */
static unsigned gk_q6_k_code(const gk_block_q6_k *b, unsigned e)
{
    const unsigned h = e / 128, c = e % 128 / 32, l = e % 32;
    const uint8_t lo = b->ql[64 * h + 32 * (c % 2) + l];
    return (c < 2 ? lo & 0xFu : lo >> 4) | ((b->qh[32 * h + l] >> (2 * c)) & 3u) << 4;
}

/* One Q6_K block column from the blocks of `rows` rows, row r's at first + r * row_bytes (the
 * others: zero d and scales, codes 0). */
static void gk_qpack_q6_k_column(const char *first, size_t row_bytes, size_t rows, uint8_t *out)
{
    memset(out, 0, GK_QPACK_Q6_K_COLUMN);
    for (unsigned r = 0; r < rows; r++) {
        const gk_block_q6_k *b = (const gk_block_q6_k *)(const void *)(first + r * row_bytes);
        memcpy(out + 2 * r, &b->d, sizeof b->d);
        for (unsigned sub = 0; sub < 16; sub++)
            out[16 + 16 * (sub / 2) + 2 * r + sub % 2] = (uint8_t)b->scales[sub];
        for (unsigned u = 0; u < 16; u++)
            for (unsigned j = 0; j < 4; j++) {
                const unsigned e = 128 * (u / 8) + 4 * (u % 8) + j;
                const unsigned top = gk_q6_k_code(b, e + 96);
                for (unsigned v = 0; v < 3; v++)
                    out[144 + 96 * u + 32 * v + 4 * r + j] =
                        (uint8_t)(gk_q6_k_code(b, e + 32 * v) | ((top >> (2 * v)) & 3u) << 6);
            }
    }
}

/* One IQ4_XS block column from the blocks of `rows` rows, row r's at first + r * row_bytes (the
 * others: zero d). */
static void gk_qpack_iq4_xs_column(const char *first, size_t row_bytes, size_t rows, uint8_t *out)
{
    memset(out, 0, GK_QPACK_IQ4_XS_COLUMN);
    for (unsigned r = 0; r < rows; r++) {
        const gk_block_iq4_xs *b = (const gk_block_iq4_xs *)(const void *)(first + r * row_bytes);
        memcpy(out + 2 * r, b->d, 2);
        for (unsigned sub = 0; sub < 8; sub++) {
            out[16 + 8 * sub + r] = (uint8_t)(int8_t)gk_iq4_xs_scale(b, (int)sub);
            for (unsigned g = 0; g < 4; g++)
                memcpy(out + 80 + 128 * sub + 32 * g + 4 * r, b->qs + 16 * sub + 4 * g, 4);
        }
    }
}

/* One super-block of a grid format decoded the way the decoders of iq.h decode it (iq_dequant_body
 * .inc), into integers: *d the f16 bits of its scale, s[i] the 4-bit scale of its weights 16 i ..
 * 16 i + 15, v[e] the value of weight e over d * factor * (2 s + 1) (qpack.h). */
struct gk_qpack_iq_block {
    uint16_t d;
    uint8_t s[16];
    int8_t v[GK_QK_K];
};

/* Eight weights from one grid entry (bytes: magnitudes) and 8 sign bits (set: negative). */
static void gk_qpack_iq_put8(int8_t *v, uint64_t grid, unsigned signs)
{
    for (unsigned j = 0; j < 8; j++) {
        const int magnitude = (int)(grid >> (8 * j) & 0xFF);
        v[j] = (int8_t)(signs >> j & 1u ? -magnitude : magnitude);
    }
}

/* Eight IQ1 weights: 8 q + 8 delta, q the grid entry's int8 bytes (-1, 0, 1), the delta sign bit
 * `negative`. */
static void gk_qpack_iq1_put8(int8_t *v, uint64_t grid, unsigned negative)
{
    for (unsigned j = 0; j < 8; j++)
        v[j] = (int8_t)(8 * (int8_t)(grid >> (8 * j) & 0xFF) + (negative ? -1 : 1));
}

static void gk_qpack_iq_decode(gk_qtype t, const uint8_t *block, struct gk_qpack_iq_block *o)
{
    for (unsigned g = 0; g < 8; g++) { /* groups of 32 weights */
        int8_t *v = o->v + 32 * g;
        switch (t) {
        case GK_QTYPE_IQ2_XXS: {
            const gk_block_iq2_xxs *b = (const gk_block_iq2_xxs *)(const void *)block;
            const uint8_t *q = b->qs + 8 * g;
            const uint32_t w = gk_iq_u32(q + 4);
            o->d = gk_iq_u16(b->d);
            o->s[2 * g] = o->s[2 * g + 1] = (uint8_t)(w >> 28);
            for (unsigned l = 0; l < 4; l++)
                gk_qpack_iq_put8(v + 8 * l, gk_iq2xxs_grid[q[l]], gk_iq_ksigns[w >> (7 * l) & 127]);
            break;
        }
        case GK_QTYPE_IQ2_XS: {
            const gk_block_iq2_xs *b = (const gk_block_iq2_xs *)(const void *)block;
            o->d = gk_iq_u16(b->d);
            for (unsigned l = 0; l < 4; l++) {
                const uint16_t q = gk_iq_u16(b->qs + 8 * g + 2 * l);
                gk_qpack_iq_put8(v + 8 * l, gk_iq2xs_grid[q & 511u], gk_iq_ksigns[q >> 9]);
                o->s[2 * g + l / 2] = (uint8_t)(b->scales[g] >> (4 * (l / 2)) & 15u);
            }
            break;
        }
        case GK_QTYPE_IQ2_S: {
            const gk_block_iq2_s *b = (const gk_block_iq2_s *)(const void *)block;
            o->d = gk_iq_u16(b->d);
            for (unsigned l = 0; l < 4; l++) {
                const unsigned index = b->qs[4 * g + l] | (b->qh[g] >> (2 * l) & 3u) << 8;
                gk_qpack_iq_put8(v + 8 * l, gk_iq2s_grid[index], b->qs[32 + 4 * g + l]);
                o->s[2 * g + l / 2] = (uint8_t)(b->scales[g] >> (4 * (l / 2)) & 15u);
            }
            break;
        }
        case GK_QTYPE_IQ3_XXS: {
            const gk_block_iq3_xxs *b = (const gk_block_iq3_xxs *)(const void *)block;
            const uint8_t *q = b->qs + 8 * g;
            const uint32_t w = gk_iq_u32(b->qs + 64 + 4 * g);
            o->d = gk_iq_u16(b->d);
            o->s[2 * g] = o->s[2 * g + 1] = (uint8_t)(w >> 28);
            for (unsigned l = 0; l < 4; l++)
                gk_qpack_iq_put8(v + 8 * l,
                                 gk_iq3xxs_grid[q[2 * l]] | (uint64_t)gk_iq3xxs_grid[q[2 * l + 1]]
                                                                << 32,
                                 gk_iq_ksigns[w >> (7 * l) & 127]);
            break;
        }
        case GK_QTYPE_IQ3_S: {
            const gk_block_iq3_s *b = (const gk_block_iq3_s *)(const void *)block;
            uint32_t entry[8];
            for (unsigned i = 0; i < 8; i++)
                entry[i] = gk_iq3s_grid[b->qs[8 * g + i] | (b->qh[g] >> i & 1u) << 8];
            o->d = gk_iq_u16(b->d);
            o->s[2 * g] = o->s[2 * g + 1] = (uint8_t)(b->scales[g / 2] >> (4 * (g % 2)) & 15u);
            for (unsigned l = 0; l < 4; l++)
                gk_qpack_iq_put8(v + 8 * l, entry[2 * l] | (uint64_t)entry[2 * l + 1] << 32,
                                 b->signs[4 * g + l]);
            break;
        }
        case GK_QTYPE_IQ1_S: {
            const gk_block_iq1_s *b = (const gk_block_iq1_s *)(const void *)block;
            const unsigned h = gk_iq_u16(b->qh + 2 * g);
            o->d = gk_iq_u16(b->d);
            o->s[2 * g] = o->s[2 * g + 1] = (uint8_t)(h >> 12 & 7u);
            for (unsigned l = 0; l < 4; l++)
                gk_qpack_iq1_put8(
                    v + 8 * l, gk_iq1s_grid[b->qs[4 * g + l] | (h >> (3 * l) & 7u) << 8], h >> 15);
            break;
        }
        default: { /* IQ1_M */
            const gk_block_iq1_m *b = (const gk_block_iq1_m *)(const void *)block;
            const unsigned w = gk_iq_u16(b->scales + 2 * (g / 2)) >> (6 * (g % 2));
            o->d = gk_iq1_m_scale_bits(b);
            for (unsigned l = 0; l < 4; l++) {
                /* qh byte 2 g + l / 2: its nibble l % 2 has 3 index bits and the delta sign */
                const unsigned h = b->qh[2 * g + l / 2] >> (4 * (l % 2));
                gk_qpack_iq1_put8(v + 8 * l, gk_iq1s_grid[b->qs[4 * g + l] | (h & 7u) << 8],
                                  h >> 3 & 1u);
                o->s[2 * g + l / 2] = (uint8_t)(w >> (3 * (l / 2)) & 7u);
            }
            break;
        }
        }
    }
}

/* The index of v among the first n of values (every value the decoders produce is there, qpack.h;
 * the test of the packed products against the dequantized weights checks it). */
static unsigned gk_qpack_iq_index(const int8_t *values, unsigned n, int v)
{
    unsigned i = 0;
    while (i + 1 < n && values[i] != v)
        i++;
    return i;
}

/* One block column of a grid format t from the blocks of `rows` rows, row r's at
 * first + r * row_bytes (the others: zero d, scales and codes). */
static void
gk_qpack_iq_column(gk_qtype t, const char *first, size_t row_bytes, size_t rows, uint8_t *out)
{
    const struct gk_qpack_iq iq = gk_qpack_iq_of(t);
    memset(out, 0, gk_qpack_column_bytes(t));
    for (unsigned r = 0; r < rows; r++) {
        struct gk_qpack_iq_block blk;
        gk_qpack_iq_decode(t, (const uint8_t *)first + r * row_bytes, &blk);
        out[2 * r] = (uint8_t)(blk.d & 0xFF);
        out[2 * r + 1] = (uint8_t)(blk.d >> 8);
        for (unsigned g = 0; g < 8; g++)
            out[16 + 8 * g + r] = (uint8_t)(blk.s[2 * g] | blk.s[2 * g + 1] << 4);
        for (unsigned e = 0; e < GK_QK_K; e++) {
            const int v = blk.v[e];
            if (t == GK_QTYPE_IQ1_S || t == GK_QTYPE_IQ1_M) {
                /* v = 8 q + 1 - 2 n: code q + 1 and the group's delta sign n (iq1_put8 gives all
                 * of a group the same, so writing it once per weight sets the same bit) */
                const unsigned a = e / 16, l = e % 16 / 4, j = e % 4;
                const int q = (v + (v < 0 ? -4 : 4)) / 8;
                const unsigned negative = v - 8 * q < 0;
                out[80 + 32 * a + 4 * r + j] |= (uint8_t)((unsigned)(q + 1) << (2 * l));
                if (t == GK_QTYPE_IQ1_M)
                    out[592 + 4 * r + 2 * (e % 16 / 8) + 1 - a / 8] |=
                        (uint8_t)(negative << (7 - a % 8));
                else
                    out[592 + r] |= (uint8_t)(negative << (7 - e / 32));
            } else if (iq.sign_magnitude) {
                const unsigned a = e / 16, l = e % 16 / 4, j = e % 4;
                const unsigned magnitude = gk_qpack_iq_index(iq.values, 3, v < 0 ? -v : v);
                out[80 + 32 * a + 4 * r + j] |= (uint8_t)(magnitude << (2 * l));
                out[592 + 32 * (a / 2) + 4 * r + j] |= (uint8_t)((v < 0) << (4 * (a % 2) + l));
            } else {
                const unsigned g = e / 32, half = e % 32 / 16, u = e % 16 / 4, j = e % 4;
                out[80 + 128 * g + 32 * u + 4 * r + j] |=
                    (uint8_t)(gk_qpack_iq_index(iq.values, 16, v) << (4 * half));
            }
        }
    }
}

gk_status gk_qpack(gk_qtype t, const void *w, size_t n, size_t k, void *packed, size_t packed_bytes)
{
    const char *api = "gk_qpack";
    const size_t elems = gk_qtype_block_elems(t);
    GK_CHECK(elems != 0, GK_EINVAL, api, "type %d is not a gk_qtype", (int)t);
    GK_CHECK(
        gk_qpack_column_bytes(t) != 0, GK_EUNSUPPORTED, api,
        "%s has no packed layout (Q4_0..Q5_1, Q8_0, Q2_K..Q6_K, TQ1_0, TQ2_0 and the IQ formats "
        "have one)",
        gk_qtype_name(t));
    GK_CHECK(k % elems == 0, GK_EINVAL, api, "k = %zu is not a multiple of %s's block of %zu", k,
             gk_qtype_name(t), elems);
    const size_t bytes = gk_qpack_size(t, n, k);
    size_t w_bytes;
    GK_CHECK(bytes != 0 && gk_mul_size(n, gk_qtype_row_bytes(t, k), &w_bytes), GK_EOVERFLOW, api,
             "n %zu x k %zu overflows size_t bytes", n, k);
    GK_CHECK(packed != NULL, GK_EINVAL, api, "packed is NULL");
    GK_CHECK(w_bytes == 0 || w != NULL, GK_EINVAL, api, "w is NULL");
    GK_CHECK(packed_bytes >= bytes, GK_EINVAL, api,
             "packed_bytes = %zu, the layout needs %zu (gk_qpack_size)", packed_bytes, bytes);
    GK_CHECK(!gk_ranges_overlap(w, w_bytes, packed, bytes), GK_EALIAS, api, "w overlaps packed");

    struct gk_qpack_header h = {
        GK_QPACK_MAGIC, GK_QPACK_VERSION, (uint32_t)t, GK_QPACK_ROWS, n, k, 0};
    h.checksum = gk_qpack_checksum(&h);
    memset(packed, 0, GK_QPACK_HEADER_BYTES);
    memcpy(packed, &h, sizeof h);
    uint8_t *out = (uint8_t *)packed + GK_QPACK_HEADER_BYTES;
    const size_t row_bytes = gk_qtype_row_bytes(t, k), n_blocks = k / elems;
    for (size_t r0 = 0; r0 < n; r0 += GK_QPACK_ROWS) {
        const size_t rows = n - r0 < GK_QPACK_ROWS ? n - r0 : GK_QPACK_ROWS;
        for (size_t b = 0; b < n_blocks; b++) {
            const char *first = (const char *)w + r0 * row_bytes + b * gk_qtype_block_bytes(t);
            if (gk_qtype_block_elems(t) == 32)
                gk_qpack_q32_column(t, first, row_bytes, rows, out);
            else if (t == GK_QTYPE_TQ1_0 || t == GK_QTYPE_TQ2_0)
                gk_qpack_tq2_0_column(first, row_bytes, rows, t == GK_QTYPE_TQ1_0, out);
            else if (t == GK_QTYPE_Q2_K || t == GK_QTYPE_Q3_K)
                gk_qpack_q23_k_column(first, row_bytes, rows, t == GK_QTYPE_Q3_K, out);
            else if (t == GK_QTYPE_Q4_K || t == GK_QTYPE_Q5_K)
                gk_qpack_q45_k_column(first, row_bytes, rows, t == GK_QTYPE_Q5_K, out);
            else if (t == GK_QTYPE_Q6_K)
                gk_qpack_q6_k_column(first, row_bytes, rows, out);
            else if (t != GK_QTYPE_IQ4_XS)
                gk_qpack_iq_column(t, first, row_bytes, rows, out);
            else
                gk_qpack_iq4_xs_column(first, row_bytes, rows, out);
            out += gk_qpack_column_bytes(t);
        }
    }
    return GK_OK;
}

gk_status gk_qpack_open(const char *api,
                        const void *packed,
                        size_t n,
                        size_t k,
                        gk_isa isa,
                        gk_qtype *type,
                        gk_qdot8_fn *kernel,
                        gk_qdot8x4_fn *kernel4)
{
    GK_CHECK(packed != NULL, GK_EINVAL, api, "packed is NULL");
    struct gk_qpack_header h;
    memcpy(&h, packed, sizeof h);
    GK_CHECK(h.magic == GK_QPACK_MAGIC && h.version == GK_QPACK_VERSION &&
                 h.checksum == gk_qpack_checksum(&h) && h.rows == GK_QPACK_ROWS &&
                 h.type < GK_QTYPE_COUNT && gk_qpack_column_bytes((gk_qtype)h.type) != 0,
             GK_EINVAL, api, "packed is not a gk_qpack buffer (bad magic, version or checksum)");
    GK_CHECK(h.n == n && h.k == k, GK_EINVAL, api,
             "packed holds %llu x %llu weights, the call says n = %zu, k = %zu",
             (unsigned long long)h.n, (unsigned long long)h.k, n, k);
    *type = (gk_qtype)h.type;

    /* the group kernels of each tier: scalar, AVX2 (also the AVX-512 tier's), NEON, and AVX2 four
     * tokens at a time (NULL elsewhere); a build has its architecture's only */
#ifdef GK_HAVE_AVX2
#    define GK_QP_AVX2(fn) fn
#else
#    define GK_QP_AVX2(fn) NULL
#endif
#ifdef GK_HAVE_NEON
#    define GK_QP_NEON(fn) fn
#else
#    define GK_QP_NEON(fn) NULL
#endif
    /* clang-format off */
#define GK_QP_ROW(kern, NAME)                                                                  \
    {GK_QTYPE_##NAME, gk_qdot8_##kern##_scalar, GK_QP_AVX2(gk_qdot8_##kern##_avx2),           \
     GK_QP_NEON(gk_qdot8_##kern##_neon), GK_QP_NEON(gk_qdot8_##kern##_neon_dotprod),          \
     GK_QP_AVX2(gk_qdot8x4_##kern##_avx2)}
    static const struct {
        gk_qtype type;
        /* neon_dotprod: the NEON kernel built with SDOT (qpack_neon.c is built twice, like the
         * dot kernels of qdot.h; the same bits), for CPUs with the dot-product extension */
        gk_qdot8_fn scalar, avx2, neon, neon_dotprod;
        gk_qdot8x4_fn avx2_x4;
    } kernels[] = {
        GK_QP_ROW(q4_0,   Q4_0),
        GK_QP_ROW(q8_0,   Q8_0),
        GK_QP_ROW(q4_1,   Q4_1),
        GK_QP_ROW(q5_0,   Q5_0),
        GK_QP_ROW(q5_1,   Q5_1),
        GK_QP_ROW(iq4_nl, IQ4_NL),
        GK_QP_ROW(q2_k,   Q2_K),
        GK_QP_ROW(q3_k,   Q3_K),
        GK_QP_ROW(q4_k,   Q4_K),
        GK_QP_ROW(q5_k,   Q5_K),
        GK_QP_ROW(q6_k,   Q6_K),
        GK_QP_ROW(tq2_0,  TQ1_0),
        GK_QP_ROW(tq2_0,  TQ2_0),
        GK_QP_ROW(iq4_xs, IQ4_XS),
        GK_QP_ROW(iq1_s,   IQ1_S),
        GK_QP_ROW(iq1_m,   IQ1_M),
        GK_QP_ROW(iq2_xxs, IQ2_XXS),
        GK_QP_ROW(iq2_xs,  IQ2_XS),
        GK_QP_ROW(iq2_s,   IQ2_S),
        GK_QP_ROW(iq3_xxs, IQ3_XXS),
        GK_QP_ROW(iq3_s,   IQ3_S),
    };

    /* clang-format on */
#undef GK_QP_ROW
#undef GK_QP_AVX2
#undef GK_QP_NEON
    *kernel = NULL; /* not reached: the header check admits only the types of the table */
    *kernel4 = NULL;
    const bool avx2 = isa == GK_ISA_AVX2 || isa == GK_ISA_AVX512, neon = isa == GK_ISA_NEON;
    const bool sdot = neon && gk_cpu_get()->has[GK_FEATURE_ASIMDDP];
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
        if (kernels[i].type == *type) {
            *kernel = avx2 && kernels[i].avx2           ? kernels[i].avx2
                      : sdot && kernels[i].neon_dotprod ? kernels[i].neon_dotprod
                      : neon && kernels[i].neon         ? kernels[i].neon
                                                        : kernels[i].scalar;
            *kernel4 = avx2 ? kernels[i].avx2_x4 : NULL;
        }
    return GK_OK;
}

/* ---- the scalar group kernel (the arithmetic of qpack.h) ------------------------------------ */

/* The group kernel of a 32-value format t (qpack.h): the activation is Q8_1 for t with a min
 * term, else Q8_0. */
static void gk_qdot8_q32_scalar(gk_qtype t,
                                const uint8_t *col,
                                const void *xq,
                                const int32_t *xsum,
                                size_t n_blocks,
                                float *out)
{
    const struct gk_qpack_q32_layout lay = gk_qpack_q32_layout_of(t);
    const size_t x_bytes = lay.min ? sizeof(gk_block_q8_1) : sizeof(gk_block_q8_0);
    float acc[GK_QPACK_ROWS] = {0};
    for (size_t b = 0; b < n_blocks; b++, col += lay.column) {
        const uint8_t *xb = (const uint8_t *)xq + b * x_bytes;
        const int8_t *x = (const int8_t *)(xb + x_bytes - 32);
        gk_f16 d_x, s_x;
        memcpy(&d_x, xb, sizeof d_x);
        memcpy(&s_x, xb + 2, sizeof s_x);
        for (unsigned r = 0; r < GK_QPACK_ROWS; r++) {
            int32_t isum = 0;
            for (unsigned e = 0; e < 32; e++) {
                const unsigned s = e / 16, h = e % 16 / 4, j = e % 4;
                const unsigned nibble = col[lay.codes + 32 * h + 4 * r + j] >> (4 * s) & 0xF;
                int code = lay.nl ? gk_iq4nl_values[nibble] : (int)nibble;
                if (lay.fifth) code |= (col[lay.fifth + 4 * r + j] >> (2 * h + s) & 1) << 4;
                if (lay.bytes8) code = (int8_t)col[lay.codes + 32 * (e / 4) + 4 * r + j];
                isum += code * x[e];
            }
            if (lay.offset) isum -= lay.offset * xsum[b];
            gk_f16 d_w, m_w;
            memcpy(&d_w, col + 2 * r, sizeof d_w);
            acc[r] = fmaf(gk_f32_from_f16(d_w) * gk_f32_from_f16(d_x), (float)isum, acc[r]);
            if (lay.min) {
                memcpy(&m_w, col + lay.mins + 2 * r, sizeof m_w);
                acc[r] = fmaf(gk_f32_from_f16(m_w), gk_f32_from_f16(s_x), acc[r]);
            }
        }
    }
    memcpy(out, acc, sizeof acc);
}

#define GK_QPACK_Q32_SCALAR(kern, NAME)                                                   \
    void gk_qdot8_##kern##_scalar(const void *group, const void *xq, const int32_t *xsum, \
                                  size_t n_blocks, float *out)                            \
    {                                                                                     \
        gk_qdot8_q32_scalar(GK_QTYPE_##NAME, group, xq, xsum, n_blocks, out);             \
    }
GK_QPACK_Q32_SCALAR(q4_0, Q4_0)
GK_QPACK_Q32_SCALAR(q8_0, Q8_0)
GK_QPACK_Q32_SCALAR(q4_1, Q4_1)
GK_QPACK_Q32_SCALAR(q5_0, Q5_0)
GK_QPACK_Q32_SCALAR(q5_1, Q5_1)
GK_QPACK_Q32_SCALAR(iq4_nl, IQ4_NL)

/* The Q2_K and Q3_K (three) group kernel. */
static void gk_qdot8_q23_k_scalar(
    const uint8_t *col, const gk_block_q8_k *x, size_t n_blocks, bool three, float *out)
{
    const size_t column = three ? GK_QPACK_Q3_K_COLUMN : GK_QPACK_Q2_K_COLUMN;
    const size_t scales_at = three ? 16 : 32, codes_at = scales_at + 128;
    float acc[GK_QPACK_ROWS] = {0};
    for (size_t b = 0; b < n_blocks; b++, col += column) {
        for (unsigned r = 0; r < GK_QPACK_ROWS; r++) {
            int32_t isum = 0, msum = 0;
            for (unsigned sub = 0; sub < 16; sub++) {
                /* sub-block 8 h + 2 t + e: bits 2 t of the code units 8 h + 4 e + (0..3) */
                const unsigned h = sub / 8, t = sub % 8 / 2, e = sub % 2;
                int32_t part = 0;
                for (unsigned l = 0; l < 16; l++) {
                    const unsigned lane = 32 * (l / 4) + 4 * r + l % 4;
                    int code = col[codes_at + 32 * (8 * h + 4 * e) + lane] >> (2 * t) & 3;
                    if (three) /* high bit set: code 0..3, clear: -4..-1 */
                        code -= col[codes_at + 512 + 32 * 4 * e + lane] >> (4 * h + t) & 1 ? 0 : 4;
                    part += code * x[b].qs[16 * sub + l];
                }
                const uint8_t scale = col[scales_at + 16 * (sub / 2) + 2 * r + sub % 2];
                if (three) {
                    isum += (int8_t)scale * part;
                } else {
                    isum += (scale & 0xF) * part;
                    msum += (scale >> 4) * x[b].bsums[sub];
                }
            }
            gk_f16 d, dmin = {0};
            memcpy(&d, col + 2 * r, sizeof d);
            if (!three) memcpy(&dmin, col + 16 + 2 * r, sizeof dmin);
            acc[r] = gk_qdot_kquant_step(acc[r], gk_f32_from_f16(d), gk_f32_from_f16(dmin), x[b].d,
                                         isum, msum);
        }
    }
    memcpy(out, acc, sizeof acc);
}

GK_QDOT8_SHARED(gk_qdot8_q2_k_scalar, gk_qdot8_q23_k_scalar, false)

GK_QDOT8_SHARED(gk_qdot8_q3_k_scalar, gk_qdot8_q23_k_scalar, true)

/* The Q4_K and Q5_K (five) group kernel. */
static void gk_qdot8_q45_k_scalar(
    const uint8_t *col, const gk_block_q8_k *x, size_t n_blocks, bool five, float *out)
{
    const size_t column = five ? GK_QPACK_Q5_K_COLUMN : GK_QPACK_Q4_K_COLUMN;
    float acc[GK_QPACK_ROWS] = {0};
    for (size_t b = 0; b < n_blocks; b++, col += column) {
        for (unsigned r = 0; r < GK_QPACK_ROWS; r++) {
            int32_t isum = 0, msum = 0;
            for (unsigned sub = 0; sub < 8; sub++) {
                const unsigned p = sub / 2, shift = 4 * (sub % 2);
                int32_t part = 0;
                for (unsigned l = 0; l < 32; l++) {
                    const unsigned lane = 32 * (l / 4) + 4 * r + l % 4;
                    const uint8_t byte = col[160 + 256 * p + lane];
                    const int fifth = five ? (col[GK_QPACK_Q4_K_COLUMN + lane] >> sub & 1) << 4 : 0;
                    part += (((byte >> shift) & 0xF) | fifth) * x[b].qs[32 * sub + l];
                }
                isum += col[32 + 8 * sub + r] * part;
                msum += col[96 + 16 * p + 2 * r + sub % 2] *
                        (x[b].bsums[2 * sub] + x[b].bsums[2 * sub + 1]);
            }
            gk_f16 d, dmin;
            memcpy(&d, col + 2 * r, sizeof d);
            memcpy(&dmin, col + 16 + 2 * r, sizeof dmin);
            acc[r] = gk_qdot_kquant_step(acc[r], gk_f32_from_f16(d), gk_f32_from_f16(dmin), x[b].d,
                                         isum, msum);
        }
    }
    memcpy(out, acc, sizeof acc);
}

GK_QDOT8_SHARED(gk_qdot8_q4_k_scalar, gk_qdot8_q45_k_scalar, false)

GK_QDOT8_SHARED(gk_qdot8_q5_k_scalar, gk_qdot8_q45_k_scalar, true)

void gk_qdot8_q6_k_scalar(
    const void *group, const void *xq, const int32_t *xsum, size_t n_blocks, float *out)
{
    (void)xsum;
    const uint8_t *col = group;
    const gk_block_q8_k *x = xq;
    float acc[GK_QPACK_ROWS] = {0};
    for (size_t b = 0; b < n_blocks; b++, col += GK_QPACK_Q6_K_COLUMN) {
        for (unsigned r = 0; r < GK_QPACK_ROWS; r++) {
            int32_t isum = 0;
            for (unsigned sub = 0; sub < 16; sub++) {
                /* the 16 elements 16 sub .. 16 sub + 15: h, code c and groups g of the layout */
                const unsigned h = sub / 8, c = sub % 8 / 2, g0 = 4 * (sub % 2);
                int32_t part = 0;
                for (unsigned g = g0; g < g0 + 4; g++)
                    for (unsigned j = 0; j < 4; j++) {
                        const uint8_t *v = col + 144 + 96 * (8 * h + g) + 4 * r + j;
                        const int code = c < 3 ? v[32 * c] & 0x3F
                                               : v[0] >> 6 | (v[32] >> 6) << 2 | (v[64] >> 6) << 4;
                        part += (code - 32) * x[b].qs[128 * h + 32 * c + 4 * g + j];
                    }
                isum += (int8_t)col[16 + 16 * (sub / 2) + 2 * r + sub % 2] * part;
            }
            gk_f16 d;
            memcpy(&d, col + 2 * r, sizeof d);
            acc[r] = gk_qdot_kquant_step(acc[r], gk_f32_from_f16(d), 0.0f, x[b].d, isum, 0);
        }
    }
    memcpy(out, acc, sizeof acc);
}

void gk_qdot8_tq2_0_scalar(
    const void *group, const void *xq, const int32_t *xsum, size_t n_blocks, float *out)
{
    (void)xsum;
    const uint8_t *col = group;
    const gk_block_q8_k *x = xq;
    float acc[GK_QPACK_ROWS] = {0};
    for (size_t b = 0; b < n_blocks; b++, col += GK_QPACK_TQ2_0_COLUMN) {
        for (unsigned r = 0; r < GK_QPACK_ROWS; r++) {
            int32_t isum = 0;
            for (unsigned e = 0; e < GK_QK_K; e++) {
                const unsigned h = e / 128, l = e % 128 / 32, u = 8 * h + e % 32 / 4;
                const int code = col[16 + 32 * u + 4 * r + e % 4] >> (2 * l) & 3;
                isum += (code - 1) * x[b].qs[e];
            }
            gk_f16 d;
            memcpy(&d, col + 2 * r, sizeof d);
            acc[r] = gk_qdot_kquant_step(acc[r], gk_f32_from_f16(d), 0.0f, x[b].d, isum, 0);
        }
    }
    memcpy(out, acc, sizeof acc);
}

void gk_qdot8_iq4_xs_scalar(
    const void *group, const void *xq, const int32_t *xsum, size_t n_blocks, float *out)
{
    (void)xsum;
    const uint8_t *col = group;
    const gk_block_q8_k *x = xq;
    float acc[GK_QPACK_ROWS] = {0};
    for (size_t b = 0; b < n_blocks; b++, col += GK_QPACK_IQ4_XS_COLUMN) {
        for (unsigned r = 0; r < GK_QPACK_ROWS; r++) {
            int32_t isum = 0;
            for (unsigned sub = 0; sub < 8; sub++) {
                int32_t part = 0;
                for (unsigned l = 0; l < 16; l++) {
                    const uint8_t byte = col[80 + 128 * sub + 32 * (l / 4) + 4 * r + l % 4];
                    part += gk_iq4nl_values[byte & 0xF] * x[b].qs[32 * sub + l] +
                            gk_iq4nl_values[byte >> 4] * x[b].qs[32 * sub + 16 + l];
                }
                isum += (int8_t)col[16 + 8 * sub + r] * part;
            }
            gk_f16 d;
            memcpy(&d, col + 2 * r, sizeof d);
            acc[r] = gk_qdot_kquant_step(acc[r], gk_f32_from_f16(d), 0.0f, x[b].d, isum, 0);
        }
    }
    memcpy(out, acc, sizeof acc);
}

/* The value of element e of row r in a grid format's block column (qpack.h). */
static int
gk_qpack_iq_value(const uint8_t *col, const struct gk_qpack_iq *iq, unsigned r, unsigned e)
{
    if (iq->sign_magnitude) {
        const unsigned a = e / 16, l = e % 16 / 4, j = e % 4;
        const int magnitude = iq->values[col[80 + 32 * a + 4 * r + j] >> (2 * l) & 3];
        return col[592 + 32 * (a / 2) + 4 * r + j] >> (4 * (a % 2) + l) & 1 ? -magnitude
                                                                            : magnitude;
    }
    const unsigned g = e / 32, half = e % 32 / 16, u = e % 16 / 4, j = e % 4;
    return iq->values[col[80 + 128 * g + 32 * u + 4 * r + j] >> (4 * half) & 0xF];
}

void gk_qpack_iq1_xsum(const void *xq, size_t n_blocks, int32_t *xsum)
{
    const gk_block_q8_k *x = xq;
    for (size_t b = 0; b < n_blocks; b++, xsum += GK_QPACK_IQ1_XSUM) {
        for (unsigned a = 0; a < 16; a++) {
            int32_t half[2] = {0, 0}; /* X_2a, X_2a+1 */
            for (unsigned e = 0; e < 16; e++)
                half[e / 8] += x[b].qs[16 * a + e];
            /* |9 X| <= 9 * 1024: the pairs are exact int16 */
            for (unsigned m = 0; m < 2; m++) {
                const int32_t times = m ? -9 : -7;
                xsum[16 * m + a] = (int32_t)((uint32_t)(uint16_t)(int16_t)(times * half[0]) |
                                             (uint32_t)(uint16_t)(int16_t)(times * half[1]) << 16);
            }
        }
    }
}

/* The IQ1_S and IQ1_M group kernel (group: the weights per delta, 32 or 8; qpack.h). */
static void gk_qdot8_iq1_scalar(const uint8_t *col,
                                const gk_block_q8_k *x,
                                const int32_t *xsum,
                                size_t n_blocks,
                                unsigned group,
                                float *out)
{
    const size_t column = gk_qpack_iq1_column(group);
    float acc[GK_QPACK_ROWS] = {0};
    for (size_t b = 0; b < n_blocks; b++, col += column, xsum += GK_QPACK_IQ1_XSUM) {
        for (unsigned r = 0; r < GK_QPACK_ROWS; r++) {
            int32_t isum = 0;
            for (unsigned a = 0; a < 16; a++) { /* the weights 16 a .. 16 a + 15 */
                int32_t codes = 0, deltas = 0;
                for (unsigned e = 16 * a; e < 16 * a + 16; e++)
                    codes +=
                        (col[80 + 32 * a + 4 * r + e % 4] >> (2 * (e % 16 / 4)) & 3) * x[b].qs[e];
                for (unsigned h = 0; h < 2; h++) {
                    const unsigned negative = group == 8
                                                  ? (unsigned)(col[592 + 4 * r + 2 * h] |
                                                               col[592 + 4 * r + 2 * h + 1] << 8) >>
                                                            (15 - a) &
                                                        1u
                                                  : col[592 + r] >> (7 - a / 2) & 1u;
                    /* -(7 + 2 n) X_2a+h, half h of word a (n = 0) or 16 + a (n = 1) */
                    deltas += (int16_t)(uint16_t)((uint32_t)xsum[16 * negative + a] >> (16 * h));
                }
                const unsigned s = col[16 + 8 * (a / 2) + r] >> (4 * (a % 2)) & 0xF;
                isum += (int32_t)(2 * s + 1) * (8 * codes + deltas);
            }
            gk_f16 d;
            memcpy(&d, col + 2 * r, sizeof d);
            acc[r] = gk_qpack_iq_step(acc[r], gk_f32_from_f16(d), 0.125f, x[b].d, isum);
        }
    }
    memcpy(out, acc, sizeof acc);
}

/* The grid formats' group kernel (t: which one; qpack.h). */
static void gk_qdot8_iq_grid_scalar(
    const uint8_t *col, const gk_block_q8_k *x, size_t n_blocks, gk_qtype t, float *out)
{
    const struct gk_qpack_iq iq = gk_qpack_iq_of(t);
    const size_t column = gk_qpack_column_bytes(t);
    float acc[GK_QPACK_ROWS] = {0};
    for (size_t b = 0; b < n_blocks; b++, col += column) {
        for (unsigned r = 0; r < GK_QPACK_ROWS; r++) {
            int32_t isum = 0;
            for (unsigned sub = 0; sub < 16; sub++) { /* the weights 16 sub .. 16 sub + 15 */
                int32_t part = 0;
                for (unsigned e = 16 * sub; e < 16 * sub + 16; e++)
                    part += gk_qpack_iq_value(col, &iq, r, e) * x[b].qs[e];
                const unsigned s = col[16 + 8 * (sub / 2) + r] >> (4 * (sub % 2)) & 0xF;
                isum += (int32_t)(2 * s + 1) * part;
            }
            gk_f16 d;
            memcpy(&d, col + 2 * r, sizeof d);
            acc[r] = gk_qpack_iq_step(acc[r], gk_f32_from_f16(d), iq.factor, x[b].d, isum);
        }
    }
    memcpy(out, acc, sizeof acc);
}

GK_QDOT8_SHARED_XSUM(gk_qdot8_iq1_s_scalar, gk_qdot8_iq1_scalar, 32)

GK_QDOT8_SHARED_XSUM(gk_qdot8_iq1_m_scalar, gk_qdot8_iq1_scalar, 8)

GK_QDOT8_SHARED(gk_qdot8_iq2_xxs_scalar, gk_qdot8_iq_grid_scalar, GK_QTYPE_IQ2_XXS)

GK_QDOT8_SHARED(gk_qdot8_iq2_xs_scalar, gk_qdot8_iq_grid_scalar, GK_QTYPE_IQ2_XS)

GK_QDOT8_SHARED(gk_qdot8_iq2_s_scalar, gk_qdot8_iq_grid_scalar, GK_QTYPE_IQ2_S)

GK_QDOT8_SHARED(gk_qdot8_iq3_xxs_scalar, gk_qdot8_iq_grid_scalar, GK_QTYPE_IQ3_XXS)

GK_QDOT8_SHARED(gk_qdot8_iq3_s_scalar, gk_qdot8_iq_grid_scalar, GK_QTYPE_IQ3_S)
