"""`make demo`: the documentation's Metro-DR flow on two local clusters.

Starts the sandbox (with a real node per cluster unless --no-nodes, or when this machine cannot
have them: then it says so), installs the CRDs on both clusters, deploys a sample application
on the source (Running there with nodes), applies the documentation's SchedulePolicy,
ClusterPair and MigrationSchedule, runs the controller until the first scheduled migration
succeeded, shows the application on the destination, scaled to zero, then fails over: the
source is stopped, `storkctl activate migrations` on the destination brings the application up
there (with nodes: its pods Running and Ready, READY 3/3, serving the migrated content), and the
source is started again. The sandbox keeps running afterwards (`make demo-down` stops it).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml
from lightkube import ApiError, Client
from lightkube.resources.core_v1 import Namespace, PersistentVolume, Pod
from lightkube.types import PatchType

from stork.api.crd import CRDS, crd_manifest
from stork.kube.config import make_client
from stork.kube.crds import apply_crds
from stork.kube.resources import (
    ClusterPairResource,
    MigrationResource,
    MigrationScheduleResource,
    SchedulePolicyResource,
)
from stork.sandbox import MissingBinariesError, Sandbox, SandboxError
from stork.sandbox.images import BUSYBOX_IMAGE
from stork.sandbox.nodes import unavailable
from stork.sandbox.seeds import SEED_FILES, seed_objects


def step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def run(kubeconfig: Path, *args: str) -> None:
    """Run kubectl against the sandbox, echoing the command as a user would type it."""
    kubectl = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or "kubectl"
    print(f"$ kubectl {shlex.join(args)}", flush=True)
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    subprocess.run([kubectl, *args], env=env, check=True)


def storkctl(kubeconfig: Path, *args: str) -> None:
    """Run storkctl against the sandbox, echoing the command as a user would type it."""
    print(f"$ storkctl {' '.join(args)}", flush=True)
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    for attempt in range(3):
        done = subprocess.run(
            [sys.executable, "-m", "stork.cli.storkctl_main", *args],
            env=env, stderr=subprocess.PIPE, text=True, check=False,
        )  # fmt: skip
        # A loaded apiserver's watch cache may answer 429 for a moment; the commands the demo
        # runs are idempotent.
        if done.returncode == 0 or "TooManyRequests" not in done.stderr or attempt == 2:
            break
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        raise SystemExit(done.returncode)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=Path(".sandbox"))
    parser.add_argument(
        "--nodes",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="a real node per cluster, so that pods run (default; needs root and packages)",
    )
    args = parser.parse_args()
    sandbox = Sandbox(args.dir, log=lambda line: print(line, flush=True))
    nodes = args.nodes
    if nodes and (why := unavailable()):
        print(f"note: no nodes on this machine ({why}).\n"
              "      The demo runs without them: no pod will run (`make demo NODES=0` says so "
              "at once).", flush=True)  # fmt: skip
        nodes = False
    started = time.monotonic()

    what = "with a real node each (kubelet, containerd)" if nodes else "without nodes"
    step(f"Starting the sandbox: clusters 'source' and 'destination' {what}")
    try:
        result = sandbox.up(nodes=nodes)
    except (SandboxError, MissingBinariesError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{'reused' if result.reused else 'ready'} in {result.seconds:.1f}s")
    for s in sandbox.status() or []:
        print(f"  {s.name:<12} {s.url:<28} {s.node or '(no node)':<12} {s.health}")
    if not args.nodes and sandbox.has_nodes():
        print(f"note: without nodes asked (NODES=0), but the sandbox in {args.dir} has them")
    elif not args.nodes:
        print("note: without nodes (NODES=0): the clusters run no pods")
    nodes = sandbox.has_nodes()
    if result.reused:
        _reset(sandbox)

    step("Installing the CRDs on both clusters (server-side apply; idempotent)")
    for name in ("source", "destination"):
        with make_client(sandbox.kubeconfig(name)) as client:
            applied = apply_crds(client, [crd_manifest(info) for info in CRDS])
        print(f"  {name}: " + ", ".join(f"{a.name.split('.')[0]} {a.action}" for a in applied))

    source = sandbox.kubeconfig("source")
    destination = sandbox.kubeconfig("destination")
    files = args.dir / "demo"
    files.mkdir(parents=True, exist_ok=True)
    step("Pairing: generate the ClusterPair on the destination")
    pair = files / "clusterpair.yaml"
    print("$ storkctl generate clusterpair -n migrationnamespace remotecluster > clusterpair.yaml")
    generated = subprocess.run(
        [
            sys.executable,
            "-m",
            "stork.cli.storkctl_main",
            "generate",
            "clusterpair",
            "-n",
            "migrationnamespace",
            "remotecluster",
        ],
        env={**os.environ, "KUBECONFIG": str(destination)},
        capture_output=True,
        text=True,
        check=True,
    )
    pair.write_text(generated.stdout)
    pair.chmod(0o600)  # it holds the destination's credentials
    print("(credentials elided) " + " ".join(generated.stdout.split()[:12]) + " ...")

    step("Applying the pair and the documentation's policy and schedule on the source")
    for name, obj in zip(SEED_FILES, seed_objects(sandbox.credentials("destination")), strict=True):
        if obj["kind"] != "ClusterPair":
            (files / name).write_text(yaml.safe_dump(obj, sort_keys=False, width=1 << 20))
    namespaces = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
        for ns in ("migrationnamespace", "mysql")
    ]
    (files / "namespaces.yaml").write_text(yaml.safe_dump_all(namespaces, sort_keys=False))
    run(source, "apply", "-f", str(files / "namespaces.yaml"))
    run(source, "create", "-f", str(pair))
    for name in SEED_FILES:
        if name != "clusterpair.yaml":
            run(source, "apply", "-f", str(files / name))

    step("A sample application in migrationnamespace on the source")
    (files / "app.yaml").write_text(SAMPLE_APP)
    run(source, "apply", "-n", "migrationnamespace", "-f", str(files / "app.yaml"))
    if nodes:
        t = time.monotonic()
        run(source, "rollout", "status", "deployment/web", "-n", "migrationnamespace",
            "--timeout=180s")  # fmt: skip
        print(f"  (Ready on the source in {time.monotonic() - t:.1f}s)")
        run(source, "get", "pods", "-n", "migrationnamespace", "-o", "wide")

    step("Running the controller (stork run) until the first scheduled migration is done")
    log = args.dir / "demo-controller.log"
    controller = _start_controller(source, log)
    try:
        if not _wait_for_migration(source):
            print(f"error: no successful migration within 3 minutes; see {log}", file=sys.stderr)
            return 1
        run(source, "get", "clusterpair", "-n", "migrationnamespace")
        run(source, "get", "schedulepolicy", "testpolicy")
        storkctl(source, "get", "schedulepolicy", "testpolicy")
        storkctl(source, "get", "clusterpair", "-n", "migrationnamespace")
        storkctl(source, "get", "migrationschedule", "-n", "migrationnamespace")
        storkctl(source, "get", "migration", "-n", "migrationnamespace")
        run(source, "get", "migrationschedule", "-n", "migrationnamespace")
        run(source, "get", "migration", "-n", "migrationnamespace")
        run(
            source,
            "describe",
            "migrationschedule",
            "mysqlmigrationschedule",
            "-n",
            "migrationnamespace",
        )
    finally:
        controller.terminate()
        controller.wait(timeout=30)

    step("The application on the destination: scaled to 0, replicas recorded for activation")
    run(destination, "get", "deployment,service,configmap,secret,pvc", "-n", "migrationnamespace")
    run(
        destination,
        "get",
        "deployment",
        "web",
        "-n",
        "migrationnamespace",
        "-o",
        "jsonpath={.spec.replicas} replicas, annotation migrationReplicas="
        '{.metadata.annotations.stork\\.openstorage\\.org/migrationReplicas}{"\\n"}',
    )

    step("Failover: the source is lost (stork sandbox stop source)")
    sandbox.stop("source")
    print("source stopped")
    step("storkctl activate migrations on the destination")
    t = time.monotonic()
    storkctl(destination, "activate", "migrations", "-n", "migrationnamespace")
    if nodes:
        run(destination, "rollout", "status", "deployment/web", "-n", "migrationnamespace",
            "--timeout=180s")  # fmt: skip
        ready_in = time.monotonic() - t
        run(destination, "get", "deployment", "web", "-n", "migrationnamespace")
        run(destination, "get", "pods", "-n", "migrationnamespace", "-o", "wide")
        _show_served_content(destination)
        print(f"\nThe application runs on the destination: READY 3/3, {ready_in:.1f}s after "
              "`storkctl activate migrations`.")  # fmt: skip
    else:
        run(destination, "get", "deployment", "web", "-n", "migrationnamespace")
        print("\nWithout nodes no pod runs: READY stays 0/3 (with root and `make packages`, "
              "`make demo` gives the clusters nodes and the pods run).")  # fmt: skip
    step("The source comes back (stork sandbox start source)")
    sandbox.start("source")
    print(f"source started; the whole demo took {time.monotonic() - started:.0f}s")

    print(
        f"\nThe sandbox keeps running. Look around with:\n"
        f"  KUBECONFIG={sandbox.kubeconfig()} kubectl --context destination \\\n"
        "      get all -n migrationnamespace\n"
        f"  .venv/bin/stork run --kubeconfig {source}   # the controller again\n"
        "Stop it with: make demo-down   (or .venv/bin/stork sandbox down --dir "
        f"{args.dir})"
    )
    return 0


# The image is local (loaded into the sandbox's nodes, never pulled): busybox's httpd serves the
# ConfigMap web-config; the readiness probe asks it over the pod network.
SAMPLE_APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: web
        image: BUSYBOX
        imagePullPolicy: IfNotPresent
        command: [httpd, -f, -p, "8080", -h, /www]
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /index.html, port: 8080}, periodSeconds: 2}
        volumeMounts: [{name: content, mountPath: /www}]
      volumes: [{name: content, configMap: {name: web-config}}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {index.html: "hello from the migrated web-config\\n"}
---
apiVersion: v1
kind: Secret
metadata: {name: web-secret}
stringData: {password: not-a-real-one}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: demo-web-data}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: manual
  hostPath: {path: /tmp/stork-demo-data}
  claimRef: {namespace: migrationnamespace, name: web-data}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: web-data}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: manual
  volumeName: demo-web-data
  resources: {requests: {storage: 1Gi}}
""".replace("BUSYBOX", BUSYBOX_IMAGE)


