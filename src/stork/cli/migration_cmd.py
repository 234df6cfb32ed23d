"""``storkctl create|get|delete migrations`` and ``activate|deactivate migrations``."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
import httpx2
import yaml
from lightkube import ApiError, Client
from lightkube.resources.core_v1 import Namespace

from stork.api.constants import API_VERSION
from stork.api.timestamps import parse_time
from stork.cli import dryrun_report
from stork.cli.command import Command, Invocation
from stork.cli.common import (
    ALL_NAMESPACES,
    delete_each,
    is_not_found,
    namespaces,
    select,
    watch,
)
from stork.cli.errors import UserError
from stork.cli.formatting import go_duration
from stork.cli.goflags import boolean, string, strings
from stork.cli.goshape import MIGRATION, shaped
from stork.cli.output import print_objects, print_result, rfc822
from stork.cli.writes import create_object
from stork.failover.activation import activate_namespaces
from stork.kube.resources import ClusterPairResource, MigrationResource, RuleResource

NAME = "migrations"
ALIASES = ("migration",)
COLUMNS = (
    "NAME",
    "CLUSTERPAIR",
    "STAGE",
    "STATUS",
    "VOLUMES",
    "RESOURCES",
    "CREATED",
    "ELAPSED",
    "TOTAL BYTES TRANSFERRED",
)
#: What Stork prints in TOTAL BYTES TRANSFERRED for a migration without a summary.
NO_SUMMARY_BYTES = "Available with stork v2.9.0+"
FINAL_STATUSES = {
    "Successful": "completed successfully",
    "PartialSuccess": "completed successfully",
    "Failed": "failed",
}
#: ``--wait``: Stork looks first after 5 s; here every 2 s after that (Stork: 30 s), printing a
#: line when stage or status changed, for at most 6 hours (Stork's limit).
WAIT_FIRST, WAIT_POLL, WAIT_LIMIT = 5.0, 2.0, 6 * 3600.0

CREATE_FLAGS = (
    strings("namespaces", help="Comma separated list of namespaces to migrate"),
    string("clusterPair", "c", help="ClusterPair name for migration"),
    boolean("includeResources", "r", True, "Include resources in the migration"),
    boolean("includeVolumes", default=True, help="Include volumees in the migration"),
    boolean("wait", help="Wait for migration to complete"),
    boolean(
        "dry-run",
        help=(
            "Validate migration params, then plan the migration against the destination"
            " without writing there, and print the plan (-o diff: the diffs of the updates)"
        ),
    ),
    boolean(
        "startApplications",
        "a",
        True,
        "Start applications on the destination cluster after migration",
    ),
    string("preExecRule", help="Rule to run before executing migration"),
    string("postExecRule", help="Rule to run after executing migration"),
    string("file", "f", help="file to run migration"),
)


def _elapsed(migration: Mapping[str, Any], now: dt.datetime) -> str:
    """Stork's ELAPSED without a summary: finish - creation once Final, else time since creation."""
    status = migration.get("status") or {}
    created = parse_time(migration["metadata"].get("creationTimestamp"))
    if created is None:
        return ""
    if status.get("stage") == "Final":
        finished = parse_time(status.get("finishTimestamp"))
        return go_duration(finished - created) if finished else ""
    return go_duration(now - created)


def _progress(spec_flag: Any, entries: Any) -> str:
    """``done/total`` of Stork's entries (Successful ones are done), N/A when excluded."""
    if spec_flag is False:
        return "N/A"
    items = [e for e in entries or [] if isinstance(e, Mapping)]
    done = sum(1 for e in items if e.get("status") == "Successful")
    return f"{done}/{len(items)}"


def row(migration: Mapping[str, Any], now: dt.datetime | None = None) -> list[str]:
    """One line of Stork's ``get migrations`` table."""
    spec, status = migration.get("spec") or {}, migration.get("status") or {}
    summary = status.get("summary")
    head = [
        migration["metadata"]["name"],
        str(spec.get("clusterPair") or ""),
        str(status.get("stage") or ""),
        str(status.get("status") or ""),
    ]
    created = rfc822(parse_time(migration["metadata"].get("creationTimestamp")))
    if isinstance(summary, Mapping):

        def count(done: str, total: str) -> str:
            return f"{int(summary.get(done) or 0)}/{int(summary.get(total) or 0)}"

        elapsed = (
            f"Volumes ({summary.get('elapsedTimeForVolumeMigration') or ''}) "
            f"Resources ({summary.get('elapsedTimeForResourceMigration') or ''})"
        )
        return [
            *head,
            count("numOfMigratedVolumes", "totalNumberOfVolumes"),
            count("numOfMigratedResources", "totalNumberOfResources"),
            created,
            elapsed,
            str(int(summary.get("totalBytesMigrated") or 0)),
        ]
    return [
        *head,
        _progress(spec.get("includeVolumes"), status.get("volumes")),
        _progress(spec.get("includeResources"), status.get("resources")),
        created,
        _elapsed(migration, now or dt.datetime.now(dt.UTC)),
        NO_SUMMARY_BYTES,
    ]


