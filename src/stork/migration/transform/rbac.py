"""ClusterRoleBindings keep only the subjects that belong to the migrated namespaces."""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any

from stork.migration.transform._objects import Obj, group_kind

SERVICE_ACCOUNT_USER_PREFIX = "system:serviceaccount:"
SERVICE_ACCOUNT_GROUP_PREFIX = "system:serviceaccounts:"


def subject_namespace(subject: Mapping[str, Any]) -> str | None:
    """The namespace a subject belongs to, or None for a subject outside every namespace.

    ``ServiceAccount``: its ``namespace``; ``User`` ``system:serviceaccount:<ns>:<name>``:
    ``<ns>``; ``Group`` ``system:serviceaccounts:<ns>`` (every service account of ``<ns>``):
    ``<ns>``. Stork compares that group without its ``s`` and so never matches it; we do.
    """
    kind, name = subject.get("kind"), subject.get("name")
    if not isinstance(name, str):
        return None
    if kind == "ServiceAccount":
        namespace = subject.get("namespace")
        return namespace if isinstance(namespace, str) and namespace else None
    if kind == "User" and name.startswith(SERVICE_ACCOUNT_USER_PREFIX):
        parts = name.removeprefix(SERVICE_ACCOUNT_USER_PREFIX).split(":")
        return parts[0] if len(parts) == 2 and all(parts) else None
    if kind == "Group" and name.startswith(SERVICE_ACCOUNT_GROUP_PREFIX):
        return name.removeprefix(SERVICE_ACCOUNT_GROUP_PREFIX) or None
    return None


def filter_subjects(obj: Mapping[str, Any], namespaces: Set[str]) -> Obj:
    """A ClusterRoleBinding with only the subjects of ``namespaces``, in their order (other
    objects: a plain copy).

    Other users and groups, and service accounts of other namespaces, must not gain the role on
    the destination. Unlike Stork, a namespace's ``default`` service account stays: the
    destination has one too, and its pods need the same permissions after a failover. (Whether
    a service account exists is the collector's question, not this pure one.)
    """
    out = dict(obj)
    subjects = obj.get("subjects")
    if group_kind(obj) != ("rbac.authorization.k8s.io", "ClusterRoleBinding") or not isinstance(
        subjects, list
    ):
        return out
    out["subjects"] = [
        s for s in subjects if isinstance(s, Mapping) and subject_namespace(s) in namespaces
    ]
    return out
