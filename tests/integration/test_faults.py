"""Faults during a migration of 3,000 objects over 10 namespaces, checked object by object on
the destination by an independent client: the controller killed or stopped half way, the
destination stopped half way, the source changing while a migration runs.

Each scenario first rewrites every source object with a new generation (a label and a data
key), so that the migration has to write all of them again and a half-done one is visible.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from lightkube import ApiError, Client
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import ConfigMap, Event, Namespace

from stork.kube.config import load_config
from stork.kube.discovery import ResourceType
from stork.kube.resources import ClusterPairResource, MigrationResource
from stork.kube.stack import cluster_client
from stork.sandbox.cluster import free_port
from stork.sandbox.seeds import seed_objects
from tests.integration.conftest import Clusters, RunningController
from tests.integration.test_failover_least_privilege import pair_config
from tests.integration.test_metrics_health import scrape
from tests.waiting import wait_for

NAMESPACES = 10
PER_NAMESPACE = 300
CONFIGMAPS = ResourceType("", "v1", "ConfigMap", "configmaps", True)


@dataclass
class Dataset:
    """The source's namespaces and the generation their objects carry now."""

    admin: str
    namespaces: list[str]
    generation: int = 0
    extra: int = 0  # objects added by a scenario (names cm-extra-<n>)

    def names(self) -> dict[str, set[str]]:
        """What the source holds (that a migration copies), by namespace."""
        return {ns: {f"cm-{i:04d}" for i in range(PER_NAMESPACE)} for ns in self.namespaces}


def write_all(clusters: Clusters, dataset: Dataset, generation: int) -> None:
    """Create or rewrite every source object with ``generation`` (SSA, 32 at a time)."""

    async def go() -> None:
        source = cluster_client(load_config(clusters.kubeconfig("source")))
        semaphore = asyncio.Semaphore(32)

        async def one(ns: str, i: int) -> None:
            body = {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": f"cm-{i:04d}",
                    "namespace": ns,
                    "labels": {"gen": str(generation)},
                },
                "data": {"gen": str(generation), "i": str(i), "pad": "x" * 200},
            }
            async with semaphore:
                await source.rest.apply(CONFIGMAPS, body)

        try:
            await asyncio.gather(
                *(one(ns, i) for ns in dataset.namespaces for i in range(PER_NAMESPACE))
            )
        finally:
            await source.aclose()

    asyncio.run(go())
    dataset.generation = generation


def destination_state(clusters: Clusters, dataset: Dataset) -> dict[str, dict[str, str]]:
    """namespace -> {name: generation} of the migrated ConfigMaps on the destination."""
    out: dict[str, dict[str, str]] = {}
    for ns in dataset.namespaces:
        out[ns] = {
            str(cm.metadata.name): (cm.data or {}).get("gen", "")
            for cm in clusters.destination.list(ConfigMap, namespace=ns)
            if cm.metadata is not None and str(cm.metadata.name)[3:].isdigit()
        }
    return out


def assert_converged(clusters: Clusters, dataset: Dataset) -> None:
    """Every source object is on the destination exactly as the source has it now."""
    state = destination_state(clusters, dataset)
    for ns, names in dataset.names().items():
        assert set(state[ns]) == names, (ns, sorted(set(state[ns]) ^ names)[:10])
        stale = {n: g for n, g in state[ns].items() if g != str(dataset.generation)}
        assert not stale, (ns, dict(list(stale.items())[:10]))


@pytest.fixture(scope="module")
def dataset(clusters: Clusters) -> Iterator[Dataset]:
    """10 namespaces of 300 ConfigMaps on the source, and a pair in an admin namespace."""
    suffix = uuid.uuid4().hex[:6]
    data = Dataset(f"faults-admin-{suffix}", [f"faults-{suffix}-{i}" for i in range(NAMESPACES)])
    for ns in [data.admin, *data.namespaces]:
        clusters.source.create(Namespace(metadata=ObjectMeta(name=ns)))
    pair = seed_objects(clusters.sandbox.credentials("destination"))[1]
    pair["metadata"] = {"name": "remote", "namespace": data.admin}
    pair.pop("status", None)
    clusters.source.create(ClusterPairResource.from_dict(pair))
    write_all(clusters, data, 1)
    yield data
    for ns in [data.admin, *data.namespaces]:
        for client in (clusters.source, clusters.destination):
            with contextlib.suppress(ApiError):  # gone, or never copied
                client.delete(Namespace, ns)


def start_migration(client: Client, dataset: Dataset, name: str, **spec: Any) -> None:
    client.create(
        MigrationResource.from_dict(
            {
                "metadata": {"name": name, "namespace": dataset.admin},
                "spec": {
                    "clusterPair": "remote",
                    "namespaces": dataset.namespaces,
                    "includeVolumes": False,
                    **spec,
                },
            }
        )
    )


