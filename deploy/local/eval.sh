#!/usr/bin/env bash
# Scores retrieval on the question set eval/questions.tsv (264 questions over the whole PostgreSQL 15 manual, each
# with the pages that answer it): hit@1/3/5 of search_documents (hybrid, and full text alone for comparison) and
# the share of the agent's answers that cite an answering page, per category, plus search latency, and how many
# answers miss because the page was not quoted (selection) or never returned (retrieval). Fails (exit 1)
# when a figure is more than 2 points below the one recorded in eval/figures.json: CI runs it after the tests.
#
# It ingests the manual (embeddings included) into its own database, agent_eval, which it keeps: a second run only
# checks the pages' hashes. First run about 4.5 minutes on the shared 2 cores at load 7 to 11 (BENCHMARKS.md), then
# about a minute and a half.
#
# Usage: deploy/local/eval.sh [--record] [--no-build] [--gate] [--search-only]
#   --record    write this run's figures to eval/figures.json instead of comparing (commit the file)
#   --no-build  use the existing Release build (test.sh has just built it)
#   --gate      what CI runs (.ci/run): a fresh database (dropped and created, so nothing is cached from an
#               earlier run: the whole manual is ingested and embedded), and the offline model answers even when
#               OPENAI_API_KEY is set, since eval/figures.json records the offline model's figures (the LLM judges)
#   --search-only hit@1/3/5 and latency of search_documents only (no agent answers, nothing compared or recorded):
#               the quick loop while working on retrieval
# With an LLM provider set (OPENAI_API_KEY, or AGENT_JUDGE_OPENAI_API_KEY for the judge alone; AGENT_JUDGE_MODEL picks
# its model), an LLM judge also rates each answer's relevance and groundedness from 1 to 5 (Microsoft.Extensions.AI.
# Evaluation's IEvaluator): printed per category and in the report, never gating.
# Environment: OPENAI_API_KEY (unset: the offline extractive model answers; set: the configured LLM does),
# AGENT_EVAL_DATABASE (default agent_eval; agent_eval_gate with --gate), Embeddings__Provider (default MiniLM).
set -euo pipefail

# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RECORD=()
NO_AGENT=()
BUILD=true
GATE=false
while [ $# -gt 0 ]; do
  case "$1" in
    --record) RECORD=(--record); shift ;;
    --no-build) BUILD=false; shift ;;
    --gate) GATE=true; shift ;;
    --search-only) NO_AGENT=(--no-agent); shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

MANUAL_DIR="/usr/share/doc/postgresql-doc-15/html"
EVAL_DATABASE="${AGENT_EVAL_DATABASE:-agent_eval}"
if $GATE; then
  EVAL_DATABASE="${AGENT_EVAL_DATABASE:-agent_eval_gate}"
  # The recorded figures are the offline extractive model's: an LLM's citations are not comparable with them. The
  # provider's variables move to AGENT_JUDGE_*, so an LLM still judges the offline model's answers (never gating).
  for var in OPENAI_API_KEY OPENAI_BASE_URL AZURE_OPENAI_ENDPOINT AZURE_OPENAI_API_KEY; do
    judge_var="AGENT_JUDGE_$var"
    if [ -n "${!var:-}" ] && [ -z "${!judge_var:-}" ]; then export "$judge_var=${!var}"; fi
  done
  unset OPENAI_API_KEY AZURE_OPENAI_ENDPOINT AZURE_OPENAI_API_KEY
fi
export ConnectionStrings__Agent="Host=localhost;Username=$AGENT_PG_USER;Password=$AGENT_PG_PASSWORD;Database=$EVAL_DATABASE"

bash "$AGENT_ROOT/deploy/local/services.sh"
require_dotnet
[ -d "$MANUAL_DIR" ] || die "$MANUAL_DIR is missing (package postgresql-doc-15; services.sh installs it)"
mkdir -p "$AGENT_LOGS" "$AGENT_LOCAL/eval"

if $BUILD; then
  log "building the worker (Release)"
  dotnet build "$AGENT_ROOT/Agent.Worker" -c Release -nologo -v quiet -clp:NoSummary || die "build failed"
fi

if $GATE; then
  log "dropping the database $EVAL_DATABASE (the gate ingests and embeds the whole manual from nothing)"
  PGPASSWORD="$AGENT_PG_PASSWORD" psql -h localhost -U "$AGENT_PG_USER" -d postgres -qc "DROP DATABASE IF EXISTS $EVAL_DATABASE WITH (FORCE)" ||
    die "could not drop the database $EVAL_DATABASE"
fi
GATE_STARTED=$SECONDS

if ! PGPASSWORD="$AGENT_PG_PASSWORD" psql -h localhost -U "$AGENT_PG_USER" -d postgres -Atqc \
    "SELECT 1 FROM pg_database WHERE datname = '$EVAL_DATABASE'" | grep -q 1; then
  log "creating the database $EVAL_DATABASE"
  PGPASSWORD="$AGENT_PG_PASSWORD" psql -h localhost -U "$AGENT_PG_USER" -d postgres -qc "CREATE DATABASE $EVAL_DATABASE" ||
    die "could not create the database $EVAL_DATABASE"
fi

worker() { (cd "$AGENT_WORKER_DIR" && dotnet Agent.Worker.dll "$@"); }

log "migrating $EVAL_DATABASE"
worker migrate >"$AGENT_LOGS/eval-migrate.log" 2>&1 || { show_log_tail eval-migrate; die "migrate failed"; }
log "ingesting the manual with embeddings (progress below; log: .local/logs/eval-ingest.log)"
worker ingest --path "$MANUAL_DIR" 2>&1 | tee "$AGENT_LOGS/eval-ingest.log" | grep --line-buffered -E '^(ingest|embedding):' >&2 ||
  { show_log_tail eval-ingest; die "ingest failed"; }

log "scoring $(grep -vc '^#' "$AGENT_ROOT/eval/questions.tsv") questions (per-question report: .local/eval/last-run.tsv)"
worker eval --check --manual "$MANUAL_DIR" \
  --questions "$AGENT_ROOT/eval/questions.tsv" --figures "$AGENT_ROOT/eval/figures.json" \
  --report "$AGENT_LOCAL/eval/last-run.tsv" "${RECORD[@]}" "${NO_AGENT[@]}" | grep -v -E '^\{"(Timestamp|@t)"' ||
  { status=$?; log "eval finished in $((SECONDS - GATE_STARTED)) s (exit $status)"; exit "$status"; }
log "eval finished in $((SECONDS - GATE_STARTED)) s (ingest, embeddings and scoring; load average now $(cut -d' ' -f1-3 /proc/loadavg))"

