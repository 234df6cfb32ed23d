"""`make bench`: migration throughput and incremental re-sync, against the API server's own limit.

On the sandbox, for each size N of --sizes: generate N objects (ConfigMaps, Secrets, Services,
Deployments, ServiceAccounts) over N / --per-namespace namespaces on the source, then measure
with the real controller (`stork run`):
  full     the first Migration of all of them,
  noop     a second Migration with nothing changed,
  change   a Migration after 1% of the objects changed,
and, in the same run and first, on the destination as the migration will find it:
  limit    the API server's real ceiling: client-go creating the same objects with protobuf and
           no client-side rate limit (bench/limit, built from Go modules and cached by
           hack/build-bench-limit.sh), its concurrency the best of 16-256 in flight on a sample,
  python   a minimal Python client (the engine's HTTP library) creating the same objects,
its objects deleted again before the migration runs, and the time to LIST everything from both
clusters (the floor of a no-op re-sync). Writes are counted from the destination API server's
apiserver_request_total.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import copy
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import httpx2
from lightkube.config.kubeconfig import SingleConfig

from stork.api.crd import CRDS, crd_manifest
from stork.kube.config import load_config, make_client
from stork.kube.crds import apply_crds
from stork.kube.discovery import ResourceType, custom_resource_groups, discover
from stork.kube.rest import Rest, RestError
from stork.kube.stack import cluster_client
from stork.migration.collect import list_types
from stork.migration.resources import Selection, collected_types
from stork.sandbox import Sandbox
from stork.sandbox.seeds import seed_objects

KINDS = [
    ResourceType("", "v1", "ConfigMap", "configmaps", True),
    ResourceType("", "v1", "Secret", "secrets", True),
    ResourceType("", "v1", "Service", "services", True),
    ResourceType("apps", "v1", "Deployment", "deployments", True),
    ResourceType("", "v1", "ServiceAccount", "serviceaccounts", True),
]
NAMESPACE = ResourceType("", "v1", "Namespace", "namespaces", False)
PAIR = ResourceType("stork.libopenstorage.org", "v1alpha1", "ClusterPair", "clusterpairs", True)
MIGRATION = ResourceType("stork.libopenstorage.org", "v1alpha1", "Migration", "migrations", True)
WRITE_VERBS = {"POST", "PUT", "PATCH", "DELETE", "APPLY", "CREATE", "UPDATE"}
MIGRATED_RESOURCES = {
    "configmaps",
    "secrets",
    "services",
    "deployments",
    "serviceaccounts",
    "namespaces",
}
ADMIN_NS = "kube-system"


def make_object(kind: str, namespace: str, i: int, replicas: int = 1) -> dict[str, Any]:
    """The bench's object ``i`` of ``kind``; Deployments with ``replicas`` (0 for the
    baselines on the destination: a migration's copies are scaled to zero there)."""
    name = f"{kind.lower()}-{i}"
    meta = {"name": name, "namespace": namespace, "labels": {"bench": "yes", "index": str(i)}}
    if kind == "ConfigMap":
        return {
            "apiVersion": "v1",
            "kind": kind,
            "metadata": meta,
            "data": {"value": "x" * 64, "n": str(i)},
        }
    if kind == "Secret":
        return {
            "apiVersion": "v1",
            "kind": kind,
            "metadata": meta,
            "data": {"token": base64.b64encode(b"s" * 32).decode()},
        }
    if kind == "Service":
        return {
            "apiVersion": "v1",
            "kind": kind,
            "metadata": meta,
            "spec": {"selector": {"app": name}, "ports": [{"port": 80}]},
        }
    if kind == "ServiceAccount":
        return {"apiVersion": "v1", "kind": kind, "metadata": meta}
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": meta,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }


def plan_objects(
    prefix: str, objects: int, namespaces: int, replicas: int = 1
) -> tuple[list[str], list[tuple[ResourceType, dict[str, Any]]]]:
    names = [f"{prefix}-{i}" for i in range(namespaces)]
    out = []
    for i in range(objects):
        t = KINDS[i % len(KINDS)]
        out.append((t, make_object(t.kind, names[i % namespaces], i, replicas)))
    return names, out


