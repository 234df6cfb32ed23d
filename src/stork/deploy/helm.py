"""The Helm binary the chart's test renders with: pinned version, build cache, lookup.

``make controlplane`` builds it from Go modules (hack/build-helm.sh) into a cache directory keyed
by version, next to the control-plane binaries; ``STORK_HELM`` names another binary instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from stork.sandbox.binaries import cache_root

HELM_MODULE = "helm.sh/helm/v4"
HELM_VERSION = "v4.3.2"


class MissingHelmError(RuntimeError):
    """No helm binary where it should be."""


def cache_dir() -> Path:
    """The build cache directory of the pinned Helm version."""
    return cache_root() / "helm" / HELM_VERSION


def helm_binary() -> Path:
    """``$STORK_HELM``, else the cached build; raises MissingHelmError saying how to get it."""
    override = os.environ.get("STORK_HELM")
    path = Path(override) if override else cache_dir() / "helm"
    if not os.access(path, os.X_OK):
        origin = "STORK_HELM" if override else "the build cache"
        raise MissingHelmError(
            f"helm not found at {path} ({origin}). Run `make controlplane` to build helm "
            f"{HELM_VERSION} from Go modules, or set STORK_HELM to a helm binary."
        )
    return path


def main() -> None:
    """Print the pinned module, version and output directory as shell assignments (for make)."""
    del sys.argv[1:]
    print(f"HELM_MODULE={HELM_MODULE}")
    print(f"HELM_VER={HELM_VERSION}")
    print(f"HELM_OUT={cache_dir()}")


if __name__ == "__main__":
    main()
