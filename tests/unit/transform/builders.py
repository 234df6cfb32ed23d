"""Source objects as a kube-apiserver returns them (LIST items with apiVersion and kind set)."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]
UID = "6f1c1f9e-8c4a-4a53-9d0b-2f7b3c1d9a10"


def server_metadata(name: str, namespace: str | None = "app", **extra: Any) -> Obj:
    """Metadata with every server-managed field a real object carries."""
    meta: Obj = {
        "name": name,
        "uid": UID,
        "resourceVersion": "48213",
        "generation": 4,
        "creationTimestamp": "2026-03-01T10:00:00Z",
        "managedFields": [
            {
                "manager": "kubectl-client-side-apply",
                "operation": "Update",
                "apiVersion": "v1",
                "time": "2026-03-01T10:00:00Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}},
            }
        ],
    }
    if namespace is not None:
        meta["namespace"] = namespace
    meta.update(extra)
    return meta


def pod_spec(affinity: Obj | None = None) -> Obj:
    spec: Obj = {
        "containers": [
            {
                "name": "web",
                "image": "nginx:1.27",
                "ports": [{"containerPort": 80, "protocol": "TCP"}],
                "resources": {"requests": {"cpu": "100m"}},
            }
        ],
        "restartPolicy": "Always",
        "dnsPolicy": "ClusterFirst",
        "schedulerName": "default-scheduler",
    }
    if affinity is not None:
        spec["affinity"] = affinity
    return spec


def deployment(
    replicas: int | None = 3,
    annotations: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    affinity: Obj | None = None,
    kind: str = "Deployment",
    api_version: str = "apps/v1",
) -> Obj:
    spec: Obj = {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}, "annotations": {"team": "a"}},
            "spec": pod_spec(affinity),
        },
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": server_metadata(
            "web",
            labels={"app": "web"} if labels is None else labels,
            annotations={"deployment.kubernetes.io/revision": "7"}
            if annotations is None
            else annotations,
        ),
        "spec": spec,
        "status": {
            "observedGeneration": 4,
            "replicas": replicas,
            "readyReplicas": replicas,
            "conditions": [{"type": "Available", "status": "True"}],
        },
    }


def cronjob(suspend: bool | None = False, annotations: dict[str, str] | None = None) -> Obj:
    spec: Obj = {
        "schedule": "*/5 * * * *",
        "concurrencyPolicy": "Allow",
        "jobTemplate": {
            "spec": {"template": {"spec": {**pod_spec(), "restartPolicy": "OnFailure"}}}
        },
    }
    if suspend is not None:
        spec["suspend"] = suspend
    meta = server_metadata("nightly")
    if annotations is not None:
        meta["annotations"] = annotations
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": meta,
        "spec": spec,
        "status": {"lastScheduleTime": "2026-03-01T10:05:00Z"},
    }


def service(**spec: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": server_metadata("web", labels={"app": "web"}),
        "spec": {
            "selector": {"app": "web"},
            "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
            "sessionAffinity": "None",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "internalTrafficPolicy": "Cluster",
            **spec,
        },
        "status": {"loadBalancer": {}},
    }


def job(manual_selector: bool | None = None) -> Obj:
    """A Job as the API returns it after creating it (selector and uid labels generated)."""
    uid_labels = {"batch.kubernetes.io/controller-uid": UID, "controller-uid": UID}
    name_labels = {"batch.kubernetes.io/job-name": "migrate-db", "job-name": "migrate-db"}
    spec: Obj = {
        "parallelism": 1,
        "completions": 1,
        "backoffLimit": 6,
        "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": UID}},
        "template": {
            "metadata": {"labels": {**uid_labels, **name_labels}},
            "spec": {**pod_spec(), "restartPolicy": "Never"},
        },
    }
    if manual_selector is not None:
        spec["manualSelector"] = manual_selector
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": server_metadata("migrate-db", labels={**uid_labels, **name_labels}),
        "spec": spec,
        "status": {"succeeded": 1, "startTime": "2026-03-01T10:00:01Z"},
    }


def persistent_volume(policy: str = "Delete", annotations: dict[str, str] | None = None) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": server_metadata(
            "pvc-6f1c1f9e",
            namespace=None,
            annotations={
                "pv.kubernetes.io/provisioned-by": "pxd.portworx.com",
                "pv.kubernetes.io/bound-by-controller": "yes",
            }
            if annotations is None
            else annotations,
            finalizers=["kubernetes.io/pv-protection"],
        ),
        "spec": {
            "capacity": {"storage": "10Gi"},
            "accessModes": ["ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": policy,
            "storageClassName": "px-db",
            "volumeMode": "Filesystem",
            "csi": {"driver": "pxd.portworx.com", "volumeHandle": "1129843027283"},
            "claimRef": {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "name": "data",
                "namespace": "app",
                "uid": "0a9d2b3c-1111-4e5f-8a9b-0c1d2e3f4a5b",
                "resourceVersion": "48100",
            },
        },
        "status": {"phase": "Bound"},
    }


def persistent_volume_claim() -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": server_metadata(
            "data",
            annotations={
                "pv.kubernetes.io/bind-completed": "yes",
                "pv.kubernetes.io/bound-by-controller": "yes",
                "volume.beta.kubernetes.io/storage-provisioner": "pxd.portworx.com",
                "volume.kubernetes.io/storage-provisioner": "pxd.portworx.com",
            },
            finalizers=["kubernetes.io/pvc-protection"],
        ),
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "10Gi"}},
            "storageClassName": "px-db",
            "volumeMode": "Filesystem",
            "volumeName": "pvc-6f1c1f9e",
        },
        "status": {"phase": "Bound", "capacity": {"storage": "10Gi"}},
    }


def cluster_role_binding(subjects: list[Obj]) -> Obj:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": server_metadata("app-reader", namespace=None),
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "app-reader",
        },
        "subjects": subjects,
    }


def project_selector(value: str, **more: str) -> Obj:
    return {"matchLabels": {"field.cattle.io/projectId": value, **more}}


def affinity(value: str) -> Obj:
    """Pod affinity and anti-affinity, required and preferred, each selecting a project."""
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {"key": "zone", "operator": "In", "values": [value]},
                        ]
                    }
                ]
            }
        },
        "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {"matchLabels": {"app": "db"}},
                    "namespaceSelector": project_selector(value),
                    "topologyKey": "kubernetes.io/hostname",
                }
            ],
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 50,
                    "podAffinityTerm": {
                        "labelSelector": {"matchLabels": {"app": "cache"}},
                        "namespaceSelector": project_selector(value),
                        "topologyKey": "topology.kubernetes.io/zone",
                    },
                }
            ],
        },
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {"matchLabels": {"app": "web"}},
                    "namespaceSelector": project_selector(value),
                    "topologyKey": "kubernetes.io/hostname",
                }
            ],
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 10,
                    "podAffinityTerm": {
                        "labelSelector": {"matchLabels": {"app": "web"}},
                        "namespaceSelector": project_selector(value),
                        "topologyKey": "topology.kubernetes.io/zone",
                    },
                }
            ],
        },
    }


def affinity_project_values(aff: Obj) -> list[str]:
    """The project value of each of the four namespace selectors of ``affinity()``."""
    key = "field.cattle.io/projectId"
    values = []
    for block in ("podAffinity", "podAntiAffinity"):
        values.append(
            aff[block]["requiredDuringSchedulingIgnoredDuringExecution"][0]["namespaceSelector"][
                "matchLabels"
            ][key]
        )
        values.append(
            aff[block]["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"][
                "namespaceSelector"
            ]["matchLabels"][key]
        )
    return values
