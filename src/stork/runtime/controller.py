"""Level-triggered controllers: informer -> work queue -> workers calling a reconciler.

A reconcile receives the key and the cached object (None once deleted) and returns how long to
wait before looking at the key again (None: only on the next change). An exception backs the
key off exponentially (capped), never a tight loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from stork.runtime.informer import Informer, InformerFactory, ObjectKey, object_key
from stork.runtime.leader import LeaderElector
from stork.runtime.logs import about, reconciling
from stork.runtime.workqueue import QueueShutDownError, WorkQueue

log = logging.getLogger(__name__)


class ControllerMetrics(Protocol):
    """What a controller reports: its queue (read at scrape time) and each reconcile."""

    def watch_queue(self, name: str, queue: WorkQueue[Any]) -> None:
        """Expose ``queue``'s depth, adds and retries under the controller's ``name``."""

    def reconciled(self, controller: str, result: str, seconds: float) -> None:
        """Count one reconcile and its duration."""


class Reconciler(Protocol):
    """What a controller calls for each changed (or requeued) object."""

    name: str
    resource: Any

    async def reconcile(self, key: ObjectKey, obj: dict[str, Any] | None) -> float | None:
        """Bring the world in line with ``obj``; return seconds until the next look, or None."""


Mapper = Callable[[ObjectKey, dict[str, Any]], list[ObjectKey]]
"""Maps a change of a watched object to the keys of the reconciler's objects it concerns; it
is given the object as it is now, or as it was last seen when it was deleted."""


class Controller:
    """One reconciler with its informer, queue and workers, plus optional secondary watches.

    The informers come from a factory shared by every controller (one per kind) and run
    separately from the workers: every replica keeps its caches warm (readiness, metrics, fast
    hand-over), only the leader runs workers.
    """

    def __init__(
        self,
        informers: InformerFactory,
        reconciler: Reconciler,
        workers: int = 4,
        metrics: ControllerMetrics | None = None,
    ) -> None:
        self.reconciler = reconciler
        self.queue: WorkQueue[ObjectKey] = WorkQueue()
        self.informer = informers.informer(reconciler.resource)
        self.informer.handlers.append(self.queue.add)
        self._factory = informers
        self._secondary: list[Informer] = []
        self._workers = workers
        self._metrics = metrics
        if metrics is not None:
            metrics.watch_queue(reconciler.name, self.queue)

    @property
    def informers(self) -> list[Informer]:
        """The primary informer, then the secondary ones."""
        return [self.informer, *self._secondary]

    def watch(self, resource: Any, mapper: Mapper, field_selector: str | None = None) -> Informer:
        """Also watch ``resource`` (the objects ``field_selector`` matches, when given); each
        change enqueues the keys ``mapper`` returns."""
        informer = self._factory.informer(resource, field_selector)

        def on_change(old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
            # A deletion is mapped by the object as last seen: the cache no longer has it,
            # and its labels or annotations are what name the owner to wake.
            obj = new if new is not None else old
            if obj is not None:
                for target in mapper(object_key(obj), obj):
                    self.queue.add(target)

        informer.observers.append(on_change)
        self._secondary.append(informer)
        return informer

    def synced(self) -> bool:
        """True while every informer of this controller is listed and watching."""
        return all(i.synced.is_set() for i in self.informers)

    async def run_workers(self) -> None:
        """Once synced, reconcile every cached key, then changes, until cancelled."""
        for informer in self.informers:
            await informer.synced.wait()
        log.info(
            "controller %s: cache synced",
            self.reconciler.name,
            extra=about(controller=self.reconciler.name),
        )
        cached = self.informer.keys()
        for key in cached:  # a new leader looks at everything once
            self.queue.add(key)
        async with asyncio.TaskGroup() as group:
            for i in range(self._workers):
                group.create_task(self._work(), name=f"{self.reconciler.name}-worker-{i}")

    async def _work(self) -> None:
        name = self.reconciler.name
        kind = self.informer.kind
        while True:
            try:
                key = await self.queue.get()
            except QueueShutDownError:
                return
            started = time.monotonic()
            result = "success"
            try:
                with reconciling(name, kind, key[0], key[1]):
                    requeue = await self.reconciler.reconcile(key, self.informer.get(key))
            except asyncio.CancelledError:
                # Stopped (shutdown or lost lease): whoever reconciles next starts it over.
                self.queue.done(key)
                self.queue.add(key)
                raise
            except Exception:
                result = "error"
                delay = self.queue.backoff(key)
                log.exception(
                    "%s %s/%s failed; retry %d in %.1fs",
                    name,
                    key[0],
                    key[1],
                    self.queue.failures(key),
                    delay,
                    extra=about(kind, key[0], key[1], name),
                )
                self.queue.add_after(key, delay)
            else:
                self.queue.forget(key)
                if requeue is not None:
                    result = "requeue_after"
                    self.queue.add_after(key, requeue)
            if self._metrics is not None:
                self._metrics.reconciled(name, result, time.monotonic() - started)
            self.queue.done(key)


async def run_controllers(
    informers: InformerFactory,
    controllers: list[Controller],
    stop: asyncio.Event,
    elector: LeaderElector | None = None,
) -> None:
    """Run the informers and every controller until ``stop`` is set, then cancel them cleanly.

    Informers run throughout; workers run only while ``elector`` holds the lease (always
    without an elector). On ``stop`` the workers are cancelled first (an in-flight Migration
    stays InProgress and is run again by the next leader), then the lease is released.
    """

    async def work() -> None:
        async with asyncio.TaskGroup() as group:
            for c in controllers:
                group.create_task(c.run_workers(), name=f"{c.reconciler.name}-workers")

    watching = asyncio.create_task(informers.run(), name="informers")
    if elector is None:
        main = asyncio.create_task(work(), name="workers")
    else:
        main = asyncio.create_task(elector.run(work, stop), name="leader-election")
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait([main, watching, stopper], return_when=asyncio.FIRST_COMPLETED)
    finally:
        if elector is None or main.done():
            main.cancel()
        stop.set()  # lets the elector cancel the workers and release the lease
        results = list(await asyncio.gather(main, return_exceptions=True))
        watching.cancel()
        results += await asyncio.gather(watching, return_exceptions=True)
        stopper.cancel()
        for c in controllers:
            await c.queue.shut_down()
    for task, result in zip([main, watching], results, strict=True):
        if isinstance(result, Exception):
            raise RuntimeError(f"{task.get_name()} stopped: {result}") from result
