"""Planning the writes of a migration (pure): content hashes, dependency order, diffs.

Every object we apply carries ``stork.libopenstorage.org/resource-hash``, a hash of the
transformed source object. When the destination's copy carries the same hash, the object is
unchanged since the last migration and costs no write at all (Stork deletes and re-creates).
The per-migration annotations (name, namespace, time) are left out of the hash, otherwise every
migration would rewrite every object.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

HASH_ANNOTATION = "stork.libopenstorage.org/resource-hash"
VOLATILE_ANNOTATIONS = frozenset(
    {
        HASH_ANNOTATION,
        "stork.libopenstorage.org/migrationName",
        "stork.libopenstorage.org/migrationNamespace",
        "stork.libopenstorage.org/migrationTime",
    }
)

#: Apply order: each phase completes before the next starts (DESIGN.md, "Order and speed").
PHASES: tuple[frozenset[str], ...] = (
    frozenset({"CustomResourceDefinition"}),
    frozenset({"Namespace"}),
    frozenset({"PriorityClass", "StorageClass", "ClusterRole"}),
    frozenset({"ServiceAccount", "Secret", "ConfigMap", "LimitRange", "ResourceQuota"}),
    frozenset({"PersistentVolume"}),
    frozenset({"PersistentVolumeClaim"}),
    frozenset({"Role", "RoleBinding", "ClusterRoleBinding"}),
    frozenset({"Service", "Endpoints", "NetworkPolicy", "Ingress", "PodDisruptionBudget"}),
    frozenset(
        {
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "ReplicaSet",
            "Job",
            "CronJob",
            "HorizontalPodAutoscaler",
            "DeploymentConfig",
        }
    ),
    frozenset(),  # custom resources and every kind not named here
    frozenset({"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}),
)
_OTHER_PHASE = 9
_BUILTIN_GROUPS = frozenset(
    {
        "",
        "apps",
        "batch",
        "rbac.authorization.k8s.io",
        "networking.k8s.io",
        "policy",
        "autoscaling",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "apiextensions.k8s.io",
        "admissionregistration.k8s.io",
        "discovery.k8s.io",
    }
)


def phase_of(group: str, kind: str) -> int:
    """The apply phase of a kind (custom resources of known kind names go with the others)."""
    if group in _BUILTIN_GROUPS or kind == "CustomResourceDefinition":
        for i, kinds in enumerate(PHASES):
            if kind in kinds:
                return i
    return _OTHER_PHASE


ObjectId = tuple[str, str, str, str]
"""(group, kind, namespace, name): an object's identity across clusters and versions."""


def group_of(api_version: str) -> str:
    """The API group of an apiVersion ("" for the core group)."""
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def object_id(obj: Mapping[str, Any]) -> ObjectId:
    """The identity of an object."""
    meta = obj.get("metadata") or {}
    return (
        group_of(str(obj.get("apiVersion", ""))),
        str(obj.get("kind", "")),
        str(meta.get("namespace") or ""),
        str(meta["name"]),
    )


def content_hash(obj: Mapping[str, Any]) -> str:
    """A stable hash of an object's content, without the per-migration annotations."""
    body = dict(obj)
    meta = body.get("metadata") or {}
    annotations = meta.get("annotations")
    if annotations:
        # Shallow copies: only the annotations differ from ``obj``, which stays untouched.
        body["metadata"] = {
            **meta,
            "annotations": {k: v for k, v in annotations.items() if k not in VOLATILE_ANNOTATIONS},
        }
    return hashlib.sha256(canonical_json(body)).hexdigest()[:32]


