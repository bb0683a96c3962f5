/* SPDX-License-Identifier: MIT */
/* From runs of the symbolic executor to a trace. Each signature kind is run with a few concrete
 * sizes; every output element's value (a DAG over array elements) is then generalised:
 *   - an element of an input at the output's own position becomes INPUT (elementwise);
 *   - a value that depends on every position of the axis must be a fold: its last step
 *     F(acc, elements at the last position) is peeled off, and F is checked to rebuild the value
 *     exactly, position by position, down to an initial value that depends on no element;
 *   - for quant-decode, the block splits into segments of elements whose bodies are the same
 *     up to byte offsets affine in q;
 *   - a reduction's result may be nested early exits, one per position (vec_max's NaN return);
 *   - for pair-wise ops (rope), every element read is the element itself, its partner, or a
 *     table entry of either (+ rot_dim), under one partner rule per flag value.
 * All output elements of all runs must give the same generalised body (the same hash-consed
 * id), so the trace holds for every size the runs stand for; anything else is unsupported. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "jit/symexec/symexec.h"

enum {
    ROLE_ELEM,
    ROLE_ROW,
    ROLE_VEC,
    ROLE_OUT,
    ROLE_INOUT,
    ROLE_BLOCKS,
    ROLE_GEMM_A,
    ROLE_GEMM_B,
    ROLE_ROPE_X,
    ROLE_ROPE_TABLE
};

enum {
    DIM_N,
    DIM_ROWS,
    DIM_COLS,
    DIM_M,
    DIM_GN,
    DIM_K,
    DIM_HEADS,
    DIM_HEAD_DIM,
    DIM_ROT,
    DIM_FLAG,
    DIM_COUNT
};

typedef struct layout {
    gk_trace_pattern pattern;
    int n_int;

    struct {
        bool is_array;
        int role; /* arrays */
        int dim;  /* sizes */
    } ints[6];

    int n_arrays, n_float;
    bool ret_f64;
    int out_array; /* the written array, -1 for REDUCTION */
    int axis_dim;  /* the dimension folds run over (-1: no folds) */
} layout;

static const int DIM_NONE = -1;

static void add_array(layout *l, int role)
{
    l->ints[l->n_int].is_array = true;
    l->ints[l->n_int++].role = role;
    l->n_arrays++;
}

static void add_size(layout *l, int dim)
{
    l->ints[l->n_int++].dim = dim;
}

static bool get_layout(gk_sig sig, layout *l)
{
    memset(l, 0, sizeof *l);
    l->axis_dim = DIM_NONE;
#define ARR(role_) add_array(l, role_)
#define SIZE(dim_) add_size(l, dim_)
    switch (sig) {
    case GK_SIG_UNARY:
        ARR(ROLE_ELEM), ARR(ROLE_OUT), SIZE(DIM_N);
        l->pattern = GK_PATTERN_ELEMENTWISE, l->out_array = 1;
        break;
    case GK_SIG_BINARY:
        ARR(ROLE_ELEM), ARR(ROLE_ELEM), ARR(ROLE_OUT), SIZE(DIM_N);
        l->pattern = GK_PATTERN_BINARY, l->out_array = 2;
        break;
    case GK_SIG_SCALE:
        ARR(ROLE_INOUT), SIZE(DIM_N);
        l->pattern = GK_PATTERN_ELEMENTWISE, l->out_array = 0, l->n_float = 1;
        break;
    case GK_SIG_AXPY:
        ARR(ROLE_INOUT), ARR(ROLE_ELEM), SIZE(DIM_N);
        l->pattern = GK_PATTERN_ELEMENTWISE, l->out_array = 0, l->n_float = 1;
        break;
    case GK_SIG_REDUCE:
        ARR(ROLE_ROW), SIZE(DIM_N);
        l->pattern = GK_PATTERN_REDUCTION, l->out_array = -1, l->ret_f64 = true,
        l->axis_dim = DIM_N;
        break;
    case GK_SIG_DOT:
        ARR(ROLE_ROW), ARR(ROLE_ROW), SIZE(DIM_N);
        l->pattern = GK_PATTERN_REDUCTION, l->out_array = -1, l->ret_f64 = true,
        l->axis_dim = DIM_N;
        break;
    case GK_SIG_NORM:
        ARR(ROLE_ROW), ARR(ROLE_VEC), ARR(ROLE_OUT), SIZE(DIM_ROWS), SIZE(DIM_COLS);
        l->pattern = GK_PATTERN_NORM, l->out_array = 2, l->n_float = 1, l->axis_dim = DIM_COLS;
        break;
    case GK_SIG_LAYER_NORM:
        ARR(ROLE_ROW), ARR(ROLE_VEC), ARR(ROLE_VEC), ARR(ROLE_OUT), SIZE(DIM_ROWS), SIZE(DIM_COLS);
        l->pattern = GK_PATTERN_NORM, l->out_array = 3, l->n_float = 1, l->axis_dim = DIM_COLS;
        break;
    case GK_SIG_SOFTMAX:
        ARR(ROLE_ROW), ARR(ROLE_OUT), SIZE(DIM_ROWS), SIZE(DIM_COLS);
        l->pattern = GK_PATTERN_NORM, l->out_array = 1, l->axis_dim = DIM_COLS;
        break;
    case GK_SIG_GEMM:
        ARR(ROLE_GEMM_A), ARR(ROLE_GEMM_B), ARR(ROLE_OUT), SIZE(DIM_M), SIZE(DIM_GN), SIZE(DIM_K);
        l->pattern = GK_PATTERN_GEMM, l->out_array = 2, l->axis_dim = DIM_K;
        break;
    case GK_SIG_DEQUANT:
        ARR(ROLE_BLOCKS), ARR(ROLE_OUT), SIZE(DIM_N);
        l->pattern = GK_PATTERN_DEQUANT, l->out_array = 1;
        break;
    case GK_SIG_ROPE:
        ARR(ROLE_ROPE_X), ARR(ROLE_ROPE_TABLE), SIZE(DIM_HEADS), SIZE(DIM_HEAD_DIM), SIZE(DIM_ROT),
            SIZE(DIM_FLAG);
        l->pattern = GK_PATTERN_PAIRWISE, l->out_array = 0;
        break;
    default: return false;
    }
#undef ARR
#undef SIZE
    return true;
}

