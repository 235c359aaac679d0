#!/bin/bash
# examples/scale-out/up.sh DIR: three lockboxd on one PostgreSQL with a streaming replica,
# behind nginx as the load balancer, all on this machine's loopback and all inside DIR (a new
# or empty folder): no system service is touched. docs/scale-out.md walks through it.
#
#   DIR/postgres/primary, replica   the two PostgreSQL servers (run as `postgres` when this
#                                   runs as root, else as you), sockets in DIR/postgres/run
#   DIR/nodeN/                      lockboxd.conf, lockboxd.log, lockboxd.pid, data/
#   DIR/nginx/                      nginx.conf, error.log, access.log
#   DIR/pgpass                      the lockbox role's password, for the nodes (mode 0600)
#   DIR/env                         LOCKBOX_URL and the rest, for scripts (`. DIR/env`)
#
# Ports (loopback): nginx $LB_PORT (8090), the nodes the three after it (8091-8093); the
# primary $LB_PG_PORT (5440), the replica the one after it. Binaries: $LOCKBOXD (else
# build/lockboxd), Debian's postgresql and nginx (scripts/deps.sh test installs them).
# On failure it shows the logs and stops what it started (LB_KEEP=1 keeps it for a look).
# Stop it all and remove DIR with down.sh DIR.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

die() {
    echo "up.sh: $*" >&2
    exit 1
}

[ $# -eq 1 ] || {
    echo "usage: $0 DIR" >&2
    exit 2
}
dir=$1

LOCKBOXD=${LOCKBOXD:-$top/build/lockboxd}
port=${LB_PORT:-8090}
pg_port=${LB_PG_PORT:-5440}
node_ports=("$((port + 1))" "$((port + 2))" "$((port + 3))")
replica_port=$((pg_port + 1))

# ---- what it needs ----
bindir=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
[ -x "$bindir/pg_ctl" ] || die "PostgreSQL is not installed (scripts/deps.sh test installs it)"
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || die "nginx is not installed (scripts/deps.sh test installs nginx-light)"
command -v curl >/dev/null || die "curl is not installed"
[ -x "$LOCKBOXD" ] || die "no lockboxd at $LOCKBOXD (make build, or set LOCKBOXD)"
LOCKBOXD=$(cd "$(dirname "$LOCKBOXD")" && pwd)/$(basename "$LOCKBOXD")

