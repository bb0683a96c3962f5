/* SPDX-License-Identifier: MIT */
/* gk-bench: measures this machine's limits, then runs benchmark suites and prints one row per
 * case (op, dtype, shape, threads, time, rate, % of the machine limit, ratio to a peer), and
 * optionally writes every row as JSON (tools/plot_bench.py turns it into plots).
 *
 *   gk-bench [suite...] [--threads N] [--json FILE] [--smoke] [--list]
 */
#include <gllmk/gllmk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

struct gkb_suite {
    const char *name;
    void (*run)(const struct gkb_context *ctx);
    const char *what;
};

/* The suites, in the order the default run executes them. */
static const struct gkb_suite gkb_suites[] = {
    {"limits", gkb_suite_limits, "peak FMA per ISA level, read/copy bandwidth per cache level"},
    {"pool", gkb_suite_pool, "thread pool fork-join overhead"},
    {"cvt", gkb_suite_cvt, "f32 <-> f16/bf16 conversions"},
    {"ops", gkb_suite_ops, "memory-bound operators (BLAS-1, reductions, norms, RoPE, ...)"},
    {"math", gkb_suite_math, "transcendental activations (exp, silu, gelu, tanh) against SLEEF"},
    {"qgemv", gkb_suite_qgemv, "quantized GEMV, weights streamed from DRAM, every format"},
    {"qgemm", gkb_suite_qgemm, "quantized GEMM, m = 8..512 tokens"},
    {"gemm", gkb_suite_gemm,
     "f32 GEMM vs OpenBLAS/BLIS/oneDNN (3 shapes by default, all if named)"},
    {"gemm-tune", gkb_suite_gemm_tune, "sweep GEMM block sizes MC/KC/NC (only when named)"},
    {"quant", gkb_suite_quant, "dequantize 4096 x 4096 of every quantized format to f32"},
    {"jit", gkb_suite_jit, "JIT front end: analysis time and cached trace lookup per operator"},
};

enum { GKB_N_SUITES = sizeof gkb_suites / sizeof gkb_suites[0] };

enum { GKB_MAX_ROWS = 4096 };
static struct gkb_row gkb_rows[GKB_MAX_ROWS];
static char gkb_row_suite[GKB_MAX_ROWS][16];
/* each kept row's op name: callers may build it in a buffer of their own (the GEMM peers' rows) */
static char gkb_row_op[GKB_MAX_ROWS][32];
static int gkb_n_rows;
static const char *gkb_current_suite = "";

void gkb_report(const struct gkb_row *row)
{
    char pct[16] = "-", peer[32] = "-", time[24] = "-";
    if (row->pct_limit >= 0) snprintf(pct, sizeof pct, "%.1f%%", row->pct_limit);
    if (row->peer_ratio >= 0) snprintf(peer, sizeof peer, "%.2fx %s", row->peer_ratio, row->peer);
    if (row->time_ns > 0) snprintf(time, sizeof time, "%.3f us", row->time_ns / 1000.0);
    printf("%-16s %-5s %-26s %3d %12s %10.2f %-8s %8s %-10s %s\n", row->op, row->dtype, row->shape,
           row->threads, time, row->rate, row->unit, pct, row->limit ? row->limit : "-", peer);
    fflush(stdout);
    if (gkb_n_rows < GKB_MAX_ROWS) {
        snprintf(gkb_row_suite[gkb_n_rows], sizeof gkb_row_suite[0], "%s", gkb_current_suite);
        snprintf(gkb_row_op[gkb_n_rows], sizeof gkb_row_op[0], "%s", row->op);
        gkb_rows[gkb_n_rows] = *row;
        gkb_rows[gkb_n_rows].op = gkb_row_op[gkb_n_rows];
        gkb_n_rows++;
    }
}

