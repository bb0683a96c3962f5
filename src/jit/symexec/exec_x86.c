/* SPDX-License-Identifier: MIT */
/* Symbolic execution of x86-64 machine code, decoded with Zydis, for one run with concrete sizes
 * and symbolic data: integer registers hold concrete numbers, pointers (an array or the stack
 * plus a concrete offset) or DAG values; XMM registers hold 16 concrete bytes or a DAG value in
 * their low lane. Control flow that depends only on sizes is therefore concrete (loops unroll);
 * a branch on data forks the path, and short forward diamonds are merged back into selects.
 * Every instruction the executor does not know, and every shape it cannot follow, ends the run
 * with GK_EUNSUPPORTED naming the instruction and its offset from the entry point. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "core/error.h"
#include "jit/symexec/eval.h"
#include "jit/symexec/symexec.h"

enum {
    SX_MAX_CELLS = 600,        /* stack slots + array stores live in one state */
    SX_MAX_STEPS = 400000,     /* instructions executed per run, over all paths */
    SX_MAX_PATHS = 256,        /* completed paths per run */
    SX_MAX_FORKS = 48,         /* nested forks on one path */
    SX_MERGE_STEPS = 40,       /* how far each side of a fork is followed to find the join: */
    SX_MERGE_STEPS_INNER = 40, /* at the outer level and in nested diamonds */
    SX_MAX_CALL_DEPTH = 8,     /* calls into local functions */
    SX_DCACHE = 1024           /* decoded instructions cached per analysis */
};

enum { BASE_NONE = 0, BASE_STACK = 1, BASE_ARRAY0 = 2 };

/* An integer register value: node >= 0 (a DAG value, zero-extended from its type), or a
 * concrete `off` (base BASE_NONE) or a pointer base + off. */
typedef struct gv {
    int32_t node;
    uint8_t base;
    uint8_t taint;
    int64_t off;
} gv;

/* An XMM register: 16 concrete bytes, or a DAG value in the low lane (upper lanes unknown). */
typedef struct xv {
    int32_t node;
    uint8_t conc;
    uint8_t taint;
    uint8_t bytes[16];
} xv;

enum { FL_UNDEF = 0, FL_CONC, FL_FCMP, FL_ICMP, FL_TEST };

typedef struct flags {
    uint8_t kind, width;
    uint8_t cf, zf, sf, of, pf;
    int32_t a, b;
} flags;

typedef struct cell {
    int64_t off;
    uint8_t base, width, is_x;
    gv g;
    xv x;
} cell;

enum { SX_MAX_KNOWN = 32 };

typedef struct state {
    uint64_t pc;
    int depth, forks;
    bool hazard;
    /* branch conditions already decided on this path (the same comparison is often tested
     * again, e.g. a row-level flag once per element) */
    int n_known;
    int32_t known_cond[SX_MAX_KNOWN];
    uint8_t known_value[SX_MAX_KNOWN];
    gv r[16];
    xv x[16];
    flags f;
    /* per base, a byte range holding every cell of that base: most accesses (loads of inputs,
     * stores of new outputs) fall outside it and skip the scan of the cells */
    int64_t ext_lo[8], ext_hi[8];
    int n_cells;
    cell cells[SX_MAX_CELLS];
} state;

typedef struct dentry {
    ZydisDecodedInstruction in;
    ZydisDecodedOperand ops[5];
} dentry;

/* Only the tags are cleared; an entry's page is touched when it is first used. */
struct gk_sx_cache {
    uint64_t tag[SX_DCACHE];
    dentry entry[SX_DCACHE];

    struct {
        uint64_t target;
        int top, n_args;
        gk_trace_type type;
    } libm[8];

    int n_libm;
    /* states, results and the merge buffer, reused by the runs of one analysis (allocating
     * and touching ~35 KB per fork cost more than executing the code) */
    void *pool[24];
    int n_pool;
    struct cell *merge_buf;

    /* where the two sides of the fork at `pc` joined last time (a diamond is met again for
     * every element and path): both sides walk straight there */
    struct {
        uint64_t pc, join;
    } joins[64];
};

gk_sx_cache *gk_sx_cache_create(void)
{
    gk_sx_cache *c = malloc(sizeof *c);
    if (!c) return NULL;
    memset(c->tag, 0, sizeof c->tag);
    c->n_libm = 0;
    c->n_pool = 0;
    c->merge_buf = NULL;
    memset(c->joins, 0, sizeof c->joins);
    return c;
}

void gk_sx_cache_destroy(gk_sx_cache *cache)
{
    if (!cache) return;
    for (int i = 0; i < cache->n_pool; i++)
        free(cache->pool[i]);
    free(cache->merge_buf);
    free(cache);
}

typedef struct ctx {
    const gk_sx_env *env;
    const gk_sx_args *args;
    gk_dag *dag;
    const char *api;
    ZydisDecoder dec;
    gk_sx_cache *cache;
    long steps, paths;
    /* forks whose diamond merge failed once: not tried again in this run (saves the walks;
     * a full fork is always correct) */
    uint64_t no_merge[16];
    int n_no_merge;
    /* the pending fork of the last step */
    int32_t fork_cond;
    uint64_t fork_taken, fork_fall;
    gk_status status;
} ctx;

enum { STEP_NEXT, STEP_RET, STEP_FORK, STEP_ERR };

/* ---- errors ---------------------------------------------------------------------------------- */

static int fail_at(ctx *c,
                   const state *s,
                   const ZydisDecodedInstruction *in,
                   const ZydisDecodedOperand *ops,
                   const char *why)
{
    char text[96] = "?";
    if (in) {
        ZydisFormatter fmt;
        ZydisFormatterInit(&fmt, ZYDIS_FORMATTER_STYLE_INTEL);
        ZydisFormatterFormatInstruction(&fmt, in, ops, in->operand_count_visible, text, sizeof text,
                                        s->pc, ZYAN_NULL);
    }
    c->status = gk_error_set(GK_EUNSUPPORTED, c->api, __FILE__, __LINE__, "%s: '%s' at +0x%llx",
                             why, text, (unsigned long long)(s->pc - c->env->fn));
    return STEP_ERR;
}

static int fail(ctx *c, const state *s, const char *why)
{
    return fail_at(c, s, NULL, NULL, why);
}

/* ---- values ---------------------------------------------------------------------------------- */

static gk_trace_type int_type(unsigned bits)
{
    return bits == 8 ? GK_TT_I8 : bits == 16 ? GK_TT_I16 : bits == 32 ? GK_TT_I32 : GK_TT_I64;
}

static uint64_t mask_bits(unsigned bits)
{
    return bits >= 64 ? ~0ull : (1ull << bits) - 1;
}

static gv gv_conc(uint64_t v, uint8_t taint)
{
    return (gv){.node = -1, .base = BASE_NONE, .taint = taint, .off = (int64_t)v};
}

static gv gv_sym(int32_t node)
{
    return (gv){.node = node, .base = BASE_NONE};
}

/* Any value the analysed code must not use: one node per type (every use is rejected when the
 * trace is built, so two garbage values may well compare equal). */
static int32_t opaque(ctx *c, gk_trace_type t)
{
    return gk_dag_add(c->dag, (gk_trace_op){.opcode = GK_DAG_OPAQUE, .type = (uint8_t)t});
}

static xv xv_sym(int32_t node)
{
    xv v;
    memset(&v, 0, sizeof v);
    v.node = node;
    return v;
}

static xv xv_zero(void)
{
    xv v;
    memset(&v, 0, sizeof v);
    v.conc = 1;
    v.node = -1;
    return v;
}

/* A size-derived concrete number used as data: it must be exactly the axis size (then it is
 * the SIZE leaf converted to `t`), or the trace would bake one run's size in. */
static int32_t size_leaf(ctx *c, uint8_t taint, gk_trace_type t, uint64_t bits)
{
    if (taint != c->args->axis_taint) return -1;
    const uint64_t n = c->args->axis_value;
    if (t == GK_TT_F64) {
        const double want = (double)n;
        uint64_t wb;
        memcpy(&wb, &want, sizeof wb);
        if (wb != bits) return -1;
    } else if (t == GK_TT_F32) {
        const float want = (float)n;
        uint32_t wb;
        memcpy(&wb, &want, sizeof wb);
        if (wb != (uint32_t)bits) return -1;
    } else if ((bits & mask_bits(gk_trace_type_bits(t))) != (n & mask_bits(gk_trace_type_bits(t))))
        return -1;
    const int32_t size =
        gk_dag_add(c->dag, (gk_trace_op){.opcode = GK_TOP_SIZE, .type = GK_TT_I64});
    if (!gk_trace_type_is_float(t)) return gk_dag_op1(c->dag, GK_TOP_TRUNC, t, size);
    return gk_dag_add(
        c->dag, (gk_trace_op){
                    .opcode = GK_TOP_CVT, .type = (uint8_t)t, .pred = GK_CVT_UNSIGNED, .a = size});
}

/* An integer value as a DAG node of `bits` width; -1 for pointers or tainted numbers. */
static int32_t gv_node(ctx *c, gv v, unsigned bits)
{
    const gk_trace_type t = int_type(bits);
    if (v.base != BASE_NONE) return -1;
    if (v.node < 0) {
        if (v.taint) return size_leaf(c, v.taint, t, (uint64_t)v.off);
        return gk_dag_const(c->dag, t, (uint64_t)v.off);
    }
    const gk_trace_type vt = (gk_trace_type)gk_dag_node(c->dag, v.node)->type;
    if (gk_trace_type_is_float(vt)) {
        const int32_t b =
            gk_dag_op1(c->dag, GK_TOP_BITCAST, vt == GK_TT_F32 ? GK_TT_I32 : GK_TT_I64, v.node);
        return gk_dag_op1(c->dag, bits >= gk_trace_type_bits(vt) ? GK_TOP_ZEXT : GK_TOP_TRUNC, t,
                          b);
    }
    const unsigned vb = gk_trace_type_bits(vt);
    if (vb == bits) return v.node;
    return gk_dag_op1(c->dag, vb < bits ? GK_TOP_ZEXT : GK_TOP_TRUNC, t, v.node);
}

/* The low lane of an XMM value as a node of float or integer type t. */
static int32_t xv_lane(ctx *c, const xv *v, gk_trace_type t)
{
    const unsigned bits = gk_trace_type_bits(t);
    if (v->conc) {
        uint64_t b = 0;
        memcpy(&b, v->bytes, bits / 8);
        if (v->taint) return size_leaf(c, v->taint, t, b);
        return gk_dag_const(c->dag, t, b);
    }
    const gk_trace_type vt = (gk_trace_type)gk_dag_node(c->dag, v->node)->type;
    if (vt == t) return v->node;
    if (gk_trace_type_bits(vt) != bits) return -1; /* e.g. the low half of a double */
    return gk_dag_op1(c->dag, GK_TOP_BITCAST, t, v->node);
}

/* ---- registers ------------------------------------------------------------------------------- */

static int gpr_index(ZydisRegister r)
{
    const ZydisRegister big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
    if (big < ZYDIS_REGISTER_RAX || big > ZYDIS_REGISTER_R15) return -1;
    if (r == ZYDIS_REGISTER_AH || r == ZYDIS_REGISTER_BH || r == ZYDIS_REGISTER_CH ||
        r == ZYDIS_REGISTER_DH)
        return -1;
    return (int)(big - ZYDIS_REGISTER_RAX);
}

static int xmm_index(ZydisRegister r)
{
    if (r < ZYDIS_REGISTER_XMM0 || r > ZYDIS_REGISTER_XMM15) return -1;
    return (int)(r - ZYDIS_REGISTER_XMM0);
}

enum { R_RAX = 0, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI };

/* ---- memory ---------------------------------------------------------------------------------- */

typedef struct addr {
    uint8_t base; /* BASE_NONE: absolute (constant data) */
    int64_t off;
} addr;

static int mem_address(
    ctx *c, state *s, const ZydisDecodedInstruction *in, const ZydisDecodedOperand *op, addr *out)
{
    const ZydisDecodedOperandMem *m = &op->mem;
    if (m->segment != ZYDIS_REGISTER_DS && m->segment != ZYDIS_REGISTER_SS &&
        m->segment != ZYDIS_REGISTER_ES && m->segment != ZYDIS_REGISTER_CS &&
        m->segment != ZYDIS_REGISTER_NONE)
        return -1;
    int64_t off = m->disp.value;
    uint8_t base = BASE_NONE;
    if (m->base == ZYDIS_REGISTER_RIP) {
        off += (int64_t)(s->pc + in->length);
    } else if (m->base != ZYDIS_REGISTER_NONE) {
        const int bi = gpr_index(m->base);
        if (bi < 0 || ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, m->base) != 64) return -1;
        const gv b = s->r[bi];
        if (b.node >= 0) return -1; /* an address computed from data */
        base = b.base;
        off += b.off;
    }
    if (m->index != ZYDIS_REGISTER_NONE) {
        const int ii = gpr_index(m->index);
        if (ii < 0 || ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, m->index) != 64) return -1;
        const gv x = s->r[ii];
        if (x.node >= 0) return -1;
        if (x.base != BASE_NONE) {
            if (base != BASE_NONE || m->scale != 1) return -1;
            base = x.base;
        }
        off += x.off * (int64_t)(m->scale ? m->scale : 1);
    }
    (void)c;
    out->base = base;
    out->off = off;
    return 0;
}

static bool readable_const(const ctx *c, uint64_t a, unsigned bytes)
{
    for (int i = 0; i < c->env->n_ro; i++)
        if (a >= c->env->ro_lo[i] && a + bytes <= c->env->ro_hi[i] && a + bytes > a) return true;
    return false;
}

static bool ext_hits(const state *s, uint8_t base, int64_t off, unsigned width)
{
    return base < 8 && s->ext_lo[base] < off + (int64_t)width && off < s->ext_hi[base];
}

static cell *find_cell(state *s, uint8_t base, int64_t off, unsigned width, bool *overlap)
{
    *overlap = false;
    if (!ext_hits(s, base, off, width)) return NULL;
    for (int i = 0; i < s->n_cells; i++) {
        cell *k = &s->cells[i];
        if (k->base != base) continue;
        if (k->off == off && k->width == width) return k;
        if (k->off < off + (int64_t)width && off < k->off + (int64_t)k->width) *overlap = true;
    }
    return NULL;
}

/* Stores drop every cell they overlap (a partially overwritten value is unknown). */
static int store_cell(ctx *c, state *s, addr a, unsigned width, const gv *g, const xv *x)
{
    (void)c;
    if (a.base == BASE_NONE || a.base >= 8) return -1;
    if (ext_hits(s, a.base, a.off, width)) {
        int w = 0;
        for (int i = 0; i < s->n_cells; i++) {
            const cell *k = &s->cells[i];
            if (k->base == a.base && k->off < a.off + (int64_t)width &&
                a.off < k->off + (int64_t)k->width)
                continue;
            s->cells[w++] = *k;
        }
        s->n_cells = w;
    }
    if (s->n_cells >= SX_MAX_CELLS) return -1;
    if (a.off < s->ext_lo[a.base]) s->ext_lo[a.base] = a.off;
    if (a.off + (int64_t)width > s->ext_hi[a.base]) s->ext_hi[a.base] = a.off + (int64_t)width;
    cell *k = &s->cells[s->n_cells++];
    memset(k, 0, sizeof *k);
    k->base = a.base;
    k->off = a.off;
    k->width = (uint8_t)width;
    k->is_x = x != NULL;
    if (g) k->g = *g;
    if (x) k->x = *x;
    return 0;
}

/* An array element load with no store before it: the MEM leaf. Notes an in-place hazard. */
static int32_t array_leaf(ctx *c, state *s, addr a, unsigned width, bool to_float)
{
    const int arr = a.base - BASE_ARRAY0;
    const gk_trace_type et = (gk_trace_type)c->args->array_type[arr];
    gk_trace_type t;
    if (et == GK_TT_I8)
        t = int_type(width * 8);
    else if (width * 8 == gk_trace_type_bits(et))
        t = et;
    else
        return -1;
    if (a.off < 0) return -1;
    bool aliased = false;
    for (int b = BASE_ARRAY0; b < 8 && c->args->may_alias[arr]; b++)
        aliased = aliased || (b != a.base && c->args->may_alias[b - BASE_ARRAY0] &&
                              ext_hits(s, (uint8_t)b, a.off, 1));
    for (int i = 0; i < s->n_cells && aliased; i++)
        if (s->cells[i].base >= BASE_ARRAY0 && s->cells[i].base != a.base &&
            c->args->may_alias[s->cells[i].base - BASE_ARRAY0] && s->cells[i].off == a.off)
            s->hazard = true;
    const int32_t leaf = gk_dag_add(
        c->dag,
        (gk_trace_op){.opcode = GK_DAG_MEM, .type = (uint8_t)t, .a = arr, .imm = (uint64_t)a.off});
    if (!to_float && gk_trace_type_is_float(t))
        return gk_dag_op1(c->dag, GK_TOP_BITCAST, t == GK_TT_F32 ? GK_TT_I32 : GK_TT_I64, leaf);
    return leaf;
}