for p in "$port" "${node_ports[@]}" "$pg_port" "$replica_port"; do
    if (: <"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        die "port $p on 127.0.0.1 is taken (set LB_PORT and LB_PG_PORT)"
    fi
done

if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
    die "$dir is not empty"
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# down.sh removes only a folder that holds this mark
: >"$dir/.lockbox-scale-out"
# PostgreSQL's user must pass through it; what is secret inside is mode 0600 or 0700
chmod 0711 "$dir"

# PostgreSQL refuses to run as root: as root, it runs as `postgres`
if [ "$(id -u)" -eq 0 ]; then
    pg_user=postgres
    as_pg() { runuser -u postgres -- "$@"; }
else
    pg_user=$(id -un)
    as_pg() { "$@"; }
fi
as_pg test -x "$dir" ||
    die "the $pg_user user cannot reach $dir (choose a folder every user may pass through, as /tmp)"

# ---- on failure: the logs, then stop what was started ----
started=0
on_exit() {
    local rc=$?
    [ "$started" -eq 0 ] || return 0
    echo "up.sh: failed (exit $rc); the logs:" >&2
    for log in "$dir"/postgres/{primary,basebackup,replica}.log "$dir"/node*/lockboxd.log \
        "$dir"/nginx/error.log; do
        [ -s "$log" ] || continue
        echo "--- $log" >&2
        tail -n 20 "$log" >&2
    done
    if [ "${LB_KEEP:-0}" = 1 ]; then
        echo "up.sh: kept $dir (stop it with $here/down.sh $dir)" >&2
    else
        "$here/down.sh" "$dir" >&2 || true
    fi
}
trap on_exit EXIT

secret() {
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

# waits up to $1 seconds for the command after it to succeed
wait_for() {
    local limit=$1 i=0
    shift
    until "$@"; do
        i=$((i + 1))
        [ "$i" -lt $((limit * 10)) ] || return 1
        sleep 0.1
    done
}

# ---- PostgreSQL: the primary ----
pg=$dir/postgres
mkdir -p "$pg"
[ "$pg_user" = "$(id -un)" ] || chown "$pg_user" "$pg"
chmod 0700 "$pg"
as_pg mkdir -m 0700 "$pg/run"
echo "up.sh: PostgreSQL primary on 127.0.0.1:$pg_port"
# local (socket) logins only as the same system user; TCP logins with a password
as_pg "$bindir/initdb" -D "$pg/primary" --auth-local=peer --auth-host=scram-sha-256 -E UTF8 \
    --locale=C.UTF-8 >"$pg/initdb.log" 2>&1 || die "initdb failed (see $pg/initdb.log)"
as_pg tee -a "$pg/primary/postgresql.conf" >/dev/null <<EOF

# examples/scale-out
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$pg/run'
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
EOF
as_pg "$bindir/pg_ctl" -D "$pg/primary" -l "$pg/primary.log" -w -t 60 start >/dev/null

# the role lockboxd logs in as and its database; the role the replica streams as, and a slot
# that keeps the WAL the replica has not received yet
lockbox_password=$(secret)
replicator_password=$(secret)
psql_primary() {
    as_pg "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$pg/run" -p "$pg_port" -d postgres "$@"
}
psql_primary >/dev/null <<EOF
CREATE ROLE lockbox LOGIN PASSWORD '$lockbox_password';
CREATE DATABASE lockbox OWNER lockbox;
CREATE ROLE replicator REPLICATION LOGIN PASSWORD '$replicator_password';
SELECT pg_create_physical_replication_slot('replica1');
EOF

# ---- PostgreSQL: the streaming replica ----
echo "up.sh: PostgreSQL replica on 127.0.0.1:$replica_port (streaming from the primary)"
(umask 077 && printf '127.0.0.1:%s:replication:replicator:%s\n' "$pg_port" \
    "$replicator_password" | as_pg tee "$pg/pgpass" >/dev/null)
# -R writes the replica's primary_conninfo (with the pgpass file) and standby.signal
as_pg env PGPASSFILE="$pg/pgpass" "$bindir/pg_basebackup" -h 127.0.0.1 -p "$pg_port" \
    -U replicator -D "$pg/replica" -R -S replica1 -X stream -c fast >"$pg/basebackup.log" 2>&1 ||
    die "pg_basebackup failed (see $pg/basebackup.log)"
as_pg tee -a "$pg/replica/postgresql.conf" >/dev/null <<EOF
# the replica (its primary_conninfo is in postgresql.auto.conf)
port = $replica_port
EOF
as_pg "$bindir/pg_ctl" -D "$pg/replica" -l "$pg/replica.log" -w -t 60 start >/dev/null
streaming() {
    [ "$(psql_primary -At -c "SELECT count(*) FROM pg_stat_replication
                              WHERE application_name = 'walreceiver' AND state = 'streaming'")" \
        = 1 ]
}
wait_for 30 streaming || die "the replica does not stream (see $pg/replica.log)"

# ---- lockboxd: three nodes ----
# the nodes' password file (libpq's pgpass: HOST:PORT:DATABASE:USER:PASSWORD)
(umask 077 && printf '127.0.0.1:*:lockbox:lockbox:%s\n' "$lockbox_password" >"$dir/pgpass")

healthy() {
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$1/healthz" 2>/dev/null
}

start_node() {
    local n=$1 node=$dir/node$1
    local node_port=${node_ports[$((n - 1))]}
    mkdir -p "$node/data"
    chmod 0700 "$node" "$node/data"
    sed -e "s|@DIR@|$dir|g" -e "s|@N@|$n|g" -e "s|@PORT@|$port|g" \
        -e "s|@NODE_PORT@|$node_port|g" -e "s|@PG_PORT@|$pg_port|g" \
        -e "s|@PG_REPLICA_PORT@|$replica_port|g" "$here/lockboxd.conf.in" >"$node/lockboxd.conf"
    "$LOCKBOXD" --config "$node/lockboxd.conf" </dev/null >>"$node/lockboxd.log" 2>&1 &
    echo $! >"$node/lockboxd.pid"
    echo "up.sh: lockboxd node $n on 127.0.0.1:$node_port (pid $!)"
}

node_ready() {
    local n=$1
    kill -0 "$(cat "$dir/node$n/lockboxd.pid")" 2>/dev/null ||
        die "lockboxd node $n exited (see $dir/node$n/lockboxd.log)"
    healthy "${node_ports[$((n - 1))]}"
}

node_up() {
    wait_for 30 node_ready "$1" ||
        die "lockboxd node $1 did not come up (see $dir/node$1/lockboxd.log)"
}

# node 1 first: it makes the schema, the secret key and the bootstrap admin's token
start_node 1
node_up 1
wait_for 10 test -s "$dir/node1/data/bootstrap-token" || die "node 1 wrote no bootstrap token"
# the others seal and open secrets with node 1's key (the store refuses any other)
for n in 2 3; do
    mkdir -p "$dir/node$n/data"
    chmod 0700 "$dir/node$n" "$dir/node$n/data"
    cp "$dir/node1/data/secret.key" "$dir/node$n/data/secret.key"
    chmod 0600 "$dir/node$n/data/secret.key"
    start_node "$n"
done
node_up 2
node_up 3

# ---- nginx in front ----
mkdir -p "$dir/nginx/tmp"
sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@NODE1_PORT@|${node_ports[0]}|g" \
    -e "s|@NODE2_PORT@|${node_ports[1]}|g" -e "s|@NODE3_PORT@|${node_ports[2]}|g" \
    "$here/nginx.conf.in" >"$dir/nginx/nginx.conf"
ngx=("$nginx" -p "$dir/nginx" -e "$dir/nginx/error.log" -c "$dir/nginx/nginx.conf")
"${ngx[@]}" -t -q || die "nginx refuses its configuration"
"${ngx[@]}"
echo "up.sh: nginx on 127.0.0.1:$port"
wait_for 10 healthy "$port" || die "nginx does not answer (see $dir/nginx/error.log)"

cat >"$dir/env" <<EOF
LOCKBOX_URL=http://127.0.0.1:$port
LOCKBOX_BOOTSTRAP_TOKEN_FILE=$dir/node1/data/bootstrap-token
LOCKBOX_NODES="http://127.0.0.1:${node_ports[0]} http://127.0.0.1:${node_ports[1]} http://127.0.0.1:${node_ports[2]}"
PG_PRIMARY_PORT=$pg_port
PG_REPLICA_PORT=$replica_port
PG_BINDIR=$bindir
PG_SOCKETS=$pg/run
PG_USER=$pg_user
EOF

started=1
cat <<EOF

Lockbox is up: $dir
  URL (nginx)      http://127.0.0.1:$port/
  bootstrap token  $dir/node1/data/bootstrap-token  (the admin's; LOCKBOX_TOKEN=\$(cat ...))
  nodes            127.0.0.1:${node_ports[0]}, :${node_ports[1]}, :${node_ports[2]}  (logs: $dir/node*/lockboxd.log)
  PostgreSQL       primary 127.0.0.1:$pg_port, replica 127.0.0.1:$replica_port (streaming)
  stop             $here/down.sh $dir
EOF
