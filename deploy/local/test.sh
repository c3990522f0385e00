#!/usr/bin/env bash
# Runs the test suite the way CI does: starts PostgreSQL and RabbitMQ (services.sh), builds Release, and runs
# every test with failures printed in full. The exit code is the test result.
#
# Usage: deploy/local/test.sh [extra dotnet test arguments, e.g. --filter "Category!=Integration"]
# Environment: AGENT_TEST_POSTGRES (default Host=localhost;Username=agent;Password=agent) and
# AGENT_TEST_RABBITMQ (default amqp://guest:guest@localhost:5672/) tell the integration tests where the servers
# are; the defaults are what services.sh starts.
set -euo pipefail

# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash "$AGENT_ROOT/deploy/local/services.sh"
require_dotnet

export AGENT_TEST_POSTGRES="${AGENT_TEST_POSTGRES:-Host=localhost;Username=$AGENT_PG_USER;Password=$AGENT_PG_PASSWORD}"
export AGENT_TEST_RABBITMQ="${AGENT_TEST_RABBITMQ:-amqp://guest:guest@localhost:5672/}"

log "building (Release)"
dotnet build "$AGENT_ROOT/Agent.sln" -c Release -nologo || die "build failed"

log "testing"
# A hung test is reported by name and ends the run after 5 minutes instead of holding CI until its timeout.
status=0
dotnet test "$AGENT_ROOT/Agent.sln" -c Release --no-build -nologo \
  --logger "console;verbosity=normal" \
  --results-directory "$AGENT_LOCAL/test-results" \
  --blame-hang-timeout 5m --blame-hang-dump-type none \
  "$@" || status=$?
if [ "$status" -eq 0 ]; then
  log "tests passed"
else
  log "tests failed (dotnet test exit $status)"
fi
exit "$status"
