"""``storkctl generate|create|get|delete clusterpair`` (aliases clusterpairs, cp).

``generate`` runs against the destination and prints the pair to apply on the source;
``create --mode sync-dr`` creates it in the source and, unless ``-u``, the reverse pair in the
destination; ``get`` prints Stork's table; ``delete`` exists here (Stork has none).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from lightkube import Client

from stork.api.timestamps import parse_time
from stork.cli.clusterpair_create import check_files, check_mode, create_pairs
from stork.cli.clusterpair_input import (
    MAPPING_FORMAT,
    check_namespace,
    check_pair_name,
    exactly_one_name,
    parse_project_mappings,
    parse_storage_options,
)
from stork.cli.clusterpair_kube import (
    RESOURCE,
    client_for,
    delete_pair,
    get_pair,
    list_pairs,
    server_errors,
)
from stork.cli.clusterpair_spec import auth_warnings, load_minified, pair_object, stork_config
from stork.cli.common import cluster_options
from stork.cli.errors import ServerError, UserError
from stork.cli.output import output_option, print_empty, print_objects, render, rfc822
from stork.cli.table import print_table

ALIASES = ("clusterpair", "clusterpairs", "cp")
COLUMNS = ("NAME", "STORAGE-STATUS", "SCHEDULER-STATUS", "CREATED")
_MAPPINGS_HELP = (
    "Project mappings between source and destination clusters (Rancher): comma-separated "
    f"{MAPPING_FORMAT} pairs."
)

F = TypeVar("F", bound=Callable[..., Any])


def global_options(fn: F) -> F:
    """storkctl's global flags, also accepted after the sub-command (``-n`` defaults to
    ``default`` as in Stork, not to the kubeconfig context's namespace)."""
    fn = output_option(fn)
    fn = cluster_options(fn)
    return click.option(
        "-n",
        "--namespace",
        default="default",
        show_default=True,
        help="The namespace scope for this request.",
    )(fn)


def _not_found(name: str) -> str:
    return f'Error from server (NotFound): {RESOURCE} "{name}" not found'


@click.command()
@click.argument("names", nargs=-1, metavar="NAME")
@click.option("-s", "--storageoptions", default=None, help="Comma-separated k=v storage options.")
@click.option("--project-mappings", default=None, help=_MAPPINGS_HELP)
@global_options
def generate(
    names: tuple[str, ...],
    storageoptions: str | None,
    project_mappings: str | None,
    namespace: str,
    kubeconfig: str | None,
    context: str | None,
    output: str,
) -> None:
    """Print a ClusterPair for this (destination) cluster, to create on the source."""
    minified = load_minified(kubeconfig, context)  # Stork first needs a usable kubeconfig
    name = exactly_one_name(names)
    check_pair_name(name)
    check_namespace(namespace)
    options = parse_storage_options(storageoptions)
    config = stork_config(minified, kubeconfig)
    mappings = parse_project_mappings(project_mappings)
    for warning in auth_warnings(config):
        click.echo(warning, err=True)
    pair = pair_object(name, namespace, config, options, mappings)
    click.echo(render(pair, "json" if output == "json" else "yaml"), nl=False)


@click.command()
@click.argument("names", nargs=-1, metavar="NAME")
@click.option("--src-kube-file", default=None, help="Path to the kubeconfig of the source.")
@click.option("--dest-kube-file", default=None, help="Path to the kubeconfig of the destination.")
@click.option(
    "--mode",
    default=None,
    help="Mode of DR: sync-dr (Metro DR) is the only one supported; async-dr and migration "
    "(Stork's default is async-dr) pair storage and need a storage driver.",
)
@click.option("-u", "--unidirectional", is_flag=True, help="Only the source -> destination pair.")
@click.option("--project-mappings", default=None, help=_MAPPINGS_HELP)
@global_options
def create(
    names: tuple[str, ...],
    src_kube_file: str | None,
    dest_kube_file: str | None,
    mode: str | None,
    unidirectional: bool,
    project_mappings: str | None,
    namespace: str,
    kubeconfig: str | None,
    context: str | None,
    output: str,
) -> None:
    """Create the pair in the source and the reverse pair in the destination (Metro DR).

    --kubeconfig, --context and -o are accepted (they are global flags) and not used: the two
    kubeconfig files name the clusters.
    """
    name = exactly_one_name(names)
    check_pair_name(name)
    check_namespace(namespace)
    check_mode(mode)
    source, destination = check_files(src_kube_file, dest_kube_file)
    mappings = parse_project_mappings(project_mappings)
    create_pairs(name, namespace, source, destination, mappings, unidirectional)


