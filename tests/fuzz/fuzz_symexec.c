/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the first byte picks a signature kind, the rest is machine code handed to
 * the symbolic executor (decoded and read only inside the input, no call resolved). Any status
 * but GK_OK or GK_EUNSUPPORTED, a trace without GK_OK, or a crash is a finding. Built with
 * -DGK_BUILD_FUZZ=ON and Clang (tests/CMakeLists.txt); test_jit replays 20000 seeded inputs
 * through the same entry in every ordinary build. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gllmk/jit.h"
#include "jit/symexec/symexec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const gk_sig sigs[] = {GK_SIG_UNARY,  GK_SIG_BINARY,  GK_SIG_SCALE,      GK_SIG_AXPY,
                                  GK_SIG_REDUCE, GK_SIG_DOT,     GK_SIG_NORM,       GK_SIG_SOFTMAX,
                                  GK_SIG_GEMM,   GK_SIG_DEQUANT, GK_SIG_LAYER_NORM, GK_SIG_ROPE};
    if (size < 2 || size > 4096) return 0;
    /* a private copy: the executor may read the code as constants too */
    uint8_t *code = malloc(size - 1);
    if (!code) return 0;
    memcpy(code, data + 1, size - 1);
    const gk_scalar_op_desc d = {"fuzz", (void (*)(void))(uintptr_t)1,
                                 sigs[data[0] % (sizeof sigs / sizeof sigs[0])], 32, 34};
    gk_op_trace *t = NULL;
    const gk_status st = gk_sx_analyse_code(code, size - 1, &d, 4000, &t);
    if ((st != GK_OK && st != GK_EUNSUPPORTED) || (st == GK_OK) != (t != NULL)) abort();
    gk_op_trace_destroy(t);
    free(code);
    return 0;
}
