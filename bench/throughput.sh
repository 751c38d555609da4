#!/usr/bin/env bash
# Throughput of the imgstore tool (issue 4, doc/benchmarks.md): `imgstore resolve` over one
# million URL lines and `imgstore stamp` over one million image records, with the example config
# (examples/glance-api.conf), pinned to one core, with peak RSS from GNU time.
#
#   bench/throughput.sh     build the `release` preset (build/release), measure, print a table
#
# A third row runs `imgstore resolve` over a generated registry of LARGE_STORES stores of all
# seven types (bench/corpus.hpp, as bm_resolve), to show the cost does not grow with the store
# count; it needs the benchmarks (IMGSTORE_BUILD_BENCHMARKS, on in the release preset).
#
# Environment: BUILD_DIR (default build/release; configured as Release if new), COUNT (default
# 1000000 URL lines and image records), RUNS (default 3; the best run is reported, RSS is the
# largest seen), CPU (default 0), WORK_DIR (default $BUILD_DIR/throughput), LARGE_STORES
# (default 10000; 0 skips the row).
# Targets: resolve >= 2,000,000 URLs/s, stamp >= 500,000 locations/s, peak RSS <= 64 MiB.
# A measurement, not a test: it reports whether the targets are met and exits 0 either way
# (non-zero only when something fails to build or run).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build/release}
count=${COUNT:-1000000}
runs=${RUNS:-3}
cpu=${CPU:-0}
work=${WORK_DIR:-$build/throughput}
large=${LARGE_STORES:-10000}
config=examples/glance-api.conf

for tool in cmake ninja taskset /usr/bin/time; do
    command -v "$tool" >/dev/null || {
        echo "throughput: $tool is missing (tools/install-deps.sh installs it)" >&2
        exit 1
    }
done

# Build (Release). An existing build dir is reused as configured; say so if it is not Release.
if [ ! -f "$build/CMakeCache.txt" ]; then
    if [ "$build" = "$root/build/release" ]; then
        (cd "$root" && cmake --preset release >/dev/null)
    else
        cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
            -DIMGSTORE_BUILD_BENCHMARKS=ON >/dev/null
    fi
fi
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt")
[ "$build_type" = Release ] || echo "throughput: warning: $build is a '$build_type' build" >&2
cmake --build "$build" --target imgstore_cli imgstore_gen_images >/dev/null
cli=$build/tools/imgstore
gen=$build/tools/imgstore_gen_images
if [ "$large" -gt 0 ]; then
    if cmake --build "$build" --target help | grep -q '^imgstore_gen_corpus'; then
        cmake --build "$build" --target imgstore_gen_corpus >/dev/null
    else
        echo "throughput: $build has no benchmarks (IMGSTORE_BUILD_BENCHMARKS); no large row" >&2
        large=0
    fi
fi

# Inputs (deterministic; regenerated only when the count changes).
mkdir -p "$work"
if [ ! -f "$work/urls-$count.txt" ] || [ ! -f "$work/images-$count.jsonl" ]; then
    "$gen" --urls "$count" >"$work/urls-$count.txt"
    "$gen" --records "$count" >"$work/images-$count.jsonl"
fi
urls=$work/urls-$count.txt
images=$work/images-$count.jsonl
if [ "$large" -gt 0 ]; then
    large_config=$work/stores-$large.conf
    large_urls=$work/urls-$large-stores-$count.txt
    if [ ! -f "$large_config" ] || [ ! -f "$large_urls" ]; then
        "$build/bench/imgstore_gen_corpus" --stores "$large" --config >"$large_config"
        "$build/bench/imgstore_gen_corpus" --stores "$large" --urls "$count" >"$large_urls"
    fi
fi

# The example config names examples/ceph/*.conf relative to the repository root, as librados
# would relative to glance-api's working directory (glance-swift.conf is found beside it).
cd "$root"

now_ns() { date +%s%N; }

# run_one NAME OUTPUT CMD...: runs CMD pinned to $cpu under GNU time; sets secs and rss_kib.
run_one() {
    local name=$1 output=$2
    shift 2
    local t0 t1
    t0=$(now_ns)
    taskset -c "$cpu" /usr/bin/time -v -o "$work/$name.time" "$@" >"$output" 2>"$work/$name.err" ||
        true
    t1=$(now_ns)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
    rss_kib=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/$name.time")
    local status
    status=$(sed -n 's/.*Exit status: //p' "$work/$name.time")
    if [ "${status:-1}" != 0 ] && [ "$name" != stamp ]; then
        echo "throughput: $name exited with status ${status:-?}:" >&2
        cat "$work/$name.err" >&2
        exit 1
    fi
}

