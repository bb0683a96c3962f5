/* SPDX-License-Identifier: MIT */
/* OpenBLAS, BLIS (both through their CBLAS interface) and oneDNN (dnnl_sgemm) for suite_gemm.c,
 * loaded with dlopen(RTLD_LOCAL). Constants are those of the CBLAS standard (CblasRowMajor = 101,
 * CblasNoTrans = 111, CblasTrans = 112) and of oneDNN's C API (dnnl_sgemm takes row-major
 * matrices and 'N'/'T' flags, dnnl_dim_t is int64_t). */
#define _GNU_SOURCE

#include "peers/gemm_peers.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>

enum { GKB_CBLAS_ROW_MAJOR = 101, GKB_CBLAS_NO_TRANS = 111, GKB_CBLAS_TRANS = 112 };

typedef void (*gkb_cblas_sgemm_fn)(int order,
                                   int trans_a,
                                   int trans_b,
                                   int m,
                                   int n,
                                   int k,
                                   float alpha,
                                   const float *a,
                                   int lda,
                                   const float *b,
                                   int ldb,
                                   float beta,
                                   float *c,
                                   int ldc);
typedef int (*gkb_dnnl_sgemm_fn)(char trans_a,
                                 char trans_b,
                                 int64_t m,
                                 int64_t n,
                                 int64_t k,
                                 float alpha,
                                 const float *a,
                                 int64_t lda,
                                 const float *b,
                                 int64_t ldb,
                                 float beta,
                                 float *c,
                                 int64_t ldc);

static void gkb_cblas_sgemm(const struct gkb_gemm_peer *peer,
                            bool trans_b,
                            size_t m,
                            size_t n,
                            size_t k,
                            const float *a,
                            const float *b,
                            float *c)
{
    gkb_cblas_sgemm_fn fn = (gkb_cblas_sgemm_fn)peer->fn;
    fn(GKB_CBLAS_ROW_MAJOR, GKB_CBLAS_NO_TRANS, trans_b ? GKB_CBLAS_TRANS : GKB_CBLAS_NO_TRANS,
       (int)m, (int)n, (int)k, 1.0f, a, (int)k, b, trans_b ? (int)k : (int)n, 0.0f, c, (int)n);
}

static void gkb_dnnl_sgemm(const struct gkb_gemm_peer *peer,
                           bool trans_b,
                           size_t m,
                           size_t n,
                           size_t k,
                           const float *a,
                           const float *b,
                           float *c)
{
    gkb_dnnl_sgemm_fn fn = (gkb_dnnl_sgemm_fn)peer->fn;
    fn('N', trans_b ? 'T' : 'N', (int64_t)m, (int64_t)n, (int64_t)k, 1.0f, a, (int64_t)k, b,
       trans_b ? (int64_t)k : (int64_t)n, 0.0f, c, (int64_t)n);
}

static void gkb_set_threads_int(const struct gkb_gemm_peer *peer, int n_threads)
{
    if (peer->threads_fn) ((void (*)(int))peer->threads_fn)(n_threads);
}

static void gkb_set_threads_i64(const struct gkb_gemm_peer *peer, int n_threads)
{
    if (peer->threads_fn) ((void (*)(int64_t))peer->threads_fn)(n_threads);
}

struct gkb_peer_spec {
    const char *name, *soname, *gemm_symbol, *threads_symbol;
    void (*sgemm)(const struct gkb_gemm_peer *,
                  bool,
                  size_t,
                  size_t,
                  size_t,
                  const float *,
                  const float *,
                  float *);
    void (*set_threads)(const struct gkb_gemm_peer *, int);
};

static const struct gkb_peer_spec gkb_peer_specs[] = {
    {"openblas", "libopenblas.so.0", "cblas_sgemm", "openblas_set_num_threads", gkb_cblas_sgemm,
     gkb_set_threads_int},
    {"blis", "libblis.so.4", "cblas_sgemm", "bli_thread_set_num_threads", gkb_cblas_sgemm,
     gkb_set_threads_i64},
    /* oneDNN runs on OpenMP: omp_set_num_threads of its libgomp (found through its handle). */
    {"onednn", "libdnnl.so.2", "dnnl_sgemm", "omp_set_num_threads", gkb_dnnl_sgemm,
     gkb_set_threads_int},
};

enum { GKB_N_PEER_SPECS = sizeof gkb_peer_specs / sizeof gkb_peer_specs[0] };

/* Sanitized builds do not load the peers: their worker threads, still alive at exit, make
 * LeakSanitizer's exit-time scan crash, and a sanitized run measures nothing anyway. */
#if defined(__SANITIZE_ADDRESS__)
#    define GKB_LOAD_PEERS 0
#elif defined(__has_feature)
#    if __has_feature(address_sanitizer)
#        define GKB_LOAD_PEERS 0
#    endif
#endif
#ifndef GKB_LOAD_PEERS
#    define GKB_LOAD_PEERS 1
#endif

static struct gkb_gemm_peer gkb_loaded[GKB_N_PEER_SPECS];
static int gkb_n_loaded = -1;

int gkb_gemm_peers(const struct gkb_gemm_peer **peers)
{
    if (gkb_n_loaded < 0) {
        gkb_n_loaded = 0;
        if (!GKB_LOAD_PEERS) {
            *peers = gkb_loaded;
            return 0;
        }
        /* OpenBLAS 0.3.21 picks its kernels from OPENBLAS_CORETYPE when set; on this class of
         * machine (Zen 3, AVX2 + FMA, no AVX-512) its Haswell kernels are the right ones, which is
         * also what it detects. A value set by the user wins. */
        setenv("OPENBLAS_CORETYPE", "Haswell", 0);
        for (int i = 0; i < GKB_N_PEER_SPECS; i++) {
            const struct gkb_peer_spec *s = &gkb_peer_specs[i];
            void *h = dlopen(s->soname, RTLD_NOW | RTLD_LOCAL);
            if (!h) continue;
            void *fn = dlsym(h, s->gemm_symbol);
            if (!fn) {
                dlclose(h);
                continue;
            }
            struct gkb_gemm_peer *p = &gkb_loaded[gkb_n_loaded++];
            p->name = s->name;
            p->sgemm = s->sgemm;
            p->set_threads = s->set_threads;
            p->handle = h;
            p->fn = fn;
            p->threads_fn = dlsym(h, s->threads_symbol);
        }
    }
    *peers = gkb_loaded;
    return gkb_n_loaded;
}