def get(inv: Invocation) -> None:
    """List Migrations (``-w``: and again on every change)."""

    def show() -> None:
        found, now = select(inv, MigrationResource, _pair_of), dt.datetime.now(dt.UTC)
        print_result(found, inv.output, COLUMNS, lambda m: row(m, now), inv.flag("all-namespaces"))

    watch(inv, MigrationResource, show)


def _pair_of(migration: Mapping[str, Any]) -> str:
    return str((migration.get("spec") or {}).get("clusterPair") or "")


def delete(inv: Invocation) -> None:
    """Delete Migrations: the names given, or every one of ``-c PAIR`` (destination untouched)."""
    need = "at least one argument needs to be provided for migration name"
    delete_each(inv, MigrationResource, "Migration", _pair_of, need)


def _rule_check(client: Client, name: str, namespace: str) -> str:
    if not name:
        return "NotConfigured\n"
    try:
        client.get(RuleResource, name, namespace=namespace)
    except httpx2.HTTPStatusError as e:
        if is_not_found(e):
            return "NotFound\n"
        raise
    return "Ok\n"


def validate(client: Client, migration: Mapping[str, Any], err: bool = False) -> None:
    """Stork's ``ValidateMigration`` (``--dry-run``, ``-f``): its checks, printed as Stork does
    (``err``: on stderr)."""

    def echo(text: str, nl: bool = True) -> None:
        click.echo(text, nl=nl, err=err)

    spec, namespace = migration.get("spec") or {}, migration["metadata"]["namespace"]
    status = "Ok\n"
    echo("[Optional] Checking Migration Namespaces....", nl=False)
    for ns in spec.get("namespaces") or []:
        try:
            client.get(Namespace, ns)
        except ApiError:
            status = f"Missing namespace {ns}\n"
    echo(status, nl=False)
    echo("[Required] Checking ClusterPair Status....", nl=False)
    if not spec.get("clusterPair"):
        status = "ClusterPair is empty\n"
    pair = dict(
        client.get(ClusterPairResource, str(spec.get("clusterPair") or ""), namespace=namespace)
    )
    pair_status = pair.get("status") or {}
    if pair_status.get("storageStatus") != "Ready" or pair_status.get("schedulerStatus") != "Ready":
        status = "NotReady\n"
    echo(status, nl=False)
    echo("[Optional] Checking PreExec Rule....", nl=False)
    echo(_rule_check(client, str(spec.get("preExecRule") or ""), namespace), nl=False)
    echo("[Optional] Checking PostExec Rule....", nl=False)
    echo(_rule_check(client, str(spec.get("postExecRule") or ""), namespace), nl=False)
    echo("All Ready!!")


def _from_file(inv: Invocation) -> None:
    """``create migration -f FILE``: only validate the Migration the file holds."""
    path = inv.text("file")
    try:
        text = Path(path).read_text()
    except OSError as e:
        raise UserError(
            f"error opening file {path}: open {path}: {(e.strerror or str(e)).lower()}"
        ) from e
    try:
        migration = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise UserError(f"error reading file {path}: not valid YAML or JSON") from e
    if not isinstance(migration, dict):
        raise UserError(f"error reading file {path}: not a Migration object")
    meta = migration.get("metadata")
    meta = dict(meta) if isinstance(meta, dict) else {}
    meta["namespace"] = meta.get("namespace") or inv.namespace
    migration["metadata"] = meta
    validate(inv.client(), migration)


def wait(client: Client, name: str, namespace: str, err: bool = False) -> dict[str, Any]:
    """Stork's ``--wait``: the STAGE/STATUS lines until the status is final, then its message
    (``err``: on stderr); returns the final Migration."""

    def echo(text: str) -> None:
        click.echo(text, err=err)

    echo(f"STAGE\t\t{'STATUS':<20}")
    time.sleep(WAIT_FIRST)
    deadline, shown = time.monotonic() + WAIT_LIMIT, None
    while True:
        migration = dict(client.get(MigrationResource, name, namespace=namespace))
        status = migration.get("status") or {}
        line = f"{status.get('stage') or ''}\t\t{status.get('status') or '':<20}"
        if line != shown:
            echo(line)
            shown = line
        outcome = FINAL_STATUSES.get(str(status.get("status") or ""))
        if outcome is not None:
            echo(f"Migration {name} {outcome}")
            return migration
        if time.monotonic() >= deadline:
            raise UserError(
                "timed out performing task., Error was: DoRetryWithTimeout timed out. Errors "
                f"generated in retries: {{{status.get('status') or ''}}}"
            )
        time.sleep(WAIT_POLL)


