/* SPDX-License-Identifier: MIT */
/* Suite `gemm`: f32 GEMM at the shapes of the GEMM issue (squares 256..2048 with B as k x n; LLM
 * projections m x 4096 x 4096 etc. with the weights stored n x k, unpacked and prepacked; decode
 * m = 1, 8 also with B as k x n, the layout of gk_gemm_f32), at 1
 * and all threads. Per case: GFLOP/s, percent of the measured FMA peak of the vector width the
 * active tier uses (same thread count), and the ratio to the fastest peer (OpenBLAS, BLIS, oneDNN,
 * each forced to the same thread count) measured in the same run; every peer also gets its own
 * row. A few f16/bf16 rows follow. Without the suite named on the command line only a few shapes
 * run (the default gk-bench run stays short); GKB_GEMM_SHAPES (environment, gkb_gemm_filter)
 * picks shapes of the full table.
 *
 * Suite `gemm-tune`: sweeps the packed path's MC, KC and NC (gk_gemm_tune_blocking) on two shapes
 * at one thread and prints the best triple; the defaults in src/core/gemm_blocking.c follow it. */
#include <gllmk/gllmk.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "core/kernels.h"
#include "gemm/gemm_tune.h"
#include "peers/gemm_peers.h"

enum { GKB_GEMM_B_KN = 0, GKB_GEMM_B_NK = 1, GKB_GEMM_PREPACKED = 2 };

struct gkb_gemm_shape {
    size_t m, n, k;
    int layout;
};

/* The shapes. Squares use B as k x n; LLM shapes use weights stored n x k (GGUF), and
 * the same shapes prepacked; decode (m = 1, 8) also with B as k x n (gk_gemm_f32's layout). */
static const struct gkb_gemm_shape gkb_gemm_full[] = {
    {256, 256, 256, GKB_GEMM_B_KN},        {512, 512, 512, GKB_GEMM_B_KN},
    {1024, 1024, 1024, GKB_GEMM_B_KN},     {2048, 2048, 2048, GKB_GEMM_B_KN},
    {1, 4096, 4096, GKB_GEMM_B_KN},        {8, 4096, 4096, GKB_GEMM_B_KN},
    {1, 4096, 4096, GKB_GEMM_B_NK},        {8, 4096, 4096, GKB_GEMM_B_NK},
    {32, 4096, 4096, GKB_GEMM_B_NK},       {128, 4096, 4096, GKB_GEMM_B_NK},
    {512, 4096, 4096, GKB_GEMM_B_NK},      {128, 11008, 4096, GKB_GEMM_B_NK},
    {128, 4096, 11008, GKB_GEMM_B_NK},     {1, 4096, 4096, GKB_GEMM_PREPACKED},
    {8, 4096, 4096, GKB_GEMM_PREPACKED},   {32, 4096, 4096, GKB_GEMM_PREPACKED},
    {128, 4096, 4096, GKB_GEMM_PREPACKED}, {512, 4096, 4096, GKB_GEMM_PREPACKED},
};

static const struct gkb_gemm_shape gkb_gemm_default[] = {
    {1024, 1024, 1024, GKB_GEMM_B_KN},
    {8, 4096, 4096, GKB_GEMM_B_NK},
    {128, 4096, 4096, GKB_GEMM_B_NK},
};

static const struct gkb_gemm_shape gkb_gemm_smoke[] = {
    {17, 19, 23, GKB_GEMM_B_KN},
    {3, 40, 33, GKB_GEMM_B_NK},
    {20, 33, 70, GKB_GEMM_PREPACKED},
};

struct gkb_gemm_job {
    const struct gkb_gemm_shape *s;
    gk_dtype dtype;
    const void *a, *b, *packed;
    void *c;
    const struct gkb_gemm_peer *peer; /* NULL: the library */
};

static void gkb_gemm_call(void *ctx)
{
    const struct gkb_gemm_job *j = ctx;
    const struct gkb_gemm_shape *s = j->s;
    if (j->peer) {
        j->peer->sgemm(j->peer, s->layout != GKB_GEMM_B_KN, s->m, s->n, s->k, j->a, j->b, j->c);
        return;
    }
    if (s->layout == GKB_GEMM_PREPACKED) {
        gk_gemm_prepacked_f32(j->a, j->packed, j->c, s->m, s->n, s->k);
        return;
    }
    const bool nk = s->layout == GKB_GEMM_B_NK;
    const gk_gemm_args x = {
        s->m,     s->n, s->k, j->a, s->k,     j->dtype, false, j->b, nk ? s->k : s->n,
        j->dtype, nk,   j->c, s->n, j->dtype, 1.0f,     0.0f,  NULL};
    gk_gemm_ex(&x);
}

