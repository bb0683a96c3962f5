#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: check_install.sh <cmake> <build dir> <consumer source dir> <cc>
# Installs the build into a scratch prefix, then builds and runs a consumer twice: with
# find_package(gllmk) (shared and static targets) and with pkg-config.
set -eu
cmake=$1 build=$2 consumer=$3 cc=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cmake" --install "$build" --prefix "$work/prefix" > "$work/install.log"
"$cmake" -S "$consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" \
    -DCMAKE_C_COMPILER="$cc" > "$work/configure.log" || { cat "$work/configure.log"; exit 1; }
"$cmake" --build "$work/consumer" > "$work/build.log" || { cat "$work/build.log"; exit 1; }
"$work/consumer/consumer_shared"
"$work/consumer/consumer_static"
libdir=$(ls -d "$work"/prefix/lib*/pkgconfig | head -n 1)
export PKG_CONFIG_PATH="$libdir"
# shellcheck disable=SC2046
"$cc" -o "$work/consumer_pc" "$consumer/main.c" $(pkg-config --cflags --libs gllmk) \
    -Wl,-rpath,"$(dirname "$libdir")"
"$work/consumer_pc"
echo "install ok"
