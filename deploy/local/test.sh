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

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else die "needs root to install $*"; fi
}

# The LangGraph JS SDK suite (Agent.Tests/Sdk) runs the pinned @langchain/langgraph-sdk under Node.js >= 20.
# Debian 12 packages Node 18, so an older node gets Node 20 from the npm registry (the "node" package carries the
# official binary) in .local/node, put first on PATH for the test run.
ensure_node() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    log "installing nodejs and npm (Debian packages) for the LangGraph JS SDK suite"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 20 ]; then
    if [ ! -x "$AGENT_LOCAL/node/node_modules/.bin/node" ]; then
      log "node $(node --version) is older than 20; installing Node 20 from the npm registry into .local/node"
      npm install --prefix "$AGENT_LOCAL/node" --no-audit --no-fund --loglevel=error node@20 >/dev/null || die "could not install Node 20"
    fi
    export PATH="$AGENT_LOCAL/node/node_modules/.bin:$PATH"
  fi
  log "node $(node --version), npm $(npm --version)"
}
ensure_node

# The SDK suite's packages (Agent.Tests/Sdk/package-lock.json: the SDK, and React and esbuild for react-page, the
# useStream page the browser spec bundles and drives). npm ci again whenever the lockfile is newer than the install.
ensure_sdk_packages() {
  local dir="$AGENT_ROOT/Agent.Tests/Sdk"
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    log "installing the SDK suite's npm packages (npm ci in Agent.Tests/Sdk)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci failed in Agent.Tests/Sdk"
  fi
}
ensure_sdk_packages

# The alert rules' unit test (Agent.Tests/Telemetry/AlertRules_Specs) runs promtool, which Debian ships in the
# "prometheus" package (about a minute to install on a loaded machine; once). AGENT_TEST_REQUIRE_PROMTOOL makes that spec fail instead of skipping.
ensure_promtool() {
  if ! command -v promtool >/dev/null 2>&1; then
    log "installing prometheus (Debian package; it ships promtool) for the alert rules' unit test"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null \
      || die "could not install the prometheus package (promtool)"
    # The package starts a Prometheus server on :9090; the tests need only its promtool.
    as_root systemctl disable --now prometheus >/dev/null 2>&1 || as_root service prometheus stop >/dev/null 2>&1 || true
  fi
  log "$(promtool --version 2>&1 | head -n 1)"
  export AGENT_TEST_REQUIRE_PROMTOOL=1
}
ensure_promtool

log "validating the Kubernetes manifests (deploy/k8s/validate.sh)"
bash "$AGENT_ROOT/deploy/k8s/validate.sh" || die "Kubernetes manifests invalid"

# The web console's browser specs (Agent.Tests/WebConsole) and the useStream page's (Agent.Tests/Sdk/ReactUseStream_Specs) drive Debian's chromium through Playwright (its own browser
# download cannot work here). About 100 MB from Debian's mirror on a clean machine; nothing when it is there.
ensure_chromium() {
  if ! command -v chromium >/dev/null 2>&1; then
    log "installing chromium (Debian package) for the web console's browser specs"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  fi
  export AGENT_TEST_CHROMIUM="${AGENT_TEST_CHROMIUM:-$(command -v chromium)}"
  log "chromium: $AGENT_TEST_CHROMIUM"
}
ensure_chromium

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
