/* SPDX-License-Identifier: MIT */
/* The trace as a data structure: construction from a generalised DAG (only the reachable ops,
 * operands first), the interpreter that runs it on real arrays, and the text printer. Built on
 * every architecture (only the executor that produces traces is x86-64 specific). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/error.h"
#include "jit/symexec/dag.h"
#include "jit/symexec/eval.h"
#include "jit/symexec/symexec.h"

/* The public struct plus, per body (each fold's init and step, the result, the exit condition
 * and value, each DEQUANT segment), the op indices to evaluate in order: what the interpreter
 * walks. Body numbers: 2 f and 2 f + 1 for fold f, then BODY_RESULT, BODY_EXIT_COND,
 * BODY_EXIT_VALUE and one per segment (after the folds). */
typedef struct trace_impl {
    gk_op_trace pub;
    int32_t *prog;       /* all programs, back to back */
    int32_t *prog_start; /* n_bodies entries + end */
    gk_trace_op *ops;
    gk_trace_fold *folds;
    gk_trace_segment *segments;
} trace_impl;

enum {
    BODY_RESULT = 0,
    BODY_EXIT_COND = 1,
    BODY_EXIT_VALUE = 2,
    BODY_SECOND = 3,
    BODY_SEGMENT0 = 4
};

static size_t body_no(const gk_op_trace *t, size_t which)
{
    return 2 * t->n_folds + which;
}

static const char *const opcode_names[GK_TOP_COUNT_] = {
    "input", "param",  "size", "const",   "acc",   "reduced", "add",     "sub",     "mul",
    "div",   "fma",    "neg",  "abs",     "min",   "max",     "fminnum", "fmaxnum", "sqrt",
    "rsqrt", "recip",  "exp",  "log",     "log1p", "tanh",    "erf",     "erfc",    "fcmp",
    "icmp",  "select", "cvt",  "bitcast", "iadd",  "isub",    "imul",    "and",     "or",
    "xor",   "not",    "shl",  "shr",     "sar",   "zext",    "sext",    "trunc",   "bsr"};

const char *gk_trace_opcode_name(gk_trace_opcode op)
{
    return (unsigned)op < GK_TOP_COUNT_ ? opcode_names[op] : "unknown";
}

const char *gk_trace_pattern_name(gk_trace_pattern p)
{
    switch (p) {
    case GK_PATTERN_ELEMENTWISE: return "elementwise";
    case GK_PATTERN_BINARY: return "binary-elementwise";
    case GK_PATTERN_REDUCTION: return "reduction";
    case GK_PATTERN_NORM: return "norm-like";
    case GK_PATTERN_GEMM: return "gemm";
    case GK_PATTERN_DEQUANT: return "quant-decode";
    case GK_PATTERN_PAIRWISE: return "pairwise";
    }
    return "unknown";
}

static const char *type_name(unsigned t)
{
    static const char *const names[] = {"f32", "f64", "i8", "i16", "i32", "i64", "bool"};
    return t < 7 ? names[t] : "?";
}

/* Marks everything reachable from id (ids are topological: operands are smaller). */
static void mark(const gk_dag *d, int32_t id, uint8_t *seen)
{
    if (id < 0 || seen[id]) return;
    seen[id] = 1;
    const gk_trace_op *n = gk_dag_node(d, id);
    const int ar = gk_trace_opcode_arity(n->opcode);
    if (ar >= 1) mark(d, n->a, seen);
    if (ar >= 2) mark(d, n->b, seen);
    if (ar >= 3) mark(d, n->c, seen);
}

