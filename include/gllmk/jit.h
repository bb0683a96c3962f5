/* SPDX-License-Identifier: MIT */
/* gllm-kernels JIT, phase 0: the scalar operator registry and the traces recovered from the
 * operators' machine code (decode + symbolic execution), with an interpreter that runs a trace. */
#ifndef GLLMK_JIT_H
#define GLLMK_JIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The signature kinds of a scalar operator: each fixes the C prototype (System V x86-64 calling
 * convention) and what each argument means. Values are fixed forever; new kinds are appended.
 * "row" arrays are indexed [r * cols + i], "vector" arrays [i] (shared by every row).
 *   GK_SIG_UNARY      void (const float *x, float *y, size_t n)           y[i] = f(x[i])
 *   GK_SIG_BINARY     void (const float *a, const float *b, float *out, size_t n)
 *   GK_SIG_SCALE      void (float *x, float s, size_t n)                   x[i] = f(x[i], s)
 *   GK_SIG_AXPY       void (float *y, float a, const float *x, size_t n)   y[i] = f(a, x[i], y[i])
 *   GK_SIG_REDUCE     double (const float *x, size_t n), n > 0             a fold over x
 *   GK_SIG_DOT        double (const float *a, const float *b, size_t n), n > 0
 *   GK_SIG_NORM       void (const float *x, const float *w, float *y, size_t rows, size_t cols,
 *                           float eps)         x, y row arrays, w a vector (e.g. rms_norm)
 *   GK_SIG_LAYER_NORM void (const float *x, const float *gamma, const float *beta, float *y,
 *                           size_t rows, size_t cols, float eps)   gamma, beta vectors
 *   GK_SIG_SOFTMAX    void (const float *x, float *y, size_t rows, size_t cols)
 *   GK_SIG_ROPE       void (float *x, const float *table, size_t n_heads, size_t head_dim,
 *                           size_t rot_dim, bool neox)   x: n_heads heads of head_dim elements,
 *                           the first rot_dim (even) of each rewritten from pairs of elements
 *   GK_SIG_GEMM       void (const float *a, const float *b, float *c, size_t m, size_t n,
 *                           size_t k)   row-major, c = a b (c overwritten)
 *   GK_SIG_DEQUANT    void (const void *blocks, float *y, size_t n)   n elements, a multiple of
 *                           the descriptor's block_elems; blocks of block_bytes bytes
 * Pointer arguments are analysed as distinct, non-NULL arrays. */
typedef enum gk_sig {
    GK_SIG_UNARY = 0,
    GK_SIG_BINARY = 1,
    GK_SIG_SCALE = 2,
    GK_SIG_AXPY = 3,
    GK_SIG_REDUCE = 4,
    GK_SIG_DOT = 5,
    GK_SIG_NORM = 6,
    GK_SIG_LAYER_NORM = 7,
    GK_SIG_SOFTMAX = 8,
    GK_SIG_ROPE = 9,
    GK_SIG_GEMM = 10,
    GK_SIG_DEQUANT = 11
} gk_sig;

enum { GK_SIG_COUNT = 12 };

/* What one argument of a signature is (gk_sig_params). */
typedef enum gk_param_kind {
    GK_PARAM_IN_ELEMS = 0,  /* const float *, read at the element being computed */
    GK_PARAM_IN_ROWS = 1,   /* const float *, row array: read across its row (reductions) */
    GK_PARAM_IN_VECTOR = 2, /* const float *, one vector shared by every row */
    GK_PARAM_OUT = 3,       /* float *, written */
    GK_PARAM_INOUT = 4,     /* float *, read then written at the same element */
    GK_PARAM_IN_BLOCKS = 5, /* const void *, quantized blocks */
    GK_PARAM_SCALAR = 6,    /* float passed by value */
    GK_PARAM_SIZE = 7,      /* size_t */
    GK_PARAM_FLAG = 8       /* bool */
} gk_param_kind;

typedef struct gk_param {
    const char *name;
    gk_param_kind kind;
} gk_param;

/* The argument list of `sig` in order: *out points to a static array of *n_out entries.
 * GK_EINVAL for an unknown sig or NULL outputs. */
GK_API gk_status gk_sig_params(gk_sig sig, const gk_param **out, size_t *n_out);

/* GK_SIG_* name ("unary", "binary", ...), or "unknown". */
GK_API const char *gk_sig_name(gk_sig sig);

/* One scalar operator. `fn` is the function cast to void (*)(void); it must be compiled under
 * the contract of src/jit/README.md (-O1 -fno-tree-vectorize -ffp-contract=off or the Clang
 * equivalents, no -march beyond x86-64 baseline, libm calls allowed from the documented list).
 * block_elems / block_bytes describe GK_SIG_DEQUANT blocks (0 for the other kinds). */
