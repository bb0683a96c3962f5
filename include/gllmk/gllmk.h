/* SPDX-License-Identifier: MIT */
/* gllm-kernels umbrella header: includes every public header. */
#ifndef GLLMK_GLLMK_H
#define GLLMK_GLLMK_H

#include "gemm.h"
#include "jit.h"
#include "ops.h"
#include "qmatmul.h"
#include "quant.h"
#include "runtime.h"
#include "types.h"

#endif /* GLLMK_GLLMK_H */
