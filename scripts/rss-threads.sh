#!/usr/bin/env bash
# Resident memory of the built server on the example configuration (the example zone, the default
# DB-IP database) with N answer threads, after start and 200 answered queries:
#
#   scripts/rss-threads.sh N...        e.g. scripts/rss-threads.sh 1 4   (needs `npm run build`)
#
# Issue #11's budget: RSS with 4 threads at most RSS with 1 thread + 4 x 30 MiB. Threads 1 is the
# default: the main thread answers.
set -euo pipefail
cd "$(dirname "$0")/.."
node=${NODE:-node_modules/node/bin/node}
for n in "$@"; do
  port=$((30000 + RANDOM % 20000))
  work=$(mktemp -d)
  "$node" dist/src/cli.js serve --config geosteer.yaml --listen "127.0.0.1:$port" --no-watch \
    --state-file "$work/state.json" --admin "127.0.0.1:$((port + 1))" --threads "$n" \
    --log-level warn >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    dig +short +tries=1 +time=1 @127.0.0.1 -p "$port" static.gslb.example.com A >/dev/null 2>&1 && break
    sleep 0.2
  done
  # Every thread opens its sockets before the admin API does; then a few answers warm the caches.
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$((port + 1))/status" >/dev/null 2>&1 && break
    sleep 0.2
  done
  for _ in $(seq 200); do dig +short +tries=1 +time=1 @127.0.0.1 -p "$port" static.gslb.example.com A >/dev/null; done
  echo "threads=$n rss_mib=$(($(awk '/VmRSS/ {print $2}' "/proc/$pid/status") / 1024)) peak_mib=$(($(awk '/VmHWM/ {print $2}' "/proc/$pid/status") / 1024))"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  rm -rf "$work"
done