/* Repetitions: about 1.5 s of work at 100 GFLOP/s per case, between 3 and 50. */
static int gkb_gemm_reps(const struct gkb_context *ctx, double flops)
{
    if (ctx->smoke) return 1;
    const double r = 1.5e11 / flops;
    return r < 3 ? 3 : r > 50 ? 50 : (int)r;
}

/* The FMA peak (GFLOP/s) of the vector width the active tier runs, at config index c. */
static double gkb_gemm_peak(const struct gkb_limits *lim, int c, const char **name)
{
    const char *isa = gk_isa_name();
    for (int f = 0; f < lim->n_fma; f++) {
        if (strncmp(lim->fma_name[f], isa, strlen(isa)) == 0 ||
            (strcmp(isa, "neon") == 0 && strstr(lim->fma_name[f], "neon"))) {
            *name = lim->fma_name[f];
            return lim->fma_gflops[c][f];
        }
    }
    *name = lim->n_fma ? lim->fma_name[0] : NULL;
    return lim->n_fma ? lim->fma_gflops[c][0] : -1;
}

static const char *gkb_gemm_op(int layout)
{
    return layout == GKB_GEMM_B_KN ? "gemm" : layout == GKB_GEMM_B_NK ? "gemm_bT" : "gemm_packed";
}

static float *gkb_random_f32(size_t n, unsigned seed)
{
    float *p = gk_aligned_alloc(n * sizeof(float), 64);
    if (p) gkb_fill_uniform(p, n, -0.5f, 0.5f, seed);
    return p;
}

static void gkb_gemm_case(const struct gkb_context *ctx, const struct gkb_gemm_shape *s)
{
    const struct gkb_gemm_peer *peers;
    const int n_peers = gkb_gemm_peers(&peers);
    float *a = gkb_random_f32(s->m * s->k, 1), *b = gkb_random_f32(s->k * s->n, 2);
    float *c = gk_aligned_alloc(s->m * s->n * sizeof(float), 64);
    void *packed = NULL;
    if (s->layout == GKB_GEMM_PREPACKED) {
        packed = gk_aligned_alloc(gk_pack_b_size_f32(s->n, s->k), 64);
        if (packed) gk_pack_b_f32(b, packed, s->n, s->k);
    }
    if (!a || !b || !c || (s->layout == GKB_GEMM_PREPACKED && !packed)) {
        fprintf(stderr, "gk-bench: gemm: out of memory\n");
        goto done;
    }
    const double flops = 2.0 * (double)s->m * (double)s->n * (double)s->k;
    const int reps = gkb_gemm_reps(ctx, flops);
    for (int t = 0; t < ctx->n_configs; t++) {
        const int threads = ctx->threads[t];
        gk_set_num_threads(threads);
        gkb_progress("gemm %zu,%zu,%zu %s, %d thread(s)", s->m, s->n, s->k, gkb_gemm_op(s->layout),
                     threads);

        /* The library (job 0) and the peers, timed in alternating rounds. The prepacked rows
         * compare with the same peers on the unpacked weights (none of them has a public
         * prepacked f32 interface with that layout). */
        enum { MAX_PEERS = 8 };

        const int np = n_peers < MAX_PEERS ? n_peers : MAX_PEERS;
        struct gkb_gemm_job jobs[MAX_PEERS + 1] = {{s, GK_DTYPE_F32, a, b, packed, c, NULL}};
        void *job_ptrs[MAX_PEERS + 1] = {&jobs[0]};
        for (int p = 0; p < np; p++) {
            peers[p].set_threads(&peers[p], threads);
            jobs[p + 1] = (struct gkb_gemm_job){s, GK_DTYPE_F32, a, b, NULL, c, &peers[p]};
            job_ptrs[p + 1] = &jobs[p + 1];
        }
        double times[MAX_PEERS + 1];
        gkb_min_time_rounds_ns(gkb_gemm_call, job_ptrs, np + 1, ctx->smoke ? 1 : 3, reps, times);
        const double ns = times[0], *peer_ns = times + 1;
        int fastest = -1;
        for (int p = 0; p < np; p++)
            if (fastest < 0 || peer_ns[p] < peer_ns[fastest]) fastest = p;
        const char *peak_name;
        const double peak = gkb_gemm_peak(
            ctx->limits,
            gkb_config_index(ctx->limits, threads) < 0 ? 0 : gkb_config_index(ctx->limits, threads),
            &peak_name);
        struct gkb_row row = {gkb_gemm_op(s->layout),
                              "f32",
                              "",
                              threads,
                              ns,
                              flops / ns,
                              "GFLOP/s",
                              peak > 0 ? 100.0 * (flops / ns) / peak : -1,
                              peak_name,
                              -1,
                              NULL};
        snprintf(row.shape, sizeof row.shape, "%zu,%zu,%zu", s->m, s->n, s->k);
        if (fastest >= 0) {
            row.peer_ratio = peer_ns[fastest] / ns;
            row.peer = peers[fastest].name;
        }
        gkb_report(&row);
        for (int p = 0; p < np; p++) {
            char op[32];
            snprintf(op, sizeof op, "  sgemm:%s", peers[p].name);
            struct gkb_row pr = row;
            pr.op = op;
            pr.time_ns = peer_ns[p];
            pr.rate = flops / peer_ns[p];
            pr.pct_limit = peak > 0 ? 100.0 * pr.rate / peak : -1;
            pr.peer_ratio = peer_ns[p] / ns; /* >1: the library is faster */
            pr.peer = "gllmk/peer";
            gkb_report(&pr);
        }
    }
done:
    gk_aligned_free(a);
    gk_aligned_free(b);
    gk_aligned_free(c);
    gk_aligned_free(packed);
    gk_set_num_threads(0);
}

