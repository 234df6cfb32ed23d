"""`make demo`: start the sandbox, install the CRDs and apply the documentation's objects.

Until the controllers land, the demo stops at listing the objects; it leaves the sandbox running
so that you can try kubectl and storkctl against it (`make demo-down` stops it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from stork.api.crd import CRDS, crd_manifest
from stork.kube.config import make_client
from stork.kube.crds import apply_crds
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

    step("Applying the documentation's objects on the source cluster")
    print("(the ClusterPair's server is the destination sandbox's loopback URL)")
    source = sandbox.kubeconfig("source")
    files = args.dir / "demo"
    files.mkdir(parents=True, exist_ok=True)
    for name, obj in zip(SEED_FILES, seed_objects(sandbox.credentials("destination")), strict=True):
        path = files / name
        path.write_text(yaml.safe_dump(obj, sort_keys=False, width=1 << 20))
        path.chmod(0o600)  # the ClusterPair holds the destination's private key
    namespaces = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
        for ns in ("migrationnamespace", "mysql")
    ]
    (files / "namespaces.yaml").write_text(yaml.safe_dump_all(namespaces, sort_keys=False))
    run(source, "apply", "-f", str(files / "namespaces.yaml"))
    for name in SEED_FILES:
        run(source, "apply", "-f", str(files / name))

    step("Listing them")
    run(source, "get", "schedulepolicy")
    run(source, "get", "clusterpair", "-n", "migrationnamespace")
    run(source, "get", "migrationschedule", "-n", "migrationnamespace")

    print(
        f"\nThe sandbox keeps running. Try: KUBECONFIG={sandbox.kubeconfig()} kubectl "
        "--context destination get ns\nStop it with: make demo-down"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