static void gkb_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static int gkb_write_json(const char *path, const struct gkb_limits *lim)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "gk-bench: cannot write %s\n", path);
        return 1;
    }
    fprintf(f, "{\n  \"version\": ");
    gkb_json_string(f, gk_version());
    fprintf(f, ",\n  \"cpu\": ");
    gkb_json_string(f, gk_cpu_model());
    fprintf(f, ",\n  \"isa\": ");
    gkb_json_string(f, gk_isa_name());
    fprintf(f, ",\n  \"limits\": {\"levels\": [");
    for (int l = 0; l < GKB_LEVEL_COUNT; l++)
        fprintf(f, "%s{\"name\": \"%s\", \"bytes_per_thread\": %zu}", l ? ", " : "",
                gkb_level_name(l), lim->level_bytes[l]);
    fprintf(f, "], \"configs\": [");
    for (int c = 0; c < lim->n_configs; c++) {
        fprintf(f, "%s\n    {\"threads\": %d, \"bandwidth_gbs\": {", c ? "," : "", lim->threads[c]);
        for (int p = 0; p < GKB_PATTERN_COUNT; p++) {
            fprintf(f, "%s\"%s\": [", p ? ", " : "", gkb_patterns[p].name);
            for (int l = 0; l < GKB_LEVEL_COUNT; l++)
                fprintf(f, "%s%.3f", l ? ", " : "", lim->bw_gbs[c][p][l]);
            fprintf(f, "]");
        }
        fprintf(f, "}, \"fma_gflops\": {");
        for (int k = 0; k < lim->n_fma; k++) {
            fprintf(f, "%s", k ? ", " : "");
            gkb_json_string(f, lim->fma_name[k]);
            fprintf(f, ": %.3f", lim->fma_gflops[c][k]);
        }
        fprintf(f, "}}");
    }
    fprintf(f, "]},\n  \"results\": [");
    for (int i = 0; i < gkb_n_rows; i++) {
        const struct gkb_row *r = &gkb_rows[i];
        fprintf(f, "%s\n    {\"suite\": ", i ? "," : "");
        gkb_json_string(f, gkb_row_suite[i]);
        fprintf(f, ", \"op\": ");
        gkb_json_string(f, r->op);
        fprintf(f, ", \"dtype\": ");
        gkb_json_string(f, r->dtype);
        fprintf(f, ", \"shape\": ");
        gkb_json_string(f, r->shape);
        fprintf(f, ", \"threads\": %d, \"time_ns\": %.1f, \"rate\": %.4f, \"unit\": ", r->threads,
                r->time_ns, r->rate);
        gkb_json_string(f, r->unit);
        fprintf(f, ", \"pct_limit\": %.2f, \"limit\": ", r->pct_limit);
        gkb_json_string(f, r->limit ? r->limit : "");
        fprintf(f, ", \"peer_ratio\": %.4f, \"peer\": ", r->peer_ratio);
        gkb_json_string(f, r->peer ? r->peer : "");
        fprintf(f, "}");
    }
    fprintf(f, "\n  ]\n}\n");
    return fclose(f) == 0 ? 0 : 1;
}

static void gkb_usage(FILE *f)
{
    fprintf(f, "usage: gk-bench [suite...] [--threads N] [--json FILE] [--smoke] [--list]\n"
               "  suites (default: all):\n");
    for (int i = 0; i < GKB_N_SUITES; i++)
        fprintf(f, "    %-8s %s\n", gkb_suites[i].name, gkb_suites[i].what);
    fprintf(f, "  --threads N  run at N threads only (default: 1 and all CPUs)\n"
               "  --json FILE  also write every row as JSON\n"
               "  --smoke      tiny sizes, one repetition (proves it runs, not how fast)\n");
}

int main(int argc, char **argv)
{
    bool selected[GKB_N_SUITES] = {false}, any_selected = false, smoke = false;
    const char *json_path = NULL;
    int only_threads = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
            json_path = argv[++i];
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            only_threads = atoi(argv[++i]);
            if (only_threads < 1 || only_threads > 64) {
                fprintf(stderr, "gk-bench: --threads must be 1..64\n");
                return 2;
            }
        } else if (strcmp(argv[i], "--smoke") == 0) {
            smoke = true;
        } else if (strcmp(argv[i], "--list") == 0 || strcmp(argv[i], "--help") == 0) {
            gkb_usage(stdout);
            return 0;
        } else {
            int found = -1;
            for (int s = 0; s < GKB_N_SUITES; s++)
                if (strcmp(argv[i], gkb_suites[s].name) == 0) found = s;
            if (found < 0) {
                fprintf(stderr, "gk-bench: unknown argument '%s'\n", argv[i]);
                gkb_usage(stderr);
                return 2;
            }
            selected[found] = any_selected = true;
        }
    }

    gk_init();
    int threads[2] = {1, gk_get_num_threads()}, n_configs = threads[1] > 1 ? 2 : 1;
    if (only_threads) {
        threads[0] = only_threads;
        n_configs = 1;
    }
    printf("# gk-bench %s | cpu: %s | isa: %s | threads:", gk_version(), gk_cpu_model(),
           gk_isa_name());
    for (int c = 0; c < n_configs; c++)
        printf(" %d", threads[c]);
    printf(" | minimum over repetitions after warm-up%s\n",
           smoke ? " | SMOKE RUN: not a measurement" : "");

    struct gkb_limits limits;
    gkb_progress("measuring machine limits%s", smoke ? " (smoke)" : " (about 30 s)");
    gkb_measure_limits(&limits, threads, n_configs, smoke);

    printf("%-16s %-5s %-26s %3s %12s %10s %-8s %8s %-10s %s\n", "op", "dtype", "shape", "thr",
           "time", "rate", "unit", "%limit", "limit", "vs peer");
    const struct gkb_context ctx = {&limits, threads, n_configs, smoke, false};
    for (int s = 0; s < GKB_N_SUITES; s++) {
        if (any_selected && !selected[s]) continue;
        gkb_current_suite = gkb_suites[s].name;
        gkb_progress("suite %s", gkb_suites[s].name);
        struct gkb_context suite_ctx = ctx;
        suite_ctx.named = any_selected;
        gkb_suites[s].run(&suite_ctx);
    }
    return json_path ? gkb_write_json(json_path, &limits) : 0;
}
