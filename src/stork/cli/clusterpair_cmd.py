"""``storkctl generate|create|get|delete clusterpair`` (aliases clusterpairs, cp).

``generate`` runs against the destination and prints the pair for the source; ``create`` (Metro
DR, ``--mode sync-dr``) creates it in the source and, unless ``-u``, the reverse pair in the
destination. Credentials are never echoed in messages.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import click
from lightkube import ApiError, Client
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Namespace

from stork.api.constants import API_VERSION
from stork.cli.common import api_error, cluster_options, connect
from stork.cli.errors import ServerError, UserError
from stork.cli.formatting import key_values, parse_time, print_objects, rfc822, to_yaml
from stork.cli.table import print_table
from stork.kube.config import KubeconfigError, kubeconfig_paths, load_config_dict, make_client
from stork.kube.pairconfig import PairConfigError, exec_users, minify, to_stork_layout
from stork.kube.resources import ClusterPairResource

ALIASES = ("clusterpair", "clusterpairs", "cp")
RESOURCE = "clusterpairs.stork.libopenstorage.org"
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _check_names(name: str, namespace: str) -> None:
    """DNS-1123 checks with the Kubernetes messages Stork prints."""
    if len(name) > 253 or not _SUBDOMAIN.match(name):
        raise UserError(
            f'the Name "{name}" is not valid: [a lowercase RFC 1123 subdomain must consist '
            "of lower case alphanumeric characters, '-' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')]"
        )
    if len(namespace) > 63 or not _LABEL.match(namespace):
        raise UserError(
            f'the Namespace "{namespace}" is not valid: [a lowercase RFC 1123 label must '
            "consist of lower case alphanumeric characters or '-', and must start and end "
            "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
            "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')]"
        )


def pair_object(
    name: str,
    namespace: str,
    config: dict[str, Any],
    options: dict[str, str] | None,
    mappings: dict[str, str],
) -> dict[str, Any]:
    """A ClusterPair in Stork's generated layout."""
    platform: dict[str, Any] = {"rancher": {"projectMappings": mappings}} if mappings else {}
    return {
        "apiVersion": API_VERSION,
        "kind": "ClusterPair",
        "metadata": {"creationTimestamp": None, "name": name, "namespace": namespace},
        "spec": {
            "config": config,
            "options": {"insert_storage_options_here": ""} if options is None else options,
            "platformOptions": platform,
        },
        "status": {"remoteStorageId": "", "schedulerStatus": "", "storageStatus": ""},
    }


def _stork_config(kubeconfig: str | None, context: str | None) -> dict[str, Any]:
    """The chosen context's kubeconfig, files inlined, in Stork's layout; warns on exec users."""
    try:
        merged = load_config_dict(kubeconfig)
        config = to_stork_layout(minify(merged, context), str(kubeconfig_paths(kubeconfig)[0]))
    except (KubeconfigError, PairConfigError) as e:
        raise UserError(str(e)) from e
    for user in exec_users(config):
        click.echo(
            f"warning: user {user} authenticates with an exec plugin; the stork controller "
            "must have that plugin installed to reach this cluster",
            err=True,
        )
    return config


def _mappings(text: str | None) -> dict[str, str]:
    return key_values(text, "--project-mappings")


@click.command()
@click.argument("name")
@click.option("-n", "--namespace", default="default", show_default=True)
@click.option("-s", "--storageoptions", default=None, help="Storage options k=v,...")
@click.option("--project-mappings", default=None, help="Rancher projects source=destination,...")
@cluster_options
def generate(
    name: str,
    namespace: str,
    storageoptions: str | None,
    project_mappings: str | None,
    kubeconfig: str | None,
    context: str | None,
) -> None:
    """Print a ClusterPair for this (destination) cluster, to apply on the source."""
    _check_names(name, namespace)
    options = key_values(storageoptions, "--storageoptions") if storageoptions is not None else None
    mappings = _mappings(project_mappings)
    obj = pair_object(name, namespace, _stork_config(kubeconfig, context), options, mappings)
    click.echo(to_yaml(obj), nl=False)


def _create_pair(client: Client, obj: dict[str, Any]) -> None:
    namespace = obj["metadata"]["namespace"]
    try:
        client.get(Namespace, namespace)
    except ApiError as e:
        if e.status.code != 404:
            raise api_error(e) from e
        client.create(Namespace(metadata=ObjectMeta(name=namespace)))
    body = {**obj, "metadata": {"name": obj["metadata"]["name"], "namespace": namespace}}
    body.pop("status")
    try:
        client.create(ClusterPairResource.from_dict(body))
    except ApiError as e:
        raise api_error(e) from e


