#!/usr/bin/env bash
# Quick start, first command: install what is missing, build the tool (Release), check the
# shipped example config and stamp the shipped legacy locations with it, showing the summary;
# then build a small SQLite Glance database from the same records and run `imgstore backfill`
# on it, a dry run and then --apply, showing each summary.
# With --serve, instead: build imgstore-service, make an example Glance database (SQLite, one
# legacy unstamped image with its data, one queued image) with two file stores under a
# temporary directory, print the requests to try, and run the service on 127.0.0.1:9292 in the
# foreground (Ctrl-C stops it). The service has NO AUTHENTICATION.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--serve" ]; then
    bash tools/install-deps.sh
    cmake --preset release -DIMGSTORE_BUILD_BENCHMARKS=OFF >/dev/null
    cmake --build --preset release --target imgstore_service imgstore_gen_glance_db
    dir=$(mktemp -d /tmp/imgstore-quickstart.XXXXXX)
    mkdir -p "$dir/fast" "$dir/archive"
    legacy=0b5e1c2a-0000-4000-8000-000000000001
    queued=0b5e1c2a-0000-4000-8000-000000000002
    printf 'an example image\n' > "$dir/archive/$legacy"
    # The two images as Glance shows them, made into rows by the generator the first quick
    # start uses: one legacy location without a store, one queued image without data.
    cat > "$dir/images.jsonl" <<JSONL
{"id": "$legacy", "name": "legacy", "status": "active", "size": $(wc -c < "$dir/archive/$legacy"), "checksum": "$(md5sum < "$dir/archive/$legacy" | cut -d' ' -f1)", "locations": [{"url": "file://$dir/archive/$legacy"}]}
{"id": "$queued", "name": "empty", "status": "queued", "locations": []}
JSONL
    sqlite3 "$dir/glance.sqlite" < tests/data/glance-schema/sqlite.sql
    build/release/tools/imgstore_gen_glance_db --dialect sqlite < "$dir/images.jsonl" |
        sqlite3 "$dir/glance.sqlite"
    cat > "$dir/glance-api.conf" <<CONF
[DEFAULT]
enabled_backends = fast:file, archive:file
[glance_store]
default_backend = fast
[fast]
store_description = Local SSD
filesystem_store_datadir = $dir/fast
[archive]
filesystem_store_datadir = $dir/archive
[database]
connection = sqlite:///$dir/glance.sqlite
CONF
    base=http://127.0.0.1:9292
    echo "== example Glance database and stores in $dir; try, from another terminal:"
    echo "curl $base/v2/info/stores"
    echo "curl $base/v2/images/$legacy            # stamped 'archive' and saved on this first GET"
    echo "curl $base/v2/images/$legacy/file"
    echo "curl -X PUT -H 'Content-Type: application/octet-stream' -H 'X-Image-Meta-Store: archive'" \
         "--data-binary @README.md $base/v2/images/$queued/file"
    echo "kill -HUP <pid>   # rereads $dir/glance-api.conf"
    exec build/release/service/imgstore-service --config-file "$dir/glance-api.conf"
fi

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
