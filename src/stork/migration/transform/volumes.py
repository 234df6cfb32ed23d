"""PersistentVolumes and claims: bound to each other on the destination, data kept safe."""

from __future__ import annotations

import copy
from typing import Any

RECLAIM_POLICY_ANNOTATION = "stork.libopenstorage.org/reclaimPolicy"
_BINDING_ANNOTATIONS = ("pv.kubernetes.io/bind-completed", "pv.kubernetes.io/bound-by-controller")


def prepare_volume(obj: dict[str, Any]) -> dict[str, Any]:
    """PV: Retain (original policy recorded), claimRef by name only; PVC: binding marks dropped.

    The PV keeps ``claimRef`` name and namespace but not the source claim's uid, so the
    destination's binder binds it to the migrated claim; Retain makes sure deleting anything on
    the destination never deletes the (shared) volume. The claim keeps ``volumeName``; the
    binder's completion marks are the destination binder's to set.
    """
    kind = obj.get("kind")
    if kind not in ("PersistentVolume", "PersistentVolumeClaim"):
        return obj
    out = copy.deepcopy(obj)
    meta = out.setdefault("metadata", {})
    annotations = dict(meta.get("annotations") or {})
    spec = out.setdefault("spec", {})
    if kind == "PersistentVolume":
        original = spec.get("persistentVolumeReclaimPolicy")
        if original and RECLAIM_POLICY_ANNOTATION not in annotations:
            annotations[RECLAIM_POLICY_ANNOTATION] = original
        spec["persistentVolumeReclaimPolicy"] = "Retain"
        ref = spec.get("claimRef")
        if isinstance(ref, dict):
            spec["claimRef"] = {
                k: ref[k] for k in ("apiVersion", "kind", "name", "namespace") if k in ref
            }
    else:
        for key in _BINDING_ANNOTATIONS:
            annotations.pop(key, None)
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    return out
