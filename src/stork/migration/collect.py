"""Listing the source (and the destination's current state) for a migration.

Lists are paged. A namespaced kind is listed across all namespaces at once and filtered when a
migration covers several namespaces (one request per kind instead of one per kind and
namespace); where RBAC forbids that, it is listed namespace by namespace.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from stork.kube.discovery import ResourceType
from stork.kube.rest import Rest, RestError

_LIST_CONCURRENCY = 8


async def list_type(
    rest: Rest, t: ResourceType, namespaces: Iterable[str], selector: str | None = None
) -> list[dict[str, Any]]:
    """Every object of ``t`` in ``namespaces`` (cluster-scoped kinds: all of them)."""
    wanted = set(namespaces)
    if not t.namespaced:
        return [o async for o in rest.list(t, None, selector)]
    if len(wanted) > 1:
        try:
            return [
                o
                async for o in rest.list(t, None, selector)
                if (o.get("metadata") or {}).get("namespace") in wanted
            ]
        except RestError as e:
            if e.status != 403:
                raise
    out: list[dict[str, Any]] = []
    for ns in sorted(wanted):
        out += [o async for o in rest.list(t, ns, selector)]
    return out


async def list_types(
    rest: Rest,
    types: Iterable[ResourceType],
    namespaces: Iterable[str],
    selector_for: dict[str, str | None] | None = None,
    tolerate: tuple[int, ...] = (403,),
) -> list[dict[str, Any]]:
    """Objects of every type, listed concurrently; types answering ``tolerate`` are skipped.

    ``selector_for`` maps a Kind to its label selector (absent: no selector).
    """
    semaphore = asyncio.Semaphore(_LIST_CONCURRENCY)
    ns = list(namespaces)

    async def one(t: ResourceType) -> list[dict[str, Any]]:
        async with semaphore:
            try:
                return await list_type(rest, t, ns, (selector_for or {}).get(t.kind))
            except RestError as e:
                if e.status in tolerate:
                    return []
                raise

    results = await asyncio.gather(*(one(t) for t in types))
    return [obj for objs in results for obj in objs]
