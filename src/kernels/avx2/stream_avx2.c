/* SPDX-License-Identifier: MIT */
/* stream_copy for x86 with AVX2 (the AVX-512 tier keeps it: the memory system, not the store
 * width, sets the pace of a DRAM-bound copy). */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "kernels/avx2/vec_avx2.h"

#include "kernels/kernel_decls.h"

/* Non-temporal stores need 32-byte aligned destinations: the unaligned head and the tail are
 * plain copies. Whole 64-byte lines per step, so the write-combining buffers fill whole lines. */
void gk_stream_copy_avx2(void *dst, const void *src, size_t bytes)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    size_t head = (32 - (uintptr_t)d % 32) % 32;
    if (head > bytes) head = bytes;
    memcpy(d, s, head);
    d += head;
    s += head;
    bytes -= head;
    for (; bytes >= 64; bytes -= 64, d += 64, s += 64) {
        const __m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)s);
        const __m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(s + 32));
        _mm256_stream_si256((__m256i *)(void *)d, v0);
        _mm256_stream_si256((__m256i *)(void *)(d + 32), v1);
    }
    if (bytes >= 32) {
        _mm256_stream_si256((__m256i *)(void *)d,
                            _mm256_loadu_si256((const __m256i *)(const void *)s));
        d += 32;
        s += 32;
        bytes -= 32;
    }
    memcpy(d, s, bytes);
}
