#!/usr/bin/env bash
# Throw-away PostgreSQL 15 and MariaDB 10.11 servers for the database tests, from Debian's
# packages, with no systemd and no network: data and unix sockets live in DIR.
#
#   tools/db-servers.sh start DIR   initdb / mariadb-install-db in DIR (created, must not hold a
#                                   previous run), start both servers, create a `glance`
#                                   database and user (random password) in each, load Glance's
#                                   schema (tests/data/glance-schema), write DIR/env and print it
#   tools/db-servers.sh env DIR     print the environment of a started DIR:
#                                   IMGSTORE_TEST_PG_URL, IMGSTORE_TEST_MARIADB_URL
#   tools/db-servers.sh stop DIR    stop both servers and remove DIR
#
# As root, the servers run as `nobody` (PostgreSQL refuses to run as root), so DIR must be
# reachable by it: use a directory under /tmp (mktemp -d). The `glance` users may create
# databases whose names start with `glance` (the tests make one per test), nothing else.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
schema="$here/tests/data/glance-schema"
pg_bin=/usr/lib/postgresql/15/bin

usage() {
    echo "usage: $0 start|env|stop DIR" >&2
    exit 2
}
[ $# -eq 2 ] || usage
cmd=$1
dir=$2

as_server_user() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u nobody -- "$@"
    else
        "$@"
    fi
}

start() {
    if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
        echo "db-servers: $dir is not empty (stop the previous run first)" >&2
        exit 1
    fi
    mkdir -p "$dir/run" "$dir/pg" "$dir/mariadb"
    dir="$(cd "$dir" && pwd)"
    chmod 755 "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown nobody "$dir/run" "$dir/pg" "$dir/mariadb"
    fi
    local pw_pg pw_my
    pw_pg="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
    pw_my="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"

    # PostgreSQL: the superuser reaches the socket without a password, every other user
    # needs one (so a test can see a wrong password refused).
    as_server_user "$pg_bin/initdb" -D "$dir/pg/data" -U postgres -A trust -E UTF8 \
        --locale=C.UTF-8 >"$dir/pg/initdb.log"
    cat >"$dir/pg/data/pg_hba.conf" <<HBA
local all postgres trust
local all all scram-sha-256
HBA
    as_server_user "$pg_bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w \
        -o "-c listen_addresses='' -c unix_socket_directories=$dir/run -c synchronous_commit=off" \
        start >/dev/null
    local psql=(psql -X -q -v ON_ERROR_STOP=1 -h "$dir/run" -U postgres)
    "${psql[@]}" -d postgres -c "CREATE ROLE glance LOGIN CREATEDB PASSWORD '$pw_pg'" \
        -c "CREATE DATABASE glance OWNER glance"
    PGPASSWORD="$pw_pg" psql -X -q -v ON_ERROR_STOP=1 -h "$dir/run" -U glance -d glance \
        -f "$schema/postgresql.sql" >/dev/null

    # MariaDB: no networking; root by socket without a password (as the OS user root or
    # the server's user); glance with a password.
    local sock="$dir/run/mysqld.sock"
    local user_opt=()
    [ "$(id -u)" -eq 0 ] && user_opt=(--user=nobody)
    mariadb-install-db --no-defaults --datadir="$dir/mariadb/data" "${user_opt[@]}" \
        --auth-root-authentication-method=normal --skip-test-db >"$dir/mariadb/install.log" 2>&1
    mariadbd --no-defaults --datadir="$dir/mariadb/data" "${user_opt[@]}" --socket="$sock" \
        --skip-networking --pid-file="$dir/mariadb/mariadbd.pid" \
        --log-error="$dir/mariadb/server.log" --innodb-flush-log-at-trx-commit=2 \
        --innodb-buffer-pool-size=128M >/dev/null 2>&1 &
    for _ in $(seq 1 60); do
        mariadb-admin --no-defaults -S "$sock" -u root ping >/dev/null 2>&1 && break
        sleep 0.5
    done
    mariadb-admin --no-defaults -S "$sock" -u root ping >/dev/null
    mariadb --no-defaults -S "$sock" -u root -e "
        CREATE DATABASE glance;
        CREATE USER 'glance'@'localhost' IDENTIFIED BY '$pw_my';
        GRANT ALL PRIVILEGES ON \`glance%\`.* TO 'glance'@'localhost';"
    # The dump lists tables by name, before the tables their foreign keys name (mariadb-dump
    # itself would have switched the checks off around them).
    { echo "SET FOREIGN_KEY_CHECKS = 0;"; cat "$schema/mysql.sql"; } |
        mariadb --no-defaults -S "$sock" -u glance -p"$pw_my" glance

    cat >"$dir/env" <<ENV
export IMGSTORE_TEST_PG_URL='postgresql+psycopg2://glance:$pw_pg@/glance?host=$dir/run'
export IMGSTORE_TEST_MARIADB_URL='mysql+pymysql://glance:$pw_my@localhost/glance?unix_socket=$sock&charset=utf8'
ENV
    chmod 600 "$dir/env"
    cat "$dir/env"
}

stop() {
    [ -d "$dir" ] || exit 0
    if [ -f "$dir/pg/data/postmaster.pid" ]; then
        as_server_user "$pg_bin/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null || true
    fi
    if [ -f "$dir/mariadb/mariadbd.pid" ]; then
        local pid
        pid="$(cat "$dir/mariadb/mariadbd.pid")"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 60); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
    fi
    rm -rf "$dir"
}

case "$cmd" in
    start) start ;;
    env) cat "$dir/env" ;;
    stop) stop ;;
    *) usage ;;
esac
