/* SPDX-License-Identifier: MIT */
/* One trace op evaluated on bit patterns: the single definition of every opcode's semantics. */
#ifndef GK_JIT_EVAL_H
#define GK_JIT_EVAL_H

#include <stdint.h>

#include "gllmk/jit.h"

/* The result bits (zero-extended) of `op` applied to operand bits a, b, c; `type_a` is the
 * type of the first operand (it decides CVT, SEXT, ZEXT, FCMP and ICMP). */
uint64_t
gk_trace_eval_one(const gk_trace_op *op, gk_trace_type type_a, uint64_t a, uint64_t b, uint64_t c);

#endif /* GK_JIT_EVAL_H */
