#!/usr/bin/env bash
# Makes sure the local Redis and RabbitMQ that NEXUS (and its tests) talk to are running: starts them when they are
# installed but stopped, installs them from Debian's packages when they are missing and we are root. It looks where
# REDIS_URL / AMQP_URL point (their port, 6379 / 5672 when they name none); services elsewhere are left alone.
set -euo pipefail

log() { printf 'nexus: %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 what=$2
  for _ in $(seq 1 120); do port_open "$port" && return 0; sleep 0.5; done
  log "$what did not come up on port $port"; return 1
}

apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    log "please install $* (or point the URL variables at a running server)"; return 1
  fi
  log "installing $* from Debian's packages"
  [ -n "${NEXUS_APT_UPDATED:-}" ] || { apt-get update -qq >/dev/null; export NEXUS_APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

is_local() { [[ "$1" =~ ^[a-z]+://([^@/]*@)?(127\.0\.0\.1|localhost)(:|/|$) ]]; }

# The port a URL names, or the scheme's default.
port_of() {
  if [[ "$1" =~ ^[a-z]+://([^@/]*@)?[^:/]+:([0-9]+) ]]; then echo "${BASH_REMATCH[2]}"; else echo "$2"; fi
}

ensure_redis() {
  local url="${REDIS_URL:-redis://127.0.0.1:6379}"
  # A cluster is the operator's to run (its nodes, replicas and slots): never started here.
  [[ "$url" == *+cluster://* ]] && return 0
  is_local "$url" || return 0
  local port; port=$(port_of "$url" 6379)
  port_open "$port" && return 0
  command -v redis-server >/dev/null || apt_install redis-server
  log "starting redis-server on port $port"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save '' --appendonly no >/dev/null
  wait_port "$port" Redis
}

ensure_rabbitmq() {
  local url="${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}"
  is_local "$url" || return 0
  local port; port=$(port_of "$url" 5672)
  port_open "$port" && return 0
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  log "starting rabbitmq-server on port $port"
  RABBITMQ_NODE_PORT="$port" rabbitmq-server -detached >/dev/null 2>&1 || true
  wait_port "$port" RabbitMQ
  rabbitmqctl await_startup >/dev/null 2>&1 || true
}

ensure_redis
ensure_rabbitmq
