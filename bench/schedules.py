"""`make bench-schedules`: many MigrationSchedules on one controller, and one long migration.

On a sandbox of its own: --schedules small namespaces (a few objects each) on the source, one
MigrationSchedule each (in the admin namespace, one ClusterPair), every one on a 1-minute
interval policy, created staggered over a minute; and one --big-objects namespace with its own
schedule, whose migration runs long meanwhile. The real controller (`stork run`) runs for
--minutes; then its /metrics give the trigger delay (stork_migrationschedule_trigger_delay_seconds:
from the moment a schedule is due, and its previous run over, to its Migration), and /proc its
CPU time and RSS. Every schedule must have triggered, none starved by the long migration.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

import httpx2
from prometheus_client.parser import text_string_to_metric_families

from stork.api.constants import SCHEDULE_ANNOTATION
from stork.api.crd import CRDS, crd_manifest
from stork.api.timestamps import parse_time
from stork.kube.config import load_config, make_client
from stork.kube.crds import apply_crds
from stork.kube.discovery import ResourceType
from stork.kube.rest import Rest
from stork.sandbox import Sandbox

sys.path.insert(0, str(Path(__file__).parent))
from run import (
    add_pair,
    cpu_seconds,
    go_create,
    limit_binary,
    measuring_client,
    pair_ready,
    peak_rss_mb,
    rss_mb,
    start_controller,
)

API = "/apis/stork.libopenstorage.org/v1alpha1"
ADMIN_NS = "kube-system"
POLICY = ResourceType(
    "stork.libopenstorage.org", "v1alpha1", "SchedulePolicy", "schedulepolicies", False
)
SCHEDULE = ResourceType(
    "stork.libopenstorage.org", "v1alpha1", "MigrationSchedule", "migrationschedules", True
)
MIGRATION = ResourceType("stork.libopenstorage.org", "v1alpha1", "Migration", "migrations", True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def schedule(name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "stork.libopenstorage.org/v1alpha1",
        "kind": "MigrationSchedule",
        "metadata": {"name": name, "namespace": ADMIN_NS},
        "spec": {
            "schedulePolicyName": "every-minute",
            "template": {
                "spec": {"clusterPair": "bench", "namespaces": [namespace], "includeVolumes": False}
            },
        },
    }


def quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """Prometheus's histogram_quantile over cumulative (upper bound, count) buckets."""
    total = buckets[-1][1]
    if total == 0:
        return float("nan")
    rank = q * total
    lower, below = 0.0, 0.0
    for upper, count in buckets:
        if count >= rank:
            if upper == float("inf"):
                return lower
            return lower + (upper - lower) * (rank - below) / max(count - below, 1e-9)
        lower, below = upper, count
    return lower


def at_most(buckets: list[tuple[float, float]]) -> float:
    """The smallest bucket bound that every observation is under (the worst delay, rounded up)."""
    total = buckets[-1][1] if buckets else 0.0
    return next((upper for upper, count in buckets if count >= total), float("nan"))


def scrape(metrics: str) -> str:
    """The controller's /metrics text."""
    return httpx2.get(f"{metrics}/metrics", timeout=10).text


def queue_depths(text: str) -> dict[str, float]:
    """Keys waiting in each controller's work queue."""
    return {
        s.labels["name"]: s.value
        for family in text_string_to_metric_families(text)
        if family.name == "workqueue_depth"
        for s in family.samples
    }


def reconciles(text: str) -> dict[str, dict[str, float]]:
    """Per controller: reconciles, their mean seconds, and keys queued, so far."""
    out: dict[str, dict[str, float]] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "controller_runtime_reconcile_total":
                entry = out.setdefault(s.labels["controller"], {})
                entry["reconciles"] = entry.get("reconciles", 0) + s.value
            elif s.name == "controller_runtime_reconcile_time_seconds_sum":
                out.setdefault(s.labels["controller"], {})["seconds"] = s.value
            elif s.name == "workqueue_adds_total" or s.name == "workqueue_adds":
                out.setdefault(s.labels["name"], {})["queued"] = s.value
    for entry in out.values():
        seconds = entry.pop("seconds", 0.0)
        entry["mean_s"] = round(seconds / entry["reconciles"], 3) if entry.get("reconciles") else 0
    return out


