"""What a MigrationSchedule refers to, read from caches, and which schedules a change wakes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from stork.controller.schedulelookups import (
    CachedLookups,
    for_pair,
    for_policy,
    pair_name,
)
from stork.kube.config import load_config
from stork.kube.resources import (
    ClusterPairResource,
    MigrationResource,
    NamespacedSchedulePolicyResource,
    SchedulePolicyResource,
)
from stork.kube.stack import cluster_client
from stork.runtime.informer import InformerFactory
from tests.unit.kube.test_stack import unreachable_kubeconfig


class Fallback:
    """Stands in for the API server reads (ApiLookups) behind the caches, and records them."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    async def migration(self, namespace: str, name: str) -> dict[str, Any] | None:
        self.asked.append((namespace, name))
        return {"kind": "Migration", "fresh": 1}

    async def policy(self, namespace: str, name: str) -> dict[str, Any] | None:
        raise AssertionError("policies are read from the caches only")

    async def pair(self, namespace: str, name: str) -> dict[str, Any] | None:
        raise AssertionError("pairs are read from the caches only")


def sched(namespace: str, name: str, pair: str, policy: str) -> dict[str, Any]:
    return {
        "metadata": {"namespace": namespace, "name": name},
        "spec": {"schedulePolicyName": policy, "template": {"spec": {"clusterPair": pair}}},
    }


SCHEDULES = [
    sched("a", "s1", "remote", "hourly"),
    sched("a", "s2", "other", "hourly"),
    sched("b", "s3", "remote", "daily"),
    {"metadata": {"namespace": "b", "name": "bare"}},
]


def test_a_pair_wakes_the_schedules_of_its_namespace_that_name_it() -> None:
    mapper = for_pair(lambda: SCHEDULES)
    assert mapper(("a", "remote"), {}) == [("a", "s1")]
    assert mapper(("b", "remote"), {}) == [("b", "s3")]
    assert mapper(("c", "remote"), {}) == []


def test_a_policy_wakes_the_schedules_that_name_it() -> None:
    cluster = for_policy(lambda: SCHEDULES, namespaced=False)
    assert cluster(("", "hourly"), {}) == [("a", "s1"), ("a", "s2")]
    namespaced = for_policy(lambda: SCHEDULES, namespaced=True)
    assert namespaced(("b", "hourly"), {}) == []
    assert namespaced(("b", "daily"), {}) == [("b", "s3")]


def test_pair_name_of_a_schedule_without_a_template_is_empty() -> None:
    assert pair_name(SCHEDULES[0]) == "remote"
    assert pair_name(SCHEDULES[3]) == ""


def test_cached_reads_prefer_the_namespaced_policy_and_fall_back_for_new_migrations(
    tmp_path: Path,
) -> None:
    cluster = cluster_client(load_config(unreachable_kubeconfig(tmp_path / "config")))
    factory = InformerFactory(cluster.rest)
    informers = {
        r: factory.informer(r)
        for r in (
            MigrationResource,
            NamespacedSchedulePolicyResource,
            SchedulePolicyResource,
            ClusterPairResource,
        )
    }

    def seed(resource: Any, namespace: str, name: str, body: dict[str, Any]) -> None:
        informers[resource]._cache[(namespace, name)] = body

    seed(SchedulePolicyResource, "", "p", {"kind": "SchedulePolicy"})
    seed(NamespacedSchedulePolicyResource, "a", "p", {"kind": "NamespacedSchedulePolicy"})
    seed(ClusterPairResource, "a", "remote", {"kind": "ClusterPair"})
    seed(MigrationResource, "a", "m1", {"kind": "Migration"})
    fallback = Fallback()
    lookups = CachedLookups(
        migrations=informers[MigrationResource],
        namespaced_policies=informers[NamespacedSchedulePolicyResource],
        cluster_policies=informers[SchedulePolicyResource],
        pairs=informers[ClusterPairResource],
        fallback=fallback,
    )

    async def scenario() -> None:
        assert (await lookups.policy("a", "p") or {})["kind"] == "NamespacedSchedulePolicy"
        assert (await lookups.policy("b", "p") or {})["kind"] == "SchedulePolicy"
        assert await lookups.policy("a", "none") is None
        assert (await lookups.pair("a", "remote") or {})["kind"] == "ClusterPair"
        assert await lookups.pair("b", "remote") is None
        assert (await lookups.migration("a", "m1") or {})["kind"] == "Migration"
        assert fallback.asked == []
        # Not cached yet (just created): read from where the fallback reads.
        assert await lookups.migration("a", "just-created") == {"kind": "Migration", "fresh": 1}
        assert fallback.asked == [("a", "just-created")]
        await cluster.aclose()

    asyncio.run(scenario())
