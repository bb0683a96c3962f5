/* SPDX-License-Identifier: MIT */
/* The scalar operator registry: descriptors, the default registry of src/scalar_ops, and the
 * per-operator trace cache (analysed once, under the entry's lock; read lock-free afterwards). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "gllmk/jit.h"
#include "gllmk/runtime.h"
#include "jit/symexec/symexec.h"
#include "scalar_ops/dequant_ref.h"
#include "scalar_ops/ref.h"

enum { REGISTRY_CAPACITY = 256, NAME_BYTES = 64, DETAIL_BYTES = 256 };

typedef struct entry {
    gk_scalar_op_desc desc;
    char name[NAME_BYTES];
    uint64_t hash;
    pthread_mutex_t lock;
    atomic_int analysed; /* 1 once status/trace/detail are final */
    gk_status status;
    gk_op_trace *trace;
    char detail[DETAIL_BYTES];
} entry;

/* Entries live in a fixed array so readers never see it move: count is published with release
 * order after the entry is complete; writers are serialised by `lock`. */
struct gk_scalar_registry {
    pthread_mutex_t lock;
    atomic_size_t count;
    bool is_default;
    entry entries[REGISTRY_CAPACITY];
};

static const gk_param params_unary[] = {
    {"x", GK_PARAM_IN_ELEMS}, {"y", GK_PARAM_OUT}, {"n", GK_PARAM_SIZE}};
static const gk_param params_binary[] = {{"a", GK_PARAM_IN_ELEMS},
                                         {"b", GK_PARAM_IN_ELEMS},
                                         {"out", GK_PARAM_OUT},
                                         {"n", GK_PARAM_SIZE}};
static const gk_param params_scale[] = {
    {"x", GK_PARAM_INOUT}, {"s", GK_PARAM_SCALAR}, {"n", GK_PARAM_SIZE}};
static const gk_param params_axpy[] = {
    {"y", GK_PARAM_INOUT}, {"a", GK_PARAM_SCALAR}, {"x", GK_PARAM_IN_ELEMS}, {"n", GK_PARAM_SIZE}};
static const gk_param params_reduce[] = {{"x", GK_PARAM_IN_ROWS}, {"n", GK_PARAM_SIZE}};
static const gk_param params_dot[] = {
    {"a", GK_PARAM_IN_ROWS}, {"b", GK_PARAM_IN_ROWS}, {"n", GK_PARAM_SIZE}};
static const gk_param params_norm[] = {{"x", GK_PARAM_IN_ROWS}, {"w", GK_PARAM_IN_VECTOR},
                                       {"y", GK_PARAM_OUT},     {"rows", GK_PARAM_SIZE},
                                       {"cols", GK_PARAM_SIZE}, {"eps", GK_PARAM_SCALAR}};
static const gk_param params_layer_norm[] = {
    {"x", GK_PARAM_IN_ROWS}, {"gamma", GK_PARAM_IN_VECTOR}, {"beta", GK_PARAM_IN_VECTOR},
    {"y", GK_PARAM_OUT},     {"rows", GK_PARAM_SIZE},       {"cols", GK_PARAM_SIZE},
    {"eps", GK_PARAM_SCALAR}};
static const gk_param params_softmax[] = {
    {"x", GK_PARAM_IN_ROWS}, {"y", GK_PARAM_OUT}, {"rows", GK_PARAM_SIZE}, {"cols", GK_PARAM_SIZE}};
static const gk_param params_rope[] = {{"x", GK_PARAM_INOUT},      {"table", GK_PARAM_IN_VECTOR},
                                       {"n_heads", GK_PARAM_SIZE}, {"head_dim", GK_PARAM_SIZE},
                                       {"rot_dim", GK_PARAM_SIZE}, {"neox", GK_PARAM_FLAG}};
static const gk_param params_gemm[] = {{"a", GK_PARAM_IN_ROWS}, {"b", GK_PARAM_IN_ROWS},
                                       {"c", GK_PARAM_OUT},     {"m", GK_PARAM_SIZE},
                                       {"n", GK_PARAM_SIZE},    {"k", GK_PARAM_SIZE}};
static const gk_param params_dequant[] = {
    {"blocks", GK_PARAM_IN_BLOCKS}, {"y", GK_PARAM_OUT}, {"n", GK_PARAM_SIZE}};

#define PARAMS(p) p, sizeof p / sizeof p[0]

