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


def _priority_class_of(obj: Obj) -> str | None:
    """The priority class a Deployment's pods name (None for other kinds)."""
    if obj.get("kind") != "Deployment":
        return None
    template = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    name = template.get("priorityClassName")
    return str(name) if name else None


def _bound_claim(obj: Obj) -> bool:
    return (
        obj.get("kind") == "PersistentVolumeClaim"
        and (obj.get("status") or {}).get("phase") == "Bound"
    )


def _role_of(binding: Obj) -> str:
    return str((binding.get("roleRef") or {}).get("name"))


def _pv_wanted(pv: Obj, claim: Obj, ctx: FilterContext) -> bool:
    """Stork's rule for a PV whose claimRef names ``claim`` (a listed, bound claim)."""
    ref = (pv.get("spec") or {}).get("claimRef") or {}
    if ref.get("namespace") not in ctx.namespaces:
        return False
    if (pv.get("status") or {}).get("phase") != "Bound":
        return False
    claim_labels = _labels(claim)
    if _excluded_by_labels(claim_labels, ctx.exclude_selectors):
        return False
    return all(claim_labels.get(k) == v for k, v in ctx.selectors.items())


def _crb_wanted(obj: Obj, ctx: FilterContext, sas: set[tuple[str, str]]) -> bool:
    subjects = obj.get("subjects") or []
    return not _is_system_rbac(obj) and any(_subject_in_namespaces(s, ctx, sas) for s in subjects)


def _kind_rule(obj: Obj, ctx: FilterContext) -> bool:
    """Stork's rule for an object of a kind that needs only the object itself.

    (PersistentVolumes, ClusterRoles, ClusterRoleBindings and PriorityClasses depend on other
    objects: see :class:`Selector`.)"""
    kind, meta = obj.get("kind"), _meta(obj)
    name = str(meta.get("name", ""))
    if kind == "Service":
        return name != "kubernetes"
    if kind == "PersistentVolumeClaim":
        return (obj.get("status") or {}).get("phase") == "Bound" and not meta.get(
            "deletionTimestamp"
        )
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
    return True


GroupKind = tuple[str, str]


def _group_kind(ref: Mapping[str, Any]) -> GroupKind:
    api_version = str(ref.get("apiVersion") or "")
    return (api_version.rpartition("/")[0], str(ref.get("kind") or ""))


def _owner_verdict(
    obj: Obj, collected_uids: set[str], ctx: FilterContext, pending: frozenset[GroupKind]
) -> bool | None:
    """Whether ``obj`` stays (False: its owner travels and recreates it), or None when an
    owner of a kind in ``pending`` (not listed yet) decides it."""
    owners = _meta(obj).get("ownerReferences") or []
    if not owners or obj.get("kind") == "PersistentVolumeClaim":
        return True
    if _annotations(obj).get(SKIP_OWNER_CHECK) == "true":
        return True
    if ctx.ignore_owner_references_check:
        first = owners[0]
        if obj.get("kind") != "ReplicaSet" or first.get("kind") != "Deployment":
            return True
        candidates = [first]
    elif any(o.get("kind") == "Pod" for o in owners):
        return False
    elif obj.get("kind") in _DROPPED_WHEN_OWNED:
        candidates = owners
    else:
        return True
    if any(o.get("uid") in collected_uids for o in candidates):
        return False
    if any(_group_kind(o) in pending for o in candidates):
        return None
    return True


def _passes(obj: Obj, ctx: FilterContext) -> bool:
    """The rules every object passes first: exclude selectors (not for PVs), skip annotations."""
    if obj.get("kind") != "PersistentVolume" and _excluded_by_labels(
        _labels(obj), ctx.exclude_selectors
    ):
        return False
    return not any(_annotations(obj).get(a) == "true" for a in SKIP_ANNOTATIONS)


def _uid(obj: Obj) -> str:
    return str(_meta(obj).get("uid") or "")


def _by_name(objects: Iterable[Obj]) -> dict[str, list[Obj]]:
    out: dict[str, list[Obj]] = {}
    for o in objects:
        out.setdefault(str(_meta(o).get("name", "")), []).append(o)
    return out


