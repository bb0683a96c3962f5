/* SPDX-License-Identifier: MIT */
/* The shared test harness (see gk_test.h). */
#define _POSIX_C_SOURCE 200809L

#include "gk_test.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int gk_failures;

void gk_test_fail(const char *file, int line, const char *fmt, ...)
{
    gk_failures++;
    if (gk_failures > 50) return; /* the first failures say it all */
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    va_list args;
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputc('\n', stderr);
}

int gk_test_failures(void)
{
    return gk_failures;
}

int gk_test_finish(const char *test_name)
{
    if (gk_failures) {
        fprintf(stderr, "%s [isa %s]: %d failed expectation(s)\n", test_name, gk_isa_name(),
                gk_failures);
        return 1;
    }
    printf("%s [isa %s]: all passed\n", test_name, gk_isa_name());
    return 0;
}

const char *gk_test_require_isa(void)
{
    const char *want = getenv("GK_ISA");
    if (!want || !want[0]) return gk_isa_name();
    const gk_status status = gk_set_isa(want);
    if (status == GK_EUNSUPPORTED) {
        printf("skip: this CPU cannot run the %s tier\n", want);
        exit(GK_TEST_SKIP);
    }
    if (status != GK_OK || strcmp(gk_isa_name(), want) != 0) {
        fprintf(stderr, "FAIL: asked for tier %s, library runs %s (%s)\n", want, gk_isa_name(),
                gk_last_error_detail());
        exit(1);
    }
    return gk_isa_name();
}

int gk_test_for_each_isa(void (*body)(const char *isa, void *ctx), void *ctx)
{
    static const char *const tiers[] = {"scalar", "avx2", "avx512", "neon"};
    char saved[16];
    snprintf(saved, sizeof saved, "%s", gk_isa_name());
    int ran = 0;
    for (size_t i = 0; i < sizeof tiers / sizeof tiers[0]; i++) {
        if (gk_set_isa(tiers[i]) != GK_OK) continue;
        body(tiers[i], ctx);
        ran++;
    }
    GK_EXPECT(gk_set_isa(saved) == GK_OK, "cannot restore tier %s", saved);
    return ran;
}

size_t gk_test_sweep(size_t full)
{
    const char *sweep = getenv("GK_TEST_SWEEP");
    if (sweep && strcmp(sweep, "small") == 0) return full / 10 ? full / 10 : 1;
    return full;
}

/* ---- random ---------------------------------------------------------------------------- */

static uint64_t gk_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

gk_rng gk_rng_seeded(uint64_t seed)
{
    gk_rng rng;
    for (int i = 0; i < 4; i++)
        rng.s[i] = gk_splitmix64(&seed);
    return rng;
}

static uint64_t gk_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t gk_rng_u64(gk_rng *rng)
{
    uint64_t *s = rng->s;
    const uint64_t result = gk_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = gk_rotl(s[3], 45);
    return result;
}

uint32_t gk_rng_u32(gk_rng *rng)
{
    return (uint32_t)(gk_rng_u64(rng) >> 32);
}

float gk_rng_uniform(gk_rng *rng, float lo, float hi)
{
    const float unit = (float)(gk_rng_u64(rng) >> 40) * 0x1.0p-24f; /* [0, 1) */
    return lo + (hi - lo) * unit;
}

static float gk_float_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

