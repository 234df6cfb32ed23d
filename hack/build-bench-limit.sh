#!/usr/bin/env bash
# Builds bench/limit (client-go, protobuf) from Go modules, through a throw-away wrapper module,
# into a cache directory keyed by the client-go version and the program's content. Reuses it.
#
#   CLIENT_GO_VER  k8s.io/client-go release (default: the control plane's, v0.37.1)
#   OUT            output directory (default: ~/.cache/stork/bench-limit/<ver>-<hash of main.go>)
#
# Prints the binary's path on its last line.
set -euo pipefail
CLIENT_GO_VER="${CLIENT_GO_VER:-v0.37.1}"
SRC="$(cd "$(dirname "$0")/../bench/limit" && pwd)/main.go"
HASH="$(sha256sum "$SRC" | cut -c1-12)"
CACHE_ROOT="${STORK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/stork}/bench-limit"
OUT="${OUT:-$CACHE_ROOT/$CLIENT_GO_VER-$HASH}"
BIN="$OUT/stork-bench-limit"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod"

say() { printf '[bench-limit] %s\n' "$*" >&2; }

if [[ -x $BIN ]]; then
  say "using cached $BIN"
  echo "$BIN"
  exit 0
fi
command -v go >/dev/null || { say "Go is needed to build the bench's limit (go 1.26 or newer)"; exit 1; }
start=$(date +%s)
W="$(mktemp -d)"
trap 'rm -rf "$W"' EXIT
cp "$SRC" "$W/main.go"
cd "$W"
go mod init example.invalid/stork-bench-limit >/dev/null 2>&1
say "resolving k8s.io/client-go $CLIENT_GO_VER"
go get "k8s.io/client-go@$CLIENT_GO_VER" "k8s.io/api@$CLIENT_GO_VER" "k8s.io/apimachinery@$CLIENT_GO_VER"
go mod tidy
say "compiling"
go build -trimpath -ldflags="-s -w" -o "$W/stork-bench-limit" .
mkdir -p "$OUT"
mv "$W/stork-bench-limit" "$BIN"  # only a complete build looks cached
say "built in $(( $(date +%s) - start ))s: $BIN"
echo "$BIN"
