"""Aggregated discovery (one document for every group) read as the per-group path reads it."""

from __future__ import annotations

from stork.kube.discovery import ResourceType, _aggregated_types


def resource(
    name: str, kind: str, verbs: list[str], scope: str = "Namespaced"
) -> dict[str, object]:
    return {"resource": name, "responseKind": {"kind": kind}, "scope": scope, "verbs": verbs}


ALL = ["create", "delete", "get", "list", "patch", "watch"]


def test_preferred_fresh_versions_and_only_resources_we_can_use() -> None:
    doc = {
        "items": [
            {
                "metadata": {"name": "apps"},
                "versions": [
                    {
                        "version": "v1",
                        "resources": [
                            resource("deployments", "Deployment", ALL),
                            resource("controllerrevisions", "ControllerRevision", ["get", "list"]),
                        ],
                    },
                    {
                        "version": "v1beta1",
                        "resources": [resource("deployments", "Deployment", ALL)],
                    },
                ],
            },
            {
                "metadata": {"name": "metrics.k8s.io"},
                "versions": [
                    {
                        "version": "v1beta1",
                        "freshness": "Stale",
                        "resources": [resource("pods", "PodMetrics", ALL)],
                    }
                ],
            },
            {
                "metadata": {"name": "rbac.authorization.k8s.io"},
                "versions": [
                    {
                        "version": "v1",
                        "resources": [resource("clusterroles", "ClusterRole", ALL, "Cluster")],
                    }
                ],
            },
        ]
    }
    assert _aggregated_types(doc) == [
        ResourceType("apps", "v1", "Deployment", "deployments", True),
        ResourceType("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False),
    ]
    core = {
        "items": [
            {
                "metadata": {},
                "versions": [
                    {"version": "v1", "resources": [resource("configmaps", "ConfigMap", ALL)]}
                ],
            }
        ]
    }
    assert _aggregated_types(core) == [ResourceType("", "v1", "ConfigMap", "configmaps", True)]
