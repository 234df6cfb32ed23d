"""Each transform on its own, and the pipeline: exact outputs, inputs untouched."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from stork.migration.transform import (
    CRONJOB_SUSPEND_ANNOTATION,
    MIGRATION_REPLICAS_ANNOTATION,
    TransformContext,
    migration_annotations,
    transform,
)
from stork.migration.transform.jobs import clean_job
from stork.migration.transform.metadata import clean_metadata
from stork.migration.transform.rancher import map_or_drop, map_projects
from stork.migration.transform.rbac import filter_subjects
from stork.migration.transform.service import clear_service_addresses
from stork.migration.transform.volumes import RECLAIM_POLICY_ANNOTATION, prepare_volume
from stork.migration.transform.workloads import MIGRATED_LABEL, scale_down

NS = frozenset({"app"})


def deployment(
    replicas: int | None = 3, annotations: dict[str, str] | None = None
) -> dict[str, Any]:
    spec: dict[str, Any] = {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}
    if replicas is not None:
        spec["replicas"] = replicas
    meta: dict[str, Any] = {
        "name": "web",
        "namespace": "app",
        "uid": "u1",
        "resourceVersion": "42",
        "generation": 3,
        "creationTimestamp": "2026-01-01T00:00:00Z",
        "managedFields": [{"manager": "kubectl"}],
        "ownerReferences": [{"kind": "X"}],
        "finalizers": ["f"],
        "labels": {"app": "web"},
    }
    if annotations is not None:
        meta["annotations"] = annotations
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": spec,
        "status": {"replicas": 3},
    }


def test_metadata_keeps_identity_labels_annotations_and_drops_status() -> None:
    obj = deployment(annotations={"a": "1", "deployment.kubernetes.io/revision": "4"})
    before = copy.deepcopy(obj)
    out = clean_metadata(obj)
    assert out["metadata"] == {
        "name": "web",
        "namespace": "app",
        "labels": {"app": "web"},
        "annotations": {"a": "1"},
    }
    assert "status" not in out
    assert obj == before


def test_service_addresses() -> None:
    svc = {
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {
            "type": "LoadBalancer",
            "clusterIP": "10.96.0.10",
            "clusterIPs": ["10.96.0.10"],
            "loadBalancerIP": "1.2.3.4",
            "healthCheckNodePort": 31000,
            "ports": [{"port": 80, "nodePort": 30080}],
        },
    }
    out = clear_service_addresses(svc, skip_service_update=False)
    assert out["spec"] == {"type": "LoadBalancer", "ports": [{"port": 80, "nodePort": 30080}]}
    assert svc["spec"]["clusterIP"] == "10.96.0.10"
    headless = {
        "kind": "Service",
        "metadata": {"name": "h"},
        "spec": {"clusterIP": "None", "clusterIPs": ["None"]},
    }
    assert clear_service_addresses(headless, False)["spec"] == {
        "clusterIP": "None",
        "clusterIPs": ["None"],
    }
    assert clear_service_addresses(svc, skip_service_update=True) is svc
    marked = {
        **svc,
        "metadata": {
            "name": "s",
            "annotations": {"stork.libopenstorage.org/skip-modify-resource": ""},
        },
    }
    assert clear_service_addresses(marked, False)["spec"]["clusterIP"] == "10.96.0.10"


def test_scale_down_records_replicas_and_labels() -> None:
    out = scale_down(deployment(3), start_applications=False)
    assert out["spec"]["replicas"] == 0
    assert out["metadata"]["annotations"][MIGRATION_REPLICAS_ANNOTATION] == "3"
    assert out["metadata"]["labels"][MIGRATED_LABEL] == "true"
    assert (
        scale_down(deployment(None), False)["metadata"]["annotations"][
            MIGRATION_REPLICAS_ANNOTATION
        ]
        == "1"
    )
    assert scale_down(deployment(3), start_applications=True)["spec"]["replicas"] == 3


def test_scale_down_carries_an_earlier_count_forward() -> None:
    already = deployment(0, {MIGRATION_REPLICAS_ANNOTATION: "5"})
    assert (
        scale_down(already, False)["metadata"]["annotations"][MIGRATION_REPLICAS_ANNOTATION] == "5"
    )


def test_cronjobs_are_suspended_recording_their_own_value() -> None:
    for original, recorded in ((None, "false"), (False, "false"), (True, "true")):
        spec: dict[str, Any] = {"schedule": "* * * * *"}
        if original is not None:
            spec["suspend"] = original
        cron = {"kind": "CronJob", "metadata": {"name": "c"}, "spec": spec}
        out = scale_down(cron, False)
        assert out["spec"]["suspend"] is True
        assert out["metadata"]["annotations"][CRONJOB_SUSPEND_ANNOTATION] == recorded
        # a second pass (the destination form again) keeps the first record
        assert (
            scale_down(out, False)["metadata"]["annotations"][CRONJOB_SUSPEND_ANNOTATION]
            == recorded
        )


def test_jobs_lose_controller_uid_labels() -> None:
    job = {
        "kind": "Job",
        "metadata": {"name": "j", "labels": {"controller-uid": "x", "app": "a"}},
        "spec": {
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "x"}},
            "template": {
                "metadata": {
                    "labels": {
                        "controller-uid": "x",
                        "batch.kubernetes.io/controller-uid": "x",
                        "app": "a",
                    }
                }
            },
        },
    }
    out = clean_job(job)
    assert out["metadata"]["labels"] == {"app": "a"}
    assert "selector" not in out["spec"]
    assert out["spec"]["template"]["metadata"]["labels"] == {"app": "a"}
    assert job["metadata"]["labels"]["controller-uid"] == "x"


def test_cluster_role_binding_subjects() -> None:
    crb = {
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "b"},
        "subjects": [
            {"kind": "ServiceAccount", "name": "a", "namespace": "app"},
            {"kind": "ServiceAccount", "name": "b", "namespace": "other"},
            {"kind": "User", "name": "system:serviceaccount:app:c"},
            {"kind": "User", "name": "alice"},
            {"kind": "Group", "name": "system:serviceaccounts:app"},
        ],
    }
    assert [s["name"] for s in filter_subjects(crb, NS)["subjects"]] == [
        "a",
        "system:serviceaccount:app:c",
        "system:serviceaccounts:app",
    ]


def test_volumes() -> None:
    pv = {
        "kind": "PersistentVolume",
        "metadata": {"name": "pv1"},
        "spec": {
            "persistentVolumeReclaimPolicy": "Delete",
            "claimRef": {
                "kind": "PersistentVolumeClaim",
                "name": "data",
                "namespace": "app",
                "uid": "u",
                "resourceVersion": "9",
            },
        },
    }
    out = prepare_volume(pv)
    assert out["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert out["metadata"]["annotations"] == {RECLAIM_POLICY_ANNOTATION: "Delete"}
    assert out["spec"]["claimRef"] == {
        "kind": "PersistentVolumeClaim",
        "name": "data",
        "namespace": "app",
    }
    pvc = {
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": "data",
            "annotations": {"pv.kubernetes.io/bind-completed": "yes", "keep": "1"},
        },
        "spec": {"volumeName": "pv1"},
    }
    assert prepare_volume(pvc)["metadata"]["annotations"] == {"keep": "1"}
    assert prepare_volume(pvc)["spec"]["volumeName"] == "pv1"


MAPPING = {"p-src": "p-dst", "c-1:p-src": "c-2:p-dst"}


def test_rancher_labels_and_annotations_map_or_drop() -> None:
    labels = {
        "app": "web",
        "field.cattle.io/projectId": "p-src",
        "field.cattle.io/projectID": "p-src",
        "other.cattle.io/projectId": "p-unknown",
        "cattle.io/creator": "norman",
    }
    assert map_or_drop(labels, MAPPING) == {
        "app": "web",
        "field.cattle.io/projectId": "p-dst",
        "field.cattle.io/projectID": "p-dst",
    }
    assert map_or_drop({"field.cattle.io/projectId": "p-src", "a": "b"}, {}) == {"a": "b"}


def _selector(value: str) -> dict[str, Any]:
    return {"matchLabels": {"field.cattle.io/projectId": value, "team": "x"}}


def test_rancher_network_policy_and_affinity_selectors() -> None:
    policy = {
        "kind": "NetworkPolicy",
        "metadata": {"name": "np"},
        "spec": {
            "ingress": [{"from": [{"namespaceSelector": _selector("p-src")}]}],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {
                                "matchExpressions": [
                                    {
                                        "key": "field.cattle.io/projectId",
                                        "operator": "In",
                                        "values": ["p-src", "p-other"],
                                    }
                                ]
                            }
                        }
                    ]
                }
            ],
        },
    }
    out = map_projects(policy, MAPPING)
    assert out["spec"]["ingress"][0]["from"][0]["namespaceSelector"] == _selector("p-dst")
    assert out["spec"]["egress"][0]["to"][0]["namespaceSelector"]["matchExpressions"][0][
        "values"
    ] == ["p-dst", "p-other"]

    affinity = {
        "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"namespaceSelector": _selector("p-src"), "topologyKey": "k"}
            ]
        },
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 1,
                    "podAffinityTerm": {
                        "namespaceSelector": _selector("p-src"),
                        "topologyKey": "k",
                    },
                }
            ]
        },
    }
    pod = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"affinity": copy.deepcopy(affinity)}}
    workload = deployment()
    workload["spec"]["template"]["spec"]["affinity"] = copy.deepcopy(affinity)
    cron = {
        "kind": "CronJob",
        "metadata": {"name": "c"},
        "spec": {
            "jobTemplate": {"spec": {"template": {"spec": {"affinity": copy.deepcopy(affinity)}}}}
        },
    }
    for obj, path in (
        (pod, ("spec",)),
        (workload, ("spec", "template", "spec")),
        (cron, ("spec", "jobTemplate", "spec", "template", "spec")),
    ):
        mapped = map_projects(obj, MAPPING)
        spec = mapped
        for key in path:
            spec = spec[key]
        aff = spec["affinity"]
        assert aff["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0][
            "namespaceSelector"
        ] == _selector("p-dst")
        assert aff["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0][
            "podAffinityTerm"
        ]["namespaceSelector"] == _selector("p-dst")
    assert pod["spec"]["affinity"] == affinity  # input untouched


def test_pipeline_and_annotations() -> None:
    ctx = TransformContext(project_mappings=MAPPING, namespaces=NS)
    obj = deployment(4, {"field.cattle.io/projectId": "p-src"})
    out = transform(obj, ctx)
    assert out["metadata"]["annotations"] == {
        "field.cattle.io/projectId": "p-dst",
        MIGRATION_REPLICAS_ANNOTATION: "4",
    }
    assert out["spec"]["replicas"] == 0
    assert "status" not in out
    when = dt.datetime(2019, 2, 14, 22, 16, 51, tzinfo=dt.UTC)
    annotations = migration_annotations("m1", "ns1", when)
    assert annotations["stork.libopenstorage.org/migrated"] == "true"
    assert annotations["stork.libopenstorage.org/migrationName"] == "m1"
    assert annotations["stork.libopenstorage.org/migrationNamespace"] == "ns1"
    assert annotations["stork.libopenstorage.org/migrationTime"] == when.astimezone().strftime(
        "%Y-%m-%d-%H%M%S"
    )


keys = st.text(alphabet="abcxyz./-", min_size=1, max_size=12)
values = st.text(alphabet="abcp-:12", min_size=0, max_size=8)


@given(
    st.dictionaries(keys, values, max_size=6),
    st.dictionaries(values, values, max_size=4),
    st.integers(0, 5),
    st.booleans(),
)
def test_transform_is_idempotent(
    labels: dict[str, str], mapping: dict[str, str], replicas: int, start: bool
) -> None:
    obj = deployment(replicas)
    obj["metadata"]["labels"] = labels
    obj["metadata"]["annotations"] = dict(labels)
    ctx = TransformContext(start_applications=start, project_mappings=mapping, namespaces=NS)
    once = transform(obj, ctx)
    assert transform(once, ctx) == once
    if not start:
        assert once["metadata"]["annotations"][MIGRATION_REPLICAS_ANNOTATION] == str(replicas)


@given(st.dictionaries(keys.filter(lambda k: "cattle.io" not in k), values, max_size=6))
def test_empty_mapping_keeps_every_non_rancher_key(labels: dict[str, str]) -> None:
    assert map_or_drop(labels, {}) == labels
