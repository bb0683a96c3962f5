/* SPDX-License-Identifier: MIT */
/* Scratch buffers kept between calls, for the multi-megabyte workspaces of the GEMM (packed
 * panels) and of gk_qgemm's many-token path (dequantized weight panels). A fresh allocation of
 * that size is fresh pages, and faulting them in cost about 15% of a 256^3 GEMM and 3% of a
 * qgemm of 128 tokens by 4096 x 4096 Q8_0 weights (Zen 3). */
#ifndef GK_CORE_SCRATCH_H
#define GK_CORE_SCRATCH_H

#include <stddef.h>

/* At least `bytes` of 64-byte aligned memory, or NULL. One of a few cached buffers when one is
 * free (grown if needed, up to GK_SCRATCH_CACHE_MAX), else a fresh allocation: a call may hold
 * two at once (qgemm's panel, then the GEMM's workspace inside it), and other user threads may be
 * inside the library at the same time. */
void *gk_scratch_acquire(size_t bytes);

/* Gives back what gk_scratch_acquire returned (NULL is ignored). */
void gk_scratch_release(void *p);

#endif /* GK_CORE_SCRATCH_H */
