"""Secondary watches: a change of a watched object wakes the objects its mapper names, a
deletion included (mapped by the object as last seen). No API call is made: events are fed to
the shared informer directly."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2

from stork.kube.resources import MigrationResource, MigrationScheduleResource
from stork.kube.rest import Rest
from stork.runtime.controller import Controller
from stork.runtime.informer import InformerFactory, ObjectKey


class Schedules:
    name = "migrationschedule"
    resource = MigrationScheduleResource

    async def reconcile(self, key: ObjectKey, obj: dict[str, Any] | None) -> float | None:
        return None


def owner(key: ObjectKey, obj: dict[str, Any]) -> list[ObjectKey]:
    schedule = (obj["metadata"].get("annotations") or {}).get("schedule")
    return [(key[0], schedule)] if schedule else []


def event(kind: str) -> str:
    meta = {"name": "nightly-1", "namespace": "ns", "resourceVersion": "5"}
    meta["annotations"] = {"schedule": "nightly"}
    return json.dumps({"type": kind, "object": {"metadata": meta}})


def test_a_deleted_child_still_wakes_its_owner() -> None:
    async def scenario() -> list[ObjectKey]:
        factory = InformerFactory(Rest(httpx2.AsyncClient()))
        controller = Controller(factory, Schedules())
        migrations = controller.watch(MigrationResource, owner)
        assert factory.informer(MigrationResource) is migrations
        woken = []
        for kind in ("ADDED", "DELETED"):
            migrations.apply_event(event(kind), "1")
            key = await asyncio.wait_for(controller.queue.get(), 1)
            controller.queue.done(key)
            woken.append(key)
        await controller.queue.shut_down()
        return woken

    assert asyncio.run(scenario()) == [("ns", "nightly"), ("ns", "nightly")]
