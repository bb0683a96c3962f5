/* SPDX-License-Identifier: MIT */
/* The hash-consed trace DAG and the one-op evaluator shared by constant folding and the trace
 * interpreter (so both compute exactly what the analysed machine code computes). */
#include "jit/symexec/dag.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jit/symexec/eval.h"

unsigned gk_trace_type_bits(gk_trace_type t)
{
    switch (t) {
    case GK_TT_F32: return 32;
    case GK_TT_F64: return 64;
    case GK_TT_I8: return 8;
    case GK_TT_I16: return 16;
    case GK_TT_I32: return 32;
    case GK_TT_I64: return 64;
    case GK_TT_BOOL: return 1;
    }
    return 0;
}

bool gk_trace_type_is_float(gk_trace_type t)
{
    return t == GK_TT_F32 || t == GK_TT_F64;
}

int gk_trace_opcode_arity(int op)
{
    switch (op) {
    case GK_TOP_INPUT:
    case GK_TOP_PARAM:
    case GK_TOP_SIZE:
    case GK_TOP_CONST:
    case GK_TOP_ACC:
    case GK_TOP_REDUCED:
    case GK_DAG_OPAQUE:
    case GK_DAG_MEM: return 0;
    case GK_TOP_NEG:
    case GK_TOP_ABS:
    case GK_TOP_SQRT:
    case GK_TOP_RSQRT:
    case GK_TOP_RECIP:
    case GK_TOP_EXP:
    case GK_TOP_LOG:
    case GK_TOP_LOG1P:
    case GK_TOP_TANH:
    case GK_TOP_ERF:
    case GK_TOP_ERFC:
    case GK_TOP_CVT:
    case GK_TOP_BITCAST:
    case GK_TOP_NOT:
    case GK_TOP_ZEXT:
    case GK_TOP_SEXT:
    case GK_TOP_TRUNC:
    case GK_TOP_BSR: return 1;
    case GK_TOP_FMA:
    case GK_TOP_SELECT: return 3;
    default: return 2;
    }
}

int gk_dag_init(gk_dag *d, int32_t cap)
{
    memset(d, 0, sizeof *d);
    int32_t n_slots = 16; /* a power of two, at least twice the capacity */
    while (n_slots < 2 * cap)
        n_slots *= 2;
    d->nodes = malloc((size_t)cap * sizeof *d->nodes);
    d->slots = malloc((size_t)n_slots * sizeof *d->slots);
    if (!d->nodes || !d->slots) {
        gk_dag_free(d);
        return -1;
    }
    d->cap = cap;
    d->n_slots = n_slots;
    gk_dag_reset(d);
    return 0;
}

void gk_dag_free(gk_dag *d)
{
    free(d->nodes);
    free(d->slots);
    memset(d, 0, sizeof *d);
}

void gk_dag_reset(gk_dag *d)
{
    d->n = 0;
    memset(d->slots, 0xFF, (size_t)d->n_slots * sizeof *d->slots);
}

static uint64_t dag_hash(const gk_trace_op *n)
{
    uint64_t h = (uint64_t)n->opcode | (uint64_t)n->type << 8 | (uint64_t)n->pred << 16;
    h ^= (uint64_t)(uint32_t)n->a * 0x9E3779B97F4A7C15u;
    h ^= (uint64_t)(uint32_t)n->b * 0xC2B2AE3D27D4EB4Fu;
    h ^= (uint64_t)(uint32_t)n->c * 0x165667B19E3779F9u;
    h ^= n->imm * 0xD6E8FEB86659FD93u;
    /* murmur3 finaliser: every input bit reaches the low bits the table index uses */
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDu;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53u;
    return h ^ (h >> 33);
}

static bool dag_same(const gk_trace_op *x, const gk_trace_op *y)
{
    return x->opcode == y->opcode && x->type == y->type && x->pred == y->pred && x->a == y->a &&
           x->b == y->b && x->c == y->c && x->imm == y->imm;
}

static int32_t dag_intern(gk_dag *d, const gk_trace_op *n)
{
    const uint64_t mask = (uint64_t)d->n_slots - 1;
    uint64_t slot = dag_hash(n) & mask;
    for (;;) {
        const int32_t id = d->slots[slot];
        if (id < 0) break;
        if (dag_same(&d->nodes[id], n)) return id;
        slot = (slot + 1) & mask;
    }
    if (d->n >= d->cap) return -1;
    const int32_t id = d->n++;
    d->nodes[id] = *n;
    d->slots[slot] = id;
    return id;
}

static bool is_const(const gk_dag *d, int32_t id)
{
    return id >= 0 && d->nodes[id].opcode == GK_TOP_CONST;
}

