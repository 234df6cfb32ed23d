"""``storkctl perform failover|failback|drill``, ``get failover|failback|drill``, ``delete
drill`` and ``describe drill``: Stork's commands (checks, messages, table), and the drill.

``perform`` checks what Stork's storkctl checks, in its order and words, creates the Action
and prints Stork's two lines; ``--wait`` (ours) then follows the stages until the Action is
Final, and exits 1 if it failed. The Action controller on this cluster does the rest.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Mapping
from typing import Any

import click
import httpx2
from lightkube import ApiError, Client
from lightkube.resources.core_v1 import Namespace

from stork.api.action import ActionStage, ActionStatus, ActionType
from stork.api.timestamps import parse_time
from stork.cli.command import Command, Invocation
from stork.cli.common import watch
from stork.cli.errors import UserError
from stork.cli.goflags import boolean, string, strings
from stork.cli.output import print_empty, print_result, rfc822
from stork.cli.writes import create_object
from stork.failover.display import drill_report, more_info, pretty_stage
from stork.failover.drill import DEFAULT_SUFFIX, DRILL_LABEL, DrillError, drill_namespace, owned_by
from stork.failover.perform import (
    PerformError,
    action_name,
    action_object,
    choose_namespaces,
    is_static_copy,
    require_reference,
    schedule_namespaces,
    started_message,
    status_hint,
    template_spec,
)
from stork.kube.resources import ActionResource, ClusterPairResource, MigrationScheduleResource

COLUMNS = ("NAME", "CREATED", "STAGE", "STATUS", "MORE INFO")
#: ``--wait``: how often the Action is read, and for how long at most.
WAIT_POLL, WAIT_LIMIT = 1.0, 6 * 3600.0
DRILL_TIMEOUT_LIMIT = 3600
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
WHERE = {
    ActionType.FAILOVER: "ensure that `storkctl perform failover` is run in the cluster you want "
    "to failover to",
    ActionType.DRILL: "ensure that `storkctl perform drill` is run in the cluster that holds the "
    "standby copy",
}


def parse_duration(text: str) -> float:
    """A Go duration (``90s``, ``5m``, ``1h30m``) in seconds (raises ValueError)."""
    if not text or _DURATION.sub("", text):
        raise ValueError(f'time: invalid duration "{text}"')
    return sum(float(n) * _UNITS[unit] for n, unit in _DURATION.findall(text))


def row(action: Mapping[str, Any]) -> list[str]:
    """One line of Stork's ``get failover|failback`` table."""
    meta, status = action["metadata"], action.get("status") or {}
    return [
        str(meta["name"]),
        rfc822(parse_time(meta.get("creationTimestamp"))),
        pretty_stage(status.get("stage"), (action.get("spec") or {}).get("actionType")),
        str(status.get("status") or ""),
        more_info(action),
    ]


def _schedule(client: Client, name: str, namespace: str) -> dict[str, Any]:
    try:
        return dict(client.get(MigrationScheduleResource, name, namespace=namespace))
    except (ApiError, httpx2.HTTPStatusError) as e:
        raise UserError(
            f"unable to find the reference MigrationSchedule {name} in the {namespace} namespace"
        ) from e


def _check_pair(client: Client, schedule: Mapping[str, Any], namespace: str) -> None:
    pair = str(template_spec(schedule).get("clusterPair") or "")
    try:
        client.get(ClusterPairResource, pair, namespace=namespace)
    except (ApiError, httpx2.HTTPStatusError) as e:
        raise UserError(
            f"unable to find the ClusterPair {pair} in the {namespace} namespace"
        ) from e


def _migrated(client: Client, schedule: Mapping[str, Any]) -> list[str]:
    if not template_spec(schedule).get("namespaceSelectors"):
        return schedule_namespaces(schedule, [])
    try:
        objects = [n.to_dict() for n in client.list(Namespace)]
    except (ApiError, httpx2.HTTPError) as e:
        raise UserError(
            "unable to get the namespaces based on the --namespace-selectors in the provided "
            f"MigrationSchedule: {e}"
        ) from e
    return schedule_namespaces(schedule, objects)


def _drill_options(inv: Invocation, namespaces: list[str]) -> tuple[str, int | None]:
    suffix = inv.text("suffix")
    try:
        for ns in namespaces:
            drill_namespace(ns, suffix)
    except DrillError as e:
        raise UserError(str(e)) from e
    timeout: int | None = None
    if inv.text("timeout"):
        try:
            seconds = parse_duration(inv.text("timeout"))
        except ValueError as e:
            raise UserError(
                f'invalid argument "{inv.text("timeout")}" for "--timeout" flag: {e}'
            ) from e
        if not 1 <= seconds <= DRILL_TIMEOUT_LIMIT:
            raise UserError(f"--timeout must be between 1s and {DRILL_TIMEOUT_LIMIT // 60}m")
        timeout = int(seconds)
    return suffix, timeout


