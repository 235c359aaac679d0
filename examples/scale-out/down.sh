#!/bin/bash
# examples/scale-out/down.sh DIR: stops what up.sh DIR started (nginx, the three lockboxd, the
# replica, the primary) and removes DIR. Safe to run on a half-started DIR, or twice. Only
# processes whose command line names DIR are signalled, and only a folder up.sh made (it holds
# DIR/.lockbox-scale-out) is removed.
set -eu

[ $# -eq 1 ] || {
    echo "usage: $0 DIR" >&2
    exit 2
}
[ -e "$1" ] || exit 0
dir=$(cd "$1" && pwd)
[ -e "$dir/.lockbox-scale-out" ] || {
    echo "down.sh: $dir was not made by up.sh (no .lockbox-scale-out): left alone" >&2
    exit 1
}

# true while pid runs (a zombie has ended) and its command line names DIR
ours() {
    local pid=$1 state
    [ -r "/proc/$pid/stat" ] || return 1
    state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1) || return 1
    [ "$state" != Z ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$dir/"
}

# signals pid with $2, waits up to $3 seconds for it to end, then kills it
stop_pid() {
    local pid=$1 sig=$2 limit=$3 i=0
    ours "$pid" || return 0
    kill "-$sig" "$pid" 2>/dev/null || return 0
    while ours "$pid"; do
        i=$((i + 1))
        if [ "$i" -ge $((limit * 10)) ]; then
            echo "down.sh: pid $pid did not end on SIG$sig: killed" >&2
            kill -KILL "$pid" 2>/dev/null || true
            return 0
        fi
        sleep 0.1
    done
}

pidfile_stop() {
    local file=$1 sig=$2 limit=$3 pid
    [ -s "$file" ] || return 0
    pid=$(head -n 1 "$file")
    case "$pid" in '' | *[!0-9]*) return 0 ;; esac
    stop_pid "$pid" "$sig" "$limit"
}

# nginx first (QUIT: let calls in flight finish), then the nodes (TERM: lockboxd finishes
# its calls and exits 0)
pidfile_stop "$dir/nginx/nginx.pid" QUIT 10
for node in "$dir"/node*; do
    pidfile_stop "$node/lockboxd.pid" TERM 20
done

# PostgreSQL: the replica, then the primary
bindir=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
if [ "$(id -u)" -eq 0 ]; then
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi
for server in replica primary; do
    data=$dir/postgres/$server
    [ -f "$data/postmaster.pid" ] || continue
    as_pg "$bindir/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
        pidfile_stop "$data/postmaster.pid" KILL 5
done

rm -rf "$dir"
echo "down.sh: stopped and removed $dir"
