/* SPDX-License-Identifier: MIT */
/* The machine's own limits, measured at start: peak f32 FMA throughput per ISA level and read /
 * copy bandwidth per cache level, for each thread count. Kernels here are written for the
 * hardware, not with the library, so that the library is measured against the machine. */
#define _GNU_SOURCE

#include <gllmk/gllmk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#if defined(__x86_64__)
#    include <immintrin.h>
#    define GKB_AVX2   __attribute__((target("avx2,fma")))
#    define GKB_AVX512 __attribute__((target("avx512f,avx2,fma")))
#elif defined(__aarch64__)
#    include <arm_neon.h>
#endif

enum {
    GKB_FMA_CHAINS = 12, /* independent accumulators: > latency (4) x FMA pipes (2) */
};

const char *gkb_level_name(enum gkb_level level)
{
    static const char *const names[GKB_LEVEL_COUNT] = {"L1", "L2", "L3", "DRAM"};
    return names[level];
}

/* ---- peak FMA ------------------------------------------------------------------------------ */

/* Each returns the sum of its accumulators so that the work cannot be optimised away. */
static float gkb_scalar_muladd(size_t iters)
{
    float acc[GKB_FMA_CHAINS];
    for (int j = 0; j < GKB_FMA_CHAINS; j++)
        acc[j] = (float)j * 1e-3f;
    const float a = 0.999999f, b = 1e-7f;
    for (size_t it = 0; it < iters; it++)
        for (int j = 0; j < GKB_FMA_CHAINS; j++)
            acc[j] = acc[j] * a + b;
    float sum = 0.0f;
    for (int j = 0; j < GKB_FMA_CHAINS; j++)
        sum += acc[j];
    return sum;
}

#if defined(__x86_64__)
GKB_AVX2 static float gkb_avx2_fma(size_t iters)
{
    __m256 acc[GKB_FMA_CHAINS];
    for (int j = 0; j < GKB_FMA_CHAINS; j++)
        acc[j] = _mm256_set1_ps((float)j * 1e-3f);
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (size_t it = 0; it < iters; it++)
        for (int j = 0; j < GKB_FMA_CHAINS; j++)
            acc[j] = _mm256_fmadd_ps(acc[j], a, b);
    for (int j = 1; j < GKB_FMA_CHAINS; j++)
        acc[0] = _mm256_add_ps(acc[0], acc[j]);
    return _mm256_cvtss_f32(acc[0]);
}

GKB_AVX512 static float gkb_avx512_fma(size_t iters)
{
    __m512 acc[GKB_FMA_CHAINS];
    for (int j = 0; j < GKB_FMA_CHAINS; j++)
        acc[j] = _mm512_set1_ps((float)j * 1e-3f);
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (size_t it = 0; it < iters; it++)
        for (int j = 0; j < GKB_FMA_CHAINS; j++)
            acc[j] = _mm512_fmadd_ps(acc[j], a, b);
    for (int j = 1; j < GKB_FMA_CHAINS; j++)
        acc[0] = _mm512_add_ps(acc[0], acc[j]);
    return _mm512_reduce_add_ps(acc[0]);
}
#elif defined(__aarch64__)
static float gkb_neon_fma(size_t iters)
{
    float32x4_t acc[GKB_FMA_CHAINS];
    for (int j = 0; j < GKB_FMA_CHAINS; j++)
        acc[j] = vdupq_n_f32((float)j * 1e-3f);
    const float32x4_t a = vdupq_n_f32(0.999999f), b = vdupq_n_f32(1e-7f);
    for (size_t it = 0; it < iters; it++)
        for (int j = 0; j < GKB_FMA_CHAINS; j++)
            acc[j] = vfmaq_f32(b, acc[j], a);
    for (int j = 1; j < GKB_FMA_CHAINS; j++)
        acc[0] = vaddq_f32(acc[0], acc[j]);
    return vaddvq_f32(acc[0]);
}
#endif

struct gkb_fma_kind {
    const char *name;
    float (*fn)(size_t iters);
    double flops_per_iter; /* chains x lanes x 2 */
    const char *needs;     /* CPU feature required, NULL for none */
};

static const struct gkb_fma_kind gkb_fma_kinds[] = {
    {"scalar f32 mul+add", gkb_scalar_muladd, GKB_FMA_CHAINS * 1 * 2, NULL},
#if defined(__x86_64__)
    {"avx2 ymm fma", gkb_avx2_fma, GKB_FMA_CHAINS * 8 * 2, "avx2"},
    {"avx512 zmm fma", gkb_avx512_fma, GKB_FMA_CHAINS * 16 * 2, "avx512f"},
#elif defined(__aarch64__)
    {"neon fmla", gkb_neon_fma, GKB_FMA_CHAINS * 4 * 2, "asimd"},
#endif
};

