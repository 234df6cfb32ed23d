"""A dry-run Migration (``spec.dryRun: true``, ours): its ledger's wording and field diffs (pure).

A dry run plans exactly as a migration does and sends every apply and delete to the destination
with ``dryRun=All``: the API server validates, admits and merges each one, and stores nothing.
Each object's ``status.resources[].reason`` then starts with one of the phrases below, the
action the real migration would take; an update carries a unified diff of its fields (the
destination's object against the dry-run result), bounded per object and per migration.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import yaml

from stork.migration.plan import VOLATILE_ANNOTATIONS, group_of

WOULD_CREATE = "Would create"
WOULD_UPDATE = "Would update"
DRY_UNCHANGED = "Unchanged"
WOULD_RECREATE = "Would re-create ({reason})"
WOULD_DELETE = "Would delete (purge)"
REFUSED = "Refused: {message}"
#: Notes added after "; " to a Would create.
CRD_FIRST = "its CustomResourceDefinition {name} would be created first"
NAMESPACE_FIRST = "its namespace would be created first"
DRY_DRIFTED = "drifted: changed on the destination{by} since the last migration"
#: Notes of the whole dry run (the Complete condition and an event).
NOTHING_WRITTEN = "dry run: nothing was written on the destination"
RULES_SKIPPED = "dry run: {rules} not run"

#: A diff longer than this is cut, ending with :data:`DIFF_TRUNCATED`.
DIFF_MAX_BYTES = 4_000
#: Diffs of one dry run, in all: past it, updates carry :data:`DIFF_TRUNCATED` only (the status
#: of a Migration is bounded, see ``ledger.STATUS_BUDGET_BYTES``).
DIFF_BUDGET_BYTES = 200_000
DIFF_TRUNCATED = "... diff truncated\n"

#: What a diff leaves out: written by the API server on every write, or by every migration.
_SERVER_FIELDS = ("managedFields", "resourceVersion", "generation")


class Planned(StrEnum):
    """What the real migration would do with one object."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    RECREATE = "recreate"
    DELETE = "delete"
    REFUSED = "refused"


_PREFIXES = (
    (WOULD_CREATE, Planned.CREATE),
    (WOULD_UPDATE, Planned.UPDATE),
    (DRY_UNCHANGED, Planned.UNCHANGED),
    (WOULD_RECREATE.split("(", 1)[0].rstrip(), Planned.RECREATE),
    (WOULD_DELETE, Planned.DELETE),
    (REFUSED.split(":", 1)[0], Planned.REFUSED),
)


def planned(reason: str) -> Planned | None:
    """The action a dry-run ledger reason stands for (None: not a dry-run reason)."""
    for prefix, action in _PREFIXES:
        if reason == prefix or reason.startswith((prefix + ";", prefix + " ", prefix + ":")):
            return action
    return None


def details(reason: str) -> str:
    """What a dry-run reason says beyond its action (the re-create's cause, the refusal, notes)."""
    action = planned(reason)
    if action is None:
        return reason
    for prefix, candidate in _PREFIXES:
        if candidate == action:
            rest = reason[len(prefix) :]
            break
    rest = rest.lstrip(";: ").strip()
    if action == Planned.RECREATE and rest.startswith("(") and ")" in rest:
        return rest[1 : rest.rindex(")")] + rest[rest.rindex(")") + 1 :]
    return rest


def noted(reason: str, *notes: str) -> str:
    """``reason; note; note`` (empty notes left out)."""
    return "; ".join([reason, *(n for n in notes if n)])


def drift_note(editors: tuple[str, ...]) -> str:
    """The note of an update of a copy edited on the destination since the last migration."""
    return DRY_DRIFTED.format(by=f" by {', '.join(editors)}" if editors else "")


def diff_name(obj: Mapping[str, Any]) -> str:
    """kubectl diff's file name of an object: ``apps.v1.Deployment.ns.name``."""
    api_version = str(obj.get("apiVersion", ""))
    group, version = group_of(api_version), api_version.rsplit("/", 1)[-1]
    meta = obj.get("metadata") or {}
    parts = [group, version, str(obj.get("kind", "")), meta.get("namespace"), meta.get("name")]
    return ".".join(str(p) for p in parts if p)


def _for_diff(obj: Mapping[str, Any]) -> dict[str, Any]:
    """``obj`` without what the server or every migration rewrites (a new dict)."""
    out = dict(obj)
    meta = dict(out.get("metadata") or {})
    for key in _SERVER_FIELDS:
        meta.pop(key, None)
    annotations = {
        k: v for k, v in (meta.get("annotations") or {}).items() if k not in VOLATILE_ANNOTATIONS
    }
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    out["metadata"] = meta
    return out


def render(obj: Mapping[str, Any]) -> str:
    """An object as the YAML a diff compares (sorted keys, as kubectl diff shows it)."""
    return yaml.safe_dump(_for_diff(obj), sort_keys=True, default_flow_style=False)


def field_diff(live: Mapping[str, Any], merged: Mapping[str, Any]) -> str:
    """A unified diff of the destination's object (``live``) and the dry-run result
    (``merged``), headed as kubectl diff heads its own; "" when no field would change, cut at
    :data:`DIFF_MAX_BYTES`."""
    name = diff_name(merged)
    lines = list(
        difflib.unified_diff(
            render(live).splitlines(keepends=True),
            render(merged).splitlines(keepends=True),
            f"live/{name}",
            f"merged/{name}",
        )
    )
    if not lines:
        return ""
    text = f"diff -u -N live/{name} merged/{name}\n" + "".join(lines)
    return truncated(text, DIFF_MAX_BYTES)


def truncated(text: str, limit: int) -> str:
    """``text`` cut at a line end within ``limit`` bytes, saying so (untouched when it fits)."""
    if len(text.encode()) <= limit:
        return text
    room = max(0, limit - len(DIFF_TRUNCATED))
    cut = text.encode()[:room].decode(errors="ignore")
    if "\n" in cut:
        cut = cut[: cut.rindex("\n") + 1]
    return cut + DIFF_TRUNCATED


@dataclass
class DiffBudget:
    """The bytes of diffs one dry run may still store in its status."""

    left: int = DIFF_BUDGET_BYTES

    def take(self, diff: str) -> str:
        """``diff`` if it fits in what is left (then counted), else :data:`DIFF_TRUNCATED`."""
        if not diff:
            return ""
        size = len(diff.encode())
        if size > self.left:
            self.left = 0
            return DIFF_TRUNCATED
        self.left -= size
        return diff
