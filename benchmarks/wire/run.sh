#!/usr/bin/env bash
# Runs the wire benchmarks side by side and prints their table.
#   cd benchmarks && ./wire/run.sh
# The test binary runs COUNT times, each time every path once, so that a slow
# spell of a shared machine touches every path alike. It writes
# wire/results.txt (raw) and wire/RESULTS.md (the table).
#
# Environment:
#   COUNT        rounds (default 5)
#   BENCHTIME    requests per path and round (default 2000x)
#   BENCH_RATE   requests per second offered (default 1000)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
COUNT="${COUNT:-5}"
BENCHTIME="${BENCHTIME:-2000x}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/wire.test" .
for ((round = 1; round <= COUNT; round++)); do
  "$tmp/wire.test" -test.run '^$' -test.bench 'Request_' -test.benchtime "$BENCHTIME" -test.benchmem
done | tee "$tmp/results.txt"
cp "$tmp/results.txt" results.txt
(cd .. && go run ./cmd/wiretable wire/results.txt) | tee RESULTS.md
