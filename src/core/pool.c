/* SPDX-License-Identifier: MIT */
/* The persistent thread pool: workers spin briefly on a job generation counter, then sleep on a
 * condition variable; the caller publishes a job, runs its own share and spins until all workers
 * report done. One job at a time; a second concurrent caller runs its job alone. */
#define _GNU_SOURCE

#include "core/pool.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/cpu.h"
#include "core/error.h"
#include "gllmk/runtime.h"

enum {
    GK_MAX_THREADS = 1024,
    /* How long an idle worker keeps spinning before it sleeps. Long enough to cover the gap
     * between consecutive calls of a layer (so fork-join stays in the microseconds), short
     * enough that an idle process does not burn a core. */
    GK_POOL_SPIN_NS = 200 * 1000,
};

static struct {
    pthread_mutex_t run_lock; /* owned by the thread running a job or resizing the pool */
    pthread_mutex_t sleep_lock;
    pthread_cond_t wake;
    int n_threads; /* configured thread count, caller included; 0 until first use */
    int n_workers; /* workers running now (the caller is not one) */
    pthread_t workers[GK_MAX_THREADS];
    uint64_t start_generation[GK_MAX_THREADS]; /* generation when each worker was created */
    /* the published job; workers read it only between seeing a new generation and reporting done */
    gk_pool_fn fn;
    void *ctx;
    size_t n_parts;
    int job_threads;
    _Atomic uint64_t generation;
    _Atomic int n_busy;
    _Atomic int n_sleeping;
    _Atomic bool stop;
} gk_pool = {
    .run_lock = PTHREAD_MUTEX_INITIALIZER,
    .sleep_lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
};

static pthread_once_t gk_pool_once = PTHREAD_ONCE_INIT;

