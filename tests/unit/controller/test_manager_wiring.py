"""``stork run``'s wiring: every kind is listed and watched once, whatever watches it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from stork.controller.clients import DestinationClients
from stork.controller.manager import ControllerOptions, wire, without_status_resources
from stork.controller.metrics import Metrics
from stork.controller.paircredentials import PairCredentialResolver
from stork.kube.config import load_config
from stork.kube.pairconfig import CONFINED
from stork.kube.stack import cluster_client
from tests.unit.kube.test_stack import unreachable_kubeconfig


def test_one_informer_per_kind_and_migrations_cached_without_their_resources(
    tmp_path: Path,
) -> None:
    kubeconfig = unreachable_kubeconfig(tmp_path / "config")

    async def scenario() -> None:
        metrics = Metrics()
        cluster = cluster_client(load_config(kubeconfig))
        resolver = PairCredentialResolver(cluster.lightkube, CONFINED)
        wiring = wire(cluster, ControllerOptions(), metrics, DestinationClients(resolver, metrics))
        kinds = sorted(i.kind for i in wiring.informers.informers)
        assert kinds == [
            "Action",
            "ClusterPair",
            "Migration",
            "MigrationSchedule",
            "NamespacedSchedulePolicy",
            "ResourceTransformation",
            "SchedulePolicy",
            "Secret",
        ]
        secrets = next(i for i in wiring.informers.informers if i.kind == "Secret")
        assert secrets.field_selector == "type=stork.libopenstorage.org/kubeconfig"
        by_kind = {i.kind: i for i in wiring.informers.informers}
        for controller in wiring.controllers:
            for informer in controller.informers:
                assert by_kind[informer.kind] is informer
        assert by_kind["Migration"].transform is without_status_resources
        await cluster.aclose()

    asyncio.run(scenario())


def test_the_migration_transform_keeps_everything_but_status_resources() -> None:
    status = {"status": "Successful", "summary": {"totalNumberOfResources": 3}, "resources": [1]}
    obj = {"metadata": {"name": "m"}, "status": status}
    assert without_status_resources(obj) == {
        "metadata": {"name": "m"},
        "status": {"status": "Successful", "summary": {"totalNumberOfResources": 3}},
    }
    assert without_status_resources({"metadata": {"name": "n"}}) == {"metadata": {"name": "n"}}