struct gkb_fma_job {
    const struct gkb_fma_kind *kind;
    size_t iters;
    volatile float sink;
};

static void gkb_fma_run(void *ctx, int thread_idx)
{
    (void)thread_idx;
    struct gkb_fma_job *job = ctx;
    job->sink = job->kind->fn(job->iters);
}

/* ---- bandwidth per access pattern -------------------------------------------------------- */

/* Access patterns: how many bytes each step reads from each input stream and writes. An op is
 * compared with the pattern it has (a reduction with `read`, f32 -> f16 with `narrow`, a binary
 * op with `binary`), because stores, write-allocate traffic and stream counts change what the
 * memory system delivers. Each step moves whole vectors of the widest ISA the CPU has. */
const struct gkb_pattern gkb_patterns[GKB_PATTERN_COUNT] = {
    [GKB_READ] = {"read", 1, 1, 0},     /* reductions: x -> scalar */
    [GKB_COPY] = {"copy", 1, 1, 1},     /* unary ops, same type: x -> y */
    [GKB_NARROW] = {"narrow", 1, 2, 1}, /* f32 -> 16-bit: 2 vectors in, 1 out */
    [GKB_WIDEN] = {"widen", 1, 1, 2},   /* 16-bit -> f32: 1 vector in, 2 out */
    [GKB_BINARY] = {"binary", 2, 1, 1}, /* binary ops: a, b -> y */
    [GKB_UPDATE] = {"update", 1, 1, 0}, /* in place: x -> x (no write-allocate read) */
};

/* Non-temporal stores, for the patterns with a separate output at DRAM sizes: the library
 * streams outputs larger than the last-level cache (src/core/stream.h), so the machine's limit
 * for such a pattern is the better of plain and non-temporal stores. */
#if defined(__x86_64__)
#    define GKB_NT_STORE_v16(p, v) _mm_stream_si128((__m128i *)(void *)(p), (__m128i)(v))
#    define GKB_NT_STORE_v32(p, v) _mm256_stream_si256((__m256i *)(void *)(p), (__m256i)(v))
#    define GKB_NT_STORE_v64(p, v) _mm512_stream_si512((void *)(p), (__m512i)(v))
#    define GKB_NT_FENCE()         _mm_sfence()
#else
#    define GKB_NT_STORE_v16(p, v) (*(p) = (v))
#    define GKB_NT_FENCE()         ((void)0)
#endif

/* One pass of a bandwidth job over one thread's arrays. */
struct gkb_pass_args {
    int pattern;
    bool nt;
    char *const *in;
    char *out;
    size_t steps;       /* per pass */
    size_t chunk_steps; /* interleaved: steps per chunk (GKB_HOW_INTERLEAVED), or 0 */
    size_t in_step_bytes, out_step_bytes;
};

/* One kernel per pattern and vector width, written with GCC/Clang vector extensions and compiled
 * per ISA through target attributes. Integer xor stands in for the op: it costs nothing, and
 * keeps the compiler from dropping or merging the loads. `steps` counts vectors of the output
 * (or of the input, for `read`). Buffers are 64-byte aligned and sized in whole steps. `nt`:
 * the output is written with non-temporal stores (COPY, NARROW, WIDEN, BINARY; the caller
 * fences). */