gk_status gk_trace_build(const gk_dag *dag,
                         const gk_scalar_op_desc *d,
                         const gk_trace_parts *p,
                         gk_op_trace **out)
{
    const size_t n_folds = p->n_folds;
    const size_t n_bodies = 2 * n_folds + BODY_SEGMENT0 + p->n_segments;
    int32_t *roots = malloc(n_bodies * sizeof *roots);
    int32_t *remap = malloc((size_t)dag->n * sizeof *remap);
    uint8_t *seen = calloc((size_t)dag->n, 1);
    trace_impl *t = calloc(1, sizeof *t);
    gk_status st = GK_OK;
    if (!roots || !remap || !seen || !t) {
        st = GK_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < n_folds; i++) {
        roots[2 * i] = p->fold_init[i];
        roots[2 * i + 1] = p->fold_step[i];
    }
    roots[2 * n_folds + BODY_RESULT] = p->result;
    roots[2 * n_folds + BODY_EXIT_COND] = p->exit_cond;
    roots[2 * n_folds + BODY_EXIT_VALUE] = p->exit_value;
    roots[2 * n_folds + BODY_SECOND] = p->result_second;
    for (size_t i = 0; i < p->n_segments; i++)
        roots[2 * n_folds + BODY_SEGMENT0 + i] = p->segments[i].result;
    for (size_t i = 0; i < n_bodies; i++)
        mark(dag, roots[i], seen);
    size_t n_ops = 0;
    for (int32_t i = 0; i < dag->n; i++)
        remap[i] = seen[i] ? (int32_t)n_ops++ : -1;
    t->ops = malloc(n_ops * sizeof *t->ops);
    t->folds = malloc((n_folds ? n_folds : 1) * sizeof *t->folds);
    t->segments = malloc((p->n_segments ? p->n_segments : 1) * sizeof *t->segments);
    t->prog = malloc(n_bodies * n_ops * sizeof *t->prog);
    t->prog_start = malloc((n_bodies + 1) * sizeof *t->prog_start);
    if (!t->ops || !t->folds || !t->segments || !t->prog || !t->prog_start) {
        st = GK_ENOMEM;
        goto fail;
    }
    for (int32_t i = 0; i < dag->n; i++) {
        if (remap[i] < 0) continue;
        gk_trace_op o = *gk_dag_node(dag, i);
        const int ar = gk_trace_opcode_arity(o.opcode);
        if (ar >= 1) o.a = remap[o.a];
        if (ar >= 2) o.b = remap[o.b];
        if (ar >= 3) o.c = remap[o.c];
        t->ops[remap[i]] = o;
    }
    for (size_t i = 0; i < n_folds; i++)
        t->folds[i] =
            (gk_trace_fold){.init = remap[p->fold_init[i]], .step = remap[p->fold_step[i]]};
    for (size_t i = 0; i < p->n_segments; i++)
        t->segments[i] = (gk_trace_segment){.start = p->segments[i].start,
                                            .end = p->segments[i].end,
                                            .result = remap[p->segments[i].result]};
    /* one program per body: the ops it reaches, in order */
    size_t at = 0;
    for (size_t b = 0; b < n_bodies; b++) {
        memset(seen, 0, (size_t)dag->n);
        mark(dag, roots[b], seen);
        t->prog_start[b] = (int32_t)at;
        for (int32_t i = 0; i < dag->n; i++)
            if (seen[i]) t->prog[at++] = remap[i];
    }
    t->prog_start[n_bodies] = (int32_t)at;
    t->pub = (gk_op_trace){.pattern = p->pattern,
                           .sig = d->sig,
                           .n_ops = n_ops,
                           .ops = t->ops,
                           .n_folds = n_folds,
                           .folds = t->folds,
                           .result = remap[p->result],
                           .block_elems = d->block_elems,
                           .block_bytes = d->block_bytes,
                           .exit_cond = p->exit_cond >= 0 ? remap[p->exit_cond] : -1,
                           .exit_value = p->exit_value >= 0 ? remap[p->exit_value] : -1,
                           .n_segments = p->n_segments,
                           .segments = t->segments,
                           .pair_style = {p->pair_style[0], p->pair_style[1]},
                           .result_second = p->result_second >= 0 ? remap[p->result_second] : -1};
    *out = &t->pub;
    free(roots);
    free(remap);
    free(seen);
    return GK_OK;
fail:
    free(roots);
    free(remap);
    free(seen);
    if (t) gk_op_trace_destroy(&t->pub);
    return st == GK_ENOMEM ? gk_error_set(GK_ENOMEM, "gk_jit", __FILE__, __LINE__, "out of memory")
                           : st;
}

