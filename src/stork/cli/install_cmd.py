"""``stork install``: the CRDs, and with ``--controller`` the controller's deployment."""

from __future__ import annotations

import click
from lightkube import ApiError
from lightkube.core.exceptions import ConfigError

from stork.api.crd import CRDS, crd_manifest
from stork.cli.common import cluster_options
from stork.cli.errors import friendly_errors
from stork.deploy.install import ManifestApplyError, apply_manifests
from stork.deploy.manifests import NAMESPACE, DeploySettings, controller_manifests, default_image
from stork.kube.config import KubeconfigError, make_client
from stork.kube.crds import CrdInstallError, apply_crds

INSTALL_ERRORS = (
    KubeconfigError,
    ConfigError,
    CrdInstallError,
    ManifestApplyError,
    ApiError,
    OSError,
)


@click.command()
@cluster_options
@click.option(
    "--controller",
    is_flag=True,
    help="Also install the controller: namespace, ServiceAccount, least-privilege RBAC and "
    "Deployment (the objects of deploy/*.yaml).",
)
@click.option(
    "--image",
    help="Controller image (with --controller).",
    default=None,
    show_default=f"{default_image()}",
)
@click.option(
    "--namespace",
    default=NAMESPACE,
    show_default=True,
    help="Namespace of the controller (with --controller).",
)
@friendly_errors(*INSTALL_ERRORS)
def install(
    kubeconfig: str | None,
    context: str | None,
    controller: bool,
    image: str | None,
    namespace: str,
) -> None:
    """Apply the CRDs (server-side apply) and wait until they are Established. Idempotent.

    With --controller, also apply the controller's manifests; a second run changes nothing and
    says `unchanged` for every object.
    """
    if not controller and (image is not None or namespace != NAMESPACE):
        raise click.UsageError("--image and --namespace need --controller")
    client = make_client(kubeconfig, context)
    for crd in apply_crds(client, [crd_manifest(info) for info in CRDS]):
        click.echo(f"customresourcedefinition.apiextensions.k8s.io/{crd.name} {crd.action}")
    if not controller:
        return
    settings = DeploySettings(namespace=namespace, image=image or default_image())
    for applied in apply_manifests(client, controller_manifests(settings)):
        click.echo(f"{applied.ref} {applied.action}")
