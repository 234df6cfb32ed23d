"""`stork run`'s /healthz, /readyz and /metrics, and the RPOBreached condition, on the sandbox."""

from __future__ import annotations

import copy
import datetime as dt
import socket
from collections.abc import Callable
from typing import Any

import httpx2
from lightkube.resources.core_v1 import ConfigMap, Event
from lightkube.types import PatchType
from prometheus_client.parser import text_string_to_metric_families

from stork.kube.resources import (
    ClusterPairResource,
    MigrationResource,
    MigrationScheduleResource,
    SchedulePolicyResource,
)
from stork.sandbox.seeds import seed_objects
from tests.integration.conftest import Clusters, RunningController
from tests.waiting import wait_for

API = "stork.libopenstorage.org/v1alpha1"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def controller_flags(namespace: str) -> tuple[list[str], str, str]:
    """Flags binding only 127.0.0.1 on free ports, the Lease in the test's namespace."""
    metrics, health = free_port(), free_port()
    flags = [
        "--pair-check-interval",
        "1",
        "--metrics-bind-address",
        f"127.0.0.1:{metrics}",
        "--health-probe-bind-address",
        f"127.0.0.1:{health}",
        "--leader-election-namespace",
        namespace,
    ]
    return flags, f"http://127.0.0.1:{metrics}", f"http://127.0.0.1:{health}"


def get(url: str) -> httpx2.Response | None:
    try:
        return httpx2.get(url, timeout=2)
    except httpx2.HTTPError:
        return None


def scrape(base: str) -> Samples:
    response = httpx2.get(f"{base}/metrics", timeout=5)
    assert response.status_code == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def make_pair(clusters: Clusters, namespace: str) -> None:
    pair = copy.deepcopy(seed_objects(clusters.sandbox.credentials("destination"))[1])
    pair["metadata"] = {"name": "remote", "namespace": namespace}
    pair.pop("status")
    clusters.source.create(ClusterPairResource.from_dict(pair))


def make_policy(clusters: Clusters, name: str, minutes: int) -> None:
    clusters.source.apply(
        SchedulePolicyResource.from_dict(
            {
                "apiVersion": API,
                "kind": "SchedulePolicy",
                "metadata": {"name": name},
                "policy": {"interval": {"intervalMinutes": minutes}},
            }
        ),
        field_manager="tests",
        force=True,
    )


def make_schedule(clusters: Clusters, namespace: str, name: str, policy: str, pair: str) -> None:
    clusters.source.create(
        MigrationScheduleResource.from_dict(
            {
                "apiVersion": API,
                "kind": "MigrationSchedule",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {
                    "schedulePolicyName": policy,
                    "template": {
                        "spec": {
                            "clusterPair": pair,
                            "namespaces": [namespace],
                            "includeVolumes": False,
                        }
                    },
                },
            }
        )
    )


