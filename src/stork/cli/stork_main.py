"""``stork``: the controller, the local sandbox and the installer."""

from __future__ import annotations

import click
from lightkube import ApiError
from lightkube.core.exceptions import ConfigError

from stork.api.crd import CRDS, crd_manifest
from stork.cli.errors import friendly_errors
from stork.cli.sandbox_cmd import sandbox
from stork.kube.config import KubeconfigError, make_client
from stork.kube.crds import CrdInstallError, apply_crds

CONNECTION_ERRORS = (KubeconfigError, ConfigError, CrdInstallError, ApiError, OSError)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Stork-compatible Metro-DR controller for Kubernetes."""


cli.add_command(sandbox)


@cli.command()
@click.option("--kubeconfig", type=click.Path(dir_okay=False), help="Path to a kubeconfig.")
@click.option("--context", help="kubeconfig context to use.")
@friendly_errors(*CONNECTION_ERRORS)
def install(kubeconfig: str | None, context: str | None) -> None:
    """Apply the CRDs (server-side apply) and wait until they are Established. Idempotent."""
    client = make_client(kubeconfig, context)
    for applied in apply_crds(client, [crd_manifest(info) for info in CRDS]):
        click.echo(f"customresourcedefinition.apiextensions.k8s.io/{applied.name} {applied.action}")


def main() -> None:
    """Entry point of the ``stork`` command."""
    cli(prog_name="stork")


if __name__ == "__main__":
    main()
