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

# shellcheck source=scripts/with-broker.bash
source "$ROOT/scripts/with-broker.bash"

cd examples
go run ./resetpassword
