/* SPDX-License-Identifier: MIT */
/* Core services: status strings and error details, aligned memory, CPU detection, ISA selection
 * and the dispatch tables of every tier, and the thread pool (each part exactly once, concurrent
 * user threads, nested calls, resizing, fork). */
#define _GNU_SOURCE

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__aarch64__)
#    include <sys/auxv.h>
#endif

#include "common/gk_test.h"
#include "core/checked.h"
#include "core/cpu.h"
#include "core/kernels.h"
#include "core/pool.h"

static void test_status_and_version(void)
{
    const gk_status all[] = {GK_OK,           GK_EINVAL,    GK_ENOMEM,   GK_EOVERFLOW, GK_EALIAS,
                             GK_EUNSUPPORTED, GK_EANALYSIS, GK_ECOMPILE, GK_EINTERNAL};
    const size_t n = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n; i++) {
        GK_EXPECT(gk_status_str(all[i]) != NULL, "status %d has no string", (int)all[i]);
        for (size_t j = 0; j < i; j++)
            GK_EXPECT(strcmp(gk_status_str(all[i]), gk_status_str(all[j])) != 0,
                      "statuses %d and %d share a string", (int)all[i], (int)all[j]);
    }
    GK_EXPECT(strstr(gk_status_str(GK_EALIAS), "GK_EALIAS") != NULL, "%s",
              gk_status_str(GK_EALIAS));
    GK_EXPECT(strstr(gk_status_str((gk_status)1234), "unknown") != NULL, "unknown status");
    /* values are part of the ABI */
    GK_EXPECT(GK_OK == 0 && GK_EINVAL == 1 && GK_EINTERNAL == 8, "status values renumbered");
    GK_EXPECT(strcmp(gk_version(), GK_VERSION_STRING) == 0, "version %s", gk_version());
}

static void test_aligned_alloc(void)
{
    const size_t alignments[] = {0, 8, 16, 64, 4096};
    for (size_t i = 0; i < sizeof alignments / sizeof alignments[0]; i++) {
        unsigned char *p = gk_aligned_alloc(1000, alignments[i]);
        const size_t want = alignments[i] ? alignments[i] : 64;
        GK_EXPECT(p != NULL, "alloc with alignment %zu failed", alignments[i]);
        if (!p) continue;
        GK_EXPECT((uintptr_t)p % want == 0, "%p not aligned to %zu", (void *)p, want);
        memset(p, 1, 1000);
        gk_aligned_free(p);
    }
    GK_EXPECT(gk_aligned_alloc(0, 64) == NULL, "0 bytes must give NULL");
    GK_EXPECT(gk_aligned_alloc(64, 48) == NULL, "alignment 48 is not a power of two");
    GK_EXPECT(gk_aligned_alloc(64, 2) == NULL, "alignment below sizeof(void*)");
    GK_EXPECT(gk_aligned_alloc(SIZE_MAX - 16, 64) == NULL, "huge allocation must fail");
    gk_aligned_free(NULL);
}

/* The detected features agree with the kernel's view (/proc/cpuinfo flags) on x86. */
static void test_cpu_detection(void)
{
    GK_EXPECT(gk_cpu_feature_count() == GK_FEATURE_COUNT, "feature count");
    GK_EXPECT(gk_cpu_feature_name(gk_cpu_feature_count()) == NULL, "index past the end");
    GK_EXPECT(!gk_cpu_has_feature("no-such-feature") && !gk_cpu_has_feature(NULL), "bogus");
    GK_EXPECT(gk_cpu_model()[0] != '\0', "empty model");
    GK_EXPECT(gk_cpu_cache_bytes(0) == 0 && gk_cpu_cache_bytes(4) == 0, "bad cache level");
#if defined(__x86_64__)
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[8192];
    bool found = false;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) != 0) continue;
        found = true;
        for (size_t i = 0; i < gk_cpu_feature_count(); i++) {
            const char *name = gk_cpu_feature_name(i);
            char padded[64];
            snprintf(padded, sizeof padded, " %s ", name);
            line[strcspn(line, "\n")] = ' ';
            const bool listed = strstr(line, padded) != NULL;
            GK_EXPECT(listed == gk_cpu_has_feature(name),
                      "feature %s: /proc/cpuinfo says %d, gk says %d", name, listed,
                      gk_cpu_has_feature(name));
        }
        break;
    }
    if (f) fclose(f);
    GK_EXPECT(found, "no flags line in /proc/cpuinfo");
    /* Some hypervisors hide every cache leaf; what is reported must be plausible. */
    if (gk_cpu_cache_bytes(1) || gk_cpu_cache_bytes(2))
        GK_EXPECT(gk_cpu_cache_bytes(1) >= 16384 && gk_cpu_cache_bytes(2) >= gk_cpu_cache_bytes(1),
                  "implausible caches L1d %zu L2 %zu", gk_cpu_cache_bytes(1),
                  gk_cpu_cache_bytes(2));
    else
        printf("the CPU reports no cache sizes (cpuid leaves and sysfs are empty)\n");
