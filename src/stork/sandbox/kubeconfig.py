"""kubeconfig files for the sandbox clusters (certificates inlined, so files are self-contained)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class ClusterCredentials:
    """What a client needs to reach one sandbox cluster as its admin."""

    name: str
    server: str
    ca_pem: bytes
    client_cert_pem: bytes
    client_key_pem: bytes


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def kubeconfig_dict(clusters: list[ClusterCredentials], current: str) -> dict[str, Any]:
    """A kubeconfig v1 document with one context per cluster, named after the cluster."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "current-context": current,
        "clusters": [
            {
                "name": c.name,
                "cluster": {"server": c.server, "certificate-authority-data": _b64(c.ca_pem)},
            }
            for c in clusters
        ],
        "users": [
            {
                "name": f"{c.name}-admin",
                "user": {
                    "client-certificate-data": _b64(c.client_cert_pem),
                    "client-key-data": _b64(c.client_key_pem),
                },
            }
            for c in clusters
        ],
        "contexts": [
            {"name": c.name, "context": {"cluster": c.name, "user": f"{c.name}-admin"}}
            for c in clusters
        ],
    }


def write_kubeconfig(path: Path, clusters: list[ClusterCredentials], current: str) -> None:
    """Write a kubeconfig readable only by its owner (it holds a private key)."""
    text = yaml.safe_dump(kubeconfig_dict(clusters, current), sort_keys=False, width=1 << 20)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.chmod(0o600)
    tmp.replace(path)
