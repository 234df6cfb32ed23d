"""A DR drill (pure): the standby copy brought up beside itself, isolated, and judged.

Each standby namespace ``<ns>`` on the destination is copied into ``<ns>-<suffix>``: the
standby's namespaced objects pass the migration's transform with the namespace mapping
(``stork.migration.transform.namespacemap``) and ``startApplications``, so workloads get their
recorded replicas; then what a rehearsal must not do is taken out of them:

- Stork's bookkeeping (migration annotations, records, content hash) is dropped: nothing may
  mistake a drill copy for a migrated standby (``activate migrations`` in a drill namespace
  would otherwise mark the real schedule activated and suspend it);
- claims lose ``volumeName``: a drill never mounts the production volumes (shared storage with
  two writers corrupts data); they get a new volume where the cluster provisions one, else stay
  Pending, and the workloads using them are reported not Ready with that reason;
- Services become ClusterIP without node ports or external IPs (those are the standby's, or
  would expose the drill); Ingresses and Routes are not copied (they would take traffic for the
  production host names);
- CronJobs and Jobs stay suspended (a rehearsal must not run the application's periodic side
  effects).

Every copy is labelled with the drill's name; the namespace carries the drill's UID, and a
teardown deletes only namespaces that carry it. A default-deny NetworkPolicy lets the drill's
pods talk to each other and to the cluster DNS, and to nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from stork.api.constants import (
    MIGRATION_REPLICAS_ANNOTATION,
    STORK_MIGRATION_REPLICAS_ANNOTATION,
)
from stork.migration.plan import HASH_ANNOTATION
from stork.migration.transform import (
    CRONJOB_SUSPEND_ANNOTATION,
    MIGRATED_ANNOTATION,
    MIGRATED_LABEL,
    MIGRATION_NAME_ANNOTATION,
    MIGRATION_NAMESPACE_ANNOTATION,
    MIGRATION_TIME_ANNOTATION,
    TransformContext,
    transform,
)
from stork.migration.transform._objects import Obj, get_in, group_kind, set_in

DEFAULT_SUFFIX = "drill"
DEFAULT_TIMEOUT_SECONDS = 300
#: Label on every drill namespace and copy: the Action's name.
DRILL_LABEL = "stork.libopenstorage.org/drill"
#: Annotation on a drill namespace: the Action's UID (a teardown deletes only these).
DRILL_UID_ANNOTATION = "stork.libopenstorage.org/drill-uid"
#: Annotation on a drill namespace: the standby namespace it copies.
DRILL_OF_ANNOTATION = "stork.libopenstorage.org/drill-of"
ISOLATION_POLICY = "stork-drill-isolation"
BOOKKEEPING = frozenset(
    {
        MIGRATED_ANNOTATION,
        MIGRATION_NAME_ANNOTATION,
        MIGRATION_NAMESPACE_ANNOTATION,
        MIGRATION_TIME_ANNOTATION,
        HASH_ANNOTATION,
        MIGRATION_REPLICAS_ANNOTATION,
        STORK_MIGRATION_REPLICAS_ANNOTATION,
        CRONJOB_SUSPEND_ANNOTATION,
        "kubectl.kubernetes.io/last-applied-configuration",
        "stork.libopenstorage.org/migration-schedule-name",
    }
)
NOT_COPIED = {
    ("networking.k8s.io", "Ingress"): "would take traffic for the production host names",
    ("extensions", "Ingress"): "would take traffic for the production host names",
    ("route.openshift.io", "Route"): "would take traffic for the production host names",
}
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_LABEL_LIMIT = 63
_SERVICE_EXPOSURE = (
    "externalIPs",
    "externalTrafficPolicy",
    "healthCheckNodePort",
    "loadBalancerSourceRanges",
    "allocateLoadBalancerNodePorts",
    "loadBalancerClass",
    "loadBalancerIP",
)


class DrillError(ValueError):
    """A drill that cannot be made as asked (the message says why)."""


def drill_namespace(namespace: str, suffix: str) -> str:
    """``<namespace>-<suffix>``, checked to be a valid namespace name."""
    if not suffix or not _LABEL.fullmatch(suffix):
        raise DrillError(
            f"invalid --suffix {suffix!r}: lower-case letters, digits and '-', starting and "
            "ending with a letter or digit"
        )
    name = f"{namespace}-{suffix}"
    if len(name) > _LABEL_LIMIT:
        raise DrillError(
            f"the drill namespace {name} is longer than {_LABEL_LIMIT} characters: "
            "choose a shorter --suffix"
        )
    return name


def namespace_object(standby: str, drill: str, action: str, uid: str) -> dict[str, Any]:
    """The drill namespace, labelled and annotated as the drill's own."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": drill,
            "labels": {DRILL_LABEL: action},
            "annotations": {DRILL_UID_ANNOTATION: uid, DRILL_OF_ANNOTATION: standby},
        },
    }