#elif defined(__aarch64__)
    GK_EXPECT(gk_cpu_has_feature("asimd"), "every Linux aarch64 CPU has asimd");
#endif
}

static bool ends_with(const char *s, const char *suffix)
{
    const size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Every tier this CPU can run has a complete table whose generic slots are its own kernels. */
static void test_dispatch_tables(void)
{
    int ready = 0;
    for (int isa = 0; isa < GK_ISA_COUNT; isa++) {
        const struct gk_kernels *k = gk_kernels_for_isa((gk_isa)isa);
        const bool supported = gk_cpu_supports_isa(gk_cpu_get(), (gk_isa)isa);
        GK_EXPECT((k != NULL) == supported, "tier %s: table %p, supported %d",
                  gk_isa_to_name((gk_isa)isa), (const void *)k, supported);
        if (!k) continue;
        ready++;
        GK_EXPECT(gk_kernels_check(k), "tier %s fails its invariants", gk_isa_to_name(k->isa));
        GK_EXPECT(k->isa == (gk_isa)isa, "table isa");
        char suffix[32];
        snprintf(suffix, sizeof suffix, "_%s", gk_isa_to_name((gk_isa)isa));
        for (size_t op = 0; op < GK_OP_COUNT; op++)
            GK_EXPECT(ends_with(gk_kernels_slot_name(k, op), suffix), "tier %s slot %s = %s",
                      gk_isa_to_name((gk_isa)isa), gk_op_name(op), gk_kernels_slot_name(k, op));
    }
    GK_EXPECT(ready >= 1, "no tier at all");
    GK_EXPECT(gk_op_count() == GK_OP_COUNT && gk_op_name(GK_OP_COUNT) == NULL, "op listing");
    GK_EXPECT(gk_kernel_name("no_such_op") == NULL && gk_kernel_name(NULL) == NULL, "bad op");
}

static void test_isa_selection(void)
{
    char start[16];
    snprintf(start, sizeof start, "%s", gk_isa_name());
    GK_EXPECT_STATUS(gk_set_isa(NULL), GK_EINVAL);
    GK_EXPECT_STATUS(gk_set_isa("sse9"), GK_EINVAL);
    GK_EXPECT(strstr(gk_last_error_detail(), "gk_set_isa") != NULL, "detail %s",
              gk_last_error_detail());
#if defined(__x86_64__)
    GK_EXPECT_STATUS(gk_set_isa("neon"), GK_EUNSUPPORTED);
#else
    GK_EXPECT_STATUS(gk_set_isa("avx2"), GK_EUNSUPPORTED);
#endif
    GK_EXPECT(strcmp(gk_isa_name(), start) == 0, "a refused gk_set_isa changed the tier");
    static const char *const tiers[] = {"scalar", "avx2", "avx512", "neon"};
    for (size_t i = 0; i < 4; i++) {
        gk_isa isa;
        gk_isa_from_name(tiers[i], &isa);
        const gk_status want = gk_cpu_supports_isa(gk_cpu_get(), isa) ? GK_OK : GK_EUNSUPPORTED;
        GK_EXPECT_STATUS(gk_set_isa(tiers[i]), want);
        if (want == GK_OK) {
            GK_EXPECT(strcmp(gk_isa_name(), tiers[i]) == 0, "asked %s, got %s", tiers[i],
                      gk_isa_name());
            GK_EXPECT(ends_with(gk_kernel_name("cvt_f32_to_f16"), tiers[i]), "kernel %s",
                      gk_kernel_name("cvt_f32_to_f16"));
        }
    }
    GK_EXPECT_STATUS(gk_set_isa(start), GK_OK);
}

/* Run by ctest with GK_ISA set to each tier name and to a bogus value, before anything else
 * touches the tier: the start-up choice must be the best tier this CPU supports at or below the
 * cap (the best of all for a bogus value). */
static int check_isa_env(void)
{
    const char *env = getenv("GK_ISA");
    const char *chosen = gk_isa_name();
    gk_isa cap = GK_ISA_COUNT - 1;
    if (env) gk_isa_from_name(env, &cap); /* a bogus value leaves no cap */
#if defined(__aarch64__)
    const gk_isa family[] = {GK_ISA_SCALAR, GK_ISA_NEON};
    if (cap != GK_ISA_SCALAR) cap = GK_ISA_NEON;
#else
    const gk_isa family[] = {GK_ISA_SCALAR, GK_ISA_AVX2, GK_ISA_AVX512};
    if (cap == GK_ISA_NEON) cap = GK_ISA_AVX512;
#endif
    const char *want = "scalar";
    for (size_t i = 0; i < sizeof family / sizeof family[0]; i++)
        if (family[i] <= cap && gk_cpu_supports_isa(gk_cpu_get(), family[i]))
            want = gk_isa_to_name(family[i]);
    printf("GK_ISA=%s -> %s (want %s)\n", env ? env : "(unset)", chosen, want);
    return strcmp(chosen, want) == 0 ? 0 : 1;
}

/* Run with GK_CPU_DISABLE=asimddp,avx2,bogus,,avx512f (tests/CMakeLists.txt): the named features
 * are hidden, an unknown or empty name is ignored, a name hides only itself (not the features it
 * is a prefix of: avx and asimd stay as detected, checked against the compiler's own detection and
 * HWCAP), and the tier follows (x86-64 without AVX2 has only the scalar tier). */
static int check_cpu_disable(void)
{
    const char *env = getenv("GK_CPU_DISABLE");
    GK_EXPECT(env && strcmp(env, "asimddp,avx2,bogus,,avx512f") == 0, "GK_CPU_DISABLE is %s",
              env ? env : "(unset)");
    GK_EXPECT(!gk_cpu_has_feature("asimddp") && !gk_cpu_has_feature("avx2") &&
                  !gk_cpu_has_feature("avx512f"),
              "a disabled feature is still reported");
#if defined(__x86_64__)
    __builtin_cpu_init();
    GK_EXPECT(gk_cpu_has_feature("avx") == (__builtin_cpu_supports("avx") != 0),
              "avx was hidden or invented");
    GK_EXPECT(strcmp(gk_isa_name(), "scalar") == 0, "isa %s without avx2", gk_isa_name());
#elif defined(__aarch64__)
    GK_EXPECT(gk_cpu_has_feature("asimd") == ((getauxval(AT_HWCAP) & (1u << 1)) != 0),
              "asimd was hidden or invented");
    GK_EXPECT(strcmp(gk_isa_name(), "neon") == 0, "isa %s with asimd", gk_isa_name());
#endif
    return gk_test_finish("test_core --check-cpu-disable");
}

/* ---- thread pool ----------------------------------------------------------------------- */

enum { MAX_PARTS = 4096 };

struct count_job {
    _Atomic int hits[MAX_PARTS];
    _Atomic int calls;
};

static void count_parts(void *ctx, size_t first, size_t end)
{
    struct count_job *job = ctx;
    atomic_fetch_add(&job->calls, 1);
    for (size_t p = first; p < end; p++)
        atomic_fetch_add(&job->hits[p], 1);
}

static void run_and_check(size_t n_parts, const char *what)
{
    static struct count_job job;
    for (size_t p = 0; p < MAX_PARTS; p++)
        atomic_store(&job.hits[p], 0);
    atomic_store(&job.calls, 0);
    gk_pool_run(count_parts, &job, n_parts);
    for (size_t p = 0; p < n_parts; p++)
        GK_EXPECT(atomic_load(&job.hits[p]) == 1, "%s: part %zu of %zu ran %d times", what, p,
                  n_parts, atomic_load(&job.hits[p]));
    GK_EXPECT(atomic_load(&job.calls) <= gk_get_num_threads(), "%s: %d calls for %d threads", what,
              atomic_load(&job.calls), gk_get_num_threads());
}

struct nested_ctx {
    _Atomic int inner_parts;
};

static void inner_part(void *ctx, size_t first, size_t end)
{
    struct nested_ctx *c = ctx;
    atomic_fetch_add(&c->inner_parts, (int)(end - first));
}

static void outer_part(void *ctx, size_t first, size_t end)
{
    for (size_t p = first; p < end; p++)
        gk_pool_run(inner_part, ctx, 5);
}

static void *user_thread(void *arg)
{
    (void)arg;
    struct count_job *job = calloc(1, sizeof *job);
    for (int round = 0; round < 300; round++) {
        for (size_t p = 0; p < 16; p++)
            atomic_store(&job->hits[p], 0);
        gk_pool_run(count_parts, job, 16);
        for (size_t p = 0; p < 16; p++)
            if (atomic_load(&job->hits[p]) != 1) {
                free(job);
                return (void *)1;
            }
    }
    free(job);
    return NULL;
}

static void test_pool(void)
{
    GK_EXPECT(gk_get_num_threads() >= 1, "default threads %d", gk_get_num_threads());
    GK_EXPECT_STATUS(gk_set_num_threads(-1), GK_EINVAL);
    GK_EXPECT_STATUS(gk_set_num_threads(100000), GK_EINVAL);
    static const int counts[] = {1, 2, 3, 4, 7};
    static const size_t parts[] = {1, 2, 3, 5, 7, 64, 1000, MAX_PARTS};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        GK_EXPECT_STATUS(gk_set_num_threads(counts[c]), GK_OK);
        GK_EXPECT(gk_get_num_threads() == counts[c], "threads %d", gk_get_num_threads());
        for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++) {
            char what[64];
            snprintf(what, sizeof what, "threads=%d", counts[c]);
            for (int rep = 0; rep < 20; rep++)
                run_and_check(parts[p], what);
        }
        gk_pool_run(count_parts, NULL, 0); /* zero parts: returns at once, never calls */
        struct nested_ctx nested = {0};
        gk_pool_run(outer_part, &nested, 6);
        GK_EXPECT(atomic_load(&nested.inner_parts) == 30, "nested: %d inner parts",
                  atomic_load(&nested.inner_parts));
    }
    /* several user threads at once, each with its own jobs */
    GK_EXPECT_STATUS(gk_set_num_threads(2), GK_OK);
    pthread_t users[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&users[i], NULL, user_thread, NULL);
    for (int i = 0; i < 4; i++) {
        void *result = NULL;
        pthread_join(users[i], &result);
        GK_EXPECT(result == NULL, "user thread %d saw a part run twice or never", i);
    }
    /* idle workers go to sleep and wake up again */
    usleep(5000);
    run_and_check(100, "after sleeping");
    /* A forked child gets a working pool of its own. Not under qemu-user: qemu 7.2 itself aborts
     * (a TCG assertion) when a multi-threaded guest forks, so there is nothing of ours to see. */
    if (getenv("GK_TEST_EMULATED")) {
        printf("fork check not run: emulated (qemu-user cannot fork a threaded guest)\n");
        GK_EXPECT_STATUS(gk_set_num_threads(0), GK_OK);
        return;
    }
    fflush(NULL);
    const pid_t pid = fork();
    if (pid == 0) {
        static struct count_job job;
        gk_pool_run(count_parts, &job, 50);
        for (size_t p = 0; p < 50; p++)
            if (atomic_load(&job.hits[p]) != 1) _exit(3);
        _exit(0);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    GK_EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "pool in forked child: status %d",
              status);
    GK_EXPECT_STATUS(gk_set_num_threads(0), GK_OK);
}

