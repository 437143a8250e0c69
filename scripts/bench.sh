#!/usr/bin/env bash
# The fleet benchmark: trustgap at its defaults beside a bare crypto/tls
# dial loop (300 connections, 5 s timeout), on two estates served on
# 127.0.0.0/8 by scripts/bench (Linux):
#
#   wan       2,000 endpoints, 40 ms round trip, 10% firewalled (SYNs
#             dropped), 5% refusing: wall time
#   loopback  1,000 endpoints, jsonl: wall time and client CPU
#   rss       peak resident memory of trustgap for 10,000 and 1,000
#             endpoints
#
# usage: scripts/bench.sh [wan|loopback|rss|all] (default all); RUNS=3 runs
# each command that many times and reports the median. It builds trustgap
# and the toolbox, needs no network and no root (the kernel's 127/8 is
# enough), and is not part of go test ./...
#
# The round trip is emulated by the servers, which hold their first flight
# for two round trips (the TCP handshake and the ClientHello): tc netem
# would delay every packet, but not every kernel has it (sch_netem).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
runs=${RUNS:-3}
now=2026-06-01T12:00:00Z # testca.Epoch: the lab certificates are valid then

tmp=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
go build -o "$tmp/trustgap" ./cmd/trustgap
go build -o "$tmp/bench" ./scripts/bench

# start DIR DELAY: serve the estate in DIR until stop.
start() {
  "$tmp/bench" serve -dir "$1" -delay "$2" >"$tmp/serve.out" &
  server=$!
  for _ in $(seq 200); do
    grep -q ready "$tmp/serve.out" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench.sh: the lab server did not start" >&2
  exit 1
}
stop() {
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=
}

# run LABEL CMD...: run CMD $runs times, print the median run's figures.
run() {
  local label=$1
  shift
  : >"$tmp/m"
  for _ in $(seq "$runs"); do
    "$tmp/bench" measure -- "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    grep '^measure: ' "$tmp/err" | sed 's/^measure: //' >>"$tmp/m"
  done
  python3 - "$label" "$tmp/m" <<'EOF'
import json, sys
label, path = sys.argv[1], sys.argv[2]
rows = [json.loads(l) for l in open(path)]
rows.sort(key=lambda r: r["wall_s"])
m = rows[len(rows) // 2]
print(f"  {label:<34} wall {m['wall_s']:7.2f} s   cpu {m['cpu_s']:7.2f} s   peak rss {m['max_rss_kib']/1024:7.1f} MiB   (median of {len(rows)})")
json.dump(m, open(path + "." + label.split()[0], "w"))
EOF
}

ratio() { # ratio LABEL FIELD A B: B's FIELD over A's
  python3 - "$tmp/m.$3" "$tmp/m.$4" "$2" "$1" <<'EOF'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
print(f"  {sys.argv[4]}: {b[sys.argv[3]] / a[sys.argv[3]]:.2f}x")
EOF
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3)"

if [ "$what" = wan ] || [ "$what" = all ]; then
  echo "WAN-like estate: 2000 endpoints, 40 ms round trip, 10% firewalled, 5% refusing"
  "$tmp/bench" targets -n 2000 -dead 0.10 -refuse 0.05 -out "$tmp/wan"
  start "$tmp/wan" 80ms
  run "bare loop (-c 300, 5 s)" "$tmp/bench" dial -f "$tmp/wan/targets.txt" -c 300 -timeout 5s
  run "trustgap scan (defaults)" "$tmp/trustgap" scan -q -f "$tmp/wan/targets.txt" --roots "$tmp/wan/root.pem" --now "$now" --format jsonl
  ratio "trustgap / bare loop, wall" wall_s bare trustgap
  "$tmp/trustgap" scan -q -f "$tmp/wan/targets.txt" --roots "$tmp/wan/root.pem" --now "$now" --format jsonl >"$tmp/wan.jsonl" || true
  python3 - "$tmp/wan.jsonl" <<'EOF'
import json, sys, collections
c = collections.Counter()
for l in open(sys.argv[1]):
    t = json.loads(l)
    c[t["verdict"] + (":" + t["findings"][0]["code"] if t["verdict"] == "unreachable" else "")] += 1
print("  trustgap verdicts:", ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
EOF
  stop
fi

if [ "$what" = loopback ] || [ "$what" = all ]; then
  echo "Loopback: 1000 endpoints, jsonl"
  "$tmp/bench" targets -n 1000 -out "$tmp/lo"
  start "$tmp/lo" 0s
  run "bare loop (-c 300, 5 s)" "$tmp/bench" dial -f "$tmp/lo/targets.txt" -c 300 -timeout 5s
  run "trustgap scan (defaults)" "$tmp/trustgap" scan -q -f "$tmp/lo/targets.txt" --roots "$tmp/lo/root.pem" --now "$now" --format jsonl
  ratio "trustgap / bare loop, wall" wall_s bare trustgap
  ratio "trustgap / bare loop, client CPU" cpu_s bare trustgap
  stop
fi

if [ "$what" = rss ] || [ "$what" = all ]; then
  echo "Peak RSS: 10000 vs 1000 endpoints (loopback, jsonl)"
  for n in 1000 10000; do
    "$tmp/bench" targets -n "$n" -out "$tmp/rss$n"
    start "$tmp/rss$n" 0s
    run "$n trustgap scan (defaults)" "$tmp/trustgap" scan -q -f "$tmp/rss$n/targets.txt" --roots "$tmp/rss$n/root.pem" --now "$now" --format jsonl
    stop
  done
  python3 - "$tmp/m.1000" "$tmp/m.10000" <<'EOF'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
print(f"  peak RSS, 10000 / 1000 endpoints: {b['max_rss_kib'] / a['max_rss_kib']:.2f}x")
EOF
fi
