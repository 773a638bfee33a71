#!/usr/bin/env bash
# The project's demo command: ./scripts/demo.sh
#
# Starts a private RabbitMQ broker on 127.0.0.1 (installing it from Debian's
# packages if needed, see scripts/rabbitmq.sh), installs Debian's chromium
# and builds the page (scripts/web.sh), then runs the demo program
# examples/resetpassword: the page on Sentry's browser SDK, the API and the
# mailer as processes of their own, chromium clicking the form, and the
# trace as a waterfall in the terminal and in an HTML file. Exits with the
# demo's status: non-zero when its verdict fails. Arguments go to the demo:
# -keep keeps everything running for a person to click.
#
# The broker is stopped on exit, unless it was already running.
#
# Environment:
#   RABBITMQ_PORT   AMQP port of the broker (default 5672)
#   SENTRY_DSN      also send the services' events to this Sentry
#   SENTRY_DSN_WEB  also send the page's events to this Sentry
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=scripts/with-broker.bash
source "$ROOT/scripts/with-broker.bash"

"$ROOT/scripts/web.sh"
cd examples
go run ./resetpassword -html "$ROOT/resetpassword-trace.html" "$@"