static int load_int(ctx *c, state *s, addr a, unsigned width, gv *out)
{
    const unsigned bytes = width / 8;
    if (a.base == BASE_NONE) {
        if (!readable_const(c, (uint64_t)a.off, bytes)) return -1;
        uint64_t v = 0;
        memcpy(&v, (const void *)(uintptr_t)a.off, bytes);
        *out = gv_conc(v, 0);
        return 0;
    }
    bool overlap;
    const cell *k = find_cell(s, a.base, a.off, bytes, &overlap);
    if (k) {
        if (!k->is_x) {
            *out = k->g;
            return 0;
        }
        if (k->x.conc) {
            uint64_t v = 0;
            memcpy(&v, k->x.bytes, bytes);
            *out = gv_conc(v, k->x.taint);
            return 0;
        }
        const int32_t n = xv_lane(c, &k->x, int_type(width));
        if (n < 0) return -1;
        *out = gv_sym(n);
        return 0;
    }
    if (overlap || a.base == BASE_STACK) return -1;
    const int32_t leaf = array_leaf(c, s, a, bytes, false);
    if (leaf < 0) return -1;
    *out = gv_sym(leaf);
    return 0;
}

/* A load of `bytes` (4, 8 or 16) into the low part of an XMM value. */
static int load_xmm(ctx *c, state *s, addr a, unsigned bytes, xv *out)
{
    if (a.base == BASE_NONE) {
        if (!readable_const(c, (uint64_t)a.off, bytes)) return -1;
        *out = xv_zero();
        memcpy(out->bytes, (const void *)(uintptr_t)a.off, bytes);
        return 0;
    }
    bool overlap;
    const cell *k = find_cell(s, a.base, a.off, bytes, &overlap);
    if (!k && !overlap && a.base == BASE_STACK) return -1;
    if (!k) {
        /* a narrower load from a 16-byte concrete spill */
        for (int i = 0; i < s->n_cells && overlap; i++) {
            const cell *w = &s->cells[i];
            if (w->base == a.base && w->is_x && w->x.conc && a.off >= w->off &&
                a.off + (int64_t)bytes <= w->off + (int64_t)w->width) {
                *out = xv_zero();
                out->taint = w->x.taint;
                memcpy(out->bytes, w->x.bytes + (a.off - w->off), bytes);
                return 0;
            }
            /* the low lane of a spilled symbolic register */
            if (w->base == a.base && w->is_x && !w->x.conc && a.off == w->off &&
                bytes * 8 ==
                    gk_trace_type_bits((gk_trace_type)gk_dag_node(c->dag, w->x.node)->type)) {
                *out = xv_sym(w->x.node);
                return 0;
            }
        }
        if (overlap || bytes == 16) return -1;
        const int32_t leaf = array_leaf(c, s, a, bytes, true);
        if (leaf < 0) return -1;
        *out = xv_sym(leaf);
        return 0;
    }
    if (k->is_x) {
        *out = k->x;
        return 0;
    }
    if (k->g.base != BASE_NONE) return -1;
    if (k->g.node < 0) {
        *out = xv_zero();
        out->taint = k->g.taint;
        memcpy(out->bytes, &k->g.off, bytes);
        return 0;
    }
    *out = xv_sym(gv_node(c, k->g, bytes * 8));
    return out->node < 0 ? -1 : 0;
}

/* ---- integer operands ------------------------------------------------------------------------ */

static int get_int(ctx *c,
                   state *s,
                   const ZydisDecodedInstruction *in,
                   const ZydisDecodedOperand *op,
                   unsigned width,
                   gv *out)
{
    switch (op->type) {
    case ZYDIS_OPERAND_TYPE_REGISTER: {
        const int ri = gpr_index(op->reg.value);
        if (ri < 0) return -1;
        const gv v = s->r[ri];
        if (v.base != BASE_NONE) {
            if (width != 64) return -1;
            *out = v;
            return 0;
        }
        if (v.node < 0) {
            *out = gv_conc((uint64_t)v.off & mask_bits(width), v.taint);
            return 0;
        }
        const int32_t n = gv_node(c, v, width);
        if (n < 0) return -1;
        *out = gv_sym(n);
        return 0;
    }
    case ZYDIS_OPERAND_TYPE_MEMORY: {
        addr a;
        if (mem_address(c, s, in, op, &a) < 0) return -1;
        if (load_int(c, s, a, width, out) < 0) return -1;
        if (out->base != BASE_NONE && width != 64) return -1;
        if (out->base == BASE_NONE && out->node < 0)
            out->off = (int64_t)((uint64_t)out->off & mask_bits(width));
        else if (out->node >= 0) {
            out->node = gv_node(c, *out, width);
            if (out->node < 0) return -1;
        }
        return 0;
    }
    case ZYDIS_OPERAND_TYPE_IMMEDIATE:
        *out = gv_conc((uint64_t)op->imm.value.s & mask_bits(width), 0);
        return 0;
    default: return -1;
    }
}

static int set_int(ctx *c,
                   state *s,
                   const ZydisDecodedInstruction *in,
                   const ZydisDecodedOperand *op,
                   unsigned width,
                   gv v)
{
    if (op->type == ZYDIS_OPERAND_TYPE_MEMORY) {
        addr a;
        if (mem_address(c, s, in, op, &a) < 0) return -1;
        if (v.base != BASE_NONE && width != 64) return -1;
        return store_cell(c, s, a, width / 8, &v, NULL);
    }
    if (op->type != ZYDIS_OPERAND_TYPE_REGISTER) return -1;
    const int ri = gpr_index(op->reg.value);
    if (ri < 0) return -1;
    if (width == 64) {
        s->r[ri] = v;
        return 0;
    }
    if (v.base != BASE_NONE) return -1;
    if (width == 32) {
        if (v.node < 0) v.off = (int64_t)((uint64_t)v.off & 0xFFFFFFFFu);
        s->r[ri] = v;
        return 0;
    }
    /* 8/16-bit writes keep the register's other bits */
    const gv old = s->r[ri];
    if (old.base != BASE_NONE) return -1;
    const uint64_t m = mask_bits(width);
    if (old.node < 0 && v.node < 0) {
        s->r[ri] = gv_conc(((uint64_t)old.off & ~m) | ((uint64_t)v.off & m), old.taint | v.taint);
        return 0;
    }
    /* a concrete old value: only its kept bits matter (a size's upper bits are usually 0) */
    const gv kept = old.node < 0
                        ? gv_conc((uint64_t)old.off & ~m, (uint64_t)old.off & ~m ? old.taint : 0)
                        : old;
    const int32_t on = gv_node(c, kept, 64), vn = gv_node(c, v, width);
    if (on < 0 || vn < 0) return -1;
    const int32_t keep =
        gk_dag_op2(c->dag, GK_TOP_AND, GK_TT_I64, on, gk_dag_const(c->dag, GK_TT_I64, ~m));
    const int32_t low = gk_dag_op1(c->dag, GK_TOP_ZEXT, GK_TT_I64, vn);
    s->r[ri] = gv_sym(gk_dag_op2(c->dag, GK_TOP_OR, GK_TT_I64, keep, low));
    return s->r[ri].node < 0 ? -1 : 0;
}

/* ---- flags and conditions -------------------------------------------------------------------- */

static unsigned parity8(uint64_t v)
{
    return (unsigned)(__builtin_popcountll(v & 0xFF) % 2 == 0);
}

static void flags_logic(state *s, uint64_t r, unsigned w)
{
    const uint64_t m = mask_bits(w);
    s->f = (flags){.kind = FL_CONC,
                   .width = (uint8_t)w,
                   .zf = (r & m) == 0,
                   .sf = (uint8_t)((r >> (w - 1)) & 1),
                   .pf = (uint8_t)parity8(r)};
}

static void flags_sub(state *s, uint64_t a, uint64_t b, unsigned w)
{
    const uint64_t m = mask_bits(w), r = (a - b) & m;
    flags_logic(s, r, w);
    s->f.cf = (a & m) < (b & m);
    s->f.of = (uint8_t)((((a ^ b) & (a ^ r)) >> (w - 1)) & 1);
}

static void flags_add(state *s, uint64_t a, uint64_t b, unsigned w)
{
    const uint64_t m = mask_bits(w), r = (a + b) & m;
    flags_logic(s, r, w);
    s->f.cf = r < (a & m);
    s->f.of = (uint8_t)(((~(a ^ b) & (a ^ r)) >> (w - 1)) & 1);
}

enum {
    CC_O,
    CC_NO,
    CC_B,
    CC_AE,
    CC_E,
    CC_NE,
    CC_BE,
    CC_A,
    CC_S,
    CC_NS,
    CC_P,
    CC_NP,
    CC_L,
    CC_GE,
    CC_LE,
    CC_G
};

static int cc_of(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_JO:
    case ZYDIS_MNEMONIC_SETO:
    case ZYDIS_MNEMONIC_CMOVO: return CC_O;
    case ZYDIS_MNEMONIC_JNO:
    case ZYDIS_MNEMONIC_SETNO:
    case ZYDIS_MNEMONIC_CMOVNO: return CC_NO;
    case ZYDIS_MNEMONIC_JB:
    case ZYDIS_MNEMONIC_SETB:
    case ZYDIS_MNEMONIC_CMOVB: return CC_B;
    case ZYDIS_MNEMONIC_JNB:
    case ZYDIS_MNEMONIC_SETNB:
    case ZYDIS_MNEMONIC_CMOVNB: return CC_AE;
    case ZYDIS_MNEMONIC_JZ:
    case ZYDIS_MNEMONIC_SETZ:
    case ZYDIS_MNEMONIC_CMOVZ: return CC_E;
    case ZYDIS_MNEMONIC_JNZ:
    case ZYDIS_MNEMONIC_SETNZ:
    case ZYDIS_MNEMONIC_CMOVNZ: return CC_NE;
    case ZYDIS_MNEMONIC_JBE:
    case ZYDIS_MNEMONIC_SETBE:
    case ZYDIS_MNEMONIC_CMOVBE: return CC_BE;
    case ZYDIS_MNEMONIC_JNBE:
    case ZYDIS_MNEMONIC_SETNBE:
    case ZYDIS_MNEMONIC_CMOVNBE: return CC_A;
    case ZYDIS_MNEMONIC_JS:
    case ZYDIS_MNEMONIC_SETS:
    case ZYDIS_MNEMONIC_CMOVS: return CC_S;
    case ZYDIS_MNEMONIC_JNS:
    case ZYDIS_MNEMONIC_SETNS:
    case ZYDIS_MNEMONIC_CMOVNS: return CC_NS;
    case ZYDIS_MNEMONIC_JP:
    case ZYDIS_MNEMONIC_SETP:
    case ZYDIS_MNEMONIC_CMOVP: return CC_P;
    case ZYDIS_MNEMONIC_JNP:
    case ZYDIS_MNEMONIC_SETNP:
    case ZYDIS_MNEMONIC_CMOVNP: return CC_NP;
    case ZYDIS_MNEMONIC_JL:
    case ZYDIS_MNEMONIC_SETL:
    case ZYDIS_MNEMONIC_CMOVL: return CC_L;
    case ZYDIS_MNEMONIC_JNL:
    case ZYDIS_MNEMONIC_SETNL:
    case ZYDIS_MNEMONIC_CMOVNL: return CC_GE;
    case ZYDIS_MNEMONIC_JLE:
    case ZYDIS_MNEMONIC_SETLE:
    case ZYDIS_MNEMONIC_CMOVLE: return CC_LE;
    case ZYDIS_MNEMONIC_JNLE:
    case ZYDIS_MNEMONIC_SETNLE:
    case ZYDIS_MNEMONIC_CMOVNLE: return CC_G;
    default: return -1;
    }
}

static int cc_conc(const flags *f, int cc)
{
    int v;
    switch (cc & ~1) {
    case CC_O: v = f->of; break;
    case CC_B: v = f->cf; break;
    case CC_E: v = f->zf; break;
    case CC_BE: v = f->cf || f->zf; break;
    case CC_S: v = f->sf; break;
    case CC_P: v = f->pf; break;
    case CC_L: v = f->sf != f->of; break;
    default: v = f->zf || f->sf != f->of; break; /* CC_LE */
    }
    return (cc & 1) ? !v : v;
}

/* The condition as a node (a BOOL constant when it is known); -1 if not expressible. */
static int32_t cc_node(ctx *c, const state *s, int cc)
{
    gk_dag *d = c->dag;
    const flags *f = &s->f;
    switch (f->kind) {
    case FL_CONC: return gk_dag_const(d, GK_TT_BOOL, (uint64_t)cc_conc(f, cc));
    case FL_FCMP: {
        /* ucomiss: unordered sets ZF, PF, CF; OF = SF = 0 */
        static const int8_t pred[16] = {[CC_O] = 0,
                                        [CC_NO] = 15,
                                        [CC_B] = GK_PRED_LT | GK_PRED_UN,
                                        [CC_AE] = GK_PRED_GT | GK_PRED_EQ,
                                        [CC_E] = GK_PRED_EQ | GK_PRED_UN,
                                        [CC_NE] = GK_PRED_LT | GK_PRED_GT,
                                        [CC_BE] = GK_PRED_LT | GK_PRED_EQ | GK_PRED_UN,
                                        [CC_A] = GK_PRED_GT,
                                        [CC_S] = 0,
                                        [CC_NS] = 15,
                                        [CC_P] = GK_PRED_UN,
                                        [CC_NP] = GK_PRED_LT | GK_PRED_EQ | GK_PRED_GT,
                                        [CC_L] = 0,
                                        [CC_GE] = 15,
                                        [CC_LE] = GK_PRED_EQ | GK_PRED_UN,
                                        [CC_G] = GK_PRED_LT | GK_PRED_GT};
        if (pred[cc] == 0) return gk_dag_const(d, GK_TT_BOOL, 0);
        if (pred[cc] == 15) return gk_dag_const(d, GK_TT_BOOL, 1);
        return gk_dag_cmp(d, GK_TOP_FCMP, (unsigned)pred[cc], f->a, f->b);
    }
    case FL_ICMP: {
        unsigned p;
        switch (cc) {
        case CC_E: p = GK_PRED_EQ; break;
        case CC_NE: p = GK_PRED_LT | GK_PRED_GT; break;
        case CC_B: p = GK_PRED_LT; break;
        case CC_AE: p = GK_PRED_GT | GK_PRED_EQ; break;
        case CC_BE: p = GK_PRED_LT | GK_PRED_EQ; break;
        case CC_A: p = GK_PRED_GT; break;
        case CC_L: p = GK_PRED_LT | GK_PRED_SIGNED; break;
        case CC_GE: p = GK_PRED_GT | GK_PRED_EQ | GK_PRED_SIGNED; break;
        case CC_LE: p = GK_PRED_LT | GK_PRED_EQ | GK_PRED_SIGNED; break;
        case CC_G: p = GK_PRED_GT | GK_PRED_SIGNED; break;
        default: return -1;
        }
        return gk_dag_cmp(d, GK_TOP_ICMP, p, f->a, f->b);
    }
    case FL_TEST: {
        /* flags of a result r (CF = OF = 0): compare r with 0 */
        const int32_t zero = gk_dag_const(d, int_type(f->width), 0);
        unsigned p;
        switch (cc) {
        case CC_E:
        case CC_BE: p = GK_PRED_EQ; break;
        case CC_NE:
        case CC_A: p = GK_PRED_LT | GK_PRED_GT; break;
        case CC_S:
        case CC_L: p = GK_PRED_LT | GK_PRED_SIGNED; break;
        case CC_NS:
        case CC_GE: p = GK_PRED_GT | GK_PRED_EQ | GK_PRED_SIGNED; break;
        case CC_LE: p = GK_PRED_LT | GK_PRED_EQ | GK_PRED_SIGNED; break;
        case CC_G: p = GK_PRED_GT | GK_PRED_SIGNED; break;
        case CC_B:
        case CC_O: return gk_dag_const(d, GK_TT_BOOL, 0);
        case CC_AE:
        case CC_NO: return gk_dag_const(d, GK_TT_BOOL, 1);
        default: return -1;
        }
        return gk_dag_cmp(d, GK_TOP_ICMP, p, f->a, zero);
    }
    default: return -1;
    }
}

