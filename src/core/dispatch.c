/* SPDX-License-Identifier: MIT */
/* One-time dispatch: fills one kernel table per ISA tier the CPU can run, picks the active tier
 * (best supported, capped by GK_ISA), and answers the public introspection queries. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
#include "core/error.h"
#include "core/kernels.h"
#include "gllmk/runtime.h"

static struct gk_kernels gk_tables[GK_ISA_COUNT];
static bool gk_table_ready[GK_ISA_COUNT];
static _Atomic(const struct gk_kernels *) gk_active;
static pthread_once_t gk_dispatch_once = PTHREAD_ONCE_INIT;

typedef void (*gk_fill_fn)(struct gk_kernels *k);

/* The one table of tiers: which fill function builds each tier in this build. */
static const gk_fill_fn gk_fill_for_isa[GK_ISA_COUNT] = {
    [GK_ISA_SCALAR] = gk_kernels_fill_scalar,
#ifdef GK_HAVE_AVX2
    [GK_ISA_AVX2] = gk_kernels_fill_avx2,
#endif
#ifdef GK_HAVE_AVX512
    [GK_ISA_AVX512] = gk_kernels_fill_avx512,
#endif
#ifdef GK_HAVE_NEON
    [GK_ISA_NEON] = gk_kernels_fill_neon,
#endif
};

static const char *const gk_op_names[GK_OP_COUNT] = {
#define GK_OP(op, family, sig, src_t, dst_t, tol) #op,
#include "ops/ops.def"
#undef GK_OP
};

const char *gk_kernels_slot_name(const struct gk_kernels *k, size_t op_id)
{
    switch (op_id) {
#define GK_OP(op, family, sig, src_t, dst_t, tol) \
    case GK_OP_ID_##op:                           \
        return k->op##_name;
#include "ops/ops.def"
#undef GK_OP
    default: return NULL;
    }
}