def owned_by(namespace: Mapping[str, Any], uid: str) -> bool:
    """True when a namespace was made by the drill with this UID."""
    annotations = get_in(namespace, "metadata", "annotations") or {}
    return bool(uid) and annotations.get(DRILL_UID_ANNOTATION) == uid


def isolation_policy(namespace: str, action: str) -> dict[str, Any]:
    """Default deny: ingress only from the namespace's own pods; egress only to them and to
    the cluster DNS (kube-system's kube-dns pods, port 53)."""
    dns_ports = [{"protocol": p, "port": 53} for p in ("UDP", "TCP")]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": ISOLATION_POLICY,
            "namespace": namespace,
            "labels": {DRILL_LABEL: action},
        },
        "spec": {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"podSelector": {}}]}],
            "egress": [
                {"to": [{"podSelector": {}}]},
                {
                    "to": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                            },
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        }
                    ],
                    "ports": dns_ports,
                },
            ],
        },
    }


@dataclass(frozen=True)
class Copy:
    """A standby object's drill copy (None: not copied) and what was changed, for the report."""

    obj: Obj | None
    note: str | None = None


def _name(obj: Mapping[str, Any]) -> str:
    return f"{obj.get('kind')} {get_in(obj, 'metadata', 'name')}"


def _without_bookkeeping(obj: Obj, action: str) -> Obj:
    meta = dict(obj.get("metadata") or {})
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in BOOKKEEPING}
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k != MIGRATED_LABEL}
    labels[DRILL_LABEL] = action
    meta["labels"] = labels
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    return {**obj, "metadata": meta}


def _isolated_service(obj: Obj) -> tuple[Obj, str | None]:
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        return obj, None
    kind = spec.get("type")
    exposed = [k for k in _SERVICE_EXPOSURE if k in spec]
    if kind not in ("NodePort", "LoadBalancer") and not exposed:
        return obj, None
    new = {k: v for k, v in spec.items() if k not in _SERVICE_EXPOSURE}
    if kind in ("NodePort", "LoadBalancer"):
        new["type"] = "ClusterIP"
        new["ports"] = [
            {k: v for k, v in p.items() if k != "nodePort"} if isinstance(p, Mapping) else p
            for p in spec.get("ports") or []
        ]
    return {**obj, "spec": new}, (
        f"{_name(obj)}: type {kind or 'ClusterIP'} becomes ClusterIP without node ports or "
        "external addresses in the drill"
    )


def drill_object(obj: Mapping[str, Any], mapping: Mapping[str, str], action: str) -> Copy:
    """The drill copy of one standby object (its namespace must be in ``mapping``)."""
    kind = group_kind(obj)
    namespace = get_in(obj, "metadata", "namespace")
    if namespace not in mapping:
        return Copy(None, f"{_name(obj)}: not copied (cluster-scoped, shared with the standby)")
    if kind in NOT_COPIED:
        return Copy(None, f"{_name(obj)}: not copied ({NOT_COPIED[kind]})")
    ctx = TransformContext(
        start_applications=True, namespaces=frozenset(mapping), namespace_mapping=mapping
    )
    out = _without_bookkeeping(transform(obj, ctx), action)
    note = None
    if kind == ("", "PersistentVolumeClaim"):
        spec = {k: v for k, v in (out.get("spec") or {}).items() if k != "volumeName"}
        out = {**out, "spec": spec}
        note = (
            f"{_name(obj)}: a new volume, not the production one (a drill never mounts "
            "production volumes)"
        )
    elif kind == ("", "Service"):
        out, note = _isolated_service(out)
    elif kind in (("batch", "CronJob"), ("batch", "Job")):
        out = set_in(out, ("spec", "suspend"), True)
        note = f"{_name(obj)}: kept suspended (a drill runs no scheduled or batch work)"
    return Copy(out, note)


def drill_copies(
    objects: Iterable[Mapping[str, Any]], mapping: Mapping[str, str], action: str
) -> tuple[list[Obj], list[str]]:
    """The copies to apply and the notes of what was changed or left out."""
    copies, notes = [], []
    for obj in objects:
        copy = drill_object(obj, mapping, action)
        if copy.obj is not None:
            copies.append(copy.obj)
        if copy.note:
            notes.append(f"{get_in(obj, 'metadata', 'namespace') or '-'}/{copy.note}")
    return copies, notes
