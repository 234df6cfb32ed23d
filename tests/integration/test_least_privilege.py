"""A migration with nothing but least privilege: deploy/'s RBAC on the source, and
`storkctl generate destination-rbac` on the destination (no admin credentials anywhere)."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightkube import ApiError
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import ConfigMap, Event, Secret, Service

from stork.deploy.install import apply_manifests
from stork.deploy.manifests import NAME, NAMESPACE
from stork.kube.resources import ClusterPairResource, MigrationResource
from tests.integration.conftest import Clusters, RunningController
from tests.integration.test_migration import kubectl
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GADGETS = "gadgets.least.example.com"
GADGET_CRD = f"""
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {{name: {GADGETS}}}
spec:
  group: least.example.com
  scope: Namespaced
  names: {{kind: Gadget, plural: gadgets, singular: gadget, listKind: GadgetList}}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
"""
GADGET = """
apiVersion: least.example.com/v1
kind: Gadget
metadata: {name: g1}
spec: {size: 1}
"""

APP = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {color: blue}
---
apiVersion: v1
kind: Secret
metadata: {name: db}
stringData: {password: hunter2}
"""


def token_kubeconfig(server: str, ca_pem: bytes, token: str, name: str) -> dict[str, Any]:
    assert re.match(r"https://127\.", server), server  # loopback only
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": name,
                "cluster": {
                    "server": server,
                    "certificate-authority-data": base64.b64encode(ca_pem).decode(),
                },
            }
        ],
        "users": [{"name": name, "user": {"token": token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
    }


def deploy_objects(*files: str) -> list[dict[str, Any]]:
    return [d for f in files for d in yaml.safe_load_all((ROOT / "deploy" / f).read_text()) if d]


@pytest.fixture
def controller_kubeconfig(clusters: Clusters, tmp_path: Path) -> Path:
    """deploy/'s Namespace, ServiceAccount and RBAC on the source; a kubeconfig with its token."""
    apply_manifests(clusters.source, deploy_objects("namespace.yaml", "rbac.yaml"))
    source = clusters.kubeconfig("source")
    token = kubectl(source, "create", "token", NAME, "-n", NAMESPACE, "--duration", "1h").strip()
    creds = clusters.sandbox.credentials("source")
    path = tmp_path / "controller.kubeconfig"
    path.write_text(yaml.safe_dump(token_kubeconfig(creds.server, creds.ca_pem, token, "source")))
    path.chmod(0o600)
    return path


@pytest.fixture
def destination_token(clusters: Clusters) -> str:
    """`storkctl generate destination-rbac` applied on the destination; its token Secret's token."""
    name = f"stork-dest-{uuid.uuid4().hex[:6]}"
    result = subprocess.run(
        [str(BIN / "storkctl"), "generate", "destination-rbac", "--name", name],
        capture_output=True,
        text=True,
        check=True,
    )
    kubectl(clusters.kubeconfig("destination"), "apply", "-f", "-", stdin=result.stdout)

    def token() -> str | None:
        secret = clusters.destination.get(Secret, f"{name}-token", namespace="stork-system")
        data = (secret.data or {}).get("token")
        return base64.b64decode(data).decode() if data else None

    value = wait_for(token, 30, "the destination's token Secret to be filled in")
    assert value is not None
    return value


def run_flags() -> list[str]:
    """Flags that keep `stork run` off non-loopback ports (when this version has them)."""
    help_text = subprocess.run(
        [sys.executable, "-m", "stork.cli.stork_main", "run", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flags = []
    for flag in ("--metrics-bind-address", "--health-probe-bind-address"):
        if flag in help_text:
            flags += [flag, "0"]
    return flags


def test_migration_succeeds_with_least_privilege_on_both_clusters(
    clusters: Clusters,
    namespace: str,
    controller_kubeconfig: Path,
    destination_token: str,
    start_controller: Callable[..., RunningController],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kubectl(clusters.kubeconfig("source"), "apply", "-n", namespace, "-f", "-", stdin=APP)
    # A custom resource of a group the controller was not granted: not migrated, and said so.
    kubectl(clusters.kubeconfig("source"), "apply", "-f", "-", stdin=GADGET_CRD)
    kubectl(clusters.kubeconfig("source"), "wait", "--for=condition=Established", "crd/" + GADGETS)
    kubectl(clusters.kubeconfig("source"), "apply", "-n", namespace, "-f", "-", stdin=GADGET)
    dest = clusters.sandbox.credentials("destination")
    pair = {
        "apiVersion": "stork.libopenstorage.org/v1alpha1",
        "kind": "ClusterPair",
        "metadata": {"name": "remote", "namespace": namespace},
        "spec": {
            "config": token_kubeconfig(dest.server, dest.ca_pem, destination_token, "dest"),
            "options": {},
        },
    }
    clusters.source.create(ClusterPairResource.from_dict(pair))

    monkeypatch.setenv("POD_NAME", f"stork-{uuid.uuid4().hex[:6]}")
    monkeypatch.setenv("POD_NAMESPACE", NAMESPACE)
    # The last --kubeconfig wins: the ServiceAccount's, not the fixture's admin one.
    controller = start_controller(
        "--kubeconfig", str(controller_kubeconfig), "--pair-check-interval", "1", *run_flags()
    )

    def pair_ready() -> bool:
        status = clusters.source.get(ClusterPairResource, "remote", namespace=namespace).get(
            "status"
        )
        return (status or {}).get("schedulerStatus") == "Ready"

    wait_for(pair_ready, 60, "the ClusterPair to be Ready (controller log below)")

    clusters.source.create(
        MigrationResource.from_dict(
            {
                "apiVersion": "stork.libopenstorage.org/v1alpha1",
                "kind": "Migration",
                "metadata": {"name": "least", "namespace": namespace},
                "spec": {
                    "clusterPair": "remote",
                    "namespaces": [namespace],
                    "includeVolumes": False,
                    "purgeDeletedResources": True,
                },
            }
        )
    )

    def final() -> dict[str, Any] | None:
        status = clusters.source.get(MigrationResource, "least", namespace=namespace).get("status")
        return dict(status) if status and status.get("stage") == "Final" else None

    result = wait_for(final, 90, "the migration to finish")
    assert result is not None
    failed = [r for r in result.get("resources") or [] if r["status"] != "Successful"]
    assert result["status"] == "Successful", (failed, controller.output()[-3000:])
    migrated = {(r["kind"], r["name"]) for r in result["resources"]}
    assert {
        ("Namespace", namespace),
        ("Deployment", "web"),
        ("Service", "web"),
        ("ConfigMap", "settings"),
        ("Secret", "db"),
    } <= migrated

    target = clusters.destination
    web = target.get(Deployment, "web", namespace=namespace)
    assert web.spec is not None
    assert web.spec.replicas == 0
    assert target.get(ConfigMap, "settings", namespace=namespace).data == {"color": "blue"}
    assert target.get(Secret, "db", namespace=namespace).data == {"password": "aHVudGVyMg=="}
    svc = target.get(Service, "web", namespace=namespace)
    assert svc.spec is not None
    assert svc.spec.clusterIP is not None
    assert svc.spec.clusterIP.startswith("10.100.")

    assert ("Gadget", "g1") not in migrated

    def forbidden_events() -> list[str | None] | None:
        found = [
            e.message
            for e in clusters.source.list(Event, namespace=namespace)
            if e.reason == "Forbidden" and e.type == "Warning"
        ]
        return found or None

    # Events follow the final status: wait for it.
    warnings = wait_for(forbidden_events, 30, "the Forbidden warning")
    assert warnings is not None
    assert len(warnings) == 1
    assert warnings[0] is not None
    assert warnings[0].startswith("not migrated, the controller may not list them on the source: ")
    assert GADGETS in warnings[0]

    # Nothing else the controller tried was forbidden (events, status, leases, lists included).
    # The one "forbidden" that is not about rights: an event on a leftover object of an earlier
    # test whose namespace is being deleted (the API server refuses new content there).
    log = controller.output()
    refused = [
        line
        for line in log.splitlines()
        if "forbidden" in line.lower() and "because it is being terminated" not in line
    ]
    assert not refused, log[-3000:]
    assert controller.proc.poll() is None, log[-3000:]


def test_the_controller_cannot_write_migrated_kinds_on_the_source(
    clusters: Clusters, controller_kubeconfig: Path, namespace: str
) -> None:
    """Least privilege: reads on the source, no writes to applications or Secrets."""
    from stork.kube.config import make_client

    client = make_client(controller_kubeconfig)
    assert list(client.list(Secret, namespace=namespace)) == []
    with pytest.raises(ApiError) as err:
        client.create(ConfigMap.from_dict({"metadata": {"name": "x", "namespace": namespace}}))
    assert err.value.status.code == 403
    with pytest.raises(ApiError) as err:
        client.create(Secret.from_dict({"metadata": {"name": "x", "namespace": namespace}}))
    assert err.value.status.code == 403
    with pytest.raises(ApiError) as err:  # read (a pair's Secret by reference), not written
        client.patch(Secret, "anything", {"data": {}}, namespace=namespace)
    assert err.value.status.code == 403
