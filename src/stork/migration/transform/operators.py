"""Operator custom resources suspended on the standby, per ApplicationRegistration (pure).

An ApplicationRegistration names, for a custom resource kind, the fields that switch it off
(``suspendOptions`` and ``customSuspendOptions``: a dotted path, a type ``int|bool|string`` and
for bool and string the "off" value), e.g. prometheus-operator's ``Prometheus`` ``spec.replicas``
(int: off is 0). With startApplications false each such field of a migrated resource is set to
its off value; the original is recorded twice:

* in Stork's annotation ``stork.libopenstorage.org/<path>`` = ``"<original>,<off value>"``
  exactly as Stork writes it (Stork's own ``storkctl activate`` reads it; for bool it holds no
  original, as in Stork), and
* in the parking record (``parking``), which keeps the value's type and whether the field was
  there at all: activation restores from it exactly (Stork sets a bool to the opposite of the
  off value, whatever it was before).

Kinds are matched by API group and kind, in any version (Stork also requires the version the
registration names). Originals are carried forward from either record when the source object is
itself a suspended copy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from stork.api.constants import ANNOTATION_PREFIX
from stork.migration.transform._objects import (
    MISSING,
    Obj,
    get_in,
    get_path,
    go_bool,
    group_kind,
    put_path,
    string_map,
    with_metadata_map,
)
from stork.migration.transform.parking import Change, carried_original, park, started

SUSPEND_TYPES = ("int", "bool", "string")


@dataclass(frozen=True, order=True)
class SuspendOption:
    """One field that suspends a kind: dotted path, type and (bool, string) off value."""

    path: str
    type: str
    value: str = ""

    @property
    def steps(self) -> tuple[str, ...]:
        """The path's keys (Stork splits on dots; list indexes are not supported)."""
        return tuple(self.path.split("."))

    @property
    def off(self) -> Any:
        """The value that suspends: 0, Go's ParseBool of the value (else true), or the value."""
        if self.type == "int":
            return 0
        if self.type == "bool":
            parsed = go_bool(self.value)
            return True if parsed is None else parsed
        return self.value

    @property
    def annotation(self) -> str:
        """Stork's annotation key of this path."""
        return ANNOTATION_PREFIX + self.path


SuspendRules = Mapping[tuple[str, str], tuple[SuspendOption, ...]]
"""(API group, kind) -> the options that suspend that kind."""


def _option(value: Any) -> SuspendOption | None:
    if not isinstance(value, Mapping):
        return None
    path, kind, off = value.get("path"), value.get("type"), value.get("value") or ""
    if not isinstance(path, str) or not isinstance(off, str) or kind not in SUSPEND_TYPES:
        return None
    # Stork acts only on paths of two steps or more, and never on empty steps.
    if len(path.split(".")) < 2 or "" in path.split("."):
        return None
    return SuspendOption(path, str(kind), off)


def suspend_rules(
    registrations: Iterable[Mapping[str, Any]],
) -> dict[tuple[str, str], tuple[SuspendOption, ...]]:
    """The suspend options of ApplicationRegistration objects (as the API returns them), by
    (group, kind). Malformed entries are skipped: a registration is input like any other."""
    found: dict[tuple[str, str], set[SuspendOption]] = {}
    for registration in registrations:
        resources = registration.get("resources")
        for res in resources if isinstance(resources, list) else []:
            if not isinstance(res, Mapping):
                continue
            group, kind = res.get("group"), res.get("kind")
            if not isinstance(group, str) or not isinstance(kind, str) or not kind:
                continue
            custom = res.get("customSuspendOptions")
            candidates = [res.get("suspendOptions"), *(custom if isinstance(custom, list) else [])]
            options = {o for o in map(_option, candidates) if o is not None}
            if options:
                found.setdefault((group, kind), set()).update(options)
    return {key: tuple(sorted(options)) for key, options in sorted(found.items())}


def _storks_original(obj: Mapping[str, Any], option: SuspendOption) -> Any:
    """The original in Stork's annotation of a copy Stork suspended (MISSING when unknown)."""
    text = string_map(get_in(obj, "metadata", "annotations")).get(option.annotation)
    if not isinstance(text, str):
        return MISSING
    first = text.split(",")[0]
    if option.type == "int":
        try:
            number = int(first)
        except ValueError:
            return MISSING
        return number if number > 0 else MISSING
    if option.type == "string":
        return first or MISSING
    return MISSING  # Stork records no bool original


def _original(obj: Mapping[str, Any], option: SuspendOption) -> Any:
    current = get_path(obj, option.steps)
    original = carried_original(obj, option.steps)
    if original == current and current == option.off:
        storks = _storks_original(obj, option)
        if storks is not MISSING:
            return storks
    return original


def _storks_record(option: SuspendOption, original: Any) -> str:
    if option.type == "int" and isinstance(original, int) and not isinstance(original, bool):
        shown = str(original)
    elif option.type == "string" and isinstance(original, str):
        shown = original
    else:
        shown = ""  # Stork's own bool record, and an original it could not have read
    return f"{shown},{option.value}"


def suspend_custom_resource(
    obj: Mapping[str, Any], rules: SuspendRules, start_applications: bool
) -> Obj:
    """A registered custom resource suspended on the standby, recorded (other objects: a plain
    copy). With startApplications true a suspended copy is started from its records instead."""
    options = rules.get(group_kind(obj), ())
    if not options:
        return dict(obj)
    originals = [(o, _original(obj, o)) for o in options]
    if start_applications:
        out: Any = started(obj)
        for option, original in originals:  # a copy Stork suspended: started as Stork does
            if original is not MISSING and get_path(out, option.steps) != original:
                with contextlib.suppress(ValueError):
                    out = put_path(out, option.steps, original)
        result: Obj = out
        return result
    out = park(obj, [Change(o.steps, o.off, original) for o, original in originals])
    annotations = string_map(get_in(out, "metadata", "annotations"))
    for option, original in originals:
        annotations[option.annotation] = _storks_record(option, original)
    return with_metadata_map(out, "annotations", annotations)
