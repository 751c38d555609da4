#!/usr/bin/env bash
# Installs the Debian bookworm packages imgstore needs to build, test, benchmark and fuzz: GCC
# for the release preset, clang 14 and its sanitizer and libFuzzer runtimes for the dev, tsan
# and fuzz presets (doc/build-time.md); SOCI with its SQLite, PostgreSQL and MariaDB client
# libraries and OpenSSL for the Glance database layer, and PostgreSQL 15 and MariaDB 10.11
# servers for its tests (tools/db-servers.sh starts them by hand, never as services).
# Skips apt entirely when everything is already installed. Needs root (or sudo) otherwise.
set -euo pipefail

packages=(
    g++ clang libclang-rt-14-dev cmake ninja-build pkgconf
    libboost-url1.81-dev libboost-json1.81-dev libboost-system1.81-dev libssl-dev
    libfmt-dev libspdlog-dev libcli11-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    libsoci-dev libpq-dev libmariadb-dev libsqlite3-dev
    sqlite3 postgresql-15 postgresql-client-15 mariadb-server mariadb-client
    openssl time
)
if [ $# -ne 0 ]; then
    echo "usage: $0" >&2
    exit 2
fi

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
