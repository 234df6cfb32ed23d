"""``storkctl create|get|delete schedulepolicy`` (alias ``sp``), and ``describe`` (ours)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import click
import httpx2
from lightkube import Client
from lightkube.generic_resource import create_namespaced_resource

from stork.api.constants import API_VERSION, GROUP, VERSION
from stork.cli.command import Command, Invocation
from stork.cli.common import is_not_found
from stork.cli.errors import UserError, server_message
from stork.cli.goflags import integer, string
from stork.cli.goshape import SCHEDULE_POLICY, shaped
from stork.cli.output import print_result
from stork.cli.writes import create_object
from stork.kube.resources import MigrationScheduleResource, SchedulePolicyResource
from stork.schedule import POLICY_TYPES, RETAIN_DEFAULTS, PolicyError, next_trigger, validate_policy
from stork.schedule.days import DAY_NAMES

NAME = "schedulepolicy"
ALIASES = ("sp", "schedulepolicies")
COLUMNS = ("NAME", "INTERVAL-MINUTES", "DAILY", "WEEKLY", "MONTHLY")
#: The schedule kinds whose objects may use a policy, as Stork's ``delete`` lists them.
USERS = (
    ("Migration Schedules", MigrationScheduleResource),
    (
        "Application Backup Schedules",
        create_namespaced_resource(
            GROUP, VERSION, "ApplicationBackupSchedule", "applicationbackupschedules"
        ),
    ),
    (
        "Volume Snapshot Schedules",
        create_namespaced_resource(
            GROUP, VERSION, "VolumeSnapshotSchedule", "volumesnapshotschedules"
        ),
    ),
)
#: Flags that may not be given for a policy type (Stork's checks, in Stork's order).
_FOREIGN = {
    "interval": ("time", "day-of-week", "date-of-month", "force-full-snapshot-day"),
    "daily": ("interval-minutes", "day-of-week", "date-of-month"),
    "weekly": ("interval-minutes", "force-full-snapshot-day", "date-of-month"),
    "monthly": ("interval-minutes", "force-full-snapshot-day", "day-of-week"),
}
_ALLOWED = {
    "interval": "an Interval SchedulePolicy you can only provide values for --interval-minutes "
    "and --retain flags",
    "daily": "a Daily SchedulePolicy you can only provide values for --time, --retain and "
    "--force-full-snapshot-day flags",
    "weekly": "a Weekly SchedulePolicy you can only provide values for --time, --day-of-week and "
    "--retain flags",
    "monthly": "a Monthly SchedulePolicy you can only provide values for --time, --date-of-month "
    "and --retain flags",
}
CREATE_FLAGS = (
    string(
        "policy-type",
        "t",
        "Interval",
        "Select Type of schedule policy to apply. Interval / Daily / Weekly / Monthly.",
    ),
    integer(
        "interval-minutes",
        "i",
        30,
        "Specify the interval, in minutes, after which Stork should trigger the operation.",
    ),
    integer(
        "retain",
        help="For backup operations,specify how many backups triggered as part of this schedule "
        "should be retained.",
    ),
    string(
        "time",
        default="12:00AM",
        help="Specify the time of the day in the 12 hour AM/PM format, when Stork should trigger "
        "the operation.",
    ),
    string(
        "force-full-snapshot-day",
        default="Monday",
        help="For daily scheduled backup operations, specify on which day to trigger a full "
        "backup.",
    ),
    string(
        "day-of-week",
        default="Sunday",
        help="Specify the day of the week when Stork should trigger the operation. You can use "
        "both the abbreviated or the full name of the day of the week.",
    ),
    integer(
        "date-of-month",
        default=1,
        help="Specify the date of the month when Stork should trigger the operation.",
    ),
    string(
        "time-zone",
        help="IANA time zone of --time (ours; default: the controller's --time-zone).",
    ),
)


def policy_section(inv: Invocation, kind: str) -> dict[str, Any]:
    """The policy section Stork's ``create schedulepolicy`` builds (validated, Stork's order)."""
    for flag in _FOREIGN[kind]:
        if inv.given(flag):
            raise UserError(f"for {_ALLOWED[kind]}")
    retain = inv.number("retain") or RETAIN_DEFAULTS[kind.capitalize()]
    section: dict[str, Any]
    if kind == "interval":
        section = {"intervalMinutes": inv.number("interval-minutes"), "retain": retain}
    elif kind == "daily":
        full_day = inv.text("force-full-snapshot-day").lower()
        if full_day not in DAY_NAMES:
            raise UserError(
                f"invalid day of the week ({full_day}) in policy.daily.forceFullSnapshotDay"
            )
        section = {"time": inv.text("time"), "retain": retain, "forceFullSnapshotDay": full_day}
    elif kind == "weekly":
        day = inv.text("day-of-week").lower()
        section = {"day": day, "time": inv.text("time"), "retain": retain}
    else:
        section = {"date": inv.number("date-of-month"), "time": inv.text("time"), "retain": retain}
    try:
        validate_policy({"policy": {kind: section}})
    except PolicyError as e:
        raise UserError(str(e)) from e
    return section


def create(inv: Invocation) -> None:
    """Create a SchedulePolicy as Stork does (the type's default retain stored explicitly)."""
    if len(inv.args) != 1:
        raise UserError("exactly one name needs to be provided for schedule policy name")
    name = inv.args[0]
    if inv.given("retain") and inv.number("retain") <= 0:
        raise UserError("need to provide a valid value for retain. It should be a positive integer")
    kind = inv.text("policy-type").lower()
    if kind not in _FOREIGN:
        raise UserError(
            "need to provide a valid schedule policy type. Valid schedule types are Interval, "
            "Daily, Weekly and Monthly"
        )
    body: dict[str, Any] = {kind: policy_section(inv, kind)}
    if inv.text("time-zone"):
        body["timeZone"] = inv.text("time-zone")
    obj = shaped(
        {
            "apiVersion": API_VERSION,
            "kind": "SchedulePolicy",
            "metadata": {"name": name},
            "policy": body,
        },
        SCHEDULE_POLICY,
    )
    try:
        validate_policy(obj)
    except PolicyError as e:  # only our own timeZone check can still fail here
        raise UserError(str(e)) from e
    create_object(inv.client(), SchedulePolicyResource.from_dict(obj))
    click.echo(f"Schedule policy {name} created successfully")


def _cell(policy: Mapping[str, Any], kind: str) -> str:
    """Stork's table cell: N/A (no section), Invalid, or the section's time/interval."""
    section = (policy.get("policy") or {}).get(kind.lower())
    if not section:
        return "N/A"
    try:
        validate_policy({"policy": {kind.lower(): section}})
    except PolicyError:
        return "Invalid"
    if kind == "Interval":
        return str(section["intervalMinutes"])
    if kind == "Daily":
        return str(section["time"])
    if kind == "Weekly":
        return f"{section['day']}@{section['time']}"
    return f"{section['date']}@{section['time']}"


def _row(policy: Mapping[str, Any]) -> list[str]:
    return [policy["metadata"]["name"], *(_cell(policy, t) for t in POLICY_TYPES)]


def _policies(client: Client, names: list[str]) -> list[dict[str, Any]]:
    """The named policies (the first missing one is the error), or every policy."""
    if names:
        return [dict(client.get(SchedulePolicyResource, name)) for name in names]
    return sorted(
        (dict(o) for o in client.list(SchedulePolicyResource)), key=lambda o: o["metadata"]["name"]
    )


def get(inv: Invocation) -> None:
    """List schedule policies (all, or the names given)."""
    policies = _policies(inv.client(), inv.args)
    print_result(policies, inv.output, COLUMNS, _row, with_namespace=False)


def _users(client: Client, name: str) -> dict[str, list[str]]:
    """``namespace/name`` of every schedule using policy ``name``, by Stork's schedule kinds.

    Kinds whose CRD is not installed (Stork's backup and snapshot schedules) have no users.
    """
    users: dict[str, list[str]] = {}
    for title, resource in USERS:
        try:
            found = list(client.list(resource, namespace="*"))
        except httpx2.HTTPStatusError as e:
            if is_not_found(e):
                continue
            raise UserError(
                f"cannot delete the schedule policy {name}. Unable to verify if the schedule "
                f"policy is linked to other resources. {server_message(e)}"
            ) from e
        keys = sorted(
            (o["metadata"]["namespace"], o["metadata"]["name"])
            for o in found
            if (o.get("spec") or {}).get("schedulePolicyName") == name
        )
        users[title] = [f"{namespace}/{schedule}" for namespace, schedule in keys]
    return users


def delete(inv: Invocation) -> None:
    """Delete schedule policies that no schedule uses (Stork's check and message)."""
    if not inv.args:
        raise UserError("at least one argument needs to be provided for schedule policy name")
    client = inv.client()
    for name in inv.args:
        linked = {title: names for title, names in _users(client, name).items() if names}
        if linked:
            message = "\nThe resource is linked to -> " + "".join(
                f"{title} : {' , '.join(names)}\n" for title, names in linked.items()
            )
            raise UserError(f"cannot delete the schedule policy {name}.{message}")
        client.delete(SchedulePolicyResource, name)
        click.echo(f"Schedule policy {name} deleted successfully")


def describe(inv: Invocation) -> None:
    """Show a policy's sections, its validity and its next trigger times (ours)."""
    if not inv.args:
        raise UserError("at least one argument needs to be provided for schedule policy name")
    now = dt.datetime.now(dt.UTC)
    for i, obj in enumerate(_policies(inv.client(), inv.args)):
        if i:
            click.echo("")
        click.echo(f"Name:        {obj['metadata']['name']}")
        body = obj.get("policy") or {}
        click.echo(f"Time Zone:   {body.get('timeZone') or '(controller default)'}")
        try:
            validate_policy(obj)
            click.echo("Valid:       yes")
        except PolicyError as e:
            click.echo(f"Valid:       no ({e})")
            continue
        for kind in POLICY_TYPES:
            cell = _cell(obj, kind)
            if cell == "N/A":
                continue
            upcoming = next_trigger(
                obj,
                kind,
                now,
                now + dt.timedelta(seconds=1),
                default_tz=dt.UTC if kind == "Interval" else None,
            )
            when = upcoming.astimezone().strftime("%d %b %y %H:%M %Z") if upcoming else "never"
            click.echo(f"{kind + ':':<13}{cell:<22} next (if last run now): {when}")


def register(verbs: Mapping[str, Command]) -> None:
    """Attach the commands to storkctl's verbs."""
    verbs["create"].add(Command(NAME, "Create schedule policy", create, ALIASES, CREATE_FLAGS))
    verbs["get"].add(Command(NAME, "Get schedule policies", get, ALIASES))
    verbs["delete"].add(Command(NAME, "Delete schedule policies", delete, ALIASES))
    verbs["describe"].add(
        Command(NAME, "Show schedule policies and their next trigger times", describe, ALIASES)
    )
