#!/usr/bin/env bash
# CPU time per query of one built geosteer tree at a paced load, for before/after comparisons of
# two checkouts on a noisy machine: at a fixed rate below saturation the server's CPU time per
# query barely depends on what else runs, while max-load qps swings by 30 % between runs here.
#
#   scripts/cpu-per-query.sh TREE udp|tcp QUERYFILE [RATE]     (TREE: a checkout with dist/ built)
#
# SERVE_ARGS adds options to `geosteer serve`: SERVE_ARGS='--threads 2' against none measures what
# the answer threads' machinery costs per query (both on CPU 0, so the figure includes switching).
#
# The server runs on CPU 0 (taskset) on a random loopback port, dnsperf on CPU 1: a 3 s warm-up,
# then 8 s measured; the server's utime+stime from /proc/PID/stat over the measured run / queries.
set -euo pipefail
tree=$1 mode=$2 qf=$(realpath "$3") rate=${4:-20000}
node=${NODE:-$(cd "$(dirname "$0")/.." && pwd)/node_modules/node/bin/node}
port=$((20000 + RANDOM % 20000))
work=$(mktemp -d)
cd "$tree"
taskset -c 0 "$node" dist/src/cli.js serve --zones zones --listen "127.0.0.1:$port" --no-watch \
  --log-level warn --state-file "$work/state.json" --admin "127.0.0.1:$((port + 1))" ${SERVE_ARGS:-} \
  >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do
  dig +short +tries=1 +time=1 @127.0.0.1 -p "$port" static.gslb.example.com A >/dev/null 2>&1 && break
  sleep 0.2
done
taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$qf" -l 3 -Q "$rate" -m "$mode" >/dev/null 2>&1
t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
out=$(taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$qf" -l 8 -Q "$rate" -m "$mode" 2>&1)
t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
n=$(awk '/Queries completed/ {print $3}' <<<"$out")
# /proc ticks are 1/100 s: (ticks * 10,000 µs) / queries.
echo "$tree ${SERVE_ARGS:-} $mode $(basename "$qf") queries=$n cpu_us_per_query=$(echo "scale=2; ($t1 - $t0) * 10000 / $n" | bc)"
