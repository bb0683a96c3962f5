/* SPDX-License-Identifier: MIT */
/* gk-bench internals: timing, the machine limits measured at start, and result rows. */
#ifndef GK_BENCH_H
#define GK_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- timing ------------------------------------------------------------------------------ */

uint64_t gkb_now_ns(void);

/* Runs fn(ctx) `warmup` times, then `reps` times, and returns the minimum time of one call in
 * nanoseconds. The minimum is the figure least disturbed by a shared, noisy machine. */
double gkb_min_time_ns(void (*fn)(void *ctx), void *ctx, int warmup, int reps);

/* The minimum time of one call of fn(ctxs[i]) for each of n candidates (the library and its peers
 * on the same case), measured in `rounds` rounds that visit every candidate in turn: one untimed
 * call (caches; a peer's threads still spinning from the previous candidate), then its share of
 * `reps` timed calls. A disturbance of the shared machine then falls on every candidate's rounds
 * alike rather than on whichever one it overlapped, which made single-run ratios swing by 10-40%
 * (one run measured the library 0.57x a peer on a shape where it is 1.0-1.1x). */
void gkb_min_time_rounds_ns(
    void (*fn)(void *ctx), void *const *ctxs, int n, int rounds, int reps, double *ns);

/* x[0, n) uniform in [lo, hi) from a fixed sequence for each seed: inputs whose values vary, so
 * that kernels with value-dependent paths run their common one. */
void gkb_fill_uniform(float *x, size_t n, float lo, float hi, uint64_t seed);

/* Runs fn(ctx, thread_idx) on n_threads threads at once (this one included), started together
 * behind a barrier; returns the minimum over reps of the slowest thread's time, in ns. */
double gkb_parallel_min_time_ns(
    void (*fn)(void *ctx, int thread_idx), void *ctx, int n_threads, int warmup, int reps);

/* ---- machine limits --------------------------------------------------------------------- */

enum gkb_level { GKB_L1, GKB_L2, GKB_L3, GKB_DRAM, GKB_LEVEL_COUNT };

#define GKB_MAX_THREAD_CONFIGS 4

enum gkb_pattern_id {
    GKB_READ,
    GKB_COPY,
    GKB_NARROW,
    GKB_WIDEN,
    GKB_BINARY,
    GKB_UPDATE,
    GKB_PATTERN_COUNT
};

struct gkb_pattern {
    const char *name;
    size_t in_streams; /* input arrays */
    size_t reads;      /* vectors read from each input per step */
    size_t writes;     /* vectors written per step */
};

extern const struct gkb_pattern gkb_patterns[GKB_PATTERN_COUNT];

/* How a DRAM bandwidth limit was reached: GKB_HOW_NT, non-temporal stores (patterns with a
 * separate output); GKB_HOW_INTERLEAVED, each thread's arrays read as GKB_INTERLEAVE parts, 512
 * bytes of each in turn (one core keeps more lines in flight over several streams than over one;
 * src/ops/entry.c does the same). */
enum { GKB_HOW_NT = 1, GKB_HOW_INTERLEAVED = 2, GKB_INTERLEAVE = 4 };

struct gkb_limits {
    int n_configs;                       /* thread counts measured */
    int threads[GKB_MAX_THREAD_CONFIGS]; /* e.g. {1, 2} */
    size_t level_bytes[GKB_LEVEL_COUNT]; /* working set per thread (DRAM: in all) per level */
    /* bytes read + bytes written per second, GB/s, per thread config, pattern and level */
    double bw_gbs[GKB_MAX_THREAD_CONFIGS][GKB_PATTERN_COUNT][GKB_LEVEL_COUNT];
    /* how that figure was reached at DRAM sizes (GKB_HOW_*): non-temporal stores, interleaved
     * streams */
    unsigned char bw_how[GKB_MAX_THREAD_CONFIGS][GKB_PATTERN_COUNT][GKB_LEVEL_COUNT];
    int n_fma;
    const char *fma_name[4]; /* "avx512 zmm fma", ... */
    double fma_gflops[GKB_MAX_THREAD_CONFIGS][4];
};

const char *gkb_level_name(enum gkb_level level);

/* Measures peak FMA throughput per ISA level the CPU has and read/copy bandwidth per cache
 * level, for each thread count of `threads`. `smoke` uses tiny sizes and one repetition. */
void gkb_measure_limits(struct gkb_limits *out, const int *threads, int n_configs, bool smoke);

/* The cache level a working set of `bytes` per thread lives in. */
enum gkb_level gkb_level_for(const struct gkb_limits *lim, size_t bytes);

/* Index of `n_threads` in lim->threads, or -1. */
int gkb_config_index(const struct gkb_limits *lim, int n_threads);

/* The machine's bandwidth for `pattern` on a working set of set_bytes_per_thread with `threads`
 * threads, measured now on exactly that size (cached per pattern, size and threads), so an op is
 * compared with the hardware doing the same traffic at the same moment. *what names it
 * ("narrow L2", by the level the size falls in). */
double gkb_bandwidth_limit(const struct gkb_limits *lim,
                           enum gkb_pattern_id pattern,
                           size_t set_bytes_per_thread,
                           int threads,
                           const char **what);

/* ---- results ------------------------------------------------------------------------------ */

struct gkb_row {
    const char *op;
    const char *dtype;
    char shape[48];
    int threads;
    double time_ns;
    double rate;       /* in `unit` */
    const char *unit;  /* "GB/s", "GFLOP/s", "us" */
    double pct_limit;  /* percent of the relevant machine limit, < 0 if none */
    const char *limit; /* what the limit is ("copy L2"), NULL if none */
    double peer_ratio; /* our rate / the peer's, < 0 if no peer */
    const char *peer;
};

/* Prints the row in the table and keeps it for the JSON file. */
void gkb_report(const struct gkb_row *row);

/* ---- suites --------------------------------------------------------------------------------- */

struct gkb_context {
    const struct gkb_limits *limits;
    const int *threads; /* thread counts to run */
    int n_configs;
    bool smoke;
    bool named; /* the suite was named on the command line (run its full set of cases) */
};

/* Times call(job) (one library call on n elements moving `bytes`) at every thread count of ctx
 * and reports a row per count, with % of the machine's bandwidth for `pattern`. */
void gkb_report_stream_case(const struct gkb_context *ctx,
                            const char *op,
                            const char *dtype,
                            size_t n,
                            size_t bytes,
                            enum gkb_pattern_id pattern,
                            void (*call)(void *job),
                            void *job);

void gkb_suite_limits(const struct gkb_context *ctx);
void gkb_suite_pool(const struct gkb_context *ctx);
void gkb_suite_cvt(const struct gkb_context *ctx);
void gkb_suite_ops(const struct gkb_context *ctx);
void gkb_suite_math(const struct gkb_context *ctx);
void gkb_suite_qgemv(const struct gkb_context *ctx);
void gkb_suite_qgemm(const struct gkb_context *ctx);
void gkb_suite_gemm(const struct gkb_context *ctx);
void gkb_suite_gemm_tune(const struct gkb_context *ctx);
void gkb_suite_quant(const struct gkb_context *ctx);
void gkb_suite_jit(const struct gkb_context *ctx);

/* Progress line on stderr (things that take more than a few seconds say what they are doing). */
void gkb_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* GK_BENCH_H */