#define GKB_STREAM_KERNELS(suffix, attr, bytes)                                                 \
    typedef int32_t gkb_vec_##suffix __attribute__((vector_size(bytes)));                       \
    attr static inline __attribute__((always_inline)) void gkb_nt_##suffix(                     \
        int pattern, char *const *in, char *out, size_t steps)                                  \
    {                                                                                           \
        typedef gkb_vec_##suffix vec;                                                           \
        const vec *a = (const vec *)(void *)in[0], *b = (const vec *)(void *)in[1];             \
        vec *y = (vec *)(void *)out;                                                            \
        switch (pattern) {                                                                      \
        case GKB_COPY:                                                                          \
            for (size_t i = 0; i < steps; i++)                                                  \
                GKB_NT_STORE_##suffix(&y[i], a[i]);                                             \
            break;                                                                              \
        case GKB_NARROW:                                                                        \
            for (size_t i = 0; i < steps; i++)                                                  \
                GKB_NT_STORE_##suffix(&y[i], a[2 * i] ^ a[2 * i + 1]);                          \
            break;                                                                              \
        case GKB_WIDEN:                                                                         \
            for (size_t i = 0; i < steps; i++) {                                                \
                GKB_NT_STORE_##suffix(&y[2 * i], a[i]);                                         \
                GKB_NT_STORE_##suffix(&y[2 * i + 1], ~a[i]);                                    \
            }                                                                                   \
            break;                                                                              \
        default: /* GKB_BINARY */                                                               \
            for (size_t i = 0; i < steps; i++)                                                  \
                GKB_NT_STORE_##suffix(&y[i], a[i] ^ b[i]);                                      \
            break;                                                                              \
        }                                                                                       \
    }                                                                                           \
    attr static inline __attribute__((always_inline))                                           \
    int32_t gkb_stream_##suffix(int pattern, bool nt, char *const *in, char *out, size_t steps) \
    {                                                                                           \
        typedef gkb_vec_##suffix vec;                                                           \
        if (nt) {                                                                               \
            gkb_nt_##suffix(pattern, in, out, steps);                                           \
            return 0;                                                                           \
        }                                                                                       \
        const vec *a = (const vec *)(void *)in[0], *b = (const vec *)(void *)in[1];             \
        vec *y = (vec *)(void *)out;                                                            \
        vec acc0 = {0}, acc1 = {0}, acc2 = {0}, acc3 = {0};                                     \
        switch (pattern) {                                                                      \
        case GKB_READ: /* four chains, so the loads, not the xor latency, set the pace */       \
            for (size_t i = 0; i < steps; i += 4) {                                             \
                acc0 ^= a[i];                                                                   \
                acc1 ^= a[i + 1];                                                               \
                acc2 ^= a[i + 2];                                                               \
                acc3 ^= a[i + 3];                                                               \
            }                                                                                   \
            break;                                                                              \
        case GKB_COPY:                                                                          \
            for (size_t i = 0; i < steps; i++)                                                  \
                y[i] = a[i];                                                                    \
            break;                                                                              \
        case GKB_NARROW:                                                                        \
            for (size_t i = 0; i < steps; i++)                                                  \
                y[i] = a[2 * i] ^ a[2 * i + 1];                                                 \
            break;                                                                              \
        case GKB_WIDEN:                                                                         \
            for (size_t i = 0; i < steps; i++) {                                                \
                y[2 * i] = a[i];                                                                \
                y[2 * i + 1] = ~a[i];                                                           \
            }                                                                                   \
            break;                                                                              \
        case GKB_UPDATE: /* bytes counted as read + written */                                  \
            for (size_t i = 0; i < steps; i++)                                                  \
                ((vec *)(void *)in[0])[i] = a[i] ^ (int32_t)steps;                              \
            break;                                                                              \
        default:                                                                                \
            for (size_t i = 0; i < steps; i++)                                                  \
                y[i] = a[i] ^ b[i];                                                             \
            break;                                                                              \
        }                                                                                       \
        acc0 ^= acc1 ^ acc2 ^ acc3;                                                             \
        int32_t r = 0;                                                                          \
        for (size_t l = 0; l < (bytes) / 4; l++)                                                \
            r ^= acc0[l];                                                                       \
        return r;                                                                               \
    }                                                                                           \
    /* one pass, sequential (chunk_steps 0) or over GKB_INTERLEAVE quarters a chunk at a time,  \
     * the chunk loop inlined so that calls do not set the pace */                              \
    attr static int32_t gkb_pass_##suffix(const struct gkb_pass_args *p)                        \
    {                                                                                           \
        if (!p->chunk_steps)                                                                    \
            return gkb_stream_##suffix(p->pattern, p->nt, p->in, p->out, p->steps);             \
        int32_t acc = 0;                                                                        \
        const size_t quarter = p->steps / GKB_INTERLEAVE;                                       \
        for (size_t at = 0; at < quarter; at += p->chunk_steps)                                 \
            for (size_t q = 0; q < GKB_INTERLEAVE; q++) {                                       \
                const size_t step = q * quarter + at;                                           \
                char *const from[2] = {p->in[0] + step * p->in_step_bytes,                      \
                                       p->in[1] + step * p->in_step_bytes};                     \
                acc ^= gkb_stream_##suffix(p->pattern, p->nt, from,                             \
                                           p->out + step * p->out_step_bytes, p->chunk_steps);  \
            }                                                                                   \
        return acc;                                                                             \
    }