def _perform(action_type: ActionType) -> Any:
    def run(inv: Invocation) -> None:
        namespace, reference = inv.namespace, inv.text("migration-reference")
        skip = action_type is ActionType.FAILOVER and inv.flag("skip-source-operations")
        try:
            require_reference(action_type.value, reference)
        except PerformError as e:
            raise UserError(str(e)) from e
        client = inv.client()
        schedule = _schedule(client, reference, namespace)
        if action_type in WHERE and not is_static_copy(schedule):
            raise UserError(WHERE[action_type])
        if action_type is not ActionType.DRILL and not skip:
            _check_pair(client, schedule, namespace)
        migrated = _migrated(client, schedule)
        try:
            chosen = choose_namespaces(
                inv.items("include-namespaces"), inv.items("exclude-namespaces"), migrated
            )
        except PerformError as e:
            raise UserError(str(e)) from e
        suffix, timeout = (
            _drill_options(inv, chosen) if action_type is ActionType.DRILL else ("", None)
        )
        name = action_name(action_type.value, reference, dt.datetime.now().astimezone())
        body = action_object(
            action_type,
            namespace,
            name,
            reference,
            chosen,
            skip_source_operations=skip,
            suffix=suffix or None,
            keep=action_type is ActionType.DRILL and inv.flag("keep"),
            timeout_seconds=timeout,
        )
        try:
            create_object(client, ActionResource.from_dict(body))
        except (ApiError, httpx2.HTTPError) as e:
            message = e.status.message if isinstance(e, ApiError) else str(e)
            raise UserError(
                f"failed to start {action_type.value} for MigrationSchedule "
                f"{namespace}/{reference} : {message}"
            ) from e
        click.echo(started_message(action_type.value, namespace, reference))
        click.echo(status_hint(action_type.value, name, namespace))
        if inv.flag("wait"):
            follow(client, name, namespace, action_type)

    return run


def _line(action: Mapping[str, Any]) -> str:
    status = action.get("status") or {}
    stage = pretty_stage(status.get("stage"), (action.get("spec") or {}).get("actionType"))
    info = more_info(action)
    return f"{stage:<50} {status.get('status') or ''!s:<20}" + (f" {info}" if info else "")


