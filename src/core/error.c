/* SPDX-License-Identifier: MIT */
/* Status strings and the thread-local "last error detail" message. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>

#include "gllmk/runtime.h"

enum { GK_ERROR_DETAIL_BYTES = 256 };

static _Thread_local char gk_error_detail[GK_ERROR_DETAIL_BYTES];

gk_status
gk_error_set(gk_status status, const char *api, const char *file, int line, const char *fmt, ...)
{
    int used = snprintf(gk_error_detail, sizeof gk_error_detail, "%s: ", api);
    if (used < 0 || (size_t)used >= sizeof gk_error_detail) return status;
    va_list args;
    va_start(args, fmt);
    const int more =
        vsnprintf(gk_error_detail + used, sizeof gk_error_detail - (size_t)used, fmt, args);
    va_end(args);
#ifndef NDEBUG
    if (more >= 0 && (size_t)(used + more) < sizeof gk_error_detail) {
        used += more;
        snprintf(gk_error_detail + used, sizeof gk_error_detail - (size_t)used, " [%s:%d]", file,
                 line);
    }
#else
    (void)more;
    (void)file;
    (void)line;
#endif
    return status;
}

const char *gk_last_error_detail(void)
{
    return gk_error_detail;
}

const char *gk_status_str(gk_status status)
{
    switch (status) {
    case GK_OK: return "GK_OK: success";
    case GK_EINVAL: return "GK_EINVAL: invalid argument";
    case GK_ENOMEM: return "GK_ENOMEM: out of memory";
    case GK_EOVERFLOW: return "GK_EOVERFLOW: size overflow";
    case GK_EALIAS: return "GK_EALIAS: buffers overlap";
    case GK_EUNSUPPORTED: return "GK_EUNSUPPORTED: not supported";
    case GK_EANALYSIS: return "GK_EANALYSIS: JIT analysis failed";
    case GK_ECOMPILE: return "GK_ECOMPILE: JIT compilation failed";
    case GK_EINTERNAL: return "GK_EINTERNAL: internal error (a bug)";
    }
    return "unknown gk_status value";
}
