/* SPDX-License-Identifier: MIT */
/* Aligned allocation for users and for the library's own packed buffers. */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>

#include "gllmk/runtime.h"

enum { GK_DEFAULT_ALIGNMENT = 64 }; /* one cache line, one zmm register */

void *gk_aligned_alloc(size_t bytes, size_t alignment)
{
    if (alignment == 0) alignment = GK_DEFAULT_ALIGNMENT;
    if (bytes == 0 || alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return NULL;
    void *ptr = NULL;
    if (posix_memalign(&ptr, alignment, bytes) != 0) return NULL;
    return ptr;
}

void gk_aligned_free(void *ptr)
{
    free(ptr);
}