/* ---- one analysis ---------------------------------------------------------------------------- */

enum { MAX_FOLDS = 16, MAX_SEGMENTS = 64 };

typedef struct lifter {
    const gk_scalar_op_desc *desc;
    const gk_sx_env *env;
    layout lay;
    int array_of_int[6];      /* int slot -> array number */
    int role[6];              /* array number -> role */
    uint64_t dims[DIM_COUNT]; /* the run's sizes by DIM_* */
    gk_dag run;               /* the executor's DAG, one run at a time */
    gk_dag tr;                /* generalised bodies, shared by all runs */
    gk_sx_result *res;
    gk_sx_cache *cache;
    /* the current output context */
    int64_t ctx_r, ctx_j; /* row (or gemm i / dequant block) and column (or gemm j / q) */
    int64_t own_pos;      /* the position that is "the element" in the result body, or -1 */
    uint64_t axis_len;
    /* per run-node scratch, sized run.cap */
    uint64_t *deps;
    int8_t *dep_state; /* 0 unseen, 1 done, -1 invalid (an element outside the context) */
    int32_t *red_of;
    int32_t *memo;
    uint32_t *memo_stamp;
    uint32_t stamp;
    /* folds found so far (trace ids) */
    int n_folds;
    int32_t fold_init[MAX_FOLDS], fold_step[MAX_FOLDS];
    int32_t ctx_fold_node[MAX_FOLDS]; /* the run node of each fold in this context */
    const char *why;
    long visits; /* bound on the accumulator search over shared DAG nodes */
    gk_sx_stats stats;
    /* REDUCTION: the early exit (trace ids; -1 none, -2 not yet known) */
    int32_t exit_cond, exit_value;
    /* DEQUANT: the segments of a block */
    int n_segments;
    gk_trace_segment segments[MAX_SEGMENTS];
    uint8_t *strided; /* per trace node: 0 unknown, 1 no INPUT with a stride below, 2 some */
    /* PAIRWISE: the partner rule being tried, and the one found per flag value (-1 none) */
    gk_pair_style style;
    int style_of_flag[2];
    int32_t root_second; /* the body of the higher element of each pair */
    int64_t memo_block;  /* DEQUANT: the block the memo holds rebuilt nodes of (-1 none) */
} lifter;

enum { MAX_VISITS = 4096 };

/* Position of array element (array, byte offset) in the current context; -1 if outside. For
 * blocks, the byte offset inside the context's block. */
static int64_t classify(const lifter *L, int array, int64_t off, unsigned width)
{
    const int role = L->role[array];
    if (role == ROLE_BLOCKS) {
        const int64_t o = off - L->ctx_r * (int64_t)L->desc->block_bytes;
        return o >= 0 && o + (int64_t)(width / 8) <= (int64_t)L->desc->block_bytes ? o : -1;
    }
    if (off % 4) return -1;
    const int64_t e = off / 4;
    const int64_t cols = (int64_t)L->axis_len;
    switch (role) {
    case ROLE_ELEM:
    case ROLE_INOUT: return e == L->ctx_j ? e : -1;
    case ROLE_ROW: {
        const int64_t q = e - L->ctx_r * cols;
        return q >= 0 && q < cols ? q : -1;
    }
    case ROLE_VEC: return e >= 0 && e < cols ? e : -1;
    case ROLE_GEMM_A: {
        const int64_t q = e - L->ctx_r * (int64_t)L->dims[DIM_K];
        return q >= 0 && q < (int64_t)L->dims[DIM_K] ? q : -1;
    }
    case ROLE_GEMM_B: {
        const int64_t n = (int64_t)L->dims[DIM_GN];
        const int64_t d = e - L->ctx_j;
        return d >= 0 && d % n == 0 && d / n < (int64_t)L->dims[DIM_K] ? d / n : -1;
    }
    default: return -1;
    }
}

static int32_t
trace_input(lifter *L, int array, gk_trace_type t, uint64_t imm, int32_t stride, unsigned pred)
{
    return gk_dag_add(&L->tr, (gk_trace_op){.opcode = GK_TOP_INPUT,
                                            .type = (uint8_t)t,
                                            .pred = (uint8_t)pred,
                                            .a = array,
                                            .b = stride,
                                            .imm = imm});
}

/* PAIRWISE: the partner of element j of a head under the rule being tried. */
static int64_t partner_of(const lifter *L, int64_t j)
{
    const int64_t half = (int64_t)L->dims[DIM_ROT] / 2;
    if (L->style == GK_PAIR_ADJACENT) return j ^ 1;
    return j < half ? j + half : j - half;
}

/* PAIRWISE: the INPUT of array element (array, byte offset) for element ctx_j of head ctx_r:
 * x at j or partner(j), the table at j or partner(j) plus 0 or rot_dim. -1 otherwise. */
static int32_t pairwise_input(lifter *L, int array, int64_t off, gk_trace_type t)
{
    if (off % 4 || t != GK_TT_F32) return -1;
    const int64_t e = off / 4, j = L->ctx_j, pj = partner_of(L, j);
    const int64_t rot = (int64_t)L->dims[DIM_ROT];
    if (L->role[array] == ROLE_ROPE_X) {
        const int64_t local = e - L->ctx_r * (int64_t)L->dims[DIM_HEAD_DIM];
        if (local == j) return trace_input(L, array, t, 0, 0, GK_INPUT_OWN);
        if (local == pj) return trace_input(L, array, t, 0, 0, GK_INPUT_PARTNER);
        return -1;
    }
    for (int k = 0; k < 2; k++) {
        if (e == j + k * rot) return trace_input(L, array, t, 0, k, GK_INPUT_OWN);
        if (e == pj + k * rot) return trace_input(L, array, t, 0, k, GK_INPUT_PARTNER);
    }
    return -1;
}

