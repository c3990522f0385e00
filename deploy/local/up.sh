#!/usr/bin/env bash
# Runs the whole system on one Debian 12 machine without Docker: installs and starts PostgreSQL and RabbitMQ
# (services.sh), builds the solution, migrates the database, ingests the PostgreSQL manual, starts the API and
# the workers in the background, waits until they are ready, and asks one question.
#
# Usage: deploy/local/up.sh [--workers N] [--worker-host DIR] [--skip-ingest] [--no-ask] [--no-auth]
#   --workers N     worker processes to start (default 2)
#   --worker-host DIR
#                   the worker host project to run instead of Agent.Worker, e.g. samples/SupportAgent: a deployer's
#                   own host (AgentWorkerApplication.RunAsync) with its graphs and tools. Every worker on the run
#                   queue must deploy the same graphs (a worker fails a run whose graph it lacks), so this replaces
#                   the built-in workers rather than adding to them. Migrate and ingest run through it too.
#   --skip-ingest   do not (re)ingest the manual; ingest skips unchanged pages anyway, this skips even the scan
#   --no-ask        do not ask the sample question at the end
#   --no-auth       start the API with authentication off (Auth__Disabled=true): anyone who reaches the port is
#                   tenant "default" with every scope. Only on a machine nobody else reaches.
# API key: the API requires one (x-api-key or Authorization: Bearer). The bootstrap key (tenant "default", every
# scope) is AGENT_BOOTSTRAP_API_KEY if set, else the one in .local/api-key, generated on the first run (mode 600);
# ask.sh reads it from there. More keys: dotnet Agent.Worker.dll keys create --tenant T --name N.
# Environment: ConnectionStrings__Agent, ConnectionStrings__RabbitMq, OPENAI_API_KEY (unset: the offline
# extractive model), OPENAI_BASE_URL, AGENT_MODEL, AgentWorker__Slots, Database__* (the connection budget:
# max_connections read from the server, processes = 1 + workers) are passed on to the programs;
# AGENT_API_PORT (default 8123) and AGENT_API_URLS (default http://localhost:PORT; http://0.0.0.0:PORT to listen
# on every interface); AGENT_READY_TIMEOUT seconds the API and the workers get to become ready (default 120).
#
# Idempotent: processes a previous run started are stopped first. Logs: .local/logs/*.log; pids:
# .local/pids/*.pid; stop with deploy/local/down.sh.
set -euo pipefail

# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

QUESTION="How do I create a GIN index on a tsvector column?"
WORKERS=2
INGEST=true
ASK=true
AUTH=true
WORKER_HOST=""
while [ $# -gt 0 ]; do
  case $1 in
    --workers) [ $# -ge 2 ] || die "--workers needs a number"; WORKERS=$2; shift 2 ;;
    --worker-host) [ $# -ge 2 ] || die "--worker-host needs a project folder"; WORKER_HOST=$2; shift 2 ;;
    --skip-ingest) INGEST=false; shift ;;
    --no-ask) ASK=false; shift ;;
    --no-auth) AUTH=false; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
[[ $WORKERS =~ ^[1-9][0-9]*$ ]] || die "--workers must be a positive number, not '$WORKERS'"
# The worker host: its build output folder and its assembly (Agent.Worker unless --worker-host names another project).
WORKER_DLL=Agent.Worker.dll
if [ -n "$WORKER_HOST" ]; then
  WORKER_HOST=${WORKER_HOST%/}
  project=$(find "$AGENT_ROOT/$WORKER_HOST" -maxdepth 1 -name '*.csproj' 2>/dev/null | head -1)
  [ -n "$project" ] || die "--worker-host $WORKER_HOST: no .csproj in $AGENT_ROOT/$WORKER_HOST"
  WORKER_DLL="$(basename "$project" .csproj).dll"
  AGENT_WORKER_DIR="$AGENT_ROOT/$WORKER_HOST/bin/Release/net10.0"
fi

API_PORT="${AGENT_API_PORT:-8123}"
API_URLS="${AGENT_API_URLS:-http://localhost:$API_PORT}"
API="http://localhost:$API_PORT"
READY_TIMEOUT="${AGENT_READY_TIMEOUT:-120}"
MANUAL_DIR="/usr/share/doc/postgresql-doc-15/html"