def _reset(sandbox: Sandbox) -> None:
    """On a reused sandbox, remove what an earlier run of the demo made, so that it starts
    over (the namespaces on both clusters, the policy, the PersistentVolume)."""
    step("The sandbox ran already: removing what an earlier demo made")
    for name in ("source", "destination"):
        with make_client(sandbox.kubeconfig(name)) as client:
            gone: list[tuple[Any, str]] = [
                (Namespace, "migrationnamespace"),
                (Namespace, "mysql"),
                (PersistentVolume, "demo-web-data"),
                (SchedulePolicyResource, "testpolicy"),
            ]
            # The schedule's finalizer is the controller's, which is not running now.
            with contextlib.suppress(ApiError):
                for schedule in client.list(
                    MigrationScheduleResource, namespace="migrationnamespace"
                ):
                    client.patch(
                        MigrationScheduleResource,
                        schedule["metadata"]["name"],
                        {"metadata": {"finalizers": None}},
                        namespace="migrationnamespace",
                        patch_type=PatchType.MERGE,
                    )
            for kind, obj in gone:
                with contextlib.suppress(ApiError):
                    client.delete(kind, obj)
            deadline = time.monotonic() + 180
            while any(_exists(client, kind, obj) for kind, obj in gone):
                if time.monotonic() > deadline:
                    raise SystemExit(f"error: the earlier demo's objects on {name} did not go")
                time.sleep(0.5)
        print(f"  {name}: clean")