def final_status(clusters: Clusters, dataset: Dataset, name: str, timeout: float) -> dict[str, Any]:
    def final() -> dict[str, Any] | None:
        obj = clusters.source.get(MigrationResource, name, namespace=dataset.admin)
        status = dict(obj.get("status") or {})
        return status if status.get("stage") == "Final" else None

    result = wait_for(final, timeout, f"migration {name} to be Final")
    assert result is not None
    return result


def written(clusters: Clusters, dataset: Dataset) -> int:
    """How many destination objects already carry the source's current generation."""
    labels = {"gen": str(dataset.generation)}
    return sum(
        len(list(clusters.destination.list(ConfigMap, namespace=ns, labels=labels)))
        for ns in dataset.namespaces
    )


def controller_flags(dataset: Dataset) -> list[str]:
    return ["--pair-check-interval", "2", "--admin-namespace", dataset.admin, "--no-leader-elect"]


Starter = Callable[..., RunningController]


def interrupt_half_way(
    clusters: Clusters, dataset: Dataset, start_controller: Starter, name: str, sig: int
) -> tuple[RunningController, int]:
    """A migration of every object, its controller signalled once a third is written."""
    first = start_controller(*controller_flags(dataset), "--migration-concurrency", "2")
    start_migration(clusters.source, dataset, name)
    total = NAMESPACES * PER_NAMESPACE
    wait_for(lambda: written(clusters, dataset) >= total // 3, 180, "a third to be written")
    first.proc.send_signal(sig)
    first.proc.wait(timeout=60)
    return first, written(clusters, dataset)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["sigkill", "sigterm"])
def test_a_controller_stopped_half_way_is_finished_by_the_next_one(
    clusters: Clusters, dataset: Dataset, start_controller: Starter, sig: int
) -> None:
    write_all(clusters, dataset, dataset.generation + 1)
    name = f"stopped-{sig}"
    _, at_stop = interrupt_half_way(clusters, dataset, start_controller, name, sig)
    assert at_stop < NAMESPACES * PER_NAMESPACE  # it really was half way
    obj = clusters.source.get(MigrationResource, name, namespace=dataset.admin)
    left = dict(obj.get("status") or {})
    assert (left.get("stage"), left.get("status")) == ("Applications", "InProgress"), left
    start_controller(*controller_flags(dataset))
    status = final_status(clusters, dataset, name, 300)
    if status["status"] != "Successful":  # allowed, if it says why; the next one converges
        reason = next(c for c in status["conditions"] if c["type"] == "Complete")["message"]
        assert reason
        start_migration(clusters.source, dataset, f"{name}-again")
        assert final_status(clusters, dataset, f"{name}-again", 300)["status"] == "Successful"
    assert_converged(clusters, dataset)