/* f16/bf16 inputs and output (widened while packing): one LLM shape per type. */
static void gkb_gemm_half_cases(const struct gkb_context *ctx)
{
    const struct gkb_gemm_shape s = ctx->smoke
                                        ? (struct gkb_gemm_shape){9, 40, 33, GKB_GEMM_B_NK}
                                        : (struct gkb_gemm_shape){128, 4096, 4096, GKB_GEMM_B_NK};
    const gk_dtype types[] = {GK_DTYPE_F16, GK_DTYPE_BF16};
    const char *names[] = {"f16", "bf16"};
    for (int t = 0; t < 2; t++) {
        uint16_t *a = gk_aligned_alloc(s.m * s.k * 2, 64), *b = gk_aligned_alloc(s.k * s.n * 2, 64);
        uint16_t *c = gk_aligned_alloc(s.m * s.n * 2, 64);
        if (a && b && c) {
            for (size_t i = 0; i < s.m * s.k; i++)
                a[i] = (uint16_t)(t == 0 ? 0x3800 + (i % 512) : 0x3F00 + (i % 128));
            for (size_t i = 0; i < s.k * s.n; i++)
                b[i] = (uint16_t)(t == 0 ? 0x3400 + (i % 512) : 0x3E80 + (i % 128));
            const double flops = 2.0 * (double)s.m * (double)s.n * (double)s.k;
            for (int cfg = 0; cfg < ctx->n_configs; cfg++) {
                gk_set_num_threads(ctx->threads[cfg]);
                struct gkb_gemm_job job = {&s, types[t], a, b, NULL, c, NULL};
                const double ns =
                    gkb_min_time_ns(gkb_gemm_call, &job, 1, gkb_gemm_reps(ctx, flops));
                const char *peak_name;
                const double peak = gkb_gemm_peak(ctx->limits, cfg, &peak_name);
                struct gkb_row row = {
                    "gemm_bT", names[t],   "",        ctx->threads[cfg],
                    ns,        flops / ns, "GFLOP/s", peak > 0 ? 100.0 * (flops / ns) / peak : -1,
                    peak_name, -1,         NULL};
                snprintf(row.shape, sizeof row.shape, "%zu,%zu,%zu", s.m, s.n, s.k);
                gkb_report(&row);
            }
        }
        gk_aligned_free(a);
        gk_aligned_free(b);
        gk_aligned_free(c);
    }
    gk_set_num_threads(0);
}

/* The microkernel alone (internal table, src/core/gemm_kernels.h): one KC x NR panel of B in L1
 * against the MR panels of an MC x KC block of A (in L2), as the driver's inner loop runs it,
 * minus packing and the C traffic of other blocks. It attributes a gap to the kernel or the
 * driver. */
