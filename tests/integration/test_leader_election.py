"""Two `stork run` processes against the sandbox: one leads, hand-over after SIGKILL, no double run."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from lightkube import ApiError, AsyncClient
from lightkube.resources.coordination_v1 import Lease

from stork.kube.config import load_config
from stork.kube.resources import MigrationResource
from stork.runtime.leader import LeaderElector
from tests.integration.conftest import Clusters, RunningController
from tests.integration.test_metrics_health import (
    controller_flags,
    get,
    make_pair,
    make_policy,
    make_schedule,
    scrape,
)
from tests.waiting import wait_for

LEADER = ("leader_election_master_status", (("name", "stork-controller"),))


def holder(clusters: Clusters, namespace: str) -> str | None:
    try:
        lease = clusters.source.get(Lease, "stork-controller", namespace=namespace)
    except ApiError as e:
        if e.status.code == 404:
            return None
        raise
    return (lease.spec.holderIdentity if lease.spec else None) or None


def json_lines(controller: RunningController) -> list[dict[str, Any]]:
    out = []
    for line in controller.output().splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def schedule_lines(controller: RunningController, namespace: str) -> list[dict[str, Any]]:
    """Log lines of the schedule reconciler about objects of ``namespace``."""
    return [
        line
        for line in json_lines(controller)
        if line.get("controller") == "migrationschedule" and line.get("namespace") == namespace
    ]


def test_one_leader_hand_over_after_kill_and_no_double_trigger(
    clusters: Clusters,
    namespace: str,
    start_controller: Callable[..., RunningController],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_pair(clusters, namespace)
    started: dict[str, tuple[RunningController, str, str]] = {}
    for name in ("stork-a", "stork-b"):
        monkeypatch.setenv("POD_NAME", name)  # the identity, as the downward API would set it
        flags, metrics, health = controller_flags(namespace)
        started[name] = (start_controller(*flags, "--log-format", "json"), metrics, health)

    first = wait_for(lambda: holder(clusters, namespace), 30, "a leader")
    assert first in started
    second = next(n for n in started if n != first)
    leader, leader_metrics, _ = started[first]
    follower, follower_metrics, follower_health = started[second]
    # Both are ready (informers synced) whatever their role; only one leads.
    for _, _, health in started.values():
        wait_for(
            lambda h=health: (r := get(f"{h}/readyz")) is not None and r.status_code == 200,
            30,
            "/readyz",
        )
    assert wait_for(lambda: scrape(leader_metrics)[LEADER] == 1, 10, "leader gauge")
    assert scrape(follower_metrics)[LEADER] == 0

    # A schedule every minute: the leader starts the first migration at once.
    policy = f"every-1-{namespace}"
    make_policy(clusters, policy, 1)
    make_schedule(clusters, namespace, "dr", policy, "remote")

    def migrations() -> list[dict[str, Any]]:
        return sorted(
            (dict(m) for m in clusters.source.list(MigrationResource, namespace=namespace)),
            key=lambda m: m["metadata"]["name"],
        )

    wait_for(lambda: len(migrations()) == 1, 60, "the first migration")
    name = migrations()[0]["metadata"]["name"]
    wait_for(
        lambda: any(
            line["message"].endswith(f"started {name}")
            for line in schedule_lines(leader, namespace)
        ),
        10,
        "the leader's log line about it",
    )
    assert schedule_lines(follower, namespace) == []
    assert holder(clusters, namespace) == first

    # SIGKILL the leader: no release, the follower takes over once the lease expires (15 s).
    killed = time.monotonic()
    leader.proc.kill()
    leader.proc.wait(timeout=10)
    wait_for(lambda: holder(clusters, namespace) == second, 20, "the hand-over")
    assert time.monotonic() - killed < 20
    assert wait_for(lambda: scrape(follower_metrics)[LEADER] == 1, 5, "new leader gauge")
    assert get(f"{follower_health}/readyz").status_code == 200  # type: ignore[union-attr]

    # The new leader finishes what is running and triggers the next run one interval after
    # the first, not at once: exactly one migration per interval across the hand-over. (Once
    # the second succeeds the schedule prunes the first: remember every one ever seen.)
    seen: dict[str, dict[str, Any]] = {}

    def second_finished() -> bool:
        for m in migrations():
            seen[m["metadata"]["name"]] = m
        return sum((m.get("status") or {}).get("stage") == "Final" for m in seen.values()) >= 2

    wait_for(second_finished, 120, "the second scheduled migration")
    assert len(seen) == 2, sorted(seen)
    assert all(m["status"]["status"] == "Successful" for m in seen.values())
    created = sorted(
        dt.datetime.fromisoformat(m["metadata"]["creationTimestamp"].replace("Z", "+00:00"))
        for m in seen.values()
    )
    # One interval apart (creationTimestamps are whole seconds of the API server's clock, the
    # trigger decisions whole seconds of the controller's: allow for the rounding).
    assert (created[1] - created[0]).total_seconds() >= 58
    assert any(
        line["message"].startswith(f"schedule {namespace}/dr: started")
        for line in schedule_lines(follower, namespace)
    )


def test_electors_release_on_stop_and_step_down_when_the_lease_is_taken(
    clusters: Clusters, namespace: str
) -> None:
    """Two electors in one process, with short timings, against the real API server."""

    async def main() -> None:
        config = load_config(clusters.kubeconfig("source"))
        clients = [AsyncClient(config=config), AsyncClient(config=config)]
        leading: list[str] = []
        overlap: list[tuple[str, ...]] = []
        changed = asyncio.Event()
        cancelled: list[str] = []

        def lead(name: str) -> Callable[[], Coroutine[Any, Any, None]]:
            async def work() -> None:
                leading.append(name)
                overlap.append(tuple(leading))
                changed.set()
                try:
                    await asyncio.Event().wait()
                except asyncio.CancelledError:
                    cancelled.append(name)
                    raise
                finally:
                    leading.remove(name)
                    changed.set()

            return work

        async def until(condition: Callable[[], bool], timeout: float) -> None:
            async with asyncio.timeout(timeout):
                while not condition():
                    changed.clear()
                    await changed.wait()

        electors = {
            name: LeaderElector(
                client,
                namespace,
                name,
                lease_duration=4,
                renew_deadline=3,
                retry_period=0.5,
            )
            for name, client in zip(("a", "b"), clients, strict=True)
        }
        stops = {name: asyncio.Event() for name in electors}
        tasks = {
            name: asyncio.create_task(e.run(lead(name), stops[name]))
            for name, e in electors.items()
        }
        try:
            await until(lambda: len(leading) == 1, 10)
            first = leading[0]
            other = "b" if first == "a" else "a"
            assert electors[first].is_leader
            assert not electors[other].is_leader

            # Stop the leader: it releases, the other takes over well before 4 s expire.
            stops[first].set()
            await asyncio.wait_for(tasks[first], 5)
            t0 = asyncio.get_running_loop().time()
            await until(lambda: leading == [other], 10)
            assert asyncio.get_running_loop().time() - t0 < 2.5
            assert cancelled == [first]

            # Someone else writes the lease (as a partitioned peer might): the leader notices at
            # its next renewal and stops its work at once.
            lease = clusters.source.get(Lease, "stork-controller", namespace=namespace)
            assert lease.spec is not None
            lease.spec.holderIdentity = "intruder"
            lease.spec.renewTime = dt.datetime.now(dt.UTC)
            clusters.source.replace(lease)
            await until(lambda: leading == [], 5)
            assert cancelled == [first, other]
            assert not electors[other].is_leader
            assert all(len(o) == 1 for o in overlap)  # never two leaders at once
        finally:
            for name, task in tasks.items():
                stops[name].set()
                task.cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)
            for client in clients:
                await client.close()

    asyncio.run(main())
