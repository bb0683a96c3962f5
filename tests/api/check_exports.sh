#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: check_exports.sh <nm> <libgllmk.so> <include/gllmk>
# Fails if the shared library exports a symbol without the gk_ prefix, or if a function declared
# GK_API in the public headers is not exported.
set -eu
nm_tool=$1 lib=$2 headers=$3
exported=$("$nm_tool" -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort -u)
status=0
bad=$(printf '%s\n' "$exported" | grep -v '^gk_' || true)
if [ -n "$bad" ]; then
    echo "FAIL: exported symbols without the gk_ prefix:"; printf '%s\n' "$bad"; status=1
fi
declared=$(grep -hv '^ *#' "$headers"/*.h | tr '\n' ' ' | grep -o 'GK_API[^;(]*(' |
    sed 's/($//; s/.*[ *]//' | sort -u)
[ -n "$declared" ] || { echo "FAIL: found no GK_API declarations in $headers"; exit 1; }
for sym in $declared; do
    printf '%s\n' "$exported" | grep -qx "$sym" || { echo "FAIL: $sym is declared but not exported"; status=1; }
done
[ $status -eq 0 ] && echo "exports ok: $(printf '%s\n' "$declared" | wc -l) declared, $(printf '%s\n' "$exported" | wc -l) exported"
exit $status