/* deps of every node under u (positions of the axis it reads), folds recognised bottom-up. */
static bool try_fold(lifter *L, int32_t u);

enum { MAX_DEPTH = 1500 }; /* recursion bound over DAG depth (hostile code makes deep DAGs) */

static void compute_deps(lifter *L, int32_t u, int depth)
{
    if (L->dep_state[u] != 0) return;
    if (depth > MAX_DEPTH) {
        L->dep_state[u] = -1;
        return;
    }
    const gk_trace_op *n = gk_dag_node(&L->run, u);
    uint64_t d = 0;
    int8_t st = 1;
    if (n->opcode == GK_DAG_MEM) {
        const int64_t p =
            classify(L, n->a, (int64_t)n->imm, gk_trace_type_bits((gk_trace_type)n->type));
        if (p < 0)
            st = -1;
        else if (L->role[n->a] == ROLE_BLOCKS)
            d = 0;
        else if (p < 64)
            d = 1ull << p;
        else
            st = -1;
    } else {
        const int ar = gk_trace_opcode_arity(n->opcode);
        const int32_t kids[3] = {n->a, n->b, n->c};
        for (int i = 0; i < ar; i++) {
            compute_deps(L, kids[i], depth + 1);
            if (L->dep_state[kids[i]] < 0) st = -1;
            d |= L->deps[kids[i]];
        }
    }
    L->deps[u] = d;
    L->dep_state[u] = st;
    const uint64_t full = L->axis_len >= 64 ? ~0ull : (1ull << L->axis_len) - 1;
    if (st > 0 && L->lay.axis_dim != DIM_NONE && L->axis_len >= 2 && d == full &&
        L->red_of[u] < 0 && try_fold(L, u))
        L->deps[u] = 0;
}

typedef struct rb_mode {
    int64_t pos; /* the position whose elements are INPUT */
    int32_t acc; /* run node that becomes ACC, or -1 */
} rb_mode;

static int32_t rebuild(lifter *L, int32_t u, const rb_mode *m, int depth)
{
    if (L->memo_stamp[u] == L->stamp) return L->memo[u];
    if (depth > MAX_DEPTH) {
        L->why = "expression too deep";
        return -1;
    }
    const gk_trace_op *n = gk_dag_node(&L->run, u);
    int32_t r = -1;
    if (u == m->acc) {
        r = gk_dag_add(&L->tr, (gk_trace_op){.opcode = GK_TOP_ACC, .type = n->type});
    } else if (L->red_of[u] >= 0) {
        r = gk_dag_add(&L->tr,
                       (gk_trace_op){.opcode = GK_TOP_REDUCED, .type = n->type, .a = L->red_of[u]});
    } else {
        switch (n->opcode) {
        case GK_DAG_MEM: {
            if (L->lay.pattern == GK_PATTERN_PAIRWISE) {
                r = pairwise_input(L, n->a, (int64_t)n->imm, (gk_trace_type)n->type);
                if (r < 0)
                    L->why = "an element reads other elements than itself, its partner (j^1 or "
                             "j+-rot_dim/2) and their table entries";
                break;
            }
            const int64_t p =
                classify(L, n->a, (int64_t)n->imm, gk_trace_type_bits((gk_trace_type)n->type));
            if (L->role[n->a] == ROLE_BLOCKS && p >= 0)
                r = trace_input(L, n->a, (gk_trace_type)n->type, (uint64_t)p, 0, 0);
            else if (p >= 0 && p == m->pos && L->role[n->a] != ROLE_OUT)
                r = trace_input(L, n->a, (gk_trace_type)n->type, 0, 0, 0);
            else
                L->why = "a value depends on array elements outside its own element and the folds";
            break;
        }
        case GK_DAG_OPAQUE: L->why = "a value the function never computed is used"; break;
        case GK_TOP_CONST:
        case GK_TOP_PARAM:
        case GK_TOP_SIZE: r = gk_dag_add(&L->tr, *n); break;
        default: {
            const int ar = gk_trace_opcode_arity(n->opcode);
            gk_trace_op o = *n;
            int32_t *kids[3] = {&o.a, &o.b, &o.c};
            for (int i = 0; i < ar; i++) {
                *kids[i] = rebuild(L, *kids[i], m, depth + 1);
                if (*kids[i] < 0) return -1;
            }
            r = gk_dag_add(&L->tr, o);
            if (r < 0 && !L->why) L->why = "trace too large";
        }
        }
    }
    L->memo[u] = r;
    L->memo_stamp[u] = L->stamp;
    return r;
}

/* Does step body f, evaluated at position pos, produce run node u? Binds ACC to *acc. */
static bool match(lifter *L, int32_t f, int32_t u, int64_t pos, int32_t *acc, int budget)
{
    if (budget <= 0) return false;
    const gk_trace_op *fn = gk_dag_node(&L->tr, f);
    const gk_trace_op *un = gk_dag_node(&L->run, u);
    switch (fn->opcode) {
    case GK_TOP_ACC:
        if (*acc < 0) *acc = u;
        return *acc == u && un->type == fn->type;
    case GK_TOP_INPUT:
        return un->opcode == GK_DAG_MEM && un->a == fn->a && un->type == fn->type &&
               classify(L, un->a, (int64_t)un->imm, gk_trace_type_bits((gk_trace_type)un->type)) ==
                   pos;
    case GK_TOP_REDUCED: return L->red_of[u] == fn->a;
    case GK_TOP_CONST:
    case GK_TOP_PARAM:
    case GK_TOP_SIZE:
        return un->opcode == fn->opcode && un->type == fn->type && un->imm == fn->imm &&
               un->a == fn->a;
    default: break;
    }
    if (un->opcode != fn->opcode || un->type != fn->type || un->pred != fn->pred ||
        un->imm != fn->imm || L->red_of[u] >= 0)
        return false;
    const int ar = gk_trace_opcode_arity(fn->opcode);
    const int32_t fk[3] = {fn->a, fn->b, fn->c}, uk[3] = {un->a, un->b, un->c};
    for (int i = 0; i < ar; i++)
        if (!match(L, fk[i], uk[i], pos, acc, budget - 1)) return false;
    return true;
}