def requests_by_cluster(text: str) -> dict[str, float]:
    """API requests the controller sent so far: "source" and "destination" (every pair)."""
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "stork_api_requests_total":
                side = "source" if s.labels["cluster"] == "source" else "destination"
                out[side] = out.get(side, 0.0) + s.value
    return out


async def sample_depths(metrics: str, seconds: float, every: float = 5.0) -> dict[str, float]:
    """The deepest each work queue got over ``seconds`` (sampled every ``every``)."""
    deepest: dict[str, float] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for name, depth in queue_depths(await asyncio.to_thread(scrape, metrics)).items():
            deepest[name] = max(deepest.get(name, 0.0), depth)
        await asyncio.sleep(min(every, max(0.0, deadline - time.monotonic())))
    return deepest


def trigger_delays(text: str) -> tuple[list[tuple[float, float]], float]:
    """The trigger-delay histogram's buckets and its count."""
    buckets: list[tuple[float, float]] = []
    count = 0.0
    for family in text_string_to_metric_families(text):
        if family.name != "stork_migrationschedule_trigger_delay_seconds":
            continue
        for s in family.samples:
            if s.name.endswith("_bucket"):
                buckets.append((float(s.labels["le"]), s.value))
            elif s.name.endswith("_count"):
                count = s.value
    return sorted(buckets), count


Run = tuple[str, dt.datetime, dt.datetime | None]


async def scheduled_runs(source: Rest) -> list[Run]:
    """Migrations the schedules started: (schedule, created, finished or None if running)."""
    out: list[Run] = []
    async for m in source.list(MIGRATION, ADMIN_NS):
        meta = m.get("metadata") or {}
        name = (meta.get("annotations") or {}).get(SCHEDULE_ANNOTATION)
        created = parse_time(meta.get("creationTimestamp"))
        if name and created is not None:
            status = m.get("status") or {}
            finished = parse_time(status.get("finishTimestamp"))
            out.append((name, created, finished if status.get("stage") == "Final" else None))
    return out


def overlap(runs: list[Run], long: str, now: dt.datetime) -> dict[str, Any]:
    """How the long schedule's runs went, and how many other runs started while one of them
    was in progress (none would mean the long migration starved the rest)."""
    longs = [(c, f or now) for n, c, f in runs if n == long]
    others = [c for n, c, _ in runs if n != long]
    return {
        "long_runs": len(longs),
        "long_finished": sum(1 for n, _, f in runs if n == long and f is not None),
        "long_seconds": [round((f - c).total_seconds(), 1) for c, f in longs],
        "runs_started_during_long": sum(1 for c in others if any(a <= c < b for a, b in longs)),
    }


