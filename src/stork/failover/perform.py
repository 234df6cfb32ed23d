"""What ``storkctl perform failover|failback|drill`` checks and creates (pure), in Stork's words.

The checks that need the cluster (the schedule exists, it is a static copy, its pair exists)
are made by the command with these messages; the namespace choice, the names and the Action
object itself are computed here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from stork.api.action import ActionStatus, ActionType
from stork.api.constants import API_VERSION, STATIC_COPY_ANNOTATION

#: Kubernetes' DNS-1123 subdomain limit: the longest name of an object.
NAME_LIMIT = 253
#: Go's ``2006-01-02-150405``, the suffix of an Action's name.
NAME_TIME_FORMAT = "%Y-%m-%d-%H%M%S"
LAST_MILE_PREFIX = "lastmile"
#: Annotation of a last-mile Migration naming the schedule its spec came from (Stork's).
LAST_MILE_SCHEDULE_ANNOTATION = "stork.libopenstorage.org/lastmile-migration-schedule-name"
SUBSET = "are not a subset of the namespaces being migrated by the given MigrationSchedule"
BOTH_LISTS = "can provide only one of --include-namespaces or --exclude-namespaces values at once"


class PerformError(ValueError):
    """A request storkctl refuses (the message is Stork's)."""


def go_list(values: Iterable[str]) -> str:
    """A list as Go's ``%v`` prints a ``[]string``: ``[a b]``."""
    return "[" + " ".join(values) + "]"


def require_reference(action_type: str, name: str) -> None:
    """The schedule's name must be given."""
    if not name:
        raise PerformError(
            f"reference MigrationSchedule name needs to be provided for {action_type}"
        )


def is_static_copy(schedule: Mapping[str, Any]) -> bool:
    """True for the destination's copy of a schedule (the cluster to fail over to holds it)."""
    annotations = (schedule.get("metadata") or {}).get("annotations") or {}
    return annotations.get(STATIC_COPY_ANNOTATION) == "true"


def template_spec(schedule: Mapping[str, Any]) -> Mapping[str, Any]:
    """The Migration spec of a schedule's template."""
    return ((schedule.get("spec") or {}).get("template") or {}).get("spec") or {}


def schedule_namespaces(
    schedule: Mapping[str, Any], namespace_objects: Iterable[Mapping[str, Any]]
) -> list[str]:
    """The namespaces a schedule migrates, as Stork merges them: the names given, in their
    order, and with selectors also every namespace (of ``namespace_objects``, this cluster's)
    matching any ``key=value`` (then sorted; Stork's order there is a Go map's)."""
    spec = template_spec(schedule)
    names = [str(n) for n in spec.get("namespaces") or []]
    selectors = spec.get("namespaceSelectors") or {}
    if not selectors:
        return names
    merged = set(names)
    for obj in namespace_objects:
        meta = obj.get("metadata") or {}
        labels = meta.get("labels") or {}
        if any(labels.get(k) == v for k, v in selectors.items()):
            merged.add(str(meta.get("name")))
    return sorted(merged)


def choose_namespaces(
    include: Sequence[str] | None, exclude: Sequence[str] | None, migrated: Sequence[str]
) -> list[str]:
    """The namespaces to act on: ``include`` (a subset), all but ``exclude``, or all."""
    if include and exclude:
        raise PerformError(BOTH_LISTS)
    given = include or exclude
    if not given:
        return list(migrated)
    missing = [n for n in given if n not in set(migrated)]
    if missing:
        raise PerformError(f"provided namespaces {go_list(missing)} {SUBSET}")
    if include:
        return list(include)
    return [n for n in migrated if n not in set(exclude or ())]


def action_name(action_type: str, reference: str, now: dt.datetime) -> str:
    """``<type>-<schedule, truncated>-<YYYY-MM-DD-HHMMSS>`` (Stork's ``getActionName``; ``now``
    in the local time zone, as Stork's clock)."""
    suffix = now.strftime(NAME_TIME_FORMAT)
    room = NAME_LIMIT - len(action_type) - len(suffix) - 2
    return "-".join((action_type, reference[:room], suffix))


def short_uid(uid: str) -> str:
    """The first 7 characters of a UID ("" for a shorter one), as Stork's ``GetShortUID``."""
    return uid[:7] if len(uid) >= 8 else ""


def last_mile_name(schedule: str, operation: str, uid: str) -> str:
    """``<schedule, truncated>-lastmile-<operation>-<uid7>`` (Stork's last-mile name)."""
    short = short_uid(uid)
    room = NAME_LIMIT - len(LAST_MILE_PREFIX) - len(operation) - len(short) - 3
    return "-".join((schedule[:room], LAST_MILE_PREFIX, operation.lower(), short))


def action_object(
    action_type: ActionType,
    namespace: str,
    name: str,
    schedule: str,
    namespaces: list[str],
    *,
    skip_source_operations: bool = False,
    suffix: str | None = None,
    keep: bool = False,
    timeout_seconds: int | None = None,
) -> dict[str, Any]:
    """The Action ``storkctl perform`` creates."""
    if action_type is ActionType.FAILOVER:
        parameter: dict[str, Any] = {
            "failoverParameter": {
                "failoverNamespaces": namespaces,
                "migrationScheduleReference": schedule,
                "skipSourceOperations": skip_source_operations,
            }
        }
    elif action_type is ActionType.FAILBACK:
        parameter = {
            "failbackParameter": {
                "failbackNamespaces": namespaces,
                "migrationScheduleReference": schedule,
            }
        }
    else:
        drill: dict[str, Any] = {
            "drillNamespaces": namespaces,
            "migrationScheduleReference": schedule,
            "suffix": suffix,
            "keep": keep,
        }
        if timeout_seconds is not None:
            drill["timeoutSeconds"] = timeout_seconds
        parameter = {"drillParameter": drill}
    return {
        "apiVersion": API_VERSION,
        "kind": "Action",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"actionType": action_type.value, "actionParameter": parameter},
        "status": {"status": ActionStatus.INITIAL.value},
    }


def started_message(action_type: str, namespace: str, schedule: str) -> str:
    """What ``perform`` prints once the Action exists."""
    return f"Started {action_type} for MigrationSchedule {namespace}/{schedule}"


def status_hint(action_type: str, name: str, namespace: str) -> str:
    """Stork's second line: how to follow the Action."""
    return (
        f"To check {action_type} status use the command : "
        f"`storkctl get {action_type} {name} -n {namespace}`"
    )
