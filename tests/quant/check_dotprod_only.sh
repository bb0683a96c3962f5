#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: check_dotprod_only.sh <objdump> <libgllmk.a>
# The library runs on baseline ARMv8-A: SDOT/UDOT (the dot-product extension) may appear only in
# the functions built for it, whose names end in _dotprod (src/kernels/neon/qdot_neon.h); and
# each of those must use SDOT (else its build lost the extension and the name lies).
set -eu
objdump=$1
lib=$2
"$objdump" -d --no-show-raw-insn "$lib" | awk '
    /^[0-9a-f]+ <[^>]+>:$/ {
        fn = $2; gsub(/[<>:]/, "", fn)
        if (fn ~ /_dotprod$/) { dotprod[fn] = 0; n_fns++ }
        next
    }
    /\t[su]dot\t/ {
        if (fn in dotprod) dotprod[fn]++
        else { print "FAIL: " fn " (not a _dotprod function) uses " $0; bad = 1 }
    }
    END {
        for (f in dotprod)
            if (dotprod[f] == 0) { print "FAIL: " f " uses no SDOT"; bad = 1 }
        if (n_fns == 0) { print "FAIL: no _dotprod function in the library"; bad = 1 }
        if (!bad) print "SDOT only in the " n_fns " _dotprod functions, each uses it"
        exit bad
    }'