/* ---- integer instructions -------------------------------------------------------------------- */

static int
int_binop(ctx *c, state *s, ZydisMnemonic mn, gv a, gv b, unsigned w, gv *out, bool same_reg)
{
    gk_dag *d = c->dag;
    const uint64_t m = mask_bits(w);
    /* zero idioms */
    if (same_reg && (mn == ZYDIS_MNEMONIC_XOR || mn == ZYDIS_MNEMONIC_SUB)) {
        *out = gv_conc(0, 0);
        flags_logic(s, 0, w);
        return 0;
    }
    /* pointers: offsets move, differences and comparisons of one base are numbers */
    if (a.base != BASE_NONE || b.base != BASE_NONE) {
        if (w != 64) return -1;
        if (a.base != BASE_NONE && b.base == BASE_NONE && b.node < 0) {
            if (mn == ZYDIS_MNEMONIC_ADD || mn == ZYDIS_MNEMONIC_SUB || mn == ZYDIS_MNEMONIC_CMP) {
                const int64_t off = mn == ZYDIS_MNEMONIC_ADD ? a.off + b.off : a.off - b.off;
                *out = (gv){.node = -1, .base = a.base, .off = off};
                if (b.off == 0 && mn == ZYDIS_MNEMONIC_CMP) {
                    /* compared with NULL: the arrays are never NULL */
                    s->f = (flags){.kind = FL_CONC, .width = 64};
                } else if (mn == ZYDIS_MNEMONIC_CMP) {
                    return -1;
                } else {
                    s->f.kind = FL_UNDEF;
                }
                return 0;
            }
            if (mn == ZYDIS_MNEMONIC_TEST || mn == ZYDIS_MNEMONIC_AND) {
                if (mn == ZYDIS_MNEMONIC_AND) return -1;
                s->f = (flags){.kind = FL_CONC, .width = 64}; /* non-NULL, positive */
                *out = a;
                return 0;
            }
            return -1;
        }
        if (a.base != BASE_NONE && a.base == b.base && a.node < 0 && b.node < 0) {
            if (mn == ZYDIS_MNEMONIC_SUB || mn == ZYDIS_MNEMONIC_CMP) {
                flags_sub(s, (uint64_t)a.off, (uint64_t)b.off, 64);
                *out = gv_conc((uint64_t)(a.off - b.off), 0);
                return 0;
            }
            if (mn == ZYDIS_MNEMONIC_TEST && a.off == b.off) {
                s->f = (flags){.kind = FL_CONC, .width = 64};
                *out = a;
                return 0;
            }
        }
        if (mn == ZYDIS_MNEMONIC_ADD && b.base != BASE_NONE && a.base == BASE_NONE && a.node < 0) {
            *out = (gv){.node = -1, .base = b.base, .off = a.off + b.off};
            s->f.kind = FL_UNDEF;
            return 0;
        }
        return -1;
    }
    if (a.node < 0 && b.node < 0) {
        const uint64_t x = (uint64_t)a.off & m, y = (uint64_t)b.off & m;
        uint64_t r;
        switch (mn) {
        case ZYDIS_MNEMONIC_ADD:
            r = x + y;
            flags_add(s, x, y, w);
            break;
        case ZYDIS_MNEMONIC_SUB:
        case ZYDIS_MNEMONIC_CMP:
            r = x - y;
            flags_sub(s, x, y, w);
            break;
        case ZYDIS_MNEMONIC_AND:
        case ZYDIS_MNEMONIC_TEST:
            r = x & y;
            flags_logic(s, r, w);
            break;
        case ZYDIS_MNEMONIC_OR:
            r = x | y;
            flags_logic(s, r, w);
            break;
        case ZYDIS_MNEMONIC_XOR:
            r = x ^ y;
            flags_logic(s, r, w);
            break;
        case ZYDIS_MNEMONIC_IMUL:
            r = x * y;
            s->f.kind = FL_UNDEF;
            break;
        default: return -1;
        }
        *out = gv_conc(r & m, a.taint | b.taint);
        return 0;
    }
    const int32_t an = gv_node(c, a, w), bn = gv_node(c, b, w);
    if (an < 0 || bn < 0) return -1;
    const gk_trace_type t = int_type(w);
    int op;
    switch (mn) {
    case ZYDIS_MNEMONIC_ADD: op = GK_TOP_IADD; break;
    case ZYDIS_MNEMONIC_SUB:
    case ZYDIS_MNEMONIC_CMP: op = GK_TOP_ISUB; break;
    case ZYDIS_MNEMONIC_AND:
    case ZYDIS_MNEMONIC_TEST: op = GK_TOP_AND; break;
    case ZYDIS_MNEMONIC_OR: op = GK_TOP_OR; break;
    case ZYDIS_MNEMONIC_XOR: op = GK_TOP_XOR; break;
    case ZYDIS_MNEMONIC_IMUL: op = GK_TOP_IMUL; break;
    default: return -1;
    }
    const int32_t r = gk_dag_op2(d, op, t, an, bn);
    if (r < 0) return -1;
    *out = gv_sym(r);
    if (mn == ZYDIS_MNEMONIC_SUB || mn == ZYDIS_MNEMONIC_CMP)
        s->f = (flags){.kind = FL_ICMP, .width = (uint8_t)w, .a = an, .b = bn};
    else if (mn == ZYDIS_MNEMONIC_IMUL)
        s->f.kind = FL_UNDEF;
    else
        s->f = (flags){.kind = FL_TEST, .width = (uint8_t)w, .a = r};
    return 0;
}

static int shift_op(ctx *c, state *s, ZydisMnemonic mn, gv a, gv cnt, unsigned w, gv *out)
{
    if (a.base != BASE_NONE || cnt.base != BASE_NONE) return -1;
    if (cnt.node >= 0) {
        /* a count computed from data: the op masks it like the hardware; flags unknown */
        const int sop = mn == ZYDIS_MNEMONIC_SHR   ? GK_TOP_SHR
                        : mn == ZYDIS_MNEMONIC_SAR ? GK_TOP_SAR
                                                   : GK_TOP_SHL;
        const int32_t an = gv_node(c, a, w);
        const int32_t cn = gk_dag_op1(c->dag, GK_TOP_ZEXT, int_type(w), gv_node(c, cnt, 8));
        const int32_t r = an < 0 || cn < 0 ? -1 : gk_dag_op2(c->dag, sop, int_type(w), an, cn);
        if (r < 0) return -1;
        *out = gv_sym(r);
        s->f.kind = FL_UNDEF;
        return 0;
    }
    const unsigned k = (unsigned)((uint64_t)cnt.off & (w == 64 ? 63u : 31u));
    const int op = mn == ZYDIS_MNEMONIC_SHR   ? GK_TOP_SHR
                   : mn == ZYDIS_MNEMONIC_SAR ? GK_TOP_SAR
                                              : GK_TOP_SHL;
    if (a.node < 0) {
        const gk_trace_op o = {.opcode = (uint8_t)op, .type = (uint8_t)int_type(w)};
        const uint64_t x = (uint64_t)a.off & mask_bits(w);
        const uint64_t r = gk_trace_eval_one(&o, int_type(w), x, k, 0);
        *out = gv_conc(r, a.taint);
        if (k) {
            flags_logic(s, r, w);
            s->f.cf =
                k > w ? 0 : (uint8_t)(op == GK_TOP_SHL ? (x >> (w - k)) & 1 : (x >> (k - 1)) & 1);
            s->f.of = 0; /* defined for 1-bit shifts only; not used by compilers here */
        }
        return 0;
    }
    const int32_t an = gv_node(c, a, w);
    const int32_t r = gk_dag_op2(c->dag, op, int_type(w), an, gk_dag_const(c->dag, int_type(w), k));
    if (r < 0) return -1;
    *out = gv_sym(r);
    if (k) s->f = (flags){.kind = FL_TEST, .width = (uint8_t)w, .a = r};
    return 0;
}

/* ---- XMM instructions ------------------------------------------------------------------------ */

static int get_xmm_operand(ctx *c,
                           state *s,
                           const ZydisDecodedInstruction *in,
                           const ZydisDecodedOperand *op,
                           unsigned bytes,
                           xv *out)
{
    if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
        const int xi = xmm_index(op->reg.value);
        if (xi < 0) return -1;
        *out = s->x[xi];
        return 0;
    }
    if (op->type != ZYDIS_OPERAND_TYPE_MEMORY) return -1;
    addr a;
    if (mem_address(c, s, in, op, &a) < 0) return -1;
    return load_xmm(c, s, a, bytes, out);
}

static int scalar_fp(ctx *c,
                     state *s,
                     const ZydisDecodedInstruction *in,
                     const ZydisDecodedOperand *ops,
                     int top,
                     gk_trace_type t)
{
    const int di = xmm_index(ops[0].reg.value);
    const unsigned bytes = gk_trace_type_bits(t) / 8;
    xv src;
    if (di < 0 || get_xmm_operand(c, s, in, &ops[1], bytes, &src) < 0) return -1;
    xv *dst = &s->x[di];
    const bool unary = top == GK_TOP_SQRT;
    if ((unary || dst->conc) && src.conc) {
        /* concrete arithmetic (size conversions): keep it concrete, bit for bit */
        uint64_t x = 0, y = 0;
        memcpy(&x, unary ? src.bytes : dst->bytes, bytes);
        memcpy(&y, src.bytes, bytes);
        const gk_trace_op o = {.opcode = (uint8_t)top, .type = (uint8_t)t};
        const uint64_t r = gk_trace_eval_one(&o, t, unary ? y : x, y, 0);
        const uint8_t taint = (uint8_t)(src.taint | (unary ? 0 : dst->taint));
        if (!dst->conc) *dst = xv_zero();
        memcpy(dst->bytes, &r, bytes);
        dst->taint = taint;
        return 0;
    }
    const int32_t b = xv_lane(c, &src, t);
    const int32_t a = unary ? b : xv_lane(c, dst, t);
    if (a < 0 || b < 0) return -1;
    const int32_t r = unary ? gk_dag_op1(c->dag, top, t, b) : gk_dag_op2(c->dag, top, t, a, b);
    if (r < 0) return -1;
    *dst = xv_sym(r);
    return 0;
}

/* andps/andnps/orps/xorps and their pd / integer forms, on the low lane of the scalar type the
 * register holds; sign masks become NEG and ABS. */
static int bitwise_xmm(ctx *c,
                       state *s,
                       const ZydisDecodedInstruction *in,
                       const ZydisDecodedOperand *ops,
                       int op,
                       bool andn)
{
    const int di = xmm_index(ops[0].reg.value);
    xv src;
    if (di < 0 || get_xmm_operand(c, s, in, &ops[1], 16, &src) < 0) return -1;
    xv *dst = &s->x[di];
    const bool same =
        ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER && ops[1].reg.value == ops[0].reg.value;
    if (same && (op == GK_TOP_XOR || andn)) {
        *dst = xv_zero();
        return 0;
    }
    if (same) return 0; /* and/or with itself */
    if (dst->conc && src.conc) {
        for (int i = 0; i < 16; i++) {
            const uint8_t x = andn ? (uint8_t)~dst->bytes[i] : dst->bytes[i], y = src.bytes[i];
            dst->bytes[i] = op == GK_TOP_AND ? x & y : op == GK_TOP_OR ? x | y : x ^ y;
        }
        dst->taint |= src.taint;
        return 0;
    }
    /* the lane type: that of the symbolic operand */
    const xv *sym = dst->conc ? &src : dst;
    const gk_trace_type st = (gk_trace_type)gk_dag_node(c->dag, sym->node)->type;
    const unsigned bits = gk_trace_type_bits(st);
    if (bits != 32 && bits != 64) return -1;
    const gk_trace_type it = bits == 32 ? GK_TT_I32 : GK_TT_I64;
    const gk_trace_type ft = bits == 32 ? GK_TT_F32 : GK_TT_F64;
    const xv *con = dst->conc ? dst : (src.conc ? &src : NULL);
    if (con && !andn && !con->taint) {
        uint64_t mk = 0;
        memcpy(&mk, con->bytes, bits / 8);
        const uint64_t sign = 1ull << (bits - 1);
        if (op == GK_TOP_XOR && mk == sign) {
            *dst = xv_sym(gk_dag_op1(c->dag, GK_TOP_NEG, ft, xv_lane(c, sym, ft)));
            return dst->node < 0 ? -1 : 0;
        }
        if (op == GK_TOP_AND && mk == sign - 1) {
            *dst = xv_sym(gk_dag_op1(c->dag, GK_TOP_ABS, ft, xv_lane(c, sym, ft)));
            return dst->node < 0 ? -1 : 0;
        }
    }
    int32_t a = xv_lane(c, dst, it), b = xv_lane(c, &src, it);
    if (a < 0 || b < 0) return -1;
    if (andn) a = gk_dag_op1(c->dag, GK_TOP_NOT, it, a);
    const int32_t r = gk_dag_op2(c->dag, op, it, a, b);
    if (r < 0) return -1;
    *dst = xv_sym(r);
    return 0;
}

/* Packed double/dword operations on fully concrete registers only: how Clang converts a
 * size_t to double (punpckldq / subpd / unpckhpd / addsd with magic constants). */
static int
packed_conc(ctx *c, state *s, const ZydisDecodedInstruction *in, const ZydisDecodedOperand *ops)
{
    const int di = xmm_index(ops[0].reg.value);
    xv src;
    if (di < 0 || get_xmm_operand(c, s, in, &ops[1], 16, &src) < 0) return -1;
    xv *dst = &s->x[di];
    if (!dst->conc || !src.conc) return -1;
    uint8_t r[16];
    double a[2], b[2];
    memcpy(a, dst->bytes, 16);
    memcpy(b, src.bytes, 16);
    switch (in->mnemonic) {
    case ZYDIS_MNEMONIC_PUNPCKLDQ:
        memcpy(r, dst->bytes, 4);
        memcpy(r + 4, src.bytes, 4);
        memcpy(r + 8, dst->bytes + 4, 4);
        memcpy(r + 12, src.bytes + 4, 4);
        break;
    case ZYDIS_MNEMONIC_UNPCKLPD:
        memcpy(r, dst->bytes, 8);
        memcpy(r + 8, src.bytes, 8);
        break;
    case ZYDIS_MNEMONIC_UNPCKHPD:
        memcpy(r, dst->bytes + 8, 8);
        memcpy(r + 8, src.bytes + 8, 8);
        break;
    case ZYDIS_MNEMONIC_SUBPD:
    case ZYDIS_MNEMONIC_ADDPD:
    case ZYDIS_MNEMONIC_HADDPD: {
        double o[2];
        if (in->mnemonic == ZYDIS_MNEMONIC_HADDPD) {
            o[0] = a[0] + a[1];
            o[1] = b[0] + b[1];
        } else {
            const double sg = in->mnemonic == ZYDIS_MNEMONIC_SUBPD ? -1.0 : 1.0;
            o[0] = sg < 0 ? a[0] - b[0] : a[0] + b[0];
            o[1] = sg < 0 ? a[1] - b[1] : a[1] + b[1];
        }
        memcpy(r, o, 16);
        break;
    }
    default: return -1;
    }
    memcpy(dst->bytes, r, 16);
    dst->taint |= src.taint;
    return 0;
}

/* ---- calls ----------------------------------------------------------------------------------- */

static void clobber_caller_saved(ctx *c, state *s)
{
    static const int saved[] = {R_RAX, R_RCX, R_RDX, R_RSI, R_RDI, 8, 9, 10, 11};
    for (size_t i = 0; i < sizeof saved / sizeof saved[0]; i++)
        s->r[saved[i]] = gv_sym(opaque(c, GK_TT_I64));
    for (int i = 1; i < 16; i++)
        s->x[i] = xv_sym(opaque(c, GK_TT_F32));
    s->f.kind = FL_UNDEF;
}