async def create_all(
    rest: Rest,
    namespaces: list[str],
    objects: list[tuple[ResourceType, dict[str, Any]]],
    concurrency: int,
) -> float:
    """Create namespaces, then objects, with ``concurrency`` requests in flight; seconds taken."""
    start = time.perf_counter()
    for ns in namespaces:
        await rest.request(
            "POST",
            "/api/v1/namespaces",
            body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
        )
    queue: asyncio.Queue[tuple[ResourceType, dict[str, Any]]] = asyncio.Queue()
    for item in objects:
        queue.put_nowait(item)

    async def worker() -> None:
        while not queue.empty():
            t, obj = queue.get_nowait()
            path = (
                f"/api/v1/namespaces/{obj['metadata']['namespace']}/{t.plural}"
                if not t.group
                else f"/apis/{t.group}/{t.version}/namespaces/{obj['metadata']['namespace']}/{t.plural}"
            )
            await create_retrying(rest, path, obj)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start


async def create_retrying(rest: Rest, path: str, obj: dict[str, Any]) -> None:
    """POST ``obj``, again after what a loaded server answers (timeouts, 5xx), as the
    client-go limit does; created by a timed-out attempt after all counts as created."""
    for attempt in range(6):
        try:
            await rest.request("POST", path, body=obj)
            return
        except RestError as e:
            if attempt and e.status == 409:
                return
            if e.status < 500 or attempt == 5:
                raise
        except httpx2.TimeoutException:
            if attempt == 5:
                raise
        await asyncio.sleep(0.2 * (attempt + 1))


def measuring_client(config: SingleConfig) -> Rest:
    """A REST client of one cluster without a client-side rate limit."""
    return cluster_client(config, qps=100000, burst=100000, timeout=120).rest


def writes(config: SingleConfig) -> Counter[str]:
    """Write requests per "verb resource" to the types a migration touches, from /metrics."""
    from stork.kube.http import http_client

    with http_client(config) as http:
        text = http.get("/metrics").text
    total: Counter[str] = Counter()
    for line in text.splitlines():
        if not line.startswith("apiserver_request_total{"):
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', line))
        if (
            labels.get("verb") in WRITE_VERBS
            and labels.get("resource") in MIGRATED_RESOURCES
            and not labels.get("subresource")
        ):
            total[f"{labels['verb']} {labels['resource']}"] += int(float(line.rsplit(" ", 1)[1]))
    return total


def all_writes(config: SingleConfig) -> int:
    """Write requests the API server has served (any client; leases and events aside)."""
    from stork.kube.http import http_client

    with http_client(config) as http:
        text = http.get("/metrics").text
    total = 0
    for line in text.splitlines():
        if line.startswith("apiserver_request_total{"):
            labels = dict(re.findall(r'(\w+)="([^"]*)"', line))
            # Lease renewals (leader election, node heartbeats) and events never stop.
            if labels.get("verb") in WRITE_VERBS and labels.get("resource") not in (
                "leases",
                "events",
            ):
                total += int(float(line.rsplit(" ", 1)[1]))
    return total


async def quiesce(configs: list[SingleConfig], quiet: float = 2.0, timeout: float = 180) -> None:
    """Wait until no API server writes for ``quiet`` seconds: the controller-managers have
    finished reacting to what was just created (ReplicaSets, endpoints, tokens...), so that the
    next measurement does not compete with them for the CPU."""
    deadline = time.monotonic() + timeout
    before = [all_writes(c) for c in configs]
    while time.monotonic() < deadline:
        await asyncio.sleep(quiet)
        now = [all_writes(c) for c in configs]
        if now == before:
            return
        before = now
    print("[bench] warning: the clusters did not quiesce; timings may be noisy", flush=True)


def delta(after: Counter[str], before: Counter[str]) -> dict[str, int]:
    """Writes between two snapshots, per verb and resource."""
    return {k: after[k] - before[k] for k in sorted(after) if after[k] != before[k]}