def test_probes_metrics_after_a_migration_and_rpo(
    clusters: Clusters, namespace: str, start_controller: Callable[..., RunningController]
) -> None:
    flags, metrics, health = controller_flags(namespace)
    clusters.source.create(
        ConfigMap.from_dict({"metadata": {"name": "settings", "namespace": namespace}, "data": {}})
    )
    make_pair(clusters, namespace)
    controller = start_controller(*flags)

    # /readyz turns 200 once every informer listed its kind; /healthz answers as soon as it runs.
    wait_for(
        lambda: (r := get(f"{health}/readyz")) is not None and r.status_code == 200,
        30,
        "/readyz to answer 200",
    )
    healthz = httpx2.get(f"{health}/healthz", timeout=2)
    assert (healthz.status_code, healthz.text) == (200, "ok\n")
    assert httpx2.get(f"{health}/metrics", timeout=2).status_code == 404

    # One scheduled migration (interval policy: it fires at once).
    policy = f"every-10-{namespace}"
    make_policy(clusters, policy, 10)
    make_schedule(clusters, namespace, "dr", policy, "remote")

    def migrations() -> list[dict[str, Any]]:
        return [dict(m) for m in clusters.source.list(MigrationResource, namespace=namespace)]

    def finished() -> dict[str, Any] | None:
        found = migrations()
        done = [m for m in found if (m.get("status") or {}).get("stage") == "Final"]
        return done[0] if done else None

    migration = wait_for(finished, 60, "the scheduled migration to finish")
    assert migration["status"]["status"] == "Successful", migration["status"]
    migrated = migration["status"]["summary"]["numOfMigratedResources"]
    assert migrated >= 1  # the ConfigMap at least

    def schedule_success() -> Samples | None:
        got = scrape(metrics)
        key = (
            "stork_migrationschedule_last_success_timestamp_seconds",
            (("namespace", namespace), ("schedule", "dr")),
        )
        finished = ("stork_migration_duration_seconds_count", (("status", "Successful"),))
        return got if key in got and finished in got else None

    got = wait_for(schedule_success, 30, "the schedule's last success in /metrics")
    sched = (("namespace", namespace), ("schedule", "dr"))
    finish = dt.datetime.fromisoformat(
        migration["status"]["finishTimestamp"].replace("Z", "+00:00")
    )
    last = got[("stork_migrationschedule_last_success_timestamp_seconds", sched)]
    assert 0 <= last - finish.timestamp() < 30
    assert got[("stork_migrationschedule_expected_interval_seconds", sched)] == 600
    assert 0 <= got[("stork_migrationschedule_lag_seconds", sched)] < 60
    assert got[("stork_migrationschedule_rpo_breached", sched)] == 0
    assert got[("stork_migrationschedule_suspended", sched)] == 0
    assert got[("stork_migrations", (("status", "Successful"),))] >= 1
    assert got[("stork_migration_duration_seconds_count", (("status", "Successful"),))] == 1
    assert got[("stork_migration_stage_duration_seconds_count", (("stage", "Applications"),))] == 1
    assert got[("stork_migration_resources_total", (("result", "migrated"),))] == migrated
    assert got[("stork_migration_resources_total", (("result", "skipped"),))] == 0
    assert got[("leader_election_master_status", (("name", "stork-controller"),))] == 1
    assert got[("stork_informers_synced", ())] == 1
    for queue in ("clusterpair", "migration", "migrationschedule"):
        assert got[("workqueue_adds_total", (("name", queue),))] >= 1
        assert got[("workqueue_depth", (("name", queue),))] >= 0
    requests = {k[1]: v for k, v in got.items() if k[0] == "stork_api_requests_total"}
    assert requests[(("cluster", "source"), ("code", "200"), ("method", "GET"))] > 0
    pair = f"{namespace}/remote"
    assert any(
        dict(labels)["cluster"] == pair and dict(labels)["method"] == "PATCH" for labels in requests
    ), requests
    assert (
        got[
            (
                "controller_runtime_reconcile_total",
                (("controller", "migration"), ("result", "success")),
            )
        ]
        >= 1
    )

    # The schedule within its objective carries RPOBreached=False.
    def condition(name: str) -> dict[str, Any] | None:
        obj = clusters.source.get(MigrationScheduleResource, name, namespace=namespace)
        conditions = (obj.get("status") or {}).get("conditions") or []
        return next((c for c in conditions if c["type"] == "RPOBreached"), None)

    ok = wait_for(lambda: condition("dr"), 30, "RPOBreached on dr")
    assert (ok["status"], ok["reason"]) == ("False", "WithinObjective")

    # A schedule whose last success is an hour old (its pair is missing, so nothing runs):
    # lag 3600 s > 2 x 60 s breaches the RPO: condition, Warning event and metric.
    short = f"every-1-{namespace}"
    make_policy(clusters, short, 1)
    make_schedule(clusters, namespace, "late", short, "missing")
    hour_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).replace(microsecond=0)
    stamp = hour_ago.isoformat().replace("+00:00", "Z")
    clusters.source.patch(
        MigrationScheduleResource,  # no status subresource, as in Stork
        "late",
        {
            "status": {
                "items": {
                    "Interval": [
                        {
                            "name": "late-interval-old",
                            "creationTimestamp": stamp,
                            "finishTimestamp": stamp,
                            "status": "Successful",
                        }
                    ]
                }
            }
        },
        namespace=namespace,
        patch_type=PatchType.MERGE,
    )
    breached = wait_for(
        lambda: (c := condition("late")) is not None and c["status"] == "True" and c,
        30,
        "RPOBreached=True on late",
    )
    assert breached["reason"] == "LagExceeded"
    assert "more than 2 times the policy's interval of 60s" in breached["message"]

    def rpo_events() -> list[Event]:
        return [
            e
            for e in clusters.source.list(Event, namespace=namespace)
            if e.involvedObject.name == "late" and e.reason == "RPOBreached"
        ]

    events = wait_for(rpo_events, 10, "the RPOBreached event")  # recorded after the condition
    assert len(events) == 1
    assert events[0].type == "Warning"
    late = (("namespace", namespace), ("schedule", "late"))
    got = wait_for(
        lambda: (
            (g := scrape(metrics)).get(("stork_migrationschedule_rpo_breached", late)) == 1 and g
        ),
        10,
        "the breach in /metrics",
    )
    assert 3600 <= got[("stork_migrationschedule_lag_seconds", late)] < 3700
    assert (
        got[("stork_migrationschedule_last_success_timestamp_seconds", late)]
        == hour_ago.timestamp()
    )

    assert controller.stop() == 0
