#!/usr/bin/env bash
# Validates the Kubernetes manifests without a cluster: renders every kustomization with `kubectl kustomize`, then
# checks each object against the Kubernetes, KEDA and Prometheus Operator schemas (deploy/k8s/check). Also feeds
# the checker a broken Deployment, which it must reject, so a checker that passes everything fails here.
# Takes about 5 s once the check's npm packages are installed (npm ci, about a minute, the first time).
#
# Needs kubectl (Debian's kubernetes-client is installed when none is on PATH; its kustomize 2.0.3 is why the
# kustomizations use `bases` and `patchesStrategicMerge`) and node with npm.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[k8s] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if ! command -v kubectl >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || die "kubectl is missing; install Debian's kubernetes-client"
  log "installing kubectl (Debian's kubernetes-client)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null
fi
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || die "node and npm are needed (deploy/local/test.sh installs them)"

if [ ! -d "$here/check/node_modules/kubernetes-models" ]; then
  log "installing the schema packages (npm ci in deploy/k8s/check)"
  (cd "$here/check" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci failed"
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
rendered=()
for kustomization in base cpu-autoscaling keda keda-queues monitoring overlays/local; do
  file="$out/$(echo "$kustomization" | tr / -).yaml"
  # kustomize 5 warns on stderr about the 2.0.3-compatible fields; only a failure matters.
  kubectl kustomize "$here/$kustomization" >"$file" 2>"$out/stderr" || { cat "$out/stderr" >&2; die "kubectl kustomize $kustomization failed"; }
  rendered+=("$file")
  log "rendered $kustomization: $(grep -c '^kind:' "$file") objects"
done

node "$here/check/check.mjs" "${rendered[@]}" || die "schema check failed"

sed 's/containerPort: 8123/containerPort: "8123"/' "$out/base.yaml" >"$out/broken.yaml"
if node "$here/check/check.mjs" "$out/broken.yaml" >/dev/null 2>&1; then
  die "the schema check accepted a Deployment whose containerPort is a string"
fi
log "manifests valid"
