"""The MigrationSchedule reconciler driven with an injected clock against the real clusters.

No Migration controller runs here: a test decides when a child migration ends by writing its
status, so each step of the schedule is observed exactly.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
import pytest
from lightkube import Client
from lightkube.resources.core_v1 import Event
from lightkube.types import PatchType

from stork.controller.clients import DestinationClients
from stork.controller.metrics import Metrics
from stork.controller.migrationschedule import MigrationScheduleReconciler
from stork.controller.paircredentials import PairCredentialResolver
from stork.kube.config import load_config
from stork.kube.pairconfig import CONFINED
from stork.kube.resources import (
    ClusterPairResource,
    MigrationResource,
    MigrationScheduleResource,
    SchedulePolicyResource,
)
from stork.kube.stack import RequestHooks, cluster_client
from stork.runtime.events import EventRecorder
from stork.sandbox.seeds import seed_objects
from tests.integration.conftest import Clusters

UTC = dt.UTC


class FakeClock:
    def __init__(self, start: dt.datetime) -> None:
        self.t = start

    def now(self) -> dt.datetime:
        return self.t

    def advance(self, **delta: float) -> None:
        self.t += dt.timedelta(**delta)


Scenario = Callable[["Harness"], Awaitable[None]]


class Harness:
    """A reconciler with a fake clock, and helpers to call it and inspect the schedule."""

    def __init__(
        self,
        clusters: Clusters,
        namespace: str,
        reconciler: MigrationScheduleReconciler,
        clock: FakeClock,
        metrics: Metrics,
    ) -> None:
        self.clusters, self.namespace, self.reconciler, self.clock = (
            clusters,
            namespace,
            reconciler,
            clock,
        )
        #: Every request the reconciler sent to the source: (method, path).
        self.sent: list[tuple[str, str]] = []
        self.metrics = metrics

    def destination_requests(self) -> float:
        """Requests the reconciler sent to the destination (its pair's client) so far."""
        return sum(
            sample.value
            for family in self.metrics.registry.collect()
            if family.name == "stork_api_requests"
            for sample in family.samples
            if sample.name == "stork_api_requests_total"
            and sample.labels.get("cluster") != "source"
        )

    async def reconcile(self) -> float | None:
        obj = schedule(self.clusters, self.namespace)
        return await self.reconciler.reconcile((self.namespace, "sched"), obj)

    def items(self, policy_type: str) -> list[dict[str, Any]]:
        return items(self.clusters, self.namespace, policy_type)


def run(clusters: Clusters, namespace: str, clock: FakeClock, scenario: Scenario) -> None:
    async def main() -> None:
        sent: list[tuple[str, str]] = []

        def record(request: httpx2.Request, _response: httpx2.Response) -> None:
            sent.append((request.method, request.url.path))

        source = cluster_client(
            load_config(clusters.kubeconfig("source")), RequestHooks(response=record)
        )
        client = source.lightkube
        metrics = Metrics()
        destinations = DestinationClients(PairCredentialResolver(client, CONFINED), metrics)
        reconciler = MigrationScheduleReconciler(
            client, EventRecorder(client), clock, destinations, default_tz=UTC
        )
        harness = Harness(clusters, namespace, reconciler, clock, metrics)
        harness.sent = sent
        try:
            await scenario(harness)
        finally:
            await destinations.close()
            await source.aclose()

    asyncio.run(main())


@pytest.fixture
def pair(clusters: Clusters, namespace: str) -> str:
    """A pair to the destination, marked Ready (no pair controller runs in these tests)."""
    body = copy.deepcopy(seed_objects(clusters.sandbox.credentials("destination"))[1])
    body["metadata"] = {"name": "remote", "namespace": namespace}
    body.pop("status")
    clusters.source.create(ClusterPairResource.from_dict(body))
    set_pair(clusters.source, namespace, "Ready")
    return "remote"


def set_pair(client: Client, namespace: str, state: str) -> None:
    client.patch(
        ClusterPairResource.Status,
        "remote",
        {"status": {"schedulerStatus": state, "storageStatus": "NotProvided"}},
        namespace=namespace,
        patch_type=PatchType.MERGE,
    )


def make_policy(clusters: Clusters, name: str, policy: dict[str, Any]) -> None:
    obj = {
        "apiVersion": "stork.libopenstorage.org/v1alpha1",
        "kind": "SchedulePolicy",
        "metadata": {"name": name},
        "policy": policy,
    }
    clusters.source.apply(SchedulePolicyResource.from_dict(obj), field_manager="tests", force=True)


def make_schedule(clusters: Clusters, namespace: str, policy: str, **spec: Any) -> dict[str, Any]:
    obj = {
        "apiVersion": "stork.libopenstorage.org/v1alpha1",
        "kind": "MigrationSchedule",
        "metadata": {"name": "sched", "namespace": namespace},
        "spec": {
            "template": {"spec": {"clusterPair": "remote", "namespaces": [namespace]}},
            "schedulePolicyName": policy,
            **spec,
        },
    }
    return dict(clusters.source.create(MigrationScheduleResource.from_dict(obj)))


#: When the tests' clocks start.
T0 = dt.datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC)