/* Byte offset of array element at position pos in the current context (inverse of classify). */
static int64_t position_offset(const lifter *L, int array, int64_t pos)
{
    const int64_t cols = (int64_t)L->axis_len;
    switch (L->role[array]) {
    case ROLE_ROW: return 4 * (L->ctx_r * cols + pos);
    case ROLE_VEC: return 4 * pos;
    case ROLE_GEMM_A: return 4 * (L->ctx_r * (int64_t)L->dims[DIM_K] + pos);
    case ROLE_GEMM_B: return 4 * (pos * (int64_t)L->dims[DIM_GN] + L->ctx_j);
    default: return 4 * L->ctx_j;
    }
}

/* Step body f instantiated in the run DAG at position pos with ACC = acc (simplified like the
 * executor's values, so it can be compared by id). */
static int32_t instantiate(lifter *L, int32_t f, int64_t pos, int32_t acc, int depth)
{
    const gk_trace_op *fn = gk_dag_node(&L->tr, f);
    if (depth > 256) return -1;
    switch (fn->opcode) {
    case GK_TOP_ACC: return acc;
    case GK_TOP_INPUT:
        return gk_dag_add(&L->run, (gk_trace_op){.opcode = GK_DAG_MEM,
                                                 .type = fn->type,
                                                 .a = fn->a,
                                                 .imm = (uint64_t)position_offset(L, fn->a, pos)});
    case GK_TOP_REDUCED: return L->ctx_fold_node[fn->a];
    case GK_TOP_CONST:
    case GK_TOP_PARAM:
    case GK_TOP_SIZE: return gk_dag_add(&L->run, *fn);
    default: break;
    }
    gk_trace_op o = *fn;
    const int ar = gk_trace_opcode_arity(o.opcode);
    int32_t *k[3] = {&o.a, &o.b, &o.c};
    for (int i = 0; i < ar; i++) {
        *k[i] = instantiate(L, *k[i], pos, acc, depth + 1);
        if (*k[i] < 0) return -1;
    }
    return gk_dag_add(&L->run, o);
}

/* The first step of an integer fold starting from a constant is partly folded by the DAG
 * (0 + t = t, 0 - (-1) = 1): the initial value among 0, 1 and all ones that makes
 * F(init, elements at 0) equal `cur` exactly, or -1. */
static int32_t identity_init(lifter *L, int32_t step, int32_t cur)
{
    const gk_trace_type t = (gk_trace_type)gk_dag_node(&L->tr, step)->type;
    if (gk_trace_type_is_float(t) || t == GK_TT_BOOL) return -1;
    static const uint64_t candidates[3] = {0, 1, ~0ull};
    for (int i = 0; i < 3; i++) {
        const int32_t n_before = L->run.n;
        const int32_t init = gk_dag_const(&L->run, t, candidates[i]);
        const int32_t got = init < 0 ? -1 : instantiate(L, step, 0, init, 0);
        for (int32_t k = n_before; k < L->run.n; k++) {
            L->dep_state[k] = 0;
            L->red_of[k] = -1;
            L->memo_stamp[k] = 0;
        }
        if (got >= 0 && got == cur) return init;
    }
    return -1;
}

/* Nodes under u whose deps are exactly `want`, outermost first (at most `cap`): the candidates
 * for the accumulator before the last step. */
static void
find_acc(lifter *L, int32_t u, uint64_t want, int32_t *found, int *n_found, int cap, int depth)
{
    if (depth > 64 || *n_found >= cap || ++L->visits > MAX_VISITS) return;
    const gk_trace_op *n = gk_dag_node(&L->run, u);
    const int ar = gk_trace_opcode_arity(n->opcode);
    const int32_t kids[3] = {n->a, n->b, n->c};
    for (int i = 0; i < ar && *n_found < cap; i++) {
        const int32_t k = kids[i];
        if (L->dep_state[k] <= 0 || L->red_of[k] >= 0 || (L->deps[k] & want) == 0) continue;
        if (L->deps[k] == want) {
            bool dup = false;
            for (int j = 0; j < *n_found; j++)
                dup = dup || found[j] == k;
            if (!dup) found[(*n_found)++] = k;
        }
        find_acc(L, k, want, found, n_found, cap, depth + 1);
    }
}

/* Is t = fold(F, init) over positions 0..last with accumulator `a` before the last step? */
static bool try_fold_with(lifter *L, int32_t t, int32_t a)
{
    const uint64_t last = L->axis_len - 1;
    const char *why = L->why;
    L->stamp++;
    const rb_mode m = {.pos = (int64_t)last, .acc = a};
    const int32_t step = rebuild(L, t, &m, 0);
    L->why = why;
    if (step < 0) return false;
    /* check the chain down to the first position */
    int32_t cur = a;
    for (int64_t p = (int64_t)last - 1; p >= 0; p--) {
        int32_t acc = -1;
        if (!match(L, step, cur, p, &acc, 256) || acc < 0) {
            if (p != 0 || (acc = identity_init(L, step, cur)) < 0) return false;
        }
        cur = acc;
    }
    if (cur >= L->run.n || (gk_dag_node(&L->run, cur)->opcode != GK_TOP_CONST &&
                            (L->dep_state[cur] != 1 || L->deps[cur] != 0)))
        return false;
    L->stamp++;
    const rb_mode none = {.pos = -1, .acc = -1};
    const int32_t init = rebuild(L, cur, &none, 0);
    L->why = why;
    if (init < 0) return false;
    int idx = -1;
    for (int i = 0; i < L->n_folds; i++)
        if (L->fold_init[i] == init && L->fold_step[i] == step) idx = i;
    if (idx < 0) {
        if (L->n_folds >= MAX_FOLDS) return false;
        idx = L->n_folds++;
        L->fold_init[idx] = init;
        L->fold_step[idx] = step;
    }
    L->red_of[t] = idx;
    L->ctx_fold_node[idx] = t;
    return true;
}

