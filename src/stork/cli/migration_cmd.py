"""``storkctl create|get|delete migration`` and ``activate|deactivate migrations``."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import click
from lightkube import ApiError, Client
from lightkube.resources.core_v1 import Namespace

from stork.api.constants import API_VERSION
from stork.cli.common import api_error, cluster_options, connect
from stork.cli.errors import ServerError, UserError
from stork.cli.formatting import duration, parse_time, print_objects, rfc822
from stork.cli.table import print_table
from stork.failover.activation import activate_namespaces
from stork.kube.resources import ClusterPairResource, MigrationResource

ALIASES = ("migrations", "migration")
RESOURCE = "migrations.stork.libopenstorage.org"


def _options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("-n", "--namespace", default="default", show_default=True)(fn)
    fn = click.option(
        "-a", "--all-namespaces", is_flag=True, help="Every namespace of the cluster."
    )(fn)
    return cluster_options(fn)


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


def _bool_option(
    *names: str, default: bool, help_text: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A Go-style boolean flag: ``--flag`` alone is true, ``--flag=false`` sets it."""
    return click.option(
        *names,
        type=click.BOOL,
        is_flag=False,
        flag_value=True,
        default=default,
        show_default=True,
        help=help_text,
    )


def _select(
    client: Client, names: tuple[str, ...], pair: str | None, namespace: str, all_ns: bool
) -> list[dict[str, Any]]:
    if names and not all_ns:
        out = []
        for name in names:
            try:
                out.append(dict(client.get(MigrationResource, name, namespace=namespace)))
            except ApiError as e:
                if e.status.code == 404:
                    raise ServerError(
                        f'Error from server (NotFound): {RESOURCE} "{name}" not found'
                    ) from e
                raise api_error(e) from e
    else:
        out = [
            dict(m) for m in client.list(MigrationResource, namespace="*" if all_ns else namespace)
        ]
        if names:
            out = [m for m in out if m["metadata"]["name"] in names]
    if pair:
        out = [m for m in out if (m.get("spec") or {}).get("clusterPair") == pair]
    return sorted(out, key=lambda m: (m["metadata"]["namespace"], m["metadata"]["name"]))


def _row(m: dict[str, Any]) -> list[str]:
    status, summary = m.get("status") or {}, (m.get("status") or {}).get("summary") or {}
    created = parse_time(m["metadata"].get("creationTimestamp"))
    finished = parse_time(status.get("finishTimestamp"))
    elapsed = ""
    if created:
        end = finished or dt.datetime.now(dt.UTC)
        elapsed = duration((end - created).total_seconds())
    return [
        m["metadata"]["name"],
        str((m.get("spec") or {}).get("clusterPair") or ""),
        str(status.get("stage") or ""),
        str(status.get("status") or ""),
        f"{summary.get('numOfMigratedVolumes', 0)}/{summary.get('totalNumberOfVolumes', 0)}",
        f"{summary.get('numOfMigratedResources', 0)}/{summary.get('totalNumberOfResources', 0)}",
        rfc822(created),
        elapsed,
        str(summary.get("totalBytesMigrated", 0)),
    ]


@click.command()
@click.argument("names", nargs=-1)
@click.option(
    "-c", "--clusterpair", "cluster_pair", default=None, help="Only migrations to this pair."
)
@click.option("--all-namespaces", "-A", "all_namespaces", is_flag=True)
@click.option(
    "-o",
    "--output",
    type=click.Choice(["table", "json", "yaml"]),
    default="table",
    show_default=True,
)
@click.option("-n", "--namespace", default="default", show_default=True)
@cluster_options
def get(
    names: tuple[str, ...],
    cluster_pair: str | None,
    all_namespaces: bool,
    output: str,
    namespace: str,
    kubeconfig: str | None,
    context: str | None,
) -> None:
    """List Migrations."""
    with connect(kubeconfig, context) as client:
        objects = _select(client, names, cluster_pair, namespace, all_namespaces)
    if output != "table":
        if objects:
            print_objects(objects, output)
        return
    if not objects:
        click.echo("No resources found.")
        return
    headers = [
        "NAME",
        "CLUSTERPAIR",
        "STAGE",
        "STATUS",
        "VOLUMES",
        "RESOURCES",
        "CREATED",
        "ELAPSED",
        "TOTAL BYTES TRANSFERRED",
    ]
    rows = [[m["metadata"]["namespace"], *_row(m)] if all_namespaces else _row(m) for m in objects]
    print_table(["NAMESPACE", *headers] if all_namespaces else headers, rows)