export ConnectionStrings__Agent="${ConnectionStrings__Agent:-Host=localhost;Username=$AGENT_PG_USER;Password=$AGENT_PG_PASSWORD;Database=$AGENT_PG_DATABASE}"
export ConnectionStrings__RabbitMq="${ConnectionStrings__RabbitMq:-amqp://guest:guest@localhost:5672/}"

bash "$AGENT_ROOT/deploy/local/services.sh"
require_dotnet
command -v setsid >/dev/null 2>&1 || die "setsid (util-linux) is missing"

mkdir -p "$AGENT_LOGS" "$AGENT_PIDS"
stop_pidfiles "$AGENT_PIDS"/*.pid
# Anything still answering on the port is not ours (ours were stopped above): fail instead of testing a stranger.
if curl -s -o /dev/null --max-time 2 "$API/"; then
  die "something already listens on port $API_PORT; stop it or set AGENT_API_PORT"
else
  rc=$?
  [ "$rc" -eq 7 ] || die "something already listens on port $API_PORT (curl exit $rc); stop it or set AGENT_API_PORT"
fi

log "building (Release)"
dotnet build "$AGENT_ROOT/Agent.sln" -c Release -nologo -v quiet -clp:NoSummary ||
  die "build failed; run: dotnet build Agent.sln -c Release"
[ -f "$AGENT_API_DIR/Agent.Api.dll" ] || die "build produced no $AGENT_API_DIR/Agent.Api.dll"
[ -f "$AGENT_WORKER_DIR/$WORKER_DLL" ] || die "build produced no $AGENT_WORKER_DIR/$WORKER_DLL (is the project in Agent.sln?)"

# Runs a one-shot worker command with its output in .local/logs/NAME.log; shows the log's end if it fails.
run_worker_command() {
  local name=$1; shift
  if ! (cd "$AGENT_WORKER_DIR" && dotnet "$WORKER_DLL" "$@") >"$AGENT_LOGS/$name.log" 2>&1 </dev/null; then
    show_log_tail "$name"
    die "'dotnet $WORKER_DLL $*' failed; full log: .local/logs/$name.log"
  fi
}

log "migrating the database"
run_worker_command migrate migrate
if $INGEST; then
  [ -d "$MANUAL_DIR" ] || die "$MANUAL_DIR is missing (package postgresql-doc-15; services.sh installs it)"
  log "ingesting the PostgreSQL manual from $MANUAL_DIR into the collection postgresql-15, with embeddings (log: .local/logs/ingest.log)"
  # The ingest prints a progress line every 2 seconds while it embeds; show those as they come.
  if ! (cd "$AGENT_WORKER_DIR" && dotnet "$WORKER_DLL" ingest --path "$MANUAL_DIR") </dev/null 2>&1 |
      tee "$AGENT_LOGS/ingest.log" | grep --line-buffered -E '^(ingest|embedding):' | sed -u 's/^/[up] /' >&2; then
    show_log_tail ingest
    die "'dotnet $WORKER_DLL ingest --path $MANUAL_DIR' failed; full log: .local/logs/ingest.log"
  fi
fi

if [ -n "${OPENAI_API_KEY:-}" ]; then
  log "model: ${AGENT_MODEL:-the default model} at ${OPENAI_BASE_URL:-OpenAI}"
else
  log "model: the offline extractive model (set OPENAI_API_KEY to use an LLM)"
fi

API_KEY_FILE="$AGENT_LOCAL/api-key"
API_ENV=()
if $AUTH; then
  if [ -n "${AGENT_BOOTSTRAP_API_KEY:-}" ]; then
    API_KEY=$AGENT_BOOTSTRAP_API_KEY
    log "API key: AGENT_BOOTSTRAP_API_KEY from the environment (tenant ${AGENT_BOOTSTRAP_TENANT:-default})"
  else
    if [ ! -s "$API_KEY_FILE" ]; then
      # 32 random bytes as hex: 256 bits, well over the 32 characters the API requires.
      (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$API_KEY_FILE")
      log "generated an API key in .local/api-key (mode 600)"
    fi
    API_KEY=$(cat "$API_KEY_FILE")
    log "API key: .local/api-key (send it as x-api-key; ask.sh does)"
  fi
  [ ${#API_KEY} -ge 32 ] || die "the API key must be at least 32 characters (AGENT_BOOTSTRAP_API_KEY or .local/api-key)"
  API_ENV=(AGENT_BOOTSTRAP_API_KEY "$API_KEY")
  export AGENT_API_KEY="$API_KEY"
else
  API_ENV=(Auth__Disabled true)
  export AGENT_API_KEY=""
  log "WARNING: authentication is OFF (--no-auth): anyone who reaches $API_URLS is tenant 'default' with every scope"
fi

# The connection budget (docs/operations.md): the API and the workers share the server's max_connections, each
# pool floor((max_connections - 10) / processes). The server's own value, unless the environment sets one.
if [ -z "${Database__MaxConnections:-}" ]; then
  Database__MaxConnections=$(PGPASSWORD="$AGENT_PG_PASSWORD" psql -h localhost -U "$AGENT_PG_USER" -d "$AGENT_PG_DATABASE" -Atc "SHOW max_connections" 2>/dev/null || echo 100)
fi
export Database__MaxConnections
export Database__Processes="${Database__Processes:-$((1 + WORKERS))}"
log "connection budget: max_connections $Database__MaxConnections, $Database__Processes processes, pool $(( (Database__MaxConnections - ${Database__ReservedConnections:-10}) / Database__Processes )) each"

log "starting the API on $API_URLS and $WORKERS worker(s) of $WORKER_DLL"
# A half-started system is stopped again when startup fails; the logs stay for reading.
# shellcheck disable=SC2317 # called by the EXIT trap.
stop_on_failure() {
  local status=$?
  [ "$status" -eq 0 ] || stop_pidfiles "$AGENT_PIDS"/*.pid
}
trap stop_on_failure EXIT
# Exported in a subshell, not passed as arguments: a key on a command line shows in the process list.
(export "${API_ENV[0]}=${API_ENV[1]}" && start_background api "$AGENT_API_DIR" dotnet Agent.Api.dll --urls "$API_URLS")
for i in $(seq 1 "$WORKERS"); do
  start_background "worker-$i" "$AGENT_WORKER_DIR" \
    env AgentWorker__InstanceId="${HOSTNAME:-local}-worker-$i" Management__Urls="http://127.0.0.1:$((9463 + i))" \
    dotnet "$WORKER_DLL" run
done

# Fails with the program's log if it has exited; start_background wrote its pid file.
require_running() {
  local name=$1
  if [ -z "$(live_pid "$AGENT_PIDS/$name.pid")" ]; then
    show_log_tail "$name"
    die "$name exited during startup; log: .local/logs/$name.log"
  fi
}

deadline=$((SECONDS + READY_TIMEOUT))
until curl -fsS --max-time 2 "$API/ok" 2>/dev/null | grep -q '"ok" *: *true'; do
  require_running api
  if ((SECONDS >= deadline)); then
    show_log_tail api
    die "the API did not answer $API/ok within $READY_TIMEOUT s; log: .local/logs/api.log"
  fi
  sleep 0.5
done
log "API ready at $API"

for i in $(seq 1 "$WORKERS"); do
  until grep -qF "Worker ready" "$AGENT_LOGS/worker-$i.log"; do
    require_running "worker-$i"
    if ((SECONDS >= deadline)); then
      show_log_tail "worker-$i"
      die "worker-$i did not log 'Worker ready' within $READY_TIMEOUT s of starting; log: .local/logs/worker-$i.log"
    fi
    sleep 0.5
  done
done
log "$WORKERS worker(s) ready"
trap - EXIT

ask_status=0
if $ASK; then
  log "asking: $QUESTION"
  bash "$AGENT_ROOT/deploy/local/ask.sh" "$QUESTION" --api "$API" || ask_status=$?
fi

cat >&2 <<EOF

  Console    $API/ui   (sign in with the API key below)
  API        $API   (log .local/logs/api.log)
  API key    $(if $AUTH; then if [ -n "${AGENT_BOOTSTRAP_API_KEY:-}" ]; then echo "AGENT_BOOTSTRAP_API_KEY"; else echo ".local/api-key"; fi; else echo "none: authentication is OFF (--no-auth)"; fi)
  Workers    $WORKERS   (logs .local/logs/worker-*.log; /metrics and /health/* on http://127.0.0.1:9464 and up)
  Metrics    $API/metrics   health $API/health/ready
  Ask        deploy/local/ask.sh "your question"
  Stop       deploy/local/down.sh   (--all also stops PostgreSQL and RabbitMQ)

EOF
exit "$ask_status"