def _fetch(
    client: Client, names: tuple[str, ...], namespace: str | None
) -> tuple[list[dict[str, Any]], list[str]]:
    """The pairs asked for (all when no names) and an error line for every missing name."""
    if not names:
        return list_pairs(client, namespace), []
    if namespace is None:  # names across all namespaces: each must exist somewhere
        listed = list_pairs(client, None)
        found = [p for p in listed if p["metadata"]["name"] in names]
        seen = {p["metadata"]["name"] for p in found}
        return found, [_not_found(n) for n in names if n not in seen]
    pairs, missing = [], []
    for name in names:
        pair = get_pair(client, name, namespace)
        if pair is None:
            missing.append(_not_found(name))
        else:
            pairs.append(pair)
    return pairs, missing


def _row(pair: dict[str, Any], all_namespaces: bool) -> list[str]:
    status = pair.get("status") or {}
    meta = pair["metadata"]
    row = [
        meta["name"],
        str(status.get("storageStatus") or ""),
        str(status.get("schedulerStatus") or ""),
        rfc822(parse_time(meta.get("creationTimestamp"))),
    ]
    return [meta["namespace"], *row] if all_namespaces else row


@click.command()
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option(
    "--all-namespaces",
    "-A",
    "all_namespaces",
    is_flag=True,
    help="List the pairs of every namespace (-n is ignored).",
)
@global_options
def get(
    names: tuple[str, ...],
    all_namespaces: bool,
    namespace: str,
    kubeconfig: str | None,
    context: str | None,
    output: str,
) -> None:
    """List ClusterPairs: NAME STORAGE-STATUS SCHEDULER-STATUS CREATED."""
    with client_for(kubeconfig, context) as client, server_errors():
        pairs, missing = _fetch(client, names, None if all_namespaces else namespace)
    if output != "table":
        if pairs or not missing:
            print_objects(pairs, output)
    elif pairs:
        headers = ["NAMESPACE", *COLUMNS] if all_namespaces else list(COLUMNS)
        print_table(headers, [_row(p, all_namespaces) for p in pairs])
    elif not missing:
        print_empty()
    for line in missing:
        click.echo(line, err=True)
    if missing:
        raise click.exceptions.Exit(1)


@click.command()
@click.argument("names", nargs=-1, metavar="NAME...")
@global_options
def delete(
    names: tuple[str, ...],
    namespace: str,
    kubeconfig: str | None,
    context: str | None,
    output: str,
) -> None:
    """Delete ClusterPairs (Stork has no such command); every name is tried."""
    if not names:
        raise UserError("at least one argument needs to be provided for clusterpair name")
    failed = False
    with client_for(kubeconfig, context) as client:
        for name in names:
            try:
                with server_errors():
                    delete_pair(client, name, namespace)
            except ServerError as e:  # this name failed (e.g. NotFound): go on with the next
                e.show()
                failed = True
                continue
            click.echo(f"ClusterPair {name} deleted successfully")
    if failed:
        raise click.exceptions.Exit(1)


def register(groups: dict[str, click.Group]) -> None:
    """Attach the commands to storkctl's verb groups under every alias."""
    for alias in ALIASES:
        groups["generate"].add_command(generate, name=alias)
        groups["create"].add_command(create, name=alias)
        groups["get"].add_command(get, name=alias)
        groups["delete"].add_command(delete, name=alias)
