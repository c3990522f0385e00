#!/usr/bin/env bash
# Runs the benchmarks and prints their report: starts PostgreSQL and RabbitMQ (services.sh), builds Release, runs
# the benchmark fixtures of the Agent.Benchmarks project (NUnit, marked [Explicit] so the test suite never runs them),
# then assembles .local/bench/summary.md from what each wrote and prints it: one table of issue 13's goals (goal,
# measured, met or missed), then a section per benchmark. Raw results (every sample) stay in .local/bench/*.json.
# Method and recorded figures: BENCHMARKS.md. A benchmark that throws makes the exit code non-zero.
#
# Usage: deploy/local/bench.sh [--quick] [--only NAME] [--no-build]
#   --quick      few samples per figure: checks the harness (CI runs it), figures are rough
#   --only NAME  one benchmark: Step_loop, Throughput, Latency, Recovery, Storage, Commit or Search
#   --no-build   use the existing Release build (CI builds just before)
# Run it on a quiet machine: the figures are only as good as that. Durations on 2 quiet cores: see BENCHMARKS.md.
set -euo pipefail

# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

quick=0
only=""
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --only) [ $# -ge 2 ] || die "--only needs a name"; only=$2; shift ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
  shift
done

bash "$AGENT_ROOT/deploy/local/services.sh"
require_dotnet

export AGENT_TEST_POSTGRES="${AGENT_TEST_POSTGRES:-Host=localhost;Username=$AGENT_PG_USER;Password=$AGENT_PG_PASSWORD}"
export AGENT_TEST_RABBITMQ="${AGENT_TEST_RABBITMQ:-amqp://guest:guest@localhost:5672/}"
export AGENT_BENCH_QUICK=$quick
export AGENT_BENCH_OUT="$AGENT_LOCAL/bench"
mkdir -p "$AGENT_BENCH_OUT"
rm -f "$AGENT_BENCH_OUT"/*.json "$AGENT_BENCH_OUT"/*.md "$AGENT_BENCH_OUT"/run.log

if [ "$build" = 1 ]; then
  log "building (Release)"
  dotnet build "$AGENT_ROOT/Agent.sln" -c Release -nologo -v quiet || die "build failed"
fi

filter="Category=Benchmark"
[ -z "$only" ] || filter="$filter&FullyQualifiedName~${only}_benchmark"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$SECONDS
log "benchmarking ($([ "$quick" = 1 ] && echo quick || echo full); log: ${AGENT_BENCH_OUT#"$AGENT_ROOT"/}/run.log)"
status=0
dotnet test "$AGENT_ROOT/Agent.Benchmarks" -c Release --no-build -nologo \
  --filter "$filter" \
  --logger "console;verbosity=normal" \
  --results-directory "$AGENT_LOCAL/test-results" \
  --blame-hang-timeout 30m --blame-hang-dump-type none \
  >"$AGENT_BENCH_OUT/run.log" 2>&1 || status=$?
grep -E '^\s+(Passed|Failed) |^Total tests|^\s+(Passed|Failed):' "$AGENT_BENCH_OUT/run.log" >&2 || true
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

pg_version=$(PGPASSWORD="$AGENT_PG_PASSWORD" psql -h localhost -U "$AGENT_PG_USER" -d postgres -tAc 'SHOW server_version' 2>/dev/null || echo unknown)
rabbit_version=$(rabbitmqctl -q version 2>/dev/null || echo unknown)
# shellcheck disable=SC1091 # os-release is the system's.
os=$(. /etc/os-release && echo "$PRETTY_NAME")

summary="$AGENT_BENCH_OUT/summary.md"
{
  echo "# Benchmark results ($([ "$quick" = 1 ] && echo "--quick: few samples, rough figures" || echo "full run"))"
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git -C "$AGENT_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')), $(free -g | awk '/^Mem:/{print $2}') GiB RAM, $os"
  echo "- PostgreSQL $pg_version, RabbitMQ $rabbit_version, .NET SDK $(dotnet --version)"
  echo "- Load average (1, 5, 15 min) before: $load_before; after: $load_after; took $(((SECONDS - started) / 60)) min $(((SECONDS - started) % 60)) s"
  echo "- Command: deploy/local/bench.sh $([ "$quick" = 1 ] && echo "--quick ")$([ -n "$only" ] && echo "--only $only")"
  echo
  echo "## Goals (issue 13)"
  echo
  echo "| goal | target | measured | |"
  echo "|---|---|---|---|"
  # Each row is written as "{order}|| row"; the order is the issue's.
  cat "$AGENT_BENCH_OUT"/*.goals.md 2>/dev/null | sort -n | sed 's/^[0-9]*||//' || true
  for section in "$AGENT_BENCH_OUT"/[0-9]-*.md; do
    case "$section" in *.goals.md) continue ;; esac
    [ -e "$section" ] || continue
    echo
    cat "$section"
  done
} >"$summary"

cat "$summary"
echo
if [ "$status" -eq 0 ]; then
  log "done; raw results in ${AGENT_BENCH_OUT#"$AGENT_ROOT"/}/*.json"
else
  log "a benchmark failed (dotnet test exit $status); see ${AGENT_BENCH_OUT#"$AGENT_ROOT"/}/run.log"
fi
exit "$status"
