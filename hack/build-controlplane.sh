#!/usr/bin/env bash
# Builds the sandbox's Kubernetes binaries from Go modules, through throw-away wrapper modules,
# into a cache directory keyed by version, and reuses the cache:
#   kube-apiserver, kube-controller-manager (the control plane), kubelet, kube-scheduler (the
#   nodes of `stork sandbox up --nodes`) from k8s.io/kubernetes, and etcd.
# All four k8s.io/kubernetes commands are resolved in ONE wrapper module and compiled by ONE
# `go build`, so the packages they share are compiled once and the Go build cache (GOCACHE)
# serves every later build; when only some are missing, only those are linked.
# A lock (flock on the cache root) makes concurrent runs (several worktrees share the cache)
# wait for each other instead of building the same thing twice.
#
#   KVER      k8s.io/kubernetes release (default below)
#   ETCD_VER  go.etcd.io/etcd/server/v3 release (default below)
#   OUT       output directory (default: ~/.cache/stork/controlplane/<KVER>-etcd<ETCD_VER>)
#
# Prints the output directory on its last line.
set -euo pipefail
KVER="${KVER:-v1.37.1}"
ETCD_VER="${ETCD_VER:-v3.6.16}"
CACHE_ROOT="${STORK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/stork}/controlplane"
OUT="${OUT:-$CACHE_ROOT/$KVER-etcd$ETCD_VER}"
# The cache holds every one of these; a directory missing any of them is completed.
K8S_BINARIES=(kube-apiserver kube-controller-manager kubelet kube-scheduler)
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod"

say() { printf '[controlplane] %s\n' "$*" >&2; }

missing_k8s() {
  local b
  for b in "${K8S_BINARIES[@]}"; do [[ -x $OUT/$b ]] || echo "$b"; done
}
complete() { [[ -z $(missing_k8s) && -x $OUT/etcd ]]; }

if complete; then
  say "using cached binaries in $OUT"
  echo "$OUT"
  exit 0
fi
mkdir -p "$OUT"
exec 9>"$CACHE_ROOT/.build.lock"
if ! flock -n 9; then
  say "another build of the control plane is running; waiting for it"
  flock 9
fi
if complete; then  # built by the run we waited for
  say "using cached binaries in $OUT"
  echo "$OUT"
  exit 0
fi
command -v go >/dev/null || { say "Go is needed to build the control plane (go 1.26 or newer)"; exit 1; }
start=$(date +%s)
W="$(mktemp -d)"
trap 'rm -rf "$W"' EXIT
mapfile -t MISSING < <(missing_k8s)

if [[ ${#MISSING[@]} -gt 0 ]]; then
  SVER="v0.${KVER#v1.}"            # v1.37.1 -> v0.37.1
  MINOR="${KVER#v1.}"; MINOR="${MINOR%%.*}"
  say "building ${MISSING[*]} $KVER with $(go env GOVERSION) (all four cold: about 15 minutes on 2 cores)"
  mkdir "$W/k"; cd "$W/k"
  go mod init example.invalid/stork-controlplane >/dev/null 2>&1
  KJSON="$(go mod download -json "k8s.io/kubernetes@$KVER")"
  KMOD="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["GoMod"])' "$KJSON")"
  KGO="$(awk '$1=="go"{print $2; exit}' "$KMOD")"
  python3 - "$KGO" "$(go env GOVERSION)" <<'PY'
import sys
need = [int(x) for x in sys.argv[1].split(".")]
have = [int(x) for x in sys.argv[2][2:].split(".")[:3]]
sys.exit(0 if have[: len(need)] >= need else f"k8s needs go {sys.argv[1]}, this machine has {sys.argv[2]}")
PY
  go mod edit -go="$KGO"
  KDBG="$(awk '$1=="godebug"{print $2; exit}' "$KMOD")"
  [[ -n $KDBG ]] && printf '\ngodebug %s\n' "$KDBG" >> go.mod
  # Every staging module k8s.io/kubernetes replaces with ./staging/... is replaced here by its published tag.
  sed -nE 's#^[[:space:]]*(replace[[:space:]]+)?(k8s\.io/[^[:space:]]+)[[:space:]]+=>[[:space:]]+\./staging/.*#\2#p' "$KMOD" |
    while read -r m; do go mod edit -replace="$m=$m@$SVER"; done
  say "resolving modules"
  # Always all four: the same module graph whichever are missing, so the build cache matches.
  tools=(); for b in "${K8S_BINARIES[@]}"; do tools+=("k8s.io/kubernetes/cmd/$b@$KVER"); done
  go get -tool "${tools[@]}"
  COMMIT="$(python3 -c 'import json,sys; print((json.loads(sys.argv[1]).get("Origin") or {}).get("Hash",""))' "$KJSON")"
  LD="-s -w"
  for kv in "gitVersion=$KVER" "gitMajor=1" "gitMinor=$MINOR" "gitTreeState=clean" \
            "buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)" ${COMMIT:+"gitCommit=$COMMIT"}; do
    LD+=" -X k8s.io/component-base/version.$kv -X k8s.io/client-go/pkg/version.$kv"
  done
  pkgs=(); for b in "${MISSING[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  say "compiling ${MISSING[*]}"
  go build -trimpath -tags=selinux,notest,grpcnotrace -ldflags="$LD" -o "$W/bin/" "${pkgs[@]}"
fi

if [[ ! -x $OUT/etcd ]]; then
  say "building etcd $ETCD_VER"
  mkdir "$W/e"; cd "$W/e"
  go mod init example.invalid/stork-etcd >/dev/null 2>&1
  go get -tool "go.etcd.io/etcd/server/v3@$ETCD_VER"
  # The package path ends in /v3, so without -o the binary would be called "server".
  go build -trimpath -ldflags="-s -w" -o "$W/bin/etcd" go.etcd.io/etcd/server/v3
fi

# Move into place only what built, each binary whole, so a broken build never looks cached.
for b in "$W"/bin/*; do mv "$b" "$OUT/"; done
"$OUT/kube-apiserver" --version >&2
"$OUT/etcd" --version | head -1 >&2
say "built in $(( $(date +%s) - start ))s into $OUT"
echo "$OUT"