def _skipped_note(action: Mapping[str, Any]) -> str | None:
    for condition in (action.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "SourceOperations" and condition.get("status") == "False":
            return str(condition.get("message") or "source operations skipped")
    return None


def follow(
    client: Client,
    name: str,
    namespace: str,
    action_type: ActionType,
    sleep: Any = time.sleep,
) -> None:
    """``--wait``: a line each time the stage, status or MORE INFO changes, until Final;
    exit 1 (the reason on stderr) when the Action failed."""
    click.echo(f"{'STAGE':<50} {'STATUS':<20} MORE INFO")
    deadline, shown = time.monotonic() + WAIT_LIMIT, None
    while True:
        action = dict(client.get(ActionResource, name, namespace=namespace))
        line = _line(action)
        if line != shown:
            click.echo(line)
            shown = line
        status = action.get("status") or {}
        if status.get("stage") == ActionStage.FINAL.value:
            note = _skipped_note(action)
            if note:
                click.echo(f"Source operations skipped: {note}")
            if status.get("status") == ActionStatus.SUCCESSFUL.value:
                click.echo(f"{action_type.value.capitalize()} {name} completed successfully")
                return
            raise UserError(
                f"{action_type.value} {name} failed: {status.get('reason') or 'see its status'}"
            )
        if time.monotonic() >= deadline:
            raise UserError(f"timed out waiting for {action_type.value} {name}")
        sleep(WAIT_POLL)


def _get(action_type: ActionType) -> Any:
    def run(inv: Invocation) -> None:
        def show() -> None:
            client = inv.client()
            if inv.args:
                found = [
                    dict(client.get(ActionResource, n, namespace=inv.namespace)) for n in inv.args
                ]
            else:
                listed = client.list(ActionResource, namespace=inv.namespace)
                found = sorted((dict(a) for a in listed), key=lambda a: a["metadata"]["name"])
            found = [a for a in found if (a.get("spec") or {}).get("actionType") == action_type]
            if not found:
                print_empty()
                return
            print_result(found, inv.output, COLUMNS, row, False)

        watch(inv, ActionResource, show)

    return run


def _drill(client: Client, name: str, namespace: str) -> dict[str, Any]:
    action = dict(client.get(ActionResource, name, namespace=namespace))
    if (action.get("spec") or {}).get("actionType") != ActionType.DRILL.value:
        raise UserError(f"{namespace}/{name} is not a drill")
    return action


def delete_drill(inv: Invocation) -> None:
    """Remove drills: their namespaces (only those they made), then the Actions."""
    if not inv.args:
        raise UserError("at least one argument needs to be provided for drill name")
    client = inv.client()
    for name in inv.args:
        action = _drill(client, name, inv.namespace)
        uid = str(action["metadata"].get("uid") or "")
        removed = []
        for ns in client.list(Namespace, labels={DRILL_LABEL: name}):
            if owned_by(ns.to_dict(), uid) and ns.metadata and ns.metadata.name:
                client.delete(Namespace, ns.metadata.name)
                removed.append(ns.metadata.name)
        client.delete(ActionResource, name, namespace=inv.namespace)
        suffix = f" (namespaces {', '.join(removed)} are being deleted)" if removed else ""
        click.echo(f"Drill {name} deleted successfully{suffix}")


def describe_drill(inv: Invocation) -> None:
    """The printable report of each drill named."""
    if not inv.args:
        raise UserError("at least one argument needs to be provided for drill name")
    client = inv.client()
    for i, name in enumerate(inv.args):
        action = _drill(client, name, inv.namespace)
        created = rfc822(parse_time(action["metadata"].get("creationTimestamp")))
        finished = ""
        if (action.get("status") or {}).get("stage") == ActionStage.FINAL.value:
            finished = rfc822(parse_time((action.get("status") or {}).get("finishTimestamp")))
        click.echo(("\n" if i else "") + drill_report(action, created, finished), nl=False)


MIGRATION_REFERENCE = "Specify the MigrationSchedule to {}. Also specify the namespace of this MigrationSchedule using the -n flag"  # noqa: E501 - Stork's help text
INCLUDE = "Specify the comma-separated list of subset namespaces to be {}. By default, all namespaces part of the MigrationSchedule are {}"  # noqa: E501
EXCLUDE = "Specify the comma-separated list of subset namespaces to be skipped during the {}. By default, all namespaces part of the MigrationSchedule are {}"  # noqa: E501
WAIT = "Follow the stages until the action is done (exit code 1 if it failed)"


def _flags(verb: str, done: str) -> tuple[Any, ...]:
    return (
        string("migration-reference", "m", help=MIGRATION_REFERENCE.format(verb)),
        strings("include-namespaces", help=INCLUDE.format(done, done)),
        strings("exclude-namespaces", help=EXCLUDE.format(verb, done)),
        boolean("wait", help=WAIT),
    )


def register(verbs: Mapping[str, Command]) -> None:
    """Attach the commands to storkctl's verbs (``perform`` is Stork's verb for these)."""
    perform = verbs["perform"]
    failover_flags = (
        boolean(
            "skip-source-operations",
            help="If present, operations performed on the source cluster will be skipped, and "
            "applications on the current cluster will be scaled up",
        ),
        *_flags("failover", "failed over"),
    )
    perform.add(
        Command(
            "failover",
            "Initiate failover of the given migration schedule",
            _perform(ActionType.FAILOVER),
            flags=failover_flags,
        ),
        Command(
            "failback",
            "Initiate failback of the given migration schedule",
            _perform(ActionType.FAILBACK),
            flags=_flags("failback", "failed back"),
        ),
        Command(
            "drill",
            "Rehearse a failover: bring the standby up in <ns>-<suffix> namespaces here, isolated, "
            "report, tear down",
            _perform(ActionType.DRILL),
            flags=(
                *_flags("drill", "drilled"),
                string("suffix", default=DEFAULT_SUFFIX, help="Drill namespaces are <ns>-<suffix>"),
                boolean("keep", help="Leave the drill namespaces for inspection"),
                string("timeout", help="How long to wait for the workloads to be Ready (5m)"),
            ),
        ),
    )
    for action_type, short in (
        (ActionType.FAILOVER, "Get the status of failover actions"),
        (ActionType.FAILBACK, "Get the status of failback actions"),
        (ActionType.DRILL, "Get the status of drills"),
    ):
        verbs["get"].add(Command(action_type.value, short, _get(action_type)))
    verbs["delete"].add(Command("drill", "Delete drills and their namespaces", delete_drill))
    verbs["describe"].add(Command("drill", "Print the report of drills", describe_drill))