static bool try_fold(lifter *L, int32_t t)
{
    const uint64_t last = L->axis_len - 1;
    const uint64_t want = ((1ull << L->axis_len) - 1) & ~(1ull << last);
    int32_t found[8];
    int n_found = 0;
    L->visits = 0;
    find_acc(L, t, want, found, &n_found, 8, 0);
    for (int i = 0; i < n_found; i++)
        if (try_fold_with(L, t, found[i])) return true;
    return false;
}

/* The generalised body of run node `root` in the current context. */
static int32_t lift_value(lifter *L, int32_t root)
{
    /* without folds (no axis) red_of stays -1 from the start of the run */
    if (L->lay.axis_dim != DIM_NONE) {
        for (int32_t i = 0; i < L->run.n; i++) {
            L->dep_state[i] = 0;
            L->red_of[i] = -1;
        }
        compute_deps(L, root, 0);
    }
    /* a quant-decode body depends on its block only: rebuilt nodes are reused by the block's
     * other elements */
    if (L->lay.pattern != GK_PATTERN_DEQUANT || L->ctx_r != L->memo_block) L->stamp++;
    L->memo_block = L->ctx_r;
    const rb_mode m = {.pos = L->own_pos, .acc = -1};
    return rebuild(L, root, &m, 0);
}

/* ---- runs -------------------------------------------------------------------------------------
 */

static gk_status unsupported(lifter *L, const char *what)
{
    return gk_error_set(GK_EUNSUPPORTED, "gk_jit", __FILE__, __LINE__, "%s: %s", L->desc->name,
                        what);
}

static gk_status run_once(lifter *L)
{
    gk_sx_args args;
    memset(&args, 0, sizeof args);
    args.n_int = L->lay.n_int;
    args.n_float = L->lay.n_float;
    args.ret_f64 = L->lay.ret_f64;
    args.cache = L->cache;
    int size_no = 0;
    for (int i = 0; i < L->lay.n_int; i++) {
        if (L->lay.ints[i].is_array) {
            const int arr = L->array_of_int[i];
            args.ints[i].is_array = true;
            args.ints[i].array = (uint8_t)arr;
            args.array_type[arr] = L->role[arr] == ROLE_BLOCKS ? GK_TT_I8 : GK_TT_F32;
            /* in place: an element input or a row array may be the output buffer */
            args.may_alias[arr] = L->lay.pattern != GK_PATTERN_GEMM &&
                                  (L->role[arr] == ROLE_ELEM || L->role[arr] == ROLE_ROW ||
                                   L->role[arr] == ROLE_OUT || L->role[arr] == ROLE_INOUT);
        } else {
            args.ints[i].value = L->dims[L->lay.ints[i].dim];
            args.ints[i].taint = (uint8_t)(1u << size_no);
            if (L->lay.ints[i].dim == L->lay.axis_dim ||
                (L->lay.axis_dim == DIM_NONE && L->lay.ints[i].dim == DIM_N)) {
                args.axis_taint = args.ints[i].taint;
                args.axis_value = args.ints[i].value;
            }
            size_no++;
        }
    }
    gk_dag_reset(&L->run);
    return gk_sx_run(L->env, &args, &L->run, L->res, &L->stats, "gk_jit");
}

static gk_status dequant_segments(lifter *L, const int32_t *bodies, uint64_t n_out);

/* The condition of a select, negated (a flipped comparison where possible). */
static int32_t negate(lifter *L, int32_t cond)
{
    const gk_trace_op c = *gk_dag_node(&L->tr, cond);
    if (c.opcode == GK_TOP_FCMP || c.opcode == GK_TOP_ICMP) {
        const unsigned rel = GK_PRED_LT | GK_PRED_EQ | GK_PRED_GT |
                             (c.opcode == GK_TOP_FCMP ? (unsigned)GK_PRED_UN : 0u);
        return gk_dag_cmp(&L->tr, c.opcode, c.pred ^ rel, c.a, c.b);
    }
    return gk_dag_op1(&L->tr, GK_TOP_NOT, GK_TT_BOOL, cond);
}

/* A reduction result of the shape select(E(x_0), X(x_0), select(E(x_1), X(x_1), ... R)): an
 * exit taken at the first position p where E holds, with value X (both reading only the
 * elements at p); R is the result when no position exits. Either arm may be the exit (the
 * condition is negated for the false arm). Sets *rest to R and the exit to L->exit_*; an
 * exit at some positions only, or differing between positions, is unsupported. */
static gk_status peel_exits(lifter *L, int32_t root, int32_t *rest)
{
    int32_t u = root, ec = -1, ev = -1;
    int64_t p = 0;
    for (int32_t i = 0; i < L->run.n; i++)
        L->red_of[i] = -1;
    for (; p < (int64_t)L->axis_len; p++) {
        const gk_trace_op *n = gk_dag_node(&L->run, u);
        if (n->opcode != GK_TOP_SELECT) break;
        int32_t c = -1, v = -1, next = -1;
        const char *why = L->why;
        for (int side = 0; side < 2 && next < 0; side++) {
            const rb_mode m = {.pos = p, .acc = -1};
            L->stamp++;
            c = rebuild(L, n->a, &m, 0);
            v = c >= 0 ? rebuild(L, side ? n->c : n->b, &m, 0) : -1;
            if (c >= 0 && v >= 0) {
                if (side) c = negate(L, c);
                next = side ? n->b : n->c;
            }
        }
        L->why = why;
        if (next < 0 || c < 0) break;
        if (p == 0)
            ec = c, ev = v;
        else if (c != ec || v != ev)
            break;
        u = next;
    }
    if (p != 0 && p != (int64_t)L->axis_len)
        return unsupported(L, "an early exit out of the loop that is not the same at every "
                              "position, or depends on the accumulator");
    if (L->exit_cond != -2 && (L->exit_cond != ec || L->exit_value != ev))
        return unsupported(L, "early exits differ between sizes");
    L->exit_cond = ec, L->exit_value = ev;
    *rest = u;
    return GK_OK;
}

