"""List-then-watch of one kind into an in-memory cache, calling back on every change.

The list is paged; the watch resumes from the list's resourceVersion and asks for bookmarks,
so that its version moves on while nothing changes (an apiserver sends them about once a minute
and just before it ends a watch; measured on v1.37: none to a watch shorter than a minute).
A watch is never trusted blindly:

- the server ends it after ``watch_timeout`` seconds, so a healthy watch shows a sign of life
  (an event, a bookmark or its end) at least that often; the informer then watches again from
  the version it has;
- when nothing at all arrives for ``inactivity_timeout`` seconds (no event, no bookmark, no
  end), the connection is presumed dead (a silent network path never says it broke): the
  informer lists again and watches again, on a new connection;
- an expired version (410 Gone) is answered by listing again;
- while the watch is down, ``synced`` is cleared, so readiness (``/readyz``) tells the truth.

Objects are cached as dicts, optionally reduced by a ``transform`` first (e.g. dropping a large
status field nothing reads from the cache). Reconnects back off exponentially, capped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

import httpx2

from stork.kube.discovery import ResourceType
from stork.kube.rest import Rest, RestError, collection_path, decode_page, resource_type

ObjectKey = tuple[str, str]
"""(namespace, name); namespace is "" for cluster-scoped objects."""

Observer = Callable[[dict[str, Any] | None, dict[str, Any] | None], None]
"""Called with (old, new) on every change of the cache; None for absent."""

Handler = Callable[[ObjectKey], None]
"""Called with the key of every changed object."""

Transform = Callable[[dict[str, Any]], dict[str, Any]]
"""Applied to every object before it is cached (may change it in place and return it)."""

log = logging.getLogger(__name__)

PAGE = 500
#: Seconds the server keeps a watch open (``timeoutSeconds``) before it ends it cleanly.
WATCH_TIMEOUT = 60.0
#: Seconds without a byte on a watch (event, bookmark or its end) after which it is presumed
#: dead; longer than WATCH_TIMEOUT, so that a quiet, healthy watch ends on time first.
INACTIVITY_TIMEOUT = WATCH_TIMEOUT + 30.0
_MAX_RETRY_DELAY = 30.0


def object_key(obj: dict[str, Any]) -> ObjectKey:
    """The cache key of an object."""
    meta = obj.get("metadata") or {}
    return (meta.get("namespace") or "", meta["name"])


class WatchExpiredError(Exception):
    """The version to watch from is too old (410 Gone): list again."""


class WatchInactiveError(Exception):
    """Nothing arrived on the watch for the inactivity timeout: the connection is dead."""


class Informer:
    """A cache of every object of one kind, kept current by a watch."""

    def __init__(
        self,
        rest: Rest,
        resource: ResourceType,
        *,
        transform: Transform | None = None,
        watch_timeout: float = WATCH_TIMEOUT,
        inactivity_timeout: float = INACTIVITY_TIMEOUT,
        field_selector: str | None = None,
    ) -> None:
        if watch_timeout < 1 or inactivity_timeout <= watch_timeout:
            raise ValueError("watch_timeout must be >= 1 s and inactivity_timeout longer")
        self._rest = rest
        self.resource = resource
        #: Only the objects this field selector matches are cached (e.g. one type of Secret).
        self.field_selector = field_selector
        self.kind = resource.kind
        self.transform = transform
        self.watch_timeout = watch_timeout
        self.inactivity_timeout = inactivity_timeout
        self._path = collection_path(resource, None)
        self._cache: dict[ObjectKey, dict[str, Any]] = {}
        #: Set while the cache is listed and its watch established; cleared while it is down.
        self.synced = asyncio.Event()
        self.handlers: list[Handler] = []
        self.observers: list[Observer] = []
        #: How many times the kind was listed (the first sync, then after each failure).
        self.lists = 0

    def get(self, key: ObjectKey) -> dict[str, Any] | None:
        """The cached object, or None when it does not exist (as far as the watch knows)."""
        return self._cache.get(key)

    def keys(self) -> list[ObjectKey]:
        """Every cached key."""
        return list(self._cache)

    def values(self) -> list[dict[str, Any]]:
        """Every cached object."""
        return list(self._cache.values())

    def _prepare(self, obj: dict[str, Any]) -> dict[str, Any]:
        obj.setdefault("apiVersion", self.resource.api_version)  # list items lack them
        obj.setdefault("kind", self.resource.kind)
        return self.transform(obj) if self.transform is not None else obj

    def _changed(
        self, key: ObjectKey, old: dict[str, Any] | None, new: dict[str, Any] | None
    ) -> None:
        for observe in self.observers:
            observe(old, new)
        for handle in self.handlers:
            handle(key)

    def _selected(self, params: dict[str, str]) -> dict[str, str]:
        if self.field_selector:
            params["fieldSelector"] = self.field_selector
        return params

    def _timeout(self) -> httpx2.Timeout:
        # Also bounds every read of the list and of the watch: a dead connection is given up
        # after the inactivity timeout, not after the kernel's TCP timeouts (minutes).
        return httpx2.Timeout(self.inactivity_timeout)

    async def _list(self) -> str:
        """List every object (paged) into a fresh cache; return the list's resourceVersion."""
        params = self._selected({"limit": str(PAGE)})
        fresh: dict[ObjectKey, dict[str, Any]] = {}
        version = ""
        while True:
            resp = await self._rest.request(
                "GET", self._path, params=params, timeout=self._timeout()
            )
            page = decode_page(resp.content)
            meta = page.get("metadata") or {}
            version = str(meta.get("resourceVersion") or version)
            for item in page.get("items") or []:
                data = self._prepare(item)
                fresh[object_key(data)] = data
            token = meta.get("continue")
            if not token:
                break
            params["continue"] = str(token)
        gone = self._cache.keys() - fresh.keys()
        old, self._cache = self._cache, fresh
        self.lists += 1
        for key in [*fresh, *gone]:
            self._changed(key, old.get(key), fresh.get(key))
        return version

    async def _watch(self, version: str) -> str:
        """Watch from ``version`` until the server closes the watch; return the last version."""
        params = self._selected(
            {
                "watch": "true",
                "resourceVersion": version,
                "allowWatchBookmarks": "true",
                "timeoutSeconds": str(round(self.watch_timeout)),
            }
        )
        try:
            async with self._rest.stream(self._path, params=params, timeout=self._timeout()) as r:
                self.synced.set()
                try:
                    async for line in r.aiter_lines():
                        if line:
                            version = self.apply_event(line, version)
                except httpx2.ReadTimeout as e:
                    raise WatchInactiveError(
                        f"nothing for {self.inactivity_timeout:g}s (no event, no bookmark)"
                    ) from e
        except RestError as e:
            if e.status == 410:
                raise WatchExpiredError(e.message) from e
            raise
        return version

    def apply_event(self, line: str, version: str) -> str:
        """Apply one watch event to the cache; return the version it brings."""
        event = decode_page(line)
        kind = event.get("type")
        obj = event.get("object") or {}
        if kind == "ERROR":
            code = int(obj.get("code") or 500)
            if code == 410:
                raise WatchExpiredError(str(obj.get("message") or "expired"))
            raise RestError(code, str(obj.get("reason") or ""), str(obj.get("message") or ""))
        current = str((obj.get("metadata") or {}).get("resourceVersion") or version)
        if kind not in ("ADDED", "MODIFIED", "DELETED"):
            return current  # BOOKMARK: only the version moves on
        data = self._prepare(obj)
        key = object_key(data)
        if kind == "DELETED":
            self._changed(key, self._cache.pop(key, None), None)
        else:
            previous, self._cache[key] = self._cache.get(key), data
            self._changed(key, previous, data)
        return current

    async def run(self) -> None:
        """List and watch until cancelled."""
        failures = 0
        version: str | None = None
        loop = asyncio.get_running_loop()
        while True:
            try:
                if version is None:
                    version = await self._list()
                started = loop.time()
                version = await self._watch(version)
                # Closed by the server on time: watch again from here. A watch that ends at
                # once (a proxy closing it) counts as a failure, or this would spin.
                if loop.time() - started >= 1.0:
                    failures = 0
                    continue
                failures += 1
                log.warning("watch of %s ended at once; retrying", self.kind)
            except asyncio.CancelledError:
                raise
            except WatchExpiredError:
                log.info("watch of %s expired; listing again", self.kind)
                version = None
                continue
            except WatchInactiveError as e:
                failures += 1
                version = None
                log.warning("watch of %s: %s; listing again on a new connection", self.kind, e)
            except RestError as e:
                failures += 1
                log.warning("watch of %s failed (%d %s); retrying", self.kind, e.status, e.message)
            except Exception as e:  # noqa: BLE001 - a watch must always recover, and says why
                failures += 1
                log.warning("watch of %s failed (%s: %s); retrying", self.kind, type(e).__name__, e)
            self.synced.clear()
            await asyncio.sleep(min(0.5 * 2 ** max(failures - 1, 0), _MAX_RETRY_DELAY))


