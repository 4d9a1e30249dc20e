#!/usr/bin/env bash
# A throwaway RabbitMQ broker for the test suite (issue 20), never the system service: its own node name, Erlang
# cookie, epmd, data and log directories, all under DIR, listening on 127.0.0.1 only on free ports.
#
#   broker.sh start DIR [OWNER_PID]  starts it, waits until it accepts AMQP, prints its amqp:// URL (also in DIR/url).
#                                    With OWNER_PID, a watchdog removes the broker once that process is gone, so an
#                                    interrupted or killed test run leaves nothing behind.
#   broker.sh stop DIR               stops the node (DIR and its data stay: `start DIR` brings the same broker back
#                                    on the same port, which is how a test restarts RabbitMQ mid-stream).
#   broker.sh remove DIR             stops it and deletes DIR. Idempotent.
set -euo pipefail

cmd=${1:?usage: broker.sh start|stop|remove DIR [OWNER_PID]}
dir=${2:?usage: broker.sh start|stop|remove DIR [OWNER_PID]}
owner=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
RMQ=/usr/lib/rabbitmq/bin

# Three distinct free loopback ports (AMQP, Erlang distribution, epmd), held together while they are picked.
free_ports() {
  node -e '
    const net = require("net");
    const s = [0, 1, 2].map(() => net.createServer());
    Promise.all(s.map((x) => new Promise((r) => x.listen(0, "127.0.0.1", r)))).then(() => {
      console.log(s.map((x) => x.address().port).join(" "));
      s.forEach((x) => x.close());
    });'
}

# Everything the node and rabbitmqctl must agree on, kept in DIR/env so stop and restart find the same broker.
prepare() {
  mkdir -p "$dir"/{mnesia,log,home}
  dir=$(cd "$dir" && pwd)
  local port dist epmd secret
  read -r port dist epmd < <(free_ports)
  secret=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  rm -f "$dir/home/.erlang.cookie"
  head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$dir/home/.erlang.cookie"
  chmod 400 "$dir/home/.erlang.cookie"
  echo '[].' >"$dir/enabled_plugins"
  : >"$dir/rabbitmq-env.conf"
  cat >"$dir/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$port
default_user = cc-test
default_pass = $secret
default_vhost = /
log.file.level = warning
log.console = false
EOF
  cat >"$dir/env" <<EOF
export HOME='$dir/home'
export RABBITMQ_NODENAME='cc-test-$port-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d " \n")@localhost'
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$port
export RABBITMQ_DIST_PORT=$dist
export ERL_EPMD_PORT=$epmd
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_CONF_ENV_FILE='$dir/rabbitmq-env.conf'
export RABBITMQ_CONFIG_FILE='$dir/rabbitmq.conf'
export RABBITMQ_ADVANCED_CONFIG_FILE='$dir/advanced.config'
export RABBITMQ_ENABLED_PLUGINS_FILE='$dir/enabled_plugins'
export RABBITMQ_MNESIA_BASE='$dir/mnesia'
export RABBITMQ_LOG_BASE='$dir/log'
export RABBITMQ_PID_FILE='$dir/pid'
export ERL_CRASH_DUMP='$dir/log/erl_crash.dump'
export RABBITMQ_PLUGINS_EXPAND_DIR='$dir/plugins-expand'
# Two cores are shared by the whole suite: schedulers must not spin while idle. Erlang distribution (the node's
# and rabbitmqctl's) listens on loopback only, like everything else here.
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='+sbwt none +sbwtdcpu none +sbwtdio none -kernel inet_dist_use_interface {127,0,0,1}'
export RABBITMQ_CTL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
EOF
  echo "amqp://cc-test:$secret@127.0.0.1:$port/" >"$dir/url"
}

# Boots the node and waits until it answers; 1 if it died or did not answer in time.
boot() {
  # shellcheck disable=SC1091
  . "$dir/env"
  setsid "$RMQ/rabbitmq-server" >>"$dir/log/console.log" 2>&1 </dev/null &
  echo $! >"$dir/server.pid"
  # await_startup fails at once while the node has not registered with epmd yet: try again until it answers.
  local deadline=$((SECONDS + 90))
  until "$RMQ/rabbitmqctl" -q await_startup --timeout 60 >>"$dir/log/ctl.log" 2>&1; do
    if [ $SECONDS -ge $deadline ] || ! kill -0 "$(cat "$dir/server.pid")" 2>/dev/null; then
      echo "RabbitMQ did not start; its logs are in $dir/log" >&2
      grep -h -A12 'BOOT FAILED' "$dir"/log/*.log >&2 || tail -30 "$dir/log/console.log" >&2 || true
      stop
      return 1
    fi
    sleep 0.5
  done
}

start() {
  if [ -f "$dir/env" ]; then
    boot || return 1 # a restart: the same ports, or the clients' URL would change
  else
    # A port found free may be taken before the node binds it (another broker starting, a client's local port):
    # a first start tries again with fresh ports.
    local try
    for try in 1 2 3; do
      prepare
      boot && break
      [ $try = 3 ] && return 1
      rm -rf "$dir/env" "$dir/mnesia" && mkdir -p "$dir/mnesia"
    done
  fi
  if [ -n "$owner" ] && [ ! -f "$dir/watchdog.pid" ]; then
    setsid bash -c 'while kill -0 "$1" 2>/dev/null && [ -d "$2" ]; do sleep 2; done; bash "$3/broker.sh" remove "$2"' \
      watchdog "$owner" "$dir" "$here" >/dev/null 2>&1 </dev/null &
    echo $! >"$dir/watchdog.pid"
  fi
  cat "$dir/url"
}

stop() {
  [ -f "$dir/env" ] || return 0
  # shellcheck disable=SC1091
  . "$dir/env"
  # server.pid is the start script, which waits on the Erlang VM; DIR/pid is the VM itself (RABBITMQ_PID_FILE).
  local wrapper vm
  wrapper=$(cat "$dir/server.pid" 2>/dev/null || true)
  vm=$(cat "$dir/pid" 2>/dev/null || true)
  if [ -n "$wrapper" ] && kill -0 "$wrapper" 2>/dev/null; then
    "$RMQ/rabbitmqctl" -q stop --idle-timeout 30 >>"$dir/log/ctl.log" 2>&1 || kill -TERM "$wrapper" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$wrapper" 2>/dev/null || break; sleep 0.2; done
  fi
  for pid in $vm $wrapper; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -f "$dir/pid"
  # The node's own epmd (on its private port) outlives the node, also one that failed to boot: end it, it serves
  # nothing else.
  # epmd may not have noticed a killed node's socket close yet: it refuses to end while a node is registered.
  for _ in $(seq 1 25); do
    epmd -names >/dev/null 2>&1 || break
    epmd -kill >/dev/null 2>&1 && break
    sleep 0.2
  done
  rm -f "$dir/server.pid"
}

case $cmd in
  start) start ;;
  stop) stop ;;
  remove)
    stop
    rm -rf "$dir"
    ;;
  *)
    echo "unknown command $cmd" >&2
    exit 2
    ;;
esac