static const struct {
    const char *name;
    const gk_param *params;
    size_t n;
} sig_table[GK_SIG_COUNT] = {
    [GK_SIG_UNARY] = {"unary", PARAMS(params_unary)},
    [GK_SIG_BINARY] = {"binary", PARAMS(params_binary)},
    [GK_SIG_SCALE] = {"scale", PARAMS(params_scale)},
    [GK_SIG_AXPY] = {"axpy", PARAMS(params_axpy)},
    [GK_SIG_REDUCE] = {"reduce", PARAMS(params_reduce)},
    [GK_SIG_DOT] = {"dot", PARAMS(params_dot)},
    [GK_SIG_NORM] = {"norm", PARAMS(params_norm)},
    [GK_SIG_LAYER_NORM] = {"layer_norm", PARAMS(params_layer_norm)},
    [GK_SIG_SOFTMAX] = {"softmax", PARAMS(params_softmax)},
    [GK_SIG_ROPE] = {"rope", PARAMS(params_rope)},
    [GK_SIG_GEMM] = {"gemm", PARAMS(params_gemm)},
    [GK_SIG_DEQUANT] = {"dequant", PARAMS(params_dequant)},
};

#undef PARAMS

gk_status gk_sig_params(gk_sig sig, const gk_param **out, size_t *n_out)
{
    GK_CHECK(out && n_out, GK_EINVAL, "gk_sig_params", "NULL output");
    GK_CHECK((unsigned)sig < GK_SIG_COUNT, GK_EINVAL, "gk_sig_params", "unknown sig %d", (int)sig);
    *out = sig_table[sig].params;
    *n_out = sig_table[sig].n;
    return GK_OK;
}

const char *gk_sig_name(gk_sig sig)
{
    return (unsigned)sig < GK_SIG_COUNT ? sig_table[sig].name : "unknown";
}

static uint64_t name_hash(const char *s)
{
    uint64_t h = 0xCBF29CE484222325u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001B3u;
    return h;
}

static gk_scalar_registry *registry_new(void)
{
    gk_scalar_registry *reg = calloc(1, sizeof *reg);
    if (!reg) return NULL;
    pthread_mutex_init(&reg->lock, NULL);
    atomic_init(&reg->count, 0);
    return reg;
}

gk_status gk_scalar_registry_create(gk_scalar_registry **out)
{
    GK_CHECK(out, GK_EINVAL, "gk_scalar_registry_create", "NULL out");
    gk_scalar_registry *reg = registry_new();
    GK_CHECK(reg, GK_ENOMEM, "gk_scalar_registry_create", "out of memory");
    *out = reg;
    return GK_OK;
}

void gk_scalar_registry_destroy(gk_scalar_registry *reg)
{
    if (!reg || reg->is_default) return;
    const size_t n = atomic_load(&reg->count);
    for (size_t i = 0; i < n; i++) {
        gk_op_trace_destroy(reg->entries[i].trace);
        pthread_mutex_destroy(&reg->entries[i].lock);
    }
    pthread_mutex_destroy(&reg->lock);
    free(reg);
}

static entry *find(gk_scalar_registry *reg, const char *name, uint64_t h)
{
    const size_t n = atomic_load_explicit(&reg->count, memory_order_acquire);
    for (size_t i = 0; i < n; i++)
        if (reg->entries[i].hash == h && strcmp(reg->entries[i].name, name) == 0)
            return &reg->entries[i];
    return NULL;
}

gk_status gk_scalar_registry_register(gk_scalar_registry *reg, const gk_scalar_op_desc *desc)
{
    static const char api[] = "gk_scalar_registry_register";
    GK_CHECK(reg && desc && desc->name && desc->fn, GK_EINVAL, api, "NULL argument");
    const size_t len = strlen(desc->name);
    GK_CHECK(len > 0 && len < NAME_BYTES, GK_EINVAL, api, "name length %zu not in 1..%d", len,
             NAME_BYTES - 1);
    GK_CHECK((unsigned)desc->sig < GK_SIG_COUNT, GK_EINVAL, api, "unknown sig %d", (int)desc->sig);
    GK_CHECK(desc->sig != GK_SIG_DEQUANT || (desc->block_elems && desc->block_bytes), GK_EINVAL,
             api, "%s: DEQUANT needs block_elems and block_bytes", desc->name);
    const uint64_t h = name_hash(desc->name);
    pthread_mutex_lock(&reg->lock);
    gk_status st = GK_OK;
    const size_t n = atomic_load(&reg->count);
    if (find(reg, desc->name, h))
        st = gk_error_set(GK_EALIAS, api, __FILE__, __LINE__, "%s is already registered",
                          desc->name);
    else if (n >= REGISTRY_CAPACITY)
        st = gk_error_set(GK_ENOMEM, api, __FILE__, __LINE__, "registry full (%d operators)",
                          REGISTRY_CAPACITY);
    if (st == GK_OK) {
        entry *e = &reg->entries[n];
        memset(e, 0, sizeof *e);
        e->desc = *desc;
        memcpy(e->name, desc->name, len + 1);
        e->desc.name = e->name;
        e->hash = h;
        pthread_mutex_init(&e->lock, NULL);
        atomic_init(&e->analysed, 0);
        atomic_store_explicit(&reg->count, n + 1, memory_order_release);
    }
    pthread_mutex_unlock(&reg->lock);
    return st;
}

