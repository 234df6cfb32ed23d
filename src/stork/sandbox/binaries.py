"""Where the control-plane binaries come from, and which versions the project pins.

``make controlplane`` builds them (hack/build-controlplane.sh) into a cache directory keyed by
version, with the nodes' kubelet and kube-scheduler; ``KUBEBUILDER_ASSETS`` (the envtest
convention) overrides that directory.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

KUBERNETES_VERSION = "v1.37.1"
ETCD_VERSION = "v3.6.16"
BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager")
#: What a node of ``stork sandbox up --nodes`` runs besides containerd (built with the above).
NODE_BINARIES = ("kubelet", "kube-scheduler")


class MissingBinariesError(RuntimeError):
    """The control-plane binaries are not where they should be."""


def cache_root() -> Path:
    """The project's build cache: ``$STORK_CACHE_DIR``, else ``$XDG_CACHE_HOME/stork`` or
    ``~/.cache/stork`` (what hack/build-*.sh use too)."""
    root = os.environ.get("STORK_CACHE_DIR")
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "stork"


def cache_dir() -> Path:
    """The build cache directory for the pinned versions."""
    return cache_root() / "controlplane" / f"{KUBERNETES_VERSION}-etcd{ETCD_VERSION}"


def binary_dir() -> Path:
    """The directory that holds etcd, kube-apiserver and kube-controller-manager.

    Raises MissingBinariesError, with a message that says how to get them, when one is missing.
    """
    assets = os.environ.get("KUBEBUILDER_ASSETS")
    where = Path(assets) if assets else cache_dir()
    missing = [b for b in BINARIES if not os.access(where / b, os.X_OK)]
    if missing:
        origin = "KUBEBUILDER_ASSETS" if assets else "the build cache"
        raise MissingBinariesError(
            f"control-plane binaries not found in {where} ({origin}): missing "
            f"{', '.join(missing)}. Run `make controlplane` to build them "
            f"(kube-apiserver {KUBERNETES_VERSION}, etcd {ETCD_VERSION}), or set "
            "KUBEBUILDER_ASSETS to a directory that holds etcd, kube-apiserver and "
            "kube-controller-manager."
        )
    return where


def node_binary_dir() -> Path:
    """The directory that holds kubelet and kube-scheduler: ``KUBEBUILDER_ASSETS`` when it has
    them (envtest's assets do not), else the build cache.

    Raises MissingBinariesError, saying how to get them, when neither has both.
    """
    assets = os.environ.get("KUBEBUILDER_ASSETS")
    candidates = ([Path(assets)] if assets else []) + [cache_dir()]
    for where in candidates:
        if all(os.access(where / b, os.X_OK) for b in NODE_BINARIES):
            return where
    raise MissingBinariesError(
        f"kubelet and kube-scheduler not found in {cache_dir()} (the build cache)"
        + (" nor in KUBEBUILDER_ASSETS" if assets else "")
        + f": run `make controlplane`{' without KUBEBUILDER_ASSETS' if assets else ''} "
        f"to build them ({KUBERNETES_VERSION})"
    )


def main() -> None:
    """Print the pinned versions and the cache directory as shell assignments (for make)."""
    del sys.argv[1:]
    print(f"KVER={KUBERNETES_VERSION}")
    print(f"ETCD_VER={ETCD_VERSION}")
    print(f"OUT={cache_dir()}")


if __name__ == "__main__":
    main()