GKB_STREAM_KERNELS(v16, , 16)
#if defined(__x86_64__)
GKB_STREAM_KERNELS(v32, GKB_AVX2, 32)
GKB_STREAM_KERNELS(v64, GKB_AVX512, 64)
#endif

struct gkb_bw_job {
    struct gkb_pass_args shape; /* every thread's pass but its arrays (in, out: NULL here) */
    char *in[64][2], *out[64];  /* per thread */
    size_t passes;              /* repeat small buffers so one sample lasts long enough */
    int32_t (*pass)(const struct gkb_pass_args *p);
    volatile int32_t sink[64];
};

static void gkb_bw_run(void *ctx, int thread_idx)
{
    struct gkb_bw_job *job = ctx;
    struct gkb_pass_args args = job->shape;
    args.in = job->in[thread_idx];
    args.out = job->out[thread_idx];
    int32_t acc = 0;
    for (size_t pass = 0; pass < job->passes; pass++)
        acc ^= job->pass(&args);
    if (args.nt) GKB_NT_FENCE();
    job->sink[thread_idx] = acc;
}

/* The widest vectors the CPU has, and their size in bytes. */
static size_t gkb_pick_stream_kernel(struct gkb_bw_job *job)
{
    job->pass = gkb_pass_v16;
#if defined(__x86_64__)
    if (gk_cpu_has_feature("avx512f")) {
        job->pass = gkb_pass_v64;
        return 64;
    }
    if (gk_cpu_has_feature("avx2")) {
        job->pass = gkb_pass_v32;
        return 32;
    }
#endif
    return 16;
}

/* Bandwidth (bytes read + written per second, in GB/s) of `pattern` with `threads` threads, each
 * with a working set of `set_bytes` split over its streams, reached `how` (GKB_HOW_*). */
static double gkb_measure_pattern(
    int pattern, unsigned how, size_t set_bytes, int threads, bool dram, bool smoke, int reps)
{
    const struct gkb_pattern *p = &gkb_patterns[pattern];
    struct gkb_bw_job job;
    memset(&job, 0, sizeof job);
    job.shape.pattern = pattern;
    job.shape.nt = how & GKB_HOW_NT;
    const size_t vec = gkb_pick_stream_kernel(&job);
    /* bytes per step: each input stream reads `reads` vectors, the output gets `writes` */
    const size_t step_bytes = vec * (p->reads * (size_t)p->in_streams + p->writes);
    /* update writes back what it read: twice the bytes of its one stream are moved */
    const size_t moved_step_bytes = pattern == GKB_UPDATE ? 2 * step_bytes : step_bytes;
    job.shape.in_step_bytes = vec * p->reads;
    job.shape.out_step_bytes = vec * p->writes;
    /* interleaved: 512 bytes of output (of the input, for `read`) per call, the steps a whole
     * number of chunks in each quarter; else a multiple of 4, for the unrolled read */
    job.shape.chunk_steps = how & GKB_HOW_INTERLEAVED ? 512 / vec : 0;
    const size_t whole = job.shape.chunk_steps ? GKB_INTERLEAVE * job.shape.chunk_steps : 4;
    job.shape.steps = set_bytes / step_bytes / whole * whole;
    if (job.shape.steps < whole) job.shape.steps = whole;
    const size_t in_bytes = job.shape.steps * job.shape.in_step_bytes,
                 out_bytes = job.shape.steps * job.shape.out_step_bytes;
    const double moved_per_pass = (double)job.shape.steps * (double)moved_step_bytes;
    job.passes = dram || smoke ? 1 : (size_t)((64u << 20) / moved_per_pass) + 1;
    for (int t = 0; t < threads; t++) {
        for (int s = 0; s < 2; s++) {
            job.in[t][s] = gk_aligned_alloc(in_bytes, 64);
            memset(job.in[t][s], 1 + s, in_bytes);
        }
        job.out[t] = gk_aligned_alloc(out_bytes ? out_bytes : 64, 64);
        memset(job.out[t], 0, out_bytes ? out_bytes : 64);
    }
    /* DRAM bandwidth on a shared host swings between samples: take the best of more of them */
    const double ns =
        gkb_parallel_min_time_ns(gkb_bw_run, &job, threads, 1, dram && !smoke ? 2 * reps : reps);
    for (int t = 0; t < threads; t++) {
        gk_aligned_free(job.in[t][0]);
        gk_aligned_free(job.in[t][1]);
        gk_aligned_free(job.out[t]);
    }
    return moved_per_pass * (double)job.passes * threads / ns;
}