size_t gk_scalar_registry_count(const gk_scalar_registry *reg)
{
    return reg ? atomic_load_explicit(&((gk_scalar_registry *)(uintptr_t)reg)->count,
                                      memory_order_acquire)
               : 0;
}

gk_status
gk_scalar_registry_at(const gk_scalar_registry *reg, size_t i, const gk_scalar_op_desc **out)
{
    GK_CHECK(reg && out, GK_EINVAL, "gk_scalar_registry_at", "NULL argument");
    const size_t n = gk_scalar_registry_count(reg);
    GK_CHECK(i < n, GK_EINVAL, "gk_scalar_registry_at", "index %zu >= count %zu", i, n);
    *out = &reg->entries[i].desc;
    return GK_OK;
}

gk_status gk_op_trace_analyse(const gk_scalar_op_desc *desc, gk_op_trace **out)
{
    GK_CHECK(desc && desc->fn && desc->name && out, GK_EINVAL, "gk_op_trace_analyse",
             "NULL argument");
#if defined(__x86_64__)
    gk_sx_env env;
    GK_TRY(gk_sx_env_for_function((const void *)desc->fn, &env));
    return gk_sx_lift(desc, &env, out);
#else
    return gk_error_set(GK_EUNSUPPORTED, "gk_op_trace_analyse", __FILE__, __LINE__,
                        "%s: the symbolic executor reads x86-64 machine code only; this build "
                        "is for another architecture",
                        desc->name);
#endif
}

gk_status
gk_scalar_registry_get_trace(gk_scalar_registry *reg, const char *name, const gk_op_trace **out)
{
    static const char api[] = "gk_scalar_registry_get_trace";
    GK_CHECK(reg && name && out, GK_EINVAL, api, "NULL argument");
    entry *e = find(reg, name, name_hash(name));
    GK_CHECK(e, GK_EINVAL, api, "no operator named '%s'", name);
    if (!atomic_load_explicit(&e->analysed, memory_order_acquire)) {
        pthread_mutex_lock(&e->lock);
        if (!atomic_load_explicit(&e->analysed, memory_order_relaxed)) {
            e->status = gk_op_trace_analyse(&e->desc, &e->trace);
            if (e->status != GK_OK) {
                snprintf(e->detail, sizeof e->detail, "%s", gk_last_error_detail());
                e->trace = NULL;
            }
            atomic_store_explicit(&e->analysed, 1, memory_order_release);
        }
        pthread_mutex_unlock(&e->lock);
    }
    if (e->status != GK_OK) /* the detail names the operator whichever check rejected it */
        return gk_error_set(e->status, api, __FILE__, __LINE__, "%s: %s", name, e->detail);
    *out = e->trace;
    return GK_OK;
}

static gk_scalar_registry *default_registry;

static void default_init(void)
{
    gk_scalar_registry *reg = registry_new();
    if (!reg) return;
    reg->is_default = true;
#define GK_JIT_OP(name, sig, block_elems, block_bytes)                                   \
    {                                                                                    \
        const gk_scalar_op_desc d = {#name, (void (*)(void))gk_ref_##name, GK_SIG_##sig, \
                                     block_elems, block_bytes};                          \
        gk_scalar_registry_register(reg, &d);                                            \
    }
#include "jit/jit_ops.def"
#undef GK_JIT_OP
    default_registry = reg;
}

gk_scalar_registry *gk_scalar_registry_default(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, default_init);
    return default_registry;
}
