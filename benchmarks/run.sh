#!/usr/bin/env bash
# Runs the benchmarks of this module side by side and writes:
#   results.txt  the raw go test -bench output (benchstat reads it too)
#   RESULTS.md   the medians as Markdown tables, made by ./cmd/benchtable
# and prints RESULTS.md.
#
# The test binary runs COUNT times, each time every benchmark once, so that
# the runs of the variants compared are spread alike over the minutes the
# whole takes: a slow spell of a shared machine then touches every variant
# instead of the one that happened to run in it.
#
# Environment:
#   COUNT      rounds, and so runs of each benchmark (default 5)
#   BENCHTIME  go test -benchtime of each run (default 1s)
#   BENCH      go test -bench pattern (default ., every benchmark)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

COUNT="${COUNT:-5}"
BENCHTIME="${BENCHTIME:-1s}"
BENCH="${BENCH:-.}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp" results.txt.tmp RESULTS.md.tmp' EXIT

go test -c -o "$tmp/benchmarks.test" .
{
  echo "go: $(go env GOVERSION)"
  for ((round = 1; round <= COUNT; round++)); do
    "$tmp/benchmarks.test" -test.run '^$' -test.bench "$BENCH" -test.benchmem \
      -test.count 1 -test.benchtime "$BENCHTIME"
  done
} | tee results.txt.tmp
mv results.txt.tmp results.txt

go run ./cmd/benchtable results.txt >RESULTS.md.tmp
mv RESULTS.md.tmp RESULTS.md
echo
cat RESULTS.md
