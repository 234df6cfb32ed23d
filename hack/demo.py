"""`make demo`: the documentation's Metro-DR flow on two local clusters.

Starts the sandbox, installs the CRDs on both clusters, deploys a sample application on the
source, applies the documentation's SchedulePolicy, ClusterPair and MigrationSchedule, runs the
controller until the first scheduled migration succeeded, and shows the application on the
destination, scaled to zero and ready to be activated. The sandbox keeps running afterwards
(`make demo-down` stops it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml
from lightkube import ApiError, Client

from stork.api.crd import CRDS, crd_manifest
from stork.kube.config import make_client
from stork.kube.crds import apply_crds
from stork.kube.resources import ClusterPairResource, MigrationResource
from stork.sandbox import MissingBinariesError, Sandbox, SandboxError
from stork.sandbox.seeds import SEED_FILES, seed_objects


def step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def run(kubeconfig: Path, *args: str) -> None:
    """Run kubectl against the sandbox, echoing the command as a user would type it."""
    kubectl = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or "kubectl"
    print(f"$ kubectl {' '.join(args)}", flush=True)
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    subprocess.run([kubectl, *args], env=env, check=True)


def storkctl(kubeconfig: Path, *args: str) -> None:
    """Run storkctl against the sandbox, echoing the command as a user would type it."""
    print(f"$ storkctl {' '.join(args)}", flush=True)
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    subprocess.run([sys.executable, "-m", "stork.cli.storkctl_main", *args], env=env, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=Path(".sandbox"))
    args = parser.parse_args()
    sandbox = Sandbox(args.dir, log=lambda line: print(line, flush=True))

    step("Starting the sandbox: clusters 'source' and 'destination' (real kube-apiservers)")
    try:
        result = sandbox.up()
    except (SandboxError, MissingBinariesError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{'reused' if result.reused else 'ready'} in {result.seconds:.1f}s")
    for s in sandbox.status() or []:
        print(f"  {s.name:<12} {s.url:<28} {s.health}")

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

    step("Failover: storkctl activate migrations on the destination")
    storkctl(destination, "activate", "migrations", "-n", "migrationnamespace")
    run(destination, "get", "deployment", "web", "-n", "migrationnamespace")

    print(
        f"\nThe sandbox keeps running. Look around with:\n"
        f"  KUBECONFIG={sandbox.kubeconfig()} kubectl --context destination \\\n"
        "      get all -n migrationnamespace\n"
        f"  .venv/bin/stork run --kubeconfig {source}   # the controller again\n"
        "Stop it with: make demo-down   (or .venv/bin/stork sandbox down --dir "
        f"{args.dir})"
    )
    return 0


SAMPLE_APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {greeting: hello}
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
"""


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