@click.command()
@click.argument("name")
@click.option(
    "-c", "--clusterPair", "cluster_pair", required=True, help="ClusterPair to migrate to."
)
@click.option("--namespaces", required=True, help="Namespaces to migrate (comma-separated).")
@_bool_option(
    "-r", "--includeResources", "include_resources", default=True, help_text="Migrate resources."
)
@_bool_option("--includeVolumes", "include_volumes", default=True, help_text="Migrate volumes.")
@_bool_option(
    "-a",
    "--startApplications",
    "start_applications",
    default=True,
    help_text="Start the applications on the destination.",
)
@click.option("--preExecRule", "pre_exec_rule", default="")
@click.option("--postExecRule", "post_exec_rule", default="")
@click.option(
    "--wait",
    is_flag=True,
    help="Show progress until the migration ends; exit 1 unless it succeeded.",
)
@click.option("-n", "--namespace", default="default", show_default=True)
@cluster_options
def create(
    name: str,
    cluster_pair: str,
    namespaces: str,
    include_resources: bool,
    include_volumes: bool,
    start_applications: bool,
    pre_exec_rule: str,
    post_exec_rule: str,
    wait: bool,
    namespace: str,
    kubeconfig: str | None,
    context: str | None,
) -> None:
    """Create a Migration (Stork's defaults: resources, volumes and started applications)."""
    ns_list = [n.strip() for n in namespaces.split(",") if n.strip()]
    if not ns_list:
        raise UserError("need to provide atleast one namespace to migrate")
    body = {
        "apiVersion": API_VERSION,
        "kind": "Migration",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "clusterPair": cluster_pair,
            "namespaces": ns_list,
            "includeResources": include_resources,
            "includeVolumes": include_volumes,
            "startApplications": start_applications,
            "preExecRule": pre_exec_rule,
            "postExecRule": post_exec_rule,
        },
    }
    with connect(kubeconfig, context) as client:
        try:
            client.get(ClusterPairResource, cluster_pair, namespace=namespace)
        except ApiError as e:
            if e.status.code == 404:
                raise UserError(
                    f"unable to find the cluster pair {cluster_pair} in the {namespace} namespace"
                ) from e
            raise api_error(e) from e
        try:
            client.create(MigrationResource.from_dict(body))
        except ApiError as e:
            raise api_error(e) from e
        click.echo(f"Migration {name} created successfully")
        if wait:
            _wait(client, name, namespace)


def _wait(client: Client, name: str, namespace: str, poll: float = 1.0) -> None:
    """Print stage and resource counts as they change until the migration is Final."""
    shown = ""
    while True:
        m = dict(client.get(MigrationResource, name, namespace=namespace))
        status = m.get("status") or {}
        summary = status.get("summary") or {}
        line = (
            f"{status.get('stage') or 'Initial'}/{status.get('status') or 'Pending'}: "
            f"{summary.get('numOfMigratedResources', 0)}/"
            f"{summary.get('totalNumberOfResources', 0)} resources"
        )
        if line != shown:
            click.echo(line)
            shown = line
        if status.get("stage") == "Final":
            if status.get("status") != "Successful":
                reasons = [
                    c.get("message") for c in status.get("conditions") or [] if c.get("message")
                ]
                raise UserError(
                    f"migration {name} ended {status.get('status')}"
                    + (f": {reasons[0]}" if reasons else "")
                )
            return
        time.sleep(poll)


@click.command()
@click.argument("names", nargs=-1)
@click.option(
    "-c", "--clusterPair", "cluster_pair", default=None, help="Every migration to this pair."
)
@click.option("-n", "--namespace", default="default", show_default=True)
@cluster_options
def delete(
    names: tuple[str, ...],
    cluster_pair: str | None,
    namespace: str,
    kubeconfig: str | None,
    context: str | None,
) -> None:
    """Delete Migrations (every name, or every one to -c PAIR); the destination is untouched."""
    if not names and not cluster_pair:
        raise UserError("at least one argument needs to be provided for migration name")
    with connect(kubeconfig, context) as client:
        for m in _select(client, names, cluster_pair, namespace, False):
            try:
                client.delete(MigrationResource, m["metadata"]["name"], namespace=namespace)
            except ApiError as e:
                raise api_error(e) from e
            click.echo(f"Migration {m['metadata']['name']} deleted successfully")


def register_crud(groups: dict[str, click.Group]) -> None:
    """Attach create/get/delete under every alias."""
    for alias in ALIASES:
        groups["create"].add_command(create, name=alias)
        groups["get"].add_command(get, name=alias)
        groups["delete"].add_command(delete, name=alias)
