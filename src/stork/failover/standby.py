"""What already runs on the standby: the Services of the destination that have a ready endpoint.

A migrated admission webhook whose Service has none there is parked (``transform.webhooks``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import httpx2

from stork.kube.discovery import ResourceType
from stork.kube.rest import Rest, RestError
from stork.migration.apply import DestinationUnreachable

log = logging.getLogger(__name__)

ENDPOINT_SLICES = ResourceType("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", True)
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
#: Namespaces whose EndpointSlices are listed at once.
IN_FLIGHT = 16


def serves(endpoint_slice: Mapping[str, Any]) -> bool:
    """Whether an EndpointSlice has an endpoint that is ready (an unset ``ready`` counts as
    ready, as the API documents) with an address."""
    for endpoint in endpoint_slice.get("endpoints") or []:
        ready = (endpoint.get("conditions") or {}).get("ready")
        if ready is not False and endpoint.get("addresses"):
            return True
    return False


async def live_services(destination: Rest, namespaces: Iterable[str]) -> frozenset[tuple[str, str]]:
    """(namespace, name) of every Service of ``namespaces`` with a ready endpoint on the
    destination, :data:`IN_FLIGHT` namespaces at a time. A namespace whose slices cannot be
    read counts as serving nothing (the standby then parks its webhooks: failing open there is
    the safe side). Raises ``DestinationUnreachable`` when the destination does not answer."""
    semaphore = asyncio.Semaphore(IN_FLIGHT)

    async def one(namespace: str) -> set[tuple[str, str]]:
        found = set()
        async with semaphore:
            try:
                async for endpoint_slice in destination.list(ENDPOINT_SLICES, namespace):
                    labels = (endpoint_slice.get("metadata") or {}).get("labels") or {}
                    service = labels.get(SERVICE_NAME_LABEL)
                    if isinstance(service, str) and serves(endpoint_slice):
                        found.add((namespace, service))
            except RestError as e:
                if e.status not in (403, 404):
                    raise
                log.warning("EndpointSlices of %s on the destination: %s", namespace, e.message)
        return found

    try:
        listed = await asyncio.gather(*(one(ns) for ns in sorted(set(namespaces))))
    except httpx2.TransportError as e:
        raise DestinationUnreachable.of(e) from e
    return frozenset().union(*listed)