def rss_mb(pid: int, field: str) -> float:
    """A memory figure of /proc/<pid>/status (VmRSS: now, VmHWM: peak), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb(pid: int) -> float:
    """The peak resident memory of a process so far, in MB."""
    return rss_mb(pid, "VmHWM")


async def run_migration(source: Rest, name: str, namespaces: list[str]) -> float:
    body = {
        "apiVersion": "stork.libopenstorage.org/v1alpha1",
        "kind": "Migration",
        "metadata": {"name": name, "namespace": ADMIN_NS},
        "spec": {"clusterPair": "bench", "namespaces": namespaces, "includeVolumes": False},
    }
    start = time.perf_counter()
    await source.request(
        "POST",
        f"/apis/stork.libopenstorage.org/v1alpha1/namespaces/{ADMIN_NS}/migrations",
        body=body,
    )
    while True:
        status = (
            await source.request(
                "GET",
                f"/apis/stork.libopenstorage.org/v1alpha1/namespaces/{ADMIN_NS}/migrations/{name}",
            )
        ).json().get("status") or {}
        if status.get("stage") == "Final":
            elapsed = time.perf_counter() - start
            if status.get("status") != "Successful":
                failed = [
                    r for r in status.get("resources") or [] if r.get("status") != "Successful"
                ][:3]
                raise SystemExit(
                    f"migration {name} ended {status.get('status')}: {failed or status.get('conditions')}"
                )
            return elapsed
        await asyncio.sleep(0.2)


async def settle_source(rest: Rest, namespaces: list[str], deployments: int) -> None:
    """Wait until the source's controller-manager has stamped every new Deployment."""
    deployments_type = KINDS[3]
    while True:
        stamped = [
            d
            async for d in rest.list(deployments_type, None, "bench=yes")
            if d["metadata"]["namespace"] in namespaces
            and "deployment.kubernetes.io/revision" in (d["metadata"].get("annotations") or {})
        ]
        if len(stamped) >= deployments:
            return
        await asyncio.sleep(1.0)


async def settle(rest: Rest, namespaces: list[str]) -> None:
    """Wait until the controller-manager has filled every new namespace (its own writes)."""
    for ns in namespaces:
        for path in (
            f"/api/v1/namespaces/{ns}/serviceaccounts/default",
            f"/api/v1/namespaces/{ns}/configmaps/kube-root-ca.crt",
        ):
            while True:
                try:
                    await rest.request("GET", path)
                    break
                except RestError:
                    await asyncio.sleep(0.1)


async def list_floor(rest: Rest, namespaces: list[str]) -> float:
    """Seconds to LIST every kind a migration must read in ``namespaces`` (concurrently, as the
    engine does): what a no-op re-sync cannot avoid reading on each side."""
    all_types = await discover(rest.http)
    types = collected_types(
        all_types, await custom_resource_groups(rest.http), Selection.from_spec(None, None, False)
    )
    start = time.perf_counter()
    await list_types(rest, types, namespaces)
    return time.perf_counter() - start


async def list_all(rest: Rest, namespaces: list[str]) -> tuple[float, int]:
    wanted = set(namespaces)
    start = time.perf_counter()
    count = 0
    for t in KINDS:
        async for o in rest.list(t, None, "bench=yes"):
            count += o["metadata"]["namespace"] in wanted
    return time.perf_counter() - start, count


async def delete_namespaces(rest: Rest, names: list[str], timeout: float = 900) -> None:
    """Delete namespaces and wait until they are gone (the namespace controller empties them)."""
    for ns in names:
        await rest.delete(NAMESPACE, None, ns)
    deadline = time.monotonic() + timeout
    for ns in names:
        if not await rest.wait_gone(NAMESPACE, None, ns, max(1.0, deadline - time.monotonic())):
            raise RuntimeError(f"namespace {ns} still there after {timeout:.0f}s")