/* gk_first_non_finite (the input check of the quantized products and gk_quantize): the index of
 * the first NaN or infinity, every position of arrays that end inside, on and past a 64-value
 * block; the largest finite values, subnormals and signed zeros are finite. */
static void test_first_non_finite(void)
{
    float x[300];
    const float finite[] = {FLT_MAX, -FLT_MAX, 1e-45f, -1e-45f, 0.0f, -0.0f, 1.0f};
    for (size_t i = 0; i < 300; i++)
        x[i] = finite[i % (sizeof finite / sizeof finite[0])];
    const size_t sizes[] = {0, 1, 63, 64, 65, 128, 191, 300};
    const float specials[] = {NAN, -NAN, INFINITY, -INFINITY};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        const size_t n = sizes[si];
        GK_EXPECT(gk_first_non_finite(x, n) == n, "n = %zu: a finite array reported", n);
        for (size_t at = 0; at < n; at++) {
            const float saved = x[at], special = specials[at % 4];
            x[at] = special;
            size_t got = gk_first_non_finite(x, n);
            GK_EXPECT(got == at, "n = %zu: %g at %zu reported at %zu", n, (double)special, at, got);
            if (at + 1 < n) { /* a second one later does not move the answer */
                const float next = x[n - 1];
                x[n - 1] = NAN;
                got = gk_first_non_finite(x, n);
                GK_EXPECT(got == at, "n = %zu: first at %zu reported at %zu", n, at, got);
                x[n - 1] = next;
            }
            x[at] = saved;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--check-isa-env") == 0) return check_isa_env();
    if (argc > 1 && strcmp(argv[1], "--check-cpu-disable") == 0) return check_cpu_disable();
    gk_test_require_isa();
    test_status_and_version();
    test_aligned_alloc();
    test_cpu_detection();
    test_dispatch_tables();
    test_isa_selection();
    test_pool();
    test_first_non_finite();
    return gk_test_finish("test_core");
}
