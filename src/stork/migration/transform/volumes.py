"""PersistentVolumes and their claims: bound to each other on the destination, data kept safe.

In Metro DR both clusters see the same storage, so a destination PV names the very volume the
source uses. Two rules follow:

- **Retain, always.** The PV's ``persistentVolumeReclaimPolicy`` becomes ``Retain`` and the
  original goes to :data:`RECLAIM_POLICY_ANNOTATION` (Stork's annotation): deleting anything
  on the destination must never delete the shared volume. No data is copied, whatever
  ``includeVolumes`` says, so Stork's restoring of the original policy does not apply. A PV that
  is already ``Retain`` with a record (the source was itself a destination) keeps the record.
- **Bound to the migrated claim only.** The PV keeps ``claimRef`` ``apiVersion``, ``kind``,
  ``name`` and ``namespace`` but not ``uid``, ``resourceVersion`` or ``fieldPath``: the
  destination's binder treats that as a pre-binding, so the PV is reserved for the migrated
  claim from the moment it exists (Stork clears ``claimRef``, which leaves the PV ``Available``
  to any matching pending claim until the migrated one arrives), and the binder fills in the
  new claim's uid. Server-side apply owns only the fields we send, so a later apply of the PV
  does not undo that uid. The claim keeps ``spec.volumeName``.

The binder's completion marks ``pv.kubernetes.io/bind-completed`` and
``pv.kubernetes.io/bound-by-controller`` are dropped from claims and PVs (Stork copies them).
They describe the source's binding; worse, a claim that says ``bind-completed`` while its
pre-bound PV has no uid yet is declared ``Lost`` (``ClaimMisbound``) by the destination's binder,
a state it never leaves. The destination's binder writes its own marks when it binds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stork.migration.transform._objects import (
    Obj,
    get_in,
    group_kind,
    set_in,
    string_map,
    with_metadata_map,
    without_in,
)

RECLAIM_POLICY_ANNOTATION = "stork.libopenstorage.org/reclaimPolicy"
RETAIN = "Retain"
BINDING_ANNOTATIONS = frozenset(
    {"pv.kubernetes.io/bind-completed", "pv.kubernetes.io/bound-by-controller"}
)
CLAIM_REF_KEPT = ("apiVersion", "kind", "name", "namespace")


def prepare_volume(obj: Mapping[str, Any]) -> Obj:
    """The destination form of a PersistentVolume or claim (other objects: a plain copy)."""
    kind = group_kind(obj)
    if kind == ("", "PersistentVolume"):
        return _volume(obj)
    if kind == ("", "PersistentVolumeClaim"):
        return _without_binding_marks(obj)
    return dict(obj)


def _volume(obj: Mapping[str, Any]) -> Obj:
    out = _without_binding_marks(obj)
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        return out
    annotations = string_map(get_in(out, "metadata", "annotations"))
    policy = spec.get("persistentVolumeReclaimPolicy")
    if isinstance(policy, str) and not (
        policy == RETAIN and annotations.get(RECLAIM_POLICY_ANNOTATION)
    ):
        annotations[RECLAIM_POLICY_ANNOTATION] = policy
    out = with_metadata_map(out, "annotations", annotations)
    out = set_in(out, ("spec", "persistentVolumeReclaimPolicy"), RETAIN)
    claim_ref = spec.get("claimRef")
    if isinstance(claim_ref, Mapping) and claim_ref.get("name"):
        kept = {k: claim_ref[k] for k in CLAIM_REF_KEPT if k in claim_ref}
        return set_in(out, ("spec", "claimRef"), kept)
    return without_in(out, ("spec", "claimRef"))


def _without_binding_marks(obj: Mapping[str, Any]) -> Obj:
    annotations = get_in(obj, "metadata", "annotations")
    if not isinstance(annotations, Mapping) or not BINDING_ANNOTATIONS & annotations.keys():
        return dict(obj)
    kept = {k: v for k, v in annotations.items() if k not in BINDING_ANNOTATIONS}
    return with_metadata_map(obj, "annotations", kept)
