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


_GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_GO_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def go_bool(text: str) -> bool | None:
    """Go's ``strconv.ParseBool`` (None where it fails): what Stork's options mean."""
    return True if text in _GO_TRUE else False if text in _GO_FALSE else None


def string_map(value: Any) -> dict[str, str]:
    """A copy of a labels/annotations-like map (anything else reads as empty)."""
    return dict(value) if isinstance(value, Mapping) else {}


def with_metadata_map(obj: Mapping[str, Any], field: str, values: Mapping[str, str]) -> Obj:
    """A copy of ``obj`` with ``metadata[field]`` set to ``values``, or removed when empty."""
    if values:
        return set_in(obj, ("metadata", field), dict(values))
    return without_in(obj, ("metadata", field))


#: A step of a path: a mapping key or a list index.
Step = str | int


class _Missing:
    """The value of a field that is not there (distinct from null)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def _child(node: Any, step: Step) -> Any:
    if isinstance(step, int) and not isinstance(step, bool):
        if isinstance(node, Sequence) and not isinstance(node, str) and 0 <= step < len(node):
            return node[step]
        return MISSING
    if isinstance(step, str) and isinstance(node, Mapping) and step in node:
        return node[step]
    return MISSING


def get_path(obj: Any, path: Sequence[Step]) -> Any:
    """The value at ``path`` (keys and list indexes), or MISSING where a step is absent."""
    for step in path:
        obj = _child(obj, step)
        if obj is MISSING:
            return MISSING
    return obj


def put_path(obj: Any, path: Sequence[Step], value: Any) -> Any:
    """A copy of ``obj`` with ``value`` at ``path`` (MISSING: the key is removed).

    Missing mapping steps become dicts; a list step must index an existing item and a key
    step must meet a mapping, else ValueError. Only the containers along the path are copied.
    """
    if not path:
        return value
    head, *rest = path
    if isinstance(head, int) and not isinstance(head, bool):
        if not isinstance(obj, list) or not 0 <= head < len(obj):
            raise ValueError(f"no item {head} at this step of the path")
        out_list = list(obj)
        out_list[head] = put_path(out_list[head], rest, value)
        return out_list
    if obj is MISSING or obj is None:
        if value is MISSING:
            return obj  # nothing to remove, and no container to create for it
        obj = {}
    if not isinstance(obj, Mapping):
        raise ValueError(f"{head!r} is not a field of a mapping")
    out = dict(obj)
    if rest:
        if value is MISSING and head not in obj:
            return out
        out[head] = put_path(obj.get(head, MISSING), rest, value)
    elif value is MISSING:
        out.pop(head, None)
    else:
        out[head] = value
    return out


def path_text(path: Sequence[Step]) -> str:
    """``spec.template.spec.nodeSelector`` / ``webhooks[0].failurePolicy`` for messages."""
    text = ""
    for step in path:
        if isinstance(step, int) and not isinstance(step, bool):
            text += f"[{step}]"
        else:
            text += f".{step}" if text else str(step)
    return text
