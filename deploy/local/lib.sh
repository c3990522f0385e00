# Shared by up.sh, down.sh and test.sh (sourced, not run). Paths, logging, the dotnet check, and starting and
# stopping the background processes up.sh owns. bash only; nothing here needs root.
# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this file.

AGENT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
AGENT_LOCAL="$AGENT_ROOT/.local"
AGENT_LOGS="$AGENT_LOCAL/logs"
AGENT_PIDS="$AGENT_LOCAL/pids"
AGENT_API_DIR="$AGENT_ROOT/Agent.Api/bin/Release/net10.0"
AGENT_WORKER_DIR="$AGENT_ROOT/Agent.Worker/bin/Release/net10.0"

# The same variables services.sh reads when it creates the role and the database.
AGENT_PG_USER="${AGENT_PG_USER:-agent}"
AGENT_PG_PASSWORD="${AGENT_PG_PASSWORD:-agent}"
AGENT_PG_DATABASE="${AGENT_PG_DATABASE:-agent}"

# No telemetry prompt, banner or first-run work in scripted builds.
export DOTNET_CLI_TELEMETRY_OPTOUT="${DOTNET_CLI_TELEMETRY_OPTOUT:-1}"
export DOTNET_NOLOGO="${DOTNET_NOLOGO:-1}"
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE="${DOTNET_SKIP_FIRST_TIME_EXPERIENCE:-1}"

AGENT_SCRIPT="$(basename "$0" .sh)"

log() { printf '[%s] %s\n' "$AGENT_SCRIPT" "$*" >&2; }

die() { log "error: $*"; exit 1; }

# Fails with install instructions unless a .NET 10 SDK is on PATH (global.json asks for 10.0.100 or a later feature band).
require_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    die "dotnet is not on PATH. Install the .NET 10 SDK, e.g.:
    curl -fsSL https://dot.net/v1/dotnet-install.sh | bash -s -- --channel 10.0 --install-dir \"\$HOME/.dotnet\"
    export PATH=\"\$HOME/.dotnet:\$PATH\"
  or Debian packages: https://learn.microsoft.com/dotnet/core/install/linux-debian"
  fi
  if ! dotnet --list-sdks 2>/dev/null | grep -q '^10\.'; then
    die "dotnet at $(command -v dotnet) has no .NET 10 SDK (found: $(dotnet --list-sdks 2>/dev/null | awk '{print $1}' | paste -sd' ' -)); install the .NET 10 SDK"
  fi
}

# Prints the pid in a pid file if that process is still one of ours (a dotnet Agent.* process), else nothing.
# The command-line check keeps a stale file from naming an unrelated process that reused the pid.
live_pid() {
  local pidfile=$1 pid
  [ -s "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'Agent\.'; then
    printf '%s\n' "$pid"
  fi
}

# Starts a program in the background, detached in its own session so a closed terminal or Ctrl-C does not reach it.
# Usage: start_background NAME DIR COMMAND...; output goes to $AGENT_LOGS/NAME.log (truncated), pid to
# $AGENT_PIDS/NAME.pid. Runs from DIR because .NET hosts take their content root (appsettings.json) from it.
start_background() {
  local name=$1 dir=$2; shift 2
  local pidfile="$AGENT_PIDS/$name.pid"
  rm -f "$pidfile"
  # The child writes its own pid: setsid forks when the caller leads a process group, so $! could be wrong.
  # shellcheck disable=SC2016 # $$ and $0 belong to the inner bash.
  (cd "$dir" && exec setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" >"$AGENT_LOGS/$name.log" 2>&1 </dev/null) &
  local deadline=$((SECONDS + 10))
  until [ -s "$pidfile" ]; do
    ((SECONDS < deadline)) || die "$name did not start (no pid file $pidfile)"
    sleep 0.1
  done
}

# Stops the processes named by the given pid files: SIGTERM to all, then SIGKILL to any still running after
# AGENT_STOP_TIMEOUT seconds (default 40: the .NET host gives its services 30 s to stop).
stop_pidfiles() {
  local pidfile pid names=() pids=()
  for pidfile in "$@"; do
    [ -e "$pidfile" ] || continue
    pid=$(live_pid "$pidfile")
    if [ -n "$pid" ]; then
      kill -TERM "$pid" 2>/dev/null || true
      names+=("$(basename "$pidfile" .pid)")
      pids+=("$pid")
    else
      rm -f "$pidfile"
    fi
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  log "stopping ${names[*]}"
  local deadline=$((SECONDS + ${AGENT_STOP_TIMEOUT:-40})) i running
  while :; do
    running=()
    for i in "${!pids[@]}"; do
      kill -0 "${pids[$i]}" 2>/dev/null && running+=("$i")
    done
    [ ${#running[@]} -gt 0 ] || break
    if ((SECONDS >= deadline)); then
      for i in "${running[@]}"; do
        log "${names[$i]} (pid ${pids[$i]}) did not stop in time; killing it"
        kill -KILL "${pids[$i]}" 2>/dev/null || true
      done
      break
    fi
    sleep 0.2
  done
  for i in "${!names[@]}"; do
    rm -f "$AGENT_PIDS/${names[$i]}.pid"
  done
}

# Prints the last lines of a log under $AGENT_LOGS, to show why something failed.
show_log_tail() {
  local name=$1 file="$AGENT_LOGS/$1.log"
  [ -f "$file" ] || return 0
  printf -- '--- last lines of %s ---\n' "${file#"$AGENT_ROOT"/}" >&2
  tail -n "${2:-30}" "$file" >&2
  printf -- '---\n' >&2
}
