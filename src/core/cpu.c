/* SPDX-License-Identifier: MIT */
/* CPU detection: features (x86 CPUID + XGETBV, aarch64 HWCAP), model string, cache sizes (CPUID
 * cache leaves, falling back to sysfs) and the process's CPU count. Runs once. */
#define _GNU_SOURCE

#include "core/cpu.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gllmk/runtime.h"

#if defined(__x86_64__)
#    include <cpuid.h>
#elif defined(__aarch64__)
#    include <sys/auxv.h>
#endif

static struct gk_cpu gk_cpu_state;
static pthread_once_t gk_cpu_once = PTHREAD_ONCE_INIT;

/* ---- sysfs cache fallback (also the only source on aarch64) ------------------------------- */

static size_t gk_read_sysfs_size(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    unsigned long value = 0;
    char unit = 0;
    const int got = fscanf(f, "%lu%c", &value, &unit);
    fclose(f);
    if (got < 1) return 0;
    if (unit == 'K') return (size_t)value << 10;
    if (unit == 'M') return (size_t)value << 20;
    return (size_t)value;
}

static unsigned gk_count_cpu_list(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    unsigned count = 0, lo = 0, hi = 0;
    int c;
    do {
        if (fscanf(f, "%u", &lo) != 1) break;
        hi = lo;
        c = fgetc(f);
        if (c == '-') {
            if (fscanf(f, "%u", &hi) != 1) break;
            c = fgetc(f);
        }
        if (hi >= lo) count += hi - lo + 1;
    } while (c == ',');
    fclose(f);
    return count;
}

static void gk_detect_caches_sysfs(struct gk_cpu *cpu)
{
    for (int index = 0; index < 8; index++) {
        char path[128], type[32] = "";
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", index);
        const size_t level = gk_read_sysfs_size(path);
        if (level < 1 || level > 3) continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", index);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        const int got = fscanf(f, "%31s", type);
        fclose(f);
        if (got != 1 || strcmp(type, "Instruction") == 0) continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
        const size_t bytes = gk_read_sysfs_size(path);
        if (bytes == 0) continue;
        cpu->cache_bytes[level] = bytes;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/shared_cpu_list",
                 index);
        cpu->cache_sharing[level] = gk_count_cpu_list(path);
        cpu->cache_source = "sysfs";
    }
}

/* ---- x86-64 ------------------------------------------------------------------------------- */

#if defined(__x86_64__)