void gk_op_trace_destroy(gk_op_trace *trace)
{
    if (!trace) return;
    trace_impl *t = (trace_impl *)trace;
    free(t->ops);
    free(t->folds);
    free(t->segments);
    free(t->prog);
    free(t->prog_start);
    free(t);
}

/* ---- interpreter ----------------------------------------------------------------------------- */

typedef struct eval_ctx {
    const trace_impl *t;
    const uint8_t *const *arrays;  /* base of each array for the current position */
    const uint8_t *const *partner; /* PAIRWISE: the same at the partner's position */
    const float *scalars;
    uint64_t size;
    uint64_t acc;
    const uint64_t *reduced;
    int64_t unit;   /* INPUT offsets: imm + b * unit (DEQUANT: q; PAIRWISE: 4 rot_dim) */
    uint64_t *vals; /* n_ops scratch */
} eval_ctx;

static uint64_t load_bits(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;
    memcpy(&v, p, bytes);
    return v;
}

/* Evaluates body b and returns the value of its root. */
static uint64_t run_body(eval_ctx *e, size_t b, int32_t root)
{
    const trace_impl *t = e->t;
    for (int32_t k = t->prog_start[b]; k < t->prog_start[b + 1]; k++) {
        const int32_t i = t->prog[k];
        const gk_trace_op *o = &t->ops[i];
        uint64_t v;
        switch (o->opcode) {
        case GK_TOP_INPUT: {
            const int64_t off = (int64_t)o->imm + (int64_t)o->b * e->unit;
            const uint8_t *base = o->pred == GK_INPUT_PARTNER ? e->partner[o->a] : e->arrays[o->a];
            v = load_bits(base + off, gk_trace_type_bits((gk_trace_type)o->type) / 8);
            break;
        }
        case GK_TOP_PARAM: {
            uint32_t u;
            memcpy(&u, &e->scalars[o->a], sizeof u);
            v = u;
            break;
        }
        case GK_TOP_SIZE: v = e->size; break;
        case GK_TOP_CONST: v = o->imm; break;
        case GK_TOP_ACC: v = e->acc; break;
        case GK_TOP_REDUCED: v = e->reduced[o->a]; break;
        default: {
            const int ar = gk_trace_opcode_arity(o->opcode);
            const uint64_t a = ar >= 1 ? e->vals[o->a] : 0, bb = ar >= 2 ? e->vals[o->b] : 0,
                           c = ar >= 3 ? e->vals[o->c] : 0;
            v = gk_trace_eval_one(o, ar >= 1 ? (gk_trace_type)t->ops[o->a].type : GK_TT_I64, a, bb,
                                  c);
        }
        }
        e->vals[i] = v;
    }
    return e->vals[root];
}

static const unsigned MAX_ARRAYS = 6;

/* Per row / output: the folds over `len` positions, where arrays advance by `step_bytes[k]`
 * per position from `base[k]`. */
static void run_folds(eval_ctx *e,
                      const uint8_t *const *base,
                      const int64_t *step_bytes,
                      uint64_t len,
                      uint64_t *reduced)
{
    const trace_impl *t = e->t;
    const uint8_t *cur[6];
    e->arrays = cur;
    e->reduced = reduced;
    for (size_t f = 0; f < t->pub.n_folds; f++) {
        uint64_t acc = run_body(e, 2 * f, t->folds[f].init);
        for (uint64_t p = 0; p < len; p++) {
            for (unsigned k = 0; k < MAX_ARRAYS; k++)
                cur[k] = base[k] ? base[k] + (int64_t)p * step_bytes[k] : NULL;
            e->acc = acc;
            acc = run_body(e, 2 * f + 1, t->folds[f].step);
        }
        reduced[f] = acc;
    }
}

