"""Stork's objects as Go's ``encoding/json`` marshals Stork's typed structs.

Stork's ``storkctl`` builds and prints typed Go objects: what it sends to the API server and what
``-o json|yaml`` shows has every field of the struct in declaration order, zero values for unset
fields without ``omitempty`` (``""``, ``false``, ``0``, ``null``), map keys sorted. ``shape``
turns a dict (as the API returns it, or as a command builds it) into exactly that; fields the Go
struct does not have (e.g. our ``status.conditions``) are kept, after the known ones. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

STRING, BOOL, INT, NULL, ANY = "string", "bool", "int", "null", "any"


@dataclass(frozen=True)
class Struct:
    """A Go struct: its JSON fields in declaration order; ``pointer`` structs are null when
    unset, plain ones are their zero value."""

    fields: tuple[tuple[str, Shape, bool], ...]
    pointer: bool = False


@dataclass(frozen=True)
class ListOf:
    """A Go slice (null when unset) of one shape."""

    item: Shape


@dataclass(frozen=True)
class MapOf:
    """A Go map (null when unset, keys sorted) of one shape."""

    value: Shape


Shape = Union[str, Struct, ListOf, MapOf]  # noqa: UP007 - a forward-referenced alias


def _fields(
    *entries: tuple[str, Shape] | tuple[str, Shape, bool],
) -> tuple[tuple[str, Shape, bool], ...]:
    return tuple((e[0], e[1], bool(e[2]) if len(e) == 3 else False) for e in entries)


OMIT = True
OBJECT_META = Struct(
    _fields(
        ("name", STRING, OMIT),
        ("generateName", STRING, OMIT),
        ("namespace", STRING, OMIT),
        ("selfLink", STRING, OMIT),
        ("uid", STRING, OMIT),
        ("resourceVersion", STRING, OMIT),
        ("generation", INT, OMIT),
        ("creationTimestamp", NULL),
        ("deletionTimestamp", NULL, OMIT),
        ("deletionGracePeriodSeconds", NULL, OMIT),
        ("labels", MapOf(STRING), OMIT),
        ("annotations", MapOf(STRING), OMIT),
        ("ownerReferences", ANY, OMIT),
        ("finalizers", ANY, OMIT),
        ("managedFields", ANY, OMIT),
    )
)


def kind_object(*body: tuple[str, Shape] | tuple[str, Shape, bool]) -> Struct:
    """A Kubernetes object: ``kind``, ``apiVersion`` (omitempty), ``metadata``, then ``body``."""
    return Struct(
        _fields(
            ("kind", STRING, OMIT), ("apiVersion", STRING, OMIT), ("metadata", OBJECT_META), *body
        )
    )


def _policy(*first: tuple[str, Shape]) -> Struct:
    return Struct(_fields(*first, ("retain", INT), ("options", MapOf(STRING))), pointer=True)


INTERVAL_POLICY = _policy(("intervalMinutes", INT))
DAILY_POLICY = Struct(
    _fields(
        ("time", STRING),
        ("retain", INT),
        ("options", MapOf(STRING)),
        ("forceFullSnapshotDay", STRING),
    ),
    pointer=True,
)
WEEKLY_POLICY = _policy(("day", STRING), ("time", STRING))
MONTHLY_POLICY = _policy(("date", INT), ("time", STRING))
SCHEDULE_POLICY = kind_object(
    (
        "policy",
        Struct(
            _fields(
                ("interval", INTERVAL_POLICY),
                ("daily", DAILY_POLICY),
                ("weekly", WEEKLY_POLICY),
                ("monthly", MONTHLY_POLICY),
            )
        ),
    )
)

_STRINGS, _LABELS = ListOf(STRING), MapOf(STRING)
MIGRATION_SPEC = Struct(
    _fields(
        ("clusterPair", STRING),
        ("adminClusterPair", STRING),
        ("namespaces", _STRINGS),
        ("namespaceSelectors", _LABELS),
        ("includeResources", NULL),
        ("includeVolumes", NULL),
        ("startApplications", NULL),
        ("purgeDeletedResources", NULL),
        ("skipServiceUpdate", NULL),
        ("includeNetworkPolicyWithCIDR", NULL),
        ("selectors", _LABELS),
        ("excludeSelectors", _LABELS),
        ("preExecRule", STRING),
        ("postExecRule", STRING),
        ("includeOptionalResourceTypes", _STRINGS),
        ("skipDeletedNamespaces", NULL),
        ("transformSpecs", _STRINGS),
        ("ignoreOwnerReferencesCheck", NULL),
        ("excludeResourceTypes", _STRINGS),
    )
)
_RESOURCE_INFO = Struct(
    _fields(
        ("name", STRING),
        ("namespace", STRING),
        ("group", STRING),
        ("version", STRING),
        ("kind", STRING),
        ("status", STRING),
        ("reason", STRING),
        ("transformedBy", STRING),
    ),
    pointer=True,
)
_VOLUME_INFO = Struct(
    _fields(
        ("persistentVolumeClaim", STRING),
        ("namespace", STRING),
        ("volume", STRING),
        ("status", STRING),
        ("bytesTotal", INT),
        ("reason", STRING),
    ),
    pointer=True,
)
_SUMMARY = Struct(
    _fields(
        ("totalNumberOfVolumes", INT),
        ("numOfMigratedVolumes", INT),
        ("totalNumberOfResources", INT),
        ("numOfMigratedResources", INT),
        ("totalBytesMigrated", INT),
        ("elapsedTimeForVolumeMigration", STRING),
        ("elapsedTimeForResourceMigration", STRING),
    ),
    pointer=True,
)
MIGRATION = kind_object(
    ("spec", MIGRATION_SPEC),
    (
        "status",
        Struct(
            _fields(
                ("stage", STRING),
                ("status", STRING),
                ("resources", ListOf(_RESOURCE_INFO)),
                ("volumes", ListOf(_VOLUME_INFO)),
                ("finishTimestamp", NULL),
                ("volumeMigrationFinishTimestamp", NULL),
                ("resourceMigrationFinishTimestamp", NULL),
                ("summary", _SUMMARY),
            )
        ),
    ),
)
_SCHEDULED = Struct(
    _fields(
        ("name", STRING), ("creationTimestamp", NULL), ("finishTimestamp", NULL), ("status", STRING)
    ),
    pointer=True,
)
MIGRATION_SCHEDULE = kind_object(
    (
        "spec",
        Struct(
            _fields(
                ("template", Struct(_fields(("spec", MIGRATION_SPEC)))),
                ("schedulePolicyName", STRING),
                ("suspend", NULL),
                ("autoSuspend", BOOL),
            )
        ),
    ),
    (
        "status",
        Struct(_fields(("items", MapOf(ListOf(_SCHEDULED))), ("applicationActivated", BOOL))),
    ),
)
_KUBE_CONFIG = Struct(
    _fields(
        ("kind", STRING, OMIT),
        ("apiVersion", STRING, OMIT),
        ("preferences", Struct(_fields(("colors", BOOL, OMIT), ("extensions", ANY, OMIT)))),
        ("clusters", MapOf(ANY)),
        ("users", MapOf(ANY)),
        ("contexts", MapOf(ANY)),
        ("current-context", STRING),
        ("extensions", ANY, OMIT),
    )
)
CLUSTER_PAIR = kind_object(
    (
        "spec",
        Struct(
            _fields(
                ("config", _KUBE_CONFIG),
                ("options", _LABELS),
                ("platformOptions", Struct(_fields(("rancher", ANY, OMIT)))),
            )
        ),
    ),
    (
        "status",
        Struct(
            _fields(
                ("schedulerStatus", STRING), ("storageStatus", STRING), ("remoteStorageId", STRING)
            )
        ),
    ),
)

SHAPES: Mapping[str, Struct] = {
    "SchedulePolicy": SCHEDULE_POLICY,
    "Migration": MIGRATION,
    "MigrationSchedule": MIGRATION_SCHEDULE,
    "ClusterPair": CLUSTER_PAIR,
}


def _empty(value: Any) -> bool:
    """Go's ``omitempty`` test: false, 0, "", nil, empty map or slice."""
    if value is None or value is False or value == "" or value == {} or value == []:
        return True
    return isinstance(value, int) and not isinstance(value, bool) and value == 0


