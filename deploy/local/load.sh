#!/usr/bin/env bash
# The load command: N concurrent clients each create a thread and a run at once, against 1 API and W worker
# processes on default settings (plus the connection budget up.sh sets), with a fake OpenAI-compatible model at a
# set latency per call. Prints every HTTP status (5xx must be 0), runs accepted and finished, submit latency
# p50/p99/max and the drain time; exits non-zero on a 5xx or an accepted run that did not finish.
#
# Usage: deploy/local/load.sh [--clients N] [--workers N] [--latency-ms N] [--slots N]
#   --clients N      concurrent clients (default 200)
#   --workers N      worker processes (default 2)
#   --latency-ms N   the fake model's latency per call (default 1000)
#   --slots N        AgentWorker__Slots (default: the worker's own default)
# It runs Agent.Benchmarks' Load_benchmark fixture (category Load, [Explicit]): the same real processes the tests start.
# Report: .local/bench/7-load.md (and .json). Figures recorded: BENCHMARKS.md, "Load".
set -euo pipefail

# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

clients=200
workers=2
latency=1000
slots=""
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) [ $# -ge 2 ] || die "--clients needs a number"; clients=$2; shift ;;
    --workers) [ $# -ge 2 ] || die "--workers needs a number"; workers=$2; shift ;;
    --latency-ms) [ $# -ge 2 ] || die "--latency-ms needs a number"; latency=$2; shift ;;
    --slots) [ $# -ge 2 ] || die "--slots needs a number"; slots=$2; shift ;;
    -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
  shift
done
for n in "$clients" "$workers" "$latency" ${slots:+"$slots"}; do
  [[ $n =~ ^[0-9]+$ ]] || die "'$n' is not a number"
done

bash "$AGENT_ROOT/deploy/local/services.sh"
require_dotnet

export AGENT_TEST_POSTGRES="${AGENT_TEST_POSTGRES:-Host=localhost;Username=$AGENT_PG_USER;Password=$AGENT_PG_PASSWORD}"
export AGENT_TEST_RABBITMQ="${AGENT_TEST_RABBITMQ:-amqp://guest:guest@localhost:5672/}"
export AGENT_BENCH_OUT="$AGENT_LOCAL/bench"
export AGENT_LOAD_CLIENTS=$clients AGENT_LOAD_WORKERS=$workers AGENT_LOAD_MODEL_LATENCY_MS=$latency
if [ -n "$slots" ]; then export AGENT_LOAD_SLOTS=$slots; else unset AGENT_LOAD_SLOTS; fi
mkdir -p "$AGENT_BENCH_OUT"
rm -f "$AGENT_BENCH_OUT"/7-load.*

log "building (Release)"
dotnet build "$AGENT_ROOT/Agent.Benchmarks" -c Release -nologo -v quiet || die "build failed"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "load: $clients clients, $workers worker(s), slots ${slots:-default}, model ${latency} ms (log: .local/bench/load.log)"
status=0
dotnet test "$AGENT_ROOT/Agent.Benchmarks" -c Release --no-build -nologo \
  --filter "FullyQualifiedName~Load_benchmark" \
  --logger "console;verbosity=normal" \
  --results-directory "$AGENT_LOCAL/test-results" \
  >"$AGENT_BENCH_OUT/load.log" 2>&1 || status=$?
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

[ -f "$AGENT_BENCH_OUT/7-load.md" ] || { tail -50 "$AGENT_BENCH_OUT/load.log" >&2; die "the load test wrote no report"; }
cat "$AGENT_BENCH_OUT/7-load.md"
echo
echo "Machine: $(nproc) cores; load average before $load_before, after $load_after; commit $(git -C "$AGENT_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
[ "$status" -eq 0 ] || { grep -E 'Failed|Assert|Expected|But was' "$AGENT_BENCH_OUT/load.log" | head -20 >&2; die "load test failed"; }
