"""``storkctl generate|create|get clusterpair`` (get: alias ``cp``), and ``delete`` (ours).

``generate`` runs against the destination and prints the pair to apply on the source (with
``--secret``, a Secret holding the credentials and a pair referencing it); ``create --mode
sync-dr`` creates it in the source and, unless ``-u``, the reverse pair in the destination;
``get`` prints Stork's table (``-o wide`` adds whether the pair's transport is insecure);
``delete`` exists here (Stork has none).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from stork.api.timestamps import parse_time
from stork.cli.clusterpair_create import DEFAULT_MODE, check_files, check_mode, create_pairs
from stork.cli.clusterpair_input import (
    MAPPINGS_HELP,
    check_namespace,
    check_pair_name,
    parse_project_mappings,
    parse_storage_options,
)
from stork.cli.clusterpair_kube import delete_pair
from stork.cli.clusterpair_spec import (
    auth_warnings,
    load_minified,
    pair_object,
    secret_pair_objects,
    stork_config,
)
from stork.cli.command import Command, Invocation
from stork.cli.common import ALL_NAMESPACES, exactly_one, select, watch
from stork.cli.errors import UserError
from stork.cli.goflags import Flag, boolean, string
from stork.cli.output import print_result, rfc822, to_yaml
from stork.kube.resources import ClusterPairResource

NAME = "clusterpair"
ALIASES = ("cp", "clusterpairs")
COLUMNS = ("NAME", "STORAGE-STATUS", "SCHEDULER-STATUS", "CREATED")
#: ``-o wide``: the pair's ``InsecureTransport`` condition (set by the controller when the
#: pair's config skips TLS verification).
WIDE_COLUMN, INSECURE_CONDITION = "INSECURE-TRANSPORT", "InsecureTransport"


def generate(inv: Invocation) -> None:
    """Print a ClusterPair for this (destination) cluster, to create on the source (YAML)."""
    name = exactly_one(inv.args, "clusterpair name")
    check_pair_name(name)
    check_namespace(inv.namespace)
    options = parse_storage_options(inv.text("storageoptions") or None)
    minified = load_minified(inv.values["kubeconfig"] or None, inv.values["context"] or None)
    mappings = parse_project_mappings(inv.text("project-mappings") or None, generate=True)
    if inv.flag("secret"):
        for doc in secret_pair_objects(name, inv.namespace, minified, options, mappings):
            click.echo("---\n" + to_yaml(doc), nl=False)
        return
    config = stork_config(minified, inv.values["kubeconfig"] or None)
    for warning in auth_warnings(config):
        click.echo(warning, err=True)
    click.echo(to_yaml(pair_object(name, inv.namespace, config, options, mappings)), nl=False)


def create(inv: Invocation) -> None:
    """Create the pair in the source and the reverse pair in the destination (Metro DR).

    Stork's checks in Stork's order; the modes that pair storage (async-dr, Stork's default,
    and migration) need a storage driver, so they are refused once the parameters are checked.
    """
    name = exactly_one(inv.args, "clusterpair name")
    check_pair_name(name)
    check_namespace(inv.namespace)
    if any(inv.text(f) for f in ("src-ip", "src-port", "dest-ip", "dest-port")):
        return  # Stork's deprecated endpoint flags make the command do nothing at all
    mode = inv.text("mode")
    check_mode(mode, supported_only=False)
    source, destination = check_files(inv.text("src-kube-file"), inv.text("dest-kube-file"))
    check_mode(mode)
    mappings = parse_project_mappings(inv.text("project-mappings") or None)
    create_pairs(name, inv.namespace, source, destination, mappings, inv.flag("unidirectional"))


def insecure(pair: Mapping[str, Any]) -> str:
    """The status of the pair's InsecureTransport condition (``False`` when there is none)."""
    for condition in (pair.get("status") or {}).get("conditions") or []:
        if isinstance(condition, Mapping) and condition.get("type") == INSECURE_CONDITION:
            return str(condition.get("status") or "Unknown")
    return "False"


def _row(pair: Mapping[str, Any]) -> list[str]:
    status = pair.get("status") or {}
    return [
        pair["metadata"]["name"],
        str(status.get("storageStatus") or ""),
        str(status.get("schedulerStatus") or ""),
        rfc822(parse_time(pair["metadata"].get("creationTimestamp"))),
    ]


