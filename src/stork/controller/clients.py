"""HTTP clients of the migration engine: the source's, and one per destination, reused."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lightkube.config.kubeconfig import SingleConfig

from stork.controller.paircredentials import PairCredentialResolver, secret_reference
from stork.kube.rest import Rest
from stork.kube.stack import cluster_client

if TYPE_CHECKING:
    from stork.controller.metrics import Metrics


def rest_for(config: SingleConfig, metrics: Metrics | None = None, cluster: str = "") -> Rest:
    """The REST client of one cluster's client stack (``kube.stack``: rate limit, retries,
    requests counted under ``cluster``); closing its ``http`` closes the whole stack."""
    hooks = metrics.request_hooks(cluster) if metrics is not None else None
    return cluster_client(config, hooks).rest


class DestinationClients:
    """One client per ClusterPair, rebuilt only when the pair's credentials change."""

    def __init__(self, resolver: PairCredentialResolver, metrics: Metrics | None = None) -> None:
        self._clients: dict[tuple[str, str], tuple[str, Rest]] = {}
        #: Reads and checks pairs' credentials (the pair controller probes with it too).
        self.resolver = resolver
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
        credentials = await self.resolver.resolve(pair)
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
