#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests (issue 19): `cluster.sh start DIR` makes DIR, initialises a cluster in
# it, starts it listening only on a Unix socket inside DIR (no TCP port to collide on, reachable from the live tier's
# network namespaces, since a socket is a file), and prints its URL; `cluster.sh stop DIR` stops it and removes DIR.
# PostgreSQL refuses to run as root: as root the cluster runs as the `postgres` user the Debian package creates.
# Password authentication is on even on the socket, so the tests can prove a wrong password is reported clearly.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi

bin=${PG_BIN:-}
if [ -z "$bin" ]; then
  for v in 15 16 17 14; do
    [ -x "/usr/lib/postgresql/$v/bin/initdb" ] && { bin=/usr/lib/postgresql/$v/bin; break; }
  done
fi
if [ -z "$bin" ]; then
  echo "PostgreSQL is not installed (Debian package postgresql; scripts/setup.sh --test installs it)" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    mkdir -p "$dir/run"
    [ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
    chmod 0700 "$dir"
    password=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
    (umask 077; printf '%s\n' "$password" > "$dir/pwfile")
    [ "$(id -u)" = 0 ] && chown postgres: "$dir/pwfile"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" -E UTF8 --locale=C.UTF-8 \
      --auth-local=scram-sha-256 --auth-host=scram-sha-256 --no-sync >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    # Durability settings off: the cluster lives for one test run. Memory kept small: 2 cores, 6 engineers.
    # CC_PG_DURABLE=1 (the benchmarks): PostgreSQL's defaults, every commit flushed, as a real installation runs.
    durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [ "${CC_PG_DURABLE:-}" = 1 ] && durability=""
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -s \
      -o "-c listen_addresses='' -c unix_socket_directories='$dir/run' -c port=5432 $durability \
-c max_connections=300 -c shared_buffers=32MB" start ||
      { cat "$dir/server.log" >&2; exit 1; }
    echo "postgresql://postgres:$password@localhost:5432/postgres?host=$dir/run"
    ;;
  stop)
    [ -d "$dir" ] || exit 0
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -s stop || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