/* A call to a C library function: its opcode applied to xmm0.. (float or double args). */
static int apply_libm(ctx *c, state *s, int top, gk_trace_type t, int n_args)
{
    int32_t a[3] = {0, 0, 0};
    for (int i = 0; i < n_args; i++) {
        a[i] = xv_lane(c, &s->x[i], t);
        if (a[i] < 0) return -1;
    }
    int32_t r;
    if (n_args == 1)
        r = gk_dag_op1(c->dag, top, t, a[0]);
    else if (n_args == 2)
        r = gk_dag_op2(c->dag, top, t, a[0], a[1]);
    else
        r = gk_dag_op3(c->dag, top, t, a[0], a[1], a[2]);
    if (r < 0) return -1;
    clobber_caller_saved(c, s);
    s->x[0] = xv_sym(r);
    return 0;
}

/* ---- conditions known on a path ----------------------------------------------------------------
 */

/* The value of `cond` given that `known` is `value`: 1, 0, or -1 if unrelated. A comparison of
 * the same operands with the complementary relation is the negation (jp / jnp, ja / jbe). */
static int implied(const ctx *c, int32_t cond, int32_t known, bool value)
{
    if (cond == known) return value;
    const gk_trace_op *x = gk_dag_node(c->dag, cond), *y = gk_dag_node(c->dag, known);
    if (x->opcode != y->opcode || (x->opcode != GK_TOP_FCMP && x->opcode != GK_TOP_ICMP) ||
        x->a != y->a || x->b != y->b)
        return -1;
    const unsigned all = GK_PRED_LT | GK_PRED_EQ | GK_PRED_GT |
                         (x->opcode == GK_TOP_FCMP ? (unsigned)GK_PRED_UN : 0u);
    if ((x->pred & GK_PRED_SIGNED) != (y->pred & GK_PRED_SIGNED)) return -1;
    if ((x->pred & all) == ((y->pred & all) ^ all)) return !value;
    return -1;
}

static int known_value(const ctx *c, const state *s, int32_t cond)
{
    for (int i = 0; i < s->n_known; i++) {
        const int v = implied(c, cond, s->known_cond[i], s->known_value[i]);
        if (v >= 0) return v;
    }
    return -1;
}

/* A value on a path where `cond` is `value`: selects on that condition (at the top, nested)
 * reduce to the arm taken, so what the path computes does not keep the other side's data
 * (vec_max under Clang selects the NaN it returns against the previous one). */
static int32_t decided(const ctx *c, int32_t node, int32_t cond, bool value)
{
    for (int depth = 0; node >= 0 && depth < 64; depth++) {
        const gk_trace_op *n = gk_dag_node(c->dag, node);
        if (n->opcode != GK_TOP_SELECT) break;
        const int v = implied(c, n->a, cond, value);
        if (v < 0) break;
        node = v ? n->b : n->c;
    }
    return node;
}

static void specialise(const ctx *c, state *s, int32_t cond, bool value)
{
    for (int i = 0; i < 16; i++) {
        if (s->r[i].node >= 0) s->r[i].node = decided(c, s->r[i].node, cond, value);
        if (!s->x[i].conc) s->x[i].node = decided(c, s->x[i].node, cond, value);
    }
    for (int i = 0; i < s->n_cells; i++) {
        cell *k = &s->cells[i];
        if (k->is_x && !k->x.conc) k->x.node = decided(c, k->x.node, cond, value);
        if (!k->is_x && k->g.node >= 0) k->g.node = decided(c, k->g.node, cond, value);
    }
}

/* ---- the decoder cache and one step ---------------------------------------------------------- */

static const dentry *decode(ctx *c, uint64_t pc)
{
    const size_t slot = (size_t)((pc * 0x9E3779B97F4A7C15u) >> 40) % SX_DCACHE;
    dentry *e = &c->cache->entry[slot];
    if (c->cache->tag[slot] == pc && pc) return e;
    if (pc < c->env->code_lo || pc >= c->env->code_hi) return NULL;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    c->cache->tag[slot] = 0;
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&c->dec, (const void *)(uintptr_t)pc,
                                             c->env->code_hi - pc, &e->in, ops)))
        return NULL;
    memcpy(e->ops, ops, sizeof e->ops);
    c->cache->tag[slot] = pc;
    return e;
}

static int do_ret(ctx *c, state *s)
{
    if (s->depth == 0) return STEP_RET;
    gv ra;
    addr a = {.base = BASE_STACK, .off = s->r[R_RSP].off};
    if (load_int(c, s, a, 64, &ra) < 0 || ra.node >= 0 || ra.base != BASE_NONE) return -1;
    s->r[R_RSP].off += 8;
    s->depth--;
    s->pc = (uint64_t)ra.off;
    return STEP_NEXT;
}

static int push_value(ctx *c, state *s, gv v)
{
    if (s->r[R_RSP].base != BASE_STACK || s->r[R_RSP].node >= 0) return -1;
    s->r[R_RSP].off -= 8;
    const addr a = {.base = BASE_STACK, .off = s->r[R_RSP].off};
    return store_cell(c, s, a, 8, &v, NULL);
}

/* gk_sx_resolve_libm walks the loaded modules: remember its answers for this run. */
static int resolve_cached(ctx *c, uint64_t target, gk_trace_type *t, int *n_args, const char **name)
{
    gk_sx_cache *k = c->cache;
    for (int i = 0; i < k->n_libm; i++)
        if (k->libm[i].target == target) {
            *t = k->libm[i].type;
            *n_args = k->libm[i].n_args;
            *name = NULL;
            return k->libm[i].top;
        }
    const int top = gk_sx_resolve_libm(target, t, n_args, name);
    if (top >= 0 && k->n_libm < 8) {
        k->libm[k->n_libm].target = target;
        k->libm[k->n_libm].top = top;
        k->libm[k->n_libm].n_args = *n_args;
        k->libm[k->n_libm].type = *t;
        k->n_libm++;
    }
    return top;
}

static const dentry *decode(ctx *c, uint64_t pc);

/* A PLT stub: [endbr64;] jmp [rip + disp]. A jump there is a tail call. */
static bool is_plt_stub(ctx *c, uint64_t pc)
{
    const dentry *e = decode(c, pc);
    if (e && e->in.mnemonic == ZYDIS_MNEMONIC_ENDBR64) e = decode(c, pc + e->in.length);
    return e && e->in.mnemonic == ZYDIS_MNEMONIC_JMP && e->ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY;
}

static int call_target(ctx *c,
                       state *s,
                       const ZydisDecodedInstruction *in,
                       const ZydisDecodedOperand *ops,
                       uint64_t next,
                       bool tail)
{
    gk_trace_type t;
    int n_args, top = -1;
    const char *name = NULL;
    uint64_t target = 0;
    if (ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        ZyanU64 abs_addr;
        if (!ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(in, &ops[0], s->pc, &abs_addr)))
            return fail_at(c, s, in, ops, "bad branch target");
        target = abs_addr;
        if (c->env->resolve_libm) top = resolve_cached(c, target, &t, &n_args, &name);
    } else if (ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY && ops[0].mem.base == ZYDIS_REGISTER_RIP &&
               ops[0].mem.index == ZYDIS_REGISTER_NONE && c->env->resolve_libm) {
        const uint64_t slot = s->pc + in->length + (uint64_t)ops[0].mem.disp.value;
        top = gk_sx_resolve_libm_slot(slot, &t, &n_args, &name);
        if (top < 0) return fail_at(c, s, in, ops, "call through an unknown GOT slot");
    } else {
        return fail_at(c, s, in, ops, "indirect call or jump");
    }
    if (top >= 0) {
        if (apply_libm(c, s, top, t, n_args) < 0)
            return fail_at(c, s, in, ops, "C library call with arguments of another type");
        if (tail) return do_ret(c, s) == STEP_RET ? STEP_RET : STEP_NEXT;
        s->pc = next;
        return STEP_NEXT;
    }
    if (name) {
        char why[96];
        snprintf(why, sizeof why, "call to unknown function %s", name);
        return fail_at(c, s, in, ops, why);
    }
    if (target < c->env->code_lo || target >= c->env->code_hi)
        return fail_at(c, s, in, ops, "call or jump outside the analysed code");
    if (tail) {
        s->pc = target;
        return STEP_NEXT;
    }
    /* a local function: followed (its return address is pushed like the hardware does) */
    if (s->depth >= SX_MAX_CALL_DEPTH) return fail_at(c, s, in, ops, "calls nested too deep");
    if (push_value(c, s, gv_conc(next, 0)) < 0) return fail_at(c, s, in, ops, "stack overflow");
    s->depth++;
    s->pc = target;
    return STEP_NEXT;
}

/* ---- VEX (AVX) scalar forms ---------------------------------------------------------------- */

/* The legacy SSE instruction a VEX scalar instruction computes, or INVALID. */
static ZydisMnemonic vex_legacy(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_VMOVSS: return ZYDIS_MNEMONIC_MOVSS;
    case ZYDIS_MNEMONIC_VMOVSD: return ZYDIS_MNEMONIC_MOVSD;
    case ZYDIS_MNEMONIC_VMOVAPS: return ZYDIS_MNEMONIC_MOVAPS;
    case ZYDIS_MNEMONIC_VMOVUPS: return ZYDIS_MNEMONIC_MOVUPS;
    case ZYDIS_MNEMONIC_VMOVAPD: return ZYDIS_MNEMONIC_MOVAPD;
    case ZYDIS_MNEMONIC_VMOVUPD: return ZYDIS_MNEMONIC_MOVUPD;
    case ZYDIS_MNEMONIC_VMOVD: return ZYDIS_MNEMONIC_MOVD;
    case ZYDIS_MNEMONIC_VMOVQ: return ZYDIS_MNEMONIC_MOVQ;
    case ZYDIS_MNEMONIC_VADDSS: return ZYDIS_MNEMONIC_ADDSS;
    case ZYDIS_MNEMONIC_VSUBSS: return ZYDIS_MNEMONIC_SUBSS;
    case ZYDIS_MNEMONIC_VMULSS: return ZYDIS_MNEMONIC_MULSS;
    case ZYDIS_MNEMONIC_VDIVSS: return ZYDIS_MNEMONIC_DIVSS;
    case ZYDIS_MNEMONIC_VMINSS: return ZYDIS_MNEMONIC_MINSS;
    case ZYDIS_MNEMONIC_VMAXSS: return ZYDIS_MNEMONIC_MAXSS;
    case ZYDIS_MNEMONIC_VSQRTSS: return ZYDIS_MNEMONIC_SQRTSS;
    case ZYDIS_MNEMONIC_VADDSD: return ZYDIS_MNEMONIC_ADDSD;
    case ZYDIS_MNEMONIC_VSUBSD: return ZYDIS_MNEMONIC_SUBSD;
    case ZYDIS_MNEMONIC_VMULSD: return ZYDIS_MNEMONIC_MULSD;
    case ZYDIS_MNEMONIC_VDIVSD: return ZYDIS_MNEMONIC_DIVSD;
    case ZYDIS_MNEMONIC_VMINSD: return ZYDIS_MNEMONIC_MINSD;
    case ZYDIS_MNEMONIC_VMAXSD: return ZYDIS_MNEMONIC_MAXSD;
    case ZYDIS_MNEMONIC_VSQRTSD: return ZYDIS_MNEMONIC_SQRTSD;
    case ZYDIS_MNEMONIC_VCVTSS2SD: return ZYDIS_MNEMONIC_CVTSS2SD;
    case ZYDIS_MNEMONIC_VCVTSD2SS: return ZYDIS_MNEMONIC_CVTSD2SS;
    case ZYDIS_MNEMONIC_VCVTSI2SS: return ZYDIS_MNEMONIC_CVTSI2SS;
    case ZYDIS_MNEMONIC_VCVTSI2SD: return ZYDIS_MNEMONIC_CVTSI2SD;
    case ZYDIS_MNEMONIC_VCVTTSS2SI: return ZYDIS_MNEMONIC_CVTTSS2SI;
    case ZYDIS_MNEMONIC_VCVTTSD2SI: return ZYDIS_MNEMONIC_CVTTSD2SI;
    case ZYDIS_MNEMONIC_VUCOMISS: return ZYDIS_MNEMONIC_UCOMISS;
    case ZYDIS_MNEMONIC_VCOMISS: return ZYDIS_MNEMONIC_COMISS;
    case ZYDIS_MNEMONIC_VUCOMISD: return ZYDIS_MNEMONIC_UCOMISD;
    case ZYDIS_MNEMONIC_VCOMISD: return ZYDIS_MNEMONIC_COMISD;
    case ZYDIS_MNEMONIC_VCMPSS: return ZYDIS_MNEMONIC_CMPSS;
    case ZYDIS_MNEMONIC_VCMPSD: return ZYDIS_MNEMONIC_CMPSD;
    case ZYDIS_MNEMONIC_VANDPS: return ZYDIS_MNEMONIC_ANDPS;
    case ZYDIS_MNEMONIC_VANDPD: return ZYDIS_MNEMONIC_ANDPD;
    case ZYDIS_MNEMONIC_VANDNPS: return ZYDIS_MNEMONIC_ANDNPS;
    case ZYDIS_MNEMONIC_VANDNPD: return ZYDIS_MNEMONIC_ANDNPD;
    case ZYDIS_MNEMONIC_VORPS: return ZYDIS_MNEMONIC_ORPS;
    case ZYDIS_MNEMONIC_VORPD: return ZYDIS_MNEMONIC_ORPD;
    case ZYDIS_MNEMONIC_VXORPS: return ZYDIS_MNEMONIC_XORPS;
    case ZYDIS_MNEMONIC_VXORPD: return ZYDIS_MNEMONIC_XORPD;
    case ZYDIS_MNEMONIC_VPXOR: return ZYDIS_MNEMONIC_PXOR;
    case ZYDIS_MNEMONIC_VPAND: return ZYDIS_MNEMONIC_PAND;
    case ZYDIS_MNEMONIC_VPANDN: return ZYDIS_MNEMONIC_PANDN;
    case ZYDIS_MNEMONIC_VPOR: return ZYDIS_MNEMONIC_POR;
    default: return ZYDIS_MNEMONIC_INVALID;
    }
}

/* vfmadd / vfmsub / vfnmadd / vfnmsub 132/213/231 ss/sd: which operands multiply and add, and
 * the signs (a * b + c with a or c negated; negation is exact, so one fused rounding). */
static bool vex_fma(ZydisMnemonic m, int *order, bool *neg_product, bool *neg_addend, bool *f64)
{
    static const struct {
        ZydisMnemonic m;
        int order;
        bool np, na, f64;
    } table[] = {
        {ZYDIS_MNEMONIC_VFMADD132SS, 132, false, false, false},
        {ZYDIS_MNEMONIC_VFMADD213SS, 213, false, false, false},
        {ZYDIS_MNEMONIC_VFMADD231SS, 231, false, false, false},
        {ZYDIS_MNEMONIC_VFMSUB132SS, 132, false, true, false},
        {ZYDIS_MNEMONIC_VFMSUB213SS, 213, false, true, false},
        {ZYDIS_MNEMONIC_VFMSUB231SS, 231, false, true, false},
        {ZYDIS_MNEMONIC_VFNMADD132SS, 132, true, false, false},
        {ZYDIS_MNEMONIC_VFNMADD213SS, 213, true, false, false},
        {ZYDIS_MNEMONIC_VFNMADD231SS, 231, true, false, false},
        {ZYDIS_MNEMONIC_VFNMSUB132SS, 132, true, true, false},
        {ZYDIS_MNEMONIC_VFNMSUB213SS, 213, true, true, false},
        {ZYDIS_MNEMONIC_VFNMSUB231SS, 231, true, true, false},
        {ZYDIS_MNEMONIC_VFMADD132SD, 132, false, false, true},
        {ZYDIS_MNEMONIC_VFMADD213SD, 213, false, false, true},
        {ZYDIS_MNEMONIC_VFMADD231SD, 231, false, false, true},
        {ZYDIS_MNEMONIC_VFMSUB132SD, 132, false, true, true},
        {ZYDIS_MNEMONIC_VFMSUB213SD, 213, false, true, true},
        {ZYDIS_MNEMONIC_VFMSUB231SD, 231, false, true, true},
        {ZYDIS_MNEMONIC_VFNMADD132SD, 132, true, false, true},
        {ZYDIS_MNEMONIC_VFNMADD213SD, 213, true, false, true},
        {ZYDIS_MNEMONIC_VFNMADD231SD, 231, true, false, true},
        {ZYDIS_MNEMONIC_VFNMSUB132SD, 132, true, true, true},
        {ZYDIS_MNEMONIC_VFNMSUB213SD, 213, true, true, true},
        {ZYDIS_MNEMONIC_VFNMSUB231SD, 231, true, true, true},
    };

    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].m == m) {
            *order = table[i].order;
            *neg_product = table[i].np;
            *neg_addend = table[i].na;
            *f64 = table[i].f64;
            return true;
        }
    return false;
}