def zero(shape: Shape) -> Any:
    """The JSON of a Go zero value of ``shape``."""
    if shape == STRING:
        return ""
    if shape == BOOL:
        return False
    if shape == INT:
        return 0
    if isinstance(shape, Struct) and not shape.pointer:
        return shaped({}, shape)
    return None


def plain(value: Any) -> Any:
    """A JSON value with every map's keys sorted (Go marshals maps sorted)."""
    if isinstance(value, Mapping):
        return {k: plain(value[k]) for k in sorted(value)}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [plain(v) for v in value]
    return value


def shaped(value: Any, shape: Shape) -> Any:
    """``value`` as Go would marshal it after decoding it into ``shape``."""
    if isinstance(shape, Struct):
        if value is None:
            return zero(shape)
        if not isinstance(value, Mapping):
            return plain(value)  # not what the struct expects: shown as it is
        out: dict[str, Any] = {}
        for name, sub, omitempty in shape.fields:
            item = shaped(value[name], sub) if name in value else zero(sub)
            if omitempty and not isinstance(sub, Struct) and _empty(item):
                continue
            out[name] = item
        known = {name for name, _, _ in shape.fields}
        out.update((k, plain(value[k])) for k in sorted(value) if k not in known)
        return out
    if isinstance(shape, ListOf):
        if not isinstance(value, Sequence) or isinstance(value, str):
            return plain(value)
        return [shaped(v, shape.item) for v in value]
    if isinstance(shape, MapOf):
        if not isinstance(value, Mapping):
            return plain(value)
        return {k: shaped(value[k], shape.value) for k in sorted(value)}
    if value is None:
        return zero(shape)
    return plain(value)


def go_object(obj: Mapping[str, Any]) -> dict[str, Any]:
    """An object of one of Stork's kinds as Stork's typed client has it (others: maps sorted)."""
    shape = SHAPES.get(str(obj.get("kind", "")))
    result = shaped(obj, shape) if shape is not None else plain(obj)
    return dict(result)
