"""Metrics: the scrape-time collector fed with cache-like dicts, RPO arithmetic, hooks, server."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx2
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from stork.controller.metrics import (
    Metrics,
    StateCollector,
    StaticCaches,
    expected_interval,
    finished_migration,
    last_success,
    rpo_breached,
    schedule_lag,
)
from stork.kube.stack import MeteredTransport
from stork.runtime.health import HttpServer, check_handler, metrics_handler, parse_bind_address
from stork.runtime.workqueue import WorkQueue

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def policy(name: str, body: dict[str, Any], namespace: str | None = None) -> dict[str, Any]:
    meta = {"name": name} | ({"namespace": namespace} if namespace else {})
    return {"metadata": meta, "policy": body}


def schedule(
    name: str,
    policy_name: str,
    items: dict[str, list[dict[str, Any]]] | None = None,
    created: str = "2026-03-01T10:00:00Z",
    suspend: bool = False,
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "app", "creationTimestamp": created},
        "spec": {"schedulePolicyName": policy_name, "suspend": suspend},
        "status": {"items": items or {}},
    }


def item(
    status: str, finished: str | None, created: str = "2026-03-01T11:00:00Z"
) -> dict[str, Any]:
    return {
        "name": "m",
        "status": status,
        "creationTimestamp": created,
        "finishTimestamp": finished,
    }


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(metrics.registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


# -- RPO arithmetic ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "seconds"),
    [
        ({"interval": {"intervalMinutes": 15}}, 900.0),
        ({"daily": {"time": "1:00AM"}}, 86400.0),
        ({"weekly": {"day": "Sunday", "time": "1:00AM"}}, 604800.0),
        ({"monthly": {"date": 1, "time": "1:00AM"}}, 31 * 86400.0),
        ({"interval": {"intervalMinutes": 2000}, "daily": {"time": "1:00AM"}}, 86400.0),
        ({}, None),
    ],
)
def test_expected_interval_is_the_shortest_period(
    body: dict[str, Any], seconds: float | None
) -> None:
    assert expected_interval(policy("p", body)) == seconds


def test_expected_interval_of_no_policy() -> None:
    assert expected_interval(None) is None


def test_last_success_counts_successful_and_partial_only() -> None:
    obj = schedule(
        "s",
        "p",
        {
            "Interval": [
                item("Successful", "2026-03-01T11:10:00Z"),
                item("Failed", "2026-03-01T11:40:00Z"),
            ],
            "Daily": [item("PartialSuccess", "2026-03-01T11:20:00Z")],
        },
    )
    assert last_success(obj) == dt.datetime(2026, 3, 1, 11, 20, tzinfo=dt.UTC)
    assert schedule_lag(obj, NOW) == 40 * 60


def test_lag_counts_from_creation_before_any_success() -> None:
    obj = schedule("s", "p", {"Interval": [item("Failed", "2026-03-01T11:00:00Z")]})
    assert last_success(obj) is None
    assert schedule_lag(obj, NOW) == 2 * 3600


def test_rpo_is_breached_beyond_twice_the_interval() -> None:
    assert not rpo_breached(1800.0, 900.0)
    assert rpo_breached(1800.5, 900.0)
    assert not rpo_breached(1e9, None)


# -- the collector -------------------------------------------------------------------------------


def collector_metrics(caches: StaticCaches) -> Metrics:
    metrics = Metrics()
    metrics.add_state(StateCollector(caches, now=lambda: NOW))
    return metrics


def test_state_collector_reports_migrations_and_schedules_from_the_caches() -> None:
    migrations = [
        {"metadata": {"name": "a"}, "status": {"status": "Successful"}},
        {"metadata": {"name": "b"}, "status": {"status": "Successful"}},
        {"metadata": {"name": "c"}, "status": {"status": "InProgress"}},
        {"metadata": {"name": "d"}},
    ]
    schedules = [
        schedule("fresh", "every-15", {"Interval": [item("Successful", "2026-03-01T11:50:00Z")]}),
        schedule("late", "every-15", {"Interval": [item("Successful", "2026-03-01T11:00:00Z")]}),
        schedule("nightly", "ns-daily", suspend=True),
        schedule("orphan", "missing"),
    ]
    policies = {
        ("", "every-15"): policy("every-15", {"interval": {"intervalMinutes": 15}}),
        ("app", "ns-daily"): policy("ns-daily", {"daily": {"time": "1:00AM"}}, "app"),
    }
    got = samples(collector_metrics(StaticCaches(migrations, schedules, policies)))

    def m(status: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        return ("stork_migrations", (("status", status),))

    assert got[m("Successful")] == 2
    assert got[m("InProgress")] == 1
    assert got[m("Pending")] == 1
    assert got[m("Failed")] == 0

    def s(metric: str, name: str) -> float | None:
        return got.get((metric, (("namespace", "app"), ("schedule", name))))

    prefix = "stork_migrationschedule_"
    assert (
        s(prefix + "last_success_timestamp_seconds", "fresh")
        == dt.datetime(2026, 3, 1, 11, 50, tzinfo=dt.UTC).timestamp()
    )
    assert s(prefix + "expected_interval_seconds", "fresh") == 900
    assert s(prefix + "lag_seconds", "fresh") == 600
    assert s(prefix + "rpo_breached", "fresh") == 0
    assert s(prefix + "lag_seconds", "late") == 3600
    assert s(prefix + "rpo_breached", "late") == 1
    assert s(prefix + "expected_interval_seconds", "nightly") == 86400
    assert s(prefix + "suspended", "nightly") == 1
    assert s(prefix + "last_success_timestamp_seconds", "nightly") is None
    assert s(prefix + "lag_seconds", "nightly") == 7200
    assert s(prefix + "expected_interval_seconds", "orphan") is None
    assert s(prefix + "rpo_breached", "orphan") == 0


def test_collector_reads_the_caches_at_scrape_time() -> None:
    migrations: list[dict[str, Any]] = []
    metrics = collector_metrics(StaticCaches(migrations, [], {}))
    key = ("stork_migrations", (("status", "Failed"),))
    assert samples(metrics)[key] == 0
    migrations.append({"metadata": {"name": "x"}, "status": {"status": "Failed"}})
    assert samples(metrics)[key] == 1


# -- finished migrations -------------------------------------------------------------------------

FINISHED = {
    "metadata": {"name": "m", "namespace": "app", "creationTimestamp": "2026-03-01T11:00:00Z"},
    "status": {
        "stage": "Final",
        "status": "PartialSuccess",
        "volumeMigrationFinishTimestamp": "2026-03-01T11:00:04Z",
        "resourceMigrationFinishTimestamp": "2026-03-01T11:00:30Z",
        "finishTimestamp": "2026-03-01T11:00:30Z",
        "summary": {"totalNumberOfResources": 12, "numOfMigratedResources": 10},
    },
}
RUNNING = {
    "metadata": FINISHED["metadata"],
    "status": {"stage": "Applications", "status": "InProgress"},
}


def test_finished_migration_values() -> None:
    assert finished_migration(FINISHED) == {
        "duration:PartialSuccess": 30.0,
        "stage:Volumes": 4.0,
        "stage:Applications": 26.0,
        "resources:migrated": 10.0,
        "resources:skipped": 2.0,
    }


def test_failed_early_migration_has_only_its_duration() -> None:
    failed = {
        "metadata": FINISHED["metadata"],
        "status": {"stage": "Final", "status": "Failed", "finishTimestamp": "2026-03-01T11:00:01Z"},
    }
    assert finished_migration(failed) == {"duration:Failed": 1.0}


def test_migration_finish_is_observed_once_and_only_by_the_leader() -> None:
    metrics = Metrics()
    metrics.migration_changed(RUNNING, FINISHED)  # not leading: nothing
    metrics.set_leader("stork-controller", True)
    metrics.migration_changed(None, FINISHED)  # first list after a start: not a transition
    metrics.migration_changed(RUNNING, FINISHED)
    metrics.migration_changed(FINISHED, FINISHED)  # a later update of a finished one
    got = samples(metrics)
    assert got[("stork_migration_duration_seconds_count", (("status", "PartialSuccess"),))] == 1
    assert got[("stork_migration_duration_seconds_sum", (("status", "PartialSuccess"),))] == 30
    assert got[("stork_migration_stage_duration_seconds_sum", (("stage", "Applications"),))] == 26
    assert got[("stork_migration_resources_total", (("result", "migrated"),))] == 10
    assert got[("stork_migration_resources_total", (("result", "skipped"),))] == 2
    assert got[("leader_election_master_status", (("name", "stork-controller"),))] == 1


def test_reconciles_are_counted() -> None:
    metrics = Metrics()
    metrics.reconciled("migration", "success", 0.5)
    metrics.reconciled("migration", "error", 0.1)
    got = samples(metrics)
    assert (
        got[
            (
                "controller_runtime_reconcile_total",
                (("controller", "migration"), ("result", "error")),
            )
        ]
        == 1
    )
    assert (
        got[("controller_runtime_reconcile_time_seconds_count", (("controller", "migration"),))]
        == 2
    )


# -- HTTP: the transport's metering hooks and the probe/metrics server -----------------------------------------


@pytest.mark.parametrize(
    ("address", "parsed"),
    [
        (":8080", ("0.0.0.0", 8080)),
        ("127.0.0.1:0", ("127.0.0.1", 0)),
        ("[::1]:9", ("::1", 9)),
        ("0", None),
    ],
)
def test_parse_bind_address(address: str, parsed: tuple[str, int] | None) -> None:
    assert parse_bind_address(address) == parsed


def test_parse_bind_address_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="host:port"):
        parse_bind_address("8080x")


def test_server_and_request_counting_hook() -> None:
    async def scenario() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        metrics = Metrics()
        ready = {"ok": False}
        server = HttpServer(
            {
                "/metrics": metrics_handler(metrics.registry),
                "/readyz": check_handler(lambda: ready["ok"], "synced"),
            },
            "test",
        )
        host, port = await server.start("127.0.0.1", 0)
        try:
            hooks = metrics.request_hooks("source")
            assert hooks.response is not None
            metered = MeteredTransport(httpx2.AsyncHTTPTransport(), hooks.response)
            async with httpx2.AsyncClient(
                base_url=f"http://{host}:{port}", transport=metered
            ) as http:
                assert (await http.get("/readyz")).status_code == 503
                ready["ok"] = True
                answer = await http.get("/readyz")
                assert (answer.status_code, answer.text) == (200, "ok\n")
                assert (await http.get("/nope")).status_code == 404
                assert (await http.post("/readyz")).status_code == 405
                page = await http.get("/metrics")
                assert page.headers["content-type"].startswith("text/plain")
                assert "stork_api_requests_total" in page.text
            retried = metrics.request_hooks("dest").retry
            assert retried is not None
            request = httpx2.Request("GET", "https://127.0.0.1:1/api")
            retried(request, httpx2.Response(429), None)
            retried(request, None, httpx2.ConnectError("refused"))
            return samples(metrics)
        finally:
            await server.close()

    got = asyncio.run(scenario())

    def req(method: str, code: str) -> float:
        return got[
            (
                "stork_api_requests_total",
                (("cluster", "source"), ("code", code), ("method", method)),
            )
        ]

    assert req("GET", "503") == 1
    assert req("GET", "200") == 2  # /readyz and /metrics
    assert req("GET", "404") == 1
    assert req("POST", "405") == 1
    assert got[("stork_api_request_retries_total", (("cluster", "dest"), ("code", "429")))] == 1
    retries = ("stork_api_request_retries_total", (("cluster", "dest"), ("code", "ConnectError")))
    assert got[retries] == 1


def test_work_queues_are_reported_by_controller_name() -> None:
    async def scenario() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        metrics = Metrics()
        busy: WorkQueue[str] = WorkQueue()
        idle: WorkQueue[str] = WorkQueue()
        metrics.watch_queue("migration", busy)
        metrics.watch_queue("clusterpair", idle)
        for key in ("a", "b", "c"):
            busy.add(key)
        busy.backoff(await busy.get())
        return samples(metrics)

    got = asyncio.run(scenario())
    migration = (("name", "migration"),)
    assert got[("workqueue_depth", migration)] == 2
    assert got[("workqueue_adds_total", migration)] == 3
    assert got[("workqueue_retries_total", migration)] == 1
    assert got[("workqueue_longest_running_processor_seconds", migration)] >= 0
    pairs = (("name", "clusterpair"),)
    assert (got[("workqueue_depth", pairs)], got[("workqueue_adds_total", pairs)]) == (0, 0)
    assert got[("workqueue_longest_running_processor_seconds", pairs)] == 0