/* A VEX instruction on XMM registers as the legacy one it computes: for the three-operand forms
 * the first source is copied to the destination first (the legacy op keeps the destination's
 * upper lanes, VEX takes them from the first source). FMAs are executed here and returned with
 * mnemonic INVALID. */
static int vex_as_legacy(ctx *c,
                         state *s,
                         const ZydisDecodedInstruction *in,
                         const ZydisDecodedOperand *ops,
                         ZydisDecodedInstruction *out_in,
                         ZydisDecodedOperand *out_ops)
{
    if (in->encoding != ZYDIS_INSTRUCTION_ENCODING_VEX)
        return fail_at(c, s, in, ops, "unsupported encoding (EVEX, XOP, 3DNow!)");
    for (int i = 0; i < in->operand_count_visible; i++)
        if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER && ops[i].reg.value >= ZYDIS_REGISTER_YMM0 &&
            ops[i].reg.value <= ZYDIS_REGISTER_ZMM31)
            return fail_at(c, s, in, ops, "vector (ymm/zmm) instruction");
    int order;
    bool neg_product, neg_addend, f64;
    if (vex_fma(in->mnemonic, &order, &neg_product, &neg_addend, &f64)) {
        const gk_trace_type t = f64 ? GK_TT_F64 : GK_TT_F32;
        const int di = xmm_index(ops[0].reg.value), si = xmm_index(ops[1].reg.value);
        xv v3;
        if (di < 0 || si < 0 || get_xmm_operand(c, s, in, &ops[2], f64 ? 8 : 4, &v3) < 0)
            return fail_at(c, s, in, ops, "unsupported FMA operand");
        const int32_t x1 = xv_lane(c, &s->x[di], t), x2 = xv_lane(c, &s->x[si], t),
                      x3 = xv_lane(c, &v3, t);
        if (x1 < 0 || x2 < 0 || x3 < 0) return fail_at(c, s, in, ops, "FMA of another width");
        int32_t m1 = order == 132 ? x1 : x2,
                m2 = order == 132   ? x3
                     : order == 213 ? x1
                                    : x3,
                add = order == 132   ? x2
                      : order == 213 ? x3
                                     : x1;
        if (neg_product) m1 = gk_dag_op1(c->dag, GK_TOP_NEG, t, m1);
        if (neg_addend) add = gk_dag_op1(c->dag, GK_TOP_NEG, t, add);
        const int32_t r = gk_dag_op3(c->dag, GK_TOP_FMA, t, m1, m2, add);
        if (r < 0) return fail_at(c, s, in, ops, "trace too large");
        s->x[di] = xv_sym(r);
        out_in->mnemonic = ZYDIS_MNEMONIC_INVALID;
        return STEP_NEXT;
    }
    if (in->mnemonic == ZYDIS_MNEMONIC_VBROADCASTSS) {
        /* a 4-byte value in every lane (Clang loads constants so); the low lane is what counts */
        const int di = xmm_index(ops[0].reg.value);
        xv v;
        if (di < 0 || get_xmm_operand(c, s, in, &ops[1], 4, &v) < 0)
            return fail_at(c, s, in, ops, "unsupported operand");
        if (v.conc)
            for (int i = 4; i < 16; i++)
                v.bytes[i] = v.bytes[i % 4];
        else
            v = xv_sym(xv_lane(c, &v, GK_TT_F32));
        if (!v.conc && v.node < 0) return fail_at(c, s, in, ops, "broadcast of another width");
        s->x[di] = v;
        out_in->mnemonic = ZYDIS_MNEMONIC_INVALID;
        return STEP_NEXT;
    }
    const ZydisMnemonic legacy = vex_legacy(in->mnemonic);
    if (legacy == ZYDIS_MNEMONIC_INVALID) return fail_at(c, s, in, ops, "unsupported instruction");
    *out_in = *in;
    out_in->mnemonic = legacy;
    memcpy(out_ops, ops, 5 * sizeof *ops);
    /* three operands with a register first source: dst = src1, then the legacy two-operand op */
    const bool three =
        in->operand_count_visible >= 3 && ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
        xmm_index(ops[1].reg.value) >= 0 && ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER;
    if (three) {
        const int di = xmm_index(ops[0].reg.value), si = xmm_index(ops[1].reg.value);
        if (di < 0) return fail_at(c, s, in, ops, "unsupported destination");
        const bool src2_is_dst =
            ops[2].type == ZYDIS_OPERAND_TYPE_REGISTER && ops[2].reg.value == ops[0].reg.value;
        if (src2_is_dst && di != si) {
            /* dst = src1 op dst: computed here in that operand order (the legacy form would read
             * the overwritten dst); bitwise ops are symmetric bit for bit */
            const bool dbl = legacy == ZYDIS_MNEMONIC_ADDSD || legacy == ZYDIS_MNEMONIC_SUBSD ||
                             legacy == ZYDIS_MNEMONIC_MULSD || legacy == ZYDIS_MNEMONIC_DIVSD ||
                             legacy == ZYDIS_MNEMONIC_MINSD || legacy == ZYDIS_MNEMONIC_MAXSD;
            const int top =
                legacy == ZYDIS_MNEMONIC_ADDSS || legacy == ZYDIS_MNEMONIC_ADDSD   ? GK_TOP_ADD
                : legacy == ZYDIS_MNEMONIC_SUBSS || legacy == ZYDIS_MNEMONIC_SUBSD ? GK_TOP_SUB
                : legacy == ZYDIS_MNEMONIC_MULSS || legacy == ZYDIS_MNEMONIC_MULSD ? GK_TOP_MUL
                : legacy == ZYDIS_MNEMONIC_DIVSS || legacy == ZYDIS_MNEMONIC_DIVSD ? GK_TOP_DIV
                : legacy == ZYDIS_MNEMONIC_MINSS || legacy == ZYDIS_MNEMONIC_MINSD ? GK_TOP_MIN
                : legacy == ZYDIS_MNEMONIC_MAXSS || legacy == ZYDIS_MNEMONIC_MAXSD ? GK_TOP_MAX
                                                                                   : -1;
            if (top >= 0) {
                const gk_trace_type t = dbl ? GK_TT_F64 : GK_TT_F32;
                const int32_t x1 = xv_lane(c, &s->x[si], t), x2 = xv_lane(c, &s->x[di], t);
                const int32_t r = x1 < 0 || x2 < 0 ? -1 : gk_dag_op2(c->dag, top, t, x1, x2);
                if (r < 0) return fail_at(c, s, in, ops, "operation on a value of another width");
                s->x[di] = xv_sym(r);
                out_in->mnemonic = ZYDIS_MNEMONIC_INVALID;
                return STEP_NEXT;
            }
            if (legacy != ZYDIS_MNEMONIC_ANDPS && legacy != ZYDIS_MNEMONIC_ORPS &&
                legacy != ZYDIS_MNEMONIC_XORPS && legacy != ZYDIS_MNEMONIC_ANDPD &&
                legacy != ZYDIS_MNEMONIC_ORPD && legacy != ZYDIS_MNEMONIC_XORPD &&
                legacy != ZYDIS_MNEMONIC_PXOR && legacy != ZYDIS_MNEMONIC_PAND &&
                legacy != ZYDIS_MNEMONIC_POR)
                return fail_at(c, s, in, ops, "VEX form with the destination as second source");
            out_ops[1] = ops[1];
        } else {
            s->x[di] = s->x[si];
            out_ops[1] = ops[2];
        }
        out_ops[2] = ops[3];
        out_in->operand_count_visible = (uint8_t)(in->operand_count_visible - 1);
    }
    return STEP_NEXT;
}