def test_a_destination_stopped_half_way_then_back_lets_the_migration_finish(
    clusters: Clusters, dataset: Dataset, start_controller: Starter
) -> None:
    write_all(clusters, dataset, dataset.generation + 1)
    start_controller(
        *controller_flags(dataset),
        "--migration-concurrency",
        "2",
        "--migration-retry-seconds",
        "240",
    )
    start_migration(clusters.source, dataset, "dest-down")
    total = NAMESPACES * PER_NAMESPACE
    wait_for(lambda: written(clusters, dataset) >= total // 3, 180, "a third to be written")
    clusters.sandbox.stop("destination")
    try:
        wait_for(
            lambda: (
                "retrying in"
                in str(
                    [
                        e.message
                        for e in clusters.source.list(Event, namespace=dataset.admin)
                        if e.involvedObject.name == "dest-down"
                    ]
                )
            ),
            120,
            "the migration to retry the stopped destination",
        )
    finally:
        clusters.sandbox.start("destination")
    assert final_status(clusters, dataset, "dest-down", 300)["status"] == "Successful"
    assert_converged(clusters, dataset)


def test_changes_on_the_source_during_a_migration_converge_on_the_next(
    clusters: Clusters, dataset: Dataset, start_controller: Starter
) -> None:
    write_all(clusters, dataset, dataset.generation + 1)
    start_controller(*controller_flags(dataset), "--migration-concurrency", "2")
    ns = dataset.namespaces[0]
    start_migration(clusters.source, dataset, "moving")
    total = NAMESPACES * PER_NAMESPACE
    wait_for(lambda: written(clusters, dataset) >= total // 3, 180, "a third to be written")
    # While it runs: 50 objects added, 50 changed, 50 deleted, in the first namespace.
    for i in range(50):
        clusters.source.create(
            ConfigMap(
                metadata=ObjectMeta(name=f"cm-extra-{i:04d}", namespace=ns),
                data={"gen": "added"},
            )
        )
        clusters.source.patch(ConfigMap, f"cm-{i:04d}", {"data": {"gen": "changed"}}, namespace=ns)
        clusters.source.delete(ConfigMap, f"cm-{50 + i:04d}", namespace=ns)
    assert final_status(clusters, dataset, "moving", 300)["status"] in (
        "Successful",
        "PartialSuccess",
    )

    expected = {f"cm-{i:04d}": str(dataset.generation) for i in range(100, PER_NAMESPACE)}
    expected |= {f"cm-{i:04d}": "changed" for i in range(50)}
    expected |= {f"cm-extra-{i:04d}": "added" for i in range(50)}

    def first_namespace() -> dict[str, str]:
        return {
            str(cm.metadata.name): (cm.data or {}).get("gen", "")
            for cm in clusters.destination.list(ConfigMap, namespace=ns)
            if cm.metadata is not None and str(cm.metadata.name).startswith("cm-")
        }

    # Without purge the deleted ones stay on the destination (they may be someone's data).
    start_migration(clusters.source, dataset, "after-no-purge")
    assert final_status(clusters, dataset, "after-no-purge", 300)["status"] == "Successful"
    kept = first_namespace()
    assert {n: g for n, g in kept.items() if n in expected} == expected
    assert {f"cm-{50 + i:04d}" for i in range(50)} <= set(kept)
    # With purge they go, and the destination is the source, object for object.
    start_migration(clusters.source, dataset, "after-purge", purgeDeletedResources=True)
    assert final_status(clusters, dataset, "after-purge", 300)["status"] == "Successful"
    assert first_namespace() == expected
    for other in dataset.namespaces[1:]:
        state = destination_state(clusters, dataset)[other]
        assert state == {f"cm-{i:04d}": str(dataset.generation) for i in range(PER_NAMESPACE)}
    # Put the first namespace back as the other scenarios expect it.
    for i in range(50):
        clusters.source.delete(ConfigMap, f"cm-extra-{i:04d}", namespace=ns)
    write_all(clusters, dataset, dataset.generation + 1)


#: A destination that admits few requests at once: the legacy in-flight limits, not API
#: Priority and Fairness (which would queue them and exempt nothing of ours more or less).
THROTTLED = (
    "--max-requests-inflight=5",
    "--max-mutating-requests-inflight=2",
    "--enable-priority-and-fairness=false",
)


@contextlib.contextmanager
def throttled_destination(clusters: Clusters) -> Iterator[None]:
    """The destination restarted with ``THROTTLED`` flags, and restarted without them after."""
    clusters.sandbox.stop("destination")
    clusters.sandbox.start("destination", apiserver_args=THROTTLED)
    try:
        yield
    finally:
        clusters.sandbox.stop("destination")
        clusters.sandbox.start("destination", apiserver_args=())


def throttled_pair(clusters: Clusters, dataset: Dataset, token: str) -> str:
    """A pair with a ServiceAccount's token: admin requests (system:masters) are never
    throttled by the in-flight limits, so the pair must not use the admin's certificate."""
    pair = seed_objects(clusters.sandbox.credentials("destination"))[1]
    pair["metadata"] = {"name": "throttled", "namespace": dataset.admin}
    pair.pop("status", None)
    for user in pair["spec"]["config"]["users"].values():
        user.pop("client-certificate-data")
        user.pop("client-key-data")
        user["token"] = token
    clusters.source.create(ClusterPairResource.from_dict(pair))
    return "throttled"


def too_many_requests(metrics: str) -> float:
    """The 429 answers the controller counted, retried or not, from its /metrics."""
    return sum(
        value
        for (name, labels), value in scrape(metrics).items()
        if name in ("stork_api_requests_total", "stork_api_request_retries_total")
        and dict(labels).get("code") == "429"
        and dict(labels).get("cluster", "").endswith("/throttled")
    )


@pytest.mark.timeout(900)
def test_a_throttled_destination_slows_the_migration_and_loses_nothing(
    clusters: Clusters, dataset: Dataset, start_controller: Starter
) -> None:
    write_all(clusters, dataset, dataset.generation + 1)
    token = pair_config(clusters, "destination")["users"][0]["user"]["token"]
    pair = throttled_pair(clusters, dataset, token)
    port = free_port()
    metrics = f"http://127.0.0.1:{port}"
    with throttled_destination(clusters):
        start_controller(
            *controller_flags(dataset),
            "--metrics-bind-address",
            f"127.0.0.1:{port}",
            "--migration-retry-seconds",
            "600",
        )
        start_migration(clusters.source, dataset, "throttled", clusterPair=pair)
        status = final_status(clusters, dataset, "throttled", 600)
        assert status["status"] == "Successful", status.get("conditions")
        assert_converged(clusters, dataset)
        assert too_many_requests(metrics) > 0