static float bits_f32(uint64_t v)
{
    const uint32_t u = (uint32_t)v;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

gk_status gk_op_trace_eval(const gk_op_trace *trace,
                           const void *const *arrays,
                           const float *scalars,
                           const size_t *sizes,
                           double *ret)
{
    static const char api[] = "gk_op_trace_eval";
    GK_CHECK(trace && arrays && sizes, GK_EINVAL, api, "NULL argument");
    /* the arguments of the signature: every array given, scalars when it has some, and the
     * element counts the arrays must hold representable */
    const gk_param *params = NULL;
    size_t n_params = 0, n_array_params = 0, n_scalars = 0, n_sizes = 0;
    GK_TRY(gk_sig_params(trace->sig, &params, &n_params));
    for (size_t i = 0; i < n_params; i++) {
        if (params[i].kind == GK_PARAM_SCALAR)
            n_scalars++;
        else if (params[i].kind == GK_PARAM_SIZE)
            n_sizes++;
        else if (params[i].kind != GK_PARAM_FLAG)
            GK_CHECK(arrays[n_array_params++] != NULL, GK_EINVAL, api, "array %s is NULL",
                     params[i].name);
    }
    GK_CHECK(n_scalars == 0 || scalars, GK_EINVAL, api, "NULL scalars");
    size_t elems = 1;
    for (size_t i = 0; i < n_sizes; i++)
        GK_CHECK(gk_mul_size(elems, sizes[i], &elems) && gk_mul_size(elems, 8, &(size_t){0}),
                 GK_EOVERFLOW, api, "sizes overflow");
    GK_CHECK(ret || (trace->sig != GK_SIG_REDUCE && trace->sig != GK_SIG_DOT), GK_EINVAL, api,
             "NULL ret");
    GK_CHECK(
        trace->sig != GK_SIG_DEQUANT || (trace->block_elems && sizes[0] % trace->block_elems == 0),
        GK_EINVAL, api, "n %zu not a multiple of the block (%u)", sizes[0], trace->block_elems);
    GK_CHECK(trace->sig != GK_SIG_ROPE ||
                 (sizes[2] % 2 == 0 && sizes[2] <= sizes[1] && sizes[3] <= 1),
             GK_EINVAL, api, "rope: rot_dim %zu (head_dim %zu) or flag %zu", sizes[2], sizes[1],
             sizes[3]);
    const trace_impl *t = (const trace_impl *)trace;
    const size_t res_body = body_no(trace, BODY_RESULT);
    GK_CHECK(
        trace->ops[trace->result].type == GK_TT_F32 ||
            (trace->pattern == GK_PATTERN_REDUCTION && trace->ops[trace->result].type == GK_TT_F64),
        GK_EINVAL, "gk_op_trace_eval", "result of type %s",
        type_name(trace->ops[trace->result].type));
    uint64_t *vals = malloc((trace->n_ops + 1) * sizeof *vals);
    uint64_t reduced[16 + 1];
    GK_CHECK(vals != NULL, GK_ENOMEM, "gk_op_trace_eval", "out of memory");
    GK_CHECK(trace->n_folds <= 16, GK_EINVAL, "gk_op_trace_eval", "too many folds");
    eval_ctx e = {.t = t, .scalars = scalars, .vals = vals};
    const uint8_t *base[6] = {NULL};
    const uint8_t *cur[6] = {NULL};
    int64_t step[6] = {0};
    gk_status st = GK_OK;
    switch (trace->sig) {
    case GK_SIG_UNARY:
    case GK_SIG_BINARY:
    case GK_SIG_SCALE:
    case GK_SIG_AXPY: {
        const unsigned n_arrays = trace->sig == GK_SIG_UNARY    ? 2
                                  : trace->sig == GK_SIG_BINARY ? 3
                                  : trace->sig == GK_SIG_SCALE  ? 1
                                                                : 2;
        const unsigned out = trace->sig == GK_SIG_UNARY ? 1 : trace->sig == GK_SIG_BINARY ? 2 : 0;
        const size_t n = sizes[0];
        e.size = n;
        e.arrays = cur;
        float *y = (float *)(uintptr_t)arrays[out];
        for (size_t i = 0; i < n; i++) {
            for (unsigned k = 0; k < n_arrays; k++)
                cur[k] = (const uint8_t *)arrays[k] + 4 * i;
            const float v = bits_f32(run_body(&e, res_body, trace->result));
            y[i] = v;
        }
        break;
    }
    case GK_SIG_REDUCE:
    case GK_SIG_DOT: {
        const unsigned n_arrays = trace->sig == GK_SIG_REDUCE ? 1 : 2;
        for (unsigned k = 0; k < n_arrays; k++)
            base[k] = arrays[k], step[k] = 4;
        e.size = sizes[0];
        /* the early exit: the first position where it holds ends the function */
        bool exited = false;
        uint64_t r = 0;
        e.arrays = cur;
        for (size_t p = 0; trace->exit_cond >= 0 && p < sizes[0] && !exited; p++) {
            for (unsigned k = 0; k < n_arrays; k++)
                cur[k] = base[k] + 4 * p;
            if (run_body(&e, body_no(trace, BODY_EXIT_COND), trace->exit_cond) & 1) {
                r = run_body(&e, body_no(trace, BODY_EXIT_VALUE), trace->exit_value);
                exited = true;
            }
        }
        if (!exited) {
            run_folds(&e, base, step, sizes[0], reduced);
            e.arrays = base;
            r = run_body(&e, res_body, trace->result);
        }
        memcpy(ret, &r, sizeof *ret);
        break;
    }
    case GK_SIG_NORM:
    case GK_SIG_LAYER_NORM:
    case GK_SIG_SOFTMAX: {
        /* arrays: row arrays, vectors, then the output (gk_sig_params order) */
        const unsigned n_arrays = trace->sig == GK_SIG_NORM         ? 3
                                  : trace->sig == GK_SIG_LAYER_NORM ? 4
                                                                    : 2;
        const unsigned out = n_arrays - 1;
        const size_t rows = sizes[0], cols = sizes[1];
        e.size = cols;
        for (size_t r = 0; r < rows; r++) {
            for (unsigned k = 0; k < n_arrays; k++) {
                const bool is_row = k == 0 || k == out;
                base[k] = (const uint8_t *)arrays[k] + (is_row ? 4 * r * cols : 0);
                step[k] = 4;
            }
            base[out] = NULL;
            run_folds(&e, base, step, cols, reduced);
            e.arrays = cur;
            float *y = (float *)(uintptr_t)arrays[out] + r * cols;
            for (size_t i = 0; i < cols; i++) {
                for (unsigned k = 0; k < out; k++)
                    cur[k] = base[k] + 4 * i;
                cur[out] = NULL;
                y[i] = bits_f32(run_body(&e, res_body, trace->result));
            }
        }
        break;
    }
    case GK_SIG_GEMM: {
        const size_t m = sizes[0], n = sizes[1], k = sizes[2];
        e.size = k;
        float *c = (float *)(uintptr_t)arrays[2];
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++) {
                base[0] = (const uint8_t *)arrays[0] + 4 * i * k;
                step[0] = 4;
                base[1] = (const uint8_t *)arrays[1] + 4 * j;
                step[1] = (int64_t)(4 * n);
                base[2] = NULL;
                run_folds(&e, base, step, k, reduced);
                e.arrays = base;
                c[i * n + j] = bits_f32(run_body(&e, res_body, trace->result));
            }
        break;
    }
    case GK_SIG_DEQUANT: {
        const size_t n = sizes[0], be = trace->block_elems;
        float *y = (float *)(uintptr_t)arrays[1];
        e.arrays = cur;
        for (size_t blk = 0; blk < n / be; blk++) {
            cur[0] = (const uint8_t *)arrays[0] + blk * trace->block_bytes;
            for (size_t sg = 0; sg < trace->n_segments; sg++) {
                const gk_trace_segment *seg = &trace->segments[sg];
                for (uint32_t q = seg->start; q < seg->end; q++) {
                    e.unit = q;
                    y[blk * be + q] =
                        bits_f32(run_body(&e, body_no(trace, BODY_SEGMENT0 + sg), seg->result));
                }
            }
        }
        break;
    }
    case GK_SIG_ROPE: {
        /* every element of a head's rotated part is computed from the original values */
        const size_t n_heads = sizes[0], head_dim = sizes[1], rot = sizes[2], half = rot / 2;
        const gk_pair_style style = trace->pair_style[sizes[3]];
        float *tmp = malloc((rot ? rot : 1) * sizeof *tmp);
        if (!tmp) {
            st = gk_error_set(GK_ENOMEM, api, __FILE__, __LINE__, "out of memory");
            break;
        }
        const uint8_t *pcur[6] = {NULL};
        e.arrays = cur;
        e.partner = pcur;
        e.unit = (int64_t)(4 * rot);
        const uint8_t *table = arrays[1];
        for (size_t h = 0; h < n_heads; h++) {
            float *head = (float *)(uintptr_t)arrays[0] + h * head_dim;
            memcpy(tmp, head, rot * sizeof *tmp);
            for (size_t j = 0; j < rot; j++) {
                const size_t pj = style == GK_PAIR_ADJACENT ? j ^ 1
                                  : j < half                ? j + half
                                                            : j - half;
                cur[0] = (const uint8_t *)(tmp + j), cur[1] = table + 4 * j;
                pcur[0] = (const uint8_t *)(tmp + pj), pcur[1] = table + 4 * pj;
                head[j] = bits_f32(
                    pj < j ? run_body(&e, body_no(trace, BODY_SECOND), trace->result_second)
                           : run_body(&e, res_body, trace->result));
            }
        }
        free(tmp);
        break;
    }
    default: st = gk_error_set(GK_EINVAL, "gk_op_trace_eval", __FILE__, __LINE__, "unknown sig");
    }
    free(vals);
    return st;
}

