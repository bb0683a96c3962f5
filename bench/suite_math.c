/* SPDX-License-Identifier: MIT */
/* Suite `math`: the transcendental activations, f32, one thread, on arrays in L1 (n = 4096) and
 * L2 (n = 65536), inputs uniform in [-5, 5] (typical activations; every element takes the
 * kernels' common path). Per case: GB/s (bytes read + written) against the copy bandwidth of the
 * same working set, elements per cycle, and the ratio to the same loop written with SLEEF's vector
 * functions (the u10 variants, 1.0 ULP; Debian libsleef-dev) for the active ISA: AVX-512 when the
 * library runs its avx512 tier on a CPU that has it, else AVX2. The clock for "per cycle" is
 * estimated from a dependent chain of integer additions (one addition per cycle on every x86-64
 * and AArch64 core), timed like the cases. */
#include <gllmk/gllmk.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

/* ---- the clock ----------------------------------------------------------------------------- */

struct gkb_chain {
    size_t adds;
    uint64_t sink;
};

/* `adds` additions, each depending on the previous one. */
static void gkb_add_chain(void *ctx)
{
    struct gkb_chain *c = ctx;
    uint64_t x = c->sink;
    for (size_t i = 0; i < c->adds; i += 8) {
#if defined(__x86_64__)
        __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                         "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0"
                         : "+r"(x));
#elif defined(__aarch64__)
        __asm__ volatile("add %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\t"
                         "add %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1"
                         : "+r"(x));
#endif
    }
    c->sink = x;
}

/* Nanoseconds per cycle, or -1 where the chain is not written for the architecture. */
static double gkb_ns_per_cycle(bool smoke)
{
#if defined(__x86_64__) || defined(__aarch64__)
    struct gkb_chain c = {smoke ? 1u << 12 : 1u << 24, 0};
    return gkb_min_time_ns(gkb_add_chain, &c, 1, smoke ? 1 : 7) / (double)c.adds;
#else
    (void)smoke;
    return -1;
#endif
}

/* ---- SLEEF, the peer ------------------------------------------------------------------------ */

typedef void (*gkb_math_loop)(const float *x, float *y, size_t n);

#if defined(GKB_HAVE_SLEEF) && defined(__x86_64__)
#    include <immintrin.h>
#    define GKB_AVX2   __attribute__((target("avx2,fma")))
#    define GKB_AVX512 __attribute__((target("avx512f,avx2,fma")))

/* The prototypes of sleef.h, which declares them only when the whole file is compiled for AVX2 /
 * AVX-512; here only these functions are (the CPU is checked before they run). */
GKB_AVX2 __m256 Sleef_expf8_u10avx2(__m256 x);
GKB_AVX2 __m256 Sleef_tanhf8_u10avx2(__m256 x);
GKB_AVX2 __m256 Sleef_erff8_u10avx2(__m256 x);
GKB_AVX512 __m512 Sleef_expf16_u10avx512f(__m512 x);
GKB_AVX512 __m512 Sleef_tanhf16_u10avx512f(__m512 x);
GKB_AVX512 __m512 Sleef_erff16_u10avx512f(__m512 x);

/* The loops a user would write (n is a multiple of the lanes): exp; x / (1 + exp(-x));
 * 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); tanh; 0.5 x (1 + erf(x / sqrt2)). */
