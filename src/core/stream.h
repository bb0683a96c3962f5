/* SPDX-License-Identifier: MIT */
/* Streaming outputs: an output too large to stay in cache is written with non-temporal stores.
 *
 * An ordinary store to a line that is not in cache first reads the line from DRAM (write
 * allocate), so an element-wise op over DRAM-sized arrays moves its output twice, and the
 * output evicts everything else on its way through the caches. A non-temporal store skips both.
 * It is only worth it when the consumer could not find the output in cache anyway, so the entry
 * points stream only outputs of at least gk_stream_min_bytes(): by default the size of the
 * last-level cache (CPUID; 32 MiB when unknown), or GK_STREAM_MIN_BYTES from the environment
 * (read once).
 *
 * How: the element-wise kernels (CVT, BINARY, UNARY) store whole vectors with vf_stream_<t> while
 * gk_stream_stores is set (src/kernels/generic/stream.inc); the row-wise kernels (norms, softmax)
 * stream their rows themselves; the f32 dequantizers write a chunk of their output into a buffer
 * on the stack (in L1), and the tier's stream_copy kernel (core/kernels.h) moves it to its
 * destination with non-temporal stores; f16 and bf16 dequantization streams through the
 * conversion kernels. The bits are the same either way. Every part function that streamed ends
 * with gk_stream_fence(), before the pool reports the part done, because non-temporal stores are
 * weakly ordered on x86. */
#ifndef GK_CORE_STREAM_H
#define GK_CORE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gllmk/types.h"

#if defined(__x86_64__)
#    include <xmmintrin.h>
#endif

/* How the output of each element-wise op family (BINARY, UNARY) leaves when it streams.
 * GK_STREAM_BY_KERNEL: the kernel's own non-temporal stores, which pay only in loops that write
 * about as fast as DRAM takes the data (Zen 3, 1 thread, 64 MiB arrays: relu and vec_add 15-35%
 * faster; silu bf16 1.3 G elements/s against 2.0 with plain stores, exp bf16 1.7 against 2.4,
 * gelu f32 0.9 against 1.2: slower loops leave part-filled lines in the write-combining buffers).
 * GK_STREAM_STAGED: f32 outputs are written by the kernel in 512 B - 1 KiB chunks to a buffer in
 * L1, and stream_copy moves them out in whole lines (src/ops/entry.c); 16-bit ones get plain
 * stores. For the transcendental loops fast enough that the write-allocate reads of plain stores
 * slow them: Zen 3, 64 MiB arrays, inputs uniform in [-5, 5], alternating builds, exp f32
 * +26-37% at 2 threads and +7-10% at 1, silu f32 +19-25% at 2 threads and even at 1; exp and
 * silu bf16 lost 4-8% (half the bytes per element: the copy costs more than it saves).
 * Only x86 stages: elsewhere stream_copy is a plain copy, which would only add work.
 * GK_STREAM_NONE: plain stores, for the loops too slow for DRAM to matter (staged, tanh f32 lost
 * 4-8%, swiglu f32 was even). */
enum gk_stream_way {
    GK_STREAM_NONE,
    GK_STREAM_BY_KERNEL,
#if defined(__x86_64__)
    GK_STREAM_STAGED,
#else
    GK_STREAM_STAGED = GK_STREAM_NONE,
#endif
    gk_family_stream_relu = GK_STREAM_BY_KERNEL,
    gk_family_stream_vec_add = GK_STREAM_BY_KERNEL,
    gk_family_stream_vec_sub = GK_STREAM_BY_KERNEL,
    gk_family_stream_vec_mul = GK_STREAM_BY_KERNEL,
    gk_family_stream_exp = GK_STREAM_STAGED,
    gk_family_stream_silu = GK_STREAM_STAGED,
    gk_family_stream_swiglu = GK_STREAM_NONE,
    gk_family_stream_tanh = GK_STREAM_NONE,
    gk_family_stream_gelu = GK_STREAM_NONE,
    gk_family_stream_gelu_erf = GK_STREAM_NONE,
};

/* The smallest output, in bytes, that the entry points stream. */
size_t gk_stream_min_bytes(void);

/* Sets that threshold (tests force streaming with 1 and turn it off with SIZE_MAX); 0 restores
 * the default. Not thread-safe against running calls: set it between calls. */
void gk_stream_set_min_bytes(size_t bytes);

/* Set by an entry point around an element-wise kernel call whose output streams, false otherwise
 * (only streaming calls touch it: in a shared library each access to a thread-local costs a call).
 * A thread-local rather than a parameter: the kernel signatures are shared with the scalar
 * references that the JIT reads (src/scalar_ops), which have no use for it. */
extern _Thread_local bool gk_stream_stores;

/* The elements before p reaches the alignment of a whole-vector store of vec_bytes, or SIZE_MAX
 * if it never does (p not aligned to its element size `elem`). */
static inline size_t gk_stream_head(const void *p, size_t elem, size_t vec_bytes)
{
    const size_t off = (uintptr_t)p % vec_bytes;
    return off % elem ? SIZE_MAX : (vec_bytes - off) % vec_bytes / elem;
}

/* True when an output of `bytes` goes through the streaming path. */
static inline bool gk_stream_output(size_t bytes)
{
    return bytes >= gk_stream_min_bytes();
}

/* Chunks that go through stream_copy. The dequantizers write 1 KiB at a time, so that the reads
 * of one chunk and the stores of the last overlap (Zen 3, over 64 MiB: 16 KiB chunks gained
 * nothing, 1 KiB chunks 25-50%). The row-wise ops stream from their kernels. */
enum { GK_STREAM_CHUNK_BYTES = 1 << 10 };

/* Orders this thread's non-temporal stores before its later stores (the pool's completion flag). */
static inline void gk_stream_fence(void)
{
#if defined(__x86_64__)
    _mm_sfence();
#endif
}

#endif /* GK_CORE_STREAM_H */
