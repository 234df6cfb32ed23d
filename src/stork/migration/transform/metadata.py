"""Object metadata as it travels: identity and server-managed fields dropped, status dropped."""

from __future__ import annotations

import copy
from typing import Any

KEPT_METADATA = ("name", "namespace", "labels", "annotations")
#: Annotations a controller on the destination maintains itself.
CONTROLLER_ANNOTATIONS = frozenset({"deployment.kubernetes.io/revision"})


def clean_metadata(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy with metadata reduced to name, namespace, labels and annotations, and no status.

    Status is dropped (Stork keeps it): server-side apply ignores it on built-in kinds anyway,
    and a status that churns on the source must not make an unchanged object look changed.
    """
    out = {k: copy.deepcopy(v) for k, v in obj.items() if k not in ("metadata", "status")}
    meta = obj.get("metadata") or {}
    clean = {k: copy.deepcopy(meta[k]) for k in KEPT_METADATA if meta.get(k) not in (None, {})}
    annotations = clean.get("annotations")
    if annotations:
        kept = {k: v for k, v in annotations.items() if k not in CONTROLLER_ANNOTATIONS}
        if kept:
            clean["annotations"] = kept
        else:
            del clean["annotations"]
    out["metadata"] = clean
    return out
