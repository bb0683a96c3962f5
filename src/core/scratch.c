/* SPDX-License-Identifier: MIT */
#include "core/scratch.h"

#include <stdatomic.h>
#include <stdbool.h>

#include "gllmk/runtime.h"

enum {
    GK_SCRATCH_SLOTS = 2,
    GK_SCRATCH_CACHE_MAX = 64 << 20, /* larger requests are allocated and freed each time */
    GK_SCRATCH_ALIGN = 64,
};

/* buf is atomic because gk_scratch_release compares every slot's buffer with its pointer while
 * the slot's holder may be replacing it (a plain pointer there was a data race); a buffer held
 * by one caller can never equal another caller's live allocation. */
static struct gk_scratch_slot {
    atomic_bool busy;
    _Atomic(void *) buf;
    size_t bytes; /* only its holder touches it */
} gk_scratch_slots[GK_SCRATCH_SLOTS];

void *gk_scratch_acquire(size_t bytes)
{
    if (bytes <= GK_SCRATCH_CACHE_MAX)
        for (int i = 0; i < GK_SCRATCH_SLOTS; i++) {
            struct gk_scratch_slot *s = &gk_scratch_slots[i];
            if (atomic_exchange(&s->busy, true)) continue;
            void *buf = atomic_load(&s->buf);
            if (s->bytes < bytes) {
                /* unpublished before it is freed: its address may come back to another caller */
                gk_aligned_free(atomic_exchange(&s->buf, NULL));
                buf = gk_aligned_alloc(bytes, GK_SCRATCH_ALIGN);
                atomic_store(&s->buf, buf);
                s->bytes = buf ? bytes : 0;
            }
            if (buf) return buf;
            atomic_store(&s->busy, false);
            return NULL;
        }
    return gk_aligned_alloc(bytes, GK_SCRATCH_ALIGN);
}

void gk_scratch_release(void *p)
{
    if (!p) return;
    for (int i = 0; i < GK_SCRATCH_SLOTS; i++)
        if (p == atomic_load(&gk_scratch_slots[i].buf)) {
            atomic_store(&gk_scratch_slots[i].busy, false);
            return;
        }
    gk_aligned_free(p);
}

__attribute__((destructor)) static void gk_scratch_free_all(void)
{
    for (int i = 0; i < GK_SCRATCH_SLOTS; i++) {
        gk_aligned_free(atomic_exchange(&gk_scratch_slots[i].buf, NULL));
        gk_scratch_slots[i].bytes = 0;
    }
}
