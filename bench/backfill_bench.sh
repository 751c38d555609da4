#!/usr/bin/env bash
# imgstore backfill against the DBA's baseline (issue 13, item 10), on every database.
#
#   BUILD_DIR=build/release bench/backfill_bench.sh [ROWS]      (default 1,000,000)
#
# For each database (SQLite always; PostgreSQL and MariaDB when IMGSTORE_TEST_PG_URL /
# IMGSTORE_TEST_MARIADB_URL are set: eval "$(bash tools/db-servers.sh start DIR)"), it loads
# ROWS location rows made by imgstore_gen_glance_db from examples/images.jsonl (70% legacy, the
# example's tricky mix) into a fresh database with Glance's schema, then times
#   - `imgstore backfill` dry run and `--apply` (rows walked per second, peak RSS; for the dry
#     run also rows per CPU second of the tool, which machine load does not change), and
#   - on a second fresh copy, the baseline a DBA would write: one
#     `UPDATE ... SET meta_data = '{"store": "<id>"}' WHERE value LIKE '<prefix>%' AND
#     (meta_data IS NULL OR meta_data = '{}')` per store prefix (`imgstore stores`),
# and counts the rows whose end state differs between the two (what the baseline gets wrong).
# Run from the repository root, with nothing else busy. Prints one table row per database.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build/release}
rows=${1:-1000000}
tool=$build/tools/imgstore
gen=$build/tools/imgstore_gen_glance_db
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
conf=(--config-file examples/glance-api.conf --volume-types examples/volume-types.tsv)

# The URL of a `glance*` database next to the one in $1 (the glance user may create those).
with_database() { sed -E "s#(@[^/]*/)[^?]*#\1$2#" <<<"$1"; }
url_field() { # $1 URL (as tools/db-servers.sh prints them), $2 user|password|database|socket
    local rest=${1#*://} userinfo host_path query=""
    userinfo=${rest%%@*}
    host_path=${rest#*@}
    [[ $host_path == *\?* ]] && query=${host_path#*\?}
    host_path=${host_path%%\?*}
    case $2 in
    user) echo "${userinfo%%:*}" ;;
    password) echo "${userinfo#*:}" ;;
    database) echo "${host_path#*/}" ;;
    socket) tr '&' '\n' <<<"$query" | sed -n -E 's/^(host|unix_socket)=//p' ;;
    esac
}

# client KIND URL: sets client_cmd to that database's command-line client (SQL on stdin).
client() {
    case $1 in
    sqlite) client_cmd=(sqlite3 -batch "${2#sqlite:///}") ;;
    postgresql)
        client_cmd=(env "PGPASSWORD=$(url_field "$2" password)" psql -q -X -v ON_ERROR_STOP=1
            -h "$(url_field "$2" socket)" -U "$(url_field "$2" user)" "$(url_field "$2" database)") ;;
    mysql)
        client_cmd=(mariadb --batch -S "$(url_field "$2" socket)" -u "$(url_field "$2" user)"
            "-p$(url_field "$2" password)" "$(url_field "$2" database)") ;;
    esac
}
sql() {
    client "$1" "$2"
    "${client_cmd[@]}"
}

# fresh KIND ADMIN_URL NAME: a new database NAME with Glance's schema and the rows; prints its URL.
fresh() {
    local kind=$1 admin=$2 name=$3 url
    case $kind in
    sqlite) url="sqlite:///$work/$name.sqlite"; rm -f "$work/$name.sqlite" ;;
    *)
        printf 'DROP DATABASE IF EXISTS %s;\nCREATE DATABASE %s;\n' "$name" "$name" | sql "$kind" "$admin"
        url=$(with_database "$admin" "$name") ;;
    esac
    local schema=tests/data/glance-schema/$kind.sql
    # The dump creates tables in name order, before the ones their foreign keys name.
    { [ "$kind" = mysql ] && echo "SET FOREIGN_KEY_CHECKS = 0;"; cat "$schema"; } |
        sql "$kind" "$url" >/dev/null
    sql "$kind" "$url" <"$work/rows.$kind.sql" >/dev/null
    # Planner statistics, as autovacuum keeps them on a live database (never analyzed, a
    # freshly loaded PostgreSQL table is walked with a bitmap scan and a sort per batch).
    case $kind in
    postgresql) echo "ANALYZE images; ANALYZE image_locations;" | sql "$kind" "$url" ;;
    mysql) echo "ANALYZE TABLE images, image_locations;" | sql "$kind" "$url" >/dev/null ;;
    esac
    echo "$url"
}

