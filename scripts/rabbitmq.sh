#!/usr/bin/env bash
# Install (if needed) and run a private RabbitMQ broker on loopback for tests.
#
#   scripts/rabbitmq.sh start   # install if missing, start, print the AMQP URL
#   scripts/rabbitmq.sh stop    # stop the broker started by `start`, clean up
#   scripts/rabbitmq.sh status  # exit 0 and print the URL if it is running
#
# The broker listens on 127.0.0.1:${RABBITMQ_PORT:-5672} only, has its own
# fresh data and log directory under a temp dir, no plugins (no management
# listener), and its Erlang distribution and epmd bound to loopback. The
# default guest/guest user may connect from localhost, which is all we need.
#
# Environment:
#   RABBITMQ_PORT           AMQP port (default 5672)
#   RABBITMQ_START_TIMEOUT  seconds to wait for the broker (default 90)
#   OTELSENTRY_RABBITMQ_STATE  state file (default ${TMPDIR:-/tmp}/otelsentry-rabbitmq-PORT.state)
set -euo pipefail

PORT="${RABBITMQ_PORT:-5672}"
TIMEOUT="${RABBITMQ_START_TIMEOUT:-90}"
STATE_FILE="${OTELSENTRY_RABBITMQ_STATE:-${TMPDIR:-/tmp}/otelsentry-rabbitmq-${PORT}.state}"
NODE="otelsentry${PORT}@localhost"
[ "$PORT" = 5672 ] && NODE="otelsentry@localhost"
URL="amqp://guest:guest@127.0.0.1:${PORT}/"
EPMD_MARK="${TMPDIR:-/tmp}/otelsentry-rabbitmq-epmd.pid"

# Run the real scripts, not the /usr/sbin wrappers (those `su rabbitmq`, cd to
# /var/lib/rabbitmq and drop our environment).
RMQ_BIN="/usr/lib/rabbitmq/bin"