/* The best of the ways to run `pattern`: plain; at DRAM sizes also interleaved, and for the
 * patterns with a separate output with non-temporal stores, sequential and interleaved. *how
 * tells which won (GKB_HOW_*). */
static double gkb_measure_best(
    int pattern, size_t set_bytes, int threads, bool dram, bool smoke, int reps, unsigned char *how)
{
    double best = gkb_measure_pattern(pattern, 0, set_bytes, threads, dram, smoke, reps);
    *how = 0;
    if (!dram) return best;
    const bool separate_output = pattern != GKB_READ && pattern != GKB_UPDATE;
    for (unsigned h = 1; h <= (GKB_HOW_NT | GKB_HOW_INTERLEAVED); h++) {
        if ((h & GKB_HOW_NT) && !separate_output) continue;
        const double gbs = gkb_measure_pattern(pattern, h, set_bytes, threads, dram, smoke, reps);
        if (gbs > best) {
            best = gbs;
            *how = (unsigned char)h;
        }
    }
    return best;
}

/* "-nt", "-4s" or "-nt-4s" for a limit reached `how`. */
static const char *gkb_how_suffix(unsigned how)
{
    static const char *const suffix[4] = {"", "-nt", "-4s", "-nt-4s"};
    return suffix[how & 3];
}