bool gk_kernels_check(const struct gk_kernels *k)
{
#define GK_OP(op, family, sig, src_t, dst_t, tol) \
    if (k->op == NULL || k->op##_name == NULL) return false;
#include "ops/ops.def"
#undef GK_OP
    return k->stream_copy != NULL && k->stream_copy_name != NULL && gk_gemm_kernels_check(&k->gemm);
}

static bool gk_verbose(void)
{
    const char *v = getenv("GK_VERBOSE");
    return v && v[0] && strcmp(v, "0") != 0;
}

/* The best ready tier (one the CPU supports), no higher than `cap` on the same architecture. */
static gk_isa gk_best_isa_up_to(gk_isa cap)
{
    gk_isa best = GK_ISA_SCALAR;
    for (int isa = GK_ISA_SCALAR; isa < GK_ISA_COUNT; isa++) {
        const bool same_family = isa == GK_ISA_NEON ? cap == GK_ISA_NEON : cap != GK_ISA_NEON;
        if (isa <= (int)cap && same_family && gk_table_ready[isa]) best = (gk_isa)isa;
    }
    return best;
}

static void gk_log_state(const struct gk_cpu *cpu, const struct gk_kernels *k)
{
    fprintf(stderr, "gllmk: cpu: %s\ngllmk: features:", cpu->model);
    for (int f = 0; f < GK_FEATURE_COUNT; f++)
        if (cpu->has[f]) fprintf(stderr, " %s", gk_cpu_feature_name((size_t)f));
    fprintf(stderr, "\ngllmk: isa: %s\n", gk_isa_to_name(k->isa));
    for (size_t op = 0; op < GK_OP_COUNT; op++)
        fprintf(stderr, "gllmk: %s -> %s\n", gk_op_names[op], gk_kernels_slot_name(k, op));
    fprintf(stderr, "gllmk: gemm -> %s, %s, %s (MC %zu KC %zu NC %zu)\n", k->gemm.ukr_name,
            k->gemm.pack_name, k->gemm.small_name, k->gemm.mc, k->gemm.kc, k->gemm.nc);
}

static void gk_dispatch_init(void)
{
    const struct gk_cpu *cpu = gk_cpu_get();
    for (int isa = 0; isa < GK_ISA_COUNT; isa++) {
        if (!gk_fill_for_isa[isa] || !gk_cpu_supports_isa(cpu, (gk_isa)isa)) continue;
        gk_fill_for_isa[isa](&gk_tables[isa]);
        gk_tables[isa].isa = (gk_isa)isa;
        gk_gemm_blocking_fill(&gk_tables[isa].gemm, cpu);
        /* A broken fill function is a bug; leave that tier out rather than crash later. */
        gk_table_ready[isa] = gk_kernels_check(&gk_tables[isa]);
    }
    gk_isa cap = GK_ISA_COUNT - 1;
    const bool verbose = gk_verbose();
    const char *env = getenv("GK_ISA");
    if (env && env[0]) {
        if (!gk_isa_from_name(env, &cap)) {
            cap = GK_ISA_COUNT - 1;
            if (verbose) fprintf(stderr, "gllmk: GK_ISA=%s is not a tier name; ignored\n", env);
        }
    }
#if defined(__aarch64__)
    if (cap != GK_ISA_SCALAR) cap = GK_ISA_NEON;
#else
    if (cap == GK_ISA_NEON) cap = GK_ISA_AVX512;
#endif
    const gk_isa chosen = gk_best_isa_up_to(cap);
    if (verbose && env && chosen != cap)
        fprintf(stderr, "gllmk: GK_ISA=%s lowered to %s (what this CPU and build support)\n", env,
                gk_isa_to_name(chosen));
    atomic_store_explicit(&gk_active, &gk_tables[chosen], memory_order_release);
    if (verbose) gk_log_state(cpu, &gk_tables[chosen]);
}

const struct gk_kernels *gk_kernels_active(void)
{
    const struct gk_kernels *k = atomic_load_explicit(&gk_active, memory_order_acquire);
    if (__builtin_expect(k != NULL, 1)) return k;
    pthread_once(&gk_dispatch_once, gk_dispatch_init);
    return atomic_load_explicit(&gk_active, memory_order_acquire);
}

const struct gk_kernels *gk_kernels_for_isa(gk_isa isa)
{
    gk_kernels_active();
    return (unsigned)isa < GK_ISA_COUNT && gk_table_ready[isa] ? &gk_tables[isa] : NULL;
}

/* ---- public API --------------------------------------------------------------------------- */

gk_status gk_init(void)
{
    gk_kernels_active();
    return GK_OK;
}

const char *gk_version(void)
{
    return GK_VERSION_STRING;
}

const char *gk_isa_name(void)
{
    return gk_isa_to_name(gk_kernels_active()->isa);
}

gk_status gk_set_isa(const char *name)
{
    GK_CHECK(name != NULL, GK_EINVAL, "gk_set_isa", "name is NULL");
    gk_isa isa;
    GK_CHECK(gk_isa_from_name(name, &isa), GK_EINVAL, "gk_set_isa",
             "\"%s\" is not an ISA level (scalar, avx2, avx512, neon)", name);
    const struct gk_kernels *table = gk_kernels_for_isa(isa);
    GK_CHECK(table != NULL, GK_EUNSUPPORTED, "gk_set_isa",
             "this CPU or build cannot run the %s level", name);
    atomic_store_explicit(&gk_active, table, memory_order_release);
    return GK_OK;
}

const char *gk_cpu_model(void)
{
    return gk_cpu_get()->model;
}

static const char *const gk_feature_names[GK_FEATURE_COUNT] = {
#define GK_FEATURE(id, name, arch) name,
#include "core/features.def"
#undef GK_FEATURE
};

size_t gk_cpu_feature_count(void)
{
    return GK_FEATURE_COUNT;
}

const char *gk_cpu_feature_name(size_t index)
{
    return index < GK_FEATURE_COUNT ? gk_feature_names[index] : NULL;
}

bool gk_cpu_has_feature(const char *name)
{
    if (!name) return false;
    for (size_t f = 0; f < GK_FEATURE_COUNT; f++)
        if (strcmp(name, gk_feature_names[f]) == 0) return gk_cpu_get()->has[f];
    return false;
}

size_t gk_cpu_cache_bytes(int level)
{
    return level >= 1 && level <= 3 ? gk_cpu_get()->cache_bytes[level] : 0;
}

unsigned gk_cpu_cache_sharing(int level)
{
    return level >= 1 && level <= 3 ? gk_cpu_get()->cache_sharing[level] : 0;
}

size_t gk_op_count(void)
{
    return GK_OP_COUNT;
}

const char *gk_op_name(size_t index)
{
    return index < GK_OP_COUNT ? gk_op_names[index] : NULL;
}

const char *gk_kernel_name(const char *op)
{
    if (!op) return NULL;
    for (size_t i = 0; i < GK_OP_COUNT; i++)
        if (strcmp(op, gk_op_names[i]) == 0) return gk_kernels_slot_name(gk_kernels_active(), i);
    return NULL;
}
