#!/bin/sh
# tests/pg/cluster.sh start|stop|pause|resume DIR: a private PostgreSQL cluster for the tests,
# in DIR (made by start, removed by stop; pause stops the server keeping its data and resume
# starts it again, as an outage or a restart would), run by the `postgres` user (PostgreSQL
# refuses root) and reached only through a Unix socket in DIR/sock: no TCP port, no system
# service. start writes DIR/url, the libpq URL of its `postgres` database (trust
# authentication, for the socket only); tests make a database of their own in it. Debian's
# postgresql package provides the binaries (scripts/deps.sh test installs it).
set -eu

cmd=${1:-}
dir=${2:-}
usage="usage: $0 start|stop|pause|resume DIR"
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "$usage" >&2; exit 2; }

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] && [ -x "$bindir/pg_ctl" ] || {
    echo "cluster.sh: PostgreSQL is not installed (scripts/deps.sh test installs it)" >&2
    exit 1
}

as_postgres() {
    if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

server_start() {
    # fsync stays on: the tests check durability claims against a real cluster
    as_postgres "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses='' -c unix_socket_directories='$dir/sock' -c max_connections=300" \
        start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
}

case "$cmd" in
start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    # the postgres user must reach DIR through every parent folder
    chown postgres "$dir"
    chmod 0711 "$dir"
    as_postgres mkdir -p "$dir/data" "$dir/sock"
    as_postgres "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
        --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    server_start
    printf 'postgresql:///postgres?host=%s&user=postgres\n' "$dir/sock" >"$dir/url"
    chmod 0644 "$dir/url"
    ;;
stop)
    [ -d "$dir/data" ] && as_postgres "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop \
        >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
pause) as_postgres "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null ;;
resume)
    dir=$(cd "$dir" && pwd)
    server_start
    ;;
*) echo "$usage" >&2; exit 2 ;;
esac