gk_status gk_op_trace_eval_unary(const gk_op_trace *t, const float *x, float *y, size_t n)
{
    GK_CHECK(t && x && y, GK_EINVAL, "gk_op_trace_eval_unary", "NULL argument");
    GK_CHECK(t->sig == GK_SIG_UNARY, GK_EINVAL, "gk_op_trace_eval_unary", "trace of a %s op",
             gk_sig_name(t->sig));
    const void *arrays[2] = {x, y};
    return gk_op_trace_eval(t, arrays, NULL, &n, NULL);
}

gk_status
gk_op_trace_eval_binary(const gk_op_trace *t, const float *a, const float *b, float *out, size_t n)
{
    GK_CHECK(t && a && b && out, GK_EINVAL, "gk_op_trace_eval_binary", "NULL argument");
    GK_CHECK(t->sig == GK_SIG_BINARY, GK_EINVAL, "gk_op_trace_eval_binary", "trace of a %s op",
             gk_sig_name(t->sig));
    const void *arrays[3] = {a, b, out};
    return gk_op_trace_eval(t, arrays, NULL, &n, NULL);
}

/* ---- printer --------------------------------------------------------------------------------- */

typedef struct sbuf {
    char *buf;
    size_t cap, len;
} sbuf;

__attribute__((format(printf, 2, 3))) static void put(sbuf *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *at = s->len < s->cap ? s->buf + s->len : NULL;
    const int k = vsnprintf(at, at ? s->cap - s->len : 0, fmt, ap);
    va_end(ap);
    if (k > 0) s->len += (size_t)k;
}

