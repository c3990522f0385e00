#!/usr/bin/env bash
# Asks the agent one question through the LangGraph Server API and prints the run as it streams: one line per
# step, then the answer, the run id, and a psql command that shows the run, its checkpoints and its events.
#
# Usage: deploy/local/ask.sh "question" [--api URL] [--api-key-file FILE] [--thread ID] [--assistant ID] [--raw]
#   --api URL        the API (default $AGENT_API_URL, else http://localhost:$AGENT_API_PORT, port 8123 by default)
#   --api-key-file FILE  the file holding the API key (default .local/api-key, which up.sh writes); the key is
#                    sent as x-api-key. AGENT_API_KEY in the environment wins; set it empty for an API started
#                    with --no-auth.
#   --thread ID      continue an existing thread instead of creating one
#   --assistant ID   the assistant to run (default agent)
#   --raw            also copy the raw event stream to stderr
# Environment: AGENT_ASK_TIMEOUT seconds for the whole stream (default 600); AGENT_PSQL, the psql command the
# printed inspection line starts with (default: psql on localhost with the agent role services.sh creates;
# with Docker Compose: AGENT_PSQL="docker compose exec postgres psql -U agent -d agent").
# Needs bash, curl and jq (services.sh installs jq).
set -euo pipefail

log() { printf '[ask] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() { awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; }

API="${AGENT_API_URL:-http://localhost:${AGENT_API_PORT:-8123}}"
API_KEY_FILE="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.local/api-key"
THREAD_ID=""
ASSISTANT="agent"
RAW=false
QUESTION=""
while [ $# -gt 0 ]; do
  case $1 in
    --api) [ $# -ge 2 ] || die "--api needs a URL"; API=$2; shift 2 ;;
    --api-key-file) [ $# -ge 2 ] || die "--api-key-file needs a file"; API_KEY_FILE=$2; shift 2 ;;
    --thread) [ $# -ge 2 ] || die "--thread needs an id"; THREAD_ID=$2; shift 2 ;;
    --assistant) [ $# -ge 2 ] || die "--assistant needs an id"; ASSISTANT=$2; shift 2 ;;
    --raw) RAW=true; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) die "unknown option: $1 (see --help)" ;;
    *) [ -z "$QUESTION" ] || die "one question only (quote it)"; QUESTION=$1; shift ;;
  esac
done
[ -n "$QUESTION" ] || { usage >&2; exit 2; }
API=${API%/}
command -v curl >/dev/null 2>&1 || die "curl is missing (apt-get install curl)"
command -v jq >/dev/null 2>&1 || die "jq is missing (apt-get install jq, or run deploy/local/services.sh)"

if [ -t 1 ]; then
  BOLD=$'\e[1m' DIM=$'\e[2m' RED=$'\e[31m' RESET=$'\e[0m'
else
  BOLD="" DIM="" RED="" RESET=""
fi

STATE=$(mktemp -d)
trap 'rm -rf "$STATE"' EXIT

# The key goes to curl in a header file (-H @file), so it never shows in the process list.
if [ -z "${AGENT_API_KEY+set}" ] && [ -r "$API_KEY_FILE" ]; then
  AGENT_API_KEY=$(cat "$API_KEY_FILE")
fi
(umask 077 && : >"$STATE/auth")
if [ -n "${AGENT_API_KEY:-}" ]; then
  printf 'x-api-key: %s\n' "$AGENT_API_KEY" >"$STATE/auth"
fi

if [ -z "$THREAD_ID" ]; then
  response=$(curl -sS --fail-with-body --connect-timeout 5 --max-time 30 -X POST "$API/threads" \
    -H @"$STATE/auth" -H 'Content-Type: application/json' -d '{}') ||
    die "could not create a thread at $API/threads (is the API up? deploy/local/up.sh): $response"
  THREAD_ID=$(jq -r '.thread_id // empty' <<<"$response")
  [ -n "$THREAD_ID" ] || die "POST /threads returned no thread_id: $response"
fi