struct gkb_ukr_job {
    const struct gk_gemm_kernels *g;
    const float *a, *b;
    float *c;
    size_t n_panels;
};

static void gkb_ukr_call(void *ctx)
{
    const struct gkb_ukr_job *j = ctx;
    const struct gk_gemm_epilogue ep = {1.0f, 1.0f, NULL};
    for (size_t q = 0; q < j->n_panels; q++)
        j->g->ukr(j->g->kc, j->a + q * j->g->mr * j->g->kc, j->b, j->c + q * j->g->mr * j->g->nr,
                  j->g->nr, &ep);
}

static void gkb_gemm_ukr_case(const struct gkb_context *ctx)
{
    const struct gk_gemm_kernels *g = &gk_kernels_active()->gemm;
    const size_t n_panels = g->mc / g->mr;
    float *a = gkb_random_f32(g->mc * g->kc, 6), *b = gkb_random_f32(g->kc * g->nr, 7);
    float *c = gkb_random_f32(g->mc * g->nr, 8);
    if (a && b && c) {
        gk_set_num_threads(1);
        struct gkb_ukr_job job = {g, a, b, c, n_panels};
        const double flops = 2.0 * (double)(g->mc * g->nr * g->kc);
        const double ns = gkb_min_time_ns(gkb_ukr_call, &job, 3, ctx->smoke ? 1 : 200);
        const char *peak_name;
        const double peak = gkb_gemm_peak(ctx->limits, 0, &peak_name);
        struct gkb_row row = {
            "gemm_ukr", "f32",      "",        1,
            ns,         flops / ns, "GFLOP/s", peak > 0 ? 100.0 * (flops / ns) / peak : -1,
            peak_name,  -1,         NULL};
        snprintf(row.shape, sizeof row.shape, "%zux%zu,kc=%zu,mc=%zu", g->mr, g->nr, g->kc, g->mc);
        gkb_report(&row);
    }
    gk_aligned_free(a);
    gk_aligned_free(b);
    gk_aligned_free(c);
    gk_set_num_threads(0);
}

/* The GKB_GEMM_SHAPES filter (environment): a comma-separated list of shapes of the issue's
 * table as MxNxK, each optionally with :kn, :nk or :packed for one layout
 * ("8x4096x4096:kn,128x4096x4096"); NULL when unset (no filter). */
static const char *gkb_gemm_filter(void)
{
    const char *p = getenv("GKB_GEMM_SHAPES");
    return p && *p ? p : NULL;
}

/* Whether the filter names shape s. */
static bool gkb_gemm_selected(const char *filter, const struct gkb_gemm_shape *s)
{
    static const char *const layout_names[] = {"kn", "nk", "packed"};
    for (const char *p = filter; *p; p += *p == ',') {
        const size_t item = strcspn(p, ",");
        char buf[64] = "", layout[16] = "";
        unsigned long m = 0, n = 0, k = 0;
        if (item < sizeof buf) memcpy(buf, p, item);
        p += item;
        const int got = sscanf(buf, "%lux%lux%lu:%15s", &m, &n, &k, layout);
        if (got < 3 || m != s->m || n != s->n || k != s->k) continue;
        if (got == 3 || strcmp(layout, layout_names[s->layout]) == 0) return true;
    }
    return false;
}

