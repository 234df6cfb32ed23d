"""The streamed engine on the sandbox: namespaces in the API server's key order, batches
smaller than a namespace, owners and cluster-scoped objects across batches, a clean re-sync,
a purge. The engine runs in the test process (its batch size made small), against real
clusters."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightkube import ApiError
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import ConfigMap, Namespace, Service
from lightkube.resources.rbac_authorization_v1 import ClusterRole, ClusterRoleBinding

from stork.controller.clients import rest_for
from stork.kube.config import load_config
from stork.kube.discovery import NAMESPACES
from stork.migration import engine
from stork.migration.engine import Job, Result, migrate
from stork.migration.memo import TransformMemo
from stork.migration.namespaces import resolve_namespace_set
from stork.migration.spec import MigrationOptions
from tests.integration.conftest import Clusters
from tests.integration.test_least_privilege import token_kubeconfig
from tests.integration.test_migration import kubectl


@pytest.fixture
def prefix(clusters: Clusters) -> Iterator[str]:
    """Namespaces named so that the API server's order ("p-b" < "p" < "p0") is not Python's."""
    p = f"s{uuid.uuid4().hex[:6]}"
    yield p
    gone: list[tuple[Any, str]] = [(Namespace, n) for n in (p, f"{p}-b", f"{p}0", f"{p}-c")]
    gone += [(ClusterRole, f"{p}-viewer"), (ClusterRole, f"{p}-runner")]
    gone += [(ClusterRoleBinding, f"{p}-runner")]
    for client in (clusters.source, clusters.destination):
        for kind, name in gone:
            with contextlib.suppress(ApiError):
                client.delete(kind, name)


def _source_objects(p: str, ns: str) -> str:
    configmaps = "".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{i}}}\ndata: {{i: '{i}'}}\n"
        for i in range(12)
    )
    deployments = "".join(
        f"""---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web-{i}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: web-{i}}}}}
  template:
    metadata: {{labels: {{app: web-{i}}}}}
    spec: {{containers: [{{name: c, image: nginx}}]}}
"""
        for i in range(3)
    )
    rbac = f"""---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: runner}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: view}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {p}-viewer}}
subjects: [{{kind: ServiceAccount, name: runner, namespace: {ns}}}]
"""
    return configmaps + deployments + rbac


def _cluster_objects(p: str) -> str:
    return f"""---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: {p}-viewer}}
