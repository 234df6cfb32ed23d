"""The controller in the cluster (sandbox with nodes): the image `make image` builds, loaded
into the source's node (no registry), installed with `stork install --controller` and with the
Helm chart: 2 replicas, Lease leader election, and migrations done by the controller in its pod
with only the least-privilege identities (deploy/'s RBAC on the source, `storkctl generate
destination-rbac` on the destination), through a pair that names the destination by an address
a pod reaches (its `kubernetes` Service IP, 10.100.0.1, DNAT'd to the destination's apiserver
on this machine), including a pre-exec rule (pods/exec needs get and create).
"""

from __future__ import annotations

import base64
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightkube import ApiError
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.coordination_v1 import Lease
from lightkube.resources.core_v1 import ConfigMap, Namespace, Pod, Secret

from stork.deploy.helm import MissingHelmError, helm_binary
from stork.deploy.manifests import NAME, NAMESPACE
from stork.kube.resources import ClusterPairResource, MigrationResource, RuleResource
from stork.sandbox.images import controller_archive
from tests.integration.conftest import Clusters
from tests.integration.test_migration import kubectl
from tests.integration.test_nodes import busybox_deployment, pod_exec, wait_ready
from tests.waiting import wait_for

# The first test may build the image (a minute or more on a loaded machine; `make test` builds it
# beforehand) and load it into the node.
pytestmark = pytest.mark.timeout(900)

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
#: The destination's `kubernetes` Service IP: what a pod on the source's node reaches.
DESTINATION_FROM_A_POD = "https://10.100.0.1:443"
LABELS = {"app.kubernetes.io/name": "stork", "app.kubernetes.io/component": "controller"}

APP = (
    busybox_deployment("web", 1, ["sleep", "3600"])
    + """---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {color: blue}
"""
)


@pytest.fixture(scope="session")
def controller_image(node_clusters: Clusters) -> str:
    """The controller image of this checkout, built if needed, loaded into the source's node."""
    archive = controller_archive(ROOT)
    if not archive.is_file():
        build = subprocess.run(
            [sys.executable, str(ROOT / "hack" / "build_image.py"), "--if-possible"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert build.returncode == 0, build.stdout + build.stderr
        if not archive.is_file():
            pytest.skip(f"no controller image: {build.stdout.strip()}")
    started = time.monotonic()
    image = node_clusters.sandbox.load_image(archive, ("source",))
    print(f"controller image loaded into the source's node in {time.monotonic() - started:.1f}s")
    return image


def destination_token(clusters: Clusters) -> str:
    """`storkctl generate destination-rbac` applied on the destination; its token."""
    name = f"stork-dest-{uuid.uuid4().hex[:6]}"
    rbac = subprocess.run(
        [str(BIN / "storkctl"), "generate", "destination-rbac", "--name", name],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    kubectl(clusters.kubeconfig("destination"), "apply", "-f", "-", stdin=rbac)

    def token() -> str | None:
        secret = clusters.destination.get(Secret, f"{name}-token", namespace="stork-system")
        data = (secret.data or {}).get("token")
        return base64.b64decode(data).decode() if data else None

    return str(wait_for(token, 30, "the destination's token Secret to be filled in"))


def pod_pair(clusters: Clusters, namespace: str, token: str) -> dict[str, Any]:
    """A ClusterPair whose config reaches the destination from a pod, with the token."""
    ca = base64.b64encode(clusters.sandbox.credentials("destination").ca_pem).decode()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "dest",
                "cluster": {"server": DESTINATION_FROM_A_POD, "certificate-authority-data": ca},
            }
        ],
        "users": [{"name": "dest", "user": {"token": token}}],
        "contexts": [{"name": "dest", "context": {"cluster": "dest", "user": "dest"}}],
        "current-context": "dest",
    }
    return {
        "apiVersion": "stork.libopenstorage.org/v1alpha1",
        "kind": "ClusterPair",
        "metadata": {"name": "remote", "namespace": namespace},
        "spec": {"config": config, "options": {}},
    }


@pytest.fixture
def app(node_clusters: Clusters, node_namespace: str) -> str:
    """A running pod, a ConfigMap, a pre-exec Rule and a pair reachable from a pod."""
    kubectl(node_clusters.kubeconfig("source"), "apply", "-n", node_namespace, "-f", "-", stdin=APP)
    node_clusters.source.create(
        RuleResource.from_dict(
            {
                "apiVersion": "stork.libopenstorage.org/v1alpha1",
                "kind": "Rule",
                "metadata": {"name": "mark", "namespace": node_namespace},
                "rules": [
                    {
                        "podSelector": {"app": "web"},
                        "actions": [
                            {
                                "type": "command",
                                "value": "echo by the controller in its pod >> /tmp/rules.log",
                            }
                        ],
                    }
                ],
            }
        )
    )
    token = destination_token(node_clusters)
    node_clusters.source.create(
        ClusterPairResource.from_dict(pod_pair(node_clusters, node_namespace, token))
    )
    wait_ready(node_clusters.source, node_namespace, 1, {"app": "web"})
    return node_namespace


