"""The leader keeps its Lease through a 10,000-object migration (issue 13, item 6).

The engine's CPU work (transform, plan, hashing, status bounding) runs in slices that give the
event loop its turns, so the Lease is renewed every retry period while a large migration runs,
even on a loaded 2-core machine. Recorded from outside: a thread polls the Lease and notes
every new ``renewTime``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from lightkube import ApiError
from lightkube.resources.coordination_v1 import Lease

from stork.kube.config import make_client
from stork.kube.resources import MigrationResource
from stork.runtime.leader import LEASE_NAME, RENEW_DEADLINE
from tests.integration.bulk import create_objects
from tests.integration.conftest import Clusters, RunningController
from tests.integration.test_metrics_health import controller_flags, make_pair
from tests.waiting import wait_for

OBJECTS = 10_000


@dataclass
class LeaseRecorder:
    """Polls a Lease every 0.2 s in a thread; keeps each distinct (holder, renewTime)."""

    clusters: Clusters
    namespace: str
    seen: list[tuple[str, dt.datetime, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=10)

    def _run(self) -> None:
        with make_client(self.clusters.kubeconfig("source")) as client:
            while not self._stop.wait(0.2):
                try:
                    spec = client.get(Lease, LEASE_NAME, namespace=self.namespace).spec
                except ApiError:
                    continue
                if spec is None or spec.renewTime is None:
                    continue
                record = (spec.holderIdentity or "", spec.renewTime, spec.leaseTransitions or 0)
                if not self.seen or self.seen[-1] != record:
                    self.seen.append(record)

    def gaps(self) -> list[float]:
        times = [renewed for _, renewed, _ in self.seen]
        return [(b - a).total_seconds() for a, b in itertools.pairwise(times)]


def _migration(clusters: Clusters, namespace: str) -> dict[str, Any]:
    return dict(clusters.source.get(MigrationResource, "large", namespace=namespace))


@pytest.mark.timeout(3600)  # creating 10,000 objects takes minutes on a loaded machine
def test_the_leader_renews_its_lease_on_time_during_a_large_migration(
    clusters: Clusters, namespace: str, start_controller: Callable[..., RunningController]
) -> None:
    asyncio.run(create_objects(clusters.kubeconfig("source"), namespace, OBJECTS))
    make_pair(clusters, namespace)
    flags, _, _ = controller_flags(namespace)
    controller = start_controller(*flags)
    recorder = LeaseRecorder(clusters, namespace)
    recorder.start()
    try:
        wait_for(lambda: recorder.seen, 180, "the controller to take the Lease")
        clusters.source.create(
            MigrationResource.from_dict(
                {
                    "apiVersion": "stork.libopenstorage.org/v1alpha1",
                    "kind": "Migration",
                    "metadata": {"name": "large", "namespace": namespace},
                    "spec": {
                        "clusterPair": "remote",
                        "namespaces": [namespace],
                        "includeVolumes": False,
                    },
                }
            )
        )
        started = time.monotonic()
        status = wait_for(
            lambda: (
                (s := _migration(clusters, namespace).get("status") or {}).get("stage") == "Final"
                and s
            ),
            900,
            "the migration to finish",
        )
        took = time.monotonic() - started
        # The Lease is renewed after the migration too: the last gap is a whole one.
        last = len(recorder.seen)
        wait_for(lambda: len(recorder.seen) > last, 60, "one more renewal")
    finally:
        recorder.stop()
    assert status["status"] == "Successful", status.get("conditions")
    # Every object (and the namespace) was applied: this was a real, large migration.
    assert status["summary"]["totalNumberOfResources"] >= OBJECTS + 1
    holders = {holder for holder, _, _ in recorder.seen}
    transitions = {t for _, _, t in recorder.seen}
    assert len(holders) == 1, recorder.seen
    assert len(transitions) == 1, recorder.seen
    gaps = recorder.gaps()
    assert len(gaps) >= took / RENEW_DEADLINE, (took, gaps)
    assert max(gaps) < RENEW_DEADLINE, (
        f"a renewal came {max(gaps):.1f}s after the one before (migration {took:.0f}s)",
        controller.output()[-2000:],
    )
    print(f"\nlease renewTime gaps during a {took:.0f}s migration: max {max(gaps):.1f}s")