log() { echo "rabbitmq.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

install_rabbitmq() {
  if [ -x "$RMQ_BIN/rabbitmq-server" ]; then
    return 0
  fi
  command -v apt-get >/dev/null || die "rabbitmq-server is not installed and apt-get is not available"
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "need root (or sudo) to install rabbitmq-server"
    sudo="sudo"
  fi
  local t0=$SECONDS aptlog
  aptlog="$(mktemp)"
  log "installing rabbitmq-server from Debian packages..."
  # Keep the package's own service from being started by the install: a
  # policy-rc.d that denies every action (only if the machine has none).
  local made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  local rc=0
  {
    $sudo apt-get update -qq &&
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        -o DPkg::Lock::Timeout=300 --no-install-recommends rabbitmq-server
  } >"$aptlog" 2>&1 || rc=$?
  if [ -n "$made_policy" ]; then
    $sudo rm -f /usr/sbin/policy-rc.d
  fi
  if [ "$rc" != 0 ]; then
    tail -n 40 "$aptlog" >&2
    rm -f "$aptlog"
    die "apt-get install rabbitmq-server failed (exit $rc)"
  fi
  rm -f "$aptlog"
  # Belt and braces: if the system service got started anyway (e.g. a systemd
  # machine), stop it so it does not hold the AMQP port.
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    $sudo systemctl stop rabbitmq-server >/dev/null 2>&1 || true
  fi
  [ -x "$RMQ_BIN/rabbitmq-server" ] || die "rabbitmq-server still missing after install"
  log "installed rabbitmq-server in $((SECONDS - t0))s"
}

# Environment shared by the server and the CLI tools for our node.
node_env() {
  export HOME="$DIR"                       # private .erlang.cookie
  export RABBITMQ_CONF_ENV_FILE="$DIR/rabbitmq-env.conf"
  export RABBITMQ_CONFIG_FILE="$DIR/rabbitmq.conf"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$DIR/advanced.config"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$DIR/enabled_plugins"
  export RABBITMQ_ENABLED_PLUGINS=""
  export RABBITMQ_MNESIA_BASE="$DIR/mnesia"
  export RABBITMQ_LOG_BASE="$DIR/log"
  export RABBITMQ_PID_FILE="$DIR/rabbitmq.pid"
  export RABBITMQ_NODENAME="$NODE"
  export RABBITMQ_USE_LONGNAME=false
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT="$PORT"
  export RABBITMQ_DIST_PORT="$((PORT + 20000))"
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export ERL_EPMD_ADDRESS=127.0.0.1
  export LANG="${LANG:-C.UTF-8}" LC_ALL=C.UTF-8
}

ctl() { "$RMQ_BIN/rabbitmqctl" -n "$NODE" "$@"; }

load_state() {
  DIR="" SERVER_PID=""
  [ -f "$STATE_FILE" ] || return 1
  # shellcheck disable=SC1090
  . "$STATE_FILE"
  [ -n "$DIR" ]
}

running() {
  load_state || return 1
  pid_alive "$SERVER_PID" || return 1
  port_open "$PORT"
}

epmd_pid() {
  # The epmd daemon (exact process name; no procps needed).
  local f
  for f in /proc/[0-9]*/comm; do
    if [ "$(cat "$f" 2>/dev/null)" = epmd ]; then
      f="${f#/proc/}"
      echo "${f%/comm}"
      return 0
    fi
  done
}

# start_failed shows the end of the broker's logs, cleans up and dies with
# the message $1.
start_failed() {
  tail -n 40 "$DIR/server.out" "$DIR"/log/*.log >&2 2>/dev/null || true
  do_stop >/dev/null 2>&1 || true
  die "$1"
}

# wait_gone waits up to TICKS times 0.2s for every PID given to exit.
wait_gone() {
  local ticks=$1 pid alive
  shift
  for _ in $(seq 1 "$ticks"); do
    alive=""
    for pid in "$@"; do
      pid_alive "$pid" && alive=1
    done
    [ -n "$alive" ] || return 0
    sleep 0.2
  done
}

do_start() {
  if running; then
    echo "$URL"
    return 0
  fi
  if [ -f "$STATE_FILE" ]; then
    log "stale state in $STATE_FILE; cleaning up"
    do_stop >/dev/null 2>&1 || true
  fi
  install_rabbitmq
  if port_open "$PORT"; then
    die "something else already listens on 127.0.0.1:$PORT (set RABBITMQ_PORT to use another port)"
  fi

  local t0=$SECONDS
  DIR="$(mktemp -d "${TMPDIR:-/tmp}/otelsentry-rabbitmq.XXXXXX")"
  mkdir -p "$DIR/mnesia" "$DIR/log"
  : >"$DIR/rabbitmq-env.conf"
  echo '[].' >"$DIR/enabled_plugins"
  echo '[].' >"$DIR/advanced.config"
  cat >"$DIR/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:${PORT}
loopback_users.guest = true
log.console = false
log.file = true
log.file.level = info
disk_free_limit.absolute = 10MB
EOF
  (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr 'a-f' 'A-F' >"$DIR/.erlang.cookie")
  chmod 400 "$DIR/.erlang.cookie"

  local epmd_was_running=""
  [ -n "$(epmd_pid)" ] && epmd_was_running=1

  node_env
  # setsid: own process group, survives the caller's job control; all stdio
  # goes to a file so the broker never holds the caller's pipes open.
  setsid "$RMQ_BIN/rabbitmq-server" >"$DIR/server.out" 2>&1 </dev/null &
  SERVER_PID=$!
  cat >"$STATE_FILE" <<EOF
DIR='$DIR'
SERVER_PID='$SERVER_PID'
NODE='$NODE'
PORT='$PORT'
EOF

  # Wait for the AMQP listener, then for the boot to complete.
  local deadline=$((SECONDS + TIMEOUT))
  until port_open "$PORT"; do
    pid_alive "$SERVER_PID" || start_failed "broker exited during startup"
    [ "$SECONDS" -lt "$deadline" ] || start_failed "broker did not open 127.0.0.1:$PORT within ${TIMEOUT}s"
    sleep 0.2
  done
  local left=$((deadline - SECONDS))
  [ "$left" -lt 5 ] && left=5
  ctl -q await_startup --timeout "$left" >/dev/null 2>&1 ||
    start_failed "broker did not finish booting within ${TIMEOUT}s"
  if [ -z "$epmd_was_running" ]; then
    epmd_pid >"$EPMD_MARK" # the VM started epmd for us: stop it when done
  fi
  log "broker $NODE up on 127.0.0.1:$PORT in $((SECONDS - t0))s (data: $DIR)"
  echo "$URL"
}

# Stop epmd if one of our brokers started it and no node is registered any
# more (another broker of ours on another RABBITMQ_PORT keeps it alive).
stop_our_epmd() {
  [ -f "$EPMD_MARK" ] || return 0
  local ep mark
  ep="$(epmd_pid)"
  mark="$(tr -dc '0-9' <"$EPMD_MARK" || true)"
  if [ -z "$ep" ] || [ "$ep" != "$mark" ]; then
    rm -f "$EPMD_MARK" # stale: that epmd is gone
    return 0
  fi
  if ERL_EPMD_ADDRESS=127.0.0.1 epmd -names 2>/dev/null | grep -q '^name '; then
    return 0
  fi
  # epmd takes a couple of seconds to exit after -kill; SIGTERM if it won't.
  ERL_EPMD_ADDRESS=127.0.0.1 epmd -kill >/dev/null 2>&1 || true
  wait_gone 25 "$ep"
  if pid_alive "$ep"; then kill -TERM "$ep" 2>/dev/null || true; fi
  rm -f "$EPMD_MARK"
}

do_stop() {
  if ! load_state; then
    log "no broker state at $STATE_FILE; nothing to stop"
    return 0
  fi
  node_env
  local beam=""
  [ -f "$DIR/rabbitmq.pid" ] && beam="$(tr -dc '0-9' <"$DIR/rabbitmq.pid" || true)"
  if pid_alive "$SERVER_PID" || pid_alive "$beam"; then
    timeout 60 "$RMQ_BIN/rabbitmqctl" -n "$NODE" -q stop >/dev/null 2>&1 || true
    # Escalate while the broker lingers: a graceful stop, TERM, then KILL.
    for step in "50 TERM" "25 KILL"; do
      wait_gone "${step% *}" "$SERVER_PID" "$beam"
      for pid in "$SERVER_PID" "$beam"; do
        if pid_alive "$pid"; then kill -"${step#* }" "$pid" 2>/dev/null || true; fi
      done
    done
  fi
  stop_our_epmd
  case "$DIR" in
    "${TMPDIR:-/tmp}"/otelsentry-rabbitmq.*) rm -rf "$DIR" ;;
  esac
  rm -f "$STATE_FILE"
  log "broker stopped"
}

do_status() {
  if running; then
    echo "$URL"
  else
    log "not running"
    return 1
  fi
}

case "${1:-}" in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