def create(inv: Invocation) -> None:
    """Start a Migration with Stork's defaults (resources, volumes and started applications).

    The ClusterPair need not exist: as with Stork, the controller reports it on the Migration.
    """
    if inv.text("file"):
        _from_file(inv)
        return
    if len(inv.args) != 1:
        raise UserError("exactly one name needs to be provided for migration name")
    name = inv.args[0]
    if not inv.text("clusterPair"):
        raise UserError("ClusterPair name needs to be provided for migration")
    namespaces = inv.items("namespaces")
    if not namespaces:
        raise UserError("need to provide atleast one namespace to migrate")
    migration = shaped(
        {
            "metadata": {"name": name, "namespace": inv.namespace},
            "spec": {
                "clusterPair": inv.text("clusterPair"),
                "namespaces": namespaces,
                "includeResources": inv.flag("includeResources"),
                "includeVolumes": inv.flag("includeVolumes"),
                "startApplications": inv.flag("startApplications"),
                "preExecRule": inv.text("preExecRule"),
                "postExecRule": inv.text("postExecRule"),
            },
        },
        MIGRATION,
    )
    client = inv.client()
    if inv.flag("dry-run"):
        _dry_run(inv, client, migration)
        return
    body = {"apiVersion": API_VERSION, "kind": "Migration", **migration}
    create_object(client, MigrationResource.from_dict(body))
    if inv.flag("wait"):
        wait(client, name, inv.namespace)
    else:
        click.echo(f"Migration {name} created successfully")


def _dry_run(inv: Invocation, client: Client, migration: dict[str, Any]) -> None:
    """``--dry-run``: Stork's checks, then a Migration with ``spec.dryRun: true``, followed
    until Final, and its report (``-o diff``: the updates' diffs only, the rest on stderr)."""
    output = inv.output
    if output not in dryrun_report.FORMATS:
        raise UserError(f"unsupported output type {output}")
    quiet = output != "table"
    validate(client, migration, err=quiet)
    name = migration["metadata"]["name"]
    spec = {**migration["spec"], "dryRun": True}
    body = {"apiVersion": API_VERSION, "kind": "Migration", **migration, "spec": spec}
    create_object(client, MigrationResource.from_dict(body))
    final = wait(client, name, inv.namespace, err=quiet)
    status = final.get("status") or {}
    resources = [r for r in status.get("resources") or [] if isinstance(r, Mapping)]
    total = int((status.get("summary") or {}).get("totalNumberOfResources") or 0)
    if output == "diff":
        click.echo(dryrun_report.diffs(resources), nl=False)
    elif output == "table":
        click.echo(dryrun_report.table(resources))
        click.echo(dryrun_report.summary(name, resources, max(0, total - len(resources))))
    else:
        print_objects([final], output)
    if status.get("status") == "Failed":
        raise UserError(f"dry run of migration {name} failed: {_complete_message(status)}")


def _complete_message(status: Mapping[str, Any]) -> str:
    for condition in status.get("conditions") or []:
        if isinstance(condition, Mapping) and condition.get("type") == "Complete":
            return str(condition.get("message") or "")
    return "see its status"


def _activation(activate: bool) -> Any:
    def run(inv: Invocation) -> None:
        client = inv.client()
        if not inv.flag("all-namespaces"):
            client.get(Namespace, inv.namespace)  # a clear NotFound rather than nothing at all
        names = namespaces(inv)
        activate_namespaces(
            client, names, activate, click.echo, lambda line: click.echo(line, err=True)
        )

    return run


def register(verbs: Mapping[str, Command]) -> None:
    """Attach the commands to storkctl's verbs."""
    verbs["create"].add(Command(NAME, "Start a migration", create, ALIASES, CREATE_FLAGS))
    get_flags = (
        string("clusterpair", "c", help="Name of the cluster pair for which to list migrations"),
        ALL_NAMESPACES,
    )
    verbs["get"].add(Command(NAME, "Get migration resources", get, ALIASES, get_flags))
    delete_flags = (
        string(
            "clusterPair",
            "c",
            help="Name of the ClusterPair for which to delete ALL migrations",
        ),
    )
    verbs["delete"].add(Command(NAME, "Delete migration resources", delete, ALIASES, delete_flags))
    for verb, activate, text in (
        ("activate", True, "Activate"),
        ("deactivate", False, "Deactivate"),
    ):
        flags = (boolean("all-namespaces", "a", help=f"{text} applications in all namespaces"),)
        verbs[verb].add(
            Command(
                NAME,
                f"{text} apps that were created from a migration",
                _activation(activate),
                ALIASES,
                flags,
            )
        )
