"""One kind's objects, namespace by namespace, from one paged LIST across the namespaces.

The API server returns a LIST in the order of its storage keys (``<namespace>/<name>``): the
continue token of a page *is* the last key, so pages follow each other in that order, and each
page is sorted. A migration of many namespaces therefore reads each kind once, across all
namespaces (one request per 500 objects instead of one per namespace), and still handles one
namespace at a time: :meth:`Cursor.take` returns the next objects of a namespace, reading one
page ahead, and keeps no more than two pages in memory. A listing out of that order is refused
with a clear error rather than missing objects silently.

Where RBAC forbids listing across namespaces, or for a single namespace, the kind is listed
namespace by namespace, in the same order. Several namespaces are worked on at once; each
takes its turn at a cursor (:meth:`Cursor.turn`) in the order of the namespaces.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar

from stork.kube.discovery import ResourceType
from stork.kube.rest import Rest, RestError, collection_path, decode_page
from stork.migration.errors import MigrationError

T = TypeVar("T")

PAGE = 500


def key_order(namespace: str) -> str:
    """The API server's order of namespaces (a key is ``<namespace>/<name>``: "a-b" < "a")."""
    return namespace + "/"


class Cursor(Generic[T]):
    """The objects of one namespaced kind in a migration's namespaces, each as ``project``
    makes it, namespace by namespace (in :func:`key_order`)."""

    def __init__(
        self,
        rest: Rest,
        t: ResourceType,
        namespaces: Iterable[str],
        project: Callable[[dict[str, Any]], T],
        selector: str | None = None,
        tolerate: tuple[int, ...] = (403,),
    ) -> None:
        self.type = t
        self._rest = rest
        self._namespaces = sorted(set(namespaces), key=key_order)
        self._wanted = set(self._namespaces)
        self._project = project
        self._selector = selector
        self._tolerate = tolerate
        #: True once the kind turned out not to be listable (an answer in ``tolerate``).
        self.refused = False
        self._pages = self._read()
        self._next: asyncio.Task[list[tuple[str, T]] | None] | None = None
        self._buffer: deque[tuple[str, T]] = deque()
        self._last = ""
        self._done = False
        self._turn = 0
        self._turns = asyncio.Condition()

    @asynccontextmanager
    async def turn(self, index: int) -> AsyncIterator[None]:
        """Wait for the turn of the ``index``-th namespace (in key order); pass it on after."""
        async with self._turns:
            await self._turns.wait_for(lambda: self._turn == index)
        try:
            yield
        finally:
            async with self._turns:
                self._turn = index + 1
                self._turns.notify_all()

    def start(self) -> None:
        """Begin reading the first page now (every kind's at once, not when first needed)."""
        if self._next is None and not self._done and not self._buffer:
            self._next = asyncio.create_task(self._page())

    async def take(self, namespace: str, limit: int) -> list[T]:
        """Up to ``limit`` of the next objects of ``namespace`` (namespaces in key order)."""
        out: list[T] = []
        while len(out) < limit and await self._ready():
            head = self._buffer[0][0]
            if head != namespace:
                if key_order(head) < key_order(namespace):
                    raise MigrationError(
                        f"{self._what()} of namespace {head} were not taken before {namespace}"
                    )
                break
            out.append(self._buffer.popleft()[1])
        return out

    async def more(self, namespace: str) -> bool:
        """Whether objects of ``namespace`` remain to be taken."""
        return await self._ready() and self._buffer[0][0] == namespace

    async def close(self) -> None:
        """Stop reading (a migration that ends early)."""
        if self._next is not None:
            self._next.cancel()
            await asyncio.gather(self._next, return_exceptions=True)
        await self._pages.aclose()

    async def _ready(self) -> bool:
        """Whether the buffer holds an object (reading the next page if needed)."""
        while not self._buffer and not self._done:
            if self._next is None:
                self._next = asyncio.create_task(self._page())
            page = await self._next
            self._next = None
            if page is None:
                self._done = True
                break
            self._buffer.extend(page)
            # One page ahead: the next request runs while this page is worked on.
            self._next = asyncio.create_task(self._page())
        return bool(self._buffer)

    async def _page(self) -> list[tuple[str, T]] | None:
        try:
            return await anext(self._pages)
        except StopAsyncIteration:
            return None

    async def _read(self) -> AsyncGenerator[list[tuple[str, T]], None]:
        """Pages of (namespace, object) in key order, only the wanted namespaces."""
        if len(self._namespaces) > 1:
            started = False
            try:
                async for items in self._list(None):
                    started = True
                    yield self._checked(items)
                return
            except RestError as e:
                if e.status in self._tolerate and (e.status != 403 or started):
                    self.refused = True
                    return
                if e.status != 403 or started:
                    raise
                # Forbidden across namespaces: namespace by namespace, below.
        for namespace in self._namespaces:
            try:
                async for items in self._list(namespace):
                    yield self._checked(items)
            except RestError as e:
                if e.status in self._tolerate:
                    self.refused = True
                    return
                raise

    def _checked(self, items: list[tuple[str, T]]) -> list[tuple[str, T]]:
        for namespace, _ in items:
            order = key_order(namespace)
            if order < self._last:
                raise MigrationError(
                    f"the cluster listed {self._what()} out of order ({namespace} after"
                    f" {self._last[:-1]}); this controller needs the API server's key order"
                )
            self._last = order
        return items

    async def _list(self, namespace: str | None) -> AsyncIterator[list[tuple[str, T]]]:
        params = {"limit": str(PAGE)}
        if self._selector:
            params["labelSelector"] = self._selector
        path = collection_path(self.type, namespace)
        while True:
            resp = await self._rest.request("GET", path, params=params)
            data = decode_page(resp.content)
            page: list[tuple[str, T]] = []
            for item in data.get("items") or []:
                namespace_of = str((item.get("metadata") or {}).get("namespace") or "")
                if namespace_of in self._wanted:
                    item["apiVersion"], item["kind"] = self.type.api_version, self.type.kind
                    page.append((namespace_of, self._project(item)))
            yield page
            token = (data.get("metadata") or {}).get("continue")
            if not token:
                return
            params["continue"] = token

    def _what(self) -> str:
        t = self.type
        return f"{t.plural}.{t.group}" if t.group else t.plural