static int step(ctx *c, state *s)
{
    if (++c->steps > (c->env->max_steps ? c->env->max_steps : SX_MAX_STEPS))
        return fail(c, s, "instruction budget exhausted");
    const dentry *e = decode(c, s->pc);
    if (!e) return fail(c, s, "undecodable instruction or code outside the function's module");
    const ZydisDecodedInstruction *in = &e->in;
    const ZydisDecodedOperand *ops = e->ops;
    ZydisDecodedInstruction vex_in;
    ZydisDecodedOperand vex_ops[5];
    if (in->encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY) {
        const int k = vex_as_legacy(c, s, in, ops, &vex_in, vex_ops);
        if (k != STEP_NEXT) return k;
        if (vex_in.mnemonic == ZYDIS_MNEMONIC_INVALID) {
            s->pc += in->length; /* executed by vex_as_legacy */
            return STEP_NEXT;
        }
        in = &vex_in;
        ops = vex_ops;
    }
    const uint64_t next = s->pc + in->length;
    const unsigned w = ops[0].size;
    gv a, b, r;

#define NEED(cond, why)                                  \
    do {                                                 \
        if (!(cond)) return fail_at(c, s, in, ops, why); \
    } while (0)

    if (in->attributes & ZYDIS_ATTRIB_HAS_LOCK) return fail_at(c, s, in, ops, "locked instruction");
    switch (in->mnemonic) {
    case ZYDIS_MNEMONIC_NOP:
    case ZYDIS_MNEMONIC_ENDBR64: break;
    case ZYDIS_MNEMONIC_MOV:
        NEED(get_int(c, s, in, &ops[1], w, &a) == 0,
             "load from memory that is not an array, the stack or read-only constants (writable "
             "data, a pointer read from memory, an address computed from data)");
        NEED(set_int(c, s, in, &ops[0], w, a) == 0, "unsupported destination");
        break;
    case ZYDIS_MNEMONIC_MOVZX:
    case ZYDIS_MNEMONIC_MOVSX:
    case ZYDIS_MNEMONIC_MOVSXD: {
        const unsigned sw = ops[1].size;
        NEED(get_int(c, s, in, &ops[1], sw, &a) == 0 && a.base == BASE_NONE, "unsupported operand");
        if (a.node < 0) {
            uint64_t v = (uint64_t)a.off & mask_bits(sw);
            if (in->mnemonic != ZYDIS_MNEMONIC_MOVZX && (v >> (sw - 1)) & 1) v |= ~mask_bits(sw);
            r = gv_conc(v & mask_bits(w), a.taint);
        } else {
            r = gv_sym(gk_dag_op1(c->dag,
                                  in->mnemonic == ZYDIS_MNEMONIC_MOVZX ? GK_TOP_ZEXT : GK_TOP_SEXT,
                                  int_type(w), a.node));
        }
        NEED(set_int(c, s, in, &ops[0], w, r) == 0, "unsupported destination");
        break;
    }
    case ZYDIS_MNEMONIC_CDQE:
        a = s->r[R_RAX];
        NEED(a.base == BASE_NONE, "pointer sign-extended");
        if (a.node < 0)
            r = gv_conc((uint64_t)(int64_t)(int32_t)(uint32_t)a.off, a.taint);
        else
            r = gv_sym(gk_dag_op1(c->dag, GK_TOP_SEXT, GK_TT_I64, gv_node(c, a, 32)));
        s->r[R_RAX] = r;
        break;
    case ZYDIS_MNEMONIC_LEA: {
        addr ad;
        NEED(ops[1].mem.base != ZYDIS_REGISTER_RIP, "address of code or data");
        if (mem_address(c, s, in, &ops[1], &ad) != 0) {
            /* arithmetic on data: base + index * scale + disp in the operand width */
            const gk_trace_type t = int_type(w);
            int32_t sum = gk_dag_const(c->dag, t, (uint64_t)ops[1].mem.disp.value);
            const ZydisRegister regs[2] = {ops[1].mem.base, ops[1].mem.index};
            for (int k = 0; k < 2 && sum >= 0; k++) {
                if (regs[k] == ZYDIS_REGISTER_NONE) continue;
                const int ri = gpr_index(regs[k]);
                NEED(ri >= 0, "unsupported address register");
                int32_t v = gv_node(c, s->r[ri], w);
                NEED(v >= 0, "address of a pointer mixed with data");
                if (k == 1 && ops[1].mem.scale > 1)
                    v = gk_dag_op2(c->dag, GK_TOP_IMUL, t, v,
                                   gk_dag_const(c->dag, t, ops[1].mem.scale));
                sum = gk_dag_op2(c->dag, GK_TOP_IADD, t, sum, v);
            }
            NEED(sum >= 0, "trace too large");
            NEED(set_int(c, s, in, &ops[0], w, gv_sym(sum)) == 0, "unsupported destination");
            break;
        }
        r = (gv){.node = -1, .base = ad.base, .off = ad.off};
        if (ad.base == BASE_NONE) {
            /* taint of the registers involved */
            uint8_t t = 0;
            if (ops[1].mem.base != ZYDIS_REGISTER_NONE) t |= s->r[gpr_index(ops[1].mem.base)].taint;
            if (ops[1].mem.index != ZYDIS_REGISTER_NONE)
                t |= s->r[gpr_index(ops[1].mem.index)].taint;
            r = gv_conc((uint64_t)ad.off & mask_bits(w), t);
        }
        NEED(set_int(c, s, in, &ops[0], w, r) == 0, "unsupported destination");
        break;
    }
    case ZYDIS_MNEMONIC_ADD:
    case ZYDIS_MNEMONIC_SUB:
    case ZYDIS_MNEMONIC_AND:
    case ZYDIS_MNEMONIC_OR:
    case ZYDIS_MNEMONIC_XOR:
    case ZYDIS_MNEMONIC_CMP:
    case ZYDIS_MNEMONIC_TEST: {
        const bool same = ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                          ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
                          ops[0].reg.value == ops[1].reg.value;
        if (same && (in->mnemonic == ZYDIS_MNEMONIC_XOR || in->mnemonic == ZYDIS_MNEMONIC_SUB)) {
            /* zeroing idiom: the old value (maybe a pointer) does not matter */
            flags_logic(s, 0, w);
            NEED(set_int(c, s, in, &ops[0], w, gv_conc(0, 0)) == 0, "unsupported destination");
            break;
        }
        NEED(get_int(c, s, in, &ops[0], w, &a) == 0, "unsupported operand");
        NEED(get_int(c, s, in, &ops[1], w, &b) == 0, "unsupported operand");
        NEED(int_binop(c, s, in->mnemonic, a, b, w, &r,
                       same && in->mnemonic != ZYDIS_MNEMONIC_TEST &&
                           in->mnemonic != ZYDIS_MNEMONIC_AND &&
                           in->mnemonic != ZYDIS_MNEMONIC_OR &&
                           in->mnemonic != ZYDIS_MNEMONIC_CMP) == 0,
             "unsupported integer operation");
        if (in->mnemonic != ZYDIS_MNEMONIC_CMP && in->mnemonic != ZYDIS_MNEMONIC_TEST)
            NEED(set_int(c, s, in, &ops[0], w, r) == 0, "unsupported destination");
        break;
    }
    case ZYDIS_MNEMONIC_ADC:
    case ZYDIS_MNEMONIC_SBB: {
        /* with the carry of a comparison: how Clang counts (ucomiss; sbb r, -1) */
        const int32_t carry = cc_node(c, s, CC_B);
        NEED(carry >= 0, "carry the executor does not model");
        NEED(get_int(c, s, in, &ops[0], w, &a) == 0 && a.base == BASE_NONE, "unsupported operand");
        NEED(get_int(c, s, in, &ops[1], w, &b) == 0 && b.base == BASE_NONE, "unsupported operand");
        const gk_trace_op *cn = gk_dag_node(c->dag, carry);
        const int op = in->mnemonic == ZYDIS_MNEMONIC_ADC ? GK_TOP_IADD : GK_TOP_ISUB;
        if (cn->opcode == GK_TOP_CONST && a.node < 0 && b.node < 0) {
            const uint64_t x = (uint64_t)a.off, y = (uint64_t)b.off + cn->imm;
            r = gv_conc((op == GK_TOP_IADD ? x + y : x - y) & mask_bits(w), a.taint | b.taint);
            s->f.kind = FL_UNDEF;
        } else {
            const gk_trace_type t = int_type(w);
            const int32_t an = gv_node(c, a, w), bn = gv_node(c, b, w);
            NEED(an >= 0 && bn >= 0, "carry arithmetic on a size");
            const int32_t ab = gk_dag_op2(c->dag, op, t, an, bn);
            r = gv_sym(gk_dag_op2(c->dag, op, t, ab, gk_dag_op1(c->dag, GK_TOP_ZEXT, t, carry)));
            NEED(r.node >= 0, "trace too large");
            s->f.kind = FL_UNDEF;
        }
        NEED(set_int(c, s, in, &ops[0], w, r) == 0, "unsupported destination");
        break;
    }
    case ZYDIS_MNEMONIC_IMUL: {
        const int n_vis = in->operand_count_visible;
        NEED(n_vis >= 2, "one-operand imul");
        NEED(get_int(c, s, in, &ops[n_vis == 3 ? 1 : 0], w, &a) == 0, "unsupported operand");
        NEED(get_int(c, s, in, &ops[n_vis == 3 ? 2 : 1], w, &b) == 0, "unsupported operand");
        NEED(int_binop(c, s, in->mnemonic, a, b, w, &r, false) == 0, "unsupported imul");
        NEED(set_int(c, s, in, &ops[0], w, r) == 0, "unsupported destination");
        break;
    }
    case ZYDIS_MNEMONIC_INC:
    case ZYDIS_MNEMONIC_DEC: {
        NEED(get_int(c, s, in, &ops[0], w, &a) == 0, "unsupported operand");
        const uint8_t cf = s->f.cf;
        NEED(int_binop(c, s,
                       in->mnemonic == ZYDIS_MNEMONIC_INC ? ZYDIS_MNEMONIC_ADD : ZYDIS_MNEMONIC_SUB,
                       a, gv_conc(1, 0), w, &r, false) == 0,
             "unsupported operand");
        if (s->f.kind == FL_ICMP) s->f.kind = FL_UNDEF;
        s->f.cf = cf; /* inc/dec keep CF */
        NEED(set_int(c, s, in, &ops[0], w, r) == 0, "unsupported destination");
        break;
    }
    case ZYDIS_MNEMONIC_NEG:
    case ZYDIS_MNEMONIC_NOT:
        NEED(get_int(c, s, in, &ops[0], w, &a) == 0 && a.base == BASE_NONE, "unsupported operand");
        if (a.node < 0) {
            r = gv_conc(
                (in->mnemonic == ZYDIS_MNEMONIC_NEG ? 0 - (uint64_t)a.off : ~(uint64_t)a.off) &
                    mask_bits(w),
                a.taint);
            if (in->mnemonic == ZYDIS_MNEMONIC_NEG) flags_sub(s, 0, (uint64_t)a.off, w);
        } else if (in->mnemonic == ZYDIS_MNEMONIC_NOT) {
            r = gv_sym(gk_dag_op1(c->dag, GK_TOP_NOT, int_type(w), a.node));
        } else {
            r = gv_sym(gk_dag_op2(c->dag, GK_TOP_ISUB, int_type(w),
                                  gk_dag_const(c->dag, int_type(w), 0), a.node));
            s->f.kind = FL_UNDEF;
        }
        NEED(set_int(c, s, in, &ops[0], w, r) == 0, "unsupported destination");
        break;
    case ZYDIS_MNEMONIC_SHL:
    case ZYDIS_MNEMONIC_SHR:
    case ZYDIS_MNEMONIC_SAR:
        NEED(get_int(c, s, in, &ops[0], w, &a) == 0, "unsupported operand");
        if (in->operand_count_visible >= 2)
            NEED(get_int(c, s, in, &ops[1], 8, &b) == 0, "unsupported shift count");
        else
            b = gv_conc(1, 0);
        NEED(shift_op(c, s, in->mnemonic, a, b, w, &r) == 0, "shift of a pointer or by data");
        NEED(set_int(c, s, in, &ops[0], w, r) == 0, "unsupported destination");
        break;
    case ZYDIS_MNEMONIC_BSR: {
        NEED(get_int(c, s, in, &ops[1], w, &a) == 0 && a.base == BASE_NONE, "unsupported operand");
        if (a.node < 0) {
            const uint64_t x = (uint64_t)a.off & mask_bits(w);
            NEED(x != 0, "bsr of zero (destination undefined)");
            r = gv_conc((uint64_t)(63 - __builtin_clzll(x)), a.taint);
            s->f = (flags){.kind = FL_CONC, .width = (uint8_t)w, .zf = 0};
        } else {
            r = gv_sym(gk_dag_op1(c->dag, GK_TOP_BSR, int_type(w), a.node));
            NEED(r.node >= 0, "trace too large");
            s->f = (flags){.kind = FL_TEST, .width = (uint8_t)w, .a = a.node}; /* ZF: source 0 */
        }
        NEED(set_int(c, s, in, &ops[0], w, r) == 0, "unsupported destination");
        break;
    }
    case ZYDIS_MNEMONIC_PUSH:
        NEED(get_int(c, s, in, &ops[0], 64, &a) == 0, "unsupported push");
        NEED(push_value(c, s, a) == 0, "stack overflow");
        break;
    case ZYDIS_MNEMONIC_POP: {
        const addr ad = {.base = BASE_STACK, .off = s->r[R_RSP].off};
        NEED(load_int(c, s, ad, 64, &a) == 0, "pop of an unknown stack slot");
        s->r[R_RSP].off += 8;
        NEED(set_int(c, s, in, &ops[0], 64, a) == 0, "unsupported destination");
        break;
    }
    case ZYDIS_MNEMONIC_LEAVE: {
        s->r[R_RSP] = s->r[R_RBP];
        NEED(s->r[R_RSP].base == BASE_STACK, "leave without a frame");
        const addr ad = {.base = BASE_STACK, .off = s->r[R_RSP].off};
        NEED(load_int(c, s, ad, 64, &a) == 0, "unknown saved frame pointer");
        s->r[R_RSP].off += 8;
        s->r[R_RBP] = a;
        break;
    }
    case ZYDIS_MNEMONIC_RET: {
        NEED(in->operand_count_visible == 0, "ret with an immediate");
        NEED(s->r[R_RSP].base == BASE_STACK, "stack pointer lost");
        if (s->depth == 0) NEED(s->r[R_RSP].off == 0, "unbalanced stack at return");
        const int k = do_ret(c, s);
        NEED(k >= 0, "return to an unknown address");
        return k;
    }
    case ZYDIS_MNEMONIC_CALL: return call_target(c, s, in, ops, next, false);
    case ZYDIS_MNEMONIC_JMP: {
        if (ops[0].type != ZYDIS_OPERAND_TYPE_IMMEDIATE)
            return call_target(c, s, in, ops, next, true);
        ZyanU64 t;
        NEED(ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(in, &ops[0], s->pc, &t)), "bad jump");
        if (t < c->env->code_lo || t >= c->env->code_hi || is_plt_stub(c, t))
            return call_target(c, s, in, ops, next, true);
        s->pc = t;
        return STEP_NEXT;
    }
    case ZYDIS_MNEMONIC_JO:
    case ZYDIS_MNEMONIC_JNO:
    case ZYDIS_MNEMONIC_JB:
    case ZYDIS_MNEMONIC_JNB:
    case ZYDIS_MNEMONIC_JZ:
    case ZYDIS_MNEMONIC_JNZ:
    case ZYDIS_MNEMONIC_JBE:
    case ZYDIS_MNEMONIC_JNBE:
    case ZYDIS_MNEMONIC_JS:
    case ZYDIS_MNEMONIC_JNS:
    case ZYDIS_MNEMONIC_JP:
    case ZYDIS_MNEMONIC_JNP:
    case ZYDIS_MNEMONIC_JL:
    case ZYDIS_MNEMONIC_JNL:
    case ZYDIS_MNEMONIC_JLE:
    case ZYDIS_MNEMONIC_JNLE: {
        ZyanU64 t;
        NEED(ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(in, &ops[0], s->pc, &t)), "bad jump");
        const int32_t cond = cc_node(c, s, cc_of(in->mnemonic));
        NEED(cond >= 0, "branch on flags the executor does not model");
        const gk_trace_op *cn = gk_dag_node(c->dag, cond);
        if (cn->opcode == GK_TOP_CONST) {
            s->pc = cn->imm ? t : next;
            return STEP_NEXT;
        }
        const int known = known_value(c, s, cond);
        if (known >= 0) {
            s->pc = known ? t : next;
            return STEP_NEXT;
        }
        c->fork_cond = cond;
        c->fork_taken = t;
        c->fork_fall = next;
        return STEP_FORK;
    }
    case ZYDIS_MNEMONIC_SETO:
    case ZYDIS_MNEMONIC_SETNO:
    case ZYDIS_MNEMONIC_SETB:
    case ZYDIS_MNEMONIC_SETNB:
    case ZYDIS_MNEMONIC_SETZ:
    case ZYDIS_MNEMONIC_SETNZ:
    case ZYDIS_MNEMONIC_SETBE:
    case ZYDIS_MNEMONIC_SETNBE:
    case ZYDIS_MNEMONIC_SETS:
    case ZYDIS_MNEMONIC_SETNS:
    case ZYDIS_MNEMONIC_SETP:
    case ZYDIS_MNEMONIC_SETNP:
    case ZYDIS_MNEMONIC_SETL:
    case ZYDIS_MNEMONIC_SETNL:
    case ZYDIS_MNEMONIC_SETLE:
    case ZYDIS_MNEMONIC_SETNLE: {
        const int32_t cond = cc_node(c, s, cc_of(in->mnemonic));
        NEED(cond >= 0, "setcc on flags the executor does not model");
        const gk_trace_op *cn = gk_dag_node(c->dag, cond);
        r = cn->opcode == GK_TOP_CONST ? gv_conc(cn->imm, 0)
                                       : gv_sym(gk_dag_op1(c->dag, GK_TOP_ZEXT, GK_TT_I8, cond));
        NEED(set_int(c, s, in, &ops[0], 8, r) == 0, "unsupported destination");
        break;
    }
    case ZYDIS_MNEMONIC_CMOVO:
    case ZYDIS_MNEMONIC_CMOVNO:
    case ZYDIS_MNEMONIC_CMOVB:
    case ZYDIS_MNEMONIC_CMOVNB:
    case ZYDIS_MNEMONIC_CMOVZ:
    case ZYDIS_MNEMONIC_CMOVNZ:
    case ZYDIS_MNEMONIC_CMOVBE:
    case ZYDIS_MNEMONIC_CMOVNBE:
    case ZYDIS_MNEMONIC_CMOVS:
    case ZYDIS_MNEMONIC_CMOVNS:
    case ZYDIS_MNEMONIC_CMOVP:
    case ZYDIS_MNEMONIC_CMOVNP:
    case ZYDIS_MNEMONIC_CMOVL:
    case ZYDIS_MNEMONIC_CMOVNL:
    case ZYDIS_MNEMONIC_CMOVLE:
    case ZYDIS_MNEMONIC_CMOVNLE: {
        const int32_t cond = cc_node(c, s, cc_of(in->mnemonic));
        NEED(cond >= 0, "cmov on flags the executor does not model");
        NEED(get_int(c, s, in, &ops[0], w, &a) == 0, "unsupported operand");
        NEED(get_int(c, s, in, &ops[1], w, &b) == 0, "unsupported operand");
        const gk_trace_op *cn = gk_dag_node(c->dag, cond);
        if (cn->opcode == GK_TOP_CONST) {
            r = cn->imm ? b : a;
        } else {
            const int32_t an = gv_node(c, a, w), bn = gv_node(c, b, w);
            NEED(an >= 0 && bn >= 0, "conditional move of a pointer or size");
            r = gv_sym(gk_dag_op3(c->dag, GK_TOP_SELECT, int_type(w), cond, bn, an));
        }
        NEED(set_int(c, s, in, &ops[0], w, r) == 0, "unsupported destination");
        break;
    }

    /* ---- SSE ---- */
    case ZYDIS_MNEMONIC_MOVSS:
    case ZYDIS_MNEMONIC_MOVSD: {
        const unsigned bytes = in->mnemonic == ZYDIS_MNEMONIC_MOVSS ? 4 : 8;
        const gk_trace_type ft = bytes == 4 ? GK_TT_F32 : GK_TT_F64;
        NEED(in->operand_count_visible == 2, "unsupported movss/movsd form");
        if (ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY) {
            const int si = xmm_index(ops[1].reg.value);
            addr ad;
            NEED(si >= 0 && mem_address(c, s, in, &ops[0], &ad) == 0, "unsupported store");
            xv v = s->x[si];
            if (!v.conc) {
                v = xv_sym(xv_lane(c, &v, ft));
                NEED(v.node >= 0, "store of a value of another width");
            }
            NEED(store_cell(c, s, ad, bytes, NULL, &v) == 0, "store outside the arrays and stack");
            break;
        }
        const int di = xmm_index(ops[0].reg.value);
        xv v;
        NEED(di >= 0 && get_xmm_operand(c, s, in, &ops[1], bytes, &v) == 0, "unsupported load");
        if (ops[1].type == ZYDIS_OPERAND_TYPE_MEMORY) {
            if (v.conc) memset(v.bytes + bytes, 0, 16 - bytes);
            s->x[di] = v;
        } else if (v.conc && s->x[di].conc) {
            memcpy(s->x[di].bytes, v.bytes, bytes);
            s->x[di].taint |= v.taint;
        } else {
            const int32_t n = xv_lane(c, &v, ft);
            NEED(n >= 0, "move of a value of another width");
            s->x[di] = xv_sym(n);
        }
        break;
    }
    case ZYDIS_MNEMONIC_MOVAPS:
    case ZYDIS_MNEMONIC_MOVUPS:
    case ZYDIS_MNEMONIC_MOVAPD:
    case ZYDIS_MNEMONIC_MOVUPD:
    case ZYDIS_MNEMONIC_MOVDQA:
    case ZYDIS_MNEMONIC_MOVDQU: {
        if (ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY) {
            const int si = xmm_index(ops[1].reg.value);
            addr ad;
            NEED(si >= 0 && mem_address(c, s, in, &ops[0], &ad) == 0 && ad.base == BASE_STACK,
                 "16-byte store outside the stack");
            NEED(store_cell(c, s, ad, 16, NULL, &s->x[si]) == 0, "stack full");
            break;
        }
        const int di = xmm_index(ops[0].reg.value);
        xv v;
        NEED(di >= 0 && get_xmm_operand(c, s, in, &ops[1], 16, &v) == 0,
             "unsupported 16-byte load");
        s->x[di] = v;
        break;
    }
    case ZYDIS_MNEMONIC_MOVD:
    case ZYDIS_MNEMONIC_MOVQ: {
        const unsigned bits = in->mnemonic == ZYDIS_MNEMONIC_MOVD ? 32 : 64;
        const int dx =
            ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER ? xmm_index(ops[0].reg.value) : -1;
        if (dx >= 0) {
            const int sx =
                ops[1].type == ZYDIS_OPERAND_TYPE_REGISTER ? xmm_index(ops[1].reg.value) : -1;
            xv v;
            if (sx >= 0 || ops[1].type == ZYDIS_OPERAND_TYPE_MEMORY) {
                NEED(get_xmm_operand(c, s, in, &ops[1], bits / 8, &v) == 0, "unsupported movq");
                if (v.conc)
                    memset(v.bytes + bits / 8, 0, 16 - bits / 8);
                else {
                    v = xv_sym(xv_lane(c, &v, int_type(bits)));
                    NEED(v.node >= 0, "movq of a value of another width");
                }
            } else {
                NEED(get_int(c, s, in, &ops[1], bits, &a) == 0 && a.base == BASE_NONE,
                     "pointer moved into an XMM register");
                if (a.node < 0) {
                    v = xv_zero();
                    v.taint = a.taint;
                    memcpy(v.bytes, &a.off, bits / 8);
                } else {
                    v = xv_sym(a.node);
                }
            }
            s->x[dx] = v;
            break;
        }
        const int sx = xmm_index(ops[1].reg.value);
        NEED(sx >= 0, "unsupported movd/movq");
        const xv *v = &s->x[sx];
        if (v->conc) {
            uint64_t bitsv = 0;
            memcpy(&bitsv, v->bytes, bits / 8);
            r = gv_conc(bitsv, v->taint);
        } else {
            r = gv_sym(xv_lane(c, v, int_type(bits)));
            NEED(r.node >= 0, "movd of a value of another width");
        }
        if (ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY) {
            addr ad;
            NEED(mem_address(c, s, in, &ops[0], &ad) == 0, "unsupported store");
            NEED(store_cell(c, s, ad, bits / 8, &r, NULL) == 0, "unsupported store");
        } else {
            NEED(set_int(c, s, in, &ops[0], bits, r) == 0, "unsupported destination");
        }
        break;
    }
    case ZYDIS_MNEMONIC_ADDSS:
        NEED(scalar_fp(c, s, in, ops, GK_TOP_ADD, GK_TT_F32) == 0, "unsupported operand");
        break;
    case ZYDIS_MNEMONIC_SUBSS:
        NEED(scalar_fp(c, s, in, ops, GK_TOP_SUB, GK_TT_F32) == 0, "unsupported operand");
        break;
    case ZYDIS_MNEMONIC_MULSS:
        NEED(scalar_fp(c, s, in, ops, GK_TOP_MUL, GK_TT_F32) == 0, "unsupported operand");
        break;
    case ZYDIS_MNEMONIC_DIVSS:
        NEED(scalar_fp(c, s, in, ops, GK_TOP_DIV, GK_TT_F32) == 0, "unsupported operand");
        break;
    case ZYDIS_MNEMONIC_MINSS:
        NEED(scalar_fp(c, s, in, ops, GK_TOP_MIN, GK_TT_F32) == 0, "unsupported operand");
        break;
    case ZYDIS_MNEMONIC_MAXSS:
        NEED(scalar_fp(c, s, in, ops, GK_TOP_MAX, GK_TT_F32) == 0, "unsupported operand");
        break;
    case ZYDIS_MNEMONIC_SQRTSS:
        NEED(scalar_fp(c, s, in, ops, GK_TOP_SQRT, GK_TT_F32) == 0, "unsupported operand");
        break;
    case ZYDIS_MNEMONIC_ADDSD:
        NEED(scalar_fp(c, s, in, ops, GK_TOP_ADD, GK_TT_F64) == 0, "unsupported operand");
        break;
    case ZYDIS_MNEMONIC_SUBSD:
        NEED(scalar_fp(c, s, in, ops, GK_TOP_SUB, GK_TT_F64) == 0, "unsupported operand");
        break;
    case ZYDIS_MNEMONIC_MULSD:
        NEED(scalar_fp(c, s, in, ops, GK_TOP_MUL, GK_TT_F64) == 0, "unsupported operand");
        break;
    case ZYDIS_MNEMONIC_DIVSD:
        NEED(scalar_fp(c, s, in, ops, GK_TOP_DIV, GK_TT_F64) == 0, "unsupported operand");
        break;
    case ZYDIS_MNEMONIC_MINSD:
        NEED(scalar_fp(c, s, in, ops, GK_TOP_MIN, GK_TT_F64) == 0, "unsupported operand");
        break;
    case ZYDIS_MNEMONIC_MAXSD:
        NEED(scalar_fp(c, s, in, ops, GK_TOP_MAX, GK_TT_F64) == 0, "unsupported operand");
        break;
    case ZYDIS_MNEMONIC_SQRTSD:
        NEED(scalar_fp(c, s, in, ops, GK_TOP_SQRT, GK_TT_F64) == 0, "unsupported operand");
        break;
    case ZYDIS_MNEMONIC_CVTSS2SD:
    case ZYDIS_MNEMONIC_CVTSD2SS: {
        const bool up = in->mnemonic == ZYDIS_MNEMONIC_CVTSS2SD;
        const gk_trace_type from = up ? GK_TT_F32 : GK_TT_F64, to = up ? GK_TT_F64 : GK_TT_F32;
        const int di = xmm_index(ops[0].reg.value);
        xv v;
        NEED(di >= 0 && get_xmm_operand(c, s, in, &ops[1], up ? 4 : 8, &v) == 0,
             "unsupported operand");
        const gk_trace_op o = {.opcode = GK_TOP_CVT, .type = (uint8_t)to};
        if (v.conc && s->x[di].conc) {
            uint64_t x = 0;
            memcpy(&x, v.bytes, up ? 4 : 8);
            const uint64_t y = gk_trace_eval_one(&o, from, x, 0, 0);
            memcpy(s->x[di].bytes, &y, up ? 8 : 4);
            s->x[di].taint |= v.taint;
        } else {
            const int32_t n = xv_lane(c, &v, from);
            NEED(n >= 0, "conversion of a value of another width");
            s->x[di] = xv_sym(gk_dag_op1(c->dag, GK_TOP_CVT, to, n));
        }
        break;
    }
    case ZYDIS_MNEMONIC_CVTSI2SS:
    case ZYDIS_MNEMONIC_CVTSI2SD: {
        const gk_trace_type to = in->mnemonic == ZYDIS_MNEMONIC_CVTSI2SS ? GK_TT_F32 : GK_TT_F64;
        const int di = xmm_index(ops[0].reg.value);
        const unsigned sw = ops[1].size;
        NEED(di >= 0 && get_int(c, s, in, &ops[1], sw, &a) == 0 && a.base == BASE_NONE,
             "unsupported operand");
        const gk_trace_op o = {.opcode = GK_TOP_CVT, .type = (uint8_t)to, .pred = GK_CVT_SIGNED};
        if (a.node < 0 && s->x[di].conc) {
            const uint64_t y = gk_trace_eval_one(&o, int_type(sw), (uint64_t)a.off, 0, 0);
            memcpy(s->x[di].bytes, &y, gk_trace_type_bits(to) / 8);
            s->x[di].taint |= a.taint;
        } else {
            const int32_t n = gv_node(c, a, sw);
            NEED(n >= 0, "conversion of a size-derived number");
            s->x[di] = xv_sym(gk_dag_add(c->dag, (gk_trace_op){.opcode = GK_TOP_CVT,
                                                               .type = (uint8_t)to,
                                                               .pred = GK_CVT_SIGNED,
                                                               .a = n}));
        }
        break;
    }
    case ZYDIS_MNEMONIC_CVTTSS2SI:
    case ZYDIS_MNEMONIC_CVTTSD2SI: {
        const gk_trace_type from = in->mnemonic == ZYDIS_MNEMONIC_CVTTSS2SI ? GK_TT_F32 : GK_TT_F64;
        xv v;
        NEED(get_xmm_operand(c, s, in, &ops[1], gk_trace_type_bits(from) / 8, &v) == 0,
             "unsupported operand");
        const int32_t n = xv_lane(c, &v, from);
        NEED(n >= 0, "conversion of a value of another width");
        r = gv_sym(gk_dag_op1(c->dag, GK_TOP_CVT, int_type(w), n));
        if (gk_dag_node(c->dag, r.node)->opcode == GK_TOP_CONST)
            r = gv_conc(gk_dag_node(c->dag, r.node)->imm, 0);
        NEED(set_int(c, s, in, &ops[0], w, r) == 0, "unsupported destination");
        break;
    }
    case ZYDIS_MNEMONIC_UCOMISS:
    case ZYDIS_MNEMONIC_COMISS:
    case ZYDIS_MNEMONIC_UCOMISD:
    case ZYDIS_MNEMONIC_COMISD: {
        const bool f64 =
            in->mnemonic == ZYDIS_MNEMONIC_UCOMISD || in->mnemonic == ZYDIS_MNEMONIC_COMISD;
        const gk_trace_type t = f64 ? GK_TT_F64 : GK_TT_F32;
        const int di = xmm_index(ops[0].reg.value);
        xv v;
        NEED(di >= 0 && get_xmm_operand(c, s, in, &ops[1], f64 ? 8 : 4, &v) == 0,
             "unsupported operand");
        const int32_t x = xv_lane(c, &s->x[di], t), y = xv_lane(c, &v, t);
        NEED(x >= 0 && y >= 0, "comparison of a value of another width");
        const gk_trace_op *xn = gk_dag_node(c->dag, x), *yn = gk_dag_node(c->dag, y);
        if (xn->opcode == GK_TOP_CONST && yn->opcode == GK_TOP_CONST) {
            const gk_trace_op lt = {.opcode = GK_TOP_FCMP, .type = GK_TT_BOOL, .pred = GK_PRED_LT};
            const gk_trace_op eq = {.opcode = GK_TOP_FCMP, .type = GK_TT_BOOL, .pred = GK_PRED_EQ};
            const gk_trace_op un = {.opcode = GK_TOP_FCMP, .type = GK_TT_BOOL, .pred = GK_PRED_UN};
            const uint8_t u = (uint8_t)gk_trace_eval_one(&un, t, xn->imm, yn->imm, 0);
            s->f = (flags){.kind = FL_CONC,
                           .cf = (uint8_t)(u | gk_trace_eval_one(&lt, t, xn->imm, yn->imm, 0)),
                           .zf = (uint8_t)(u | gk_trace_eval_one(&eq, t, xn->imm, yn->imm, 0)),
                           .pf = u};
        } else {
            s->f = (flags){.kind = FL_FCMP, .a = x, .b = y};
        }
        break;
    }
    case ZYDIS_MNEMONIC_CMPSS:
    case ZYDIS_MNEMONIC_CMPSD: {
        const bool f64 = in->mnemonic == ZYDIS_MNEMONIC_CMPSD;
        const gk_trace_type t = f64 ? GK_TT_F64 : GK_TT_F32, it = f64 ? GK_TT_I64 : GK_TT_I32;
        static const uint8_t preds[8] = {GK_PRED_EQ,
                                         GK_PRED_LT,
                                         GK_PRED_LT | GK_PRED_EQ,
                                         GK_PRED_UN,
                                         GK_PRED_LT | GK_PRED_GT | GK_PRED_UN,
                                         GK_PRED_GT | GK_PRED_EQ | GK_PRED_UN,
                                         GK_PRED_GT | GK_PRED_UN,
                                         GK_PRED_LT | GK_PRED_EQ | GK_PRED_GT};
        const int di = xmm_index(ops[0].reg.value);
        xv v;
        NEED(di >= 0 && in->operand_count_visible == 3 && ops[2].imm.value.u < 8,
             "unsupported cmpss form");
        NEED(get_xmm_operand(c, s, in, &ops[1], f64 ? 8 : 4, &v) == 0, "unsupported operand");
        const int32_t x = xv_lane(c, &s->x[di], t), y = xv_lane(c, &v, t);
        NEED(x >= 0 && y >= 0, "comparison of a value of another width");
        const int32_t cnd = gk_dag_cmp(c->dag, GK_TOP_FCMP, preds[ops[2].imm.value.u], x, y);
        s->x[di] = xv_sym(gk_dag_op3(c->dag, GK_TOP_SELECT, it, cnd,
                                     gk_dag_const(c->dag, it, ~0ull), gk_dag_const(c->dag, it, 0)));
        break;
    }
    case ZYDIS_MNEMONIC_ANDPS:
    case ZYDIS_MNEMONIC_ANDPD:
    case ZYDIS_MNEMONIC_PAND:
        NEED(bitwise_xmm(c, s, in, ops, GK_TOP_AND, false) == 0, "unsupported bitwise operation");
        break;
    case ZYDIS_MNEMONIC_ANDNPS:
    case ZYDIS_MNEMONIC_ANDNPD:
    case ZYDIS_MNEMONIC_PANDN:
        NEED(bitwise_xmm(c, s, in, ops, GK_TOP_AND, true) == 0, "unsupported bitwise operation");
        break;
    case ZYDIS_MNEMONIC_ORPS:
    case ZYDIS_MNEMONIC_ORPD:
    case ZYDIS_MNEMONIC_POR:
        NEED(bitwise_xmm(c, s, in, ops, GK_TOP_OR, false) == 0, "unsupported bitwise operation");
        break;
    case ZYDIS_MNEMONIC_XORPS:
    case ZYDIS_MNEMONIC_XORPD:
    case ZYDIS_MNEMONIC_PXOR:
        NEED(bitwise_xmm(c, s, in, ops, GK_TOP_XOR, false) == 0, "unsupported bitwise operation");
        break;
    case ZYDIS_MNEMONIC_PUNPCKLDQ:
    case ZYDIS_MNEMONIC_UNPCKLPD:
    case ZYDIS_MNEMONIC_UNPCKHPD:
    case ZYDIS_MNEMONIC_SUBPD:
    case ZYDIS_MNEMONIC_ADDPD:
    case ZYDIS_MNEMONIC_HADDPD:
        NEED(packed_conc(c, s, in, ops) == 0, "packed operation on data");
        break;
    default: return fail_at(c, s, in, ops, "unsupported instruction");
    }
