"""Which listed objects a migration takes (pure): Stork's per-kind rules, and ownership.

Input is everything listed from the source for the migration's namespaces (and the
cluster-scoped kinds); output is the objects to migrate. The rules follow Stork's collector
(inventory §6.3, §6.4) with two deliberate improvements: Secrets of type
``kubernetes.io/service-account-token`` never travel whatever their name (the destination mints
its own tokens), and EndpointSlices are never collected (the destination generates them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SKIP_ANNOTATIONS = (
    "stork.libopenstorage.org/skip-resource",
    "stork.libopenstorage.org/skipresource",
)
SKIP_OWNER_CHECK = "stork.libopenstorage.org/skip-owner-ref-check"
INCLUDE_RESOURCE = "stork.libopenstorage.org/include-resource"
_TOKEN_SECRET_PREFIXES = (
    "builder-dockercfg-",
    "builder-token-",
    "default-dockercfg-",
    "default-token-",
    "deployer-dockercfg-",
    "deployer-token-",
)
_SYSTEM_PRIORITY_CLASSES = {
    "openshift-user-critical",
    "system-cluster-critical",
    "system-node-critical",
    "k8s-cluster-critical",
}
_DROPPED_WHEN_OWNED = {
    "Deployment",
    "StatefulSet",
    "ReplicaSet",
    "DeploymentConfig",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "Service",
}

Obj = dict[str, Any]


def _meta(obj: Obj) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _labels(obj: Obj) -> dict[str, str]:
    return _meta(obj).get("labels") or {}


def _annotations(obj: Obj) -> dict[str, str]:
    return _meta(obj).get("annotations") or {}


@dataclass(frozen=True)
class FilterContext:
    """What the rules need beside the object itself."""

    namespaces: frozenset[str]
    exclude_selectors: Mapping[str, str] = field(default_factory=dict)
    selectors: Mapping[str, str] = field(default_factory=dict)
    include_network_policy_with_cidr: bool = False
    ignore_owner_references_check: bool = False


def _excluded_by_labels(labels: Mapping[str, str], excludes: Mapping[str, str]) -> bool:
    return any(labels.get(k) == v for k, v in excludes.items())


def _subject_in_namespaces(
    subject: Mapping[str, Any], ctx: FilterContext, sas: set[tuple[str, str]]
) -> bool:
    kind, name, ns = subject.get("kind"), str(subject.get("name", "")), subject.get("namespace")
    if kind == "ServiceAccount":
        return name != "default" and ns in ctx.namespaces and (ns, name) in sas
    if kind == "User" and name.startswith("system:serviceaccount:"):
        parts = name.split(":")
        return len(parts) == 4 and parts[2] in ctx.namespaces
    if kind == "Group" and name.startswith("system:serviceaccounts:"):
        return name.split(":", 2)[2] in ctx.namespaces
    return False


def _is_system_rbac(obj: Obj) -> bool:
    name = str(_meta(obj).get("name", ""))
    return _labels(obj).get("kubernetes.io/bootstrapping") == "rbac-defaults" or name.startswith(
        "system:"
    )


def _network_policy_has_cidr(obj: Obj) -> bool:
    spec = obj.get("spec") or {}
    for rule in spec.get("ingress") or []:
        if any((peer.get("ipBlock") or {}).get("cidr") for peer in rule.get("from") or []):
            return True
    for rule in spec.get("egress") or []:
        if any((peer.get("ipBlock") or {}).get("cidr") for peer in rule.get("to") or []):
            return True
    return False


def _endpoints_wanted(obj: Obj) -> bool:
    meta, annotations = _meta(obj), _annotations(obj)
    if meta.get("namespace") == "default" and meta.get("name") == "kubernetes":
        return False
    if INCLUDE_RESOURCE in annotations:
        return True
    for subset in obj.get("subsets") or []:
        if any(a.get("targetRef") for a in subset.get("addresses") or []):
            return False
    if annotations and "kubectl.kubernetes.io/last-applied-configuration" not in annotations:
        return False
    return "service.kubernetes.io/headless" not in _labels(obj)


@dataclass
class _Index:
    """Facts about everything listed, used by rules that look at other objects."""

    service_accounts: set[tuple[str, str]] = field(default_factory=set)
    bound_pvcs: dict[tuple[str, str], Obj] = field(default_factory=dict)
    rolebinding_roles: set[str] = field(default_factory=set)
    crb_roles: set[str] = field(default_factory=set)
    priority_classes: set[str] = field(default_factory=set)


def _index(objects: Iterable[Obj], ctx: FilterContext) -> _Index:
    idx = _Index()
    for obj in objects:
        kind, meta = obj.get("kind"), _meta(obj)
        key = (str(meta.get("namespace", "")), str(meta.get("name", "")))
        if kind == "ServiceAccount":
            idx.service_accounts.add(key)
        elif kind == "PersistentVolumeClaim" and (obj.get("status") or {}).get("phase") == "Bound":
            idx.bound_pvcs[key] = obj
        elif kind == "RoleBinding" and key[0] in ctx.namespaces:
            idx.rolebinding_roles.add(str((obj.get("roleRef") or {}).get("name")))
        elif kind == "Deployment":
            template = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
            if template.get("priorityClassName"):
                idx.priority_classes.add(str(template["priorityClassName"]))
    for obj in objects:
        if obj.get("kind") == "ClusterRoleBinding" and not _is_system_rbac(obj):
            subjects = obj.get("subjects") or []
            if any(_subject_in_namespaces(s, ctx, idx.service_accounts) for s in subjects):
                idx.crb_roles.add(str((obj.get("roleRef") or {}).get("name")))
    return idx


def _kind_rule(obj: Obj, ctx: FilterContext, idx: _Index) -> bool:
    kind, meta = obj.get("kind"), _meta(obj)
    name = str(meta.get("name", ""))
    if kind == "Service":
        return name != "kubernetes"
    if kind == "PersistentVolumeClaim":
        return (obj.get("status") or {}).get("phase") == "Bound" and not meta.get(
            "deletionTimestamp"
        )
    if kind == "PersistentVolume":
        ref = (obj.get("spec") or {}).get("claimRef") or {}
        pvc = idx.bound_pvcs.get((str(ref.get("namespace", "")), str(ref.get("name", ""))))
        if pvc is None or ref.get("namespace") not in ctx.namespaces:
            return False
        if (obj.get("status") or {}).get("phase") != "Bound":
            return False
        pvc_labels = _labels(pvc)
        if _excluded_by_labels(pvc_labels, ctx.exclude_selectors):
            return False
        return all(pvc_labels.get(k) == v for k, v in ctx.selectors.items())
    if kind == "ClusterRoleBinding":
        subjects = obj.get("subjects") or []
        return not _is_system_rbac(obj) and any(
            _subject_in_namespaces(s, ctx, idx.service_accounts) for s in subjects
        )
    if kind == "ClusterRole":
        return not _is_system_rbac(obj) and (name in idx.crb_roles or name in idx.rolebinding_roles)
    if kind == "ServiceAccount":
        if name in ("default", "builder", "deployer"):
            pulls = [str(s.get("name", "")) for s in obj.get("imagePullSecrets") or []]
            return any(not p.startswith(f"{name}-dockercfg") for p in pulls)
        return True
    if kind == "Secret":
        if obj.get("type") == "kubernetes.io/service-account-token":
            return False
        return not name.startswith(_TOKEN_SECRET_PREFIXES)
    if kind == "Role":
        return not name.startswith("system:")
    if kind == "RoleBinding":
        return not name.startswith("system:") or name.startswith("system:openshift:scc")
    if kind == "ConfigMap":
        return name not in ("kube-root-ca.crt", "openshift-service-ca.crt")
    if kind == "ResourceQuota":
        return name != "gke-resource-quotas"
    if kind == "NetworkPolicy":
        return ctx.include_network_policy_with_cidr or not _network_policy_has_cidr(obj)
    if kind == "Endpoints":
        return _endpoints_wanted(obj)
    if kind == "EndpointSlice":
        return False
    if kind in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
        return any(
            ((w.get("clientConfig") or {}).get("service") or {}).get("namespace") in ctx.namespaces
            for w in obj.get("webhooks") or []
        )
    if kind == "PriorityClass":
        return name not in _SYSTEM_PRIORITY_CLASSES and name in idx.priority_classes
    return True


def _owner_dropped(obj: Obj, collected_uids: set[str], ctx: FilterContext) -> bool:
    owners = _meta(obj).get("ownerReferences") or []
    if not owners or obj.get("kind") == "PersistentVolumeClaim":
        return False
    if _annotations(obj).get(SKIP_OWNER_CHECK) == "true":
        return False
    if ctx.ignore_owner_references_check:
        first = owners[0]
        return (
            obj.get("kind") == "ReplicaSet"
            and first.get("kind") == "Deployment"
            and first.get("uid") in collected_uids
        )
    if any(o.get("kind") == "Pod" for o in owners):
        return True
    return obj.get("kind") in _DROPPED_WHEN_OWNED and any(
        o.get("uid") in collected_uids for o in owners
    )


def select_objects(listed: list[Obj], ctx: FilterContext) -> list[Obj]:
    """The objects to migrate among everything ``listed``, de-duplicated by UID."""
    idx = _index(listed, ctx)
    kept: list[Obj] = []
    seen: set[str] = set()
    for obj in listed:
        uid = str(_meta(obj).get("uid", ""))
        if uid and uid in seen:
            continue
        if obj.get("kind") != "PersistentVolume" and _excluded_by_labels(
            _labels(obj), ctx.exclude_selectors
        ):
            continue
        if any(_annotations(obj).get(a) == "true" for a in SKIP_ANNOTATIONS):
            continue
        if not _kind_rule(obj, ctx, idx):
            continue
        seen.add(uid)
        kept.append(obj)
    uids = {str(_meta(o).get("uid")) for o in kept}
    return [o for o in kept if not _owner_dropped(o, uids, ctx)]
