#!/bin/sh
# SPDX-License-Identifier: MIT
# One command for each job on a fresh Debian 12 machine:
#   tools/dev.sh bench [gk-bench args...]  install what is missing, build release, run gk-bench
#   tools/dev.sh test                      install what is missing, build release, run every test
#   tools/dev.sh test <preset>             the same with another preset (dev, clang, asan, aarch64)
#   tools/dev.sh deps                      only install what is missing
set -eu
cd "$(dirname "$0")/.."

# Debian packages: the build (cmake, compilers), the aarch64 cross toolchain and qemu for the
# emulated test run, pkg-config for the install test, the peers gk-bench compares with, and
# python3 for the table generators and plots.
PACKAGES="build-essential cmake clang pkgconf python3 gcc-aarch64-linux-gnu libc6-dev-arm64-cross
qemu-user clang-format libzydis-dev libopenblas-dev libsleef-dev libblis-dev libdnnl-dev"

install_deps() {
    missing=""
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    echo "dev.sh: installing$missing" >&2
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends $missing
}

build() {
    cmake --preset "$1" > /dev/null
    cmake --build --preset "$1" -j "$(nproc)"
}

job=${1:-}
[ $# -gt 0 ] && shift
case "$job" in
deps)
    install_deps ;;
bench)
    install_deps
    build release
    exec build/release/bench/gk-bench "$@" ;;
test)
    install_deps
    preset=${1:-release}
    build "$preset"
    ctest --preset "$preset" -j "$(nproc)" ;;
*)
    echo "usage: tools/dev.sh bench [gk-bench args] | test [preset] | deps" >&2
    exit 2 ;;
esac