#    define GKB_SLEEF_LOOPS(isa, attr, vec, lanes, pre, expf_, tanhf_, erff_)                      \
        attr static void gkb_sleef_exp_##isa(const float *x, float *y, size_t n)                   \
        {                                                                                          \
            for (size_t i = 0; i < n; i += lanes)                                                  \
                pre##_storeu_ps(y + i, expf_(pre##_loadu_ps(x + i)));                              \
        }                                                                                          \
        attr static void gkb_sleef_silu_##isa(const float *x, float *y, size_t n)                  \
        {                                                                                          \
            const vec one = pre##_set1_ps(1.0f), zero = pre##_setzero_ps();                        \
            for (size_t i = 0; i < n; i += lanes) {                                                \
                const vec v = pre##_loadu_ps(x + i);                                               \
                pre##_storeu_ps(y + i,                                                             \
                                pre##_div_ps(v, pre##_add_ps(one, expf_(pre##_sub_ps(zero, v))))); \
            }                                                                                      \
        }                                                                                          \
        attr static void gkb_sleef_gelu_##isa(const float *x, float *y, size_t n)                  \
        {                                                                                          \
            const vec half = pre##_set1_ps(0.5f), one = pre##_set1_ps(1.0f);                       \
            const vec c = pre##_set1_ps(0.7978845608f), k = pre##_set1_ps(0.044715f);              \
            for (size_t i = 0; i < n; i += lanes) {                                                \
                const vec v = pre##_loadu_ps(x + i);                                               \
                const vec u =                                                                      \
                    pre##_mul_ps(c, pre##_fmadd_ps(pre##_mul_ps(k, v), pre##_mul_ps(v, v), v));    \
                pre##_storeu_ps(                                                                   \
                    y + i, pre##_mul_ps(pre##_mul_ps(half, v), pre##_add_ps(one, tanhf_(u))));     \
            }                                                                                      \
        }                                                                                          \
        attr static void gkb_sleef_tanh_##isa(const float *x, float *y, size_t n)                  \
        {                                                                                          \
            for (size_t i = 0; i < n; i += lanes)                                                  \
                pre##_storeu_ps(y + i, tanhf_(pre##_loadu_ps(x + i)));                             \
        }                                                                                          \
        attr static void gkb_sleef_gelu_erf_##isa(const float *x, float *y, size_t n)              \
        {                                                                                          \
            const vec half = pre##_set1_ps(0.5f), one = pre##_set1_ps(1.0f);                       \
            const vec r = pre##_set1_ps(0.70710678f);                                              \
            for (size_t i = 0; i < n; i += lanes) {                                                \
                const vec v = pre##_loadu_ps(x + i);                                               \
                pre##_storeu_ps(y + i,                                                             \
                                pre##_mul_ps(pre##_mul_ps(half, v),                                \
                                             pre##_add_ps(one, erff_(pre##_mul_ps(r, v)))));       \
            }                                                                                      \
        }
GKB_SLEEF_LOOPS(avx2,
                GKB_AVX2,
                __m256,
                8,
                _mm256,
                Sleef_expf8_u10avx2,
                Sleef_tanhf8_u10avx2,
                Sleef_erff8_u10avx2)
GKB_SLEEF_LOOPS(avx512,
                GKB_AVX512,
                __m512,
                16,
                _mm512,
                Sleef_expf16_u10avx512f,
                Sleef_tanhf16_u10avx512f,
                Sleef_erff16_u10avx512f)

#    define GKB_SLEEF_PEERS(op)                            \
        {                                                  \
            gkb_sleef_##op##_avx2, gkb_sleef_##op##_avx512 \
        }
#else
#    define GKB_SLEEF_PEERS(op) \
        {                       \
            NULL, NULL          \
        }
#endif

/* ---- the cases ----------------------------------------------------------------------------- */

struct gkb_math_case {
    const char *op, *peer_op;
    gk_status (*run)(const float *x, float *y, size_t n);
    gkb_math_loop peer[2]; /* SLEEF loops: AVX2, AVX-512 */
};

static const struct gkb_math_case gkb_math_cases[] = {
    {"exp", "exp[sleef]", gk_exp_f32, GKB_SLEEF_PEERS(exp)},
    {"silu", "silu[sleef]", gk_silu_f32, GKB_SLEEF_PEERS(silu)},
    {"gelu", "gelu[sleef]", gk_gelu_f32, GKB_SLEEF_PEERS(gelu)},
    {"tanh", "tanh[sleef]", gk_tanh_f32, GKB_SLEEF_PEERS(tanh)},
    {"gelu_erf", "gelu_erf[sleef]", gk_gelu_erf_f32, GKB_SLEEF_PEERS(gelu_erf)},
};

struct gkb_math_job {
    gk_status (*run)(const float *x, float *y, size_t n);
    gkb_math_loop loop;
    const float *x;
    float *y;
    size_t n;
    int passes;
};

static void gkb_math_call(void *ctx)
{
    const struct gkb_math_job *job = ctx;
    for (int p = 0; p < job->passes; p++) {
        if (job->run)
            job->run(job->x, job->y, job->n);
        else
            job->loop(job->x, job->y, job->n);
    }
}