def canonical_json(value: Any) -> bytes:
    """Compact JSON with sorted keys, UTF-8: the bytes a content hash is taken of.

    orjson writes exactly what ``json.dumps(sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`` writes for strings, integers, maps and lists, ten times faster (floats
    may be spelled differently: an object holding one hashes differently once after an upgrade,
    and costs one write). Integers beyond 64 bits are left to ``json``.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class Action(StrEnum):
    """What to do with one object."""

    APPLY = "apply"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Step:
    """One object of the plan: the object to apply (hash annotation set) and the action."""

    id: ObjectId
    obj: dict[str, Any]
    action: Action
    phase: int
    exists: bool
    #: Set when the destination copy was edited there since our last write: who edited it
    #: (see :func:`editors`); the object is applied again although its hash is unchanged.
    drift: tuple[str, ...] | None = None


def with_hash(obj: Mapping[str, Any]) -> dict[str, Any]:
    """``obj`` carrying its content hash annotation (a new object; ``obj`` is not modified).

    Only the top level, ``metadata`` and its annotations are copied: the rest is shared with
    ``obj``, which costs nothing as long as neither is modified afterwards.
    """
    meta = dict(obj.get("metadata") or {})
    annotations = dict(meta.get("annotations") or {})
    annotations[HASH_ANNOTATION] = content_hash(obj)
    meta["annotations"] = annotations
    return {**obj, "metadata": meta}


def plan_step(obj: Mapping[str, Any], existing: Mapping[ObjectId, str | None]) -> Step:
    """The step of one desired object; ``existing`` maps what the destination has to its hash.

    An object whose destination copy has the same hash is UNCHANGED; everything else is applied.
    """
    hashed = with_hash(obj)
    oid = object_id(hashed)
    new_hash = hashed["metadata"]["annotations"][HASH_ANNOTATION]
    exists = oid in existing
    action = Action.UNCHANGED if exists and existing[oid] == new_hash else Action.APPLY
    return Step(oid, hashed, action, phase_of(oid[0], oid[1]), exists)


def make_plan(
    desired: Iterable[Mapping[str, Any]], existing: Mapping[ObjectId, str | None]
) -> list[Step]:
    """Steps in apply order (see :func:`plan_step`)."""
    return sorted((plan_step(o, existing) for o in desired), key=lambda s: (s.phase, s.id))


#: Kinds whose destination copy the destination's own controllers write after we applied it
#: (the volume binder annotates and binds claims and volumes): a new version of those says
#: nothing about a person editing the copy, so their drift is not tracked.
VERSION_UNTRACKED = frozenset({("", "PersistentVolumeClaim"), ("", "PersistentVolume")})


def destination_version(obj: Mapping[str, Any]) -> str | None:
    """What tells an edit of a destination copy: its ``generation`` where the kind has one
    (it moves with the spec only, not with the status the destination's controllers write),
    else its ``resourceVersion``; None for :data:`VERSION_UNTRACKED` kinds."""
    if object_id(obj)[:2] in VERSION_UNTRACKED:
        return None
    meta = obj.get("metadata") or {}
    if meta.get("generation"):
        return f"g{meta['generation']}"
    version = meta.get("resourceVersion")
    return f"r{version}" if version else None


def drifted(remembered: str | None, current: str | None) -> bool:
    """Whether a copy moved from the version we last left it at (unknown versions: no)."""
    return remembered is not None and current is not None and remembered != current


def editors(obj: Mapping[str, Any], ours: str, most: int = 3) -> tuple[str, ...]:
    """The field managers other than ``ours`` that wrote the object (not its status) since
    our last write, the latest first: who edited a destination copy."""
    entries = (obj.get("metadata") or {}).get("managedFields") or []
    own = [str(e.get("time") or "") for e in entries if e.get("manager") == ours]
    since = max(own, default="")
    others = sorted(
        (
            (str(e.get("time") or ""), str(e.get("manager") or "?"))
            for e in entries
            if e.get("manager") != ours
            and e.get("subresource") != "status"
            and str(e.get("time") or "") >= since
        ),
        reverse=True,
    )
    out: list[str] = []
    for _, manager in others:
        if manager not in out:
            out.append(sys.intern(manager))
    return tuple(out[:most])