def sample_size(objects: int, namespaces: int) -> tuple[int, int]:
    """Objects and namespaces of a concurrency sweep's sample (1,000 objects at most, as
    many per namespace as the full run has), the same for both clients."""
    sample = min(objects, 1000)
    return sample, max(1, namespaces * sample // objects)


async def python_baseline(
    rest: Rest, objects: int, namespaces: int, tag: str, sweep: dict[int, float]
) -> tuple[float, int, dict[int, float]]:
    """The minimal Python client on the destination, before the migration.

    Its concurrency is tuned first, once per bench run (objects/s for 16, 64 and 128 requests
    in flight on a sample; ``sweep`` keeps the result for the next sizes), then all
    ``objects`` are created with the best one; everything it created is deleted again so that
    the migration finds the destination exactly as the baseline did.
    """
    sample, sample_ns = sample_size(objects, namespaces)
    created: list[str] = []
    for concurrency in () if sweep else (16, 64, 128):
        ns, objs = plan_objects(f"sweep-{tag}-{concurrency}", sample, sample_ns, replicas=0)
        sweep[concurrency] = round(sample / await create_all(rest, ns, objs, concurrency), 1)
        created += ns
    best = max(sweep, key=lambda c: sweep[c])
    ns, objs = plan_objects(f"base-{tag}", objects, namespaces, replicas=0)
    seconds = await create_all(rest, ns, objs, best)
    print(f"[bench] python client: {objects / seconds:.0f} obj/s at {best} in flight", flush=True)
    await delete_namespaces(rest, created + ns)
    return seconds, best, sweep


# Requests in flight, each over one HTTP/2 connection and over one connection per request
# (at most 64), as the Python client's HTTP/1.1 pool has one per request.
LIMIT_SWEEP = [(c, k) for c in (16, 32, 64, 128, 256) for k in sorted({1, min(c, 64)})]
ROOT = Path(__file__).resolve().parent.parent


def limit_binary() -> Path:
    """The client-go creator, built from Go modules (cached: seconds once built)."""
    out = subprocess.run(
        ["bash", str(ROOT / "hack" / "build-bench-limit.sh")],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return Path(out.stdout.strip().splitlines()[-1])


def go_create(
    binary: Path,
    kubeconfig: Path,
    prefix: str,
    objects: int,
    namespaces: int,
    concurrency: int,
    connections: int = 1,
    replicas: int = 1,
) -> float:
    """Seconds the client-go creator takes for these objects (namespaces ``prefix-<i>``),
    ``concurrency`` requests in flight over ``connections`` HTTP/2 connections, Deployments
    of ``replicas``."""
    out = subprocess.run(
        [
            str(binary),
            "-kubeconfig",
            str(kubeconfig),
            "-prefix",
            prefix,
            "-objects",
            str(objects),
            "-namespaces",
            str(namespaces),
            "-concurrency",
            str(concurrency),
            "-connections",
            str(connections),
            "-replicas",
            str(replicas),
        ],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1])["seconds"])


async def go_limit(
    rest: Rest,
    binary: Path,
    kubeconfig: Path,
    objects: int,
    namespaces: int,
    tag: str,
    sweep: dict[str, float],
) -> dict[str, Any]:
    """The API server's ceiling on the destination, before the migration: client-go with
    protobuf, the best of LIMIT_SWEEP (requests in flight, connections) on a sample (once per
    bench run: ``sweep``, keyed "<in flight>x<connections>", keeps it for the next sizes),
    then every object; all of it deleted again afterwards."""
    sample, ns = sample_size(objects, namespaces)
    created: list[str] = []
    for concurrency, connections in () if sweep else LIMIT_SWEEP:
        prefix = f"lsweep-{tag}-{concurrency}-{connections}"
        key = f"{concurrency}x{connections}"
        try:
            seconds = await asyncio.to_thread(
                go_create,
                binary,
                kubeconfig,
                prefix,
                sample,
                ns,
                concurrency,
                connections,
                replicas=0,
            )
            sweep[key] = round(sample / seconds, 1)
        except subprocess.CalledProcessError:
            # The server gave up on requests (its 60 s timeout) even after retries: this
            # many in flight is past what it can take now.
            sweep[key] = 0.0
        created += [f"{prefix}-{i}" for i in range(ns)]
    best_key = max(sweep, key=lambda c: sweep[c])
    best, connections = (int(x) for x in best_key.split("x"))
    prefix = f"limit-{tag}"
    seconds = await asyncio.to_thread(
        go_create, binary, kubeconfig, prefix, objects, namespaces, best, connections, replicas=0
    )
    print(
        f"[bench] limit (client-go): {objects / seconds:.0f} obj/s at {best} in flight"
        f" over {connections} connection{'s' if connections > 1 else ''}",
        flush=True,
    )
    await delete_namespaces(rest, created + [f"{prefix}-{i}" for i in range(namespaces)])
    return {
        "seconds": round(seconds, 2),
        "objects_per_s": round(objects / seconds, 1),
        "concurrency": best,
        "connections": connections,
        "sweep_objects_per_s": sweep,
    }


