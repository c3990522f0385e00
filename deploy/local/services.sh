#!/usr/bin/env bash
# Installs (if missing) and starts PostgreSQL 15 and RabbitMQ from Debian's packages, and creates the
# database role the project uses. Idempotent: safe to run again when everything is already up.
# Needs root (apt-get, starting system services). Works without systemd (CI containers, this sandbox).
set -euo pipefail

PG_USER="${AGENT_PG_USER:-agent}"
PG_PASSWORD="${AGENT_PG_PASSWORD:-agent}"
PG_DATABASE="${AGENT_PG_DATABASE:-agent}"

log() { printf '[services] %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_packages() {
  local missing=()
  dpkg -s postgresql >/dev/null 2>&1 || missing+=(postgresql)
  dpkg -s postgresql-doc-15 >/dev/null 2>&1 || missing+=(postgresql-doc-15)
  dpkg -s rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    # Everything is installed before any server starts: postgresql-doc-15 can pull a newer PostgreSQL minor
    # version, and a server already running the old binary then fails to load PL/pgSQL until restarted.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

start_postgres() {
  local version cluster
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
  for _ in $(seq 1 60); do
    as_root su postgres -c "pg_isready -q" && break
    sleep 0.5
  done
  as_root su postgres -c "psql -v ON_ERROR_STOP=1 -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='$PG_USER'\"" | grep -q 1 ||
    as_root su postgres -c "psql -v ON_ERROR_STOP=1 -qc \"CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD'\""
  as_root su postgres -c "psql -v ON_ERROR_STOP=1 -qtAc \"SELECT 1 FROM pg_database WHERE datname='$PG_DATABASE'\"" | grep -q 1 ||
    as_root su postgres -c "psql -v ON_ERROR_STOP=1 -qc \"CREATE DATABASE $PG_DATABASE OWNER $PG_USER\""
}

start_rabbitmq() {
  if as_root rabbitmqctl -q status >/dev/null 2>&1; then
    return
  fi
  # The broker closes a channel whose delivery stays unacknowledged longer than consumer_timeout (30 min by
  # default). Runs are acked late, when they end, so the timeout must exceed the longest allowed run; 3.10 has
  # only this global setting. See docs/operations.md.
  if ! grep -qs '^consumer_timeout' /etc/rabbitmq/rabbitmq.conf; then
    echo 'consumer_timeout = 7200000' | as_root tee -a /etc/rabbitmq/rabbitmq.conf >/dev/null
  fi
  log "starting RabbitMQ"
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    as_root systemctl start rabbitmq-server
  else
    as_root service rabbitmq-server start >/dev/null 2>&1 || as_root su rabbitmq -s /bin/sh -c 'rabbitmq-server -detached'
  fi
  for _ in $(seq 1 120); do
    as_root rabbitmqctl -q await_startup >/dev/null 2>&1 && return
    sleep 0.5
  done
  log "RabbitMQ did not start"; exit 1
}

install_packages
start_postgres
start_rabbitmq
log "PostgreSQL and RabbitMQ are up"
