"""Failover, failback and a drill with real pods (the sandbox with nodes): the application
Running and Ready on the source, then Ready on the destination after `perform failover`
(and gone from the source first), Ready on the source again after `perform failback`, and
Ready in the drill namespace while the standby, the source and the schedule go on untouched.

Skipped, with the reason, where nodes cannot run (`node_clusters`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from lightkube import Client
from lightkube.resources.core_v1 import Pod

from tests.integration.conftest import Clusters, RunningController
from tests.integration.test_drill import gone, versions
from tests.integration.test_failover_action import (
    DR,
    SCHEDULE,
    first_migration_succeeded,
    first_migration_succeeded_items,
    setup_dr,
)
from tests.integration.test_nodes import ready_pods, wait_ready
from tests.waiting import wait_for

WEB = {"app": "web"}


@pytest.fixture
def node_dr(
    node_clusters: Clusters,
    node_namespace: str,
    start_node_controller: Callable[..., RunningController],
) -> DR:
    dr = setup_dr(node_clusters, node_namespace, start_node_controller)
    wait_ready(dr.src, node_namespace, 2, WEB)
    assert not list(dr.dst.list(Pod, namespace=node_namespace))  # the standby runs nothing
    return dr


def pods(client: Client, namespace: str) -> list[str]:
    return [
        str(p.metadata.name)
        for p in client.list(Pod, namespace=namespace, labels=WEB)
        if p.metadata
    ]


def test_failover_and_failback_with_pods_ready(node_dr: DR) -> None:
    dr, ns = node_dr, node_dr.namespace
    started = time.monotonic()
    name = dr.perform("failover")
    wait_ready(dr.dst, ns, 2, WEB, timeout=180)
    ready = time.monotonic() - started
    final = dr.wait_final(name)
    print(f"failover: perform to 2 pods Ready on the destination {ready:.1f}s")
    assert final["status"]["status"] == "Successful", final["status"]
    # the source's pods were gone before the destination started its own
    assert pods(dr.src, ns) == []
    assert dr.replicas(dr.src) == (0, "2")
    assert dr.schedule(dr.src)["spec"]["suspend"] is True

    dr.set_color(dr.dst, "during-the-outage")
    started = time.monotonic()
    back = dr.perform("failback")
    wait_ready(dr.src, ns, 2, WEB, timeout=180)
    print(f"failback: perform to 2 pods Ready on the source {time.monotonic() - started:.1f}s")
    assert dr.wait_final(back)["status"]["status"] == "Successful"
    wait_for(lambda: not pods(dr.dst, ns), 60, "no pods left on the destination")
    assert dr.color(dr.src) == "during-the-outage"
    assert dr.schedule(dr.src)["spec"]["suspend"] is False


def test_a_drill_comes_up_ready_beside_the_untouched_standby_while_the_schedule_runs(
    node_dr: DR,
) -> None:
    dr, ns = node_dr, node_dr.namespace
    drill_ns = f"{ns}-drill"
    standby, source = versions(dr.dst, ns), versions(dr.src, ns, live=True)
    runs = {i["name"] for i in first_migration_succeeded_items(dr)}
    started = time.monotonic()
    out = dr.storkctl().ok(
        "perform", "drill", "-m", SCHEDULE, "-n", ns, "--keep", "--timeout", "3m", "--wait"
    )
    took = time.monotonic() - started
    name = out.splitlines()[1].split("`")[1].split()[3]
    assert out.splitlines()[-1] == f"Drill {name} completed successfully", out
    status = dr.action(name)["status"]
    drill = status["drill"]
    print(f"drill: perform to Final {took:.1f}s (workloads Ready after {drill['readySeconds']}s)")
    assert (status["stage"], status["status"]) == ("Final", "Successful")
    assert [(w["kind"], w["name"], w["ready"], w["reason"]) for w in drill["workloads"]] == [
        ("Deployment", "web", True, "2/2 Ready")
    ]
    assert len(ready_pods(dr.dst, drill_ns, WEB)) == 2
    assert pods(dr.dst, ns) == []  # the standby still runs nothing
    report = dr.storkctl().ok("describe", "drill", name, "-n", ns)
    assert "Status:           Successful" in report
    assert f"  {drill_ns}/Deployment/web  Ready      2/2 Ready" in report

    # the schedule goes on during the drill, and neither the standby nor the source change
    def another_run() -> bool:
        now = {i["name"] for i in first_migration_succeeded_items(dr)}
        return bool(now - runs) and first_migration_succeeded(dr) is not None

    wait_for(another_run, 120, "a scheduled migration during the drill")
    assert versions(dr.dst, ns) == standby
    assert versions(dr.src, ns, live=True) == source
    assert len(pods(dr.src, ns)) == 2

    dr.storkctl().ok("delete", "drill", name, "-n", ns)
    wait_for(lambda: gone(dr.dst, drill_ns), 120, f"{drill_ns} to be deleted")
    assert versions(dr.dst, ns) == standby
