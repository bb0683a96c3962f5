/* SPDX-License-Identifier: MIT */
/* gllm-kernels: run-time services — version, errors, CPU features, ISA selection, threads, memory.
 */
#ifndef GLLMK_RUNTIME_H
#define GLLMK_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- version ---------------------------------------------------------------------------- */

/* The library's version as "MAJOR.MINOR.PATCH" (may differ from GK_VERSION_STRING when a program
 * runs against a newer shared library than it was compiled with). */
GK_API const char *gk_version(void);

/* ---- errors ----------------------------------------------------------------------------- */

/* A fixed, human-readable string for a status ("GK_EINVAL: invalid argument"). Never NULL. */
GK_API const char *gk_status_str(gk_status status);

/* The detail of the last failed call on this thread, naming the function and the failed check
 * ("gk_cvt_f32_to_f16: src is NULL"). Empty string if no call has failed on this thread. The
 * pointer stays valid until the next library call on this thread. */
GK_API const char *gk_last_error_detail(void);

/* ---- initialisation and ISA selection ------------------------------------------------- */

/* Detects the CPU and fills the dispatch tables. Optional: every public call does it on first use.
 * Thread-safe and idempotent. Reads GK_ISA (scalar|avx2|avx512|neon) to cap the ISA level and
 * GK_VERBOSE=1 to print the detected features and chosen kernels to stderr once.
 * Returns GK_OK (an unknown GK_ISA value is ignored, and says so in the verbose log). */
GK_API gk_status gk_init(void);

/* The ISA level in use: "scalar", "avx2", "avx512" or "neon". */
GK_API const char *gk_isa_name(void);

/* Caps the ISA level at `name` ("scalar", "avx2", "avx512", "neon"). Takes effect for calls that
 * start after it returns; do not call it while other threads are inside the library.
 * GK_EINVAL: name is NULL or not a level name. GK_EUNSUPPORTED: this CPU (or this build) cannot
 * run that level; the level in use is then unchanged. */
GK_API gk_status gk_set_isa(const char *name);

/* ---- CPU information -------------------------------------------------------------------- */

/* The CPU model string (x86: the CPUID brand string; aarch64: from /proc/cpuinfo or "aarch64"). */
GK_API const char *gk_cpu_model(void);

/* Features the library knows how to detect, by index 0..gk_cpu_feature_count()-1. Names are the
 * lower-case Linux /proc/cpuinfo spellings where one exists ("avx512f", "f16c", "asimddp"). */
GK_API size_t gk_cpu_feature_count(void);
GK_API const char *gk_cpu_feature_name(size_t index); /* NULL if index is out of range */

/* True if the CPU (and the OS, for register state) supports the named feature. */
GK_API bool gk_cpu_has_feature(const char *name);

/* Data cache size in bytes at `level` 1 (L1d), 2 or 3 as seen by one core; 0 if unknown.
 * L3 is the whole shared cache; gk_cpu_cache_sharing(3) tells how many logical CPUs share it. */
GK_API size_t gk_cpu_cache_bytes(int level);
GK_API unsigned gk_cpu_cache_sharing(int level); /* 0 if unknown */

/* ---- dispatch introspection ------------------------------------------------------------- */

/* Ops in the dispatch table, by index 0..gk_op_count()-1 ("cvt_f32_to_f16", ...). */
GK_API size_t gk_op_count(void);
GK_API const char *gk_op_name(size_t index); /* NULL if index is out of range */

/* Name of the kernel the active ISA level dispatches `op` to ("gk_cvt_f32_to_f16_avx2"), or NULL
 * if `op` is not an op name. */
GK_API const char *gk_kernel_name(const char *op);

/* ---- threads -------------------------------------------------------------------------- */

/* Number of threads large calls are split over (the calling thread included). 0 restores the
 * default: the number of CPUs in the process's affinity mask at start-up. Results are bitwise
 * identical for every thread count. GK_EINVAL: n < 0 or n > 1024. GK_ENOMEM: threads could not be
 * created (the setting is then unchanged). Do not call it while other threads are inside the
 * library. */
GK_API gk_status gk_set_num_threads(int n);
GK_API int gk_get_num_threads(void);

/* ---- memory --------------------------------------------------------------------------- */

/* Allocates `bytes` bytes aligned to `alignment` (a power of two, at least sizeof(void *);
 * 0 means the default of 64). Returns NULL if bytes is 0, the alignment is invalid, or memory is
 * exhausted. Free with gk_aligned_free. */
GK_API void *gk_aligned_alloc(size_t bytes, size_t alignment);
GK_API void gk_aligned_free(void *ptr); /* NULL is a no-op */

#ifdef __cplusplus
}
#endif

#endif /* GLLMK_RUNTIME_H */
