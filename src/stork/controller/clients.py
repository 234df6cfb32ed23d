"""HTTP clients of the migration engine: the source's, and one per destination, reused."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx2
from lightkube.config import client_adapter
from lightkube.config.client_adapter import ConnectionParams
from lightkube.config.kubeconfig import SingleConfig

from stork.controller.paircredentials import PairCredentialResolver, secret_reference
from stork.kube.ratelimit import TokenBucket
from stork.kube.rest import Rest

if TYPE_CHECKING:
    from stork.controller.metrics import Metrics

REQUEST_TIMEOUT = 30.0
QPS = 200.0
BURST = 400


def rest_for(config: SingleConfig, metrics: Metrics | None = None, cluster: str = "") -> Rest:
    """A rate-limited REST client for one cluster (its requests counted under ``cluster``)."""
    http = client_adapter.AsyncClient(
        config, ConnectionParams(timeout=httpx2.Timeout(REQUEST_TIMEOUT))
    )
    if metrics is None:
        return Rest(http, TokenBucket(QPS, BURST))
    metrics.instrument(http, cluster)
    return Rest(http, TokenBucket(QPS, BURST), metrics.retry_counter(cluster))


class DestinationClients:
    """One client per ClusterPair, rebuilt only when the pair's credentials change."""

    def __init__(self, resolver: PairCredentialResolver, metrics: Metrics | None = None) -> None:
        self._clients: dict[tuple[str, str], tuple[str, Rest]] = {}
        self._resolver = resolver
        self._metrics = metrics

    async def get(self, pair: dict[str, Any]) -> Rest:
        """The client of a pair's destination (raises PairConfigError for a bad or refused
        config, before anything is run, read or contacted)."""
        meta = pair.get("metadata") or {}
        key = (str(meta.get("namespace")), str(meta.get("name")))
        cached = self._clients.get(key)
        inline = secret_reference(pair) is None
        if inline and cached is not None and cached[0] == str(meta.get("resourceVersion")):
            return cached[1]  # an inline config changes only with the pair
        credentials = await self._resolver.resolve(pair)
        if cached is not None and cached[0] == credentials.version:
            return cached[1]
        rest = rest_for(credentials.config, self._metrics, f"{key[0]}/{key[1]}")
        if cached is not None:
            await cached[1].http.aclose()
        self._clients[key] = (credentials.version, rest)
        return rest

    async def drop(self, namespace: str, name: str) -> None:
        """Close and forget the client of a pair that went away."""
        cached = self._clients.pop((namespace, name), None)
        if cached is not None:
            await cached[1].http.aclose()

    async def close(self) -> None:
        """Close every client."""
        for _, rest in self._clients.values():
            await rest.http.aclose()
        self._clients.clear()
