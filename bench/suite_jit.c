/* SPDX-License-Identifier: MIT */
/* Suite "jit": the JIT front end's latency per operator of the default registry: a full
 * analysis (decode + symbolic execution of every concrete-size run + trace build; target
 * < 50 us, requirement < 1 ms) and a cached gk_scalar_registry_get_trace lookup (target
 * < 100 ns). Operators that are not lifted are reported with their analysis time too. */
#include <gllmk/gllmk.h>
#include <stdio.h>

#include "bench.h"

typedef struct analyse_job {
    const gk_scalar_op_desc *desc;
    gk_status status;
} analyse_job;

static void analyse_once(void *p)
{
    analyse_job *job = p;
    gk_op_trace *t = NULL;
    job->status = gk_op_trace_analyse(job->desc, &t);
    gk_op_trace_destroy(t);
}

enum { LOOKUPS_PER_CALL = 1000 };

typedef struct lookup_job {
    gk_scalar_registry *reg;
    const char *name;
    const gk_op_trace *sink;
} lookup_job;

static void lookup_many(void *p)
{
    lookup_job *job = p;
    for (int i = 0; i < LOOKUPS_PER_CALL; i++)
        gk_scalar_registry_get_trace(job->reg, job->name, &job->sink);
}

void gkb_suite_jit(const struct gkb_context *ctx)
{
    gk_scalar_registry *reg = gk_scalar_registry_default();
    if (!reg) return;
    const int reps = ctx->smoke ? 1 : 20;
    for (size_t i = 0; i < gk_scalar_registry_count(reg); i++) {
        const gk_scalar_op_desc *d = NULL;
        if (gk_scalar_registry_at(reg, i, &d) != GK_OK) continue;
        analyse_job job = {.desc = d};
        const double ns = gkb_min_time_ns(analyse_once, &job, ctx->smoke ? 0 : 2, reps);
        struct gkb_row row = {.op = "jit_analyse",
                              .dtype = "f32",
                              .threads = 1,
                              .time_ns = ns,
                              .rate = ns / 1000.0,
                              .unit = "us",
                              .pct_limit = -1,
                              .peer_ratio = -1};
        snprintf(row.shape, sizeof row.shape, "%s%s", d->name,
                 job.status == GK_OK ? "" : " (not lifted)");
        gkb_report(&row);

        const gk_op_trace *t = NULL;
        gk_scalar_registry_get_trace(reg, d->name, &t); /* analysed once, then cached */
        lookup_job lj = {.reg = reg, .name = d->name};
        const double lns = gkb_min_time_ns(lookup_many, &lj, 1, reps) / LOOKUPS_PER_CALL;
        struct gkb_row lrow = {.op = "jit_lookup",
                               .dtype = "f32",
                               .threads = 1,
                               .time_ns = lns,
                               .rate = lns,
                               .unit = "ns",
                               .pct_limit = -1,
                               .peer_ratio = -1};
        snprintf(lrow.shape, sizeof lrow.shape, "%s", d->name);
        gkb_report(&lrow);
    }
}
