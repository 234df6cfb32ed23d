"""Prometheus metrics of ``stork run``, in a registry of the process (not the global one).

Two kinds:
- Events counted as they happen: API requests and retries (hooks of the transport stack),
  reconciles, and, on the leader only (so that replicas do not count twice), the duration and
  resource counts of each Migration that reaches its Final stage.
- State derived at scrape time from the informer caches (``StateCollector``): migrations by
  status, and per MigrationSchedule its last success, expected interval and lag (RPO). Being
  derived from the objects' status, these survive restarts and agree between replicas.
- The work queues of the controllers (``QueueCollector``), read at scrape time with
  client-go's metric names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx2
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from stork.api.constants import MigrationStage
from stork.api.timestamps import parse_time
from stork.kube.stack import RequestHooks
from stork.runtime.workqueue import WorkQueue
from stork.schedule.rpo import (
    RPO_FACTOR,
    expected_interval,
    last_success,
    rpo_breached,
    schedule_lag,
)

_STATUSES = ("Pending", "InProgress", "Successful", "PartialSuccess", "Failed")
_TRIGGER_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, float("inf"))
_DURATION_BUCKETS = (1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, float("inf"))


# -- state collected at scrape time ------------------------------------------------------------


class CacheView(Protocol):
    """What the state collector reads: the controller's informer caches."""

    def migrations(self) -> list[dict[str, Any]]:
        """Every cached Migration."""

    def schedules(self) -> list[dict[str, Any]]:
        """Every cached MigrationSchedule."""

    def policy(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The NamespacedSchedulePolicy of that name in ``namespace``, else the SchedulePolicy."""


@dataclass(frozen=True)
class StaticCaches:
    """A CacheView over fixed lists (tests, or a snapshot)."""

    migration_objects: list[dict[str, Any]]
    schedule_objects: list[dict[str, Any]]
    policies: Mapping[tuple[str, str], dict[str, Any]]

    def migrations(self) -> list[dict[str, Any]]:
        """Every Migration."""
        return self.migration_objects

    def schedules(self) -> list[dict[str, Any]]:
        """Every MigrationSchedule."""
        return self.schedule_objects

    def policy(self, namespace: str, name: str) -> dict[str, Any] | None:
        """Keyed (namespace, name) for namespaced policies, ("", name) for cluster ones."""
        return self.policies.get((namespace, name)) or self.policies.get(("", name))


class StateCollector(Collector):
    """Gauges computed from the informer caches on every scrape."""

    def __init__(
        self,
        caches: CacheView,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._caches = caches
        self._now = now

    def collect(self) -> Iterable[Metric]:
        """The current values."""
        yield self._migrations()
        yield from self._schedules()

    def _migrations(self) -> Metric:
        counts = dict.fromkeys(_STATUSES, 0)
        for obj in self._caches.migrations():
            status = (obj.get("status") or {}).get("status") or "Pending"
            counts[status] = counts.get(status, 0) + 1
        family = GaugeMetricFamily(
            "stork_migrations", "Migrations by status.status (from the cache).", labels=["status"]
        )
        for status, count in sorted(counts.items()):
            family.add_metric([status], count)
        return family

    def _schedules(self) -> Iterator[Metric]:
        labels = ["namespace", "schedule"]
        success = GaugeMetricFamily(
            "stork_migrationschedule_last_success_timestamp_seconds",
            "Unix time when the schedule's latest successful migration finished.",
            labels=labels,
        )
        interval = GaugeMetricFamily(
            "stork_migrationschedule_expected_interval_seconds",
            "Seconds between two runs according to the schedule's policy.",
            labels=labels,
        )
        lag = GaugeMetricFamily(
            "stork_migrationschedule_lag_seconds",
            "Seconds since the latest successful migration (or creation): the current RPO.",
            labels=labels,
        )
        breached = GaugeMetricFamily(
            "stork_migrationschedule_rpo_breached",
            f"1 when the lag exceeds {RPO_FACTOR:g} expected intervals.",
            labels=labels,
        )
        suspended = GaugeMetricFamily(
            "stork_migrationschedule_suspended", "1 when spec.suspend is set.", labels=labels
        )
        now = self._now()
        for obj in self._caches.schedules():
            meta = obj.get("metadata") or {}
            spec = obj.get("spec") or {}
            key = [str(meta.get("namespace") or ""), str(meta.get("name") or "")]
            last = last_success(obj)
            if last is not None:
                success.add_metric(key, last.timestamp())
            policy = self._caches.policy(key[0], str(spec.get("schedulePolicyName") or ""))
            seconds = expected_interval(policy)
            if seconds is not None:
                interval.add_metric(key, seconds)
            current = schedule_lag(obj, now)
            lag.add_metric(key, current)
            breached.add_metric(key, 1.0 if rpo_breached(current, seconds) else 0.0)
            suspended.add_metric(key, 1.0 if spec.get("suspend") else 0.0)
        yield from (success, interval, lag, breached, suspended)


class QueueCollector(Collector):
    """client-go's workqueue metrics, read from each controller's queue on every scrape."""

    def __init__(self) -> None:
        self._queues: dict[str, WorkQueue[Any]] = {}

    def add(self, name: str, queue: WorkQueue[Any]) -> None:
        """Report ``queue`` under ``name`` (the controller's name)."""
        self._queues[name] = queue

    def collect(self) -> Iterable[Metric]:
        """The current values."""
        depth = GaugeMetricFamily("workqueue_depth", "Keys waiting in the queue.", labels=["name"])
        adds = CounterMetricFamily(
            "workqueue_adds", "Keys queued (a key already waiting counts once).", labels=["name"]
        )
        retries = CounterMetricFamily(
            "workqueue_retries", "Failed reconciles requeued with back-off.", labels=["name"]
        )
        longest = GaugeMetricFamily(
            "workqueue_longest_running_processor_seconds",
            "How long the oldest reconcile in progress has been running.",
            labels=["name"],
        )
        for name, queue in sorted(self._queues.items()):
            depth.add_metric([name], len(queue))
            adds.add_metric([name], queue.adds)
            retries.add_metric([name], queue.retries)
            longest.add_metric([name], queue.longest_running())
        yield from (depth, adds, retries, longest)


# -- events counted as they happen -------------------------------------------------------------


class Metrics:
    """Every metric of one controller process, in its own registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.leading = False
        self.migration_duration = Histogram(
            "stork_migration_duration_seconds",
            "From creation to the Final stage, per final status.",
            ["status"],
            registry=r,
            buckets=_DURATION_BUCKETS,
        )
        self.stage_duration = Histogram(
            "stork_migration_stage_duration_seconds",
            "Time spent in each stage of a finished Migration.",
            ["stage"],
            registry=r,
            buckets=_DURATION_BUCKETS,
        )
        self.resources = Counter(
            "stork_migration_resources",
            "Resources of finished Migrations: migrated, or skipped (failed or left out).",
            ["result"],
            registry=r,
        )
        self.trigger_delay = Histogram(
            "stork_migrationschedule_trigger_delay_seconds",
            "From the moment a schedule is due (and its previous run over) to its Migration.",
            registry=r,
            buckets=_TRIGGER_BUCKETS,
        )
        self.drifted_resources = Counter(
            "stork_migration_drifted_resources",
            "Destination copies found edited there since the last migration, and applied again.",
            ["kind"],
            registry=r,
        )
        self.api_requests = Counter(
            "stork_api_requests",
            "Kubernetes API requests by cluster, method and HTTP status code.",
            ["cluster", "method", "code"],
            registry=r,
        )
        self.api_retries = Counter(
            "stork_api_request_retries",
            "Requests retried by the transport (429, 5xx, lost connections) by cluster and code"
            " (the HTTP status, or the transport error's name).",
            ["cluster", "code"],
            registry=r,
        )
        self.reconciles = Counter(
            "controller_runtime_reconcile",
            "Reconciles by controller and result (success, requeue_after, error).",
            ["controller", "result"],
            registry=r,
        )
        self.reconcile_time = Histogram(
            "controller_runtime_reconcile_time_seconds",
            "Duration of reconciles by controller.",
            ["controller"],
            registry=r,
        )
        self.leader = Gauge(
            "leader_election_master_status",
            "1 while this process holds the lease.",
            ["name"],
            registry=r,
        )
        self.informers_synced = Gauge(
            "stork_informers_synced", "1 once every informer has listed its kind.", registry=r
        )
        self._queues = QueueCollector()
        r.register(self._queues)

    def add_state(self, collector: Collector) -> None:
        """Register a scrape-time collector (StateCollector)."""
        self.registry.register(collector)

    def watch_queue(self, name: str, queue: WorkQueue[Any]) -> None:
        """Report the work queue of controller ``name`` (depth, adds, retries, longest run)."""
        self._queues.add(name, queue)

    def set_leader(self, name: str, leading: bool) -> None:
        """Record whether this process leads (finished migrations are counted by the leader)."""
        self.leading = leading
        self.leader.labels(name).set(1 if leading else 0)

    # -- HTTP clients ---------------------------------------------------------------------------

    def request_hooks(self, cluster: str) -> RequestHooks:
        """The metering hooks of one cluster's client stack (``kube.stack``): every answer of
        every try, and every retry, counted under ``cluster``."""

        def on_response(request: httpx2.Request, response: httpx2.Response) -> None:
            self.api_requests.labels(cluster, request.method, str(response.status_code)).inc()

        def on_retry(
            _request: httpx2.Request,
            response: httpx2.Response | None,
            error: BaseException | None,
        ) -> None:
            code = str(response.status_code) if response is not None else type(error).__name__
            self.api_retries.labels(cluster, code).inc()

        return RequestHooks(on_response, on_retry)

    # -- reconciles and migrations --------------------------------------------------------------

    def reconciled(self, controller: str, result: str, seconds: float) -> None:
        """Count one reconcile and its duration."""
        self.reconciles.labels(controller, result).inc()
        self.reconcile_time.labels(controller).observe(seconds)

    def drifted(self, by_kind: Mapping[str, int]) -> None:
        """Count the drifted destination copies of one migration (see migration.memo)."""
        for kind, count in by_kind.items():
            self.drifted_resources.labels(kind).inc(count)

    def migration_changed(self, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        """Informer hook: observe a Migration that just reached its Final stage (leader only)."""
        if not self.leading or old is None or new is None:
            return
        if _stage(old) == MigrationStage.FINAL.value or _stage(new) != MigrationStage.FINAL.value:
            return
        for name, value in finished_migration(new).items():
            kind, _, label = name.partition(":")
            if kind == "duration":
                self.migration_duration.labels(label).observe(value)
            elif kind == "stage":
                self.stage_duration.labels(label).observe(value)
            else:
                self.resources.labels(label).inc(value)


def _stage(obj: Mapping[str, Any]) -> str:
    return str((obj.get("status") or {}).get("stage") or "")


def finished_migration(obj: Mapping[str, Any]) -> dict[str, float]:
    """What a finished Migration contributes: ``duration:<status>``, ``stage:<stage>``,
    ``resources:migrated|skipped`` (only the values its status allows to know).
    """
    status = obj.get("status") or {}
    created = parse_time((obj.get("metadata") or {}).get("creationTimestamp"))
    volumes_done = parse_time(status.get("volumeMigrationFinishTimestamp"))
    resources_done = parse_time(status.get("resourceMigrationFinishTimestamp"))
    finished = parse_time(status.get("finishTimestamp"))
    out: dict[str, float] = {}
    if created and finished:
        out[f"duration:{status.get('status') or 'Unknown'}"] = _seconds(created, finished)
    if created and volumes_done:
        out[f"stage:{MigrationStage.VOLUMES.value}"] = _seconds(created, volumes_done)
    if volumes_done and resources_done:
        out[f"stage:{MigrationStage.APPLICATIONS.value}"] = _seconds(volumes_done, resources_done)
    summary = status.get("summary") or {}
    if "totalNumberOfResources" in summary:
        total = int(summary.get("totalNumberOfResources") or 0)
        migrated = int(summary.get("numOfMigratedResources") or 0)
        out["resources:migrated"] = float(migrated)
        out["resources:skipped"] = float(max(0, total - migrated))
    return out


def _seconds(start: dt.datetime, end: dt.datetime) -> float:
    return max(0.0, (end - start).total_seconds())
