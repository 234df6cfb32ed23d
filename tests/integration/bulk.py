"""Many objects on a cluster quickly, for tests of large migrations."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

from stork.kube.config import load_config
from stork.kube.discovery import ResourceType
from stork.kube.rest import collection_path
from stork.kube.stack import cluster_client

_CONFIGMAP = ResourceType("", "v1", "ConfigMap", "configmaps", True)
#: One object in ten of each kind but ConfigMaps, which are six in ten: the cheapest to
#: create (a loaded machine creates a few dozen objects per second), the others exercise the
#: transforms.
KINDS = (
    *[_CONFIGMAP] * 6,
    ResourceType("", "v1", "Secret", "secrets", True),
    ResourceType("", "v1", "Service", "services", True),
    ResourceType("apps", "v1", "Deployment", "deployments", True),
    ResourceType("", "v1", "ServiceAccount", "serviceaccounts", True),
)


def bulk_object(kind: str, namespace: str, i: int) -> dict[str, Any]:
    """Object ``i`` of a kind of :data:`KINDS`, labelled ``bulk=yes``."""
    name = f"{kind.lower()}-{i}"
    meta = {"name": name, "namespace": namespace, "labels": {"bulk": "yes", "index": str(i)}}
    head = {"apiVersion": "apps/v1" if kind == "Deployment" else "v1", "kind": kind}
    if kind == "ConfigMap":
        return {**head, "metadata": meta, "data": {"value": "x" * 64, "n": str(i)}}
    if kind == "Secret":
        return {**head, "metadata": meta, "data": {"token": base64.b64encode(b"s" * 32).decode()}}
    if kind == "Service":
        return {
            **head,
            "metadata": meta,
            "spec": {"selector": {"app": name}, "ports": [{"port": 80}]},
        }
    if kind == "ServiceAccount":
        return {**head, "metadata": meta}
    labels = {"app": name}
    # No replicas: the source's controller-manager makes a ReplicaSet, but no pods.
    spec = {
        "replicas": 0,
        "selector": {"matchLabels": labels},
        "template": {
            "metadata": {"labels": labels},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
        },
    }
    return {**head, "metadata": meta, "spec": spec}


async def create_objects(
    kubeconfig: Path, namespace: str, count: int, concurrency: int = 32
) -> None:
    """Create ``count`` objects (the kinds of :data:`KINDS` in turn) in an existing namespace."""
    rest = cluster_client(load_config(kubeconfig), qps=100_000, burst=100_000, timeout=120).rest
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            t = KINDS[i % len(KINDS)]
            obj = bulk_object(t.kind, namespace, i)
            await rest.request("POST", collection_path(t, namespace), body=obj)

    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        await rest.http.aclose()