async def measure(sb: Sandbox, binary: Path, args: argparse.Namespace) -> dict[str, Any]:
    source = measuring_client(load_config(sb.kubeconfig("source")))
    n = args.schedules
    print(f"[schedules] {n} namespaces of {args.objects_per_namespace} objects", flush=True)
    await asyncio.to_thread(
        go_create, binary, sb.kubeconfig("source"), "small", n * args.objects_per_namespace, n, 64
    )
    print(f"[schedules] one namespace of {args.big_objects} objects", flush=True)
    await asyncio.to_thread(
        go_create, binary, sb.kubeconfig("source"), "big", args.big_objects, 1, 64
    )
    await add_pair(source, sb)
    await source.apply(
        POLICY,
        {
            "apiVersion": "stork.libopenstorage.org/v1alpha1",
            "kind": "SchedulePolicy",
            "metadata": {"name": "every-minute"},
            "policy": {"interval": {"intervalMinutes": 1}},
        },
    )
    port = free_port()
    log = (sb.dir / "schedules-controller.log").open("wb")
    controller = start_controller(
        sb,
        log,
        "--metrics-bind-address",
        f"127.0.0.1:{port}",
        "--concurrent-migrations",
        str(args.concurrent_migrations),
    )
    metrics = f"http://127.0.0.1:{port}"
    try:
        await pair_ready(source)
        await source.request(
            "POST", f"{API}/namespaces/{ADMIN_NS}/migrationschedules", body=schedule("big", "big-0")
        )
        # Staggered over a minute: the load a steady state spreads over each interval.
        began = time.monotonic()
        for i in range(n):
            await source.request(
                "POST",
                f"{API}/namespaces/{ADMIN_NS}/migrationschedules",
                body=schedule(f"s{i}", f"small-{i}"),
            )
            await asyncio.sleep(max(0.0, began + 60.0 * (i + 1) / n - time.monotonic()))
        cpu0, wall0 = cpu_seconds(controller.pid), time.monotonic()
        text0 = scrape(metrics)
        sent0 = requests_by_cluster(text0)
        # The triggers of the minute the schedules were created in (each one's first run)
        # are told apart from those of the window after it (every later run).
        buckets0, count0 = trigger_delays(text0)
        print(f"[schedules] running for {args.minutes} minutes", flush=True)
        deepest = await sample_depths(metrics, args.minutes * 60)
        cpu = cpu_seconds(controller.pid) - cpu0
        wall = time.monotonic() - wall0
        text = scrape(metrics)
        sent = requests_by_cluster(text)
        buckets, count = trigger_delays(text)
        after = [(le, c - dict(buckets0).get(le, 0.0)) for le, c in buckets]
        rss_now = rss_mb(controller.pid, "VmRSS")
        runs = await scheduled_runs(source)
        ran = {n for n, _, f in runs if f is not None}
        result = {
            "schedules": n,
            "objects_per_namespace": args.objects_per_namespace,
            "big_objects": args.big_objects,
            "minutes": args.minutes,
            "concurrent_migrations": args.concurrent_migrations,
            "triggers": count,
            "trigger_delay_p50_s": round(quantile(0.5, buckets), 3),
            "trigger_delay_p99_s": round(quantile(0.99, buckets), 3),
            "trigger_delay_max_at_most_s": at_most(buckets),
            "trigger_delay_buckets": buckets,
            "creation_minute": {
                "triggers": count0,
                "p50_s": round(quantile(0.5, buckets0), 3) if buckets0 else None,
                "p99_s": round(quantile(0.99, buckets0), 3) if buckets0 else None,
            },
            "window": {
                "triggers": count - count0,
                "p50_s": round(quantile(0.5, after), 3),
                "p99_s": round(quantile(0.99, after), 3),
                "max_at_most_s": at_most(after),
            },
            "schedules_that_ran": sum(1 for i in range(n) if f"s{i}" in ran),
            "finished_migrations": sum(1 for _, _, f in runs if f is not None),
            **overlap(runs, "big", dt.datetime.now(dt.UTC)),
            "controller_cpu_cores": round(cpu / wall, 2),
            "requests_per_s": {
                side: round((n - sent0.get(side, 0.0)) / wall, 1) for side, n in sent.items()
            },
            "controller_rss_mb": round(rss_now, 1),
            "controller_peak_rss_mb": round(peak_rss_mb(controller.pid), 1),
            # Where a late trigger waited: the work queues' depth, reconciles and their time.
            "deepest_queues": deepest,
            "reconciles": reconciles(text),
        }
    finally:
        controller.terminate()
        controller.wait(timeout=60)
        log.close()
        await source.http.aclose()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--objects-per-namespace", type=int, default=3)
    parser.add_argument("--big-objects", type=int, default=10000)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--concurrent-migrations", type=int, default=4)
    parser.add_argument("--dir", type=Path, default=Path(".sandbox-bench-schedules"))
    args = parser.parse_args()
    if args.schedules < 1 or args.objects_per_namespace < 1 or args.big_objects < 1:
        parser.error("--schedules, --objects-per-namespace and --big-objects must be >= 1")
    binary = limit_binary()
    sb = Sandbox(args.dir, log=lambda line: print(f"[schedules] {line}", flush=True))
    sb.down()
    print(f"[schedules] sandbox ready in {sb.up().seconds:.1f}s", flush=True)
    try:
        for name in ("source", "destination"):
            with make_client(sb.kubeconfig(name)) as client:
                apply_crds(client, [crd_manifest(i) for i in CRDS])
        result = asyncio.run(measure(sb, binary, args))
        result["cores"] = os.cpu_count() or 1
        out = Path(__file__).parent / "results"
        out.mkdir(exist_ok=True)
        (out / "schedules.json").write_text(json.dumps(result, indent=2) + "\n")
        print(
            json.dumps({k: v for k, v in result.items() if k != "trigger_delay_buckets"}, indent=2)
        )
    finally:
        sb.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
