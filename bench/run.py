"""`make bench`: migration throughput and incremental re-sync, against the API server's own limit.

On the sandbox: generate N objects (ConfigMaps, Secrets, Services, Deployments, ServiceAccounts)
over M namespaces on the source, then measure with the real controller (`stork run`):
  full     the first Migration of all of them,
  noop     a second Migration with nothing changed,
  change   a Migration after 1% of the objects changed,
and, in the same run and first, the baseline: a minimal client with the same HTTP library creating
the same objects on the destination as fast as it can (its concurrency tuned on a sample, its
objects deleted again before the migration runs), and the time to LIST everything from both
clusters.
Writes are counted from the destination API server's apiserver_request_total.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import copy
import json
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

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


def make_object(kind: str, namespace: str, i: int) -> dict[str, Any]:
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
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }


def plan_objects(
    prefix: str, objects: int, namespaces: int
) -> tuple[list[str], list[tuple[ResourceType, dict[str, Any]]]]:
    names = [f"{prefix}-{i}" for i in range(namespaces)]
    out = []
    for i in range(objects):
        t = KINDS[i % len(KINDS)]
        out.append((t, make_object(t.kind, names[i % namespaces], i)))
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
            await rest.request("POST", path, body=obj)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start


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


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


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
        await asyncio.sleep(0.2)


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


async def baseline(
    rest: Rest, objects: int, namespaces: int, tag: str
) -> tuple[float, int, dict[int, float]]:
    """The minimal client on the destination, before the migration: the physical limit.

    Its concurrency is tuned first (objects/s for 16, 64 and 128 requests in flight on a sample),
    then all ``objects`` are created with the best one; everything it created is deleted again
    so that the migration finds the destination exactly as the baseline did.
    """
    sample = min(objects, 1000)
    sweep: dict[int, float] = {}
    created: list[str] = []
    for concurrency in (16, 64, 128):
        ns, objs = plan_objects(f"sweep-{tag}-{concurrency}", sample, max(1, namespaces // 10))
        sweep[concurrency] = round(sample / await create_all(rest, ns, objs, concurrency), 1)
        created += ns
    best = max(sweep, key=lambda c: sweep[c])
    ns, objs = plan_objects(f"base-{tag}", objects, namespaces)
    seconds = await create_all(rest, ns, objs, best)
    print(f"[bench] baseline: {objects / seconds:.0f} obj/s at concurrency {best}", flush=True)
    await delete_namespaces(rest, created + ns)
    return seconds, best, sweep


async def measure(sb: Sandbox, objects: int, namespaces: int, tag: str) -> dict[str, Any]:
    src_cfg = load_config(sb.kubeconfig("source"))
    dst_cfg = load_config(sb.kubeconfig("destination"))
    # The measuring clients are not throttled: the baseline is what the API servers can take.
    source = cluster_client(src_cfg, qps=100000, burst=100000).rest
    destination = cluster_client(dst_cfg, qps=100000, burst=100000).rest
    print(
        f"[bench] N={objects}: baseline first, on the destination as the migration will find it",
        flush=True,
    )
    await quiesce([src_cfg, dst_cfg])
    base, base_concurrency, sweep = await baseline(destination, objects, namespaces, tag)
    ns_names, objs = plan_objects(f"bench-{tag}", objects, namespaces)
    print(
        f"[bench] N={objects}: creating the objects on the source over {namespaces} namespaces",
        flush=True,
    )
    await create_all(source, ns_names, objs, 64)
    await settle_source(source, ns_names, sum(1 for t, _ in objs if t.kind == "Deployment"))

    pair = copy.deepcopy(seed_objects(sb.credentials("destination"))[1])
    pair["metadata"] = {"name": "bench", "namespace": ADMIN_NS}
    pair.pop("status")
    await source.apply(PAIR, pair)
    log = (sb.dir / f"bench-controller-{tag}.log").open("wb")
    controller = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stork.cli.stork_main",
            "run",
            "--kubeconfig",
            str(sb.kubeconfig("source")),
            "--pair-check-interval",
            "5",
            "--metrics-bind-address",
            "127.0.0.1:0",
            "--health-probe-bind-address",
            "127.0.0.1:0",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        while True:
            p = (
                await source.request(
                    "GET",
                    f"/apis/stork.libopenstorage.org/v1alpha1/namespaces/{ADMIN_NS}/clusterpairs/bench",
                )
            ).json()
            if (p.get("status") or {}).get("schedulerStatus") == "Ready":
                break
            await asyncio.sleep(0.2)
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
            "baseline": {
                "seconds": round(base, 2),
                "objects_per_s": round(objects / base, 1),
                "concurrency": base_concurrency,
                "sweep_objects_per_s": sweep,
            },
        }
    )
    result["ratio"] = round(
        result["full"]["objects_per_s"] / result["baseline"]["objects_per_s"], 2
    )
    for rest in (source, destination):
        await rest.http.aclose()
    return result


def table(results: list[dict[str, Any]]) -> str:
    rows = [
        "| objects | namespaces | full s | full obj/s | baseline obj/s | ratio | full writes | no-op s | no-op writes | LIST floor s | LIST generated s | 1% change writes | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rows.append(
            f"| {r['objects']} | {r['namespaces']} | {r['full']['seconds']} | {r['full']['objects_per_s']} | "
            f"{r['baseline']['objects_per_s']} | {r['ratio']} | {r['full']['writes']} | {r['noop']['seconds']} | "
            f"{r['noop']['writes']} | {r['list']['seconds']} | {r['list_generated']['seconds']} | {r['change1pct']['writes']} (of {r['change1pct']['objects']}) | {r['peak_rss_mb']} |"
        )
    return "\n".join(rows)


def plot(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r["objects"] for r in results]
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    ax[0].plot(
        n, [r["full"]["objects_per_s"] for r in results], "o-", label="stork-py full migration"
    )
    ax[0].plot(
        n,
        [r["baseline"]["objects_per_s"] for r in results],
        "s--",
        label="baseline (minimal client)",
    )
    ax[0].set(xlabel="objects", ylabel="objects / s", title="Throughput")
    ax[0].legend()
    ax[1].plot(n, [r["peak_rss_mb"] for r in results], "o-", color="C2")
    ax[1].set(xlabel="objects", ylabel="MB", title="Controller peak RSS")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--objects", type=int, default=10000)
    parser.add_argument("--namespaces", type=int, default=100)
    parser.add_argument(
        "--sizes",
        default="1000,3000",
        help="extra sizes for the plot (comma-separated; '' for none)",
    )
    parser.add_argument("--dir", type=Path, default=Path(".sandbox-bench"))
    args = parser.parse_args()
    if args.objects < 1 or args.namespaces < 1 or args.namespaces > args.objects:
        parser.error("need 1 <= --namespaces <= --objects")
    sb = Sandbox(args.dir, log=lambda line: print(f"[bench] {line}", flush=True))
    sb.down()  # a fresh sandbox: counts and timings must not depend on earlier runs
    print(f"[bench] sandbox ready in {sb.up().seconds:.1f}s", flush=True)
    try:
        for name in ("source", "destination"):
            with make_client(sb.kubeconfig(name)) as client:
                apply_crds(client, [crd_manifest(i) for i in CRDS])
        sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()} | {args.objects})
        results = []
        for i, n in enumerate(sizes):
            ns = max(1, min(args.namespaces, n * args.namespaces // args.objects))
            results.append(asyncio.run(measure(sb, n, ns, f"r{i}")))
        out = Path(__file__).parent / "results"
        out.mkdir(exist_ok=True)
        main_result = next(r for r in results if r["objects"] == args.objects)
        (out / "latest.json").write_text(
            json.dumps({**main_result, "runs": results}, indent=2) + "\n"
        )
        print("\n" + table(results))
        if len(results) > 1:
            plot(results, out / "scaling.png")
            print(f"\nplot: {out / 'scaling.png'}")
    finally:
        sb.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