#undef NEED
    s->pc = next;
    return STEP_NEXT;
}

/* ---- paths: forks, diamond merges, results --------------------------------------------------- */

/* A block of sizeof(state) bytes (also holds a gk_sx_result) from the run's pool. */
static void *pool_get(ctx *c)
{
    _Static_assert(sizeof(state) >= sizeof(gk_sx_result), "pool blocks hold results too");
    gk_sx_cache *k = c->cache;
    return k->n_pool ? k->pool[--k->n_pool] : malloc(sizeof(state));
}

static void pool_put(ctx *c, void *p)
{
    gk_sx_cache *k = c->cache;
    if (!p) return;
    if (k->n_pool < (int)(sizeof k->pool / sizeof k->pool[0]))
        k->pool[k->n_pool++] = p;
    else
        free(p);
}

static state *clone_state(ctx *c, const state *s)
{
    state *t = pool_get(c);
    if (!t) return NULL;
    memcpy(t, s, offsetof(state, cells) + (size_t)s->n_cells * sizeof(cell));
    return t;
}

static bool gv_equal(const gv *a, const gv *b)
{
    return a->node == b->node && a->base == b->base && a->taint == b->taint &&
           (a->node >= 0 || a->off == b->off);
}

static bool xv_equal(const xv *a, const xv *b)
{
    if (a->conc != b->conc) return false;
    if (a->conc) return a->taint == b->taint && memcmp(a->bytes, b->bytes, 16) == 0;
    return a->node == b->node;
}

/* select(cond, a, b) of two register values; an opaque value if they cannot be combined (then
 * any later use fails). */
static gv gv_select(ctx *c, int32_t cond, const gv *a, const gv *b)
{
    if (gv_equal(a, b)) return *a;
    if (a->base != BASE_NONE || b->base != BASE_NONE || a->taint || b->taint)
        return gv_sym(opaque(c, GK_TT_I64));
    const int32_t an = gv_node(c, *a, 64), bn = gv_node(c, *b, 64);
    const int32_t r = gk_dag_op3(c->dag, GK_TOP_SELECT, GK_TT_I64, cond, an, bn);
    return r < 0 ? gv_sym(opaque(c, GK_TT_I64)) : gv_sym(r);
}

static xv xv_select(ctx *c, int32_t cond, const xv *a, const xv *b)
{
    if (xv_equal(a, b)) return *a;
    if (a->taint || b->taint) return xv_sym(opaque(c, GK_TT_F32));
    /* the type: that of a symbolic side (a concrete side is read in the same type) */
    const xv *sym = !a->conc ? a : !b->conc ? b : NULL;
    gk_trace_type t = GK_TT_F32;
    if (sym) {
        t = (gk_trace_type)gk_dag_node(c->dag, sym->node)->type;
    } else {
        /* two constants: the widest lane they fill (a select only claims its low lane, so a
         * wider read later is rejected, never wrong) */
        static const uint8_t zero[12] = {0};
        const bool f32 = !memcmp(a->bytes + 4, zero, 12) && !memcmp(b->bytes + 4, zero, 12);
        const bool f64 = !memcmp(a->bytes + 8, zero, 8) && !memcmp(b->bytes + 8, zero, 8);
        t = f32 || !f64 ? GK_TT_F32 : GK_TT_F64;
    }
    const int32_t an = xv_lane(c, a, t), bn = xv_lane(c, b, t);
    const int32_t r = gk_dag_op3(c->dag, GK_TOP_SELECT, t, cond, an, bn);
    return r < 0 ? xv_sym(opaque(c, GK_TT_F32)) : xv_sym(r);
}

static int32_t original_memory(ctx *c, uint8_t array, int64_t off);

/* An array store made on one side of a fork only: cond ? value : original element (or the
 * reverse when the store is on the false side). Overlapping other cells is not handled. */
static bool one_sided_cell(ctx *c, int32_t cond, cell *m, bool on_true_side)
{
    const int arr = m->base - BASE_ARRAY0;
    const gk_trace_type et = (gk_trace_type)c->args->array_type[arr];
    if (et == GK_TT_I8 || gk_trace_type_bits(et) != m->width * 8u) return false;
    const int32_t v = m->is_x
                          ? xv_lane(c, &m->x, et)
                          : gk_dag_op1(c->dag, GK_TOP_BITCAST, et, gv_node(c, m->g, m->width * 8u));
    const int32_t old = original_memory(c, (uint8_t)arr, m->off);
    if (v < 0 || old < 0) return false;
    const int32_t r = on_true_side ? gk_dag_op3(c->dag, GK_TOP_SELECT, et, cond, v, old)
                                   : gk_dag_op3(c->dag, GK_TOP_SELECT, et, cond, old, v);
    if (r < 0) return false;
    m->is_x = 1;
    m->x = xv_sym(r);
    return true;
}

