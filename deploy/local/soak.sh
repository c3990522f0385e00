#!/usr/bin/env bash
# The soak command (issue 15): runs keep arriving at a set rate against 1 API and 3 worker processes for N minutes,
# with the fake OpenAI-compatible model at a realistic latency, while a random worker is killed -9 every 30 s,
# RabbitMQ restarts once and PostgreSQL once (private instances the test starts, never the shared servers). At the
# end it checks that every accepted run succeeded, that no step was committed twice, that no SSE client missed an
# event, that nothing answered 5xx, and that each long-lived process's memory stayed flat; exits non-zero otherwise.
#
# Usage: deploy/local/soak.sh [--minutes N] [--rate R] [--latency-ms N] [--kill-seconds N] [--no-build]
#   --minutes N       how long runs keep arriving (default 3; CI runs 3, BENCHMARKS.md records 30)
#   --rate R          runs per second (default 1)
#   --latency-ms N    the fake model's latency per call (default 300)
#   --kill-seconds N  seconds between worker kills (default 30)
#   --no-build        use the existing Release build
# It runs Agent.Benchmarks' Soak_benchmark fixture (category Soak, [Explicit]). Report: .local/bench/8-soak.md (and
# .json); log: .local/bench/soak.log. Figures recorded: BENCHMARKS.md, "Soak".
set -euo pipefail

# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

minutes=3
rate=1
latency=300
kill_seconds=30
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) [ $# -ge 2 ] || die "--minutes needs a number"; minutes=$2; shift ;;
    --rate) [ $# -ge 2 ] || die "--rate needs a number"; rate=$2; shift ;;
    --latency-ms) [ $# -ge 2 ] || die "--latency-ms needs a number"; latency=$2; shift ;;
    --kill-seconds) [ $# -ge 2 ] || die "--kill-seconds needs a number"; kill_seconds=$2; shift ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
  shift
done
for n in "$minutes" "$rate" "$latency" "$kill_seconds"; do
  [[ $n =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "'$n' is not a number"
done

bash "$AGENT_ROOT/deploy/local/services.sh"
require_dotnet

export AGENT_TEST_POSTGRES="${AGENT_TEST_POSTGRES:-Host=localhost;Username=$AGENT_PG_USER;Password=$AGENT_PG_PASSWORD}"
export AGENT_TEST_RABBITMQ="${AGENT_TEST_RABBITMQ:-amqp://guest:guest@localhost:5672/}"
export AGENT_BENCH_OUT="$AGENT_LOCAL/bench"
export AGENT_SOAK_MINUTES=$minutes AGENT_SOAK_RATE=$rate AGENT_SOAK_MODEL_LATENCY_MS=$latency AGENT_SOAK_KILL_SECONDS=$kill_seconds
mkdir -p "$AGENT_BENCH_OUT"
rm -f "$AGENT_BENCH_OUT"/8-soak.*

if [ "$build" -eq 1 ]; then
  log "building (Release)"
  dotnet build "$AGENT_ROOT/Agent.Benchmarks" -c Release -nologo -v quiet || die "build failed"
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "soak: $minutes min at $rate runs/s, 1 API, 3 workers, model ${latency} ms, a kill every ${kill_seconds} s (log: .local/bench/soak.log)"
status=0
dotnet test "$AGENT_ROOT/Agent.Benchmarks" -c Release --no-build -nologo \
  --filter "FullyQualifiedName~Soak_benchmark" \
  --logger "console;verbosity=normal" \
  --results-directory "$AGENT_LOCAL/test-results" \
  >"$AGENT_BENCH_OUT/soak.log" 2>&1 || status=$?
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

[ -f "$AGENT_BENCH_OUT/8-soak.md" ] || { tail -80 "$AGENT_BENCH_OUT/soak.log" >&2; die "the soak test wrote no report"; }
cat "$AGENT_BENCH_OUT/8-soak.md"
echo
echo "Machine: $(nproc) cores; load average before $load_before, after $load_after; commit $(git -C "$AGENT_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
[ "$status" -eq 0 ] || { grep -E -A3 'Failed|Assert|Expected|But was' "$AGENT_BENCH_OUT/soak.log" | head -40 >&2; die "soak test failed"; }
