#!/bin/bash
# tests/examples/scale-out.sh [DIR]: runs examples/scale-out as an operator would. up.sh starts
# a PostgreSQL primary and streaming replica, three lockboxd and nginx in DIR; then, through
# nginx only: the bootstrap admin makes a tenant and its users, an engineer's request is
# approved and honoured by the access check, the calls were spread over all three nodes, the
# client's address reached the audit log through X-Forwarded-For; one node is killed (-9) and
# every call still succeeds; the replica holds the requests; down.sh stops it all and removes
# DIR, leaving no process behind. Whatever happens, the trap runs down.sh. DIR defaults to a
# new temporary folder (CTest passes one of its own, so a run it killed is cleaned up by the
# next). $LOCKBOXD and $LOCKBOX name the binaries (else build/). Exit 77: a tool is missing.
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
example=$src/examples/scale-out
LOCKBOXD=${LOCKBOXD:-$src/build/lockboxd}
LOCKBOX=${LOCKBOX:-$src/build/lockbox}
export LOCKBOXD

skip() {
    echo "SKIP: $*"
    exit 77
}
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
ok() {
    echo "ok - $*"
}

[ -x "$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/pg_ctl" ] ||
    skip "PostgreSQL is not installed (scripts/deps.sh test)"
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || skip "nginx is not installed"
for tool in curl oathtool; do
    command -v "$tool" >/dev/null || skip "$tool is not installed"
done
for bin in "$LOCKBOXD" "$LOCKBOX"; do
    [ -x "$bin" ] || fail "no $bin (make build)"
done

