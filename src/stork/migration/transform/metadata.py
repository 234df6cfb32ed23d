"""Object metadata as it travels: identity and server-managed fields dropped, status dropped."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from stork.migration.transform._objects import Obj, string_map

#: The only metadata fields that travel (Stork's collector keeps exactly these).
KEPT_METADATA = ("name", "namespace", "labels", "annotations")
#: Annotations that the destination's own controllers maintain on the object itself; the
#: source's values churn with every rollout and mean nothing on the destination.
CONTROLLER_ANNOTATIONS = frozenset(
    {"deployment.kubernetes.io/revision", "deprecated.daemonset.template.generation"}
)


def clean_metadata(obj: Mapping[str, Any]) -> Obj:
    """A deep copy of ``obj`` with metadata reduced to name, namespace, labels and annotations.

    Dropped as Stork drops them: uid, resourceVersion, generation, creationTimestamp,
    managedFields, ownerReferences, finalizers, generateName, deletionTimestamp,
    deletionGracePeriodSeconds, selfLink (everything not kept). Also dropped:
    ``CONTROLLER_ANNOTATIONS``, empty label and annotation maps, and ``status``.

    ``status`` is dropped although Stork keeps it: the destination is written with server-side
    apply and skipped when the content hash of this result is unchanged, so a status that churns
    on the source (conditions, observedGeneration, ready counts) must not make an unchanged
    object look changed; the destination's controllers write their own status anyway.

    The result shares nothing with ``obj``.
    """
    out = {k: copy.deepcopy(v) for k, v in obj.items() if k not in ("metadata", "status")}
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    clean: Obj = {k: meta[k] for k in ("name", "namespace") if meta.get(k)}
    labels = string_map(meta.get("labels"))
    annotations = {
        k: v
        for k, v in string_map(meta.get("annotations")).items()
        if k not in CONTROLLER_ANNOTATIONS
    }
    if labels:
        clean["labels"] = labels
    if annotations:
        clean["annotations"] = annotations
    out["metadata"] = clean
    return out
