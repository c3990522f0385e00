#!/usr/bin/env bash
# Stops the API and the workers deploy/local/up.sh started (the processes named in .local/pids/*.pid).
#
# Usage: deploy/local/down.sh [--all]
#   --all   also stop the system's PostgreSQL and RabbitMQ (needs root or sudo); services.sh starts them again
# Environment: AGENT_STOP_TIMEOUT seconds to wait for a graceful stop before SIGKILL (default 40).
set -euo pipefail

# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ALL=false
while [ $# -gt 0 ]; do
  case $1 in
    --all) ALL=true; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

# The API first, so it stops taking runs while the workers finish theirs.
stop_pidfiles "$AGENT_PIDS/api.pid"
stop_pidfiles "$AGENT_PIDS"/*.pid

if $ALL; then
  as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    log "stopping RabbitMQ and PostgreSQL"
    as_root systemctl stop rabbitmq-server postgresql
  else
    if command -v rabbitmqctl >/dev/null 2>&1 && as_root rabbitmqctl -q status >/dev/null 2>&1; then
      log "stopping RabbitMQ"
      as_root rabbitmqctl -q stop >/dev/null
    fi
    if command -v pg_lsclusters >/dev/null 2>&1; then
      pg_lsclusters -h | awk '$4 ~ /online/ {print $1, $2}' | while read -r version cluster; do
        log "stopping PostgreSQL $version/$cluster"
        as_root pg_ctlcluster "$version" "$cluster" stop
      done
    fi
  fi
fi
log "stopped"
