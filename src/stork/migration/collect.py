"""Listing the source (and the destination's current state) for a migration.

Lists are paged. A namespaced kind is listed across all namespaces at once and filtered when a
migration covers several namespaces (one request per kind instead of one per kind and
namespace); where RBAC forbids that, it is listed namespace by namespace. A few objects known
by name (a small migration's namespaces) are read one by one instead of listing every one of
their kind: on a cluster of a thousand namespaces, that LIST was most of what a small
migration read.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from stork.kube.discovery import ResourceType
from stork.kube.rest import Rest, RestError, object_path

_LIST_CONCURRENCY = 8
#: Up to this many objects known by name are read with a GET each rather than a LIST.
NAMED_AT_MOST = 16
#: A Kubernetes object name (DNS-1123 subdomain): nothing else is put in a URL path.
_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
T = TypeVar("T")


async def list_type(
    rest: Rest, t: ResourceType, namespaces: Iterable[str], selector: str | None = None
) -> list[dict[str, Any]]:
    """Every object of ``t`` in ``namespaces`` (cluster-scoped kinds: all of them)."""
    return await _list_type(rest, t, namespaces, selector, _same)


def _same(obj: dict[str, Any]) -> dict[str, Any]:
    return obj


async def _list_type(
    rest: Rest,
    t: ResourceType,
    namespaces: Iterable[str],
    selector: str | None,
    project: Callable[[dict[str, Any]], T],
) -> list[T]:
    wanted = set(namespaces)
    if not t.namespaced:
        return [project(o) async for o in rest.list(t, None, selector)]
    if len(wanted) > 1:
        try:
            return [
                project(o)
                async for o in rest.list(t, None, selector)
                if (o.get("metadata") or {}).get("namespace") in wanted
            ]
        except RestError as e:
            if e.status != 403:
                raise
    out: list[T] = []
    for ns in sorted(wanted):
        out += [project(o) async for o in rest.list(t, ns, selector)]
    return out


async def list_types(
    rest: Rest,
    types: Iterable[ResourceType],
    namespaces: Iterable[str],
    selector_for: dict[str, str | None] | None = None,
    tolerate: tuple[int, ...] = (403,),
    skipped: list[ResourceType] | None = None,
) -> list[dict[str, Any]]:
    """Objects of every type, listed concurrently; types answering ``tolerate`` are skipped
    (and added to ``skipped`` when given).

    ``selector_for`` maps a Kind to its label selector (absent: no selector).
    """
    return await list_types_as(rest, types, namespaces, _same, selector_for, tolerate, skipped)


async def list_types_as(
    rest: Rest,
    types: Iterable[ResourceType],
    namespaces: Iterable[str],
    project: Callable[[dict[str, Any]], T],
    selector_for: dict[str, str | None] | None = None,
    tolerate: tuple[int, ...] = (403,),
    skipped: list[ResourceType] | None = None,
) -> list[T]:
    """Like :func:`list_types`, keeping only ``project(obj)`` of each object as it arrives
    (what a large listing needs to keep in memory is often a few fields)."""
    semaphore = asyncio.Semaphore(_LIST_CONCURRENCY)
    ns = list(namespaces)

    async def one(t: ResourceType) -> list[T]:
        async with semaphore:
            try:
                return await _list_type(rest, t, ns, (selector_for or {}).get(t.kind), project)
            except RestError as e:
                if e.status in tolerate:
                    if skipped is not None:
                        skipped.append(t)
                    return []
                raise

    results = await asyncio.gather(*(one(t) for t in types))
    return [obj for objs in results for obj in objs]


async def get_named(
    rest: Rest,
    t: ResourceType,
    names: Iterable[str],
    project: Callable[[dict[str, Any]], T],
    tolerate: tuple[int, ...] = (404,),
) -> list[T]:
    """``project(obj)`` of the cluster-scoped objects of ``t`` named ``names`` that exist (an
    answer in ``tolerate`` counts as absent), in the order of ``names``.

    The names come from a tenant's spec: one that is not an object name (``a/secrets/b``
    would read another path) is absent, and nothing is sent for it."""
    semaphore = asyncio.Semaphore(_LIST_CONCURRENCY)

    async def one(name: str) -> list[T]:
        if len(name) > 253 or not _NAME.fullmatch(name):
            return []
        async with semaphore:
            try:
                return [project((await rest.request("GET", object_path(t, None, name))).json())]
            except RestError as e:
                if e.status in tolerate:
                    return []
                raise

    results = await asyncio.gather(*(one(n) for n in dict.fromkeys(names)))
    return [obj for objs in results for obj in objs]
