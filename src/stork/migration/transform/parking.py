"""What a migration parks on the standby, the record of it, and putting it back (pure).

Parking sets a field to a value that keeps the object inert on the destination: a Job's
``spec.suspend: true``, a DaemonSet's node selector that matches no node, an operator's custom
resource at 0 replicas, a webhook's ``failurePolicy: Ignore``. Every parked field is recorded in
the JSON annotation :data:`PARKED_ANNOTATION` of its object: the path (keys and list indexes),
the original value (no ``original`` key: the field was absent), the parked value, and, for a
cluster-scoped object, the namespace the field belongs to (a webhook's service namespace), so
that activating a namespace touches only what is its own.

:func:`restore` puts the originals back exactly (an absent field is removed again) and keeps the
record, so that :func:`repark` (deactivation) can park the object again.

Carried forward: a source object that is itself a parked copy (a chain of migrations, or a
parked object migrated back) records the original of its record, never its parked value; see
:func:`carried_original`.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stork.migration.transform._objects import (
    MISSING,
    Obj,
    Step,
    get_in,
    get_path,
    path_text,
    put_path,
    string_map,
    with_metadata_map,
)

PARKED_ANNOTATION = "stork.libopenstorage.org/parked"


@dataclass(frozen=True)
class Change:
    """One field to park: where, the value that parks it, and what it was (MISSING: absent)."""

    path: tuple[Step, ...]
    parked: Any
    original: Any = MISSING
    #: The namespace a field of a cluster-scoped object belongs to (None: the object's own).
    namespace: str | None = None


def _valid_path(value: Any) -> tuple[Step, ...] | None:
    if not isinstance(value, list) or not value:
        return None
    steps: list[Step] = []
    for step in value:
        if isinstance(step, bool) or not isinstance(step, str | int):
            return None
        steps.append(step)
    return tuple(steps)


def records(obj: Mapping[str, Any]) -> list[Change]:
    """The parked fields recorded on ``obj`` (an unreadable record reads as none: it may come
    from anywhere, and only well-formed entries are ever acted on)."""
    text = string_map(get_in(obj, "metadata", "annotations")).get(PARKED_ANNOTATION)
    if not isinstance(text, str):
        return []
    try:
        entries = json.loads(text)
    except ValueError:
        return []
    out = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or "parked" not in entry:
            continue
        path = _valid_path(entry.get("path"))
        namespace = entry.get("namespace")
        if path is None or not isinstance(namespace, str | None):
            continue
        out.append(Change(path, entry["parked"], entry.get("original", MISSING), namespace))
    return out


def carried_original(obj: Mapping[str, Any], path: Sequence[Step]) -> Any:
    """What ``path`` of ``obj`` was before any parking: the recorded original when the field
    still holds its recorded parked value (``obj`` is a parked copy), else its value now."""
    current = get_path(obj, path)
    for entry in records(obj):
        if entry.path == tuple(path) and entry.parked == current:
            return entry.original
    return current


def _encode(changes: Iterable[Change]) -> str:
    entries = []
    for c in sorted(changes, key=lambda c: json.dumps(c.path)):
        entry: dict[str, Any] = {"path": list(c.path), "parked": c.parked}
        if c.original is not MISSING:
            entry["original"] = c.original
        if c.namespace is not None:
            entry["namespace"] = c.namespace
        entries.append(entry)
    return json.dumps(entries, sort_keys=True, separators=(",", ":"))


def _with_record(obj: Mapping[str, Any], changes: Sequence[Change]) -> Obj:
    annotations = string_map(get_in(obj, "metadata", "annotations"))
    if changes:
        annotations[PARKED_ANNOTATION] = _encode(changes)
    else:
        annotations.pop(PARKED_ANNOTATION, None)
    return with_metadata_map(obj, "annotations", annotations)


def park(obj: Mapping[str, Any], changes: Sequence[Change]) -> Obj:
    """``obj`` with each change's parked value set and the record replaced by ``changes``
    (none: the record is removed). A change whose path does not fit the object is left out."""
    out: Any = dict(obj)
    kept = []
    for change in changes:
        try:
            out = put_path(out, change.path, change.parked)
        except ValueError:
            continue
        kept.append(change)
    return _with_record(out, kept)


def _set_each(obj: Mapping[str, Any], values: Iterable[tuple[tuple[Step, ...], Any]]) -> Obj:
    out: Any = dict(obj)
    for path, value in values:
        try:
            out = put_path(out, path, value)
        except ValueError:
            continue  # the object changed shape since it was parked: nothing to put back there
    result: Obj = out
    return result


def _mine(entry: Change, namespaces: Collection[str] | None) -> bool:
    return namespaces is None or entry.namespace is None or entry.namespace in namespaces


def restore(obj: Mapping[str, Any], namespaces: Collection[str] | None = None) -> Obj:
    """``obj`` with its recorded originals back (the record is kept). ``namespaces`` limits a
    cluster-scoped object to the fields of those namespaces."""
    return _set_each(obj, ((e.path, e.original) for e in records(obj) if _mine(e, namespaces)))


def repark(obj: Mapping[str, Any], namespaces: Collection[str] | None = None) -> Obj:
    """``obj`` with its recorded fields parked again (deactivation)."""
    return _set_each(obj, ((e.path, e.parked) for e in records(obj) if _mine(e, namespaces)))


def started(obj: Mapping[str, Any]) -> Obj:
    """A source object as it travels with startApplications true: a parked copy is started
    from its record (only the fields still at their parked value), and the record is dropped."""
    entries = records(obj)
    if not entries:
        return dict(obj)
    out = _set_each(
        obj, ((e.path, e.original) for e in entries if get_path(obj, e.path) == e.parked)
    )
    return _with_record(out, [])


def is_parked(obj: Mapping[str, Any], namespaces: Collection[str] | None = None) -> bool:
    """Whether some recorded field of ``obj`` (of ``namespaces``) holds its parked value."""
    return any(get_path(obj, e.path) == e.parked for e in records(obj) if _mine(e, namespaces))


def _shown(value: Any) -> str:
    return "(absent)" if value is MISSING else json.dumps(value, sort_keys=True)


def describe(obj: Mapping[str, Any]) -> str:
    """``parked on the standby: spec.suspend false -> true`` (empty when nothing is parked),
    for the ledger."""
    entries = records(obj)
    if not entries:
        return ""
    parts = [f"{path_text(e.path)} {_shown(e.original)} -> {_shown(e.parked)}" for e in entries]
    return "parked on the standby: " + "; ".join(parts)
