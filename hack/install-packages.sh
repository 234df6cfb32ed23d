#!/usr/bin/env bash
# Installs the Debian packages the sandbox's nodes and the controller image need (containerd,
# runc, the CNI plugins, a static busybox, iptables, gcc for the pause program, buildah), with
# apt-get, quietly. Idempotent: does nothing when they are all installed. Without root or without
# apt-get it says so in one line and succeeds: the sandbox without nodes needs none of them.
#
#   hack/install-packages.sh PACKAGE...
set -euo pipefail
say() { printf '[packages] %s\n' "$*" >&2; }

missing=()
for p in "$@"; do
  status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
  [[ $status == "install ok installed" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  say "not root: not installing ${missing[*]} (needed only by \`stork sandbox up --nodes\` and \`make image\`)"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  say "no apt-get: not installing ${missing[*]} (needed only by \`stork sandbox up --nodes\` and \`make image\`)"
  exit 0
fi
start=$(date +%s)
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet, or stale ones: update once, then install.
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    say "apt-get install ${missing[*]} failed:"
    tail -n 20 "$log" >&2
    exit 1
  fi
fi
say "installed ${missing[*]} in $(( $(date +%s) - start ))s"
