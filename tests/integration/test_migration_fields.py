"""A namespace of every kind the issue names, migrated and checked on the destination field by
field: StatefulSet, NodePort Service, HPA, NetworkPolicy and pod affinity with a Rancher project,
a PVC bound to a PV (and bound again after its claim is re-created), a PVC owned by the
StatefulSet, a ClusterRole bound to the namespace; then selectors, excludes, startApplications.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from lightkube import ApiError
from lightkube.resources.apps_v1 import Deployment, StatefulSet
from lightkube.resources.autoscaling_v2 import HorizontalPodAutoscaler
from lightkube.resources.core_v1 import (
    ConfigMap,
    Namespace,
    PersistentVolume,
    PersistentVolumeClaim,
    Service,
)
from lightkube.resources.networking_v1 import NetworkPolicy
from lightkube.resources.rbac_authorization_v1 import ClusterRole, ClusterRoleBinding

from stork.kube.resources import ClusterPairResource
from stork.sandbox.seeds import seed_objects
from tests.integration.conftest import Clusters, RunningController
from tests.integration.test_migration import kubectl, run_migration
from tests.waiting import wait_for

PROJECT = "field.cattle.io/projectId"

APP = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: postgres}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx}]
      affinity:
        podAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - topologyKey: kubernetes.io/hostname
            labelSelector: {matchLabels: {app: cache}}
            namespaceSelector: {matchLabels: {field.cattle.io/projectId: p-src}}
---
apiVersion: v1
kind: Service
metadata: {name: public}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 7
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-project}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {field.cattle.io/projectId: p-src}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: viewer}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: keep, labels: {tier: app}}
data: {a: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: skipped, labels: {tier: app, skip: "true"}}
data: {b: "2"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: other-tier, labels: {tier: ops}}
data: {c: "3"}
"""


def volume(namespace: str) -> str:
    return f"""
apiVersion: v1
kind: PersistentVolume
metadata: {{name: pv-{namespace}}}
spec:
  capacity: {{storage: 1Gi}}
  accessModes: [ReadWriteOnce]
  storageClassName: manual
  persistentVolumeReclaimPolicy: Delete
  hostPath: {{path: /tmp/{namespace}}}
  claimRef: {{namespace: {namespace}, name: data}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: data, namespace: {namespace}}}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: manual
  volumeName: pv-{namespace}
  resources: {{requests: {{storage: 1Gi}}}}
"""


def cluster_rbac(namespace: str) -> str:
    return f"""
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: {namespace}-viewer}}
rules: [{{apiGroups: [""], resources: [pods], verbs: [get, list]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: {namespace}-viewer}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {namespace}-viewer}}
subjects:
- {{kind: ServiceAccount, name: viewer, namespace: {namespace}}}
- {{kind: ServiceAccount, name: someone, namespace: elsewhere}}
"""


def owned_claim(namespace: str, owner_uid: str) -> str:
    return f"""
apiVersion: v1
kind: PersistentVolume
metadata: {{name: pv-{namespace}-db}}
spec:
  capacity: {{storage: 1Gi}}
  accessModes: [ReadWriteOnce]
  storageClassName: manual
  hostPath: {{path: /tmp/{namespace}-db}}
  claimRef: {{namespace: {namespace}, name: data-db-0}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data-db-0
  namespace: {namespace}
  ownerReferences:
  - {{apiVersion: apps/v1, kind: StatefulSet, name: db, uid: {owner_uid}, controller: true}}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: manual
  volumeName: pv-{namespace}-db
  resources: {{requests: {{storage: 1Gi}}}}
"""


def bound(client: Any, name: str, namespace: str) -> bool:
    claim = client.get(PersistentVolumeClaim, name, namespace=namespace)
    return bool(claim.status and claim.status.phase == "Bound")


@pytest.fixture
def rich_app(clusters: Clusters, namespace: str) -> Iterator[str]:
    """The application in a source namespace of Rancher project p-src; a pair mapping it."""
    source = clusters.kubeconfig("source")
    kubectl(source, "label", "namespace", namespace, f"{PROJECT}=p-src")
    kubectl(source, "apply", "-n", namespace, "-f", "-", stdin=APP)
    kubectl(source, "apply", "-f", "-", stdin=volume(namespace))
    kubectl(source, "apply", "-f", "-", stdin=cluster_rbac(namespace))
    sts = clusters.source.get(StatefulSet, "db", namespace=namespace)
    assert sts.metadata is not None
    kubectl(source, "apply", "-f", "-", stdin=owned_claim(namespace, str(sts.metadata.uid)))
    for claim in ("data", "data-db-0"):
        wait_for(lambda c=claim: bound(clusters.source, c, namespace), 60, f"{claim} bound")
    pair = copy.deepcopy(seed_objects(clusters.sandbox.credentials("destination"))[1])
    pair["metadata"] = {"name": "remote", "namespace": namespace}
    pair["spec"]["platformOptions"] = {"rancher": {"projectMappings": {"p-src": "p-dst"}}}
    pair.pop("status")
    clusters.source.create(ClusterPairResource.from_dict(pair))
    yield namespace
    for client in (clusters.source, clusters.destination):
        for name in (f"pv-{namespace}", f"pv-{namespace}-db"):
            try:
                client.delete(PersistentVolume, name)
            except ApiError as e:
                if e.status.code != 404:
                    raise
        for cluster_scoped in (ClusterRoleBinding, ClusterRole):
            try:
                client.delete(cluster_scoped, f"{namespace}-viewer")
            except ApiError as e:
                if e.status.code != 404:
                    raise