void gkb_suite_gemm(const struct gkb_context *ctx)
{
    const char *filter = ctx->smoke ? NULL : gkb_gemm_filter();
    const struct gkb_gemm_shape *shapes = gkb_gemm_default;
    size_t n = sizeof gkb_gemm_default / sizeof gkb_gemm_default[0];
    if (ctx->smoke) {
        shapes = gkb_gemm_smoke;
        n = sizeof gkb_gemm_smoke / sizeof gkb_gemm_smoke[0];
    } else if (ctx->named || filter) {
        shapes = gkb_gemm_full;
        n = sizeof gkb_gemm_full / sizeof gkb_gemm_full[0];
    }
    const struct gkb_gemm_peer *peers;
    const int n_peers = gkb_gemm_peers(&peers);
    printf("# gemm peers:");
    for (int p = 0; p < n_peers; p++)
        printf(" %s", peers[p].name);
    printf("%s | microkernel %s | OPENBLAS_CORETYPE=%s\n", n_peers ? "" : " none",
           gk_kernels_active()->gemm.ukr_name,
           getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE") : "(unset)");
    if (!filter) gkb_gemm_ukr_case(ctx);
    for (size_t i = 0; i < n; i++)
        if (!filter || gkb_gemm_selected(filter, &shapes[i])) gkb_gemm_case(ctx, &shapes[i]);
    if ((ctx->named && !filter) || ctx->smoke) gkb_gemm_half_cases(ctx);
}

/* ---- tuning --------------------------------------------------------------------------------- */

struct gkb_tune_result {
    size_t mc, kc, nc;
    double gflops;
};

void gkb_suite_gemm_tune(const struct gkb_context *ctx)
{
    if (!ctx->named && !ctx->smoke) return; /* a long sweep: only when asked for */
    const struct gk_gemm_kernels *g = &gk_kernels_active()->gemm;
    const struct gkb_gemm_shape shapes[] = {
        ctx->smoke ? (struct gkb_gemm_shape){40, 40, 40, GKB_GEMM_B_KN}
                   : (struct gkb_gemm_shape){1024, 1024, 1024, GKB_GEMM_B_KN},
        ctx->smoke ? (struct gkb_gemm_shape){20, 40, 40, GKB_GEMM_B_NK}
                   : (struct gkb_gemm_shape){128, 4096, 4096, GKB_GEMM_B_NK},
    };
    const size_t kcs[] = {128, 192, 256, 320, 384, 512};
    const size_t mc_tiles[] = {8, 12, 16, 24, 32, 42, 64};
    const size_t ncs[] = {1024, 2048, 4096};
    gk_set_num_threads(1);
    printf("# gemm-tune: %s (MR %zu NR %zu), defaults MC %zu KC %zu NC %zu; GFLOP/s at 1 thread, "
           "geometric mean over %zu shapes\n",
           g->ukr_name, g->mr, g->nr, g->mc, g->kc, g->nc, sizeof shapes / sizeof shapes[0]);
    size_t a_max = 0, b_max = 0, c_max = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        a_max = a_max > shapes[s].m * shapes[s].k ? a_max : shapes[s].m * shapes[s].k;
        b_max = b_max > shapes[s].k * shapes[s].n ? b_max : shapes[s].k * shapes[s].n;
        c_max = c_max > shapes[s].m * shapes[s].n ? c_max : shapes[s].m * shapes[s].n;
    }
    float *a = gkb_random_f32(a_max, 3), *b = gkb_random_f32(b_max, 4),
          *c = gkb_random_f32(c_max, 5);
    if (!a || !b || !c) {
        fprintf(stderr, "gk-bench: gemm-tune: out of memory\n");
        a_max = 0;
    }
    struct gkb_tune_result best = {0, 0, 0, 0};
    for (size_t ki = 0; a_max && ki < (ctx->smoke ? 1 : 6); ki++)
        for (size_t mi = 0; mi < (ctx->smoke ? 1 : 7); mi++)
            for (size_t ni = 0; ni < (ctx->smoke ? 1 : 3); ni++) {
                const size_t mc = mc_tiles[mi] * g->mr, kc = kcs[ki], nc = ncs[ni] / g->nr * g->nr;
                gk_gemm_tune_blocking(mc, kc, nc);
                double log_sum = 0.0;
                for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
                    struct gkb_gemm_job job = {&shapes[s], GK_DTYPE_F32, a, b, NULL, c, NULL};
                    const double flops =
                        2.0 * (double)shapes[s].m * (double)shapes[s].n * (double)shapes[s].k;
                    const double ns = gkb_min_time_ns(gkb_gemm_call, &job, 1, ctx->smoke ? 1 : 3);
                    log_sum += log(flops / ns);
                }
                const double gf = exp(log_sum / (double)(sizeof shapes / sizeof shapes[0]));
                printf("gemm-tune MC %4zu KC %4zu NC %5zu  %8.2f GFLOP/s\n", mc, kc, nc, gf);
                if (gf > best.gflops) best = (struct gkb_tune_result){mc, kc, nc, gf};
            }
    gk_gemm_tune_blocking(0, 0, 0);
    printf("# gemm-tune best: GK_GEMM_MC=%zu GK_GEMM_KC=%zu GK_GEMM_NC=%zu (%.2f GFLOP/s)\n",
           best.mc, best.kc, best.nc, best.gflops);
    gk_aligned_free(a);
    gk_aligned_free(b);
    gk_aligned_free(c);
    gk_set_num_threads(0);
}