static size_t gkb_clamp(size_t v, size_t lo, size_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Working set per thread for each level: half of L1d and of L2 (room for everything else); for
 * L3 a size well beyond L2 but inside the L3 a core really gets (CPUID's L3 figure can be the
 * host's, so it is capped at 8 MiB); for DRAM 512 MiB in all, far beyond any cache. */
static void gkb_level_sizes(struct gkb_limits *lim, bool smoke)
{
    const size_t l1 = gk_cpu_cache_bytes(1) ? gk_cpu_cache_bytes(1) : 32 << 10;
    const size_t l2 = gk_cpu_cache_bytes(2) ? gk_cpu_cache_bytes(2) : 512 << 10;
    const size_t l3 = gk_cpu_cache_bytes(3) ? gk_cpu_cache_bytes(3) : 8 << 20;
    lim->level_bytes[GKB_L1] = gkb_clamp(l1 / 2, 4 << 10, 64 << 10);
    lim->level_bytes[GKB_L2] = gkb_clamp(l2 / 2, 64 << 10, 2 << 20);
    lim->level_bytes[GKB_L3] = gkb_clamp(l3 / 4, 4 * l2, 8 << 20);
    lim->level_bytes[GKB_DRAM] = smoke ? 8u << 20 : 512u << 20;
}

enum gkb_level gkb_level_for(const struct gkb_limits *lim, size_t bytes)
{
    for (int level = GKB_L1; level < GKB_DRAM; level++)
        if (bytes <= lim->level_bytes[level]) return (enum gkb_level)level;
    return GKB_DRAM;
}

int gkb_config_index(const struct gkb_limits *lim, int n_threads)
{
    for (int c = 0; c < lim->n_configs; c++)
        if (lim->threads[c] == n_threads) return c;
    return -1;
}

void gkb_measure_limits(struct gkb_limits *out, const int *threads, int n_configs, bool smoke)
{
    memset(out, 0, sizeof *out);
    out->n_configs = n_configs < GKB_MAX_THREAD_CONFIGS ? n_configs : GKB_MAX_THREAD_CONFIGS;
    memcpy(out->threads, threads, (size_t)out->n_configs * sizeof *threads);
    gkb_level_sizes(out, smoke);
    const int reps = smoke ? 1 : 7;

    for (size_t f = 0; f < sizeof gkb_fma_kinds / sizeof gkb_fma_kinds[0]; f++) {
        const struct gkb_fma_kind *kind = &gkb_fma_kinds[f];
        if (kind->needs && !gk_cpu_has_feature(kind->needs)) continue;
        const int slot = out->n_fma++;
        out->fma_name[slot] = kind->name;
        for (int c = 0; c < out->n_configs; c++) {
            gkb_progress("limits: %s, %d thread(s)", kind->name, out->threads[c]);
            struct gkb_fma_job job = {kind, smoke ? 1024 : 1 << 20, 0.0f};
            const double ns = gkb_parallel_min_time_ns(gkb_fma_run, &job, out->threads[c], 1, reps);
            out->fma_gflops[c][slot] =
                kind->flops_per_iter * (double)job.iters * out->threads[c] / ns;
        }
    }

    for (int c = 0; c < out->n_configs; c++) {
        const int t = out->threads[c];
        for (int level = 0; level < GKB_LEVEL_COUNT; level++) {
            gkb_progress("limits: %s bandwidth, %d thread(s)", gkb_level_name(level), t);
            const bool dram = level == GKB_DRAM;
            const size_t set = dram ? out->level_bytes[level] / (size_t)t : out->level_bytes[level];
            for (int p = 0; p < GKB_PATTERN_COUNT; p++)
                out->bw_gbs[c][p][level] =
                    gkb_measure_best(p, set, t, dram, smoke, reps, &out->bw_how[c][p][level]);
        }
    }
}

/* Limits measured for a suite row are kept, so rows of the same shape share one measurement. */
enum { GKB_MAX_CACHED_LIMITS = 256 };

static struct {
    int pattern, threads;
    size_t set_bytes;
    double gbs;
    char name[32];
} gkb_cached_limits[GKB_MAX_CACHED_LIMITS];

static int gkb_n_cached_limits;

double gkb_bandwidth_limit(const struct gkb_limits *lim,
                           enum gkb_pattern_id pattern,
                           size_t set_bytes_per_thread,
                           int threads,
                           const char **what)
{
    for (int i = 0; i < gkb_n_cached_limits; i++) {
        if (gkb_cached_limits[i].pattern == (int)pattern &&
            gkb_cached_limits[i].threads == threads &&
            gkb_cached_limits[i].set_bytes == set_bytes_per_thread) {
            *what = gkb_cached_limits[i].name;
            return gkb_cached_limits[i].gbs;
        }
    }
    if (gkb_n_cached_limits == GKB_MAX_CACHED_LIMITS) return -1;
    const enum gkb_level level = gkb_level_for(lim, set_bytes_per_thread);
    const bool smoke = lim->level_bytes[GKB_DRAM] < (64u << 20);
    unsigned char how = 0;
    const double gbs = gkb_measure_best((int)pattern, set_bytes_per_thread, threads,
                                        level == GKB_DRAM, smoke, smoke ? 1 : 7, &how);
    const int i = gkb_n_cached_limits++;
    gkb_cached_limits[i].pattern = (int)pattern;
    gkb_cached_limits[i].threads = threads;
    gkb_cached_limits[i].set_bytes = set_bytes_per_thread;
    gkb_cached_limits[i].gbs = gbs;
    snprintf(gkb_cached_limits[i].name, sizeof gkb_cached_limits[i].name, "%s%s %s",
             gkb_patterns[pattern].name, gkb_how_suffix(how), gkb_level_name(level));
    *what = gkb_cached_limits[i].name;
    return gbs;
}

/* The `limits` suite prints what was measured, as rows like any other. */
void gkb_suite_limits(const struct gkb_context *ctx)
{
    const struct gkb_limits *lim = ctx->limits;
    for (int c = 0; c < lim->n_configs; c++) {
        for (int f = 0; f < lim->n_fma; f++) {
            struct gkb_row row = {.op = "peak",
                                  .dtype = "f32",
                                  .threads = lim->threads[c],
                                  .rate = lim->fma_gflops[c][f],
                                  .unit = "GFLOP/s",
                                  .pct_limit = -1,
                                  .peer_ratio = -1};
            snprintf(row.shape, sizeof row.shape, "%s", lim->fma_name[f]);
            gkb_report(&row);
        }
        for (int level = 0; level < GKB_LEVEL_COUNT; level++) {
            for (int p = 0; p < GKB_PATTERN_COUNT; p++) {
                struct gkb_row row = {.op = gkb_patterns[p].name,
                                      .dtype = "-",
                                      .threads = lim->threads[c],
                                      .unit = "GB/s",
                                      .rate = lim->bw_gbs[c][p][level],
                                      .pct_limit = -1,
                                      .peer_ratio = -1};
                snprintf(
                    row.shape, sizeof row.shape, "%s %zu KiB/thread%s%s", gkb_level_name(level),
                    (level == GKB_DRAM ? lim->level_bytes[level] / (size_t)lim->threads[c]
                                       : lim->level_bytes[level]) >>
                        10,
                    lim->bw_how[c][p][level] ? " " : "",
                    lim->bw_how[c][p][level] ? gkb_how_suffix(lim->bw_how[c][p][level]) + 1 : "");
                gkb_report(&row);
            }
        }
    }
}
