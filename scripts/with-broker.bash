# Sourced by scripts/test.sh and scripts/demo.sh: starts the private RabbitMQ
# broker of scripts/rabbitmq.sh, exports OTELSENTRY_AMQP_URL, and stops the
# broker when the sourcing script exits, unless it was running before.
# Expects ROOT to be the repository root.

RMQ="$ROOT/scripts/rabbitmq.sh"
STOP_BROKER="" # set once this script starts the broker
# shellcheck disable=SC2317  # invoked by the EXIT trap
stop_broker() {
  local rc=$?
  if [ -n "$STOP_BROKER" ]; then
    "$RMQ" stop >/dev/null 2>&1 || true
  fi
  exit "$rc"
}
trap stop_broker EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! OTELSENTRY_AMQP_URL="$("$RMQ" status 2>/dev/null)"; then
  STOP_BROKER=1 # not running before us: ours to stop
  OTELSENTRY_AMQP_URL="$("$RMQ" start)"
fi
export OTELSENTRY_AMQP_URL
