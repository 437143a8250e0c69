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
# usage: scripts/bench.sh [wan|loopback|rss|all] (default all). Each command
# runs RUNS times (default 5), trustgap and the loop alternately; the
# fastest run (other load on the machine only ever adds) and the median are
# reported, and the ratios of both. It builds trustgap
# and the toolbox, needs no network and no root (the kernel's 127/8 is
# enough), and is not part of go test ./...
#
# The round trip is emulated by the servers, which hold their first flight
# for two round trips (the TCP handshake and the ClientHello): tc netem
# would delay every packet, but not every kernel has it (sch_netem).
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
runs=${RUNS:-5}
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

# measure NAME CMD...: run CMD once, append its figures to $tmp/NAME.
measure() {
  local name=$1
  shift
  "$tmp/bench" measure -- "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  grep '^measure: ' "$tmp/err" | sed 's/^measure: //' >>"$tmp/$name"
}

# report NAME LABEL: the fastest and the median of NAME's runs.
report() {
  python3 - "$tmp/$1" "$2" <<'EOF'
import json, sys
rows = sorted((json.loads(l) for l in open(sys.argv[1])), key=lambda r: r["wall_s"])
best, med = rows[0], rows[len(rows) // 2]
cpu = sorted(r["cpu_s"] for r in rows)
rss = sorted(r["max_rss_kib"] for r in rows)
print(f"  {sys.argv[2]:<30} wall {best['wall_s']:6.2f} s (median {med['wall_s']:6.2f})   cpu {cpu[0]:6.2f} s (median {cpu[len(cpu)//2]:6.2f})   peak rss {rss[len(rss)//2]/1024:6.1f} MiB")
EOF
}

# ratio FIELD A B LABEL: B's FIELD over A's, for the least disturbed runs
# (the minimum: other load on the machine only ever adds) and the medians.
ratio() {
  python3 - "$tmp/$2" "$tmp/$3" "$1" "$4" <<'EOF'
import json, sys
def vals(p, f):
    return sorted(json.loads(l)[f] for l in open(p))
a, b = vals(sys.argv[1], sys.argv[3]), vals(sys.argv[2], sys.argv[3])
print(f"  {sys.argv[4]}: {b[0] / a[0]:.2f}x (medians: {b[len(b)//2] / a[len(a)//2]:.2f}x)")
EOF
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3)"

if [ "$what" = wan ] || [ "$what" = all ]; then
  echo "WAN-like estate: 2000 endpoints, 40 ms round trip, 10% firewalled, 5% refusing"
  "$tmp/bench" targets -n 2000 -dead 0.10 -refuse 0.05 -out "$tmp/wan"
  start "$tmp/wan" 80ms
  for _ in $(seq "$runs"); do # alternately, so that both meet the same load
    measure wan-bare "$tmp/bench" dial -f "$tmp/wan/targets.txt" -c 300 -timeout 5s
    measure wan-trustgap "$tmp/trustgap" scan -q -f "$tmp/wan/targets.txt" --roots "$tmp/wan/root.pem" --now "$now" --format jsonl
  done
  report wan-bare "bare loop (-c 300, 5 s)"
  report wan-trustgap "trustgap scan (defaults)"
  ratio wall_s wan-bare wan-trustgap "trustgap / bare loop, wall"
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
  for _ in $(seq "$runs"); do
    measure lo-bare "$tmp/bench" dial -f "$tmp/lo/targets.txt" -c 300 -timeout 5s
    measure lo-trustgap "$tmp/trustgap" scan -q -f "$tmp/lo/targets.txt" --roots "$tmp/lo/root.pem" --now "$now" --format jsonl
  done
  report lo-bare "bare loop (-c 300, 5 s)"
  report lo-trustgap "trustgap scan (defaults)"
  ratio wall_s lo-bare lo-trustgap "trustgap / bare loop, wall"
  ratio cpu_s lo-bare lo-trustgap "trustgap / bare loop, client CPU"
  stop
fi

if [ "$what" = rss ] || [ "$what" = all ]; then
  echo "Peak RSS: 10000 vs 1000 endpoints (loopback, jsonl)"
  for n in 1000 10000; do
    "$tmp/bench" targets -n "$n" -out "$tmp/rss$n"
    start "$tmp/rss$n" 0s
    for _ in $(seq "$runs"); do
      measure "rss-$n" "$tmp/trustgap" scan -q -f "$tmp/rss$n/targets.txt" --roots "$tmp/rss$n/root.pem" --now "$now" --format jsonl
    done
    report "rss-$n" "trustgap scan, $n endpoints"
    stop
  done
  python3 - "$tmp/rss-1000" "$tmp/rss-10000" <<'EOF'
import json, sys
def med(p):
    v = sorted(json.loads(l)["max_rss_kib"] for l in open(p))
    return v[len(v) // 2]
print(f"  peak RSS (medians), 10000 / 1000 endpoints: {med(sys.argv[2]) / med(sys.argv[1]):.2f}x")
EOF
fi
