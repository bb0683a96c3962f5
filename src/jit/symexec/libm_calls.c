/* SPDX-License-Identifier: MIT */
/* Which loaded module holds a function, and which C library function a call reaches: directly,
 * through a PLT stub (jmp [GOT slot]) or through a GOT slot (call [slot], -fno-plt). A slot is
 * named by the module's own jump-slot / GLOB_DAT relocations (so a lazily bound slot that still
 * points back into the PLT is recognised too), or by its current value. */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <math.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "core/error.h"
#include "jit/symexec/symexec.h"

typedef struct libm_fn {
    const char *name;
    uintptr_t addr;
    int op;
    gk_trace_type type;
    int n_args;
} libm_fn;

/* The C library functions a trace can contain, with the opcode each becomes. */
static libm_fn *libm_table(size_t *n)
{
    static libm_fn table[] = {
        {"expf", 0, GK_TOP_EXP, GK_TT_F32, 1},      {"exp", 0, GK_TOP_EXP, GK_TT_F64, 1},
        {"logf", 0, GK_TOP_LOG, GK_TT_F32, 1},      {"log", 0, GK_TOP_LOG, GK_TT_F64, 1},
        {"log1pf", 0, GK_TOP_LOG1P, GK_TT_F32, 1},  {"log1p", 0, GK_TOP_LOG1P, GK_TT_F64, 1},
        {"tanhf", 0, GK_TOP_TANH, GK_TT_F32, 1},    {"tanh", 0, GK_TOP_TANH, GK_TT_F64, 1},
        {"erff", 0, GK_TOP_ERF, GK_TT_F32, 1},      {"erf", 0, GK_TOP_ERF, GK_TT_F64, 1},
        {"erfcf", 0, GK_TOP_ERFC, GK_TT_F32, 1},    {"erfc", 0, GK_TOP_ERFC, GK_TT_F64, 1},
        {"sqrtf", 0, GK_TOP_SQRT, GK_TT_F32, 1},    {"sqrt", 0, GK_TOP_SQRT, GK_TT_F64, 1},
        {"fabsf", 0, GK_TOP_ABS, GK_TT_F32, 1},     {"fabs", 0, GK_TOP_ABS, GK_TT_F64, 1},
        {"fmaxf", 0, GK_TOP_FMAXNUM, GK_TT_F32, 2}, {"fmax", 0, GK_TOP_FMAXNUM, GK_TT_F64, 2},
        {"fminf", 0, GK_TOP_FMINNUM, GK_TT_F32, 2}, {"fmin", 0, GK_TOP_FMINNUM, GK_TT_F64, 2},
        {"fmaf", 0, GK_TOP_FMA, GK_TT_F32, 3},      {"fma", 0, GK_TOP_FMA, GK_TT_F64, 3},
    };
    /* Addresses taken in C: what a resolved GOT slot (or a static link) holds. Writing the same
     * values from several threads is benign, but keep it simple: fill on every call (cheap). */
    float (*const f1[])(float) = {expf, NULL, logf,  NULL, log1pf, NULL, tanhf, NULL,
                                  erff, NULL, erfcf, NULL, sqrtf,  NULL, fabsf, NULL};
    double (*const d1[])(double) = {NULL, exp, NULL, log,  NULL, log1p, NULL, tanh,
                                    NULL, erf, NULL, erfc, NULL, sqrt,  NULL, fabs};
    for (size_t i = 0; i < 16; i++)
        table[i].addr = f1[i] ? (uintptr_t)f1[i] : (uintptr_t)d1[i];
    table[16].addr = (uintptr_t)fmaxf;
    table[17].addr = (uintptr_t)fmax;
    table[18].addr = (uintptr_t)fminf;
    table[19].addr = (uintptr_t)fmin;
    table[20].addr = (uintptr_t)fmaf;
    table[21].addr = (uintptr_t)fma;
    *n = sizeof table / sizeof table[0];
    return table;
}

/* ---- module lookup ------------------------------------------------------------------------- */

typedef struct module_query {
    uintptr_t addr;
    bool found;
    struct dl_phdr_info info;
    uintptr_t seg_lo, seg_hi; /* the PT_LOAD segment holding addr */
    int seg_flags;
} module_query;

static int find_module_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    module_query *q = data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD) continue;
        const uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (q->addr >= lo && q->addr < hi) {
            q->found = true;
            q->info = *info;
            q->seg_lo = lo;
            q->seg_hi = hi;
            q->seg_flags = (int)ph->p_flags;
            return 1;
        }
    }
    return 0;
}

static bool find_module(uintptr_t addr, module_query *q)
{
    memset(q, 0, sizeof *q);
    q->addr = addr;
    dl_iterate_phdr(find_module_cb, q);
    return q->found;
}

gk_status gk_sx_env_for_function(const void *fn, gk_sx_env *env)
{
    memset(env, 0, sizeof *env);
    module_query q;
    if (!find_module((uintptr_t)fn, &q) || !(q.seg_flags & PF_X))
        return gk_error_set(GK_EUNSUPPORTED, "gk_jit", __FILE__, __LINE__,
                            "function %p is not in the code of a loaded module", fn);
    env->fn = (uintptr_t)fn;
    env->code_lo = q.seg_lo;
    env->code_hi = q.seg_hi;
    env->resolve_libm = true;
    /* Constants: the module's non-writable segments (code and read-only data). */
    for (int i = 0; i < q.info.dlpi_phnum && env->n_ro < 8; i++) {
        const ElfW(Phdr) *ph = &q.info.dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) || !(ph->p_flags & PF_R)) continue;
        env->ro_lo[env->n_ro] = q.info.dlpi_addr + ph->p_vaddr;
        env->ro_hi[env->n_ro] = env->ro_lo[env->n_ro] + ph->p_filesz;
        env->n_ro++;
    }
    return GK_OK;
}

