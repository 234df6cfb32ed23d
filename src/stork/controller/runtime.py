"""Level-triggered controllers: informer -> work queue -> workers calling a reconciler.

A reconcile receives the key and the cached object (None once deleted) and returns how long to
wait before looking at the key again (None: only on the next change). An exception backs the
key off exponentially (capped), never a tight loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

from lightkube import AsyncClient

from stork.controller.informer import Informer, ObjectKey
from stork.controller.workqueue import QueueShutDownError, WorkQueue

log = logging.getLogger(__name__)


class Reconciler(Protocol):
    """What a controller calls for each changed (or requeued) object."""

    name: str
    resource: Any

    async def reconcile(self, key: ObjectKey, obj: dict[str, Any] | None) -> float | None:
        """Bring the world in line with ``obj``; return seconds until the next look, or None."""


Mapper = Callable[[ObjectKey, dict[str, Any] | None], list[ObjectKey]]
"""Maps a change of a watched object to the keys of the reconciler's objects it concerns."""


class Controller:
    """One reconciler with its informer, queue and workers, plus optional secondary watches."""

    def __init__(self, client: AsyncClient, reconciler: Reconciler, workers: int = 4) -> None:
        self.reconciler = reconciler
        self.queue: WorkQueue[ObjectKey] = WorkQueue()
        self.informer = Informer(client, reconciler.resource, self.queue.add)
        self._client = client
        self._secondary: list[Informer] = []
        self._workers = workers

    def watch(self, resource: Any, mapper: Mapper) -> None:
        """Also watch ``resource``; each change enqueues the keys ``mapper`` returns."""

        def on_change(key: ObjectKey) -> None:
            for target in mapper(key, informer.get(key)):
                self.queue.add(target)

        informer = Informer(self._client, resource, on_change)
        self._secondary.append(informer)

    def every_key(self, _key: ObjectKey, _obj: dict[str, Any] | None) -> list[ObjectKey]:
        """A mapper that wakes every object of this controller (for rare, shared changes)."""
        return self.informer.keys()

    async def run(self) -> None:
        """Run until cancelled: watch, then reconcile with ``workers`` concurrent workers."""
        watch = asyncio.create_task(self.informer.run(), name=f"{self.reconciler.name}-informer")
        others = [asyncio.create_task(i.run()) for i in self._secondary]
        try:
            await self.informer.synced.wait()
            for informer in self._secondary:
                await informer.synced.wait()
            log.info("controller %s: cache synced", self.reconciler.name)
            async with asyncio.TaskGroup() as group:
                for i in range(self._workers):
                    group.create_task(self._work(), name=f"{self.reconciler.name}-worker-{i}")
        finally:
            watch.cancel()
            for task in others:
                task.cancel()
            await self.queue.shut_down()

    async def _work(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except QueueShutDownError:
                return
            try:
                requeue = await self.reconciler.reconcile(key, self.informer.get(key))
            except asyncio.CancelledError:
                self.queue.done(key)
                raise
            except Exception:
                delay = self.queue.backoff(key)
                log.exception(
                    "%s %s/%s failed; retry %d in %.1fs",
                    self.reconciler.name,
                    key[0],
                    key[1],
                    self.queue.failures(key),
                    delay,
                )
                self.queue.add_after(key, delay)
            else:
                self.queue.forget(key)
                if requeue is not None:
                    self.queue.add_after(key, requeue)
            self.queue.done(key)


async def run_controllers(controllers: list[Controller], stop: asyncio.Event) -> None:
    """Run every controller until ``stop`` is set, then cancel them cleanly."""
    tasks = [asyncio.create_task(c.run(), name=c.reconciler.name) for c in controllers]
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
    for task in tasks:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    stopper.cancel()
    for task, result in zip(tasks, results, strict=True):
        if isinstance(result, Exception):
            raise RuntimeError(f"controller {task.get_name()} stopped: {result}") from result
