# Shared by the benchmarks: start lockboxd on a fresh data dir and set up a tenant to work on.
# Sourced; expects $ROOT (the repository) and sets LOCKBOXD_PID, PORT, DATA, and the fixture.

# an optimised build without fault injection (make bench makes it), else the dev build
if [ -z "${LOCKBOXD:-}" ]; then
    LOCKBOXD=$ROOT/build-release/lockboxd
    [ -x "$LOCKBOXD" ] || LOCKBOXD=$ROOT/build/lockboxd
fi

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_lockboxd() {
    DATA=${DATA:-$(mktemp -d /tmp/lockbox-bench.XXXXXX)}
    PORT=$(free_port)
    "$LOCKBOXD" --data "$DATA" --listen "127.0.0.1:$PORT" --log-level warn ${LOCKBOXD_ARGS:-} "$@" \
        2>"$DATA/lockboxd.log" &
    LOCKBOXD_PID=$!
    # START_WAIT seconds (default 10): a first start on a big store migrates it first
    for _ in $(seq 1 $((${START_WAIT:-10} * 10))); do
        curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "lockboxd did not start:" >&2
    cat "$DATA/lockboxd.log" >&2
    return 1
}

stop_lockboxd() {
    [ -n "${LOCKBOXD_PID:-}" ] && kill -TERM "$LOCKBOXD_PID" 2>/dev/null && wait "$LOCKBOXD_PID"
    LOCKBOXD_PID=
}

# limits_conf FILE: a configuration whose per-token rate limit is RATE_LIMIT calls a second
# (default 1000000, the most: on, so its cost is measured, and never reached; 0: off). The
# benchmarks load lockboxd with one token, which the default limit would pace.
limits_conf() {
    printf '[limits]\nrequests_per_second = %s\nburst = 1000000\n' "${RATE_LIMIT:-1000000}" >"$1"
}

# Creates a tenant, an engineer with an MFA session, a ticket; exports their ids and tokens.
make_fixture() {
    eval "$(python3 "$ROOT/bench/fixture.py" "http://127.0.0.1:$PORT" "$DATA/bootstrap-token")"
}

# user+system CPU ticks a process has used so far (fields 14 and 15 of /proc/PID/stat)
cpu_ticks() {
    awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$1/stat"
}
