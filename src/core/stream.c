/* SPDX-License-Identifier: MIT */
/* The streaming threshold (core/stream.h). */
#include "core/stream.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/cpu.h"

enum { GK_STREAM_FALLBACK_LLC = 32 << 20 };

_Thread_local bool gk_stream_stores;

/* 0 until first use, then the threshold in bytes. */
static _Atomic size_t gk_stream_threshold;

static size_t gk_stream_default_bytes(void)
{
    const char *v = getenv("GK_STREAM_MIN_BYTES");
    if (v && v[0]) {
        char *end = NULL;
        const unsigned long long x = strtoull(v, &end, 10);
        if (*end == '\0' && x > 0) return x > SIZE_MAX ? SIZE_MAX : (size_t)x;
    }
    const size_t llc = gk_cpu_get()->cache_bytes[3];
    return llc ? llc : GK_STREAM_FALLBACK_LLC;
}

size_t gk_stream_min_bytes(void)
{
    size_t t = atomic_load_explicit(&gk_stream_threshold, memory_order_relaxed);
    if (t == 0) {
        t = gk_stream_default_bytes();
        atomic_store_explicit(&gk_stream_threshold, t, memory_order_relaxed);
    }
    return t;
}

void gk_stream_set_min_bytes(size_t bytes)
{
    atomic_store_explicit(&gk_stream_threshold, bytes ? bytes : gk_stream_default_bytes(),
                          memory_order_relaxed);
}