typedef struct gk_scalar_op_desc {
    const char *name;
    void (*fn)(void);
    gk_sig sig;
    uint32_t block_elems;
    uint32_t block_bytes;
} gk_scalar_op_desc;

typedef struct gk_scalar_registry gk_scalar_registry;

/* The built-in registry: every operator of src/scalar_ops (f32 versions), by its op-table name
 * ("silu_f32", "vec_add_f32", "rms_norm_f32", ...). Created once, never destroyed; safe to use
 * from any thread. NULL only if its allocation failed. */
GK_API gk_scalar_registry *gk_scalar_registry_default(void);

/* An empty registry of one's own; *out written on success. GK_EINVAL (NULL), GK_ENOMEM. */
GK_API gk_status gk_scalar_registry_create(gk_scalar_registry **out);

/* Frees a registry made by gk_scalar_registry_create and every trace it holds; NULL is a no-op.
 * Passing the default registry is a no-op too. */
GK_API void gk_scalar_registry_destroy(gk_scalar_registry *reg);

/* Adds an operator. The name is copied. GK_EINVAL: NULL reg/desc/name/fn, an empty or too long
 * (> 63 bytes) name, an unknown sig, a DEQUANT op without block sizes; GK_EALIAS: the name is
 * already registered; GK_ENOMEM. Thread-safe. */
GK_API gk_status gk_scalar_registry_register(gk_scalar_registry *reg,
                                             const gk_scalar_op_desc *desc);

/* Number of operators, and the i-th one's descriptor (registration order). The descriptor
 * stays valid as long as the registry. GK_EINVAL for a NULL argument or i out of range. */
GK_API size_t gk_scalar_registry_count(const gk_scalar_registry *reg);
GK_API gk_status gk_scalar_registry_at(const gk_scalar_registry *reg,
                                       size_t i,
                                       const gk_scalar_op_desc **out);

typedef struct gk_op_trace gk_op_trace;

/* The trace of operator `name`: analysed on the first call, cached afterwards (thread-safe; the
 * analysis runs once per operator even under concurrent calls). *out stays valid as long as the
 * registry. GK_EINVAL (NULL arguments, unknown name); GK_EUNSUPPORTED when the machine code uses
 * something the executor does not know (gk_last_error_detail names the instruction and its
 * offset) or on a non-x86-64 build; the failure is cached and returned again with its detail. */
GK_API gk_status gk_scalar_registry_get_trace(gk_scalar_registry *reg,
                                              const char *name,
                                              const gk_op_trace **out);

/* Analyses a function directly, without a registry (what get_trace does on first use). The
 * trace is owned by the caller: gk_op_trace_destroy. */
GK_API gk_status gk_op_trace_analyse(const gk_scalar_op_desc *desc, gk_op_trace **out);
GK_API void gk_op_trace_destroy(gk_op_trace *trace);

/* ---- the trace ------------------------------------------------------------------------------ */

typedef enum gk_trace_pattern {
    GK_PATTERN_ELEMENTWISE = 0, /* y[i] = f(inputs at i, scalars) (UNARY, SCALE, AXPY) */
    GK_PATTERN_BINARY = 1,      /* out[i] = f(a[i], b[i]) */
    GK_PATTERN_REDUCTION = 2,   /* result = g(folds over the whole input) */
    GK_PATTERN_NORM = 3,        /* per row: folds over the row, then y[i] = f(row[i], folds) */
    GK_PATTERN_GEMM = 4,        /* c[i][j] = g(fold over p of f(a[i][p], b[p][j])) */
    GK_PATTERN_DEQUANT = 5,     /* y[e] = f(bytes of block e / block_elems, e % block_elems) */
    GK_PATTERN_PAIRWISE = 6     /* per head, j < rot_dim: x[j] = f(x[j], x[partner(j)], table
                                 * entries of j or partner(j)), all reads before any write */
} gk_trace_pattern;

/* Value types of trace ops. Integers are held zero-extended to 64 bits; BOOL is 0 or 1. */
typedef enum gk_trace_type {
    GK_TT_F32 = 0,
    GK_TT_F64 = 1,
    GK_TT_I8 = 2,
    GK_TT_I16 = 3,
    GK_TT_I32 = 4,
    GK_TT_I64 = 5,
    GK_TT_BOOL = 6
} gk_trace_type;

/* Trace opcodes. Operands a, b, c are indices of earlier ops (SSA). Floating-point ops round
 * once in their type; MIN/MAX have x86 semantics (a < b ? a : b, a > b ? a : b: the second
 * operand when unordered); FMINNUM/FMAXNUM are C fminf/fmaxf; the transcendental ops are the C
 * library's functions of their type (expf or exp, ...), so the interpreter is bit-exact. */