async def add_pair(source: Rest, sb: Sandbox) -> None:
    """The ClusterPair ``bench`` in the admin namespace, to the sandbox's destination."""
    pair = copy.deepcopy(seed_objects(sb.credentials("destination"))[1])
    pair["metadata"] = {"name": "bench", "namespace": ADMIN_NS}
    pair.pop("status")
    await source.apply(PAIR, pair)


async def pair_ready(source: Rest) -> None:
    """Wait until the controller has found the ClusterPair ``bench`` Ready."""
    path = f"/apis/stork.libopenstorage.org/v1alpha1/namespaces/{ADMIN_NS}/clusterpairs/bench"
    while True:
        pair = (await source.request("GET", path)).json()
        if (pair.get("status") or {}).get("schedulerStatus") == "Ready":
            return
        await asyncio.sleep(0.2)


def start_controller(sb: Sandbox, log: BinaryIO, *flags: str) -> subprocess.Popen[bytes]:
    """`stork run` against the sandbox's source (flags given later win), logging to ``log``."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stork.cli.stork_main",
            "run",
            "--kubeconfig",
            str(sb.kubeconfig("source")),
            "--health-probe-bind-address",
            "127.0.0.1:0",
            *flags,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Sweeps:
    """The concurrency sweeps' objects/s, made at the first size and kept for the others."""

    limit: dict[str, float] = field(default_factory=dict)
    python: dict[int, float] = field(default_factory=dict)


