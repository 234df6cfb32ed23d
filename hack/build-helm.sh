#!/usr/bin/env bash
# Builds the helm CLI from Go modules (`go install <module>/cmd/helm@<version>`) into a cache
# directory keyed by version, so the chart test renders with the real helm. Reuses the cache;
# a lock (flock) makes concurrent runs wait for each other.
#
#   HELM_MODULE  Go module of Helm (default below)
#   HELM_VER     its release (default below; pinned in src/stork/deploy/helm.py)
#   HELM_OUT     output directory (default: ~/.cache/stork/helm/<HELM_VER>)
#
# Prints the output directory on its last line.
set -euo pipefail
HELM_MODULE="${HELM_MODULE:-helm.sh/helm/v4}"
HELM_VER="${HELM_VER:-v4.3.2}"
CACHE_ROOT="${STORK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/stork}/helm"
HELM_OUT="${HELM_OUT:-$CACHE_ROOT/$HELM_VER}"
export GOTOOLCHAIN=local CGO_ENABLED=0

say() { printf '[helm] %s\n' "$*" >&2; }

if [[ -x $HELM_OUT/helm ]]; then
  say "using cached helm in $HELM_OUT"
  echo "$HELM_OUT"
  exit 0
fi
mkdir -p "$HELM_OUT"
# Several worktrees share the cache: wait for a concurrent build instead of repeating it.
exec 9>"$CACHE_ROOT/.build.lock"
if ! flock -n 9; then
  say "another build of helm is running; waiting for it"
  flock 9
fi
if [[ -x $HELM_OUT/helm ]]; then
  say "using cached helm in $HELM_OUT"
  echo "$HELM_OUT"
  exit 0
fi
command -v go >/dev/null || { say "Go is needed to build helm (go 1.26 or newer)"; exit 1; }
start=$(date +%s)
W="$(mktemp -d)"
trap 'rm -rf "$W"' EXIT
say "building helm $HELM_VER with $(go env GOVERSION) (a few minutes the first time)"
GOBIN="$W/bin" go install -trimpath \
  -ldflags="-s -w -X helm.sh/helm/v${HELM_VER:1:1}/internal/version.version=$HELM_VER" \
  "$HELM_MODULE/cmd/helm@$HELM_VER"
# Move into place only when it built, so a broken build never looks cached.
mv "$W/bin/helm" "$HELM_OUT/helm"
"$HELM_OUT/helm" version --short >&2 || true
say "built in $(( $(date +%s) - start ))s into $HELM_OUT"
echo "$HELM_OUT"