typedef enum gk_trace_opcode {
    GK_TOP_INPUT = 0,   /* array argument `a` at the current position, of the op's type; the
                         * byte offset is (int64_t)imm + b * u with u = the element's index q
                         * in its block (DEQUANT) or 4 * rot_dim (PAIRWISE), else u = 0;
                         * PAIRWISE: pred GK_INPUT_PARTNER reads at partner(j) instead of j */
    GK_TOP_PARAM = 1,   /* scalar argument number a (0 = first float argument), f32 */
    GK_TOP_SIZE = 2,    /* the length of the axis being computed (n, cols, k), i64 */
    GK_TOP_CONST = 3,   /* imm holds the bit pattern */
    GK_TOP_ACC = 4,     /* inside a fold's step: the accumulator */
    GK_TOP_REDUCED = 5, /* the final value of fold number a */
    GK_TOP_ADD = 6,
    GK_TOP_SUB = 7,
    GK_TOP_MUL = 8,
    GK_TOP_DIV = 9,
    GK_TOP_FMA = 10, /* a * b + c, one rounding */
    GK_TOP_NEG = 11,
    GK_TOP_ABS = 12,
    GK_TOP_MIN = 13,
    GK_TOP_MAX = 14,
    GK_TOP_FMINNUM = 15,
    GK_TOP_FMAXNUM = 16,
    GK_TOP_SQRT = 17,
    GK_TOP_RSQRT = 18, /* 1 / sqrt(a), two roundings (not produced by the executor yet) */
    GK_TOP_RECIP = 19, /* 1 / a (not produced by the executor yet) */
    GK_TOP_EXP = 20,
    GK_TOP_LOG = 21,
    GK_TOP_LOG1P = 22,
    GK_TOP_TANH = 23,
    GK_TOP_ERF = 24,
    GK_TOP_ERFC = 25,
    GK_TOP_FCMP = 26,    /* BOOL: relation of float a to b in pred (GK_PRED_* mask) */
    GK_TOP_ICMP = 27,    /* BOOL: relation of integers a, b in pred (GK_PRED_*, + SIGNED) */
    GK_TOP_SELECT = 28,  /* a ? b : c (a BOOL) */
    GK_TOP_CVT = 29,     /* numeric conversion of a to the op's type (int -> float rounds to
                          * nearest, float -> int truncates, see pred GK_CVT_*) */
    GK_TOP_BITCAST = 30, /* same bits, other type of the same width */
    GK_TOP_IADD = 31,    /* integer ops in the op's type (wrap around) */
    GK_TOP_ISUB = 32,
    GK_TOP_IMUL = 33,
    GK_TOP_AND = 34,
    GK_TOP_OR = 35,
    GK_TOP_XOR = 36,
    GK_TOP_NOT = 37,
    GK_TOP_SHL = 38, /* shift counts are taken modulo the width */
    GK_TOP_SHR = 39,
    GK_TOP_SAR = 40,
    GK_TOP_ZEXT = 41, /* integer a widened (zero / sign) or truncated to the op's type */
    GK_TOP_SEXT = 42,
    GK_TOP_TRUNC = 43,
    GK_TOP_BSR = 44, /* index of the highest set bit of integer a (x86 bsr); 0 for a = 0 */
    GK_TOP_COUNT_ = 45
} gk_trace_opcode;

/* Relations for FCMP / ICMP: the predicate holds when the relation of a to b is in the mask. */
enum {
    GK_PRED_LT = 1,
    GK_PRED_EQ = 2,
    GK_PRED_GT = 4,
    GK_PRED_UN = 8,     /* unordered (a NaN operand): FCMP only */
    GK_PRED_SIGNED = 16 /* ICMP: compare as signed integers */
};

/* INPUT of a PAIRWISE trace: the element's own position j, or its partner's (pred). */
enum { GK_INPUT_OWN = 0, GK_INPUT_PARTNER = 1 };

/* CVT from a signed or an unsigned integer (pred of a CVT with an integer operand). */
enum { GK_CVT_SIGNED = 0, GK_CVT_UNSIGNED = 1 };

typedef struct gk_trace_op {
    uint8_t opcode; /* gk_trace_opcode */
    uint8_t type;   /* gk_trace_type of the result */
    uint8_t pred;   /* FCMP/ICMP relation mask, CVT signedness */
    uint8_t reserved;
    int32_t a, b, c; /* operands (op indices), or INPUT/PARAM/REDUCED numbers as documented */
    uint64_t imm;    /* CONST bits, INPUT byte offset */
} gk_trace_op;

