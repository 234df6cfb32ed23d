"""The objects that give the migration engine least-privilege access to a destination.

A ServiceAccount, a ClusterRole with :func:`stork.deploy.rbac.destination_rules`, its binding, and a
long-lived token Secret of the ServiceAccount (the API server fills in the token): the
ClusterPair on the source is then built from that token instead of an admin kubeconfig.
"""

from __future__ import annotations

from typing import Any

from stork.deploy.manifests import LABELS, render
from stork.deploy.rbac import destination_rules

Manifest = dict[str, Any]

DEFAULT_NAME = "stork-destination"
DEFAULT_NAMESPACE = "stork-system"


def token_secret_name(name: str) -> str:
    """The name of the ServiceAccount's token Secret."""
    return f"{name}-token"


def destination_manifests(
    name: str = DEFAULT_NAME,
    namespace: str = DEFAULT_NAMESPACE,
    custom_groups: list[str] | None = None,
    *,
    rbac_escalation: bool = True,
) -> list[Manifest]:
    """Namespace, ServiceAccount, ClusterRole, ClusterRoleBinding, token Secret (rules commented).

    Pass the objects to :func:`stork.deploy.render` (or strip the comments with
    :func:`stork.deploy.rbac.plain`) before use.
    """
    labels = {**LABELS, "app.kubernetes.io/component": "destination"}

    def meta(obj_name: str, ns: str | None = None, **extra: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"name": obj_name}
        if ns:
            out["namespace"] = ns
        out["labels"] = dict(labels)
        out.update(extra)
        return out

    subject = {"kind": "ServiceAccount", "name": name, "namespace": namespace}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": meta(namespace)},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(name, namespace)},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": meta(name),
            "rules": destination_rules(custom_groups, rbac_escalation=rbac_escalation),
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": meta(name),
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": name,
            },
            "subjects": [subject],
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/service-account-token",
            "metadata": meta(
                token_secret_name(name),
                namespace,
                annotations={"kubernetes.io/service-account.name": name},
            ),
        },
    ]


def render_all(objs: list[Manifest]) -> str:
    """The objects as one multi-document YAML stream (kubectl-applyable)."""
    return "---\n".join(render(o) for o in objs)