# timed OUT_PREFIX command...: wall seconds, peak RSS (KiB) and CPU seconds (user + system)
# into OUT_PREFIX.{s,kb,cpu}. The CPU time says what the wall time hides on a busy machine.
timed() {
    local out=$1
    shift
    /usr/bin/time -f '%e %M %U %S' -o "$out.time" "$@" 2>"$out.err" >/dev/null
    read -r secs kb user sys <"$out.time"
    echo "$secs" >"$out.s"
    echo "$kb" >"$out.kb"
    awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }' >"$out.cpu"
}

end_state() { # KIND URL: id, value and meta_data of every row, in id order
    echo "SELECT id, value, COALESCE(meta_data, '<NULL>') FROM image_locations ORDER BY id;" |
        sql "$1" "$2"
}

# The baseline a DBA writes: one UPDATE per store prefix (imgstore stores), into baseline.sql.
"$tool" stores --format json "${conf[@]:0:2}" |
    sed -n -E 's/^  "([^"]+)": \{$/store \1/p; s/^    "url_prefixes": \[(.*)\],?$/prefixes \1/p' |
    while read -r kind rest; do
        if [ "$kind" = store ]; then
            store=$rest
            continue
        fi
        tr ',' '\n' <<<"$rest" | sed -E 's/^ *"(.*)"$/\1/' | { grep -v '^$' || true; } | while read -r prefix; do
            printf "UPDATE image_locations SET meta_data = '{\"store\": \"%s\"}', updated_at = '2026-01-01 00:00:00' WHERE deleted = false AND status = 'active' AND value LIKE '%s%%' AND (meta_data IS NULL OR meta_data = '{}');\n" \
                "$store" "$prefix"
        done
    done >"$work/baseline.sql"

kinds=(sqlite)
[ -n "${IMGSTORE_TEST_PG_URL:-}" ] && kinds+=(postgresql)
[ -n "${IMGSTORE_TEST_MARIADB_URL:-}" ] && kinds+=(mysql)
echo "Load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
echo
echo "| database | rows | dry run rows/s | dry run rows/CPU-s | --apply rows/s | baseline rows/s | apply / baseline | baseline rows wrong | peak RSS |"
echo "|---|---|---|---|---|---|---|---|---|"
for kind in "${kinds[@]}"; do
    admin=""
    [ "$kind" = postgresql ] && admin=$IMGSTORE_TEST_PG_URL
    [ "$kind" = mysql ] && admin=$IMGSTORE_TEST_MARIADB_URL
    "$gen" --dialect "$kind" --rows "$rows" <examples/images.jsonl >"$work/rows.$kind.sql"
    url=$(fresh "$kind" "$admin" glance_bench_a)
    timed "$work/dry" "$tool" backfill "${conf[@]}" --connection "$url"
    timed "$work/apply" "$tool" backfill "${conf[@]}" --connection "$url" --apply
    end_state "$kind" "$url" >"$work/backfill.state"
    url=$(fresh "$kind" "$admin" glance_bench_b)
    client "$kind" "$url"
    timed "$work/base" "${client_cmd[@]}" <"$work/baseline.sql"
    end_state "$kind" "$url" >"$work/baseline.state"
    wrong=$(diff "$work/backfill.state" "$work/baseline.state" | grep -c '^<' || true)
    rate() { awk -v n="$rows" '{ printf "%\047d", n / ($1 > 0 ? $1 : 1e-9) }' "$1.s"; }
    ratio=$(awk 'NR == FNR { base = $1; next } { printf "%.2f", base / $1 }' \
        "$work/base.s" "$work/apply.s")
    rss=$(cat "$work/dry.kb" "$work/apply.kb" | sort -n | tail -1 | awk '{ printf "%.1f MiB", $1 / 1024 }')
    cpu_rate=$(awk -v n="$rows" '{ printf "%\047d", n / ($1 > 0 ? $1 : 1e-9) }' "$work/dry.cpu")
    echo "| $kind | $rows | $(rate "$work/dry") | $cpu_rate | $(rate "$work/apply") | $(rate "$work/base") | $ratio | $wrong | $rss |"
    if [ "$kind" != sqlite ]; then
        printf 'DROP DATABASE IF EXISTS glance_bench_a;\nDROP DATABASE IF EXISTS glance_bench_b;\n' |
            sql "$kind" "$admin"
    fi
done
