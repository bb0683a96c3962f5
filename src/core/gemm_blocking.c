/* SPDX-License-Identifier: MIT */
/* GEMM block sizes from the detected caches and the microkernel's tile, with the GK_GEMM_MC/KC/NC
 * environment overrides, and the consistency check of a tier's GEMM section. */
#include <stdlib.h>

#include "core/cpu.h"
#include "core/gemm_kernels.h"

enum {
    /* Used when CPUID/sysfs say nothing: a small common core. */
    GK_GEMM_FALLBACK_L1 = 32 << 10,
    GK_GEMM_FALLBACK_L2 = 256 << 10,
    GK_GEMM_FALLBACK_L3 = 2 << 20,
    GK_GEMM_KC_MIN = 64,
    GK_GEMM_KC_MAX = 512,
    GK_GEMM_MC_MAX = 1024,
    /* gk-bench gemm-tune on a 2-vCPU Zen 3 VM (AVX2 6x16, KC 256): NC 1024 beat 2048 and 4096 by
     * 1-3% in geometric mean over 1024^3 and 128x4096x4096 (two runs); a smaller B block is less
     * exposed to the other tenants of a shared L3. */
    GK_GEMM_NC_MAX = 1024,
    GK_GEMM_ENV_MAX = 1 << 20,
};

static size_t gk_clamp(size_t x, size_t lo, size_t hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static size_t gk_round_down(size_t x, size_t multiple)
{
    const size_t r = x / multiple * multiple;
    return r ? r : multiple;
}

/* A positive integer from the environment, or 0 if unset or not a number in range. */
static size_t gk_env_size(const char *name)
{
    const char *v = getenv(name);
    if (!v || !v[0]) return 0;
    char *end = NULL;
    const unsigned long x = strtoul(v, &end, 10);
    return (*end == '\0' && x > 0 && x <= GK_GEMM_ENV_MAX) ? (size_t)x : 0;
}

void gk_gemm_blocking_fill(struct gk_gemm_kernels *g, const struct gk_cpu *cpu)
{
    const size_t elem = sizeof(float);
    const size_t l1 = cpu->cache_bytes[1] ? cpu->cache_bytes[1] : GK_GEMM_FALLBACK_L1;
    const size_t l2 = cpu->cache_bytes[2] ? cpu->cache_bytes[2] : GK_GEMM_FALLBACK_L2;
    size_t l3 = cpu->cache_bytes[3] ? cpu->cache_bytes[3] : GK_GEMM_FALLBACK_L3;
    /* CPUID reports the whole L3 (in a VM, the host's); count the share of one core, at most. */
    if (cpu->cache_sharing[3] > 1) l3 /= cpu->cache_sharing[3];
    /* KC: the k x NR panel of B stays in half of L1 while the microkernel sweeps the MC rows; the
     * other half holds the MR x KC panel of A and the C tile. Multiples of 16 keep the unrolled
     * k loop without a remainder. */
    g->kc = gk_clamp(l1 / 2 / (g->nr * elem) / 16 * 16, GK_GEMM_KC_MIN, GK_GEMM_KC_MAX);
    /* MC: the MC x KC block of A fills half of L2 (B panels and C tiles stream through the rest).
     */
    g->mc = gk_round_down(gk_clamp(l2 / 2 / (g->kc * elem), g->mr, GK_GEMM_MC_MAX), g->mr);
    /* NC: the KC x NC block of B fits in half of this core's L3 share, at most GK_GEMM_NC_MAX. */
    g->nc = gk_round_down(gk_clamp(l3 / 2 / (g->kc * elem), g->nr, GK_GEMM_NC_MAX), g->nr);

    size_t v;
    if ((v = gk_env_size("GK_GEMM_KC")) != 0) g->kc = v;
    if ((v = gk_env_size("GK_GEMM_MC")) != 0) g->mc = gk_round_down(v, g->mr);
    if ((v = gk_env_size("GK_GEMM_NC")) != 0) g->nc = gk_round_down(v, g->nr);
}

bool gk_gemm_kernels_check(const struct gk_gemm_kernels *g)
{
    return g->ukr && g->ukr_name && g->pack && g->pack_name && g->small && g->small_name &&
           g->small_packed && g->edge && g->mr >= 1 && g->mr <= GK_GEMM_MAX_MR && g->nr >= 1 &&
           g->nr <= GK_GEMM_MAX_NR && g->kc >= 1 && g->mc >= g->mr && g->mc % g->mr == 0 &&
           g->nc >= g->nr && g->nc % g->nr == 0 && g->split_below < g->mr &&
           (g->split_below == 0 || (g->mr + g->split_below) / 2 <= GK_GEMM_EDGE_ROWS);
}
