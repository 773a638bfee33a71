#!/usr/bin/env bash
# Runs the wire benchmarks side by side and prints their table.
#   cd benchmarks && ./wire/run.sh
# Each path runs in a process of its own, so that no path inherits another's
# heap, connections or goroutines, and the paths take turns: COUNT rounds,
# each running every path once, in the opposite order every other round, so
# that a slow spell of a shared machine, or a drift, touches every path
# alike. It writes wire/results.txt (raw) and wire/RESULTS.md (the table).
#
# Environment:
#   COUNT        rounds (default 7)
#   BENCHTIME    requests per path and round (default 2000x)
#   BENCH_RATE   requests per second offered (default 1000)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
COUNT="${COUNT:-7}"
BENCHTIME="${BENCHTIME:-2000x}"
paths=(Bare Noop SentryOtel0462 OTLP Floor Otelsentry OtelsentryExact)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/wire.test" .
for ((round = 1; round <= COUNT; round++)); do
  order=("${paths[@]}")
  if ((round % 2 == 0)); then
    order=()
    for ((i = ${#paths[@]} - 1; i >= 0; i--)); do order+=("${paths[i]}"); done
  fi
  for p in "${order[@]}"; do
    "$tmp/wire.test" -test.run '^$' -test.bench "^BenchmarkRequest_${p}\$" -test.benchtime "$BENCHTIME" -test.benchmem
  done
done | tee "$tmp/results.txt"
cp "$tmp/results.txt" results.txt
(cd .. && go run ./cmd/wiretable wire/results.txt) | tee RESULTS.md