@click.command()
@click.argument("name")
@click.option("-n", "--namespace", default="default", show_default=True)
@click.option(
    "--src-kube-file",
    required=True,
    type=click.Path(dir_okay=False),
    help="kubeconfig of the source.",
)
@click.option(
    "--dest-kube-file",
    required=True,
    type=click.Path(dir_okay=False),
    help="kubeconfig of the destination.",
)
@click.option(
    "--mode",
    default="sync-dr",
    show_default=True,
    help="sync-dr (Metro DR); other modes need a storage driver.",
)
@click.option("-u", "--unidirectional", is_flag=True, help="Only the source -> destination pair.")
@click.option("--project-mappings", default=None, help="Rancher projects source=destination,...")
def create(
    name: str,
    namespace: str,
    src_kube_file: str,
    dest_kube_file: str,
    mode: str,
    unidirectional: bool,
    project_mappings: str | None,
) -> None:
    """Create the pair in the source (and the reverse pair in the destination)."""
    _check_names(name, namespace)
    if mode not in ("async-dr", "sync-dr", "migration"):
        raise UserError(
            f"invalid mode {mode}, mode value should either be async-dr, sync-dr or migration"
        )
    if mode != "sync-dr":
        raise UserError(
            f"mode {mode} pairs storage and needs a storage driver, which this stork does not "
            "have; use --mode sync-dr"
        )
    for path in (src_kube_file, dest_kube_file):
        if not Path(path).is_file():
            raise UserError(f"kubeconfig file {path} does not exist")
    mappings = _mappings(project_mappings)
    forward = pair_object(name, namespace, _stork_config(dest_kube_file, None), {}, mappings)
    with _client(src_kube_file) as source:
        _create_pair(source, forward)
    click.echo(f"ClusterPair {name} created successfully. Direction Source -> Destination\n")
    if unidirectional:
        return
    reverse = pair_object(
        name, namespace, _stork_config(src_kube_file, None), {}, {v: k for k, v in mappings.items()}
    )
    with _client(dest_kube_file) as destination:
        _create_pair(destination, reverse)
    click.echo(f"Cluster pair {name} created successfully. Direction: Destination -> Source")


def _client(kubeconfig: str) -> Client:
    try:
        return make_client(kubeconfig)
    except KubeconfigError as e:
        raise UserError(str(e)) from e


@click.command()
@click.argument("names", nargs=-1)
@click.option("-n", "--namespace", default="default", show_default=True)
@click.option("--all-namespaces", "-A", "all_namespaces", is_flag=True)
@click.option(
    "-o",
    "--output",
    type=click.Choice(["table", "json", "yaml"]),
    default="table",
    show_default=True,
)
@cluster_options
def get(
    names: tuple[str, ...],
    namespace: str,
    all_namespaces: bool,
    output: str,
    kubeconfig: str | None,
    context: str | None,
) -> None:
    """List ClusterPairs."""
    with connect(kubeconfig, context) as client:
        if names and not all_namespaces:
            objects = []
            for name in names:
                try:
                    objects.append(dict(client.get(ClusterPairResource, name, namespace=namespace)))
                except ApiError as e:
                    if e.status.code == 404:
                        raise ServerError(
                            f'Error from server (NotFound): {RESOURCE} "{name}" not found'
                        ) from e
                    raise api_error(e) from e
        else:
            objects = [
                dict(p)
                for p in client.list(
                    ClusterPairResource, namespace="*" if all_namespaces else namespace
                )
            ]
            if names:
                objects = [p for p in objects if p["metadata"]["name"] in names]
    objects.sort(key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"]))
    if output != "table":
        if objects:
            print_objects(objects, output)
        return
    if not objects:
        click.echo("No resources found.")
        return
    headers = ["NAME", "STORAGE-STATUS", "SCHEDULER-STATUS", "CREATED"]
    rows = []
    for p in objects:
        status = p.get("status") or {}
        row = [
            p["metadata"]["name"],
            str(status.get("storageStatus") or ""),
            str(status.get("schedulerStatus") or ""),
            rfc822(parse_time(p["metadata"].get("creationTimestamp"))),
        ]
        rows.append([p["metadata"]["namespace"], *row] if all_namespaces else row)
    print_table(["NAMESPACE", *headers] if all_namespaces else headers, rows)


@click.command()
@click.argument("names", nargs=-1, required=True)
@click.option("-n", "--namespace", default="default", show_default=True)
@cluster_options
def delete(
    names: tuple[str, ...], namespace: str, kubeconfig: str | None, context: str | None
) -> None:
    """Delete ClusterPairs (Stork has no such command)."""
    with connect(kubeconfig, context) as client:
        for name in names:
            try:
                client.delete(ClusterPairResource, name, namespace=namespace)
            except ApiError as e:
                if e.status.code == 404:
                    click.echo(
                        f'Error from server (NotFound): {RESOURCE} "{name}" not found', err=True
                    )
                    sys.exit(1)
                raise api_error(e) from e
            click.echo(f"ClusterPair {name} deleted successfully")


def register(groups: dict[str, click.Group]) -> None:
    """Attach the commands to storkctl's verb groups under every alias."""
    for alias in ALIASES:
        groups["generate"].add_command(generate, name=alias)
        groups["create"].add_command(create, name=alias)
        groups["get"].add_command(get, name=alias)
        groups["delete"].add_command(delete, name=alias)