static uint64_t type_mask(gk_trace_type t)
{
    const unsigned bits = gk_trace_type_bits(t);
    return bits >= 64 ? ~0ull : (1ull << bits) - 1;
}

/* select(c, x, y) with constant arms distributed through a bitwise op with another operand:
 * how x86 blends (cmpss mask, and/andn/or) become one select. */
static int32_t distribute_select(gk_dag *d, const gk_trace_op *n)
{
    if (n->opcode != GK_TOP_AND && n->opcode != GK_TOP_OR && n->opcode != GK_TOP_XOR) return -2;
    const gk_trace_op *a = &d->nodes[n->a], *b = &d->nodes[n->b];
    const int32_t sel = a->opcode == GK_TOP_SELECT ? n->a : b->opcode == GK_TOP_SELECT ? n->b : -1;
    if (sel < 0) return -2;
    const int32_t other = sel == n->a ? n->b : n->a;
    const gk_trace_op s = d->nodes[sel];
    const gk_trace_op *o = &d->nodes[other];
    /* Both operands selects on the same condition: combine arm by arm. */
    if (o->opcode == GK_TOP_SELECT && o->a == s.a) {
        const int32_t t = gk_dag_op2(d, n->opcode, (gk_trace_type)n->type, s.b, o->b);
        const int32_t f = gk_dag_op2(d, n->opcode, (gk_trace_type)n->type, s.c, o->c);
        return gk_dag_op3(d, GK_TOP_SELECT, (gk_trace_type)n->type, s.a, t, f);
    }
    /* A select with constant arms (a mask): distribute. */
    if (is_const(d, s.b) && is_const(d, s.c)) {
        const int32_t t = gk_dag_op2(d, n->opcode, (gk_trace_type)n->type, s.b, other);
        const int32_t f = gk_dag_op2(d, n->opcode, (gk_trace_type)n->type, s.c, other);
        return gk_dag_op3(d, GK_TOP_SELECT, (gk_trace_type)n->type, s.a, t, f);
    }
    return -2;
}

