#!/usr/bin/env bash
# Start-up time and RSS of the server, under tsx and compiled (dist/main.js, with and without loading its source
# map), interleaved: bash scripts/bench/start-up.sh [rounds=5]
# Each start gets a fresh data directory (so migrations and seeding run, as at a first start), ports 0, and no
# FreeSWITCH; time is from the spawn to the "callcenter listening" line, RSS is read 1 s after that line.
set -uo pipefail
cd "$(dirname "$0")/../.."
node scripts/build-server.mjs >/dev/null
rounds=${1:-5}
for round in $(seq "$rounds"); do
  for mode in tsx dist dist-sourcemaps; do
    case $mode in
      tsx) cmd=(node --import=tsx src/main.ts) ;;
      dist) cmd=(node dist/main.js) ;;
      dist-sourcemaps) cmd=(node --enable-source-maps dist/main.js) ;;
    esac
    dir=$(mktemp -d)
    t0=$(date +%s%N)
    CC_DATA_DIR=$dir CC_DB_PATH=$dir/cc.db CC_HTTP_PORT=0 CC_SOCKET_PORT=0 CC_FS_PORT=1 CC_LOG_LEVEL=warn \
      "${cmd[@]}" >"$dir/out" 2>&1 &
    pid=$!
    for _ in $(seq 3000); do grep -q "callcenter listening" "$dir/out" 2>/dev/null && break; sleep 0.01; done
    t1=$(date +%s%N)
    sleep 1
    rss=$(awk '/VmRSS/{print $2}' "/proc/$pid/status")
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null
    echo "round $round $mode: $(((t1 - t0) / 1000000)) ms to listening, RSS $((rss / 1024)) MiB"
    rm -rf "$dir"
  done
done
