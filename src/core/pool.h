/* SPDX-License-Identifier: MIT */
/* The library's one persistent thread pool (internal; also used by gk-bench to time fork-join).
 *
 * A caller splits its work into n_parts parts whose boundaries do not depend on the thread count;
 * the pool hands each thread one contiguous range of parts (static partitioning). Each part must
 * write its own outputs (or its own partial result, combined by the caller in part order), so
 * results are bitwise identical for any thread count. */
#ifndef GK_CORE_POOL_H
#define GK_CORE_POOL_H

#include <stddef.h>

/* Runs parts [first_part, end_part) of a job. */
typedef void (*gk_pool_fn)(void *ctx, size_t first_part, size_t end_part);

/* Runs all n_parts parts of the job and returns when every part is done. The calling thread works
 * too. If the pool is busy (another user thread's job, or a nested call from inside a part), the
 * caller runs all parts itself: correct, never blocked, just not parallel. */
void gk_pool_run(gk_pool_fn fn, void *ctx, size_t n_parts);

/* Threads a job may use (the caller included). */
int gk_pool_threads(void);

#endif /* GK_CORE_POOL_H */
