/* SPDX-License-Identifier: MIT */
/* CPU detection (once, at first use) and the ISA tiers the dispatch table is built for. */
#ifndef GK_CORE_CPU_H
#define GK_CORE_CPU_H

#include <stdbool.h>
#include <stddef.h>

/* ISA tiers, lowest first. The dispatcher picks the highest one the CPU supports. */
typedef enum gk_isa {
    GK_ISA_SCALAR = 0,
    GK_ISA_AVX2 = 1,   /* AVX2 + FMA + F16C */
    GK_ISA_AVX512 = 2, /* AVX-512 F/BW/DQ/VL (Skylake-SP level) */
    GK_ISA_NEON = 3,   /* AArch64 Advanced SIMD */
    GK_ISA_COUNT
} gk_isa;

typedef enum gk_feature {

#define GK_FEATURE(id, name, arch) GK_FEATURE_##id,
#include "core/features.def"
#undef GK_FEATURE
    GK_FEATURE_COUNT
} gk_feature;

struct gk_cpu {
    bool has[GK_FEATURE_COUNT];
    char model[64];
    size_t cache_bytes[4];     /* [1] L1d, [2] L2, [3] L3 (whole); 0 if unknown */
    unsigned cache_sharing[4]; /* logical CPUs sharing each level; 0 if unknown */
    const char *cache_source;  /* "cpuid", "sysfs" or "none" */
    unsigned n_cpus_affinity;  /* CPUs in the process's affinity mask at start-up */
};

/* Detected once (thread-safe); never NULL. */
const struct gk_cpu *gk_cpu_get(void);

/* True if the CPU (and OS register state) can run `isa`, and this build contains it. */
bool gk_cpu_supports_isa(const struct gk_cpu *cpu, gk_isa isa);

const char *gk_isa_to_name(gk_isa isa);
bool gk_isa_from_name(const char *name, gk_isa *out);

#endif /* GK_CORE_CPU_H */
