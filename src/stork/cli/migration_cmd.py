"""``storkctl activate|deactivate migrations`` (aliases ``migration``), run on the destination."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from lightkube import ApiError
from lightkube.resources.core_v1 import Namespace

from stork.cli.common import api_error, connect
from stork.migration.activation import activate_namespaces

ALIASES = ("migrations", "migration")


def _options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("-n", "--namespace", default="default", show_default=True)(fn)
    fn = click.option(
        "-a", "--all-namespaces", is_flag=True, help="Every namespace of the cluster."
    )(fn)
    fn = click.option("--context", help="kubeconfig context to use.")(fn)
    return click.option("--kubeconfig", type=click.Path(dir_okay=False), help="kubeconfig file.")(
        fn
    )


def _run(
    activate: bool,
    namespace: str,
    all_namespaces: bool,
    kubeconfig: str | None,
    context: str | None,
) -> None:
    with connect(kubeconfig, context) as client:
        try:
            if all_namespaces:
                names = sorted(
                    n.metadata.name
                    for n in client.list(Namespace)
                    if n.metadata and n.metadata.name
                )
            else:
                client.get(Namespace, namespace)
                names = [namespace]
            activate_namespaces(
                client, names, activate, click.echo, lambda line: click.echo(line, err=True)
            )
        except ApiError as e:
            raise api_error(e) from e


@click.command()
@_options
def activate(
    namespace: str, all_namespaces: bool, kubeconfig: str | None, context: str | None
) -> None:
    """Start the migrated applications: replicas and CronJobs as they were on the source."""
    _run(True, namespace, all_namespaces, kubeconfig, context)


@click.command()
@_options
def deactivate(
    namespace: str, all_namespaces: bool, kubeconfig: str | None, context: str | None
) -> None:
    """Stop the migrated applications again (0 replicas, CronJobs suspended)."""
    _run(False, namespace, all_namespaces, kubeconfig, context)


def register(activate_group: click.Group, deactivate_group: click.Group) -> None:
    """Attach the commands under every alias."""
    for alias in ALIASES:
        activate_group.add_command(activate, name=alias)
        deactivate_group.add_command(deactivate, name=alias)
