/* SPDX-License-Identifier: MIT */
/* The f32 GEMM peers of suite_gemm.c: OpenBLAS, BLIS and oneDNN, loaded at run time with dlopen
 * (each into its own namespace, so that OpenBLAS's and BLIS's BLAS symbols cannot collide, and so
 * that none of them is ever a link dependency of anything). A peer that is not installed is
 * skipped. */
#ifndef GKB_GEMM_PEERS_H
#define GKB_GEMM_PEERS_H

#include <stdbool.h>
#include <stddef.h>

struct gkb_gemm_peer {
    const char *name;
    /* C = A B, row-major, A m x k; B k x n, or n x k when trans_b; C m x n. */
    void (*sgemm)(const struct gkb_gemm_peer *peer,
                  bool trans_b,
                  size_t m,
                  size_t n,
                  size_t k,
                  const float *a,
                  const float *b,
                  float *c);
    void (*set_threads)(const struct gkb_gemm_peer *peer, int n_threads);
    void *handle; /* dlopen handle */
    void *fn;     /* the gemm function */
    void *threads_fn;
};

/* Loads the peers that are installed (once); returns how many, and the array. */
int gkb_gemm_peers(const struct gkb_gemm_peer **peers);

#endif /* GKB_GEMM_PEERS_H */
