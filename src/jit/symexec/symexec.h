/* SPDX-License-Identifier: MIT */
/* Internal interface of the symbolic executor (exec_x86.c), the C-library call resolver
 * (libm_calls.c) and the pattern recogniser (lift.c). */
#ifndef GK_JIT_SYMEXEC_H
#define GK_JIT_SYMEXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gllmk/jit.h"
#include "jit/symexec/dag.h"

/* Where the analysed code may be decoded and where constants may be read. */
typedef struct gk_sx_env {
    uintptr_t fn;               /* entry point */
    uintptr_t code_lo, code_hi; /* instructions are decoded only inside */
    uintptr_t ro_lo[8], ro_hi[8];
    int n_ro;          /* constant (RIP-relative) loads are allowed only inside these ranges */
    bool resolve_libm; /* calls outside [code_lo, code_hi) may be C library functions */
    long max_steps;    /* instruction budget per run (0: the default) */
} gk_sx_env;

/* Fills env for a function of a loaded module (its executable and read-only segments).
 * GK_EUNSUPPORTED if fn is in no module (x86-64 only). */
gk_status gk_sx_env_for_function(const void *fn, gk_sx_env *env);

/* Resolves a call target to a C library function the traces know. Returns the opcode
 * (GK_TOP_EXP, ...) and sets *type and *n_args, or -1 (then *name may say which symbol). */
int gk_sx_resolve_libm(uintptr_t target, gk_trace_type *type, int *n_args, const char **name);
/* The same for a GOT slot read by call [rip + disp] (-fno-plt). */
int gk_sx_resolve_libm_slot(uintptr_t slot, gk_trace_type *type, int *n_args, const char **name);

/* Decoded instructions and resolved calls, shared by the runs of one analysis. */
typedef struct gk_sx_cache gk_sx_cache;

gk_sx_cache *gk_sx_cache_create(void);
void gk_sx_cache_destroy(gk_sx_cache *cache);

/* One concrete-size run. Integer argument registers (rdi, rsi, rdx, rcx, r8, r9) hold either
 * the array `array` (a pointer: symbolic base, concrete offsets) or a concrete value; size
 * values carry taint bit `taint`. The first n_float XMM registers hold PARAM(i). */
typedef struct gk_sx_args {
    int n_int;

    struct {
        bool is_array;
        uint8_t array;
        uint8_t taint;
        uint64_t value;
    } ints[6];

    int n_float;
    uint8_t array_type[6]; /* gk_trace_type of each array's elements (I8 for blocks) */
    bool may_alias[6];     /* arrays the contract lets the caller pass as the same buffer */
    uint8_t axis_taint;    /* a size-derived number equal to axis_value becomes SIZE */
    uint64_t axis_value;
    bool ret_f64; /* the function returns a double in xmm0 */
    gk_sx_cache *cache;
} gk_sx_args;

typedef struct gk_sx_store {
    int64_t off;
    int32_t node;
    uint8_t array;
    uint8_t width;
} gk_sx_store;

enum { GK_SX_MAX_STORES = 560 }; /* two Q4_K blocks */

typedef struct gk_sx_result {
    int n_stores;
    gk_sx_store stores[GK_SX_MAX_STORES];
    int32_t ret; /* xmm0 as f64 when ret_f64, else -1 */
    bool hazard; /* an array element was read after another array's same element was written */
} gk_sx_result;

typedef struct gk_sx_stats {
    long steps, paths;
} gk_sx_stats;

/* Runs the code once; `api` names the public function for error details. The DAG receives
 * every value (GK_DAG_MEM leaves for array loads). */
gk_status gk_sx_run(const gk_sx_env *env,
                    const gk_sx_args *args,
                    gk_dag *dag,
                    gk_sx_result *res,
                    gk_sx_stats *stats,
                    const char *api);

/* Whole analysis of a descriptor (lift.c), given its environment. */
gk_status gk_sx_lift(const gk_scalar_op_desc *desc, const gk_sx_env *env, gk_op_trace **out);

/* Analyses `len` bytes at `code` as the function of desc (desc->fn is ignored): only those
 * bytes are decoded and readable, no call is resolved. For fuzzing and tests. */
gk_status gk_sx_analyse_code(
    const void *code, size_t len, const gk_scalar_op_desc *desc, long max_steps, gk_op_trace **out);

/* What a trace is made of, as ids of the generalised DAG (trace.c builds the trace). Unused
 * parts are -1 / 0. */
typedef struct gk_trace_parts {
    gk_trace_pattern pattern;
    const int32_t *fold_init, *fold_step;
    size_t n_folds;
    int32_t result, result_second;
    int32_t exit_cond, exit_value;
    const gk_trace_segment *segments; /* DEQUANT; `result` fields are DAG ids */
    size_t n_segments;
    gk_pair_style pair_style[2];
} gk_trace_parts;

/* Trace construction from a generalised DAG (trace.c). */
gk_status gk_trace_build(const gk_dag *dag,
                         const gk_scalar_op_desc *d,
                         const gk_trace_parts *parts,
                         gk_op_trace **out);

#endif /* GK_JIT_SYMEXEC_H */
