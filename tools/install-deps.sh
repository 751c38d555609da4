#!/usr/bin/env bash
# Installs the Debian bookworm packages imgstore needs to build, test and benchmark; with
# --fuzz also clang 14 and its sanitizer runtimes for the libFuzzer targets (doc/fuzzing.md),
# which are large and which neither the quick start nor CI needs.
# Skips apt entirely when everything is already installed. Needs root (or sudo) otherwise.
set -euo pipefail

packages=(
    g++ cmake ninja-build pkgconf
    libboost-url1.81-dev libboost-json1.81-dev
    libfmt-dev libspdlog-dev libcli11-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    time
)
case "${1:-}" in
    "") ;;
    --fuzz) packages+=(clang libclang-rt-14-dev) ;;
    *) echo "usage: $0 [--fuzz]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
$sudo apt-get install -y --no-install-recommends "${missing[@]}"
