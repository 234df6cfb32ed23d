"""SIGTERM during a migration: the controller stops at once, releases its lease, and the next
controller completes the Migration left InProgress."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lightkube.resources.coordination_v1 import Lease
from lightkube.resources.core_v1 import ConfigMap

from stork.kube.resources import MigrationResource
from tests.integration.conftest import Clusters, RunningController
from tests.integration.test_metrics_health import API, controller_flags, make_pair
from tests.waiting import wait_for

OBJECTS = 1500


def test_sigterm_mid_migration_then_the_next_controller_completes_it(
    clusters: Clusters, namespace: str, start_controller: Callable[..., RunningController]
) -> None:
    def create(i: int) -> None:
        clusters.source.create(
            ConfigMap.from_dict(
                {"metadata": {"name": f"cm-{i:04d}", "namespace": namespace}, "data": {"i": str(i)}}
            )
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(OBJECTS)))
    make_pair(clusters, namespace)
    flags, _, _ = controller_flags(namespace)
    # One object at a time, so that the migration is still running when SIGTERM comes.
    first = start_controller(*flags, "--migration-concurrency", "1")
    clusters.source.create(
        MigrationResource.from_dict(
            {
                "apiVersion": API,
                "kind": "Migration",
                "metadata": {"name": "big", "namespace": namespace},
                "spec": {
                    "clusterPair": "remote",
                    "namespaces": [namespace],
                    "includeVolumes": False,
                },
            }
        )
    )

    def status() -> dict[str, Any]:
        obj = clusters.source.get(MigrationResource, "big", namespace=namespace)
        return dict(obj.get("status") or {})

    def copied() -> int:
        return sum(
            1
            for cm in clusters.destination.list(ConfigMap, namespace=namespace)
            if cm.metadata is not None and str(cm.metadata.name).startswith("cm-")
        )

    wait_for(lambda: status().get("status") == "InProgress", 60, "the migration to start")
    wait_for(lambda: copied() > 0, 60, "the first objects on the destination")
    first.proc.send_signal(signal.SIGTERM)
    stopped = time.monotonic()
    assert first.proc.wait(timeout=15) == 0, first.output()[-3000:]
    assert time.monotonic() - stopped < 10
    left = status()
    assert (left.get("status"), left.get("stage")) == ("InProgress", "Applications"), left
    partial = copied()
    assert 0 < partial < OBJECTS
    log = first.output()
    assert "released the lease" in log, log[-3000:]
    # Stopping is not a failure: no error about the migration, no CancelledError escapes.
    assert f"{namespace}/big failed" not in log, log[-3000:]
    assert "CancelledError" not in log, log[-3000:]
    lease = clusters.source.get(Lease, "stork-controller", namespace=namespace)
    assert lease.spec is not None
    assert not lease.spec.holderIdentity

    # The next controller takes the released lease at once and runs the migration again.
    flags, _, _ = controller_flags(namespace)
    second = start_controller(*flags)
    final = wait_for(
        lambda: (s := status()).get("stage") == "Final" and s, 300, "the migration to finish"
    )
    assert final["status"] == "Successful", final.get("conditions")
    assert copied() == OBJECTS
    assert final["summary"]["totalNumberOfResources"] >= OBJECTS
    assert second.stop() == 0