def test_every_kind_arrives_as_it_should(
    clusters: Clusters, rich_app: str, controller: RunningController
) -> None:
    ns = rich_app
    result = run_migration(clusters, ns, "fields")
    assert result["status"] == "Successful", result
    dest, src = clusters.destination, clusters.source

    namespace = dest.get(Namespace, ns)
    assert namespace.metadata is not None
    assert namespace.metadata.labels is not None
    assert namespace.metadata.labels[PROJECT] == "p-dst"

    sts = dest.get(StatefulSet, "db", namespace=ns)
    assert sts.spec is not None
    assert sts.metadata is not None
    assert sts.metadata.annotations
    assert sts.spec.replicas == 0
    assert sts.metadata.annotations["stork.openstorage.org/migrationReplicas"] == "2"
    assert sts.spec.serviceName == "db"

    web = dest.get(Deployment, "web", namespace=ns)
    assert web.spec is not None
    assert web.spec.template.spec is not None
    affinity = web.spec.template.spec.affinity
    assert affinity is not None
    assert affinity.podAffinity is not None
    term = affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]
    assert term.namespaceSelector is not None
    assert term.namespaceSelector.matchLabels == {PROJECT: "p-dst"}

    public_src = src.get(Service, "public", namespace=ns)
    public = dest.get(Service, "public", namespace=ns)
    assert public.spec is not None
    assert public_src.spec is not None
    assert public.spec.type == "NodePort"
    assert public.spec.ports[0].nodePort == public_src.spec.ports[0].nodePort  # kept, as Stork
    assert public.spec.clusterIP is not None
    assert public.spec.clusterIP.startswith("10.100.")

    hpa = dest.get(HorizontalPodAutoscaler, "web", namespace=ns)
    assert hpa.spec is not None
    assert (hpa.spec.minReplicas, hpa.spec.maxReplicas) == (2, 7)
    assert hpa.spec.scaleTargetRef.name == "web"

    policy = dest.get(NetworkPolicy, "from-project", namespace=ns)
    assert policy.spec is not None
    assert policy.spec.ingress
    peer = policy.spec.ingress[0].from_[0]
    assert peer.namespaceSelector is not None
    assert peer.namespaceSelector.matchLabels == {PROJECT: "p-dst"}

    role = dest.get(ClusterRole, f"{ns}-viewer")
    assert role.rules is not None
    assert role.rules[0].verbs == ["get", "list"]
    binding = dest.get(ClusterRoleBinding, f"{ns}-viewer")
    assert [(s.name, s.namespace) for s in binding.subjects or []] == [("viewer", ns)]

    pv = dest.get(PersistentVolume, f"pv-{ns}")
    assert pv.spec is not None
    assert pv.metadata is not None
    assert pv.metadata.annotations
    assert pv.spec.persistentVolumeReclaimPolicy == "Retain"  # shared storage is never deleted
    assert pv.metadata.annotations["stork.libopenstorage.org/reclaimPolicy"] == "Delete"
    wait_for(lambda: bound(dest, "data", ns), 60, "the migrated claim bound on the destination")

    claim = dest.get(PersistentVolumeClaim, "data-db-0", namespace=ns)
    assert claim.metadata is not None
    assert claim.metadata.ownerReferences
    [owner] = claim.metadata.ownerReferences
    assert sts.metadata.uid is not None
    assert (owner.kind, owner.name, owner.uid, owner.controller) == (
        "StatefulSet",
        "db",
        sts.metadata.uid,
        True,
    )

    # The claim deleted on the destination: the next migration re-creates it and it binds again
    # (the PV named the old claim's uid and was Released).
    dest.delete(PersistentVolumeClaim, "data", namespace=ns)
    wait_for(lambda: _phase(dest, f"pv-{ns}") == "Released", 60, "the PV released")
    again = run_migration(clusters, ns, "fields-again")
    assert again["status"] == "Successful", again
    wait_for(lambda: bound(dest, "data", ns), 60, "the re-created claim bound again")


def _phase(client: Any, pv: str) -> str | None:
    status = client.get(PersistentVolume, pv).status
    return status.phase if status else None


def test_selectors_and_excludes(
    clusters: Clusters, rich_app: str, controller: RunningController
) -> None:
    ns = rich_app
    result = run_migration(
        clusters, ns, "chosen", selectors={"tier": "app"}, excludeSelectors={"skip": "true"}
    )
    assert result["status"] == "Successful", result
    config_maps = {r["name"] for r in result["resources"] if r["kind"] == "ConfigMap"}
    assert config_maps == {"keep"}
    names = {
        o.metadata.name for o in clusters.destination.list(ConfigMap, namespace=ns) if o.metadata
    }
    assert "keep" in names
    assert not {"skipped", "other-tier"} & names
    assert not any(r["kind"] == "Deployment" for r in result["resources"])  # unlabelled


def test_start_applications_keeps_the_replicas(
    clusters: Clusters, rich_app: str, controller: RunningController
) -> None:
    ns = rich_app
    result = run_migration(clusters, ns, "started", startApplications=True)
    assert result["status"] == "Successful", result
    web = clusters.destination.get(Deployment, "web", namespace=ns)
    assert web.spec is not None
    assert web.spec.replicas == 3
    sts = clusters.destination.get(StatefulSet, "db", namespace=ns)
    assert sts.spec is not None
    assert sts.spec.replicas == 2
    assert web.metadata is not None
    assert "stork.openstorage.org/migrationReplicas" not in (web.metadata.annotations or {})
