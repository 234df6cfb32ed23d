"""``storkctl create|get|delete|describe schedulepolicy`` (aliases ``schedulepolicies``, ``sp``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click
from lightkube import ApiError

from stork.api.constants import API_VERSION
from stork.cli.common import api_error, cluster_options, connect
from stork.cli.errors import ServerError, UserError
from stork.cli.formatting import print_objects
from stork.cli.table import print_table
from stork.kube.resources import MigrationScheduleResource, SchedulePolicyResource
from stork.schedule import POLICY_TYPES, PolicyError, get_retain, next_trigger, validate_policy

ALIASES = ("schedulepolicy", "schedulepolicies", "sp")
_TYPE_FLAGS = {
    "Interval": ("--interval-minutes", "--retain"),
    "Daily": ("--time", "--retain", "--force-full-snapshot-day"),
    "Weekly": ("--day-of-week", "--time", "--retain"),
    "Monthly": ("--date-of-month", "--time", "--retain"),
}


def _not_found(name: str) -> UserError:
    resource = "schedulepolicies.stork.libopenstorage.org"
    return ServerError(f'Error from server (NotFound): {resource} "{name}" not found')


@click.command()
@click.argument("name")
@click.option(
    "-t",
    "--policy-type",
    default="Interval",
    show_default=True,
    help="Interval, Daily, Weekly or Monthly.",
)
@click.option("-i", "--interval-minutes", type=int, default=30, show_default=True)
@click.option("--retain", type=int, default=0, help="Objects to keep (0: the type's default).")
@click.option(
    "--time", "time_", default="12:00AM", show_default=True, help="Time of day (Kitchen: 1:02PM)."
)
@click.option("--day-of-week", default="Sunday", show_default=True)
@click.option("--date-of-month", type=int, default=1, show_default=True)
@click.option("--force-full-snapshot-day", default="Monday", show_default=True)
@click.option(
    "--time-zone", default=None, help="IANA zone of the time (default: the controller's)."
)
@cluster_options
@click.pass_context
def create(
    ctx: click.Context,
    name: str,
    policy_type: str,
    interval_minutes: int,
    retain: int,
    time_: str,
    day_of_week: str,
    date_of_month: int,
    force_full_snapshot_day: str,
    time_zone: str | None,
    kubeconfig: str | None,
    context: str | None,
) -> None:
    """Create a schedule policy."""
    kind = next((t for t in POLICY_TYPES if t.lower() == policy_type.lower()), None)
    if kind is None:
        raise UserError(
            f"invalid policy type: {policy_type}. Valid types are: {', '.join(POLICY_TYPES)}"
        )
    given = {
        f"--{p.name.replace('_', '-')}" if p.name != "time_" else "--time"
        for p in ctx.command.params
        if isinstance(p, click.Option)
        and ctx.get_parameter_source(p.name or "") == click.core.ParameterSource.COMMANDLINE
    } - {"--policy-type", "--kubeconfig", "--context", "--time-zone"}
    stray = sorted(given - set(_TYPE_FLAGS[kind]))
    if stray:
        allowed = " and ".join(", ".join(_TYPE_FLAGS[kind]).rsplit(", ", 1))
        raise UserError(
            f"for an {kind} SchedulePolicy you can only provide values for {allowed} flags"
        )
    keep = retain if retain > 0 else get_retain({"policy": {kind.lower(): {}}}, kind)
    section: dict[str, Any]
    if kind == "Interval":
        section = {"intervalMinutes": interval_minutes, "retain": keep}
    elif kind == "Daily":
        section = {
            "time": time_,
            "retain": keep,
            "forceFullSnapshotDay": force_full_snapshot_day.lower(),
        }
    elif kind == "Weekly":
        section = {"day": day_of_week.lower(), "time": time_, "retain": keep}
    else:
        section = {"date": date_of_month, "time": time_, "retain": keep}
    body: dict[str, Any] = {kind.lower(): section}
    if time_zone:
        body["timeZone"] = time_zone
    obj = {
        "apiVersion": API_VERSION,
        "kind": "SchedulePolicy",
        "metadata": {"name": name},
        "policy": body,
    }
    try:
        validate_policy(obj)
    except PolicyError as e:
        raise UserError(str(e)) from e
    with connect(kubeconfig, context) as client:
        try:
            client.create(SchedulePolicyResource.from_dict(obj))
        except ApiError as e:
            raise api_error(e) from e
    click.echo(f"Schedule policy {name} created successfully")


def _cell(policy: dict[str, Any], kind: str) -> str:
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


def _print(objects: list[dict[str, Any]], output: str) -> None:
    if output == "table":
        if not objects:
            click.echo("No resources found.")
            return
        rows = [[o["metadata"]["name"], *(_cell(o, t) for t in POLICY_TYPES)] for o in objects]
        print_table(["NAME", "INTERVAL-MINUTES", "DAILY", "WEEKLY", "MONTHLY"], rows)
        return
    print_objects(objects, output)


@click.command()
@click.argument("names", nargs=-1)
@click.option(
    "-o",
    "--output",
    type=click.Choice(["table", "json", "yaml"]),
    default="table",
    show_default=True,
)
@cluster_options
def get(names: tuple[str, ...], output: str, kubeconfig: str | None, context: str | None) -> None:
    """List schedule policies (all, or the NAMES given)."""
    with connect(kubeconfig, context) as client:
        if names:
            objects = []
            for name in names:
                try:
                    objects.append(dict(client.get(SchedulePolicyResource, name)))
                except ApiError as e:
                    if e.status.code == 404:
                        raise _not_found(name) from e
                    raise
        else:
            objects = sorted(
                (dict(o) for o in client.list(SchedulePolicyResource)),
                key=lambda o: o["metadata"]["name"],
            )
    _print(objects, output)


@click.command()
@click.argument("names", nargs=-1, required=True)
@cluster_options
def delete(names: tuple[str, ...], kubeconfig: str | None, context: str | None) -> None:
    """Delete schedule policies that no MigrationSchedule uses."""
    with connect(kubeconfig, context) as client:
        users: dict[str, list[str]] = {}
        for s in client.list(MigrationScheduleResource, namespace="*"):
            policy = (s.get("spec") or {}).get("schedulePolicyName")
            users.setdefault(str(policy), []).append(
                f"{s['metadata']['namespace']}/{s['metadata']['name']}"
            )
        for name in names:
            if name in users:
                used_by = ", ".join(sorted(users[name]))
                raise UserError(
                    f"cannot delete schedule policy {name}: used by MigrationSchedule(s) {used_by}"
                )
            try:
                client.delete(SchedulePolicyResource, name)
            except ApiError as e:
                if e.status.code == 404:
                    raise _not_found(name) from e
                raise
            click.echo(f"Schedule policy {name} deleted successfully")


@click.command()
@click.argument("names", nargs=-1, required=True)
@cluster_options
def describe(names: tuple[str, ...], kubeconfig: str | None, context: str | None) -> None:
    """Show a policy's sections, its validity and its next trigger times."""
    now = dt.datetime.now(dt.UTC)
    with connect(kubeconfig, context) as client:
        for i, name in enumerate(names):
            try:
                obj = dict(client.get(SchedulePolicyResource, name))
            except ApiError as e:
                if e.status.code == 404:
                    raise _not_found(name) from e
                raise
            if i:
                click.echo("")
            click.echo(f"Name:        {name}")
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


def register(
    create_group: click.Group,
    get_group: click.Group,
    delete_group: click.Group,
    describe_group: click.Group,
) -> None:
    """Attach the commands to storkctl's verb groups under every alias."""
    for alias in ALIASES:
        create_group.add_command(create, name=alias)
        get_group.add_command(get, name=alias)
        delete_group.add_command(delete, name=alias)
        describe_group.add_command(describe, name=alias)