static uint64_t gk_xgetbv0(void)
{
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

static bool gk_bit(uint32_t reg, int bit)
{
    return (reg >> bit) & 1u;
}

/* Deterministic cache parameters: Intel leaf 4 and AMD leaf 0x8000001D share one format
 * (Intel SDM vol. 2A "CPUID—Deterministic Cache Parameters Leaf"; AMD APM vol. 3, E.4.15). */
static bool gk_detect_caches_cpuid(struct gk_cpu *cpu, unsigned leaf)
{
    bool found = false;
    for (unsigned sub = 0; sub < 16; sub++) {
        unsigned eax, ebx, ecx, edx;
        if (!__get_cpuid_count(leaf, sub, &eax, &ebx, &ecx, &edx)) break;
        const unsigned type = eax & 0x1F; /* 0 none, 1 data, 2 instruction, 3 unified */
        if (type == 0) break;
        if (type == 2) continue;
        const unsigned level = (eax >> 5) & 0x7;
        if (level < 1 || level > 3) continue;
        const size_t ways = ((ebx >> 22) & 0x3FF) + 1, partitions = ((ebx >> 12) & 0x3FF) + 1;
        const size_t line = (ebx & 0xFFF) + 1, sets = (size_t)ecx + 1;
        cpu->cache_bytes[level] = ways * partitions * line * sets;
        cpu->cache_sharing[level] = ((eax >> 14) & 0xFFF) + 1;
        found = true;
    }
    if (found) cpu->cache_source = "cpuid";
    return found;
}

static void gk_detect_x86(struct gk_cpu *cpu)
{
    unsigned eax, ebx, ecx, edx;
    unsigned max_leaf = __get_cpuid_max(0, NULL);
    unsigned max_ext = __get_cpuid_max(0x80000000u, NULL);
    char vendor[13] = "";
    if (__get_cpuid(0, &eax, &ebx, &ecx, &edx)) {
        memcpy(vendor, &ebx, 4);
        memcpy(vendor + 4, &edx, 4);
        memcpy(vendor + 8, &ecx, 4);
    }
    uint32_t l1_ecx = 0, l7_ebx = 0, l7_ecx = 0, l7_edx = 0, l71_eax = 0;
    if (max_leaf >= 1 && __get_cpuid(1, &eax, &ebx, &ecx, &edx)) l1_ecx = ecx;
    if (max_leaf >= 7 && __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
        l7_ebx = ebx;
        l7_ecx = ecx;
        l7_edx = edx;
        if (eax >= 1 && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) l71_eax = eax;
    }
    /* The OS must save the register state: XCR0 bits 1-2 (XMM, YMM) for AVX, bits 5-7 (opmask,
     * upper ZMM halves, ZMM16-31) for AVX-512, bits 17-18 (tile config and data) for AMX. */
    const uint64_t xcr0 = gk_bit(l1_ecx, 27) ? gk_xgetbv0() : 0; /* 27: OSXSAVE */
    const bool os_ymm = (xcr0 & 0x6) == 0x6;
    const bool os_zmm = os_ymm && (xcr0 & 0xE0) == 0xE0;
    const bool os_amx = (xcr0 & 0x60000) == 0x60000;

    bool *has = cpu->has;
    has[GK_FEATURE_SSE4_2] = gk_bit(l1_ecx, 20);
    has[GK_FEATURE_AVX] = os_ymm && gk_bit(l1_ecx, 28);
    has[GK_FEATURE_FMA] = os_ymm && gk_bit(l1_ecx, 12);
    has[GK_FEATURE_F16C] = os_ymm && gk_bit(l1_ecx, 29);
    has[GK_FEATURE_AVX2] = os_ymm && gk_bit(l7_ebx, 5);
    has[GK_FEATURE_AVX512F] = os_zmm && gk_bit(l7_ebx, 16);
    has[GK_FEATURE_AVX512DQ] = os_zmm && gk_bit(l7_ebx, 17);
    has[GK_FEATURE_AVX512BW] = os_zmm && gk_bit(l7_ebx, 30);
    has[GK_FEATURE_AVX512VL] = os_zmm && gk_bit(l7_ebx, 31);
    has[GK_FEATURE_AVX512_VBMI] = os_zmm && gk_bit(l7_ecx, 1);
    has[GK_FEATURE_AVX512_VNNI] = os_zmm && gk_bit(l7_ecx, 11);
    has[GK_FEATURE_AVX512_FP16] = os_zmm && gk_bit(l7_edx, 23);
    has[GK_FEATURE_AVX512_BF16] = os_zmm && gk_bit(l71_eax, 5);
    has[GK_FEATURE_AVX_VNNI] = os_ymm && gk_bit(l71_eax, 4);
    has[GK_FEATURE_AMX_BF16] = os_amx && gk_bit(l7_edx, 22);
    has[GK_FEATURE_AMX_TILE] = os_amx && gk_bit(l7_edx, 24);
    has[GK_FEATURE_AMX_INT8] = os_amx && gk_bit(l7_edx, 25);

    if (max_ext >= 0x80000004u) {
        unsigned regs[12];
        for (unsigned i = 0; i < 3; i++)
            __get_cpuid(0x80000002u + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2],
                        &regs[4 * i + 3]);
        memcpy(cpu->model, regs, 48);
        cpu->model[48] = '\0';
    }

    const bool amd = strcmp(vendor, "AuthenticAMD") == 0 || strcmp(vendor, "HygonGenuine") == 0;
    bool topoext = false;
    if (max_ext >= 0x80000001u && __get_cpuid(0x80000001u, &eax, &ebx, &ecx, &edx))
        topoext = gk_bit(ecx, 22);
    bool found = false;
    if (amd && topoext && max_ext >= 0x8000001Du) found = gk_detect_caches_cpuid(cpu, 0x8000001Du);
    if (!found && !amd && max_leaf >= 4) found = gk_detect_caches_cpuid(cpu, 4);
    if (!found) gk_detect_caches_sysfs(cpu);
}

#elif defined(__aarch64__)

/* Linux HWCAP bits (arch/arm64/include/uapi/asm/hwcap.h). */
enum {
    GK_HWCAP_FPHP = 1 << 9,
    GK_HWCAP_ASIMD = 1 << 1,
    GK_HWCAP_ASIMDHP = 1 << 10,
    GK_HWCAP_ASIMDDP = 1 << 20,
    GK_HWCAP_SVE = 1 << 22,
    GK_HWCAP2_I8MM = 1 << 13,
    GK_HWCAP2_BF16 = 1 << 14,
};