/* Lifts every store of the run (not REDUCTION); *root must equal each body (PAIRWISE: root[0]
 * the lower element of each pair, root[1] the higher). */
static gk_status lift_outputs(lifter *L, int32_t *root, int32_t *bodies, uint64_t n_out)
{
    const gk_sx_result *res = L->res;
    const int64_t hd = (int64_t)L->dims[DIM_HEAD_DIM], rot = (int64_t)L->dims[DIM_ROT];
    for (uint64_t s = 0; s < n_out; s++) {
        const gk_sx_store *o = &res->stores[s];
        const uint64_t bound =
            L->lay.pattern == GK_PATTERN_PAIRWISE ? L->dims[DIM_HEADS] * (uint64_t)hd : n_out;
        if (o->array != L->lay.out_array || o->width != 4 || o->off % 4 || o->off < 0 ||
            (uint64_t)o->off / 4 >= bound ||
            (L->lay.pattern == GK_PATTERN_PAIRWISE && (o->off / 4) % hd >= rot))
            return unsupported(L, "writes outside its output elements");
        const int64_t e = o->off / 4;
        switch (L->lay.pattern) {
        case GK_PATTERN_NORM:
            L->ctx_r = e / (int64_t)L->dims[DIM_COLS], L->ctx_j = e % (int64_t)L->dims[DIM_COLS];
            L->own_pos = L->ctx_j;
            break;
        case GK_PATTERN_GEMM:
            L->ctx_r = e / (int64_t)L->dims[DIM_GN], L->ctx_j = e % (int64_t)L->dims[DIM_GN];
            L->own_pos = -1;
            break;
        case GK_PATTERN_DEQUANT:
            L->ctx_r = e / L->desc->block_elems, L->ctx_j = e % L->desc->block_elems;
            L->own_pos = -1;
            break;
        case GK_PATTERN_PAIRWISE: L->ctx_r = e / hd, L->ctx_j = e % hd, L->own_pos = -1; break;
        default: L->ctx_r = 0, L->ctx_j = e, L->own_pos = e; break;
        }
        const int32_t body = lift_value(L, o->node);
        if (body < 0) return unsupported(L, L->why ? L->why : "output not expressible");
        if (bodies) {
            bodies[e] = body;
            continue;
        }
        int32_t *want = root;
        if (L->lay.pattern == GK_PATTERN_PAIRWISE) want += L->ctx_j > partner_of(L, L->ctx_j);
        if (*want >= 0 && *want != body)
            return unsupported(L, "output elements are not all the same function of their inputs");
        *want = body;
    }
    return GK_OK;
}

/* Analyses one run: every output's body must equal *root (set by the first). */
static gk_status lift_run(lifter *L, int32_t *root)
{
    GK_TRY(run_once(L));
    const gk_sx_result *res = L->res;
    if (res->hazard && L->lay.pattern != GK_PATTERN_GEMM && L->lay.pattern != GK_PATTERN_DEQUANT)
        return unsupported(L, "reads an element of one array after writing that element of "
                              "another: wrong when called in place");
    const uint64_t n = L->dims[DIM_N];
    for (int32_t i = 0; i < L->run.n; i++)
        L->red_of[i] = -1;
    L->memo_block = -1;
    if (L->lay.pattern == GK_PATTERN_REDUCTION) {
        if (res->n_stores) return unsupported(L, "a reduction writes to its input");
        L->ctx_r = 0, L->ctx_j = -1, L->own_pos = -1;
        int32_t rest = -1;
        GK_TRY(peel_exits(L, res->ret, &rest));
        const int32_t body = lift_value(L, rest);
        if (body < 0) return unsupported(L, L->why ? L->why : "result not a fold");
        if (*root >= 0 && *root != body) return unsupported(L, "results differ between sizes");
        if (L->exit_value >= 0 &&
            gk_dag_node(&L->tr, L->exit_value)->type != gk_dag_node(&L->tr, body)->type)
            return unsupported(L, "an early exit returns another type than the result");
        *root = body;
        return GK_OK;
    }
    /* the expected outputs: every element of the output array once */
    uint64_t n_out = n;
    if (L->lay.pattern == GK_PATTERN_NORM) n_out = L->dims[DIM_ROWS] * L->dims[DIM_COLS];
    if (L->lay.pattern == GK_PATTERN_GEMM) n_out = L->dims[DIM_M] * L->dims[DIM_GN];
    if (L->lay.pattern == GK_PATTERN_PAIRWISE) n_out = L->dims[DIM_HEADS] * L->dims[DIM_ROT];
    if ((uint64_t)res->n_stores != n_out) return unsupported(L, "does not write each output once");
    if (L->lay.pattern == GK_PATTERN_PAIRWISE) {
        /* the partner rule: whichever of the two explains every read */
        const int flag = (int)L->dims[DIM_FLAG];
        gk_status st = GK_EUNSUPPORTED;
        for (int style = 0; style < 2 && st != GK_OK; style++) {
            int32_t r[2] = {*root, L->root_second};
            L->style = (gk_pair_style)style;
            L->why = NULL;
            st = lift_outputs(L, r, NULL, n_out);
            if (st == GK_OK) *root = r[0], L->root_second = r[1];
        }
        if (st != GK_OK) return st;
        if (L->style_of_flag[flag] >= 0 && L->style_of_flag[flag] != (int)L->style)
            return unsupported(L, "the partner of an element differs between sizes");
        L->style_of_flag[flag] = (int)L->style;
        return GK_OK;
    }
    if (L->lay.pattern != GK_PATTERN_DEQUANT) return lift_outputs(L, root, NULL, n_out);
    int32_t *bodies = malloc(n_out * sizeof *bodies);
    if (!bodies) return GK_ENOMEM;
    gk_status st = lift_outputs(L, root, bodies, n_out);
    if (st == GK_OK) st = dequant_segments(L, bodies, n_out);
    if (st == GK_OK) *root = L->segments[0].result;
    free(bodies);
    return st;
}