class Selector:
    """Stork's selection for a migration that goes namespace by namespace.

    Built from the cluster-scoped objects listed for the migration; each namespace's objects
    are then given to :meth:`namespace`'s selection, in batches, and what they pull in of the
    cluster-scoped ones (the PVs of their bound claims, the ClusterRoles their RoleBindings
    name, the PriorityClasses their Deployments use) comes with them; :meth:`finish` gives
    the cluster-scoped objects that depend on every namespace (ClusterRoleBindings whose
    subjects are among the listed ServiceAccounts, and their ClusterRoles) and the others
    (webhook configurations). What is kept across namespaces is a few names and uids.
    """

    def __init__(self, ctx: FilterContext, cluster_objects: Iterable[Obj]) -> None:
        self.ctx = ctx
        self._volumes: dict[tuple[str, str], list[Obj]] = {}
        roles: list[Obj] = []
        classes: list[Obj] = []
        self._bindings: list[Obj] = []
        self._others: list[Obj] = []
        for obj in cluster_objects:
            kind = obj.get("kind")
            if kind == "PersistentVolume":
                ref = (obj.get("spec") or {}).get("claimRef") or {}
                claim = (str(ref.get("namespace", "")), str(ref.get("name", "")))
                if claim[0] in ctx.namespaces:
                    self._volumes.setdefault(claim, []).append(obj)
            elif kind == "ClusterRole":
                roles.append(obj)
            elif kind == "PriorityClass":
                classes.append(obj)
            elif kind == "ClusterRoleBinding":
                self._bindings.append(obj)
            else:
                self._others.append(obj)
        self._roles = _by_name(roles)
        self._classes = _by_name(classes)
        #: ServiceAccounts that ClusterRoleBinding subjects name, and those of them listed.
        self._named_accounts = {
            (str(s.get("namespace")), str(s.get("name", "")))
            for b in self._bindings
            for s in b.get("subjects") or []
            if s.get("kind") == "ServiceAccount"
        }
        self._accounts: set[tuple[str, str]] = set()
        #: Uids of the cluster-scoped objects taken so far (each travels once).
        self._taken: set[str] = set()

    def namespace(self, namespace: str) -> NamespaceSelection:
        """The selection of one namespace's objects."""
        return NamespaceSelection(self, namespace)

    def _take(self, obj: Obj, wanted: bool) -> bool:
        """Whether the cluster-scoped ``obj`` travels now (once, when ``wanted``)."""
        uid = _uid(obj)
        if not wanted or (uid and uid in self._taken) or not _passes(obj, self.ctx):
            return False
        if _owner_verdict(obj, self._taken, self.ctx, frozenset()) is False:
            return False
        if uid:
            self._taken.add(uid)
        return True

    def _pulled_in(self, listed: list[Obj]) -> list[Obj]:
        """The cluster-scoped objects that objects of one namespace bring along."""
        out: list[Obj] = []
        for obj in listed:
            meta = _meta(obj)
            key = (str(meta.get("namespace", "")), str(meta.get("name", "")))
            kind = obj.get("kind")
            if kind == "ServiceAccount" and key in self._named_accounts:
                self._accounts.add(key)
            elif _bound_claim(obj):
                for pv in self._volumes.get(key, ()):
                    if self._take(pv, _pv_wanted(pv, obj, self.ctx)):
                        out.append(pv)
            elif kind == "RoleBinding" and key[0] in self.ctx.namespaces:
                for role in self._roles.get(_role_of(obj), ()):
                    if self._take(role, not _is_system_rbac(role)):
                        out.append(role)
            elif (name := _priority_class_of(obj)) is not None:
                for pc in self._classes.get(name, ()):
                    if self._take(pc, name not in _SYSTEM_PRIORITY_CLASSES):
                        out.append(pc)
        return out

    def finish(self) -> list[Obj]:
        """The cluster-scoped objects that depend on no namespace's objects, or on them all;
        call once every namespace is done."""
        bound = [
            b for b in self._bindings if _crb_wanted(b, self.ctx, self._accounts)
        ]  # their roles travel whatever becomes of the bindings themselves (Stork's rule)
        out = [b for b in self._bindings if self._take(b, _crb_wanted(b, self.ctx, self._accounts))]
        for name in dict.fromkeys(_role_of(b) for b in bound):
            out += [r for r in self._roles.get(name, ()) if self._take(r, not _is_system_rbac(r))]
        out += [o for o in self._others if self._take(o, _kind_rule(o, self.ctx))]
        return out


class NamespaceSelection:
    """The selection of one namespace, batch by batch (see :class:`Selector`)."""

    def __init__(self, selector: Selector, namespace: str) -> None:
        self._selector = selector
        self.namespace = namespace
        #: Uids of this namespace's objects that pass the rules (owners of others).
        self._kept: set[str] = set()
        #: Objects whose owner is of a kind not listed yet.
        self._waiting: list[Obj] = []

    def select(self, listed: list[Obj], pending: frozenset[GroupKind] = frozenset()) -> list[Obj]:
        """What travels of ``listed`` (a batch of this namespace's objects), and of the
        cluster-scoped objects they bring along; ``pending`` are the kinds whose objects in
        this namespace are still to come (an object they may own waits for them)."""
        ctx = self._selector.ctx
        kept: list[Obj] = []
        for obj in listed:
            uid = _uid(obj)
            if uid and uid in self._kept:
                continue
            if _passes(obj, ctx) and _kind_rule(obj, ctx):
                if uid:
                    self._kept.add(uid)
                kept.append(obj)
        out = self._settle([*self._waiting, *kept], pending)
        return [*self._selector._pulled_in(listed), *out]

    def finish(self) -> list[Obj]:
        """Objects still waiting for an owner's kind once every kind was listed."""
        return self._settle(self._waiting, frozenset())

    def _settle(self, objects: list[Obj], pending: frozenset[GroupKind]) -> list[Obj]:
        ctx = self._selector.ctx
        owners = self._kept | self._selector._taken
        out: list[Obj] = []
        self._waiting = []
        for obj in objects:
            verdict = _owner_verdict(obj, owners, ctx, pending)
            if verdict is None:
                self._waiting.append(obj)
            elif verdict:
                out.append(obj)
        return out


def select_objects(listed: list[Obj], ctx: FilterContext) -> list[Obj]:
    """The objects to migrate among everything ``listed`` (each namespace's objects and the
    cluster-scoped ones), de-duplicated by UID, in the order listed."""
    by_namespace: dict[str, list[Obj]] = {}
    cluster: list[Obj] = []
    for obj in listed:
        ns = _meta(obj).get("namespace")
        if ns:
            by_namespace.setdefault(str(ns), []).append(obj)
        else:
            cluster.append(obj)
    selector = Selector(ctx, cluster)
    chosen: list[Obj] = []
    for ns, objects in by_namespace.items():
        selection = selector.namespace(ns)
        chosen += selection.select(objects)
        chosen += selection.finish()
    chosen += selector.finish()
    position = {id(o): i for i, o in enumerate(listed)}
    return sorted(chosen, key=lambda o: position[id(o)])