# jq helpers for LangChain-form messages: content is a string or a list of content blocks.
# shellcheck disable=SC2016 # jq's $variables, not the shell's.
JQ_DEFS='
def text: if type == "string" then . elif type == "array" then map(if type == "string" then . else (.text // "") end) | join("") elif . == null then "" else tojson end;
def plural($n; $word): "\($n) \($word)" + (if $n == 1 then "" else "s" end);
def tool_summary:
  (.content | if type == "string" then (try fromjson catch null) else . end) as $c
  | if .status == "error" then "error: " + (.content | text | .[0:200])
    elif ($c | type) == "array" then plural($c | length; "result")
    elif ($c | type) == "object" and (($c.results? // null) | type) == "array" then plural($c.results | length; "result")
    else plural(.content | text | length; "char") end;
'

# Prints one line per message of an "updates" event: data is {"node": {"messages": [...]}}.
print_updates() {
  jq -r "$JQ_DEFS"'
    to_entries[]
    | .key as $node
    | ((.value // {}) | .messages // []) as $messages
    | if ($messages | length) == 0 then "[step] \($node)"
      else $messages[]
        | if .type == "ai" and ((.tool_calls // []) | length) > 0 then
            .tool_calls[] | "[step] \($node) → tool call \(.name) \(.args | tojson)"
          elif .type == "ai" then "[step] \($node) → answer (\(.content | text | length) chars)"
          elif .type == "tool" then "[step] \($node) → \(tool_summary)" + (if .name then " (\(.name))" else "" end)
          else "[step] \($node) → \(.type // "message")"
          end
      end' <<<"$1" 2>/dev/null || printf '[step] (unreadable update) %s\n' "${1:0:200}"
}

# Handles one server-sent event (name, data).
dispatch() {
  local event=$1 data=$2
  [ -n "$data" ] || return 0
  case $event in
    metadata)
      jq -r '.run_id // empty' <<<"$data" >"$STATE/run_id" 2>/dev/null || true
      [ ! -s "$STATE/run_id" ] || printf '%s[run] %s%s\n' "$DIM" "$(cat "$STATE/run_id")" "$RESET"
      ;;
    updates)
      printf '%s' "$DIM"; print_updates "$data"; printf '%s' "$RESET"
      ;;
    values)
      printf '%s' "$data" >"$STATE/values"
      ;;
    error)
      printf '%s' "$data" >"$STATE/error"
      printf '%s[error] %s%s\n' "$RED" \
        "$(jq -r '"\(.error // "error"): \(.message // "")"' <<<"$data" 2>/dev/null || printf '%s' "$data")" "$RESET" >&2
      ;;
  esac
}

# Reads text/event-stream (https://html.spec.whatwg.org/multipage/server-sent-events.html) from stdin.
read_stream() {
  local line event="" data=""
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%$'\r'}
    case $line in
      "") dispatch "${event:-message}" "$data"; event=""; data="" ;;
      :*) ;; # comment: the server's heartbeat
      event:*) event=${line#event:}; event=${event# } ;;
      data:*) line=${line#data:}; line=${line# }; data=${data:+$data$'\n'}$line ;;
      id:* | retry:*) ;;
      *) printf '%s\n' "$line" >&2 ;; # not an event: an HTTP error body
    esac
  done
  dispatch "${event:-message}" "$data"
}

body=$(jq -n --arg assistant "$ASSISTANT" --arg question "$QUESTION" \
  '{assistant_id: $assistant, input: {messages: [{role: "user", content: $question}]}, stream_mode: ["updates", "values"]}')
printf '%s[thread] %s%s\n' "$DIM" "$THREAD_ID" "$RESET"
set +e
curl -sS -N --fail-with-body --connect-timeout 5 --max-time "${AGENT_ASK_TIMEOUT:-600}" \
  -X POST "$API/threads/$THREAD_ID/runs/stream" -D "$STATE/headers" \
  -H @"$STATE/auth" -H 'Content-Type: application/json' -H 'Accept: text/event-stream' --data-binary "$body" |
  if $RAW; then tee /dev/stderr; else cat; fi | read_stream
statuses=("${PIPESTATUS[@]}")
set -e
curl_status=${statuses[0]}

# The run id also comes back in Content-Location: /threads/{thread_id}/runs/{run_id}.
RUN_ID=$(cat "$STATE/run_id" 2>/dev/null || true)
if [ -z "$RUN_ID" ] && [ -f "$STATE/headers" ]; then
  RUN_ID=$(tr -d '\r' <"$STATE/headers" | sed -n 's|^[Cc]ontent-[Ll]ocation:.*/runs/\([^/?]*\).*|\1|p' | tail -n 1)
fi

status=0
if [ -f "$STATE/values" ]; then
  answer=$(jq -r "$JQ_DEFS"'[.messages[]? | select(.type == "ai")] | last | .content // "" | text' <"$STATE/values" 2>/dev/null || true)
  if [ -n "$answer" ]; then
    printf '\n%sAnswer%s\n%s\n' "$BOLD" "$RESET" "$answer"
  else
    log "the final state holds no answer"
    status=1
  fi
elif [ ! -f "$STATE/error" ]; then
  log "the stream ended without the final state"
  status=1
fi
[ -f "$STATE/error" ] && status=1
if [ "$curl_status" -ne 0 ]; then
  log "the stream failed (curl exit $curl_status)"
  status=1
fi

if [ -n "$RUN_ID" ]; then
  PSQL="${AGENT_PSQL:-psql \"postgresql://${AGENT_PG_USER:-agent}:${AGENT_PG_PASSWORD:-agent}@localhost:5432/${AGENT_PG_DATABASE:-agent}\"}"
  cat <<EOF

${DIM}run    ${RESET}$RUN_ID
${DIM}thread ${RESET}$THREAD_ID
${DIM}inspect the run, its checkpoints and its events:${RESET}
$PSQL -P pager=off \\
  -c "SELECT run_id, status, attempt, step_count, input_tokens, output_tokens, cost_usd, created_at, ended_at, error FROM agent.runs WHERE run_id = '$RUN_ID'" \\
  -c "SELECT sequence, step, node, created_at, left(delta::text, 100) AS delta FROM agent.checkpoints WHERE run_id = '$RUN_ID' ORDER BY sequence" \\
  -c "SELECT sequence, kind, left(data::text, 120) AS data FROM agent.run_events WHERE run_id = '$RUN_ID' ORDER BY sequence"
EOF
fi
exit "$status"