rules: [{{apiGroups: [""], resources: [pods], verbs: [get]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: {p}-runner}}
rules: [{{apiGroups: [""], resources: [configmaps], verbs: [get]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: {p}-runner}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {p}-runner}}
subjects: [{{kind: ServiceAccount, name: runner, namespace: {p}0}}]
"""


async def _migrate(
    clusters: Clusters,
    names: list[str],
    memo: TransformMemo,
    source_kubeconfig: Path | None = None,
    **spec: Any,
) -> Result:
    source = rest_for(load_config(source_kubeconfig or clusters.kubeconfig("source")))
    destination = rest_for(load_config(clusters.kubeconfig("destination")))
    try:
        opts = MigrationOptions.from_spec(
            {"clusterPair": "x", "namespaces": names, "includeVolumes": False, **spec}
        )
        objects = [o async for o in source.list(NAMESPACES, None)]
        namespaces = resolve_namespace_set(opts, objects, "kube-system", "kube-system")
        job = Job("streamed", "kube-system", opts, namespaces)
        return await migrate(source, destination, job, memo=memo)
    finally:
        await source.http.aclose()
        await destination.http.aclose()


def _owned_service(owner: Deployment) -> str:
    assert owner.metadata is not None
    return f"""
apiVersion: v1
kind: Service
metadata:
  name: owned
  ownerReferences:
  - {{apiVersion: apps/v1, kind: Deployment, name: web-0, uid: {owner.metadata.uid}}}
spec:
  selector: {{app: web-0}}
  ports: [{{port: 80}}]
"""


def test_batches_smaller_than_a_namespace_keep_every_rule(
    clusters: Clusters, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "BATCH", 5)
    monkeypatch.setattr(engine, "NAMESPACES_IN_FLIGHT", 2)
    p = prefix
    names = [p, f"{p}-b", f"{p}0", f"{p}-c"]
    source = clusters.kubeconfig("source")
    kubectl(source, "apply", "-f", "-", stdin=_cluster_objects(p))
    for ns in names:
        kubectl(source, "create", "namespace", ns)
        kubectl(source, "apply", "-n", ns, "-f", "-", stdin=_source_objects(p, ns))
    owner = clusters.source.get(Deployment, "web-0", namespace=f"{p}-b")
    kubectl(source, "apply", "-n", f"{p}-b", "-f", "-", stdin=_owned_service(owner))

    memo = TransformMemo()
    first = asyncio.run(_migrate(clusters, names, memo))
    ids = [(e.kind, e.namespace, e.name) for e in first.entries]
    assert len(ids) == len(set(ids)), "an object was applied twice"
    assert all(e.status == "Successful" for e in first.entries), first.entries
    counts = Counter(kind for kind, _, _ in ids)
    expected = {"Namespace": 4, "ConfigMap": 48, "Deployment": 12, "ServiceAccount": 4}
    expected |= {"RoleBinding": 4, "ClusterRole": 2, "ClusterRoleBinding": 1}
    assert dict(counts) == expected  # no owned Service, no ReplicaSet
    assert first.writes == len(ids)

    dest = clusters.destination
    for ns in names:
        assert dest.get(ConfigMap, "cm-11", namespace=ns).data == {"i": "11"}
        web = dest.get(Deployment, "web-2", namespace=ns)
        assert web.spec is not None
        assert web.spec.replicas == 0
    with pytest.raises(ApiError):
        dest.get(Service, "owned", namespace=f"{p}-b")  # its owner travels and re-creates it
    assert dest.get(ClusterRole, f"{p}-viewer").rules
    assert dest.get(ClusterRoleBinding, f"{p}-runner").roleRef.name == f"{p}-runner"

    # Nothing changed: nothing written, nothing drifted.
    second = asyncio.run(_migrate(clusters, names, memo))
    assert second.writes == 0
    assert second.drifted == {}
    assert len(second.entries) == len(first.entries)

    # Deleted on the source: purged on the destination, that object only.
    clusters.source.delete(ConfigMap, "cm-3", namespace=p)
    third = asyncio.run(_migrate(clusters, names, memo, purgeDeletedResources=True))
    purged = [(e.kind, e.namespace, e.name) for e in third.entries if e.status == "Purged"]
    assert purged == [("ConfigMap", p, "cm-3")]
    with pytest.raises(ApiError):
        dest.get(ConfigMap, "cm-3", namespace=p)
    assert third.writes == 0


LIMITED = """
apiVersion: v1
kind: ServiceAccount
metadata: {name: limited, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: PREFIX-limited}
rules:
- {apiGroups: [""], resources: [namespaces, secrets, services, serviceaccounts], verbs: [get, list]}
- {apiGroups: [apps], resources: [deployments], verbs: [get, list]}
- {apiGroups: [apiextensions.k8s.io], resources: [customresourcedefinitions], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: PREFIX-limited}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: PREFIX-limited}
subjects: [{kind: ServiceAccount, name: limited, namespace: kube-system}]
"""


def test_a_purge_keeps_the_copies_of_kinds_the_source_refused_to_list(
    clusters: Clusters, prefix: str, tmp_path: Path
) -> None:
    source = clusters.kubeconfig("source")
    kubectl(source, "create", "namespace", prefix)
    kubectl(source, "apply", "-n", prefix, "-f", "-", stdin=_source_objects(prefix, prefix))
    memo = TransformMemo()
    first = asyncio.run(_migrate(clusters, [prefix], memo))
    assert first.forbidden == []

    # The same migration, by an identity that may not list ConfigMaps, with purge on.
    kubectl(source, "apply", "-f", "-", stdin=LIMITED.replace("PREFIX", prefix))
    token = kubectl(source, "create", "token", "limited", "-n", "kube-system").strip()
    creds = clusters.sandbox.credentials("source")
    limited = tmp_path / "limited.kubeconfig"
    limited.write_text(yaml.safe_dump(token_kubeconfig(creds.server, creds.ca_pem, token, "s")))
    try:
        second = asyncio.run(
            _migrate(clusters, [prefix], memo, limited, purgeDeletedResources=True)
        )
    finally:
        kubectl(source, "delete", "clusterrolebinding,clusterrole", f"{prefix}-limited")
        kubectl(source, "delete", "serviceaccount", "limited", "-n", "kube-system")
    assert "configmaps" in second.forbidden
    assert not [e for e in second.entries if e.status == "Purged"]
    assert clusters.destination.get(ConfigMap, "cm-0", namespace=prefix).data == {"i": "0"}