/* b0, b1: bodies of elements q0 and q0 + 1 of a block; the same tree with INPUT offsets o0 and
 * o1 becomes INPUT(offset o0 - s q0 + s q, stride s = o1 - o0). */
static int32_t dequant_generalise(lifter *L, int32_t b0, int32_t b1, int64_t q0)
{
    if (b0 == b1) return b0;
    const gk_trace_op x = *gk_dag_node(&L->tr, b0), y = *gk_dag_node(&L->tr, b1);
    if (x.opcode != y.opcode || x.type != y.type || x.pred != y.pred) return -1;
    if (x.opcode == GK_TOP_INPUT) {
        if (x.a != y.a || x.b || y.b) return -1;
        const int64_t stride = (int64_t)(y.imm - x.imm);
        if (stride < -4096 || stride > 4096) return -1;
        return trace_input(L, x.a, (gk_trace_type)x.type, (uint64_t)((int64_t)x.imm - stride * q0),
                           (int32_t)stride, 0);
    }
    if (x.imm != y.imm) return -1;
    const int ar = gk_trace_opcode_arity(x.opcode);
    if (ar == 0) return -1;
    gk_trace_op o = x;
    int32_t *k[3] = {&o.a, &o.b, &o.c};
    const int32_t ya[3] = {y.a, y.b, y.c};
    for (int i = 0; i < ar; i++) {
        *k[i] = dequant_generalise(L, *k[i], ya[i], q0);
        if (*k[i] < 0) return -1;
    }
    return gk_dag_add(&L->tr, o);
}

/* Does trace node g contain an INPUT with a stride? (memoised: trace nodes never change) */
static bool strided(lifter *L, int32_t g)
{
    if (L->strided[g]) return L->strided[g] == 2;
    const gk_trace_op *x = gk_dag_node(&L->tr, g);
    bool r = x->opcode == GK_TOP_INPUT && x->b != 0;
    const int ar = gk_trace_opcode_arity(x->opcode);
    const int32_t k[3] = {x->a, x->b, x->c};
    for (int i = 0; i < ar && !r; i++)
        r = strided(L, k[i]);
    L->strided[g] = r ? 2 : 1;
    return r;
}

/* Is `body` the generalised body g at element q (g with each INPUT offset imm + b q)? A
 * structural comparison: parts without strided INPUTs must be the same node. */
static bool dequant_matches(lifter *L, int32_t g, int32_t body, int64_t q)
{
    if (!strided(L, g)) return g == body;
    const gk_trace_op *x = gk_dag_node(&L->tr, g), *y = gk_dag_node(&L->tr, body);
    if (x->opcode != y->opcode || x->type != y->type || x->pred != y->pred) return false;
    if (x->opcode == GK_TOP_INPUT)
        return y->a == x->a && y->b == 0 && (int64_t)y->imm == (int64_t)x->imm + x->b * q;
    if (x->imm != y->imm) return false;
    const int ar = gk_trace_opcode_arity(x->opcode);
    const int32_t xk[3] = {x->a, x->b, x->c}, yk[3] = {y->a, y->b, y->c};
    for (int i = 0; i < ar; i++)
        if (!dequant_matches(L, xk[i], yk[i], q)) return false;
    return true;
}

/* The elements of every block computed alike (each block's bodies equal the first's), split
 * greedily into the longest runs of one body with offsets affine in q. */
static gk_status dequant_segments(lifter *L, const int32_t *bodies, uint64_t n_out)
{
    const uint32_t be = L->desc->block_elems;
    for (uint64_t e = be; e < n_out; e++)
        if (bodies[e] != bodies[e % be]) return unsupported(L, "blocks are not decoded alike");
    int n_seg = 0;
    for (uint32_t q = 0; q < be;) {
        int32_t g = q + 1 < be ? dequant_generalise(L, bodies[q], bodies[q + 1], q) : -1;
        if (g < 0) g = bodies[q];
        uint32_t end = q + 1;
        while (end < be && dequant_matches(L, g, bodies[end], end))
            end++;
        if (n_seg >= MAX_SEGMENTS)
            return unsupported(L, "more than 64 runs of elements with different bodies in a block");
        L->segments[n_seg++] = (gk_trace_segment){.start = q, .end = end, .result = g};
        q = end;
    }
    L->n_segments = n_seg; /* one run: nothing to compare with */
    return GK_OK;
}

/* The concrete sizes each kind is run with: small, distinct, each loop taken several times. */
static int sizes_for(const layout *l, const gk_scalar_op_desc *d, uint64_t dims[][DIM_COUNT])
{
    switch (l->pattern) {
    case GK_PATTERN_ELEMENTWISE:
    case GK_PATTERN_BINARY: dims[0][DIM_N] = 0, dims[1][DIM_N] = 2, dims[2][DIM_N] = 5; return 3;
    case GK_PATTERN_REDUCTION: dims[0][DIM_N] = 2, dims[1][DIM_N] = 5; return 2;
    case GK_PATTERN_NORM:
        dims[0][DIM_ROWS] = 2, dims[0][DIM_COLS] = 2;
        dims[1][DIM_ROWS] = 1, dims[1][DIM_COLS] = 4;
        return 2;
    case GK_PATTERN_GEMM:
        dims[0][DIM_M] = 2, dims[0][DIM_GN] = 3, dims[0][DIM_K] = 4;
        dims[1][DIM_M] = 1, dims[1][DIM_GN] = 2, dims[1][DIM_K] = 5;
        return 2;
    case GK_PATTERN_DEQUANT: dims[0][DIM_N] = 2ull * d->block_elems; return 1;
    case GK_PATTERN_PAIRWISE:
        /* both flag values; partial rotation over two heads, then a whole head (rot_dim >= 4:
         * with 2 the two partner rules coincide) */
        for (int r = 0; r < 4; r++) {
            dims[r][DIM_HEADS] = r < 2 ? 2 : 1;
            dims[r][DIM_HEAD_DIM] = r < 2 ? 6 : 8;
            dims[r][DIM_ROT] = r < 2 ? 4 : 8;
            dims[r][DIM_FLAG] = (uint64_t)(r % 2);
        }
        return 4;
    }
    return 0;
}