size_t gk_test_special_floats(float *out, size_t cap)
{
    static const uint32_t patterns[] = {
        0x00000000, 0x80000000,                         /* +/-0 */
        0x7F800000, 0xFF800000,                         /* +/-Inf */
        0x7FC00000, 0xFFC00000, 0x7FC12345, 0xFFFFFFFF, /* quiet NaNs */
        0x7F800001, 0xFF800001, 0x7FA00000, 0x7FBFFFFF, /* signalling NaNs */
        0x7F802000, 0x7F801FFF,                         /* NaN payloads below f16/bf16 precision */
        0x00000001, 0x80000001, 0x007FFFFF, 0x00400000, /* f32 subnormals */
        0x00800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x3F800000, /* min normal, +/-FLT_MAX, 1 */
        0x7F7F8000, 0x7F7F7FFF, 0x7F7FC000,             /* bf16 rounding near FLT_MAX */
        0x477FE000, 0x477FEFFF, 0x477FF000, 0x477FF001, /* f16: 65504, below/at/above 65520 */
        0x47800000, 0xC77FF000,                         /* 65536, -65520 */
        0x38800000, 0x387FFFFF, 0x387FE000, 0x387FF000, /* f16 min normal and just below */
        0x33800000, 0x33800001, 0x337FFFFF, 0x33000000, /* 2^-24, around it, 2^-25 (tie) */
        0x33000001, 0x32FFFFFF, 0x33C00000, 0x34200000, /* around 2^-25; 1.5 and 2.5 x 2^-24 */
        0x3F801000, 0x3F803000, 0x3F800FFF, 0x3F801001, /* f16 ties (even/odd) and neighbours */
        0x3F808000, 0x3F818000, 0x3F807FFF, 0x3F808001, /* bf16 ties (even/odd) and neighbours */
        0x00008000, 0x00018000, 0x80008000, 0x00007FFF, /* bf16 ties among f32 subnormals */
    };
    size_t count = 0;
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0] && count < cap; i++)
        out[count++] = gk_float_from_bits(patterns[i]);
    return count;
}

/* ---- comparisons ----------------------------------------------------------------------- */

static uint32_t gk_bits_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

bool gk_test_same_bits(
    const char *what, const void *got, const void *want, size_t n, size_t elem_bytes)
{
    const unsigned char *g = got, *w = want;
    for (size_t i = 0; i < n; i++) {
        if (memcmp(g + i * elem_bytes, w + i * elem_bytes, elem_bytes) == 0) continue;
        uint64_t gv = 0, wv = 0;
        memcpy(&gv, g + i * elem_bytes, elem_bytes < 8 ? elem_bytes : 8);
        memcpy(&wv, w + i * elem_bytes, elem_bytes < 8 ? elem_bytes : 8);
        gk_test_fail(__FILE__, __LINE__, "%s: element %zu of %zu: got bits 0x%llx, want 0x%llx",
                     what, i, n, (unsigned long long)gv, (unsigned long long)wv);
        return false;
    }
    return true;
}

static bool gk_is_nan_of(const unsigned char *p, gk_dtype type)
{
    if (type == GK_DTYPE_F32) {
        uint32_t u;
        memcpy(&u, p, sizeof u);
        return (u & 0x7FFFFFFFu) > 0x7F800000u;
    }
    uint16_t h;
    memcpy(&h, p, sizeof h);
    return type == GK_DTYPE_F16 ? (h & 0x7FFFu) > 0x7C00u : (h & 0x7FFFu) > 0x7F80u;
}

bool gk_test_same_values(
    const char *what, const void *got, const void *want, size_t n, gk_dtype type)
{
    const size_t elem_bytes = type == GK_DTYPE_F32 ? 4 : 2;
    const unsigned char *g = got, *w = want;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *gi = g + i * elem_bytes, *wi = w + i * elem_bytes;
        if (memcmp(gi, wi, elem_bytes) == 0) continue;
        if (gk_is_nan_of(gi, type) && gk_is_nan_of(wi, type)) continue;
        uint32_t gv = 0, wv = 0;
        memcpy(&gv, gi, elem_bytes);
        memcpy(&wv, wi, elem_bytes);
        gk_test_fail(__FILE__, __LINE__, "%s: element %zu of %zu: got bits 0x%x, want 0x%x", what,
                     i, n, (unsigned)gv, (unsigned)wv);
        return false;
    }
    return true;
}

/* Distance in representable floats, with -0 and +0 one apart. */
static uint64_t gk_ulp_distance(float a, float b)
{
    const uint32_t ua = gk_bits_of(a), ub = gk_bits_of(b);
    const int64_t ia = (ua & 0x80000000u) ? -(int64_t)(ua & 0x7FFFFFFFu) - 1 : (int64_t)ua;
    const int64_t ib = (ub & 0x80000000u) ? -(int64_t)(ub & 0x7FFFFFFFu) - 1 : (int64_t)ub;
    return ia > ib ? (uint64_t)(ia - ib) : (uint64_t)(ib - ia);
}

