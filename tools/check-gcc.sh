#!/usr/bin/env bash
# GCC's front end over every translation unit of the project (library, tool, tests, benchmarks,
# fuzz-corpus replayers), with the release preset's defines and warnings as errors, generating
# no code. The dev and tsan presets build with clang (doc/build-time.md); this keeps the code
# compiling warning-free under GCC, the compiler of the release preset and the quick start, in
# 0.29 of the time the GCC sanitizer build of the same files took (859 s against 2,972 s in
# the starved-VM runs of doc/history.md). Warnings that need GCC's optimiser
# (-Wmaybe-uninitialized and the like) are only seen by `cmake --build --preset release`.
set -euo pipefail
cd "$(dirname "$0")/.."

cmake --preset gcc-check >/dev/null
# Every compile command (the unity sources), without its object and dependency outputs.
mapfile -t commands < <(ninja -C build/gcc-check -t commands |
    grep -E ' -c [^ ]+\.(cxx|cpp)$' |
    sed -E 's/ -MD -MT [^ ]+ -MF [^ ]+//; s/ -o [^ ]+ -c / -c /')
if [ ${#commands[@]} -eq 0 ]; then
    echo "check-gcc: no compile commands found" >&2
    exit 1
fi
echo "check-gcc: ${#commands[@]} translation units, $(nproc) at a time"
cd build/gcc-check
printf '%s -fsyntax-only\0' "${commands[@]}" |
    xargs -0 -n1 -P "$(nproc)" bash -c 'echo "check-gcc: ${0##* -c }" >&2; eval "$0"'
echo "check-gcc: all ${#commands[@]} passed"