def get(inv: Invocation) -> None:
    """List ClusterPairs: NAME STORAGE-STATUS SCHEDULER-STATUS CREATED (-o wide: and more)."""

    def show() -> None:
        pairs, everywhere = select(inv, ClusterPairResource), inv.flag("all-namespaces")
        if inv.output == "wide":
            wide = (*COLUMNS, WIDE_COLUMN)
            print_result(pairs, "table", wide, lambda p: [*_row(p), insecure(p)], everywhere)
        else:
            print_result(pairs, inv.output, COLUMNS, _row, everywhere)

    watch(inv, ClusterPairResource, show)


def delete(inv: Invocation) -> None:
    """Delete ClusterPairs (Stork has no such command); the first failure stops."""
    if not inv.args:
        raise UserError("at least one argument needs to be provided for clusterpair name")
    for name in inv.args:
        delete_pair(inv.client(), name, inv.namespace)
        click.echo(f"ClusterPair {name} deleted successfully")


GENERATE_FLAGS = (
    string("storageoptions", "s", help="comma seperated key-value pair storage options"),
    string("project-mappings", help=MAPPINGS_HELP),
    boolean(
        "secret",
        help="Print a Secret holding the kubeconfig and a ClusterPair referencing it "
        "(spec.configSecretRef) instead of one with the kubeconfig inline (ours)",
    ),
)


def _deprecated(name: str, help_text: str, instead: str) -> Flag:
    flag = string(name, help=help_text)
    return Flag(
        flag.name, flag.kind, flag.default, flag.help, deprecated=f"instead provide {instead}"
    )


CREATE_FLAGS = (
    _deprecated("src-ip", "IP of storage node from source cluster", "--src-ep"),
    _deprecated("src-port", "Port of storage node from source cluster", "--src-ep"),
    string("src-ep", help="(Optional)Endpoint of portworx-api service in source cluster"),
    string("src-kube-file", help="Path to the kubeconfig of source cluster"),
    _deprecated("dest-ip", "IP of storage node from destination cluster", "--dest-ep"),
    _deprecated("dest-port", "Port of storage node from destination cluster", "--dest-ep"),
    string("dest-ep", help="(Optional)Endpoint of portworx-api service in destination cluster"),
    string("dest-kube-file", help="Path to the kubeconfig of destination cluster"),
    string("src-token", help="(Optional)Source cluster token for cluster pairing"),
    string("dest-token", help="(Optional)Destination cluster token for cluster pairing"),
    string("project-mappings", help=MAPPINGS_HELP),
    string("mode", default=DEFAULT_MODE, help="Mode of DR. [async-dr, sync-dr, migration]"),
    boolean(
        "unidirectional", "u", help="(Optional) to create Clusterpair from source -> dest only"
    ),
    string(
        "use-existing-objectstorelocation",
        help="(Optional) Objectstorelocation with the provided name should be present in both "
        "source and destination cluster",
    ),
    string("provider", "p", help="External objectstore provider name. [s3, azure, google]"),
    string("bucket", help="Bucket name"),
    string(
        "encryption-key", help="Encryption key for encrypting the data stored in the objectstore."
    ),
    string("s3-access-key", help="Access Key for S3"),
    string("s3-secret-key", help="Secret Key for S3"),
    string("s3-region", help="Region for S3"),
    string("s3-endpoint", help="EndPoint for S3"),
    string("s3-storage-class", help="Storage Class for S3"),
    boolean("disable-ssl", help="Set to true to disable ssl when using S3"),
    string("azure-account-name", help="Account name for Azure"),
    string("azure-account-key", help="Account key for Azure"),
    string("google-project-id", help="Project ID for Google"),
    string("google-key-file-path", help="Json key file path for Google"),
)


def register(verbs: Mapping[str, Command]) -> None:
    """Attach the commands to storkctl's verbs."""
    verbs["generate"].add(
        Command(
            NAME,
            "Generate a spec to be used for cluster pairing from a remote cluster",
            generate,
            ALIASES,
            GENERATE_FLAGS,
        )
    )
    verbs["create"].add(
        Command(
            NAME,
            "Create ClusterPair on source and destination cluster",
            create,
            ALIASES,
            CREATE_FLAGS,
            needs_cluster=False,
        )
    )
    verbs["get"].add(Command(NAME, "Get cluster pair resources", get, ALIASES, (ALL_NAMESPACES,)))
    verbs["delete"].add(Command(NAME, "Delete cluster pair resources (ours)", delete, ALIASES))
