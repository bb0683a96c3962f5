/* SPDX-License-Identifier: MIT */
/* Timing for gk-bench: minimum over repetitions after warm-up, single- and multi-threaded. */
#define _GNU_SOURCE

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"

uint64_t gkb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double gkb_min_time_ns(void (*fn)(void *ctx), void *ctx, int warmup, int reps)
{
    for (int i = 0; i < warmup; i++)
        fn(ctx);
    double best = 1e300;
    for (int i = 0; i < reps; i++) {
        const uint64_t t0 = gkb_now_ns();
        fn(ctx);
        const double ns = (double)(gkb_now_ns() - t0);
        if (ns < best) best = ns;
    }
    return best > 0 ? best : 1;
}

void gkb_min_time_rounds_ns(
    void (*fn)(void *ctx), void *const *ctxs, int n, int rounds, int reps, double *ns)
{
    const int per_round = (reps + rounds - 1) / rounds;
    for (int i = 0; i < n; i++)
        ns[i] = 1e300;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < n; i++) {
            const double t = gkb_min_time_ns(fn, ctxs[i], 1, per_round);
            if (t < ns[i]) ns[i] = t;
        }
    }
}

enum { GKB_MAX_THREADS = 64 };

struct gkb_team {
    void (*fn)(void *ctx, int thread_idx);
    void *ctx;
    int n_threads, rounds;
    pthread_barrier_t barrier;
    double ns[GKB_MAX_THREADS];
};

struct gkb_member {
    struct gkb_team *team;
    int idx;
};

/* Every round: wait at the barrier, time fn, record. Round r's times are read by thread 0
 * between the second barrier of round r and the first of round r+1. */
static void gkb_team_rounds(struct gkb_team *team, int idx, double *slowest_per_round)
{
    for (int r = 0; r < team->rounds; r++) {
        pthread_barrier_wait(&team->barrier);
        const uint64_t t0 = gkb_now_ns();
        team->fn(team->ctx, idx);
        team->ns[idx] = (double)(gkb_now_ns() - t0);
        pthread_barrier_wait(&team->barrier);
        if (idx == 0) {
            double slowest = 0;
            for (int t = 0; t < team->n_threads; t++)
                if (team->ns[t] > slowest) slowest = team->ns[t];
            slowest_per_round[r] = slowest;
        }
    }
}

static void *gkb_member_main(void *arg)
{
    const struct gkb_member *m = arg;
    gkb_team_rounds(m->team, m->idx, NULL);
    return NULL;
}

double gkb_parallel_min_time_ns(
    void (*fn)(void *ctx, int thread_idx), void *ctx, int n_threads, int warmup, int reps)
{
    if (n_threads < 1) n_threads = 1;
    if (n_threads > GKB_MAX_THREADS) n_threads = GKB_MAX_THREADS;
    struct gkb_team team = {fn, ctx, n_threads, warmup + reps, .ns = {0}};
    pthread_barrier_init(&team.barrier, NULL, (unsigned)n_threads);
    pthread_t threads[GKB_MAX_THREADS];
    struct gkb_member members[GKB_MAX_THREADS];
    for (int t = 1; t < n_threads; t++) {
        members[t] = (struct gkb_member){&team, t};
        pthread_create(&threads[t], NULL, gkb_member_main, &members[t]);
    }
    double *slowest = calloc((size_t)team.rounds, sizeof *slowest);
    gkb_team_rounds(&team, 0, slowest);
    for (int t = 1; t < n_threads; t++)
        pthread_join(threads[t], NULL);
    pthread_barrier_destroy(&team.barrier);
    double best = 1e300;
    for (int r = warmup; r < team.rounds; r++)
        if (slowest[r] < best) best = slowest[r];
    free(slowest);
    return best > 0 ? best : 1;
}

void gkb_fill_uniform(float *x, size_t n, float lo, float hi, uint64_t seed)
{
    uint64_t state = seed * 0x9E3779B97F4A7C15u + 1;
    for (size_t i = 0; i < n; i++) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        x[i] = lo + (hi - lo) * ((float)(state >> 40) * 0x1p-24f);
    }
}

void gkb_progress(const char *fmt, ...)
{
    fputs("[gk-bench] ", stderr);
    va_list args;
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputc('\n', stderr);
}
