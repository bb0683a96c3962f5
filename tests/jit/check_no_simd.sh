#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: check_no_simd.sh <objdump> <object files, each argument a ;-separated list...>
# Fails if an object uses a ymm/zmm register or a packed arithmetic instruction: the functions
# the JIT lifts must be scalar code. Allowed packed forms: register moves and bitwise ops (sign
# masks for neg/abs, blends, zeroing), and Clang's size_t -> double idiom (punpckldq, subpd,
# unpckhpd, addpd/haddpd on the magic constants 2^52 / 2^84).
set -eu
objdump=$1
shift
objects=$(printf '%s\n' "$@" | tr ';' '\n' | sed '/^$/d')
[ -n "$objects" ] || { echo "FAIL: no object files"; exit 1; }
status=0
count=0
for obj in $objects; do
    count=$((count + 1))
    listing=$("$objdump" -d --no-show-raw-insn "$obj")
    bad=$(printf '%s\n' "$listing" | grep -E '%[yz]mm|\b[yz]mm[0-9]' || true)
    packed=$(printf '%s\n' "$listing" | awk -F'\t' 'NF >= 2 {print $2}' |
        grep -E '^v?(add|sub|mul|div|min|max|sqrt|rcp|rsqrt|hadd|hsub|dp|round)p[sd]|^v?f(n)?m(add|sub)[0-9]*p[sd]|^p(add|sub|mul|madd|min|max|sad|avg|sll|srl|sra|cmp|shuf|maddubs)' |
        grep -vE '^(subpd|addpd|haddpd)\b' || true)
    if [ -n "$bad$packed" ]; then
        echo "FAIL: $obj uses SIMD instructions:"
        printf '%s\n%s\n' "$bad" "$packed" | sed '/^$/d' | sort | uniq -c
        status=1
    fi
done
[ $status -eq 0 ] && echo "no SIMD in $count objects"
exit $status
