"""Losing leadership (or SIGTERM) cancels the workers; the key in flight is reconciled again
by whoever works next. Runs the real Controller and WorkQueue; no API call is made (the
informer is marked synced by hand and never started)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2

from stork.kube.resources import MigrationResource
from stork.kube.rest import Rest
from stork.runtime.controller import Controller
from stork.runtime.informer import InformerFactory, ObjectKey


class Blocking:
    name = "migration"
    resource = MigrationResource

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.calls: list[ObjectKey] = []
        self.finished: list[ObjectKey] = []
        self.done = asyncio.Event()

    async def reconcile(self, key: ObjectKey, obj: dict[str, Any] | None) -> float | None:
        self.calls.append(key)
        self.started.set()
        await self.release.wait()
        self.finished.append(key)
        self.done.set()
        return None


def test_cancelled_worker_requeues_its_key_for_the_next_term() -> None:
    async def scenario() -> Blocking:
        reconciler = Blocking()
        controller = Controller(InformerFactory(Rest(httpx2.AsyncClient())), reconciler, workers=1)
        controller.informer.synced.set()
        controller.queue.add(("ns", "m"))

        term = asyncio.create_task(controller.run_workers())
        await asyncio.wait_for(reconciler.started.wait(), 5)
        term.cancel()  # the lease is lost mid-reconcile
        await asyncio.gather(term, return_exceptions=True)
        assert reconciler.finished == []
        assert len(controller.queue) == 1  # back in the queue

        reconciler.release.set()
        term = asyncio.create_task(controller.run_workers())  # leader again
        await asyncio.wait_for(reconciler.done.wait(), 5)
        term.cancel()
        await asyncio.gather(term, return_exceptions=True)
        await controller.queue.shut_down()
        return reconciler

    reconciler = asyncio.run(scenario())
    assert reconciler.calls == [("ns", "m"), ("ns", "m")]
    assert reconciler.finished == [("ns", "m")]
