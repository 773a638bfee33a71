#!/usr/bin/env bash
# The project's demo command: ./scripts/demo.sh
#
# Starts a private RabbitMQ broker on 127.0.0.1 (installing it from Debian's
# packages if needed, see scripts/rabbitmq.sh), then runs the demo program
# examples/resetpassword: a browser's password reset traced through a gin
# service, SQL, two HTTP calls and RabbitMQ, and a report of what Sentry
# received (a loopback fake Sentry). Exits with the demo's status: non-zero
# when its verdict fails.
#
# The broker is stopped on exit, unless it was already running.
#
# Environment:
#   RABBITMQ_PORT  AMQP port of the broker (default 5672)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

RMQ="$ROOT/scripts/rabbitmq.sh"

STOP_BROKER=1
if "$RMQ" status >/dev/null 2>&1; then
  STOP_BROKER="" # someone started it before us: leave it running
fi
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$?
  if [ -n "$STOP_BROKER" ]; then
    "$RMQ" stop >/dev/null 2>&1 || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

OTELSENTRY_AMQP_URL="$("$RMQ" start)"
export OTELSENTRY_AMQP_URL

cd examples
go run ./resetpassword
