/* SPDX-License-Identifier: MIT */
/* gk-info: what the library sees on this machine — CPU model, every feature it detects, cache
 * sizes, thread count, the ISA tier in use (one line reads exactly "isa: <name>") and the kernel
 * each op dispatches to. Honours GK_ISA like every program using the library. */
#include <gllmk/gllmk.h>
#include <stdio.h>

static void print_bytes(const char *label, size_t bytes)
{
    if (bytes == 0)
        printf(" %s unknown", label);
    else if (bytes % (1 << 20) == 0)
        printf(" %s %zu MiB", label, bytes >> 20);
    else
        printf(" %s %zu KiB", label, bytes >> 10);
}

int main(void)
{
    gk_init();
    printf("gllmk %s\n", gk_version());
    printf("cpu: %s\n", gk_cpu_model());
    printf("features:");
    for (size_t i = 0; i < gk_cpu_feature_count(); i++)
        if (gk_cpu_has_feature(gk_cpu_feature_name(i))) printf(" %s", gk_cpu_feature_name(i));
    printf("\nmissing:");
    for (size_t i = 0; i < gk_cpu_feature_count(); i++)
        if (!gk_cpu_has_feature(gk_cpu_feature_name(i))) printf(" %s", gk_cpu_feature_name(i));
    printf("\ncaches:");
    print_bytes("L1d", gk_cpu_cache_bytes(1));
    print_bytes("L2", gk_cpu_cache_bytes(2));
    print_bytes("L3", gk_cpu_cache_bytes(3));
    if (gk_cpu_cache_sharing(3)) printf(" (L3 shared by %u logical CPUs)", gk_cpu_cache_sharing(3));
    printf("\nthreads: %d\n", gk_get_num_threads());
    printf("isa: %s\n", gk_isa_name());
    printf("kernels:\n");
    for (size_t i = 0; i < gk_op_count(); i++)
        printf("  %-20s -> %s\n", gk_op_name(i), gk_kernel_name(gk_op_name(i)));
    return 0;
}
