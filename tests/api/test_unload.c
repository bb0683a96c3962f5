/* SPDX-License-Identifier: MIT */
/* dlopen the shared library, make it start its worker threads, dlclose it, repeat: the pool must
 * shut its workers down on unload (a worker left running would execute unmapped code). */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

typedef int (*cvt_fn)(const float *src, void *dst, size_t n);
typedef int (*threads_fn)(int n);

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_unload <path to libgllmk.so>\n");
        return 2;
    }
    const size_t n = (size_t)1 << 20; /* large enough to be split over the pool */
    float *src = calloc(n, sizeof *src);
    unsigned short *dst = calloc(n, sizeof *dst);
    for (int round = 0; round < 5; round++) {
        void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            fprintf(stderr, "FAIL: dlopen: %s\n", dlerror());
            return 1;
        }
        threads_fn set_threads = (threads_fn)dlsym(lib, "gk_set_num_threads");
        cvt_fn cvt = (cvt_fn)dlsym(lib, "gk_cvt_f32_to_f16");
        if (!set_threads || !cvt || set_threads(2) != 0 || cvt(src, dst, n) != 0) {
            fprintf(stderr, "FAIL: round %d: symbols or calls failed\n", round);
            return 1;
        }
        if (dlclose(lib) != 0) {
            fprintf(stderr, "FAIL: dlclose: %s\n", dlerror());
            return 1;
        }
    }
    free(src);
    free(dst);
    printf("unload ok: 5 rounds of dlopen, threaded call, dlclose\n");
    return 0;
}
