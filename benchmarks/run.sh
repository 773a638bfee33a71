#!/usr/bin/env bash
# Runs the benchmarks of this module side by side and writes:
#   results.txt  the raw go test -bench output (benchstat reads it too)
#   RESULTS.md   the medians as Markdown tables, made by ./cmd/benchtable
# and prints RESULTS.md.
#
# Environment:
#   COUNT      runs of each benchmark (default 5)
#   BENCHTIME  go test -benchtime of each run (default 1s)
#   BENCH      go test -bench pattern (default ., every benchmark)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

COUNT="${COUNT:-5}"
BENCHTIME="${BENCHTIME:-1s}"
BENCH="${BENCH:-.}"

trap 'rm -f results.txt.tmp RESULTS.md.tmp' EXIT

{
  echo "go: $(go env GOVERSION)"
  go test -run '^$' -bench "$BENCH" -benchmem -count "$COUNT" -benchtime "$BENCHTIME" .
} | tee results.txt.tmp
mv results.txt.tmp results.txt

go run ./cmd/benchtable results.txt >RESULTS.md.tmp
mv RESULTS.md.tmp RESULTS.md
echo
cat RESULTS.md
