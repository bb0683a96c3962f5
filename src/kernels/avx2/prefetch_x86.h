/* SPDX-License-Identifier: MIT */
/* Software prefetch of a run of cache lines, for the x86 kernels that stream weights. */
#ifndef GK_KERNELS_AVX2_PREFETCH_X86_H
#define GK_KERNELS_AVX2_PREFETCH_X86_H

#include <stddef.h>

/* prefetcht0 of every 64-byte line of [p, p + bytes). Volatile asm, not _mm_prefetch: GCC 12
 * deleted such loops of prefetches as dead code once a kernel was inlined with `bytes` a constant
 * (the packed Q4_K / Q5_K kernels, which then ran 0.65-0.85x from DRAM; the four-token Q8_0 kernel
 * when it became one of three instances of a shared body: 0.95x). */
static inline void gk_prefetch_lines(const void *p, size_t bytes)
{
    for (size_t line = 0; line < bytes; line += 64)
        __asm__ volatile("prefetcht0 %0" : : "m"(*((const char *)p + line)));
}

#endif /* GK_KERNELS_AVX2_PREFETCH_X86_H */