def _exists(client: Client, kind: Any, name: str) -> bool:
    try:
        client.get(kind, name)
    except ApiError as e:
        if e.status.code == 404:
            return False
        raise
    return True


def _show_served_content(kubeconfig: Path) -> None:
    """One web pod asks another for the migrated ConfigMap, over the pod network."""
    with make_client(kubeconfig) as client:
        pods = [p for p in client.list(Pod, namespace="migrationnamespace", labels={"app": "web"})
                if p.status and p.status.podIP and p.metadata]  # fmt: skip
    if len(pods) < 2:
        return
    asker, ip = pods[0].metadata.name, pods[-1].status.podIP  # type: ignore[union-attr]
    request = f"printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 5 {ip} 8080 | tail -n 1"
    run(kubeconfig, "exec", "-n", "migrationnamespace", str(asker), "--", "sh", "-c", request)


def _start_controller(kubeconfig: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "stork.cli.stork_main",
                "run",
                "--kubeconfig",
                str(kubeconfig),
                "--pair-check-interval",
                "5",
                "--metrics-bind-address",
                "127.0.0.1:0",
                "--health-probe-bind-address",
                "127.0.0.1:0",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_for_migration(kubeconfig: Path, timeout: float = 180.0) -> bool:
    """Print progress until a migration of the schedule succeeded; False on timeout."""
    deadline = time.monotonic() + timeout
    shown = ""
    with make_client(kubeconfig) as client:
        while time.monotonic() < deadline:
            try:
                line = _progress(client)
            except ApiError as e:  # e.g. 429 while a new CRD's storage initializes
                line = f"waiting for the API server ({e.status.message})"
            if line != shown:
                print(f"  {line}", flush=True)
                shown = line
            if line.startswith("Successful"):
                return True
            time.sleep(1)
    return False


def _progress(client: Client) -> str:
    pair = client.get(ClusterPairResource, "remotecluster", namespace="migrationnamespace")
    scheduler = (pair.get("status") or {}).get("schedulerStatus") or "(not checked yet)"
    migrations = sorted(
        client.list(MigrationResource, namespace="migrationnamespace"),
        key=lambda m: m["metadata"]["name"],
    )
    if not migrations:
        return f"pair remotecluster: {scheduler}; waiting for the schedule to start a migration"
    latest = migrations[-1]
    status = latest.get("status") or {}
    state = status.get("status") or "Pending"
    return f"{state}: migration {latest['metadata']['name']} (stage {status.get('stage') or '-'})"


if __name__ == "__main__":
    sys.exit(main())