/* The symbol name a relocation of the module puts into GOT slot `slot`, or NULL. */
static const char *slot_symbol(uintptr_t slot)
{
    module_query q;
    if (!find_module(slot, &q)) return NULL;
    const ElfW(Dyn) *dyn = NULL;
    for (int i = 0; i < q.info.dlpi_phnum; i++)
        if (q.info.dlpi_phdr[i].p_type == PT_DYNAMIC)
            dyn = (const ElfW(Dyn) *)(q.info.dlpi_addr + q.info.dlpi_phdr[i].p_vaddr);
    if (!dyn) return NULL;
    uintptr_t symtab = 0, strtab = 0, jmprel = 0, rela = 0;
    size_t pltrelsz = 0, relasz = 0;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        switch (dyn->d_tag) {
        case DT_SYMTAB: symtab = dyn->d_un.d_ptr; break;
        case DT_STRTAB: strtab = dyn->d_un.d_ptr; break;
        case DT_JMPREL: jmprel = dyn->d_un.d_ptr; break;
        case DT_PLTRELSZ: pltrelsz = dyn->d_un.d_val; break;
        case DT_RELA: rela = dyn->d_un.d_ptr; break;
        case DT_RELASZ: relasz = dyn->d_un.d_val; break;
        default: break;
        }
    }
    /* glibc relocates these entries in place on x86-64; an unrelocated one is below the base. */
    const uintptr_t base = q.info.dlpi_addr;
    if (symtab && symtab < base) symtab += base;
    if (strtab && strtab < base) strtab += base;
    if (jmprel && jmprel < base) jmprel += base;
    if (rela && rela < base) rela += base;
    if (!symtab || !strtab) return NULL;
    const uintptr_t tables[2] = {jmprel, rela};
    const size_t sizes[2] = {pltrelsz, relasz};
    for (int t = 0; t < 2; t++) {
        if (!tables[t]) continue;
        const ElfW(Rela) *r = (const ElfW(Rela) *)tables[t];
        for (size_t i = 0; i < sizes[t] / sizeof *r; i++) {
            if (base + r[i].r_offset != slot) continue;
            const uint32_t type = (uint32_t)ELF64_R_TYPE(r[i].r_info);
            if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT) return NULL;
            const ElfW(Sym) *sym = (const ElfW(Sym) *)symtab + ELF64_R_SYM(r[i].r_info);
            return (const char *)strtab + sym->st_name;
        }
    }
    return NULL;
}

static int lookup(uintptr_t addr, const char *name, gk_trace_type *type, int *n_args)
{
    size_t n;
    const libm_fn *t = libm_table(&n);
    for (size_t i = 0; i < n; i++) {
        if ((addr && t[i].addr == addr) || (name && strcmp(t[i].name, name) == 0)) {
            *type = t[i].type;
            *n_args = t[i].n_args;
            return t[i].op;
        }
    }
    return -1;
}

/* If `addr` is a PLT stub (optional endbr64, then jmp [rip + disp]), its GOT slot. */
static uintptr_t plt_slot(uintptr_t addr)
{
    module_query q;
    if (!find_module(addr, &q) || !(q.seg_flags & PF_X)) return 0;
    ZydisDecoder dec;
    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    for (int k = 0; k < 2; k++) {
        ZydisDecodedInstruction in;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        if (addr >= q.seg_hi) return 0;
        if (!ZYAN_SUCCESS(
                ZydisDecoderDecodeFull(&dec, (const void *)addr, q.seg_hi - addr, &in, ops)))
            return 0;
        if (in.mnemonic == ZYDIS_MNEMONIC_ENDBR64 && k == 0) {
            addr += in.length;
            continue;
        }
        if (in.mnemonic != ZYDIS_MNEMONIC_JMP || ops[0].type != ZYDIS_OPERAND_TYPE_MEMORY ||
            ops[0].mem.base != ZYDIS_REGISTER_RIP || ops[0].mem.index != ZYDIS_REGISTER_NONE)
            return 0;
        return addr + in.length + (uintptr_t)ops[0].mem.disp.value;
    }
    return 0;
}

static int resolve_slot(uintptr_t slot, gk_trace_type *type, int *n_args, const char **name)
{
    module_query q;
    if (!find_module(slot, &q)) return -1;
    const char *sym = slot_symbol(slot);
    if (sym) {
        *name = sym;
        return lookup(0, sym, type, n_args);
    }
    uintptr_t value;
    memcpy(&value, (const void *)slot, sizeof value);
    return lookup(value, NULL, type, n_args);
}

int gk_sx_resolve_libm(uintptr_t target, gk_trace_type *type, int *n_args, const char **name)
{
    *name = NULL;
    const int direct = lookup(target, NULL, type, n_args);
    if (direct >= 0) return direct;
    const uintptr_t slot = plt_slot(target);
    if (!slot) return -1;
    return resolve_slot(slot, type, n_args, name);
}

int gk_sx_resolve_libm_slot(uintptr_t slot, gk_trace_type *type, int *n_args, const char **name)
{
    *name = NULL;
    return resolve_slot(slot, type, n_args, name);
}