bool gk_test_close_ulp(
    const char *what, const float *got, const float *want, size_t n, uint32_t max_ulp)
{
    for (size_t i = 0; i < n; i++) {
        if (isnan(got[i]) && isnan(want[i])) continue;
        if (!isnan(got[i]) && !isnan(want[i]) && gk_ulp_distance(got[i], want[i]) <= max_ulp)
            continue;
        gk_test_fail(__FILE__, __LINE__, "%s: element %zu of %zu: got %a, want %a (> %u ulp)", what,
                     i, n, (double)got[i], (double)want[i], max_ulp);
        return false;
    }
    return true;
}

bool gk_test_close_rel(
    const char *what, const float *got, const double *want, size_t n, double max_rel)
{
    for (size_t i = 0; i < n; i++) {
        if (isnan(got[i]) && isnan(want[i])) continue;
        const double err = fabs((double)got[i] - want[i]);
        if (err <= max_rel * fabs(want[i])) continue;
        gk_test_fail(__FILE__, __LINE__,
                     "%s: element %zu of %zu: got %.9g, want %.17g (rel %.3g > %.3g)", what, i, n,
                     (double)got[i], want[i], err / fabs(want[i]), max_rel);
        return false;
    }
    return true;
}

/* ---- guarded buffers ------------------------------------------------------------------- */

enum { GK_GUARD_BYTES = 256, GK_GUARD_BYTE = 0xA5, GK_GUARD_HEADER = 64 };

/* Layout from a 64-byte aligned base: [misalign bytes][header][front guard][user][back guard].
 * The header is always GK_GUARD_HEADER + GK_GUARD_BYTES bytes before the user pointer. */
struct gk_guard_header {
    unsigned char *base;
    size_t bytes;
};

void *gk_guarded_alloc(size_t bytes, size_t misalign, unsigned char fill)
{
    unsigned char *base = NULL;
    const size_t total = misalign + GK_GUARD_HEADER + 2 * GK_GUARD_BYTES + bytes;
    if (posix_memalign((void **)&base, 64, total) != 0) return NULL;
    unsigned char *user = base + misalign + GK_GUARD_HEADER + GK_GUARD_BYTES;
    const struct gk_guard_header h = {base, bytes};
    memcpy(user - GK_GUARD_BYTES - GK_GUARD_HEADER, &h, sizeof h);
    memset(user - GK_GUARD_BYTES, GK_GUARD_BYTE, GK_GUARD_BYTES);
    memset(user, fill, bytes);
    memset(user + bytes, GK_GUARD_BYTE, GK_GUARD_BYTES);
    return user;
}

static struct gk_guard_header gk_guard_header_of(const void *ptr)
{
    struct gk_guard_header h;
    memcpy(&h, (const unsigned char *)ptr - GK_GUARD_BYTES - GK_GUARD_HEADER, sizeof h);
    return h;
}

bool gk_guarded_check(const char *what, const void *ptr)
{
    const struct gk_guard_header h = gk_guard_header_of(ptr);
    const unsigned char *user = ptr;
    for (size_t i = 1; i <= GK_GUARD_BYTES; i++) {
        if (user[-(ptrdiff_t)i] != GK_GUARD_BYTE) {
            gk_test_fail(__FILE__, __LINE__, "%s: write %zu byte(s) before the buffer", what, i);
            return false;
        }
    }
    for (size_t i = 0; i < GK_GUARD_BYTES; i++) {
        if (user[h.bytes + i] != GK_GUARD_BYTE) {
            gk_test_fail(__FILE__, __LINE__, "%s: write %zu byte(s) past the end of the buffer",
                         what, i + 1);
            return false;
        }
    }
    return true;
}

void gk_guarded_free(void *ptr)
{
    if (ptr) free(gk_guard_header_of(ptr).base);
}