gk_status gk_sx_lift(const gk_scalar_op_desc *desc, const gk_sx_env *env, gk_op_trace **out)
{
    lifter *L = calloc(1, sizeof *L);
    if (!L) return GK_ENOMEM;
    L->desc = desc;
    L->env = env;
    gk_status st = GK_OK;
    if (!get_layout(desc->sig, &L->lay)) {
        free(L);
        return gk_error_set(GK_EUNSUPPORTED, "gk_jit", __FILE__, __LINE__,
                            "%s: signature kind %s is not analysed yet", desc->name,
                            gk_sig_name(desc->sig));
    }
    if (desc->sig == GK_SIG_DEQUANT && (desc->block_elems < 2 || desc->block_elems > 256 ||
                                        desc->block_bytes == 0 || desc->block_bytes > 4096)) {
        free(L);
        return gk_error_set(GK_EINVAL, "gk_jit", __FILE__, __LINE__,
                            "%s: block geometry %u elements / %u bytes", desc->name,
                            desc->block_elems, desc->block_bytes);
    }
    int arr = 0;
    for (int i = 0; i < L->lay.n_int; i++)
        if (L->lay.ints[i].is_array) {
            L->array_of_int[i] = arr;
            L->role[arr++] = L->lay.ints[i].role;
        }
    /* run DAG nodes: softmax needs ~450, two Q4_K blocks ~4000; more is "too large" */
    const int32_t cap = desc->sig == GK_SIG_DEQUANT ? 6144 : 1 << 11;
    const int32_t tr_cap = desc->sig == GK_SIG_DEQUANT ? 1 << 12 : 1 << 10;
    L->exit_cond = L->exit_value = -2;
    L->style_of_flag[0] = L->style_of_flag[1] = -1;
    L->root_second = -1;
    L->res = malloc(sizeof *L->res);
    L->cache = gk_sx_cache_create();
    L->deps = malloc((size_t)cap * sizeof *L->deps);
    L->dep_state = malloc((size_t)cap);
    L->red_of = malloc((size_t)cap * sizeof *L->red_of);
    L->memo = malloc((size_t)cap * sizeof *L->memo);
    L->memo_stamp = calloc((size_t)cap, sizeof *L->memo_stamp);
    if (!L->res || !L->cache || !L->deps || !L->dep_state || !L->red_of || !L->memo ||
        !L->memo_stamp || gk_dag_init(&L->run, cap) < 0 || gk_dag_init(&L->tr, tr_cap) < 0 ||
        !(L->strided = calloc((size_t)tr_cap, 1))) {
        st = GK_ENOMEM;
        goto out;
    }
    uint64_t dims[4][DIM_COUNT];
    memset(dims, 0, sizeof dims);
    const int n_runs = sizes_for(&L->lay, desc, dims);
    int32_t root = -1;
    for (int r = 0; r < n_runs && st == GK_OK; r++) {
        memcpy(L->dims, dims[r], sizeof L->dims);
        const int dim = L->lay.axis_dim == DIM_NONE ? DIM_N : L->lay.axis_dim;
        L->axis_len = L->dims[dim];
        st = lift_run(L, &root);
    }
    if (st == GK_OK && root < 0) st = unsupported(L, "no output");
    if (st == GK_OK && L->lay.pattern == GK_PATTERN_PAIRWISE &&
        (L->style_of_flag[0] < 0 || L->style_of_flag[1] < 0 || L->root_second < 0))
        st = unsupported(L, "no partner rule");
    if (st == GK_OK) {
        const gk_trace_parts parts = {.pattern = L->lay.pattern,
                                      .fold_init = L->fold_init,
                                      .fold_step = L->fold_step,
                                      .n_folds = (size_t)L->n_folds,
                                      .result = root,
                                      .result_second = L->root_second,
                                      .exit_cond = L->exit_cond >= 0 ? L->exit_cond : -1,
                                      .exit_value = L->exit_cond >= 0 ? L->exit_value : -1,
                                      .segments = L->segments,
                                      .n_segments = (size_t)L->n_segments,
                                      .pair_style = {(gk_pair_style)(L->style_of_flag[0] > 0),
                                                     (gk_pair_style)(L->style_of_flag[1] > 0)}};
        st = gk_trace_build(&L->tr, desc, &parts, out);
    }
out:
    gk_dag_free(&L->run);
    gk_dag_free(&L->tr);
    free(L->res);
    gk_sx_cache_destroy(L->cache);
    free(L->deps);
    free(L->dep_state);
    free(L->red_of);
    free(L->memo);
    free(L->memo_stamp);
    free(L->strided);
    free(L);
    return st;
}

gk_status gk_sx_analyse_code(
    const void *code, size_t len, const gk_scalar_op_desc *desc, long max_steps, gk_op_trace **out)
{
    GK_CHECK(code && len && desc && desc->name && out, GK_EINVAL, "gk_sx_analyse_code",
             "NULL or empty argument");
    gk_sx_env env;
    memset(&env, 0, sizeof env);
    env.fn = (uintptr_t)code;
    env.code_lo = env.fn;
    env.code_hi = env.fn + len;
    env.ro_lo[0] = env.code_lo;
    env.ro_hi[0] = env.code_hi;
    env.n_ro = 1;
    env.max_steps = max_steps;
    return gk_sx_lift(desc, &env, out);
}