def interval_schedule(
    clusters: Clusters,
    namespace: str,
    policy: str = "every-minute",
    minutes: int = 1,
    **spec: Any,
) -> FakeClock:
    """An interval policy of ``minutes`` and the schedule "sched" on it; a clock at T0."""
    make_policy(clusters, policy, {"interval": {"intervalMinutes": minutes}})
    make_schedule(clusters, namespace, policy, **spec)
    return FakeClock(T0)


def patch_schedule(clusters: Clusters, namespace: str, body: dict[str, Any]) -> None:
    """A merge patch of the schedule "sched", as a user's edit."""
    clusters.source.patch(
        MigrationScheduleResource,
        "sched",
        body,
        namespace=namespace,
        patch_type=PatchType.MERGE,
    )


def schedule(clusters: Clusters, namespace: str) -> dict[str, Any]:
    return dict(clusters.source.get(MigrationScheduleResource, "sched", namespace=namespace))


def items(clusters: Clusters, namespace: str, policy_type: str) -> list[dict[str, Any]]:
    return list(
        ((schedule(clusters, namespace).get("status") or {}).get("items") or {}).get(policy_type)
        or []
    )


def finish(clusters: Clusters, namespace: str, name: str, status: str = "Successful") -> None:
    clusters.source.patch(
        MigrationResource.Status,
        name,
        {"status": {"stage": "Final", "status": status}},
        namespace=namespace,
        patch_type=PatchType.MERGE,
    )


def events(clusters: Clusters, namespace: str) -> list[str]:
    return [f"{e.reason}: {e.message}" for e in clusters.source.list(Event, namespace=namespace)]


def test_interval_triggers_waits_for_the_child_prunes_and_sleeps_until_due(
    clusters: Clusters, namespace: str, pair: str
) -> None:
    clock = interval_schedule(clusters, namespace)

    async def scenario(h: Harness) -> None:
        assert await h.reconcile() is None  # started one; woken by the child's progress
        first = h.items("Interval")
        assert [(i["name"], i["status"]) for i in first] == [
            ("sched-interval-2026-03-01-100000", "Pending")
        ]
        child = clusters.source.get(MigrationResource, first[0]["name"], namespace=namespace)
        assert child["spec"] == {"clusterPair": "remote", "namespaces": [namespace]}
        assert child.metadata.ownerReferences[0].kind == "MigrationSchedule"
        assert (
            child.metadata.annotations["stork.libopenstorage.org/migration-schedule-name"]
            == "sched"
        )

        h.clock.advance(minutes=5)  # still running: nothing new, whatever the time
        assert await h.reconcile() is None
        assert len(h.items("Interval")) == 1

        finish(clusters, namespace, first[0]["name"])
        h.clock.t = dt.datetime(2026, 3, 1, 10, 0, 20, tzinfo=UTC)
        wait = await h.reconcile()
        assert wait == pytest.approx(40.0)
        done = h.items("Interval")[0]
        assert (done["status"], done["finishTimestamp"]) == ("Successful", "2026-03-01T10:00:20Z")
        expected = "Scheduled migration (sched-interval-2026-03-01-100000) completed successfully"
        assert f"Successful: {expected}" in events(clusters, namespace)

        h.clock.t = dt.datetime(2026, 3, 1, 10, 1, 0, tzinfo=UTC)
        assert await h.reconcile() is None
        second = h.items("Interval")[-1]["name"]
        assert second == "sched-interval-2026-03-01-100100"
        finish(clusters, namespace, second)
        h.clock.advance(seconds=1)
        await h.reconcile()
        assert [i["name"] for i in h.items("Interval")] == [second]  # the older success pruned
        names = [
            m.metadata.name for m in clusters.source.list(MigrationResource, namespace=namespace)
        ]
        assert names == [second]

    run(clusters, namespace, clock, scenario)