static void gk_detect_arm(struct gk_cpu *cpu)
{
    const unsigned long hwcap = getauxval(AT_HWCAP), hwcap2 = getauxval(AT_HWCAP2);
    cpu->has[GK_FEATURE_ASIMD] = hwcap & GK_HWCAP_ASIMD;
    cpu->has[GK_FEATURE_FPHP] = hwcap & GK_HWCAP_FPHP;
    cpu->has[GK_FEATURE_ASIMDHP] = hwcap & GK_HWCAP_ASIMDHP;
    cpu->has[GK_FEATURE_ASIMDDP] = hwcap & GK_HWCAP_ASIMDDP;
    cpu->has[GK_FEATURE_SVE] = hwcap & GK_HWCAP_SVE;
    cpu->has[GK_FEATURE_I8MM] = hwcap2 & GK_HWCAP2_I8MM;
    cpu->has[GK_FEATURE_BF16] = hwcap2 & GK_HWCAP2_BF16;

    unsigned implementer = 0, part = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f)) {
            if (!implementer) sscanf(line, "CPU implementer : %x", &implementer);
            if (!part) sscanf(line, "CPU part : %x", &part);
        }
        fclose(f);
    }
    if (implementer || part)
        snprintf(cpu->model, sizeof cpu->model, "aarch64 (implementer 0x%02x, part 0x%03x)",
                 implementer, part);
    gk_detect_caches_sysfs(cpu);
}

#endif

/* GK_CPU_DISABLE=<feature>[,<feature>...] (names as gk_cpu_feature_name spells them, e.g.
 * asimddp): the library treats the CPU as lacking these features, so that tests and users can get
 * the kernels a CPU without them would run. Unknown names are ignored. */
static void gk_apply_disable_env(struct gk_cpu *cpu)
{
    const char *p = getenv("GK_CPU_DISABLE");
    while (p && *p) {
        const size_t len = strcspn(p, ",");
        for (size_t f = 0; f < GK_FEATURE_COUNT; f++) {
            const char *name = gk_cpu_feature_name(f);
            if (strlen(name) == len && strncmp(p, name, len) == 0) cpu->has[f] = false;
        }
        p += len;
        if (*p == ',') p++;
    }
}

static void gk_detect(void)
{
    struct gk_cpu *cpu = &gk_cpu_state;
    cpu->cache_source = "none";
#if defined(__x86_64__)
    gk_detect_x86(cpu);
#elif defined(__aarch64__)
    gk_detect_arm(cpu);
#endif
    gk_apply_disable_env(cpu);
    if (cpu->model[0] == '\0') {
#if defined(__aarch64__)
        strcpy(cpu->model, "aarch64");
#else
        strcpy(cpu->model, "unknown");
#endif
    }
    /* Trim the padding some brand strings carry at both ends. */
    size_t len = strlen(cpu->model);
    while (len && cpu->model[len - 1] == ' ')
        cpu->model[--len] = '\0';
    size_t lead = strspn(cpu->model, " ");
    memmove(cpu->model, cpu->model + lead, len - lead + 1);

    cpu_set_t set;
    CPU_ZERO(&set);
    const int n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
    cpu->n_cpus_affinity = n > 0 ? (unsigned)n : 1u;
}

const struct gk_cpu *gk_cpu_get(void)
{
    pthread_once(&gk_cpu_once, gk_detect);
    return &gk_cpu_state;
}

bool gk_cpu_supports_isa(const struct gk_cpu *cpu, gk_isa isa)
{
    const bool *has = cpu->has;
    switch (isa) {
    case GK_ISA_SCALAR: return true;
#ifdef GK_HAVE_AVX2
    case GK_ISA_AVX2: return has[GK_FEATURE_AVX2] && has[GK_FEATURE_FMA] && has[GK_FEATURE_F16C];
#endif
#ifdef GK_HAVE_AVX512
    case GK_ISA_AVX512:
        return gk_cpu_supports_isa(cpu, GK_ISA_AVX2) && has[GK_FEATURE_AVX512F] &&
               has[GK_FEATURE_AVX512BW] && has[GK_FEATURE_AVX512DQ] && has[GK_FEATURE_AVX512VL];
#endif
#ifdef GK_HAVE_NEON
    case GK_ISA_NEON: return has[GK_FEATURE_ASIMD];
#endif
    default: return false;
    }
}

static const char *const gk_isa_names[GK_ISA_COUNT] = {
    [GK_ISA_SCALAR] = "scalar",
    [GK_ISA_AVX2] = "avx2",
    [GK_ISA_AVX512] = "avx512",
    [GK_ISA_NEON] = "neon",
};

const char *gk_isa_to_name(gk_isa isa)
{
    return (unsigned)isa < GK_ISA_COUNT ? gk_isa_names[isa] : "unknown";
}

bool gk_isa_from_name(const char *name, gk_isa *out)
{
    for (int i = 0; i < GK_ISA_COUNT; i++) {
        if (strcmp(name, gk_isa_names[i]) == 0) {
            *out = (gk_isa)i;
            return true;
        }
    }
    return false;
}