int32_t gk_dag_add(gk_dag *d, gk_trace_op n)
{
    const int arity = gk_trace_opcode_arity(n.opcode);
    if ((arity >= 1 && n.a < 0) || (arity >= 2 && n.b < 0) || (arity >= 3 && n.c < 0)) return -1;
    if (arity < 3) n.c = 0;
    if (arity < 2 && n.opcode != GK_TOP_INPUT && n.opcode != GK_DAG_MEM &&
        n.opcode != GK_TOP_PARAM && n.opcode != GK_TOP_REDUCED && n.opcode != GK_DAG_OPAQUE)
        n.b = 0;
    if (arity < 1 && n.opcode != GK_TOP_INPUT && n.opcode != GK_DAG_MEM &&
        n.opcode != GK_TOP_PARAM && n.opcode != GK_TOP_REDUCED && n.opcode != GK_DAG_OPAQUE)
        n.a = 0;
    const gk_trace_type t = (gk_trace_type)n.type;
    if (n.opcode == GK_TOP_CONST) n.imm &= type_mask(t);

    /* Constant folding: every operand a constant. */
    if (arity > 0 && is_const(d, n.a) && (arity < 2 || is_const(d, n.b)) &&
        (arity < 3 || is_const(d, n.c))) {
        const gk_trace_op *a = &d->nodes[n.a];
        const gk_trace_op *b = arity >= 2 ? &d->nodes[n.b] : a;
        const gk_trace_op *c = arity >= 3 ? &d->nodes[n.c] : a;
        const uint64_t v = gk_trace_eval_one(&n, (gk_trace_type)a->type, a->imm, b->imm, c->imm);
        return gk_dag_const(d, t, v);
    }
    switch (n.opcode) {
    case GK_TOP_SELECT:
        if (n.b == n.c) return n.b;
        if (is_const(d, n.a)) return d->nodes[n.a].imm ? n.b : n.c;
        break;
    case GK_TOP_BITCAST: {
        const gk_trace_op *a = &d->nodes[n.a];
        if (a->type == n.type) return n.a;
        if (a->opcode == GK_TOP_BITCAST && d->nodes[a->a].type == n.type) return a->a;
        if (a->opcode == GK_TOP_SELECT) {
            const int32_t tb = gk_dag_op1(d, GK_TOP_BITCAST, t, a->b);
            const int32_t tc = gk_dag_op1(d, GK_TOP_BITCAST, t, a->c);
            return gk_dag_op3(d, GK_TOP_SELECT, t, a->a, tb, tc);
        }
        break;
    }
    case GK_TOP_ZEXT:
    case GK_TOP_TRUNC: {
        const gk_trace_op *a = &d->nodes[n.a];
        if (a->type == n.type) return n.a;
        /* truncating (x & c) | y where c clears the kept bits: only y's bits survive (how a
         * byte register write merges into an old value that movzx then drops) */
        if (n.opcode == GK_TOP_TRUNC && a->opcode == GK_TOP_TRUNC)
            return gk_dag_op1(d, GK_TOP_TRUNC, t, a->a);
        if (n.opcode == GK_TOP_TRUNC && a->opcode == GK_TOP_SELECT) {
            const gk_trace_op sel = *a;
            return gk_dag_op3(d, GK_TOP_SELECT, t, sel.a, gk_dag_op1(d, GK_TOP_TRUNC, t, sel.b),
                              gk_dag_op1(d, GK_TOP_TRUNC, t, sel.c));
        }
        if (n.opcode == GK_TOP_TRUNC && a->opcode == GK_TOP_OR) {
            for (int side = 0; side < 2; side++) {
                const gk_trace_op *p = &d->nodes[side ? a->b : a->a];
                if (p->opcode == GK_TOP_AND && is_const(d, p->b) &&
                    (d->nodes[p->b].imm & type_mask(t)) == 0)
                    return gk_dag_op1(d, GK_TOP_TRUNC, t, side ? a->a : a->b);
            }
        }
        /* a zero-extended value re-extended or truncated to at least its source width */
        if (a->opcode == GK_TOP_ZEXT &&
            gk_trace_type_bits((gk_trace_type)d->nodes[a->a].type) <= gk_trace_type_bits(t))
            return gk_dag_op1(d, GK_TOP_ZEXT, t, a->a);
        break;
    }
    case GK_TOP_AND:
        if (is_const(d, n.b) && d->nodes[n.b].imm == type_mask(t)) return n.a;
        if (is_const(d, n.a) && d->nodes[n.a].imm == type_mask(t)) return n.b;
        if (is_const(d, n.b) && d->nodes[n.b].imm == 0) return n.b;
        if (is_const(d, n.a) && d->nodes[n.a].imm == 0) return n.a;
        if (n.a == n.b) return n.a;
        break;
    case GK_TOP_OR:
    case GK_TOP_XOR:
    case GK_TOP_IADD:
        if (is_const(d, n.b) && d->nodes[n.b].imm == 0) return n.a;
        if (is_const(d, n.a) && d->nodes[n.a].imm == 0) return n.b;
        if (n.opcode == GK_TOP_OR && n.a == n.b) return n.a;
        if (n.opcode == GK_TOP_XOR && n.a == n.b) return gk_dag_const(d, t, 0);
        break;
    case GK_TOP_NOT:
        if (d->nodes[n.a].opcode == GK_TOP_SELECT) {
            const gk_trace_op s = d->nodes[n.a];
            if (is_const(d, s.b) && is_const(d, s.c))
                return gk_dag_op3(d, GK_TOP_SELECT, t, s.a, gk_dag_op1(d, GK_TOP_NOT, t, s.b),
                                  gk_dag_op1(d, GK_TOP_NOT, t, s.c));
        }
        break;
    default: break;
    }
    const int32_t dist = distribute_select(d, &n);
    if (dist != -2) return dist;
    return dag_intern(d, &n);
}

int32_t gk_dag_const(gk_dag *d, gk_trace_type t, uint64_t bits)
{
    const gk_trace_op n = {.opcode = GK_TOP_CONST, .type = (uint8_t)t, .imm = bits & type_mask(t)};
    return dag_intern(d, &n);
}

int32_t gk_dag_op1(gk_dag *d, int op, gk_trace_type t, int32_t a)
{
    return gk_dag_add(d, (gk_trace_op){.opcode = (uint8_t)op, .type = (uint8_t)t, .a = a});
}

int32_t gk_dag_op2(gk_dag *d, int op, gk_trace_type t, int32_t a, int32_t b)
{
    return gk_dag_add(d, (gk_trace_op){.opcode = (uint8_t)op, .type = (uint8_t)t, .a = a, .b = b});
}

int32_t gk_dag_op3(gk_dag *d, int op, gk_trace_type t, int32_t a, int32_t b, int32_t c)
{
    return gk_dag_add(
        d, (gk_trace_op){.opcode = (uint8_t)op, .type = (uint8_t)t, .a = a, .b = b, .c = c});
}

int32_t gk_dag_cmp(gk_dag *d, int op, unsigned pred, int32_t a, int32_t b)
{
    return gk_dag_add(
        d, (gk_trace_op){
               .opcode = (uint8_t)op, .type = GK_TT_BOOL, .pred = (uint8_t)pred, .a = a, .b = b});
}