def test_suspend_missing_policy_and_pair_not_ready_prevent_runs(
    clusters: Clusters, namespace: str, pair: str
) -> None:
    make_schedule(clusters, namespace, "no-such-policy")
    clock = FakeClock(T0)

    async def scenario(h: Harness) -> None:
        assert await h.reconcile() is not None
        assert h.items("Interval") == []
        assert (
            "Failed: Error checking if migration should be triggered: "
            "schedulepolicy no-such-policy not found"
        ) in events(clusters, namespace)

        make_policy(clusters, "every-minute", {"interval": {"intervalMinutes": 1}})
        patch_schedule(
            clusters, namespace, {"spec": {"schedulePolicyName": "every-minute", "suspend": True}}
        )
        assert await h.reconcile() is None
        assert h.items("Interval") == []

        patch_schedule(clusters, namespace, {"spec": {"suspend": False}})
        set_pair(clusters.source, namespace, "Error")
        assert await h.reconcile() is not None
        assert h.items("Interval") == []
        assert any(
            "is not Ready (schedulerStatus Error); waiting" in e
            for e in events(clusters, namespace)
        )

        set_pair(clusters.source, namespace, "Ready")
        assert await h.reconcile() is None
        assert len(h.items("Interval")) == 1

    run(clusters, namespace, clock, scenario)


def test_deleting_the_schedule_deletes_its_migrations(
    clusters: Clusters, namespace: str, pair: str
) -> None:
    clock = interval_schedule(clusters, namespace)

    async def scenario(h: Harness) -> None:
        await h.reconcile()
        assert len(list(clusters.source.list(MigrationResource, namespace=namespace))) == 1
        assert (
            "stork.libopenstorage.org/finalizer-cleanup"
            in schedule(clusters, namespace)["metadata"]["finalizers"]
        )
        clusters.source.delete(MigrationScheduleResource, "sched", namespace=namespace)
        await h.reconcile()
        assert list(clusters.source.list(MigrationResource, namespace=namespace)) == []
        assert list(clusters.source.list(MigrationScheduleResource, namespace=namespace)) == []

    run(clusters, namespace, clock, scenario)


def test_daily_run_missed_while_down_is_caught_up_once(
    clusters: Clusters, namespace: str, pair: str
) -> None:
    make_policy(clusters, "nightly", {"daily": {"time": "1:00AM"}, "timeZone": "UTC"})
    created = dt.datetime.fromisoformat(
        make_schedule(clusters, namespace, "nightly")["metadata"]["creationTimestamp"].replace(
            "Z", "+00:00"
        )
    )
    # The controller was down for three nights.
    clock = FakeClock(created + dt.timedelta(days=3, hours=2))

    async def scenario(h: Harness) -> None:
        assert await h.reconcile() is None
        daily = h.items("Daily")
        assert len(daily) == 1
        assert daily[0]["name"].startswith("sched-daily-")
        finish(clusters, namespace, daily[0]["name"])
        h.clock.advance(minutes=1)
        wait = await h.reconcile()
        assert len(h.items("Daily")) == 1  # one catch-up, not three
        next_run = h.clock.t.replace(hour=1, minute=0, second=0, microsecond=0)
        if next_run <= h.clock.t:
            next_run += dt.timedelta(days=1)
        # Sleeps until the next run, but at most an hour (a periodic re-check).
        expected = min(3600.0, (next_run - h.clock.t).total_seconds())
        assert wait == pytest.approx(expected)

    run(clusters, namespace, clock, scenario)


