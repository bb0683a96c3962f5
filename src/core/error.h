/* SPDX-License-Identifier: MIT */
/* Internal error reporting: the two validation macros and the per-thread detail message. */
#ifndef GK_CORE_ERROR_H
#define GK_CORE_ERROR_H

#include "gllmk/types.h"

/* Records "api: <formatted detail>" as this thread's last error detail and returns `status`.
 * In debug builds the detail ends with the library file and line that rejected the call. */
gk_status
gk_error_set(gk_status status, const char *api, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* GK_CHECK: if `cond` is false, record the detail and return `status` from the calling function.
 * `api` is the public function name the user called. */
#define GK_CHECK(cond, status, api, ...)                                                    \
    do {                                                                                    \
        if (!(cond)) return gk_error_set((status), (api), __FILE__, __LINE__, __VA_ARGS__); \
    } while (0)

/* GK_TRY: forward a non-OK status from a callee (the callee has recorded the detail). */
#define GK_TRY(expr)                                        \
    do {                                                    \
        const gk_status gk_try_status_ = (expr);            \
        if (gk_try_status_ != GK_OK) return gk_try_status_; \
    } while (0)

#endif /* GK_CORE_ERROR_H */
