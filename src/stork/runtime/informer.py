"""List-then-watch of one kind into an in-memory cache, calling back on every change.

The list is paged; the watch resumes from the list's resourceVersion; when the watch breaks
or its version expired (410 Gone), the kind is listed again, so deletions missed while
disconnected are noticed too. Reconnects back off exponentially, capped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, Callable, Mapping
from typing import Any

from lightkube import ALL_NS, ApiError, AsyncClient
from lightkube.core.resource import NamespacedResource

ObjectKey = tuple[str, str]
"""(namespace, name); namespace is "" for cluster-scoped objects."""

Observer = Callable[[dict[str, Any] | None, dict[str, Any] | None], None]
"""Called with (old, new) on every change of the cache; None for absent."""

log = logging.getLogger(__name__)

_PAGE = 500
_WATCH_SECONDS = 300
_MAX_RETRY_DELAY = 30.0


def object_key(obj: dict[str, Any]) -> ObjectKey:
    """The cache key of an object."""
    meta = obj.get("metadata") or {}
    return (meta.get("namespace") or "", meta["name"])


class Informer:
    """A cache of every object of one kind, kept current by a watch."""

    def __init__(
        self,
        client: AsyncClient,
        resource: Any,
        on_change: Callable[[ObjectKey], None],
        fields: Mapping[str, str] | None = None,
    ) -> None:
        self._client = client
        self._resource = resource
        #: A field selector: only the objects it matches are cached.
        self._fields: dict[str, Any] | None = dict(fields) if fields else None
        self._on_change = on_change
        self._cache: dict[ObjectKey, dict[str, Any]] = {}
        self.synced = asyncio.Event()
        self.kind: str = resource._api_info.resource.kind
        self.observers: list[Observer] = []

    def get(self, key: ObjectKey) -> dict[str, Any] | None:
        """The cached object, or None when it does not exist (as far as the watch knows)."""
        return self._cache.get(key)

    def keys(self) -> list[ObjectKey]:
        """Every cached key."""
        return list(self._cache)

    def values(self) -> list[dict[str, Any]]:
        """Every cached object."""
        return list(self._cache.values())

    async def _relist(self) -> str:
        if _is_namespaced(self._resource):
            items = self._client.list(
                self._resource, namespace=ALL_NS, chunk_size=_PAGE, fields=self._fields
            )
        else:
            items = self._client.list(self._resource, chunk_size=_PAGE, fields=self._fields)
        fresh: dict[ObjectKey, dict[str, Any]] = {}
        async for obj in items:
            data = _as_dict(obj)
            fresh[object_key(data)] = data
        gone = self._cache.keys() - fresh.keys()
        old, self._cache = self._cache, fresh
        for observe in self.observers:
            for key in list(fresh) + list(gone):
                observe(old.get(key), fresh.get(key))
        for key in list(fresh) + list(gone):
            self._on_change(key)
        return str(items.resourceVersion)

    def _watch(self, version: str) -> AsyncIterable[tuple[str, Any]]:
        if _is_namespaced(self._resource):
            return self._client.watch(
                self._resource,
                namespace=ALL_NS,
                fields=self._fields,
                resource_version=version,
                server_timeout=_WATCH_SECONDS,
            )
        return self._client.watch(
            self._resource,
            fields=self._fields,
            resource_version=version,
            server_timeout=_WATCH_SECONDS,
        )

    async def run(self) -> None:
        """List and watch until cancelled."""
        failures = 0
        while True:
            try:
                version = await self._relist()
                self.synced.set()
                failures = 0
                async for kind, obj in self._watch(version):
                    data = _as_dict(obj)
                    key = object_key(data)
                    if kind == "DELETED":
                        previous = self._cache.pop(key, None)
                    else:
                        previous, self._cache[key] = self._cache.get(key), data
                    for observe in self.observers:
                        observe(previous, None if kind == "DELETED" else data)
                    self._on_change(key)
            except asyncio.CancelledError:
                raise
            except ApiError as e:
                if e.status.code == 410:
                    log.info("watch of %s expired; listing again", self.kind)
                    continue
                failures += 1
                log.warning("watch of %s failed (%s); retrying", self.kind, e.status.message)
            except Exception as e:  # the connection can fail in many ways; always recover
                failures += 1
                log.warning("watch of %s failed (%s: %s); retrying", self.kind, type(e).__name__, e)
            await asyncio.sleep(min(0.5 * 2 ** max(failures - 1, 0), _MAX_RETRY_DELAY))


def _is_namespaced(resource: Any) -> bool:
    return isinstance(resource, type) and issubclass(resource, NamespacedResource)


def _as_dict(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return dict(obj.to_dict()) if hasattr(obj, "to_dict") else dict(obj)
    data: dict[str, Any] = obj.to_dict()
    return data