@pytest.fixture
def uninstall(node_clusters: Clusters) -> Iterator[None]:
    """After the test: no controller left on the source (other tests run their own)."""
    yield
    try:
        node_clusters.source.delete(Deployment, NAME, namespace=NAMESPACE)
    except ApiError as e:
        if e.status.code != 404:
            raise
    wait_for(
        lambda: not list(node_clusters.source.list(Pod, namespace=NAMESPACE, labels=LABELS)),
        timeout=90,
        what="the controller's pods to be gone",
    )


def running_controller(clusters: Clusters) -> str:
    """Wait for 2 Ready replicas and a leader among them; the leader's name."""
    started = time.monotonic()
    pods = wait_ready(clusters.source, NAMESPACE, 2, LABELS, timeout=240)
    print(f"controller: 2 replicas Ready in {time.monotonic() - started:.1f}s")
    names = {p.metadata.name for p in pods if p.metadata}

    def leader() -> str | None:
        try:
            lease = clusters.source.get(Lease, "stork-controller", namespace=NAMESPACE)
        except ApiError:
            return None
        holder = lease.spec.holderIdentity if lease.spec else None
        return holder if holder in names else None

    return str(wait_for(leader, 60, "one of the two replicas to hold the Lease"))


def wait_migration(clusters: Clusters, namespace: str, name: str | None = None) -> dict[str, Any]:
    """The first finished Migration in `namespace` (or the one named); its status."""

    def finished() -> dict[str, Any] | None:
        for m in clusters.source.list(MigrationResource, namespace=namespace):
            status = m.get("status") or {}
            if (name is None or m["metadata"]["name"] == name) and status.get("stage") == "Final":
                return dict(status)
        return None

    result = wait_for(finished, 180, "a migration done by the controller in its pod")
    assert result is not None
    return result


def test_stork_install_runs_the_controller_and_its_scheduled_migration_in_the_cluster(
    node_clusters: Clusters, controller_image: str, app: str, uninstall: None
) -> None:
    source = node_clusters.kubeconfig("source")
    install = subprocess.run(
        [str(BIN / "stork"), "install", "--controller", "--kubeconfig", str(source)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    deployment = node_clusters.source.get(Deployment, NAME, namespace=NAMESPACE)
    assert deployment.spec.template.spec.containers[0].image == controller_image  # type: ignore[union-attr]
    holder = running_controller(node_clusters)

    policy = f"p-{app}"
    kubectl(source, "apply", "-f", "-", stdin=yaml.safe_dump_all([
        {"apiVersion": "stork.libopenstorage.org/v1alpha1", "kind": "SchedulePolicy",
         "metadata": {"name": policy}, "policy": {"interval": {"intervalMinutes": 60}}},
        {"apiVersion": "stork.libopenstorage.org/v1alpha1", "kind": "MigrationSchedule",
         "metadata": {"name": "dr", "namespace": app},
         "spec": {"schedulePolicyName": policy, "template": {"spec": {
             "clusterPair": "remote", "namespaces": [app], "includeVolumes": False,
             "startApplications": False, "preExecRule": "mark"}}}},
    ]))  # fmt: skip
    try:
        result = wait_migration(node_clusters, app)
    finally:
        kubectl(source, "delete", "schedulepolicy", policy, "--wait=false")
    logs = kubectl(source, "logs", "-n", NAMESPACE, holder)
    assert result["status"] == "Successful", (result, logs[-3000:])
    assert node_clusters.destination.get(ConfigMap, "settings", namespace=app).data == {
        "color": "blue"
    }
    web = node_clusters.destination.get(Deployment, "web", namespace=app)
    assert web.spec is not None
    assert web.spec.replicas == 0
    # the rule's command ran in the application's container, sent by the controller's pod
    pod = wait_ready(node_clusters.source, app, 1, {"app": "web"})[0].metadata.name  # type: ignore[union-attr]
    marks = pod_exec(source, app, str(pod), "cat /tmp/rules.log").stdout
    assert marks == "by the controller in its pod\n"


def test_the_helm_chart_runs_the_controller_and_a_migration_in_the_cluster(
    node_clusters: Clusters, controller_image: str, app: str, uninstall: None
) -> None:
    try:
        helm = helm_binary()
    except MissingHelmError as e:
        pytest.skip(str(e))
    source = node_clusters.kubeconfig("source")
    rendered = subprocess.run(
        [str(helm), "template", "stork", str(ROOT / "deploy" / "helm" / "stork")],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    kubectl(source, "apply", "-f", "-", stdin=rendered)
    deployment = node_clusters.source.get(Deployment, NAME, namespace=NAMESPACE)
    assert deployment.spec.template.spec.containers[0].image == controller_image  # type: ignore[union-attr]
    running_controller(node_clusters)
    node_clusters.source.create(
        MigrationResource.from_dict(
            {
                "apiVersion": "stork.libopenstorage.org/v1alpha1",
                "kind": "Migration",
                "metadata": {"name": "by-helm", "namespace": app},
                "spec": {"clusterPair": "remote", "namespaces": [app], "includeVolumes": False,
                         "preExecRule": "mark"},
            }
        )
    )  # fmt: skip
    result = wait_migration(node_clusters, app, "by-helm")
    assert result["status"] == "Successful", result
    assert node_clusters.destination.get(ConfigMap, "settings", namespace=app).data == {
        "color": "blue"
    }
    assert node_clusters.source.get(Namespace, NAMESPACE).metadata is not None
