#!/usr/bin/env bash
# The project's single test command: ./scripts/test.sh
#
# Starts a private RabbitMQ broker on 127.0.0.1 (installing it from Debian's
# packages if needed), then runs, in order:
#   root module:        go vet ./...; go test -race -count=1 ./...;
#                       the request-path block-profile test without -race;
#                       a short fuzz run of every Fuzz* target in the root package
#   examples/ module:   scripts/web.sh (chromium, npm ci, the page's bundle);
#                       go vet ./...; go test -race -count=1 ./...        (if examples/go.mod exists)
#   autoprop/ module:   go vet ./...; go test -race -count=1 ./...
#   benchmarks/ module: go vet ./...; go test -race -count=1 ./...;
#                       go test -run '^$' -bench . -benchtime 1x ./...   (if benchmarks/go.mod exists)
# Every step runs even if an earlier one failed; the script exits non-zero if
# any step failed, and the broker is always stopped on exit.
#
# Environment:
#   FUZZTIME       duration of each fuzz target's run (default 10s)
#   RABBITMQ_PORT  AMQP port of the test broker (default 5672)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

FUZZTIME="${FUZZTIME:-10s}"

FAILED=()
PASSED=0

# step NAME DIR CMD...: run CMD in DIR, record the outcome, never abort.
step() {
  local name="$1" dir="$2"
  shift 2
  echo
  echo "=== ${name}: (cd ${dir} && $*)"
  local rc=0
  (cd "$dir" && "$@") || rc=$?
  if [ "$rc" -eq 0 ]; then
    PASSED=$((PASSED + 1))
    echo "--- ok: ${name}"
  else
    FAILED+=("$name")
    echo "--- FAILED (exit ${rc}): ${name}"
  fi
}

# fuzz_once NAME: runs one fuzz target for FUZZTIME. The fuzzer itself
# sometimes ends with "context deadline exceeded" when the time runs out
# while a worker is busy, with no failing input: that run is tried once
# more. A real failure writes its input under testdata/fuzz and fails.
fuzz_once() {
  local out rc=0
  out="$(go test -run '^$' -fuzz "^$1\$" -fuzztime "$FUZZTIME" . 2>&1)" || rc=$?
  printf '%s\n' "$out"
  if [ "$rc" -ne 0 ] && grep -q 'context deadline exceeded' <<<"$out" && ! grep -q 'Failing input written' <<<"$out"; then
    echo "=== the fuzzer ran out of time in a worker, not on an input: once more"
    go test -run '^$' -fuzz "^$1\$" -fuzztime "$FUZZTIME" .
    return
  fi
  return "$rc"
}

# --- broker ----------------------------------------------------------------
echo "=== $(go version)"
echo "=== starting RabbitMQ"
# shellcheck source=scripts/with-broker.bash
source "$ROOT/scripts/with-broker.bash"
echo "=== OTELSENTRY_AMQP_URL=${OTELSENTRY_AMQP_URL}"

# --- root module -----------------------------------------------------------
step "root: go vet" . go vet ./...
step "root: go test -race" . go test -race -count=1 ./...
# Waits on the request path are measured without the race detector, whose
# slowdown is not the code's.
step "root: request path without -race" . go test -count=1 -run 'TestRequestPathDoesNotBlock' .

fuzz_list=""
if fuzz_list="$(go test -list '^Fuzz' . 2>&1)"; then
  fuzz_targets="$(printf '%s\n' "$fuzz_list" | grep -E '^Fuzz[A-Za-z0-9_]*$' || true)"
  if [ -z "$fuzz_targets" ]; then
    echo
    echo "=== no fuzz targets in the root package"
  fi
  for name in $fuzz_targets; do
    step "root: fuzz ${name} (${FUZZTIME})" . fuzz_once "$name"
  done
else
  echo
  echo "=== root: listing fuzz targets failed:"
  printf '%s\n' "$fuzz_list"
  FAILED+=("root: go test -list '^Fuzz'")
fi

# --- separate modules ------------------------------------------------------
if [ -f examples/go.mod ]; then
  # The demo's page and browser (Debian's chromium, npm ci from the
  # lockfile, the esbuild bundle) and the @sentry/node interop peer.
  step "examples: chromium, the page, the Node peer (scripts/web.sh)" . ./scripts/web.sh
  step "examples: go vet" examples go vet ./...
  step "examples: go test -race" examples go test -race -count=1 ./...
else
  echo
  echo "=== examples/go.mod not found: skipping the examples module"
fi

if [ -f benchmarks/go.mod ]; then
  step "benchmarks: go vet" benchmarks go vet ./...
  step "benchmarks: go test -race" benchmarks go test -race -count=1 ./...
  step "benchmarks: bench smoke (1x)" benchmarks go test -run '^$' -bench . -benchtime 1x ./...
else
  echo
  echo "=== benchmarks/go.mod not found: skipping the benchmarks module"
fi

if [ -f autoprop/go.mod ]; then
  step "autoprop: go vet" autoprop go vet ./...
  step "autoprop: go test -race" autoprop go test -race -count=1 ./...
fi

# --- summary ---------------------------------------------------------------
echo
if [ "${#FAILED[@]}" -eq 0 ]; then
  echo "test.sh: PASS: all ${PASSED} steps succeeded"
  exit 0
fi
echo "test.sh: FAIL: ${#FAILED[@]} step(s) failed (${PASSED} succeeded):"
for f in "${FAILED[@]}"; do
  echo "  - ${f}"
done
echo "test.sh: FAIL"
exit 1