static void put_pred(sbuf *s, unsigned p)
{
    put(s, " %s%s%s%s%s", p & GK_PRED_LT ? "lt" : "", p & GK_PRED_EQ ? "eq" : "",
        p & GK_PRED_GT ? "gt" : "", p & GK_PRED_UN ? "un" : "", p & GK_PRED_SIGNED ? ".s" : "");
}

size_t gk_op_trace_print(const gk_op_trace *t, char *buf, size_t cap)
{
    sbuf s = {.buf = buf, .cap = cap};
    if (cap) buf[0] = 0;
    if (!t) return 0;
    put(&s, "pattern %s, sig %s, %zu ops, %zu folds", gk_trace_pattern_name(t->pattern),
        gk_sig_name(t->sig), t->n_ops, t->n_folds);
    if (t->pattern == GK_PATTERN_DEQUANT)
        put(&s, ", blocks of %u elements / %u bytes", t->block_elems, t->block_bytes);
    put(&s, "\n");
    for (size_t i = 0; i < t->n_ops; i++) {
        const gk_trace_op *o = &t->ops[i];
        put(&s, "  %%%zu = %s.%s", i, gk_trace_opcode_name((gk_trace_opcode)o->opcode),
            type_name(o->type));
        switch (o->opcode) {
        case GK_TOP_INPUT:
            put(&s, " arg%d", o->a);
            if (t->pattern == GK_PATTERN_PAIRWISE) {
                put(&s, "[%s", o->pred == GK_INPUT_PARTNER ? "partner(j)" : "j");
                if (o->b) put(&s, " + %d*rot_dim", o->b);
                if (o->imm)
                    put(&s, "] +%" PRId64 " bytes", (int64_t)o->imm);
                else
                    put(&s, "]");
            } else if (o->imm || o->b) {
                put(&s, " %+" PRId64, (int64_t)o->imm);
                if (o->b) put(&s, " %+d*q", o->b);
            }
            break;
        case GK_TOP_PARAM:
        case GK_TOP_REDUCED: put(&s, " %d", o->a); break;
        case GK_TOP_CONST:
            if (o->type == GK_TT_F32)
                put(&s, " %a", (double)bits_f32(o->imm));
            else if (o->type == GK_TT_F64) {
                double d;
                memcpy(&d, &o->imm, sizeof d);
                put(&s, " %a", d);
            } else
                put(&s, " 0x%" PRIx64, o->imm);
            break;
        default: {
            if (o->opcode == GK_TOP_FCMP || o->opcode == GK_TOP_ICMP) put_pred(&s, o->pred);
            if (o->opcode == GK_TOP_CVT && o->pred == GK_CVT_UNSIGNED) put(&s, " unsigned");
            const int ar = gk_trace_opcode_arity(o->opcode);
            if (ar >= 1) put(&s, " %%%d", o->a);
            if (ar >= 2) put(&s, " %%%d", o->b);
            if (ar >= 3) put(&s, " %%%d", o->c);
        }
        }
        put(&s, "\n");
    }
    for (size_t f = 0; f < t->n_folds; f++)
        put(&s, "  fold %zu: init %%%d, step %%%d\n", f, t->folds[f].init, t->folds[f].step);
    if (t->exit_cond >= 0)
        put(&s, "  exit: at the first position where %%%d holds, the result is %%%d\n",
            t->exit_cond, t->exit_value);
    for (size_t g = 0; g < t->n_segments; g++)
        put(&s, "  result for q in [%u, %u): %%%d\n", t->segments[g].start, t->segments[g].end,
            t->segments[g].result);
    if (t->pattern == GK_PATTERN_PAIRWISE) {
        put(&s, "  partner(j): neox=0 %s, neox=1 %s\n",
            t->pair_style[0] == GK_PAIR_ADJACENT ? "j^1" : "j+-rot_dim/2",
            t->pair_style[1] == GK_PAIR_ADJACENT ? "j^1" : "j+-rot_dim/2");
        put(&s, "  result for j < partner(j): %%%d, for j > partner(j): %%%d\n", t->result,
            t->result_second);
    } else if (t->n_segments == 0) {
        put(&s, "  result %%%d\n", t->result);
    }
    return s.len;
}
