"""Local source and destination control planes for the demo and the tests."""

from stork.sandbox.binaries import MissingBinariesError, binary_dir
from stork.sandbox.errors import SandboxError
from stork.sandbox.sandbox import CLUSTER_NAMES, ClusterStatus, Sandbox, UpResult

__all__ = [
    "CLUSTER_NAMES",
    "ClusterStatus",
    "MissingBinariesError",
    "Sandbox",
    "SandboxError",
    "UpResult",
    "binary_dir",
]
