"""``stork``: the controller, the local sandbox and the installer."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from lightkube import ApiError
from lightkube.core.exceptions import ConfigError

from stork.api.crd import CRDS, crd_manifest
from stork.cli.common import cluster_options
from stork.cli.errors import friendly_errors
from stork.cli.sandbox_cmd import sandbox
from stork.controller import manager
from stork.controller.manager import ControllerOptions
from stork.kube.config import KubeconfigError, load_config, make_client
from stork.kube.crds import CrdInstallError, apply_crds

CONNECTION_ERRORS = (KubeconfigError, ConfigError, CrdInstallError, ApiError, OSError)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Stork-compatible Metro-DR controller for Kubernetes."""


cli.add_command(sandbox)


@cli.command()
@cluster_options
@friendly_errors(*CONNECTION_ERRORS)
def install(kubeconfig: str | None, context: str | None) -> None:
    """Apply the CRDs (server-side apply) and wait until they are Established. Idempotent."""
    client = make_client(kubeconfig, context)
    for applied in apply_crds(client, [crd_manifest(info) for info in CRDS]):
        click.echo(f"customresourcedefinition.apiextensions.k8s.io/{applied.name} {applied.action}")


def _time_zone(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise click.BadParameter(f"unknown time zone {value!r} (expected an IANA name)") from e
    return value


@cli.command()
@cluster_options
@click.option(
    "--time-zone",
    callback=_time_zone,
    help="IANA zone of policy times without their own timeZone (default: local zone).",
)
@click.option(
    "--pair-check-interval",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Seconds between two checks of a ClusterPair's destination.",
)
@click.option(
    "--admin-namespace",
    default="kube-system",
    show_default=True,
    help="Namespace whose Migrations may migrate other namespaces.",
)
@click.option(
    "--migration-concurrency",
    type=click.IntRange(min=1),
    default=16,
    show_default=True,
    help="Objects applied to a destination at once.",
)
@friendly_errors(*CONNECTION_ERRORS)
def run(
    kubeconfig: str | None,
    context: str | None,
    time_zone: str | None,
    pair_check_interval: float,
    admin_namespace: str,
    migration_concurrency: int,
) -> None:
    """Run the controller in the foreground against the source cluster (until SIGTERM)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx2").setLevel(logging.WARNING)  # one line per request is noise
    options = ControllerOptions(
        time_zone=time_zone,
        pair_check_interval=pair_check_interval,
        admin_namespace=admin_namespace,
        migration_concurrency=migration_concurrency,
    )
    manager.run(load_config(kubeconfig, context), options)


def main() -> None:
    """Entry point of the ``stork`` command."""
    cli(prog_name="stork")


if __name__ == "__main__":
    main()