best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }
least() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b ? a : b) }'; }

# resolve: URLs per second.
resolve_rate=0
resolve_rss=0
for _ in $(seq "$runs"); do
    run_one resolve "$work/resolve.out" "$cli" resolve --config-file "$config" <"$urls"
    lines=$(wc -l <"$work/resolve.out")
    [ "$lines" -eq "$count" ] || {
        echo "throughput: resolve wrote $lines lines for $count URLs" >&2
        exit 1
    }
    resolve_rate=$(best "$resolve_rate" "$(awk -v n="$count" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')")
    resolve_rss=$(best "$resolve_rss" "$rss_kib")
done

# resolve over the large registry.
large_rate=0
large_rss=0
large_start=999
if [ "$large" -gt 0 ]; then
    for _ in $(seq "$runs"); do
        # Start-up (reading and indexing the large config) on its own, with no input.
        run_one resolve-large-start /dev/null "$cli" resolve --config-file "$large_config" </dev/null
        large_start=$(least "$large_start" "$secs")
        run_one resolve-large "$work/resolve-large.out" "$cli" resolve --config-file "$large_config" \
            <"$large_urls"
        large_rate=$(best "$large_rate" "$(awk -v n="$count" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')")
        large_rss=$(best "$large_rss" "$rss_kib")
    done
fi

# stamp: locations per second (the count comes from its --report). Exit status 3 (malformed
# lines copied through) is not a failure here; the generator writes none.
stamp_rate=0
stamp_rss=0
for _ in $(seq "$runs"); do
    run_one stamp /dev/null "$cli" stamp --config-file "$config" --input "$images" \
        --output "$work/stamp.out" --report "$work/stamp.report.json"
    status=$(sed -n 's/.*Exit status: //p' "$work/stamp.time")
    if [ "$status" != 0 ] && [ "$status" != 3 ]; then
        echo "throughput: stamp exited with status $status:" >&2
        cat "$work/stamp.err" >&2
        exit 1
    fi
    locations=$(sed -n 's/.*"locations": *\([0-9]*\).*/\1/p' "$work/stamp.report.json")
    stamp_rate=$(best "$stamp_rate" "$(awk -v n="$locations" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')")
    stamp_rss=$(best "$stamp_rss" "$rss_kib")
done

verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN {
    ok = (op == ">=") ? (v >= t) : (v <= t); print (ok ? "met" : "MISSED") }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

cpu_model=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
echo
echo "imgstore throughput: $count inputs, best of $runs runs, pinned to CPU $cpu ($cpu_model)"
echo
echo "| command | input | rate | target | peak RSS | target |"
echo "|---|---|---|---|---|---|"
# shellcheck disable=SC2016  # the backquotes are Markdown
printf '| `imgstore resolve` | %s URL lines | %s URLs/s | >= 2,000,000: %s | %s MiB | <= 64: %s |\n' \
    "$count" "$resolve_rate" "$(verdict "$resolve_rate" 2000000 '>=')" "$(mib "$resolve_rss")" \
    "$(verdict "$resolve_rss" 65536 '<=')"
if [ "$large" -gt 0 ]; then
    large_steady=$(awk -v n="$count" -v r="$large_rate" -v s="$large_start" \
        'BEGIN { t = n / r - s; printf "%.0f", (t > 0 ? n / t : 0) }')
    # shellcheck disable=SC2016
    printf '| `imgstore resolve`, %s stores | %s URL lines | %s URLs/s (%s without the %.2f s start-up) | >= 2,000,000: %s | %s MiB | <= 64: %s |\n' \
        "$large" "$count" "$large_rate" "$large_steady" "$large_start" \
        "$(verdict "$large_steady" 2000000 '>=')" \
        "$(mib "$large_rss")" "$(verdict "$large_rss" 65536 '<=')"
fi
# shellcheck disable=SC2016
printf '| `imgstore stamp` | %s records, %s locations | %s locations/s | >= 500,000: %s | %s MiB | <= 64: %s |\n' \
    "$count" "$locations" "$stamp_rate" "$(verdict "$stamp_rate" 500000 '>=')" \
    "$(mib "$stamp_rss")" "$(verdict "$stamp_rss" 65536 '<=')"
echo
echo "stamp summary (last run): $(head -n 1 "$work/stamp.err")"
