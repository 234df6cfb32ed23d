"""The two sandbox clusters are real, separate Kubernetes control planes."""

from __future__ import annotations

import ipaddress
import ssl
import subprocess
import sys

import httpx2
import pytest
from lightkube.models.apps_v1 import DeploymentSpec
from lightkube.models.core_v1 import Container, PodSpec, PodTemplateSpec, ServicePort, ServiceSpec
from lightkube.models.meta_v1 import LabelSelector, ObjectMeta
from lightkube.resources.apps_v1 import Deployment, ReplicaSet
from lightkube.resources.core_v1 import ConfigMap, Service, ServiceAccount

from stork.kube.config import load_config
from stork.kube.http import server_version
from stork.sandbox.binaries import KUBERNETES_VERSION
from tests.integration.conftest import Clusters
from tests.waiting import wait_for


def test_both_clusters_ready_on_loopback(clusters: Clusters) -> None:
    status = clusters.sandbox.status()
    assert status is not None
    assert [(s.name, s.health) for s in status] == [("source", "Ready"), ("destination", "Ready")]
    for s in status:
        assert s.url.startswith("https://127.0.0.1:")
    assert status[0].url != status[1].url


def test_version_is_the_pinned_release(clusters: Clusters) -> None:
    for name in ("source", "destination"):
        config = load_config(clusters.kubeconfig(name))
        assert config.cluster.server.startswith("https://127.0.0.1:")
        info = server_version(config)
        assert info["gitVersion"] == KUBERNETES_VERSION
        assert (info["major"], info["minor"]) == ("1", KUBERNETES_VERSION.split(".")[1])


def test_each_cluster_has_its_own_certificate_authority(clusters: Clusters) -> None:
    source = load_config(clusters.kubeconfig("source"))
    destination = load_config(clusters.kubeconfig("destination"))
    assert source.cluster.certificate_auth_data != destination.cluster.certificate_auth_data
    # The source's CA does not vouch for the destination's serving certificate.
    ca = clusters.sandbox.dir / "source" / "pki" / "ca.crt"
    context = ssl.create_default_context(cafile=str(ca))
    with pytest.raises(httpx2.ConnectError), httpx2.Client(verify=context) as c:
        c.get(destination.cluster.server + "/readyz")


@pytest.mark.parametrize(
    ("cluster", "network"), [("source", "10.96.0.0/16"), ("destination", "10.100.0.0/16")]
)
def test_service_networks_differ(
    clusters: Clusters, namespace: str, cluster: str, network: str
) -> None:
    client = clusters.source if cluster == "source" else clusters.destination
    if cluster == "destination":
        from lightkube.resources.core_v1 import Namespace

        client.create(Namespace(metadata=ObjectMeta(name=namespace)))
    svc = client.create(
        Service(
            metadata=ObjectMeta(name="web", namespace=namespace),
            spec=ServiceSpec(ports=[ServicePort(port=80)], selector={"app": "web"}),
        )
    )
    assert svc.spec is not None
    assert svc.spec.clusterIP is not None
    assert ipaddress.ip_address(svc.spec.clusterIP) in ipaddress.ip_network(network)


def test_controller_manager_runs(clusters: Clusters, namespace: str) -> None:
    """The default ServiceAccount, root CA ConfigMap and ReplicaSets come from the KCM."""
    src = clusters.source
    wait_for(
        lambda: _exists(lambda: src.get(ServiceAccount, "default", namespace=namespace)),
        30,
        "default SA",
    )
    wait_for(
        lambda: _exists(lambda: src.get(ConfigMap, "kube-root-ca.crt", namespace=namespace)),
        30,
        "root CA",
    )
    labels = {"app": "web"}
    src.create(
        Deployment(
            metadata=ObjectMeta(name="web", namespace=namespace),
            spec=DeploymentSpec(
                replicas=1,
                selector=LabelSelector(matchLabels=labels),
                template=PodTemplateSpec(
                    metadata=ObjectMeta(labels=labels),
                    spec=PodSpec(containers=[Container(name="web", image="nginx")]),
                ),
            ),
        )
    )
    replica_sets = wait_for(
        lambda: list(src.list(ReplicaSet, namespace=namespace)),
        30,
        "a ReplicaSet of the Deployment",
    )
    owner = replica_sets[0].metadata.ownerReferences[0]  # type: ignore[union-attr,index]
    assert (owner.kind, owner.name) == ("Deployment", "web")


def _exists(get: object) -> bool:
    from lightkube import ApiError

    try:
        get()  # type: ignore[operator]
    except ApiError as e:
        if e.status.code == 404:
            return False
        raise
    return True


def test_status_command_prints_both_clusters(clusters: Clusters) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "stork.cli.stork_main",
            "sandbox",
            "status",
            "--dir",
            str(clusters.sandbox.dir),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert out[0].split() == ["CLUSTER", "URL", "STATUS"]
    assert [line.split()[0] for line in out[1:]] == ["source", "destination"]
    assert all(line.split()[2] == "Ready" for line in out[1:])
