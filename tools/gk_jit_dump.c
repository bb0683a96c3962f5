/* SPDX-License-Identifier: MIT */
/* gk-jit-dump: the JIT's view of the scalar operators.
 *   gk-jit-dump --traces [op...]   every (or the named) operator of the default registry: its
 *                                  signature, then its trace (pattern, SSA ops, folds, result)
 *                                  or why it cannot be lifted
 *   gk-jit-dump --list             the operators and their signature kinds
 * Exit status: 0, or 1 if a named operator does not exist. */
#include <gllmk/gllmk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_signature(const gk_scalar_op_desc *d)
{
    const gk_param *params = NULL;
    size_t n = 0;
    printf("%s: sig %s (", d->name, gk_sig_name(d->sig));
    if (gk_sig_params(d->sig, &params, &n) == GK_OK)
        for (size_t i = 0; i < n; i++)
            printf("%s%s", i ? ", " : "", params[i].name);
    printf(")");
    if (d->sig == GK_SIG_DEQUANT)
        printf(", blocks of %u elements / %u bytes", d->block_elems, d->block_bytes);
    printf("\n");
}

static int dump_trace(gk_scalar_registry *reg, const gk_scalar_op_desc *d)
{
    print_signature(d);
    const gk_op_trace *t = NULL;
    const gk_status st = gk_scalar_registry_get_trace(reg, d->name, &t);
    if (st != GK_OK) {
        printf("  not lifted: %s\n  %s\n\n", gk_status_str(st), gk_last_error_detail());
        return 0;
    }
    const size_t need = gk_op_trace_print(t, NULL, 0) + 1;
    char *text = malloc(need);
    if (!text) return 1;
    gk_op_trace_print(t, text, need);
    printf("%s\n", text);
    free(text);
    return 0;
}

int main(int argc, char **argv)
{
    gk_scalar_registry *reg = gk_scalar_registry_default();
    if (!reg) {
        fprintf(stderr, "gk-jit-dump: no registry (out of memory)\n");
        return 1;
    }
    const bool list = argc >= 2 && strcmp(argv[1], "--list") == 0;
    if (argc < 2 || (!list && strcmp(argv[1], "--traces") != 0)) {
        fprintf(stderr, "usage: gk-jit-dump --traces [op...] | --list\n");
        return 2;
    }
    int status = 0;
    const size_t n = gk_scalar_registry_count(reg);
    for (int a = 2; a < argc; a++) {
        bool found = false;
        for (size_t i = 0; i < n; i++) {
            const gk_scalar_op_desc *d = NULL;
            if (gk_scalar_registry_at(reg, i, &d) == GK_OK && strcmp(d->name, argv[a]) == 0)
                found = true;
        }
        if (!found) {
            fprintf(stderr, "gk-jit-dump: no operator named %s\n", argv[a]);
            status = 1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const gk_scalar_op_desc *d = NULL;
        if (gk_scalar_registry_at(reg, i, &d) != GK_OK) continue;
        bool wanted = argc == 2;
        for (int a = 2; a < argc; a++)
            wanted = wanted || strcmp(d->name, argv[a]) == 0;
        if (!wanted) continue;
        if (list)
            print_signature(d);
        else
            status |= dump_trace(reg, d);
    }
    return status;
}
