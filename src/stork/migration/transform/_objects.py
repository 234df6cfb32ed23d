"""Helpers over Kubernetes objects as plain dicts: reading paths and copy-on-write updates.

The updates copy only the dicts along the path they change; everything else is shared with the
input, which is never modified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Obj = dict[str, Any]


def group_kind(obj: Mapping[str, Any]) -> tuple[str, str]:
    """(API group, kind) of an object; the core group is ``""``."""
    api_version = obj.get("apiVersion")
    group = api_version.rpartition("/")[0] if isinstance(api_version, str) else ""
    kind = obj.get("kind")
    return group, kind if isinstance(kind, str) else ""


def get_in(obj: Any, *path: str) -> Any:
    """The value at ``path``, or None where a step is missing or not a mapping."""
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def set_in(obj: Mapping[str, Any], path: Sequence[str], value: Any) -> Obj:
    """A copy of ``obj`` with ``value`` at ``path``; missing or non-dict steps become dicts."""
    head, *rest = path
    out = dict(obj)
    if rest:
        child = obj.get(head)
        out[head] = set_in(child if isinstance(child, Mapping) else {}, rest, value)
    else:
        out[head] = value
    return out


def without_in(obj: Mapping[str, Any], path: Sequence[str]) -> Obj:
    """A copy of ``obj`` without the key at ``path`` (a plain copy when it is absent)."""
    *parents, last = path
    parent = get_in(obj, *parents)
    if not isinstance(parent, Mapping) or last not in parent:
        return dict(obj)
    kept = {k: v for k, v in parent.items() if k != last}
    return set_in(obj, parents, kept) if parents else kept


def string_map(value: Any) -> dict[str, str]:
    """A copy of a labels/annotations-like map (anything else reads as empty)."""
    return dict(value) if isinstance(value, Mapping) else {}


def with_metadata_map(obj: Mapping[str, Any], field: str, values: Mapping[str, str]) -> Obj:
    """A copy of ``obj`` with ``metadata[field]`` set to ``values``, or removed when empty."""
    if values:
        return set_in(obj, ("metadata", field), dict(values))
    return without_in(obj, ("metadata", field))
