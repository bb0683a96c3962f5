/* SPDX-License-Identifier: MIT */
/* Test operators for test_jit (tests/jit/user_ops.c). */
#ifndef GK_TESTS_JIT_USER_OPS_H
#define GK_TESTS_JIT_USER_OPS_H

#include <stdbool.h>
#include <stddef.h>

enum { GK_TEST_Q8_ELEMS = 32, GK_TEST_Q8_BYTES = 34 };

void gk_test_plus_one(const float *x, float *y, size_t n);
void gk_test_mish(const float *x, float *y, size_t n);
void gk_test_relu_squared(const float *x, float *y, size_t n);
void gk_test_gemm(const float *a, const float *b, float *c, size_t m, size_t n, size_t k);
void gk_test_dequant_q8(const void *blocks, float *y, size_t n);
void gk_test_fma_poly(const float *x, float *y, size_t n);
double gk_test_fma_dot(const float *a, const float *b, size_t n);
void gk_test_dequant_q8_half(const void *blocks, float *y, size_t n);
void gk_test_rope_halves(
    float *x, const float *table, size_t n_heads, size_t head_dim, size_t rot_dim, bool neox);
double gk_test_sum_until(const float *x, size_t n);
void gk_test_rope_mirror(
    float *x, const float *table, size_t n_heads, size_t head_dim, size_t rot_dim, bool neox);
void gk_test_indirect(const float *x, float *y, size_t n);
void gk_test_unknown_libm(const float *x, float *y, size_t n);

#endif /* GK_TESTS_JIT_USER_OPS_H */