/* One fold: acc = ops[init]; for p over the axis: acc = ops[step] evaluated at position p with
 * ACC = acc. Its value is REDUCED(i) in later folds and in the result. */
typedef struct gk_trace_fold {
    int32_t init;
    int32_t step;
} gk_trace_fold;

/* DEQUANT: the elements q in [start, end) of every block are computed by body `result` (INPUT
 * offsets imm + b * q). Segments cover the block in order; a block whose elements all share
 * one body with offsets affine in q (Q8_0) has one segment, Q4_K has eight of 32 elements
 * (each sub-block has its own scale bytes and nibble shift). A back end emits one loop per
 * segment. */
typedef struct gk_trace_segment {
    uint32_t start, end;
    int32_t result;
} gk_trace_segment;

/* PAIRWISE: which element partners element j (0 <= j < rot_dim) of a head. */
typedef enum gk_pair_style {
    GK_PAIR_ADJACENT = 0, /* j ^ 1: pairs (2i, 2i + 1) */
    GK_PAIR_HALVES = 1    /* j + rot_dim / 2 in the first half, j - rot_dim / 2 in the second */
} gk_pair_style;

struct gk_op_trace {
    gk_trace_pattern pattern;
    gk_sig sig;
    size_t n_ops;
    const gk_trace_op *ops; /* SSA, operands before users */
    size_t n_folds;
    const gk_trace_fold *folds; /* in evaluation order */
    int32_t result;             /* per element (or the one value of a REDUCTION), in its type;
                                 * DEQUANT: segments[0].result */
    uint32_t block_elems, block_bytes; /* DEQUANT geometry */
    /* REDUCTION with an early exit (vec_max: `if (isnan(v)) return v;` inside the loop), or
     * -1: the first position p of the axis where BOOL body exit_cond, evaluated on the
     * elements at p, holds ends the function with the value of body exit_value at p (the
     * result's type); when no position does, the result is `result` as usual. The exit bodies
     * read only elements at p, constants and scalars (no ACC, no REDUCED): because the folds
     * have no other effect, checking every position before the folds run is equivalent to
     * the function's loop, which tests p before its step at p. */
    int32_t exit_cond, exit_value;
    size_t n_segments; /* DEQUANT: >= 1; else 0 */
    const gk_trace_segment *segments;
    /* PAIRWISE: the partner rule for flag neox = false ([0]) and true ([1]); `result` computes
     * the lower element of each pair (j < partner(j)), result_second the higher one (the
     * same body, or one with operands in another order: Clang writes x[j] * t and t * x[k],
     * which differ for two NaN operands); -1 for other patterns */
    gk_pair_style pair_style[2];
    int32_t result_second;
};

/* The interpreter. Each evaluates the trace on real arrays and returns what the analysed
 * function computes (bit for bit). GK_EINVAL: NULL arguments, or a trace of another pattern. */
GK_API gk_status gk_op_trace_eval_unary(const gk_op_trace *t, const float *x, float *y, size_t n);
GK_API gk_status
gk_op_trace_eval_binary(const gk_op_trace *t, const float *a, const float *b, float *out, size_t n);

/* General entry: `arrays` are the function's array arguments in signature order
 * (gk_sig_params), `scalars` / `sizes` its float and size_t arguments in order, followed in
 * `sizes` by its bool flags as 0 or 1 (ROPE: {n_heads, head_dim, rot_dim, neox}). For REDUCE/DOT
 * the result is stored in *ret. Output arrays may equal an input where the signature allows it
 * in place, and must not overlap otherwise. GK_EINVAL: a NULL trace, array, scalars (when the
 * signature has some), ret (REDUCE/DOT), a DEQUANT n not a multiple of the block, a ROPE
 * rot_dim odd or above head_dim or a flag other than 0 / 1;
 * GK_EOVERFLOW: the product of the sizes times 8 does not fit in size_t; GK_ENOMEM. */
GK_API gk_status gk_op_trace_eval(const gk_op_trace *t,
                                  const void *const *arrays,
                                  const float *scalars,
                                  const size_t *sizes,
                                  double *ret);

/* Prints the trace readably into buf (always NUL-terminated when cap > 0); returns the length
 * the full text needs (as snprintf). */
GK_API size_t gk_op_trace_print(const gk_op_trace *t, char *buf, size_t cap);

GK_API const char *gk_trace_pattern_name(gk_trace_pattern p);
GK_API const char *gk_trace_opcode_name(gk_trace_opcode op);

#ifdef __cplusplus
}
#endif

#endif /* GLLMK_JIT_H */
