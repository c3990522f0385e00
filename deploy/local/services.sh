#!/usr/bin/env bash
# Installs (if missing) and starts PostgreSQL 15 and RabbitMQ from Debian's packages, and creates the
# database role the project uses. Idempotent: safe to run again when everything is already up.
# Needs root (apt-get, starting system services). Works without systemd (CI containers, this sandbox).
set -euo pipefail

PG_USER="${AGENT_PG_USER:-agent}"
PG_PASSWORD="${AGENT_PG_PASSWORD:-agent}"
PG_DATABASE="${AGENT_PG_DATABASE:-agent}"

log() { printf '[services] %s\n' "$*" >&2; }

die() { log "error: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "needs root to install and start PostgreSQL and RabbitMQ: run it as root or install sudo"
  fi
}

# Runs SQL as the postgres superuser. From / because su keeps the working directory, and psql complains when the
# postgres user cannot enter it (e.g. /root).
as_postgres() { (cd / && as_root su postgres -c "$1"); }

install_packages() {
  local missing=()
  dpkg -s postgresql >/dev/null 2>&1 || missing+=(postgresql)
  dpkg -s postgresql-doc-15 >/dev/null 2>&1 || missing+=(postgresql-doc-15)
  dpkg -s rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  # ask.sh reads the event stream with jq; python3 is not on a fresh Debian.
  command -v jq >/dev/null 2>&1 || missing+=(jq)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    # Everything is installed before any server starts: postgresql-doc-15 can pull a newer PostgreSQL minor
    # version, and a server already running the old binary then fails to load PL/pgSQL until restarted.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

start_postgres() {
  local version cluster port
  version=$(pg_lsclusters -h | awk 'NR==1{print $1}')
  cluster=$(pg_lsclusters -h | awk 'NR==1{print $2}')
  if [ -z "$version" ]; then
    log "creating PostgreSQL cluster"
    as_root pg_createcluster 15 main >/dev/null
    version=15; cluster=main
  fi
  if ! pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $4}' | grep -q online; then
    log "starting PostgreSQL $version/$cluster"
    as_root pg_ctlcluster "$version" "$cluster" start
  fi
  port=$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $3}')
  local ready=false
  for _ in $(seq 1 60); do
    if as_postgres "pg_isready -q -p $port"; then ready=true; break; fi
    sleep 0.5
  done
  $ready || die "PostgreSQL $version/$cluster did not accept connections within 30 s; see /var/log/postgresql/"
  # The programs' default connection strings name port 5432.
  [ "$port" = 5432 ] || log "warning: PostgreSQL $version/$cluster listens on port $port, not 5432; set ConnectionStrings__Agent"
  as_postgres "psql -p $port -v ON_ERROR_STOP=1 -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='$PG_USER'\"" | grep -q 1 ||
    as_postgres "psql -p $port -v ON_ERROR_STOP=1 -qc \"CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD'\""
  as_postgres "psql -p $port -v ON_ERROR_STOP=1 -qtAc \"SELECT 1 FROM pg_database WHERE datname='$PG_DATABASE'\"" | grep -q 1 ||
    as_postgres "psql -p $port -v ON_ERROR_STOP=1 -qc \"CREATE DATABASE $PG_DATABASE OWNER $PG_USER\""
}

rabbitmq_running() { as_root rabbitmqctl -q status >/dev/null 2>&1; }

start_rabbitmq() {
  # The broker closes a channel whose delivery stays unacknowledged longer than consumer_timeout (30 min by
  # default). Runs are acked late, when they end, so the timeout must exceed the longest allowed run; 3.10 has
  # only this global setting. See docs/operations.md. The broker reads it at boot only.
  local configured=false
  if ! grep -qs '^consumer_timeout' /etc/rabbitmq/rabbitmq.conf; then
    echo 'consumer_timeout = 7200000' | as_root tee -a /etc/rabbitmq/rabbitmq.conf >/dev/null
    configured=true
  fi
  if rabbitmq_running; then
    # With systemd, installing the package already started the broker, before the setting above existed.
    $configured || return 0
    log "restarting RabbitMQ to apply consumer_timeout"
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
      as_root systemctl restart rabbitmq-server
    else
      as_root rabbitmqctl -q stop >/dev/null
      start_rabbitmq_server
    fi
  else
    log "starting RabbitMQ"
    start_rabbitmq_server
  fi
  for _ in $(seq 1 120); do
    as_root rabbitmqctl -q await_startup >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  die "RabbitMQ did not start within 60 s; see /var/log/rabbitmq/"
}

start_rabbitmq_server() {
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    as_root systemctl start rabbitmq-server
  else
    as_root service rabbitmq-server start >/dev/null 2>&1 || as_root su rabbitmq -s /bin/sh -c 'rabbitmq-server -detached'
  fi
}

install_packages
start_postgres
start_rabbitmq
log "PostgreSQL and RabbitMQ are up"
