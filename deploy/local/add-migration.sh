#!/usr/bin/env bash
# Adds an EF Core migration for a change to the model (Agent.Persistence), written by the dotnet-ef local tool
# pinned in .config/dotnet-tools.json, and updates Agent.Persistence/Migrations/AgentDbContextModelSnapshot.cs.
# Nothing connects to a database. Undo the last one (not yet on main) with:
#   dotnet ef migrations remove --project Agent.Persistence
#
# Usage: deploy/local/add-migration.sh NAME   (PascalCase, says what changes, e.g. WebhookOutbox)
set -euo pipefail

# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 1 ] || die "usage: deploy/local/add-migration.sh NAME"
require_dotnet
cd "$AGENT_ROOT"
dotnet tool restore >/dev/null || die "dotnet tool restore failed"
dotnet ef migrations add "$1" --project Agent.Persistence --configuration Release
log "wrote Agent.Persistence/Migrations/*_$1.cs; check it, then run the Migrations specs (dotnet test Agent.Tests --filter FullyQualifiedName~Agent.Tests.Persistence)"
