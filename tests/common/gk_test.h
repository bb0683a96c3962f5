/* SPDX-License-Identifier: MIT */
/* The shared test harness: expectations that count failures, fixed-seed random data, array
 * comparison by bits / ULP / relative error with a clear first-mismatch message, guarded buffers
 * that catch out-of-bounds writes, ISA tier selection, and sweep sizes for slow (emulated) runs. */
#ifndef GK_TEST_H
#define GK_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gllmk/gllmk.h"

/* Exit code ctest reports as "skipped" (SKIP_RETURN_CODE). */
#define GK_TEST_SKIP 77

/* ---- expectations ----------------------------------------------------------------------- */

void gk_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define GK_EXPECT(cond, ...)                                        \
    do {                                                            \
        if (!(cond)) gk_test_fail(__FILE__, __LINE__, __VA_ARGS__); \
    } while (0)

/* Expects `call` to return `want`; prints both status names and the error detail if not. */
#define GK_EXPECT_STATUS(call, want)                                                           \
    do {                                                                                       \
        const gk_status gk_got_ = (call);                                                      \
        if (gk_got_ != (want))                                                                 \
            gk_test_fail(__FILE__, __LINE__, "%s returned %s, want %s (detail: %s)", #call,    \
                         gk_status_str(gk_got_), gk_status_str(want), gk_last_error_detail()); \
    } while (0)

/* Number of failed expectations so far. */
int gk_test_failures(void);

/* Prints the summary line and returns the process exit code (0 or 1). */
int gk_test_finish(const char *test_name);

/* ---- ISA tiers -------------------------------------------------------------------------- */

/* If GK_ISA is set, checks that the library runs exactly that tier; exits with GK_TEST_SKIP
 * (visible in ctest as skipped) if this CPU cannot run it, and fails if the library silently
 * picked another tier. Call first in every kernel test. Returns the tier in use. */
const char *gk_test_require_isa(void);

/* Runs body(isa_name, ctx) once under every tier this CPU and build can run, then restores the
 * tier that was active. Returns how many tiers ran. */
int gk_test_for_each_isa(void (*body)(const char *isa, void *ctx), void *ctx);

/* `full` normally; full / 10 (at least 1) when GK_TEST_SWEEP=small, as in the emulated aarch64
 * run. Sweeps shrink; the kinds of checks stay the same. */
size_t gk_test_sweep(size_t full);

/* ---- random data (xoshiro256** seeded by splitmix64: fixed and reproducible) ------------- */

typedef struct gk_rng {
    uint64_t s[4];
} gk_rng;

gk_rng gk_rng_seeded(uint64_t seed);
uint64_t gk_rng_u64(gk_rng *rng);
uint32_t gk_rng_u32(gk_rng *rng);
float gk_rng_uniform(gk_rng *rng, float lo, float hi);

/* Float bit patterns worth testing: +/-0, +/-Inf, quiet and signalling NaNs of both signs with
 * several payloads, the smallest and largest subnormals and normals, FLT_MAX, 1, values near
 * f16/bf16 rounding boundaries. Returns the count written (at most `cap`). */
size_t gk_test_special_floats(float *out, size_t cap);

/* ---- comparisons (each prints the first mismatch: index, got, want) ------------------- */

/* Bitwise equality of n elements of elem_bytes each. */
bool gk_test_same_bits(
    const char *what, const void *got, const void *want, size_t n, size_t elem_bytes);

/* Bitwise equality of n elements of `type`, except that any NaN matches any NaN: which NaN a
 * kernel returns when two meet (x * scale with both NaN) is the compiler's operand order. */
bool gk_test_same_values(
    const char *what, const void *got, const void *want, size_t n, gk_dtype type);

/* |got - want| <= max_ulp units in the last place (NaN matches NaN; 0 matches -0 only if
 * max_ulp >= 1). */
bool gk_test_close_ulp(
    const char *what, const float *got, const float *want, size_t n, uint32_t max_ulp);

/* |got - want| <= max_rel * |want| elementwise against a double-precision oracle. */
bool gk_test_close_rel(
    const char *what, const float *got, const double *want, size_t n, double max_rel);

/* ---- guarded buffers -------------------------------------------------------------------- */

/* `bytes` usable bytes surrounded by guard bytes; the usable bytes start filled with `fill`.
 * The returned pointer is 64-byte aligned plus `misalign` bytes (to test unaligned access). */
void *gk_guarded_alloc(size_t bytes, size_t misalign, unsigned char fill);

/* True if the guards around the buffer are intact (else reports which side was overwritten). */
bool gk_guarded_check(const char *what, const void *ptr);

void gk_guarded_free(void *ptr);

#endif /* GK_TEST_H */
