/* SPDX-License-Identifier: MIT */
/* A hash-consed DAG of trace ops: equal (opcode, type, pred, operands, imm) give the same id,
 * so structural equality of two values is equality of their ids. Used by the symbolic executor
 * (the unrolled data flow of one run) and by the trace builder (the generalised bodies). */
#ifndef GK_JIT_DAG_H
#define GK_JIT_DAG_H

#include <stdint.h>

#include "gllmk/jit.h"

/* Leaves that exist only in the executor's DAG, never in a trace. */
enum {
    GK_DAG_OPAQUE = 100, /* a value the analysed code must not use (callee-saved, clobbered) */
    GK_DAG_MEM = 101     /* array argument a at byte offset imm, of the node's type */
};

typedef struct gk_dag {
    gk_trace_op *nodes;
    int32_t n, cap;
    int32_t *slots; /* open addressing, -1 = empty; 2 * cap entries */
    int32_t n_slots;
} gk_dag;

int gk_dag_init(gk_dag *d, int32_t cap);
void gk_dag_free(gk_dag *d);
void gk_dag_reset(gk_dag *d);

/* The id of the node (existing or new), after the algebraic simplifications that make the
 * executor's output canonical (select of equal arms, bitcast pairs, blends through masks,
 * integer constant folding). -1 when the table is full or an operand is -1. */
int32_t gk_dag_add(gk_dag *d, gk_trace_op n);

int32_t gk_dag_const(gk_dag *d, gk_trace_type t, uint64_t bits);
int32_t gk_dag_op1(gk_dag *d, int op, gk_trace_type t, int32_t a);
int32_t gk_dag_op2(gk_dag *d, int op, gk_trace_type t, int32_t a, int32_t b);
int32_t gk_dag_op3(gk_dag *d, int op, gk_trace_type t, int32_t a, int32_t b, int32_t c);
int32_t gk_dag_cmp(gk_dag *d, int op, unsigned pred, int32_t a, int32_t b);

static inline const gk_trace_op *gk_dag_node(const gk_dag *d, int32_t id)
{
    return &d->nodes[id];
}

/* Width in bits of a type (BOOL: 1). */
unsigned gk_trace_type_bits(gk_trace_type t);
bool gk_trace_type_is_float(gk_trace_type t);
/* Operand count of an opcode (leaves: 0). */
int gk_trace_opcode_arity(int op);

#endif /* GK_JIT_DAG_H */
