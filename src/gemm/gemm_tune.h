/* SPDX-License-Identifier: MIT */
/* Internal: block-size override for gk-bench's tuning sweep (`gk-bench gemm-tune`). Not for
 * library users (GK_GEMM_MC/KC/NC are their knob); not thread-safe: call it only while no GEMM
 * runs. */
#ifndef GK_GEMM_TUNE_H
#define GK_GEMM_TUNE_H

#include <stddef.h>

/* Packed-path block sizes for later calls; 0 keeps the dispatch table's value for that size.
 * MC is rounded down to a multiple of MR and NC to a multiple of NR (at least one tile). */
void gk_gemm_tune_blocking(size_t mc, size_t kc, size_t nc);

#endif /* GK_GEMM_TUNE_H */
