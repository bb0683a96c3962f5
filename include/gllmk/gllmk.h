/* SPDX-License-Identifier: MIT */
/* gllm-kernels umbrella header: includes every public header. */
#ifndef GLLMK_GLLMK_H
#define GLLMK_GLLMK_H

#include "types.h"
#include "runtime.h"
#include "ops.h"

#endif /* GLLMK_GLLMK_H */
