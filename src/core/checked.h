/* SPDX-License-Identifier: MIT */
/* Overflow-checked size arithmetic, overlap tests, the finiteness scan of inputs and the header
 * checksum of packed buffers, for validating user input. */
#ifndef GK_CORE_CHECKED_H
#define GK_CORE_CHECKED_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* *out = a * b; false (and *out untouched) if the product does not fit in size_t. */
static inline bool gk_mul_size(size_t a, size_t b, size_t *out)
{
    size_t product;
    if (__builtin_mul_overflow(a, b, &product)) return false;
    *out = product;
    return true;
}

/* *out = a + b; false (and *out untouched) on overflow. */
static inline bool gk_add_size(size_t a, size_t b, size_t *out)
{
    size_t sum;
    if (__builtin_add_overflow(a, b, &sum)) return false;
    *out = sum;
    return true;
}

/* The index of the first value of x[0, n) that is NaN or infinite, or n. Input checks run it over
 * every activation of a quantized product, so it tests 64 values at a time without branches
 * (their exponent bits all set carry into bit 31; the compiler vectorizes the loop) and looks
 * for the index only in a block that has one: a plain isfinite loop cost 2.3 cycles per value
 * (Zen 3), half the time of a gk_qgemv of 8 Q4_K rows of 4096. */
static inline size_t gk_first_non_finite(const float *x, size_t n)
{
    enum { BLOCK = 64 };

    size_t i = 0;
    for (; i + BLOCK <= n; i += BLOCK) {
        uint32_t carry = 0;
        for (size_t j = 0; j < BLOCK; j++) {
            uint32_t bits;
            memcpy(&bits, x + i + j, sizeof bits);
            carry |= (bits & 0x7F800000u) + 0x00800000u;
        }
        if (carry & 0x80000000u) break;
    }
    for (; i < n; i++)
        if (!isfinite(x[i])) return i;
    return n;
}

/* True if the byte ranges [p, p + p_bytes) and [q, q + q_bytes) share at least one byte. */
static inline bool gk_ranges_overlap(const void *p, size_t p_bytes, const void *q, size_t q_bytes)
{
    const uintptr_t p0 = (uintptr_t)p, q0 = (uintptr_t)q;
    if (p_bytes == 0 || q_bytes == 0) return false;
    return p0 < q0 + q_bytes && q0 < p0 + p_bytes;
}

/* FNV-1a (64-bit) over n bytes: the checksum of the headers of packed weight buffers, which tells
 * a damaged or foreign buffer from a packed one. */
static inline uint64_t gk_fnv1a64(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t x = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++)
        x = (x ^ b[i]) * 0x100000001b3u;
    return x;
}

#endif /* GK_CORE_CHECKED_H */
