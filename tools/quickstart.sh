#!/usr/bin/env bash
# Quick start, first command: install what is missing, build the tool (Release), check the
# shipped example config and stamp the shipped legacy locations with it, showing the summary;
# then build a small SQLite Glance database from the same records and run `imgstore backfill`
# on it, a dry run and then --apply, showing each summary.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/install-deps.sh
cmake --preset release -DIMGSTORE_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build --preset release --target imgstore_cli

tool=build/release/tools/imgstore
echo "== imgstore check --config-file examples/glance-api.conf"
"$tool" check --config-file examples/glance-api.conf
echo
echo "== imgstore stamp --config-file examples/glance-api.conf --input examples/images.jsonl"
out=$(mktemp)
status=0
"$tool" stamp --config-file examples/glance-api.conf --volume-types examples/volume-types.tsv \
    --input examples/images.jsonl --output "$out" || status=$?
echo "stamped records: $out (exit status $status: 3 means malformed input lines were reported" \
     "and copied through, as the example contains some on purpose)"
echo
# The main job: Glance's own database. A small SQLite database with Glance's schema, filled with
# the same example records, then `imgstore backfill` on it: a dry run, then --apply with a
# journal that `--undo` would restore.
cmake --build --preset release --target imgstore_gen_glance_db
db_dir=$(mktemp -d)
db="$db_dir/glance.sqlite"
sqlite3 "$db" <tests/data/glance-schema/sqlite.sql
build/release/tools/imgstore_gen_glance_db --dialect sqlite <examples/images.jsonl | sqlite3 "$db"
backfill=("$tool" backfill --config-file examples/glance-api.conf
    --volume-types examples/volume-types.tsv --connection "sqlite:///$db")
echo "== imgstore backfill ... --connection sqlite:///$db   (dry run: writes nothing)"
"${backfill[@]}"
echo
echo "== imgstore backfill ... --apply --journal $db_dir/journal"
"${backfill[@]}" --apply --journal "$db_dir/journal" --changes "$db_dir/changes.jsonl"
echo "database: $db; one line per decision: $db_dir/changes.jsonl;" \
     "undo with: imgstore backfill ... --undo $db_dir/journal --apply"