class InformerFactory:
    """One informer per kind, shared by every controller that watches it (one list, one watch
    and one cache per kind), with the kind's transform, if any, applied before caching."""

    def __init__(
        self,
        rest: Rest,
        transforms: Mapping[Any, Transform] | None = None,
        *,
        watch_timeout: float = WATCH_TIMEOUT,
        inactivity_timeout: float = INACTIVITY_TIMEOUT,
    ) -> None:
        self._rest = rest
        self._transforms = {_type(k): v for k, v in (transforms or {}).items()}
        self._informers: dict[tuple[ResourceType, str | None], Informer] = {}
        self._running = False
        self.watch_timeout = watch_timeout
        self.inactivity_timeout = inactivity_timeout

    def informer(self, resource: ResourceType | Any, field_selector: str | None = None) -> Informer:
        """The informer of ``resource`` (a ResourceType or a lightkube resource class), of the
        objects ``field_selector`` matches when given (one informer per kind and selector)."""
        t = _type(resource)
        informer = self._informers.get((t, field_selector))
        if informer is None:
            if self._running:
                raise RuntimeError(f"informer of {t.kind} asked for after the informers started")
            informer = Informer(
                self._rest,
                t,
                transform=self._transforms.get(t),
                watch_timeout=self.watch_timeout,
                inactivity_timeout=self.inactivity_timeout,
                field_selector=field_selector,
            )
            self._informers[(t, field_selector)] = informer
        return informer

    @property
    def informers(self) -> list[Informer]:
        """Every informer asked for so far."""
        return list(self._informers.values())

    def synced(self) -> bool:
        """True while every informer is listed and watching."""
        return all(i.synced.is_set() for i in self._informers.values())

    async def run(self) -> None:
        """Run every informer until cancelled."""
        self._running = True
        async with asyncio.TaskGroup() as group:
            for informer in self._informers.values():
                group.create_task(informer.run(), name=f"informer-{informer.kind}")


def _type(resource: ResourceType | Any) -> ResourceType:
    return resource if isinstance(resource, ResourceType) else resource_type(resource)
