/* SPDX-License-Identifier: MIT */
/* Semantics of each trace opcode. Floating-point ops are those of the x86 scalar SSE
 * instructions and of the C library functions the executor maps calls to; integer ops wrap in
 * their type's width, like the machine instructions they come from. */
#include "jit/symexec/eval.h"

#include <math.h>
#include <string.h>

#include "jit/symexec/dag.h"

static float as_f32(uint64_t v)
{
    const uint32_t u = (uint32_t)v;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static double as_f64(uint64_t v)
{
    double f;
    memcpy(&f, &v, sizeof f);
    return f;
}

static uint64_t from_f32(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static uint64_t from_f64(double f)
{
    uint64_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static uint64_t mask_of(gk_trace_type t)
{
    const unsigned bits = gk_trace_type_bits(t);
    return bits >= 64 ? ~0ull : (1ull << bits) - 1;
}

static int64_t sext(uint64_t v, gk_trace_type t)
{
    const unsigned bits = gk_trace_type_bits(t);
    if (bits >= 64) return (int64_t)v;
    const uint64_t sign = 1ull << (bits - 1);
    v &= mask_of(t);
    return (int64_t)((v ^ sign) - sign);
}

/* x86 cvtt*2si: truncation; NaN and out-of-range give the "integer indefinite" minimum value. */
static uint64_t float_to_int(double x, gk_trace_type t)
{
    const unsigned bits = gk_trace_type_bits(t);
    const double limit = ldexp(1.0, (int)bits - 1);
    if (!(x > -limit - 1.0 && x < limit)) return (1ull << (bits - 1)) & mask_of(t);
    return (uint64_t)(int64_t)trunc(x) & mask_of(t);
}

static unsigned relation(double a, double b)
{
    if (isnan(a) || isnan(b)) return GK_PRED_UN;
    return a < b ? GK_PRED_LT : a == b ? GK_PRED_EQ : GK_PRED_GT;
}

static uint64_t eval_float(int op, bool f64, uint64_t a, uint64_t b, uint64_t c)
{
    if (f64) {
        const double x = as_f64(a), y = as_f64(b), z = as_f64(c);
        switch (op) {
        case GK_TOP_ADD: return from_f64(x + y);
        case GK_TOP_SUB: return from_f64(x - y);
        case GK_TOP_MUL: return from_f64(x * y);
        case GK_TOP_DIV: return from_f64(x / y);
        case GK_TOP_FMA: return from_f64(fma(x, y, z));
        case GK_TOP_MIN: return from_f64(x < y ? x : y);
        case GK_TOP_MAX: return from_f64(x > y ? x : y);
        case GK_TOP_FMINNUM: return from_f64(fmin(x, y));
        case GK_TOP_FMAXNUM: return from_f64(fmax(x, y));
        case GK_TOP_SQRT: return from_f64(sqrt(x));
        case GK_TOP_RSQRT: return from_f64(1.0 / sqrt(x));
        case GK_TOP_RECIP: return from_f64(1.0 / x);
        case GK_TOP_EXP: return from_f64(exp(x));
        case GK_TOP_LOG: return from_f64(log(x));
        case GK_TOP_LOG1P: return from_f64(log1p(x));
        case GK_TOP_TANH: return from_f64(tanh(x));
        case GK_TOP_ERF: return from_f64(erf(x));
        case GK_TOP_ERFC: return from_f64(erfc(x));
        default: return 0;
        }
    }
    const float x = as_f32(a), y = as_f32(b), z = as_f32(c);
    switch (op) {
    case GK_TOP_ADD: return from_f32(x + y);
    case GK_TOP_SUB: return from_f32(x - y);
    case GK_TOP_MUL: return from_f32(x * y);
    case GK_TOP_DIV: return from_f32(x / y);
    case GK_TOP_FMA: return from_f32(fmaf(x, y, z));
    case GK_TOP_MIN: return from_f32(x < y ? x : y);
    case GK_TOP_MAX: return from_f32(x > y ? x : y);
    case GK_TOP_FMINNUM: return from_f32(fminf(x, y));
    case GK_TOP_FMAXNUM: return from_f32(fmaxf(x, y));
    case GK_TOP_SQRT: return from_f32(sqrtf(x));
    case GK_TOP_RSQRT: return from_f32(1.0f / sqrtf(x));
    case GK_TOP_RECIP: return from_f32(1.0f / x);
    case GK_TOP_EXP: return from_f32(expf(x));
    case GK_TOP_LOG: return from_f32(logf(x));
    case GK_TOP_LOG1P: return from_f32(log1pf(x));
    case GK_TOP_TANH: return from_f32(tanhf(x));
    case GK_TOP_ERF: return from_f32(erff(x));
    case GK_TOP_ERFC: return from_f32(erfcf(x));
    default: return 0;
    }
}

uint64_t
gk_trace_eval_one(const gk_trace_op *op, gk_trace_type type_a, uint64_t a, uint64_t b, uint64_t c)
{
    const gk_trace_type t = (gk_trace_type)op->type;
    const uint64_t m = mask_of(t);
    const unsigned bits = gk_trace_type_bits(t);
    switch (op->opcode) {
    case GK_TOP_NEG: return t == GK_TT_F64 ? a ^ (1ull << 63) : (a ^ 0x80000000u) & m;
    case GK_TOP_ABS: return t == GK_TT_F64 ? a & ~(1ull << 63) : a & 0x7FFFFFFFu;
    case GK_TOP_FCMP: {
        const bool f64 = type_a == GK_TT_F64;
        const double x = f64 ? as_f64(a) : (double)as_f32(a);
        const double y = f64 ? as_f64(b) : (double)as_f32(b);
        return (relation(x, y) & op->pred) != 0;
    }
    case GK_TOP_ICMP: {
        unsigned rel;
        if (op->pred & GK_PRED_SIGNED) {
            const int64_t x = sext(a, type_a), y = sext(b, type_a);
            rel = x < y ? GK_PRED_LT : x == y ? GK_PRED_EQ : GK_PRED_GT;
        } else {
            const uint64_t x = a & mask_of(type_a), y = b & mask_of(type_a);
            rel = x < y ? GK_PRED_LT : x == y ? GK_PRED_EQ : GK_PRED_GT;
        }
        return (rel & op->pred) != 0;
    }
    case GK_TOP_SELECT: return (a ? b : c) & m;
    case GK_TOP_CVT: {
        if (gk_trace_type_is_float(type_a)) {
            const double x = type_a == GK_TT_F64 ? as_f64(a) : (double)as_f32(a);
            if (t == GK_TT_F64) return from_f64(x);
            if (t == GK_TT_F32)
                return type_a == GK_TT_F64 ? from_f32((float)as_f64(a)) : a; /* one rounding */
            return float_to_int(x, t);
        }
        /* integer -> float, rounded once (to nearest even) */
        if (op->pred == GK_CVT_UNSIGNED || type_a == GK_TT_BOOL) {
            const uint64_t u = a & mask_of(type_a);
            return t == GK_TT_F64 ? from_f64((double)u) : from_f32((float)u);
        }
        const int64_t s = sext(a, type_a);
        return t == GK_TT_F64 ? from_f64((double)s) : from_f32((float)s);
    }
    case GK_TOP_BITCAST: return a & m;
    case GK_TOP_IADD: return (a + b) & m;
    case GK_TOP_ISUB: return (a - b) & m;
    case GK_TOP_IMUL: return (a * b) & m;
    case GK_TOP_AND: return a & b & m;
    case GK_TOP_OR: return (a | b) & m;
    case GK_TOP_XOR: return (a ^ b) & m;
    case GK_TOP_NOT: return ~a & m;
    case GK_TOP_SHL:
    case GK_TOP_SHR:
    case GK_TOP_SAR: {
        const unsigned count = (unsigned)(b & (bits == 64 ? 63u : 31u));
        if (op->opcode == GK_TOP_SAR) {
            const int64_t s = sext(a, t);
            return (uint64_t)(count >= bits ? (s < 0 ? -1 : 0) : s >> count) & m;
        }
        if (count >= bits) return 0;
        return (op->opcode == GK_TOP_SHL ? a << count : (a & m) >> count) & m;
    }
    case GK_TOP_BSR: {
        const uint64_t x = a & mask_of(type_a);
        return x ? (uint64_t)(63 - __builtin_clzll(x)) & m : 0;
    }
    case GK_TOP_ZEXT: return a & mask_of(type_a) & m;
    case GK_TOP_SEXT: return (uint64_t)sext(a, type_a) & m;
    case GK_TOP_TRUNC: return a & m;
    default: return eval_float(op->opcode, t == GK_TT_F64, a, b, c);
    }
}