static bool same_key(const cell *x, const cell *y)
{
    return x->base == y->base && x->off == y->off && x->width == y->width && x->is_x == y->is_x;
}

/* Merges state b (condition false) into a (condition true) at the same pc. */
static bool merge_states(ctx *c, int32_t cond, state *a, const state *b)
{
    if (a->pc != b->pc || a->depth != b->depth || !gv_equal(&a->r[R_RSP], &b->r[R_RSP]))
        return false;
    /* Two different numbers in a register (a loop counter: one side left the loop early) are
     * not merged: the select would turn the loop's control into data. Both paths are
     * followed instead, each with its concrete count. */
    for (int i = 0; i < 16; i++)
        if (a->r[i].base == BASE_NONE && b->r[i].base == BASE_NONE && a->r[i].node < 0 &&
            b->r[i].node < 0 && a->r[i].off != b->r[i].off)
            return false;
    for (int i = 0; i < 16; i++) {
        a->r[i] = gv_select(c, cond, &a->r[i], &b->r[i]);
        a->x[i] = xv_select(c, cond, &a->x[i], &b->x[i]);
    }
    if (memcmp(&a->f, &b->f, sizeof a->f) != 0) a->f.kind = FL_UNDEF;
    a->hazard = a->hazard || b->hazard;
    /* memory, matched by address: a value stored on one side only is selected against what
     * the other side holds there (the array's original element); a stack slot written on one
     * side only is dropped (a later load of it is rejected) */
    if (!c->cache->merge_buf) c->cache->merge_buf = malloc(SX_MAX_CELLS * sizeof(cell));
    cell *merged = c->cache->merge_buf;
    if (!merged) return false;
    int n = 0;
    bool ok = true;
    /* both sides grew from one state: their cells are mostly the same, in the same order */
    bool aligned = a->n_cells == b->n_cells;
    for (int i = 0; i < a->n_cells && aligned; i++)
        aligned = same_key(&a->cells[i], &b->cells[i]);
    for (int i = 0; i < a->n_cells && ok; i++) {
        const cell *ka = &a->cells[i];
        const cell *kb = aligned ? &b->cells[i] : NULL;
        for (int j = 0; j < b->n_cells && !aligned; j++)
            if (same_key(&b->cells[j], ka)) kb = &b->cells[j];
        cell m = *ka;
        if (kb) {
            if (ka->is_x)
                m.x = xv_select(c, cond, &ka->x, &kb->x);
            else
                m.g = gv_select(c, cond, &ka->g, &kb->g);
        } else if (ka->base == BASE_STACK) {
            continue;
        } else {
            ok = one_sided_cell(c, cond, &m, true);
        }
        merged[n++] = m;
    }
    for (int j = 0; j < b->n_cells && ok && !aligned; j++) {
        const cell *kb = &b->cells[j];
        bool in_a = false;
        for (int i = 0; i < a->n_cells; i++)
            in_a = in_a || (a->cells[i].base == kb->base && a->cells[i].off == kb->off &&
                            a->cells[i].width == kb->width && a->cells[i].is_x == kb->is_x);
        if (in_a || kb->base == BASE_STACK) continue;
        cell m = *kb;
        ok = one_sided_cell(c, cond, &m, false);
        merged[n++] = m;
    }
    if (ok) {
        memcpy(a->cells, merged, (size_t)n * sizeof *merged);
        a->n_cells = n;
        for (int i = 0; i < 8; i++) {
            if (b->ext_lo[i] < a->ext_lo[i]) a->ext_lo[i] = b->ext_lo[i];
            if (b->ext_hi[i] > a->ext_hi[i]) a->ext_hi[i] = b->ext_hi[i];
        }
    }
    return ok;
    return true;
}

static int try_merge(ctx *c, state *s, int32_t cond, uint64_t taken, uint64_t fall, int nest);

enum { SX_MERGE_NEST = 3 }; /* diamonds inside diamonds (if / else-if chains) */

/* Follows `st` for at most SX_MERGE_STEPS steps, recording the pcs; stops at `stop_pc`. Forks
 * on the way are merged as nested diamonds, or end the walk. */
static int merge_limit(int nest)
{
    return nest == 0 ? SX_MERGE_STEPS : SX_MERGE_STEPS_INNER;
}

static int walk(ctx *c, state *st, uint64_t stop_pc, uint64_t *trail, int *n_trail, int nest)
{
    *n_trail = 0;
    const int limit = merge_limit(nest);
    for (int i = 0; i < limit; i++) {
        if (st->pc == stop_pc) return 1;
        trail[(*n_trail)++] = st->pc;
        const int k = step(c, st);
        if (k == STEP_FORK && nest < SX_MERGE_NEST &&
            try_merge(c, st, c->fork_cond, c->fork_taken, c->fork_fall, nest + 1))
            continue;
        if (k != STEP_NEXT) return k == STEP_ERR ? -1 : 0;
    }
    return st->pc == stop_pc;
}

/* Tries to join the two sides of a fork at the first pc both reach (an if/else diamond);
 * on success *s is the merged state and the function returns 1. */
static int try_merge(ctx *c, state *s, int32_t cond, uint64_t taken, uint64_t fall, int nest)
{
    state *a = clone_state(c, s), *b = clone_state(c, s), *b0 = NULL;
    const uint64_t s_pc = s->pc; /* the branch (s becomes the merged state) */
    int result = 0;
    uint64_t *trail_b = malloc(2 * SX_MERGE_STEPS * sizeof *trail_b);
    uint64_t *trail_a = trail_b ? trail_b + SX_MERGE_STEPS : NULL;
    int nb = 0;
    if (!a || !b || !trail_b) goto out;
    a->pc = taken;
    b->pc = fall;
    const gk_status saved = c->status;
    const size_t slot = (size_t)((s->pc * 0x9E3779B97F4A7C15u) >> 40) % 64;
    if (c->cache->joins[slot].pc == s->pc) {
        /* the join found before: each side walks to it */
        const uint64_t join = c->cache->joins[slot].join;
        int na;
        if (walk(c, a, join, trail_a, &na, nest) == 1 &&
            walk(c, b, join, trail_b, &nb, nest) == 1 && merge_states(c, cond, a, b)) {
            a->n_known = s->n_known;
            memcpy(s, a, offsetof(state, cells) + (size_t)a->n_cells * sizeof(cell));
            result = 1;
            goto out;
        }
        c->status = saved;
        memcpy(a, s, offsetof(state, cells) + (size_t)s->n_cells * sizeof(cell));
        memcpy(b, s, offsetof(state, cells) + (size_t)s->n_cells * sizeof(cell));
        a->pc = taken;
        b->pc = fall;
    }
    b0 = clone_state(c, b);
    if (!b0) goto out;
    /* 1: the fall-through side reaches the taken target (if-then) */
    int k = walk(c, b, a->pc, trail_b, &nb, nest);
    if (k == 1) {
        if (merge_states(c, cond, a, b)) {
            a->n_known = s->n_known; /* what one side learnt does not hold after the join */
            memcpy(s, a, offsetof(state, cells) + (size_t)a->n_cells * sizeof(cell));
            c->cache->joins[slot].pc = s_pc;
            c->cache->joins[slot].join = taken;
            result = 1;
        }
        c->status = saved;
        goto out;
    }
    /* 2: the taken side reaches a pc the fall-through side passed (if-else) */
    for (int i = 0; i < merge_limit(nest) && result == 0; i++) {
        int hit = -1;
        for (int j = 0; j < nb; j++)
            if (trail_b[j] == a->pc) hit = j;
        if (hit >= 0) {
            state *b1 = clone_state(c, b0);
            if (!b1) break;
            int n2;
            const int w1 = walk(c, b1, a->pc, trail_a, &n2, nest);
            if (w1 == 1 && merge_states(c, cond, a, b1)) {
                a->n_known = s->n_known;
                memcpy(s, a, offsetof(state, cells) + (size_t)a->n_cells * sizeof(cell));
                c->cache->joins[slot].pc = s_pc;
                c->cache->joins[slot].join = a->pc;
                result = 1;
            }
            pool_put(c, b1);
            break;
        }
        const int k2 = step(c, a);
        if (k2 == STEP_FORK && nest < SX_MERGE_NEST &&
            try_merge(c, a, c->fork_cond, c->fork_taken, c->fork_fall, nest + 1))
            continue;
        if (k2 != STEP_NEXT) break;
    }
    c->status = saved;
out:
    free(trail_b);
    pool_put(c, a);
    pool_put(c, b);
    pool_put(c, b0);
    return result;
}

/* The outputs of a finished path. */
static int path_result(ctx *c, const state *s, gk_sx_result *res)
{
    res->n_stores = 0;
    res->hazard = s->hazard;
    for (int i = 0; i < s->n_cells; i++) {
        const cell *k = &s->cells[i];
        if (k->base < BASE_ARRAY0) continue;
        const int arr = k->base - BASE_ARRAY0;
        const gk_trace_type et = (gk_trace_type)c->args->array_type[arr];
        if (et == GK_TT_I8 || gk_trace_type_bits(et) != k->width * 8u) return -1;
        int32_t n;
        if (k->is_x)
            n = xv_lane(c, &k->x, et);
        else
            n = gk_dag_op1(c->dag, GK_TOP_BITCAST, et, gv_node(c, k->g, k->width * 8u));
        if (n < 0 || res->n_stores >= GK_SX_MAX_STORES) return -1;
        res->stores[res->n_stores++] =
            (gk_sx_store){.off = k->off, .node = n, .array = (uint8_t)arr, .width = k->width};
    }
    res->ret = -1;
    if (c->args->ret_f64) {
        res->ret = xv_lane(c, &s->x[0], GK_TT_F64);
        if (res->ret < 0) return -1;
    }
    return 0;
}

static int32_t original_memory(ctx *c, uint8_t array, int64_t off)
{
    return gk_dag_add(c->dag, (gk_trace_op){.opcode = GK_DAG_MEM,
                                            .type = c->args->array_type[array],
                                            .a = array,
                                            .imm = (uint64_t)off});
}

/* Combines the results of the two sides of a fork: rt = cond ? rt : rf. */
static int merge_results(ctx *c, int32_t cond, gk_sx_result *rt, const gk_sx_result *rf)
{
    rt->hazard = rt->hazard || rf->hazard;
    if ((rt->ret < 0) != (rf->ret < 0)) return -1;
    if (rt->ret >= 0)
        rt->ret = gk_dag_op3(c->dag, GK_TOP_SELECT, GK_TT_F64, cond, rt->ret, rf->ret);
    bool used_f[GK_SX_MAX_STORES] = {false};
    for (int i = 0; i < rt->n_stores; i++) {
        gk_sx_store *t = &rt->stores[i];
        int32_t other = -1;
        for (int j = 0; j < rf->n_stores; j++)
            if (rf->stores[j].array == t->array && rf->stores[j].off == t->off &&
                rf->stores[j].width == t->width) {
                other = rf->stores[j].node;
                used_f[j] = true;
            }
        if (other < 0) other = original_memory(c, t->array, t->off);
        const gk_trace_type et = (gk_trace_type)gk_dag_node(c->dag, t->node)->type;
        t->node = gk_dag_op3(c->dag, GK_TOP_SELECT, et, cond, t->node, other);
        if (t->node < 0) return -1;
    }
    for (int j = 0; j < rf->n_stores; j++) {
        if (used_f[j]) continue;
        if (rt->n_stores >= GK_SX_MAX_STORES) return -1;
        gk_sx_store st = rf->stores[j];
        const gk_trace_type et = (gk_trace_type)gk_dag_node(c->dag, st.node)->type;
        st.node = gk_dag_op3(c->dag, GK_TOP_SELECT, et, cond, original_memory(c, st.array, st.off),
                             st.node);
        if (st.node < 0) return -1;
        rt->stores[rt->n_stores++] = st;
    }
    return 0;
}

static gk_status explore(ctx *c, state *s, gk_sx_result *res)
{
    for (;;) {
        const int k = step(c, s);
        if (k == STEP_ERR) return c->status;
        if (k == STEP_RET) {
            if (++c->paths > SX_MAX_PATHS) {
                fail(c, s, "too many paths (data-dependent control flow)");
                return c->status;
            }
            if (path_result(c, s, res) < 0) {
                fail(c, s, "an output of another width or type than its array");
                return c->status;
            }
            return GK_OK;
        }
        if (k != STEP_FORK) continue;
        const int32_t cond = c->fork_cond;
        const uint64_t taken = c->fork_taken, fall = c->fork_fall;
        bool tried_before = false;
        for (int i = 0; i < c->n_no_merge; i++)
            tried_before = tried_before || c->no_merge[i] == s->pc;
        if (!tried_before) {
            if (try_merge(c, s, cond, taken, fall, 0)) continue;
            if (c->n_no_merge < 16) c->no_merge[c->n_no_merge++] = s->pc;
        }
        if (++s->forks > SX_MAX_FORKS) {
            fail(c, s, "too many nested data-dependent branches");
            return c->status;
        }
        state *t = clone_state(c, s);
        gk_sx_result *rf = pool_get(c);
        if (!t || !rf) {
            pool_put(c, t);
            pool_put(c, rf);
            return gk_error_set(GK_ENOMEM, c->api, __FILE__, __LINE__, "out of memory");
        }
        t->pc = taken;
        s->pc = fall;
        specialise(c, t, cond, true);
        specialise(c, s, cond, false);
        if (s->n_known < SX_MAX_KNOWN) {
            t->known_cond[t->n_known] = cond;
            t->known_value[t->n_known++] = 1;
            s->known_cond[s->n_known] = cond;
            s->known_value[s->n_known++] = 0;
        }
        gk_status st = explore(c, t, res);
        if (st == GK_OK) st = explore(c, s, rf);
        if (st == GK_OK && merge_results(c, cond, res, rf) < 0) {
            fail(c, s, "outputs written on one path only, or the DAG is full");
            st = c->status;
        }
        pool_put(c, t);
        pool_put(c, rf);
        return st;
    }
}

gk_status gk_sx_run(const gk_sx_env *env,
                    const gk_sx_args *args,
                    gk_dag *dag,
                    gk_sx_result *res,
                    gk_sx_stats *stats,
                    const char *api)
{
    static const int int_regs[6] = {R_RDI, R_RSI, R_RDX, R_RCX, 8, 9};
    ctx c = {.env = env, .args = args, .dag = dag, .api = api, .status = GK_OK};
    ZydisDecoderInit(&c.dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    c.cache = args->cache;
    state *s = c.cache ? pool_get(&c) : NULL;
    if (!s) return gk_error_set(GK_ENOMEM, api, __FILE__, __LINE__, "out of memory");
    memset(s, 0, offsetof(state, cells));
    s->pc = env->fn;
    for (int i = 0; i < 16; i++) {
        s->r[i] = gv_sym(opaque(&c, GK_TT_I64));
        s->x[i] = xv_sym(opaque(&c, GK_TT_F32));
    }
    s->r[R_RSP] = (gv){.node = -1, .base = BASE_STACK, .off = 0};
    for (int i = 0; i < 8; i++)
        s->ext_lo[i] = INT64_MAX, s->ext_hi[i] = INT64_MIN;
    for (int i = 0; i < args->n_int; i++) {
        const int ri = int_regs[i];
        if (args->ints[i].is_array)
            s->r[ri] = (gv){.node = -1, .base = (uint8_t)(BASE_ARRAY0 + args->ints[i].array)};
        else
            s->r[ri] = gv_conc(args->ints[i].value, args->ints[i].taint);
    }
    for (int i = 0; i < args->n_float; i++)
        s->x[i] = xv_sym(
            gk_dag_add(dag, (gk_trace_op){.opcode = GK_TOP_PARAM, .type = GK_TT_F32, .a = i}));
    const gk_status st = explore(&c, s, res);
    if (stats) {
        stats->steps += c.steps;
        stats->paths += c.paths;
    }
    pool_put(&c, s);
    if (st == GK_OK && dag->n >= dag->cap)
        return gk_error_set(GK_EUNSUPPORTED, api, __FILE__, __LINE__, "function too large");
    return st;
}
