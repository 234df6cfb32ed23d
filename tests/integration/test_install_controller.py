"""`stork install --controller` against the real source cluster: created, then unchanged."""

from __future__ import annotations

from click.testing import CliRunner
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import ServiceAccount

from stork.api.crd import CRDS
from stork.cli.stork_main import cli
from stork.deploy.install import kubectl_ref
from stork.deploy.manifests import controller_manifests, default_image
from tests.integration.conftest import Clusters

CRD_LINES = len(CRDS)


def install(clusters: Clusters, *flags: str) -> list[tuple[str, str]]:
    result = CliRunner().invoke(
        cli, ["install", "--kubeconfig", str(clusters.kubeconfig("source")), *flags]
    )
    assert result.exit_code == 0, result.output
    return [tuple(line.rsplit(" ", 1)) for line in result.output.splitlines()]  # type: ignore[misc]


def test_install_controller_is_idempotent_and_reports_like_kubectl(clusters: Clusters) -> None:
    first = install(clusters, "--controller")
    refs = [ref for ref, _ in first]
    assert refs[CRD_LINES:] == [kubectl_ref(o) for o in controller_manifests()]
    assert refs[CRD_LINES:][:3] == [
        "namespace/stork-system",
        "serviceaccount/stork",
        "clusterrole.rbac.authorization.k8s.io/stork-controller",
    ]
    assert all(action in {"created", "configured", "unchanged"} for _, action in first)

    second = install(clusters, "--controller")
    assert [ref for ref, _ in second] == refs
    assert {action for _, action in second} == {"unchanged"}
    assert ("serviceaccount/stork", "unchanged") in second

    assert clusters.source.get(ServiceAccount, "stork", namespace="stork-system").metadata
    image = "example.invalid/stork:test"
    third = dict(install(clusters, "--controller", "--image", image))
    assert third.pop("deployment.apps/stork") == "configured"
    assert set(third.values()) == {"unchanged"}
    d = clusters.source.get(Deployment, "stork", namespace="stork-system")
    assert d.spec is not None
    assert d.spec.template.spec is not None
    assert d.spec.template.spec.containers[0].image == image

    back = dict(install(clusters, "--controller"))
    assert back["deployment.apps/stork"] == "configured"
    d = clusters.source.get(Deployment, "stork", namespace="stork-system")
    assert d.spec is not None
    assert d.spec.template.spec is not None
    assert d.spec.template.spec.containers[0].image == default_image()


def test_image_needs_controller(clusters: Clusters) -> None:
    result = CliRunner().invoke(
        cli,
        ["install", "--kubeconfig", str(clusters.kubeconfig("source")), "--image", "x:y"],
    )
    assert result.exit_code == 2
    assert "--image and --namespace need --controller" in result.output