async def measure(
    sb: Sandbox,
    binary: Path,
    objects: int,
    namespaces: int,
    tag: str,
    python: bool,
    sweeps: Sweeps,
    with_limit: bool = True,
) -> dict[str, Any]:
    src_cfg = load_config(sb.kubeconfig("source"))
    dst_cfg = load_config(sb.kubeconfig("destination"))
    # The measuring clients are not throttled (the baselines are what the API servers can
    # take), and wait long: a loaded machine answers slowly at 128 requests in flight.
    source = measuring_client(src_cfg)
    destination = measuring_client(dst_cfg)
    print(
        f"[bench] N={objects}: baselines first, on the destination as the migration will find it",
        flush=True,
    )
    limit: dict[str, Any] | None = None
    if with_limit:
        await quiesce([src_cfg, dst_cfg])
        limit = await go_limit(
            destination,
            binary,
            sb.kubeconfig("destination"),
            objects,
            namespaces,
            tag,
            sweeps.limit,
        )
    py: dict[str, Any] | None = None
    if python:
        await quiesce([src_cfg, dst_cfg])
        base, base_concurrency, sweep = await python_baseline(
            destination, objects, namespaces, tag, sweeps.python
        )
        py = {
            "seconds": round(base, 2),
            "objects_per_s": round(objects / base, 1),
            "concurrency": base_concurrency,
            "sweep_objects_per_s": sweep,
        }
    ns_names, objs = plan_objects(f"bench-{tag}", objects, namespaces)
    print(
        f"[bench] N={objects}: creating the objects on the source over {namespaces} namespaces",
        flush=True,
    )
    # The same objects as plan_objects names them, created by the client-go tool (less CPU).
    await asyncio.to_thread(
        go_create, binary, sb.kubeconfig("source"), f"bench-{tag}", objects, namespaces, 64
    )
    await settle_source(source, ns_names, sum(1 for t, _ in objs if t.kind == "Deployment"))

    await add_pair(source, sb)
    log = (sb.dir / f"bench-controller-{tag}.log").open("wb")
    controller = start_controller(
        sb,
        log,
        "--pair-check-interval",
        "5",
        "--metrics-bind-address",
        "127.0.0.1:0",
    )
    try:
        await pair_ready(source)
        result: dict[str, Any] = {"objects": objects, "namespaces": namespaces}
        w0 = writes(dst_cfg)
        await quiesce([src_cfg, dst_cfg])
        print("[bench] (a) first full migration", flush=True)
        full = await run_migration(source, f"full-{tag}", ns_names)
        await settle(destination, ns_names)
        await quiesce([src_cfg, dst_cfg])
        w1 = writes(dst_cfg)
        print("[bench] (b) second migration, nothing changed", flush=True)
        noop = await run_migration(source, f"noop-{tag}", ns_names)
        w2 = writes(dst_cfg)
        changed = [o for t, o in objs if t.kind == "ConfigMap"][: max(1, objects // 100)]
        for obj in changed:
            obj = copy.deepcopy(obj)
            obj["data"]["n"] = "changed"
            await source.request(
                "PUT",
                f"/api/v1/namespaces/{obj['metadata']['namespace']}/configmaps/{obj['metadata']['name']}",
                body=obj,
            )
        print(f"[bench] (c) migration after changing {len(changed)} objects", flush=True)
        await run_migration(source, f"change-{tag}", ns_names)
        w3 = writes(dst_cfg)
        result["peak_rss_mb"] = round(peak_rss_mb(controller.pid), 1)
        result["controller_cpu_s"] = round(cpu_seconds(controller.pid), 1)
    finally:
        controller.terminate()
        controller.wait(timeout=30)
        log.close()
    list_src, n_src = await list_all(source, ns_names)
    list_dst, n_dst = await list_all(destination, ns_names)
    assert n_src == n_dst == objects, (n_src, n_dst, objects)
    floor = await list_floor(source, ns_names) + await list_floor(destination, ns_names)
    result.update(
        {
            "full": {
                "seconds": round(full, 2),
                "objects_per_s": round(objects / full, 1),
                "writes": sum(delta(w1, w0).values()),
                "writes_by_resource": delta(w1, w0),
            },
            "noop": {
                "seconds": round(noop, 2),
                "writes": sum(delta(w2, w1).values()),
                "writes_by_resource": delta(w2, w1),
            },
            "change1pct": {
                "objects": len(changed),
                "writes": sum(delta(w3, w2).values()),
                "writes_by_resource": delta(w3, w2),
            },
            # The floor of a no-op: every kind a migration reads, from both clusters; and only
            # the generated objects (5 kinds, by label), from both clusters.
            "list": {"seconds": round(floor, 2)},
            "list_generated": {"seconds": round(list_src + list_dst, 2)},
            "limit": limit,
            "python": py,
        }
    )
    if limit is not None:
        result["ratio"] = round(result["full"]["objects_per_s"] / limit["objects_per_s"], 2)
    if py is not None:
        result["ratio_python"] = round(result["full"]["objects_per_s"] / py["objects_per_s"], 2)
    result["noop"]["floor_ratio"] = round(noop / floor, 2)
    for rest in (source, destination):
        await rest.http.aclose()
    return result


def table(results: list[dict[str, Any]], cores: int) -> str:
    """The README's table (one row per size)."""
    rows = [
        f"| objects ({cores} cores) | full migration | limit (client-go, in flight over connections)"
        " | ratio | Python client"
        " | no-op re-sync | LIST floor | no-op / floor | 1% change | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        py = r.get("python")
        python = f"{py['objects_per_s']:.0f} obj/s ({r['ratio_python']})" if py else "-"
        lim = r.get("limit")
        limit = (
            f"{lim['objects_per_s']:.0f} obj/s at {lim['concurrency']}"
            f" over {lim.get('connections', 1)} | {r['ratio']:.2f}"
            if lim
            else "- | -"
        )
        rows.append(
            f"| {r['objects']:,} in {r['namespaces']:,} ns"
            f" | {r['full']['seconds']:.1f} s, {r['full']['objects_per_s']:.0f} obj/s"
            f" | {limit} | {python}"
            f" | {r['noop']['seconds']:.2f} s, {r['noop']['writes']} writes"
            f" | {r['list']['seconds']:.2f} s | {r['noop']['floor_ratio']:.2f}"
            f" | {r['change1pct']['writes']} writes (of {r['change1pct']['objects']})"
            f" | {r['peak_rss_mb']:.0f} MB |"
        )
    return "\n".join(rows)


def plot(results: list[dict[str, Any]], path: Path, cores: int) -> None:
    """Time, ratio to the limit and peak RSS against size, on log axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r["objects"] for r in results]
    fig, ax = plt.subplots(1, 3, figsize=(15, 4.2))
    ax[0].loglog(n, [r["full"]["seconds"] for r in results], "o-", label="full migration")
    limited = [r for r in results if r.get("limit")]
    ax[0].loglog(
        [r["objects"] for r in limited],
        [r["limit"]["seconds"] for r in limited],
        "s--",
        label="limit (client-go)",
    )
    ax[0].loglog(n, [r["noop"]["seconds"] for r in results], "o-", label="no-op re-sync")
    ax[0].loglog(n, [r["list"]["seconds"] for r in results], "s--", label="LIST floor")
    ax[0].set(xlabel="objects", ylabel="seconds", title="Time")
    ax[0].legend()
    ax[1].semilogx(
        [r["objects"] for r in limited],
        [r["ratio"] for r in limited],
        "o-",
        label="full / limit (throughput)",
    )
    ax[1].semilogx(n, [r["noop"]["floor_ratio"] for r in results], "o-", label="no-op / LIST floor")
    ax[1].axhline(0.9, color="C0", linestyle=":", linewidth=1)
    ax[1].axhline(1.5, color="C1", linestyle=":", linewidth=1)
    ax[1].set(xlabel="objects", ylabel="ratio", title="Against the floors (targets dotted)")
    ax[1].legend()
    ax[2].loglog(n, [r["peak_rss_mb"] for r in results], "o-", color="C2")
    ax[2].axhline(300, color="C2", linestyle=":", linewidth=1)
    ax[2].set(xlabel="objects", ylabel="MB", title="Controller peak RSS (target dotted)")
    fig.suptitle(f"stork-py migration on the sandbox ({cores} cores)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def earlier_runs(path: Path, sizes: list[int]) -> list[dict[str, Any]]:
    """The runs of other sizes in an earlier results file (none when there is none)."""
    try:
        runs = json.loads(path.read_text()).get("runs") or []
    except (OSError, ValueError):
        return []
    return [r for r in runs if r.get("objects") not in sizes]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="1000,10000,100000", help="objects per run (comma-separated)"
    )
    parser.add_argument("--per-namespace", type=int, default=100, help="objects per namespace")
    parser.add_argument(
        "--python-up-to",
        type=int,
        default=100000,
        help="measure the Python client at sizes up to this one (it takes long)",
    )
    parser.add_argument(
        "--limit-up-to",
        type=int,
        default=100000,
        help="measure the client-go limit at sizes up to this one (100,000 objects: 30 min)",
    )
    parser.add_argument("--dir", type=Path, default=Path(".sandbox-bench"))
    parser.add_argument(
        "--add",
        action="store_true",
        help="keep the other sizes' runs already in bench/results/latest.json (a size run"
        " on its own, e.g. the 100,000 one, joins the table and the plot)",
    )
    args = parser.parse_args()
    try:
        sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error("--sizes takes numbers, e.g. 1000,10000")
    if not sizes or sizes[0] < 1 or args.per_namespace < 1:
        parser.error("need sizes >= 1 and --per-namespace >= 1")
    cores = os.cpu_count() or 1
    binary = limit_binary()
    sb = Sandbox(args.dir, log=lambda line: print(f"[bench] {line}", flush=True))
    sb.down()  # a fresh sandbox: counts and timings must not depend on earlier runs
    print(f"[bench] sandbox ready in {sb.up().seconds:.1f}s", flush=True)
    try:
        for name in ("source", "destination"):
            with make_client(sb.kubeconfig(name)) as client:
                apply_crds(client, [crd_manifest(i) for i in CRDS])
        sweeps = Sweeps()
        out = Path(__file__).parent / "results"
        out.mkdir(exist_ok=True)
        earlier = earlier_runs(out / "latest.json", sizes) if args.add else []
        results: list[dict[str, Any]] = []
        for i, n in enumerate(sizes):
            ns = max(1, n // args.per_namespace)
            python = n <= args.python_up_to
            limit = n <= args.limit_up_to
            results.append(asyncio.run(measure(sb, binary, n, ns, f"r{i}", python, sweeps, limit)))
            runs = sorted(earlier + results, key=lambda r: int(r["objects"]))
            # Written after every size: a long run stopped half way keeps what it measured.
            main_result = next((r for r in runs if r["objects"] == 10000), runs[-1])
            (out / "latest.json").write_text(
                json.dumps({**main_result, "cores": cores, "runs": runs}, indent=2) + "\n"
            )
            print("\n" + table(runs, cores), flush=True)
        plot(runs, out / "scaling.png", cores)
        print(f"\nplot: {out / 'scaling.png'}")
    finally:
        sb.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
