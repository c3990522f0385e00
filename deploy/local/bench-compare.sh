#!/usr/bin/env bash
# Measures one benchmark on an earlier commit and on this tree in the same run, alternating them round by round so
# that both see the same machine and load, and prints their goals rows side by side. Used for "before and after"
# figures (BENCHMARKS.md), e.g. the per-step overhead before and after the switch to the design card's packages.
#
# Usage: deploy/local/bench-compare.sh BASE [--only NAME] [--rounds N] [--quick]
#   BASE         the earlier commit (any git revision); checked out as a detached worktree in .local/compare/base
#   --only NAME  the benchmark (bench.sh --only): Step_loop (default), Throughput, Latency, Recovery, Storage, ...
#   --rounds N   base then this tree, N times (default 2)
#   --quick      bench.sh --quick on both
# Both trees must have deploy/local/bench.sh with --only and --no-build (main since f2bf087). Output:
# .local/compare/<NAME>-<tree>-<round>.md (each run's summary) and the table printed at the end.
set -euo pipefail

# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -ge 1 ] || die "usage: deploy/local/bench-compare.sh BASE [--only NAME] [--rounds N] [--quick]"
base_rev=$1
shift
only=Step_loop
rounds=2
quick=()
while [ $# -gt 0 ]; do
  case "$1" in
    --only) [ $# -ge 2 ] || die "--only needs a name"; only=$2; shift ;;
    --rounds) [ $# -ge 2 ] || die "--rounds needs a number"; rounds=$2; shift ;;
    --quick) quick=(--quick) ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
  shift
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "--rounds must be a positive number"

require_dotnet
out="$AGENT_LOCAL/compare"
base_tree="$out/base"
mkdir -p "$out"
base_sha=$(git -C "$AGENT_ROOT" rev-parse --verify "$base_rev^{commit}") || die "unknown revision '$base_rev'"
head_sha=$(git -C "$AGENT_ROOT" rev-parse HEAD)
if [ -d "$base_tree" ]; then
  git -C "$base_tree" checkout -q --detach "$base_sha"
else
  git -C "$AGENT_ROOT" worktree add -q --detach "$base_tree" "$base_sha"
fi

log "building base ${base_sha:0:7} and this tree ${head_sha:0:7} (Release)"
dotnet build "$base_tree/Agent.sln" -c Release -nologo -v quiet >"$out/build-base.log" 2>&1 || die "base build failed ($out/build-base.log)"
dotnet build "$AGENT_ROOT/Agent.sln" -c Release -nologo -v quiet >"$out/build-head.log" 2>&1 || die "build failed ($out/build-head.log)"

run_one() { # tree label round
  local tree=$1 label=$2 round=$3
  log "round $round: $label ($only)"
  bash "$tree/deploy/local/bench.sh" --only "$only" --no-build "${quick[@]}" >"$out/$only-$label-$round.log" 2>&1 \
    || die "bench.sh failed on $label (see $out/$only-$label-$round.log)"
  cp "$tree/.local/bench/summary.md" "$out/$only-$label-$round.md"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq 1 "$rounds"); do
  run_one "$base_tree" base "$round"
  run_one "$AGENT_ROOT" head "$round"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# The goals rows ("| goal | target | measured | met |") of each run, labelled.
echo
echo "| tree | round | goal | target | measured |"
echo "|---|---|---|---|---|"
for round in $(seq 1 "$rounds"); do
  for label in base head; do
    sha=$([ "$label" = base ] && echo "${base_sha:0:7}" || echo "${head_sha:0:7}")
    awk -F'|' -v t="$label $sha" -v r="$round" \
      '/^## / { goals = ($0 ~ /^## Goals/) } goals && NF >= 5 && $2 !~ /^[ -]*$/ && $2 !~ /^ *goal *$/ { printf "| %s | %s |%s|%s|%s|\n", t, r, $2, $3, $4 }' \
      "$out/$only-$label-$round.md" | head -n 12
  done
done
echo
echo "Machine: $(nproc) cores; load average before $load_before, after $load_after; base ${base_sha:0:7}, head ${head_sha:0:7}"
