/* SPDX-License-Identifier: MIT */
/* Boilerplate of the hand-written microkernels (.S): symbol type, size and hidden visibility,
 * the CET/BTI landing pad, and the note that keeps the stack non-executable. */
#ifndef GK_ASM_DEFS_H
#define GK_ASM_DEFS_H

/* Assembler directives, not C: clang-format would split them apart. */
/* clang-format off */

#if defined(__x86_64__)
#    if defined(__CET__)
#        define GK_ASM_LANDING_PAD endbr64
#    else
#        define GK_ASM_LANDING_PAD
#    endif
#    define GK_ASM_STACK_NOTE .section .note.GNU-stack, "", @progbits
#elif defined(__aarch64__)
#    if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
#        define GK_ASM_LANDING_PAD hint 34 /* bti c */
#    else
#        define GK_ASM_LANDING_PAD
#    endif
#    define GK_ASM_STACK_NOTE .section .note.GNU-stack, "", %progbits
/* The NEON integer dot kernels (qdot_*_neon.S) are assembled twice (CMakeLists.txt): for
 * baseline ARMv8-A, and with the dot-product extension (-march=armv8.2-a+dotprod defines
 * __ARM_FEATURE_DOTPROD), whose kernels use SDOT and get the suffix _dotprod. */
#    ifdef __ARM_FEATURE_DOTPROD
#        define GK_ASM_NEON_DOT(name) name##_dotprod
#    else
#        define GK_ASM_NEON_DOT(name) name
#    endif
#endif

/* GK_ASM_FUNC(name) ... GK_ASM_END(name): a hidden global function in .text. */
#define GK_ASM_FUNC(name) \
    .text;                \
    .p2align 5;           \
    .globl name;          \
    .hidden name;         \
    .type name, %function; \
    name:                 \
    GK_ASM_LANDING_PAD

#define GK_ASM_END(name) .size name, .- name
/* clang-format on */

#endif /* GK_ASM_DEFS_H */