def _created(obj: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(obj["metadata"]["creationTimestamp"].replace("Z", "+00:00"))


def test_weekly_fires_on_its_day_once(clusters: Clusters, namespace: str, pair: str) -> None:
    make_policy(
        clusters, "weekly-only", {"weekly": {"day": "Sun", "time": "6:00PM"}, "timeZone": "UTC"}
    )
    created = _created(make_schedule(clusters, namespace, "weekly-only"))
    # The first Sunday 18:00 UTC after the schedule's creation.
    sunday = (created + dt.timedelta(days=(6 - created.weekday()) % 7)).replace(
        hour=18, minute=0, second=0, microsecond=0
    )
    if sunday <= created:
        sunday += dt.timedelta(days=7)
    clock = FakeClock(sunday - dt.timedelta(minutes=1))

    async def scenario(h: Harness) -> None:
        assert await h.reconcile() == pytest.approx(60.0, abs=1.0)  # sleeps until Sunday 18:00
        assert h.items("Weekly") == []
        h.clock.t = sunday
        await h.reconcile()
        fired = h.items("Weekly")
        assert [i["name"] for i in fired] == [f"sched-weekly-{sunday:%Y-%m-%d-%H%M%S}"]
        finish(clusters, namespace, fired[0]["name"])
        h.clock.t = sunday + dt.timedelta(hours=1)
        wait = await h.reconcile()
        assert [i["name"] for i in h.items("Weekly")] == [fired[0]["name"]]  # once per occurrence
        assert wait == pytest.approx(3600.0)  # next Sunday is far: the hourly re-check

    run(clusters, namespace, clock, scenario)


def test_monthly_date_31_rolls_over_in_short_months(
    clusters: Clusters, namespace: str, pair: str
) -> None:
    make_policy(
        clusters, "month-end", {"monthly": {"date": 31, "time": "6:00PM"}, "timeZone": "UTC"}
    )
    created = _created(make_schedule(clusters, namespace, "month-end"))
    # Date 31 of each month from the creation's on; a month without it rolls over (30 days:
    # the 1st of the next month, February: March 3 or 2), as Stork's documentation says.
    first = None
    # From the month before the creation's: its date 31 may roll over into this month.
    year, month = (
        (created.year - 1, 12) if created.month == 1 else (created.year, created.month - 1)
    )
    while first is None:
        candidate = dt.datetime(year, month, 1, 18, tzinfo=UTC) + dt.timedelta(days=30)
        if candidate > created:
            first = candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    clock = FakeClock(first - dt.timedelta(seconds=30))

    async def scenario(h: Harness) -> None:
        assert await h.reconcile() == pytest.approx(30.0, abs=1.0)
        assert h.items("Monthly") == []
        h.clock.t = first + dt.timedelta(seconds=1)
        await h.reconcile()
        # Named by the occurrence (18:00:00), not by the moment the decision was made.
        assert [i["name"] for i in h.items("Monthly")] == [f"sched-monthly-{first:%Y-%m-%d-%H%M%S}"]

    run(clusters, namespace, clock, scenario)


def test_policy_edited_while_in_use_takes_effect(
    clusters: Clusters, namespace: str, pair: str
) -> None:
    clock = interval_schedule(clusters, namespace, "editable", 600)

    async def scenario(h: Harness) -> None:
        await h.reconcile()
        first = h.items("Interval")[0]["name"]
        finish(clusters, namespace, first)
        h.clock.advance(minutes=5)
        assert await h.reconcile() == pytest.approx(3600.0)  # 595 min away: re-check in an hour
        make_policy(clusters, "editable", {"interval": {"intervalMinutes": 5}})
        assert await h.reconcile() is None  # due under the edited policy: started at once
        assert len(h.items("Interval")) == 2

    run(clusters, namespace, clock, scenario)


def test_activated_destination_copy_suspends_an_auto_suspend_schedule(
    clusters: Clusters, namespace: str, pair: str
) -> None:
    clock = interval_schedule(clusters, namespace, autoSuspend=True)

    async def scenario(h: Harness) -> None:
        await h.reconcile()
        copy_ = clusters.destination.get(MigrationScheduleResource, "sched", namespace=namespace)
        assert copy_["metadata"]["annotations"]["stork.libopenstorage.org/static-copy"] == "true"
        assert copy_["spec"]["suspend"] is True
        finish(clusters, namespace, h.items("Interval")[0]["name"])
        clusters.destination.patch(
            MigrationScheduleResource,  # no status subresource, as in Stork
            "sched",
            {"status": {"applicationActivated": True}},
            namespace=namespace,
            patch_type=PatchType.MERGE,
        )
        h.clock.advance(minutes=2)
        assert await h.reconcile() is None
        assert schedule(clusters, namespace)["spec"]["suspend"] is True
        assert len(h.items("Interval")) == 1
        assert (
            "Suspended: Suspending migration schedule since migrated apps on remote cluster are active"
            in events(clusters, namespace)
        )

    run(clusters, namespace, clock, scenario)


def test_a_decision_on_a_snapshot_one_write_behind_starts_nothing_twice(
    clusters: Clusters, namespace: str, pair: str
) -> None:
    clock = interval_schedule(clusters, namespace)

    async def scenario(h: Harness) -> None:
        stale = schedule(clusters, namespace)  # before the status write of the first run
        assert await h.reconciler.reconcile((namespace, "sched"), stale) is None
        # Woken by the child's event with the cache still one write behind, a second later.
        h.clock.advance(seconds=1)
        await h.reconciler.reconcile((namespace, "sched"), stale)
        children = clusters.source.list(MigrationResource, namespace=namespace)
        assert [m.metadata.name for m in children] == ["sched-interval-2026-03-01-100000"]
        assert [i["name"] for i in h.items("Interval")] == ["sched-interval-2026-03-01-100000"]

    run(clusters, namespace, clock, scenario)


def test_a_finalizer_added_by_someone_else_survives(
    clusters: Clusters, namespace: str, pair: str
) -> None:
    clock = interval_schedule(clusters, namespace, "rarely", 600, suspend=True)
    other = "example.com/keep-me"

    def finalizers() -> list[str]:
        return list(schedule(clusters, namespace)["metadata"].get("finalizers") or [])

    async def scenario(h: Harness) -> None:
        snapshot = schedule(clusters, namespace)
        patch_schedule(clusters, namespace, {"metadata": {"finalizers": [other]}})
        await h.reconciler.reconcile((namespace, "sched"), snapshot)
        assert sorted(finalizers()) == sorted([other, "stork.libopenstorage.org/finalizer-cleanup"])
        clusters.source.delete(MigrationScheduleResource, "sched", namespace=namespace)
        await h.reconciler.reconcile((namespace, "sched"), snapshot)
        assert finalizers() == [other]  # ours removed, theirs kept: the object waits for them
        patch_schedule(clusters, namespace, {"metadata": {"finalizers": None}})

    run(clusters, namespace, clock, scenario)


def test_a_look_at_an_unchanged_schedule_writes_nothing_and_leaves_the_destination_alone(
    clusters: Clusters, namespace: str, pair: str
) -> None:
    clock = interval_schedule(clusters, namespace)

    async def scenario(h: Harness) -> None:
        await h.reconcile()
        finish(clusters, namespace, h.items("Interval")[0]["name"])
        h.clock.advance(seconds=10)
        assert await h.reconcile() == pytest.approx(50.0)  # the success noted, sleeping
        synced = h.destination_requests()
        assert synced > 0  # the destination copy was written on the first look
        h.sent.clear()
        h.clock.advance(seconds=10)
        assert await h.reconcile() == pytest.approx(40.0)
        # The schedule passed in is the version the last write left: not read again, and
        # with nothing changed nothing is written; the copy is not looked at again before
        # the pair check interval.
        assert [m for m, _ in h.sent] == ["GET"] * len(h.sent)
        assert not [p for _, p in h.sent if "/migrationschedules" in p]
        assert h.destination_requests() == synced
        h.clock.advance(seconds=h.reconciler.remote_check_seconds)
        await h.reconcile()
        assert h.destination_requests() > synced  # an activation there is looked for again

    run(clusters, namespace, clock, scenario)


def test_a_first_look_writes_the_schedule_once_then_creates_its_migration(
    clusters: Clusters, namespace: str, pair: str
) -> None:
    clock = interval_schedule(clusters, namespace)

    async def scenario(h: Harness) -> None:
        await h.reconcile()
        writes = [(m, p) for m, p in h.sent if m != "GET" and not p.endswith("/events")]
        api = f"/apis/stork.libopenstorage.org/v1alpha1/namespaces/{namespace}"
        # Never written by this controller: the object given is current, not read again.
        assert ("GET", f"{api}/migrationschedules/sched") not in h.sent
        # Finalizer, items and RPO condition in one patch, before the run's Migration.
        assert writes == [
            ("PATCH", f"{api}/migrationschedules/sched"),
            ("POST", f"{api}/migrations"),
        ]
        obj = schedule(clusters, namespace)
        assert "stork.libopenstorage.org/finalizer-cleanup" in obj["metadata"]["finalizers"]
        assert [i["status"] for i in obj["status"]["items"]["Interval"]] == ["Pending"]
        rpo = [c for c in obj["status"]["conditions"] if c["type"] == "RPOBreached"]
        assert [(c["status"], c["reason"]) for c in rpo] == [("False", "WithinObjective")]

    run(clusters, namespace, clock, scenario)
