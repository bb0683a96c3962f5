/* SPDX-License-Identifier: MIT */
/* Overflow-checked size arithmetic and overlap tests for validating user input. */
#ifndef GK_CORE_CHECKED_H
#define GK_CORE_CHECKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* True if the byte ranges [p, p + p_bytes) and [q, q + q_bytes) share at least one byte. */
static inline bool gk_ranges_overlap(const void *p, size_t p_bytes, const void *q, size_t q_bytes)
{
    const uintptr_t p0 = (uintptr_t)p, q0 = (uintptr_t)q;
    if (p_bytes == 0 || q_bytes == 0) return false;
    return p0 < q0 + q_bytes && q0 < p0 + p_bytes;
}

#endif /* GK_CORE_CHECKED_H */