static inline void gk_cpu_relax(void)
{
#if defined(__x86_64__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static uint64_t gk_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Static partition: thread t of T runs parts [t*n/T, (t+1)*n/T). */
static void gk_run_share(int thread_idx)
{
    if (thread_idx >= gk_pool.job_threads) return;
    const size_t n = gk_pool.n_parts, t = (size_t)thread_idx, threads = (size_t)gk_pool.job_threads;
    const size_t first = n * t / threads, end = n * (t + 1) / threads;
    if (first < end) gk_pool.fn(gk_pool.ctx, first, end);
}

/* Waits until the generation differs from `seen` or the pool stops; spins first, then sleeps. */
static uint64_t gk_worker_wait(uint64_t seen)
{
    const uint64_t deadline = gk_now_ns() + GK_POOL_SPIN_NS;
    for (unsigned spin = 1;; spin++) {
        const uint64_t gen = atomic_load(&gk_pool.generation);
        if (gen != seen || atomic_load(&gk_pool.stop)) return gen;
        gk_cpu_relax();
        if ((spin & 255u) == 0 && gk_now_ns() > deadline) break;
    }
    /* The caller bumps the generation and then reads n_sleeping (both seq_cst); we bump
     * n_sleeping and then read the generation, so one of us sees the other. */
    pthread_mutex_lock(&gk_pool.sleep_lock);
    atomic_fetch_add(&gk_pool.n_sleeping, 1);
    uint64_t gen;
    while ((gen = atomic_load(&gk_pool.generation)) == seen && !atomic_load(&gk_pool.stop))
        pthread_cond_wait(&gk_pool.wake, &gk_pool.sleep_lock);
    atomic_fetch_sub(&gk_pool.n_sleeping, 1);
    pthread_mutex_unlock(&gk_pool.sleep_lock);
    return gen;
}

static void *gk_worker_main(void *arg)
{
    const int thread_idx = (int)(intptr_t)arg;
    /* Start from the generation at creation, not the current one, so a job published before
     * this thread first ran is not missed. */
    uint64_t seen = gk_pool.start_generation[thread_idx - 1];
    for (;;) {
        seen = gk_worker_wait(seen);
        if (atomic_load(&gk_pool.stop)) break;
        gk_run_share(thread_idx);
        atomic_fetch_sub_explicit(&gk_pool.n_busy, 1, memory_order_release);
    }
    return NULL;
}

static void gk_wake_sleepers(void)
{
    if (atomic_load(&gk_pool.n_sleeping) == 0) return;
    pthread_mutex_lock(&gk_pool.sleep_lock);
    pthread_cond_broadcast(&gk_pool.wake);
    pthread_mutex_unlock(&gk_pool.sleep_lock);
}

/* Call with run_lock held. */
static void gk_stop_workers(void)
{
    if (gk_pool.n_workers == 0) return;
    atomic_store(&gk_pool.stop, true);
    pthread_mutex_lock(&gk_pool.sleep_lock);
    pthread_cond_broadcast(&gk_pool.wake);
    pthread_mutex_unlock(&gk_pool.sleep_lock);
    for (int i = 0; i < gk_pool.n_workers; i++)
        pthread_join(gk_pool.workers[i], NULL);
    gk_pool.n_workers = 0;
    atomic_store(&gk_pool.stop, false);
}

/* Call with run_lock held. Starts workers up to n_threads - 1; false if any could not start
 * (those that did keep running and are used). Workers block every signal so that the user's
 * handlers run on the user's threads. */
static bool gk_start_workers(void)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    bool ok = true;
    while (gk_pool.n_workers < gk_pool.n_threads - 1) {
        const int idx = gk_pool.n_workers + 1; /* thread 0 is the caller */
        gk_pool.start_generation[gk_pool.n_workers] = atomic_load(&gk_pool.generation);
        if (pthread_create(&gk_pool.workers[gk_pool.n_workers], NULL, gk_worker_main,
                           (void *)(intptr_t)idx) != 0) {
            ok = false;
            break;
        }
        gk_pool.n_workers++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return ok;
}

/* fork() keeps only the forking thread: the child starts with no workers. */
static void gk_atfork_prepare(void)
{
    pthread_mutex_lock(&gk_pool.run_lock);
    pthread_mutex_lock(&gk_pool.sleep_lock);
}

static void gk_atfork_parent(void)
{
    pthread_mutex_unlock(&gk_pool.sleep_lock);
    pthread_mutex_unlock(&gk_pool.run_lock);
}

static void gk_atfork_child(void)
{
    gk_pool.n_workers = 0;
    atomic_store(&gk_pool.n_sleeping, 0);
    atomic_store(&gk_pool.n_busy, 0);
    pthread_cond_init(&gk_pool.wake, NULL);
    pthread_mutex_unlock(&gk_pool.sleep_lock);
    pthread_mutex_unlock(&gk_pool.run_lock);
}

static void gk_pool_init(void)
{
    gk_pool.n_threads = (int)gk_cpu_get()->n_cpus_affinity;
    if (gk_pool.n_threads > GK_MAX_THREADS) gk_pool.n_threads = GK_MAX_THREADS;
    pthread_atfork(gk_atfork_prepare, gk_atfork_parent, gk_atfork_child);
}

/* Joins the workers at exit() and when the shared library is unloaded. If a job is still running
 * on another thread, the workers are left alone (the process is going away). */
__attribute__((destructor)) static void gk_pool_shutdown(void)
{
    if (pthread_mutex_trylock(&gk_pool.run_lock) != 0) return;
    gk_stop_workers();
    pthread_mutex_unlock(&gk_pool.run_lock);
}

int gk_pool_threads(void)
{
    pthread_once(&gk_pool_once, gk_pool_init);
    return gk_pool.n_threads;
}

void gk_pool_run(gk_pool_fn fn, void *ctx, size_t n_parts)
{
    if (n_parts == 0) return;
    pthread_once(&gk_pool_once, gk_pool_init);
    if (n_parts == 1 || gk_pool.n_threads <= 1 || pthread_mutex_trylock(&gk_pool.run_lock) != 0) {
        fn(ctx, 0, n_parts);
        return;
    }
    if (gk_pool.n_workers < gk_pool.n_threads - 1) gk_start_workers();
    int threads = gk_pool.n_workers + 1;
    if ((size_t)threads > n_parts) threads = (int)n_parts;
    gk_pool.fn = fn;
    gk_pool.ctx = ctx;
    gk_pool.n_parts = n_parts;
    gk_pool.job_threads = threads;
    atomic_store(&gk_pool.n_busy, gk_pool.n_workers); /* every worker reports, even idle ones */
    atomic_fetch_add(&gk_pool.generation, 1);
    gk_wake_sleepers();
    gk_run_share(0);
    while (atomic_load_explicit(&gk_pool.n_busy, memory_order_acquire) != 0)
        gk_cpu_relax();
    pthread_mutex_unlock(&gk_pool.run_lock);
}

gk_status gk_set_num_threads(int n)
{
    GK_CHECK(n >= 0 && n <= GK_MAX_THREADS, GK_EINVAL, "gk_set_num_threads",
             "n %d is outside 0..%d", n, (int)GK_MAX_THREADS);
    pthread_once(&gk_pool_once, gk_pool_init);
    if (n == 0) {
        n = (int)gk_cpu_get()->n_cpus_affinity;
        if (n > GK_MAX_THREADS) n = GK_MAX_THREADS;
    }
    pthread_mutex_lock(&gk_pool.run_lock);
    const int old = gk_pool.n_threads;
    gk_stop_workers();
    gk_pool.n_threads = n;
    const bool started = gk_start_workers();
    if (!started) {
        gk_stop_workers();
        gk_pool.n_threads = old;
    }
    pthread_mutex_unlock(&gk_pool.run_lock);
    GK_CHECK(started, GK_ENOMEM, "gk_set_num_threads", "could not start %d threads", n - 1);
    return GK_OK;
}

int gk_get_num_threads(void)
{
    return gk_pool_threads();
}
