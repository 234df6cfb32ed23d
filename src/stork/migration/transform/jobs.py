"""Jobs: the controller-uid labels of the source do not travel."""

from __future__ import annotations

import copy
from typing import Any

_UID_LABELS = ("controller-uid", "batch.kubernetes.io/controller-uid")


def _drop(labels: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (labels or {}).items() if k not in _UID_LABELS}


def clean_job(obj: dict[str, Any]) -> dict[str, Any]:
    """Remove controller-uid labels; drop a selector that becomes empty (it is regenerated)."""
    if obj.get("kind") != "Job":
        return obj
    out = copy.deepcopy(obj)
    meta = out.get("metadata") or {}
    if "labels" in meta:
        meta["labels"] = _drop(meta["labels"])
    spec = out.get("spec") or {}
    selector = spec.get("selector")
    if isinstance(selector, dict):
        selector["matchLabels"] = _drop(selector.get("matchLabels"))
        if not selector["matchLabels"]:
            del selector["matchLabels"]
        if not selector and not spec.get("manualSelector"):
            del spec["selector"]
    template_meta = (spec.get("template") or {}).get("metadata")
    if isinstance(template_meta, dict) and "labels" in template_meta:
        template_meta["labels"] = _drop(template_meta["labels"])
    return out