t=$(mktemp -d /tmp/lockbox-scale-out-test.XXXXXX)
chmod 0711 "$t"
dir=${1:-$t/run}
cleanup() {
    "$example/down.sh" "$dir" >/dev/null 2>&1 || true
    rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
# a run killed before its trap left these
"$example/down.sh" "$dir" >/dev/null 2>&1 || true

# six free loopback ports in a row: nginx, three nodes, the primary, the replica
free() {
    ! (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
base=
for _ in $(seq 40); do
    b=$((20000 + (RANDOM % 1500) * 8)) # below the kernel's ephemeral ports (32768-)
    if free "$b" && free $((b + 1)) && free $((b + 2)) && free $((b + 3)) &&
        free $((b + 4)) && free $((b + 5)); then
        base=$b
        break
    fi
done
[ -n "$base" ] || fail "no six free ports in a row on 127.0.0.1"

start=$(date +%s)
LB_PORT=$base LB_PG_PORT=$((base + 4)) "$example/up.sh" "$dir" || fail "up.sh failed"
# shellcheck source=/dev/null
. "$dir/env"
export LOCKBOX_URL
ok "up in $(($(date +%s) - start)) s: $LOCKBOX_URL"

# each person has a CLI configuration of their own (lockbox login saves the session there)
as() {
    local who=$1
    shift
    mkdir -p "$t/cli/$who"
    XDG_CONFIG_HOME=$t/cli/$who "$LOCKBOX" "$@"
}
admin() {
    LOCKBOX_TOKEN=$(cat "$LOCKBOX_BOOTSTRAP_TOKEN_FILE") as admin "$@"
}
VM1=/subscriptions/s1/vms/vm1
VM2=/subscriptions/s1/vms/vm2

# ---- the platform admin: a tenant, an engineer with TOTP, a door's enforcer token ----
echo alice-password | admin --quiet tenant create contoso --plan developer \
    --resource-scope /subscriptions/s1 --admin-username alice \
    --admin-email alice@contoso.example --password-stdin
SECRET=$(echo eve-password | admin --field totp_secret user create --username eve \
    --email eve@provider.example --role support_engineer --isolated --totp --password-stdin)
echo door-password | admin --quiet user create --username door --email door@provider.example \
    --role enforcer --password-stdin
DOOR=$(admin --field token token create door --name "scale-out test door")
ok "the bootstrap admin made a tenant, an engineer and a door's token"

# ---- the customer: an approver and a ticket; the engineer asks, the approver approves ----
echo alice-password | as alice --quiet login --username alice --password-stdin
echo bob-password | as alice --quiet user create --tenant contoso --username bob \
    --email bob@contoso.example --role lockbox_approver --password-stdin
TICKET=$(as alice --field id ticket create --tenant contoso --title 'vm1 does not boot' \
    --description 'since this morning' --severity high)
echo eve-password | as eve --quiet login --username eve --totp "$(oathtool --totp -b "$SECRET")" \
    --password-stdin
REQ=$(as eve --field id request create --tenant contoso --ticket "$TICKET" \
    --type vm.remote_access --resource "$VM1" --level read --justification 'read the boot log' \
    --duration 1h)
echo bob-password | as bob --quiet login --username bob --password-stdin
as bob --quiet request approve "$REQ" --reason 'go ahead'
ok "request $REQ made and approved through nginx"

check() { # RESOURCE: the door asks; exit 0 allowed, 3 denied
    LOCKBOX_TOKEN=$DOOR as door --quiet check --operator eve --resource "$1" --level read
}
for _ in $(seq 9); do
    check "$VM1" || fail "the access check does not allow eve on $VM1"
done
rc=0
check "$VM2" || rc=$?
[ "$rc" -eq 3 ] || fail "the access check answers $rc for a resource with no grant (want 3)"
ok "the access check allows the grant (9 times) and denies what it does not cover"

# ---- every node served some of those calls ----
served() { # N: the API calls node N answered
    grep -c 'http method=[A-Z]* path="/api/v1/' "$dir/node$1/lockboxd.log" || true
}
for n in 1 2 3; do
    count=$(served "$n")
    [ "$count" -gt 0 ] || fail "node $n served no API call"
    echo "  node $n served $count API calls"
done
ok "nginx spread the calls over the three nodes"

# ---- the audit log has the client's address, not nginx's ----
code=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 -X POST \
    -H 'Content-Type: application/json' -d '{"username":"bob","password":"bob-password"}' \
    "$LOCKBOX_URL/api/v1/login")
[ "$code" = 200 ] || fail "bob's login from 127.0.0.2 answered $code"
admin --json audit search --actor bob --activity auth.login | grep -q '"client_ip":"127.0.0.2"' ||
    fail "the audit log does not have bob's login from 127.0.0.2 (X-Forwarded-For)"
ok "a login from 127.0.0.2 through nginx is audited with client_ip 127.0.0.2"

# ---- kill -9 one node: nginx carries on with the other two ----
pid=$(cat "$dir/node2/lockboxd.pid")
kill -KILL "$pid"
# gone, or a zombie nobody has reaped yet: either way its sockets are closed
until state=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1) && [ "$state" = Z ] ||
    [ ! -e "/proc/$pid" ]; do
    sleep 0.05
done
ok "node 2 (pid $pid) killed with SIGKILL"
before=$(($(served 1) + $(served 3)))
for _ in $(seq 9); do
    check "$VM1" || fail "after the kill, the access check does not allow eve on $VM1"
done
REQ2=$(as eve --field id request create --tenant contoso --ticket "$TICKET" \
    --type vm.remote_access --resource "$VM2" --level read --justification 'and vm2' \
    --duration 1h) || fail "after the kill, a request cannot be made"
as bob --quiet request approve "$REQ2" || fail "after the kill, the request cannot be approved"
check "$VM2" || fail "after the kill, the new grant is not honoured"
[ "$(as bob --field status request show "$REQ")" = approved ] ||
    fail "after the kill, the first request is not approved any more"
after=$(($(served 1) + $(served 3)))
[ "$after" -ge $((before + 13)) ] ||
    fail "nodes 1 and 3 served $((after - before)) of the 13 calls made after the kill"
if grep -q '" 50[0-9] ' "$dir/nginx/access.log"; then
    fail "nginx answered a 5xx: $(grep '" 50[0-9] ' "$dir/nginx/access.log" | head -n 3)"
fi
ok "after the kill every call succeeded (nodes 1 and 3 served them; no 5xx from nginx)"

# ---- the streaming replica holds the data ----
replica_sql() {
    local cmd=("$PG_BINDIR/psql" -X -At -h "$PG_SOCKETS" -p "$PG_REPLICA_PORT" -d lockbox -c "$1")
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "${cmd[@]}"
    else
        "${cmd[@]}"
    fi
}
[ "$(replica_sql 'SELECT pg_is_in_recovery()')" = t ] || fail "the replica is not a standby"
want="$REQ approved
$REQ2 approved"
for _ in $(seq 50); do
    got=$(replica_sql "SELECT id || ' ' || status FROM requests
                       WHERE id IN ('$REQ', '$REQ2') ORDER BY seq")
    [ "$got" = "$want" ] && break
    sleep 0.1
done
[ "$got" = "$want" ] || fail "the replica has [$got], want [$want]"
ok "the replica (a standby) holds both approved requests"

# ---- down.sh stops it all and removes DIR ----
"$example/down.sh" "$dir" >/dev/null
[ ! -e "$dir" ] || fail "down.sh left $dir"
left=$(grep -lsF "$dir/" /proc/[0-9]*/cmdline || true)
[ -z "$left" ] || fail "down.sh left processes: $left"
ok "down.sh stopped everything and removed $dir ($(($(date +%s) - start)) s in all)"
