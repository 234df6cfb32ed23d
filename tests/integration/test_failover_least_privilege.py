"""A failover with nothing but least privilege: each cluster's controller runs as deploy/'s
ServiceAccount (its RBAC; failover-rbac.yaml on the destination only), each pair uses the identity `storkctl generate
destination-rbac` makes on its far side (the reverse pair's on the source). No admin
credentials anywhere but the test's own."""

from __future__ import annotations

import base64
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from lightkube.resources.core_v1 import Namespace, Secret

from stork.deploy.install import apply_manifests
from stork.deploy.manifests import NAME, NAMESPACE
from stork.kube.resources import ClusterPairResource, MigrationScheduleResource
from stork.sandbox.images import BUSYBOX_IMAGE
from tests.integration.conftest import Clusters, RunningController
from tests.integration.test_failover_action import APP, DR, SCHEDULE, first_migration_succeeded
from tests.integration.test_least_privilege import BIN, deploy_objects, run_flags, token_kubeconfig
from tests.integration.test_migration import kubectl
from tests.waiting import wait_for

API = "stork.libopenstorage.org/v1alpha1"


def controller_kubeconfig(clusters: Clusters, cluster: str, path: Path) -> Path:
    """deploy/'s Namespace, ServiceAccount and RBAC on ``cluster``; a kubeconfig with its token."""
    client = clusters.source if cluster == "source" else clusters.destination
    # failover-rbac.yaml only where the Actions run: the source's controller stays a reader
    extra = ("failover-rbac.yaml",) if cluster == "destination" else ()
    apply_manifests(client, deploy_objects("namespace.yaml", "rbac.yaml", *extra))
    admin = clusters.kubeconfig(cluster)
    token = kubectl(admin, "create", "token", NAME, "-n", NAMESPACE, "--duration", "1h").strip()
    creds = clusters.sandbox.credentials(cluster)
    path.write_text(yaml.safe_dump(token_kubeconfig(creds.server, creds.ca_pem, token, cluster)))
    path.chmod(0o600)
    return path


def pair_config(clusters: Clusters, far: str) -> dict[str, Any]:
    """`storkctl generate destination-rbac` applied on ``far``; a kubeconfig with its token."""
    name = f"stork-pair-{uuid.uuid4().hex[:6]}"
    manifests = subprocess.run(
        [str(BIN / "storkctl"), "generate", "destination-rbac", "--name", name],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    kubectl(clusters.kubeconfig(far), "apply", "-f", "-", stdin=manifests)
    client = clusters.source if far == "source" else clusters.destination

    def token() -> str | None:
        secret = client.get(Secret, f"{name}-token", namespace="stork-system")
        data = (secret.data or {}).get("token")
        return base64.b64decode(data).decode() if data else None

    value = wait_for(token, 30, f"the token Secret on the {far}")
    creds = clusters.sandbox.credentials(far)
    return token_kubeconfig(creds.server, creds.ca_pem, value, far)


def test_failover_with_least_privilege_on_both_clusters(
    clusters: Clusters,
    namespace: str,
    start_controller: Callable[..., RunningController],
    tmp_path: Path,
) -> None:
    ns = namespace
    kubectl(clusters.kubeconfig("source"), "apply", "-n", ns, "-f", "-",
            stdin=APP.replace("IMAGE", BUSYBOX_IMAGE).replace("NAMESPACE", ns))  # fmt: skip
    clusters.destination.create(Namespace.from_dict({"metadata": {"name": ns}}))
    for client, far in ((clusters.source, "destination"), (clusters.destination, "source")):
        client.create(
            ClusterPairResource.from_dict(
                {
                    "apiVersion": API,
                    "kind": "ClusterPair",
                    "metadata": {"name": "dr", "namespace": ns},
                    "spec": {"config": pair_config(clusters, far), "options": {}},
                }
            )
        )
    clusters.source.create(
        MigrationScheduleResource.from_dict(
            {
                "apiVersion": API,
                "kind": "MigrationSchedule",
                "metadata": {"name": SCHEDULE, "namespace": ns},
                "spec": {
                    "schedulePolicyName": "default-migration-policy",
                    "autoSuspend": True,
                    "template": {
                        "spec": {
                            "clusterPair": "dr",
                            "namespaces": [ns],
                            "includeVolumes": False,
                            "startApplications": False,
                        }
                    },
                },
            }
        )
    )
    common = ("--pair-check-interval", "1", "--no-leader-elect", *run_flags())
    source = start_controller(
        "--kubeconfig", str(controller_kubeconfig(clusters, "source", tmp_path / "s")), *common
    )
    destination = start_controller(
        "--kubeconfig", str(controller_kubeconfig(clusters, "destination", tmp_path / "d")),
        *common, "--failover-probe-tries", "1",
    )  # fmt: skip
    dr = DR(clusters, ns, source, destination)
    wait_for(lambda: first_migration_succeeded(dr), 180, "the first scheduled migration")
    wait_for(lambda: dr.schedule(dr.dst), 30, "the static copy")
    dr.set_color(dr.src, "green")

    name = dr.perform("failover")
    final = dr.wait_final(name, 180)
    status = final["status"]
    assert (status["stage"], status["status"]) == ("Final", "Successful"), (
        status,
        destination.output()[-3000:],
    )
    condition = next(c for c in status["conditions"] if c["type"] == "SourceOperations")
    assert condition["status"] == "True"
    assert dr.replicas(dr.src) == (0, "2")
    assert dr.schedule(dr.src)["spec"]["suspend"] is True
    assert dr.replicas(dr.dst)[0] == 2
    assert dr.color(dr.dst) == "green"
