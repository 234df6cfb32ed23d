"""HTTP clients of the migration engine: the source's, and one per destination, reused."""

from __future__ import annotations

from typing import Any

import httpx2
from lightkube.config import client_adapter
from lightkube.config.client_adapter import ConnectionParams
from lightkube.config.kubeconfig import SingleConfig

from stork.kube.pairconfig import pair_client_config
from stork.kube.ratelimit import TokenBucket
from stork.kube.rest import Rest

REQUEST_TIMEOUT = 30.0
QPS = 200.0
BURST = 400


def rest_for(config: SingleConfig) -> Rest:
    """A rate-limited REST client for one cluster."""
    http = client_adapter.AsyncClient(
        config, ConnectionParams(timeout=httpx2.Timeout(REQUEST_TIMEOUT))
    )
    return Rest(http, TokenBucket(QPS, BURST))


class DestinationClients:
    """One client per ClusterPair, rebuilt only when the pair's config changes."""

    def __init__(self) -> None:
        self._clients: dict[tuple[str, str], tuple[str, Rest]] = {}

    async def get(self, pair: dict[str, Any]) -> Rest:
        """The client of a pair's destination (raises PairConfigError for a bad config)."""
        meta = pair.get("metadata") or {}
        key = (str(meta.get("namespace")), str(meta.get("name")))
        version = str(meta.get("resourceVersion"))
        cached = self._clients.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        rest = rest_for(pair_client_config((pair.get("spec") or {}).get("config")))
        if cached is not None:
            await cached[1].http.aclose()
        self._clients[key] = (version, rest)
        return rest

    async def close(self) -> None:
        """Close every client."""
        for _, rest in self._clients.values():
            await rest.http.aclose()
        self._clients.clear()