/* Minimum time of one call on n elements, in ns, for the library's job and, if not NULL, the
 * peer's, timed in alternating rounds (gkb_min_time_rounds_ns). */
static void gkb_math_time(const struct gkb_context *ctx,
                          struct gkb_math_job *job,
                          struct gkb_math_job *peer_job,
                          double *ns,
                          double *peer_ns)
{
    const int passes = ctx->smoke ? 1 : (int)((1u << 22) / job->n); /* ~4M elements a sample */
    job->passes = passes;
    void *jobs[2] = {job, peer_job};
    double t[2];
    if (peer_job) peer_job->passes = passes;
    gkb_min_time_rounds_ns(gkb_math_call, jobs, peer_job ? 2 : 1, ctx->smoke ? 1 : 3,
                           ctx->smoke ? 1 : 9, t);
    *ns = t[0] / passes;
    *peer_ns = peer_job ? t[1] / passes : -1;
}

/* Which SLEEF loops the active tier is compared with: 1 = AVX-512, 0 = AVX2, -1 = none. */
static int gkb_sleef_isa(void)
{
#if defined(GKB_HAVE_SLEEF) && defined(__x86_64__)
    __builtin_cpu_init();
    if (strcmp(gk_isa_name(), "avx512") == 0 && __builtin_cpu_supports("avx512f")) return 1;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 0;
#endif
    return -1;
}

void gkb_suite_math(const struct gkb_context *ctx)
{
    const double ns_cycle = gkb_ns_per_cycle(ctx->smoke);
    const int sleef = gkb_sleef_isa();
    const char *peer = sleef == 1 ? "sleef u10 avx512" : "sleef u10 avx2";
    if (ns_cycle > 0)
        printf("# math: clock %.2f GHz (dependent integer-add chain); peer: %s\n", 1.0 / ns_cycle,
               sleef < 0 ? "none (SLEEF not built in or no AVX2)" : peer);
    gk_set_num_threads(1);
    const size_t sizes[] = {4096, 65536};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const size_t n = sizes[s], bytes = 2 * n * sizeof(float);
        float *x = gk_aligned_alloc(n * sizeof *x, 64), *y = gk_aligned_alloc(n * sizeof *y, 64);
        gkb_fill_uniform(x, n, -5.0f, 5.0f, 1);
        for (size_t k = 0; k < sizeof gkb_math_cases / sizeof gkb_math_cases[0]; k++) {
            const struct gkb_math_case *c = &gkb_math_cases[k];
            struct gkb_math_job job = {c->run, NULL, x, y, n, 1};
            struct gkb_math_job peer_job = {NULL, sleef >= 0 ? c->peer[sleef] : NULL, x, y, n, 1};
            double ns, peer_ns;
            gkb_math_time(ctx, &job, peer_job.loop ? &peer_job : NULL, &ns, &peer_ns);
            struct gkb_row row = {.op = c->op,
                                  .dtype = "f32",
                                  .threads = 1,
                                  .time_ns = ns,
                                  .rate = (double)bytes / ns,
                                  .unit = "GB/s",
                                  .pct_limit = -1,
                                  .peer_ratio = peer_ns > 0 ? peer_ns / ns : -1,
                                  .peer = peer};
            snprintf(row.shape, sizeof row.shape, "n=%zu", n);
            const double limit = gkb_bandwidth_limit(ctx->limits, GKB_COPY, bytes, 1, &row.limit);
            if (limit > 0) row.pct_limit = 100.0 * row.rate / limit;
            gkb_report(&row);
            if (ns_cycle > 0) {
                /* the same case per cycle, and the peer's own rate */
                row.rate = (double)n / (ns / ns_cycle);
                row.unit = "el/cyc";
                row.pct_limit = -1;
                row.limit = NULL;
                gkb_report(&row);
                if (peer_ns > 0) {
                    struct gkb_row prow = row;
                    prow.op = c->peer_op;
                    prow.time_ns = peer_ns;
                    prow.rate = (double)n / (peer_ns / ns_cycle);
                    prow.peer_ratio = -1;
                    gkb_report(&prow);
                }
            }
        }
        gk_aligned_free(x);
        gk_aligned_free(y);
    }
    gk_set_num_threads(0);
}
