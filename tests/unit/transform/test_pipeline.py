"""The whole transform: exact destination objects, purity, idempotence; Stork's annotations."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stork.migration.transform import (
    CRONJOB_SUSPEND_ANNOTATION,
    MIGRATED_LABEL,
    MIGRATION_REPLICAS_ANNOTATION,
    PARKED_ANNOTATION,
    RECLAIM_POLICY_ANNOTATION,
    TransformContext,
    migration_annotations,
    recorded_replicas,
    transform,
)
from tests.unit.transform.builders import (
    affinity,
    affinity_project_values,
    cluster_role_binding,
    cronjob,
    deployment,
    job,
    persistent_volume,
    persistent_volume_claim,
    service,
)

PROJECT = "field.cattle.io/projectId"
STORK_REPLICAS = "stork.libopenstorage.org/migrationReplicas"
MAPPING = {"p-src": "p-dst", "c-src:p-src": "c-dst:p-dst"}
CTX = TransformContext(project_mappings=MAPPING, namespaces=frozenset({"app"}))


def test_context_defaults_and_immutability() -> None:
    ctx = TransformContext()
    assert ctx.start_applications is False
    assert dict(ctx.project_mappings) == {}
    assert ctx.namespaces == frozenset()
    assert ctx.skip_service_update is False
    assert ctx.include_volumes is False
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.start_applications = True  # type: ignore[misc]
    mappings = {"p-a": "p-b"}
    ctx = TransformContext(project_mappings=mappings)
    mappings["p-a"] = "p-changed"
    assert dict(ctx.project_mappings) == {"p-a": "p-b"}
    with pytest.raises(TypeError):
        ctx.project_mappings["p-x"] = "p-y"  # type: ignore[index]
    assert TransformContext(project_mappings={"a": "b"}) == TransformContext(
        project_mappings={"a": "b"}
    )


def test_deployment_end_to_end() -> None:
    obj = deployment(
        3,
        labels={"app": "web", PROJECT: "p-src"},
        annotations={
            "deployment.kubernetes.io/revision": "7",
            PROJECT: "c-src:p-src",
            "field.cattle.io/publicEndpoints": "[]",
            "owner": "team-a",
        },
        affinity=affinity("p-src"),
    )
    before = copy.deepcopy(obj)
    out = transform(obj, CTX)
    expected_spec = copy.deepcopy(before["spec"])
    expected_spec["replicas"] = 0
    expected_spec["template"]["spec"]["affinity"] = affinity("p-dst")
    expected_spec["template"]["spec"]["affinity"]["nodeAffinity"] = affinity("p-src")[
        "nodeAffinity"
    ]
    assert out == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "app",
            "labels": {"app": "web", PROJECT: "p-dst", MIGRATED_LABEL: "true"},
            "annotations": {
                PROJECT: "c-dst:p-dst",
                "owner": "team-a",
                MIGRATION_REPLICAS_ANNOTATION: "3",
                STORK_REPLICAS: "3",
            },
        },
        "spec": expected_spec,
    }
    assert obj == before


def test_start_applications_keeps_replicas() -> None:
    ctx = dataclasses.replace(CTX, start_applications=True)
    out = transform(deployment(3), ctx)
    assert out["spec"]["replicas"] == 3
    assert out["metadata"] == {"name": "web", "namespace": "app", "labels": {"app": "web"}}


def test_service_end_to_end() -> None:
    svc = service(
        type="NodePort",
        clusterIP="10.96.4.4",
        clusterIPs=["10.96.4.4"],
        ports=[{"port": 80, "nodePort": 30080}],
    )
    out = transform(svc, CTX)
    assert out["spec"] == {
        "selector": {"app": "web"},
        "ports": [{"port": 80, "nodePort": 30080}],
        "sessionAffinity": "None",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "internalTrafficPolicy": "Cluster",
        "type": "NodePort",
    }
    kept = transform(svc, dataclasses.replace(CTX, skip_service_update=True))
    assert kept["spec"] == svc["spec"]


def test_volumes_end_to_end() -> None:
    pv = transform(persistent_volume("Delete"), CTX)
    assert pv["metadata"] == {
        "name": "pvc-6f1c1f9e",
        "annotations": {
            "pv.kubernetes.io/provisioned-by": "pxd.portworx.com",
            RECLAIM_POLICY_ANNOTATION: "Delete",
        },
    }
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert pv["spec"]["claimRef"] == {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "name": "data",
        "namespace": "app",
    }
    assert "status" not in pv
    pvc = transform(persistent_volume_claim(), CTX)
    assert pvc == {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": "data",
            "namespace": "app",
            "annotations": {
                "volume.beta.kubernetes.io/storage-provisioner": "pxd.portworx.com",
                "volume.kubernetes.io/storage-provisioner": "pxd.portworx.com",
            },
        },
        "spec": persistent_volume_claim()["spec"],
    }


def test_jobs_cronjobs_and_bindings_end_to_end() -> None:
    names = {"batch.kubernetes.io/job-name": "migrate-db", "job-name": "migrate-db"}
    out = transform(job(), CTX)
    assert out["metadata"] == {
        "name": "migrate-db",
        "namespace": "app",
        "labels": names,
        "annotations": {PARKED_ANNOTATION: '[{"parked":true,"path":["spec","suspend"]}]'},
    }
    assert out["spec"]["suspend"] is True
    assert "selector" not in out["spec"]
    assert out["spec"]["template"]["metadata"] == {"labels": names}
    cron = transform(cronjob(False), CTX)
    assert cron["spec"]["suspend"] is True
    assert cron["metadata"]["annotations"] == {CRONJOB_SUSPEND_ANNOTATION: "false"}
    crb = transform(
        cluster_role_binding(
            [
                {"kind": "ServiceAccount", "name": "w", "namespace": "app"},
                {"kind": "ServiceAccount", "name": "w", "namespace": "x"},
            ]
        ),
        CTX,
    )
    assert crb["subjects"] == [{"kind": "ServiceAccount", "name": "w", "namespace": "app"}]
    assert crb["metadata"] == {"name": "app-reader"}


def test_namespace_end_to_end() -> None:
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "app",
            "uid": "u",
            "labels": {PROJECT: "p-src", "kubernetes.io/metadata.name": "app"},
            "annotations": {PROJECT: "c-src:p-src", "cattle.io/status": "{}"},
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }
    assert transform(namespace, CTX) == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "app",
            "labels": {PROJECT: "p-dst", "kubernetes.io/metadata.name": "app"},
            "annotations": {PROJECT: "c-dst:p-dst"},
        },
        "spec": {"finalizers": ["kubernetes"]},
    }


SOURCES = [
    deployment(3, affinity=affinity("p-src")),
    cronjob(None),
    job(),
    service(clusterIP="10.96.0.1", clusterIPs=["10.96.0.1"]),
    persistent_volume(),
    persistent_volume_claim(),
    cluster_role_binding([{"kind": "Group", "name": "system:serviceaccounts:app"}]),
]


@pytest.mark.parametrize("obj", SOURCES, ids=lambda o: str(o["kind"]))
def test_the_result_shares_nothing_with_the_input(obj: dict[str, Any]) -> None:
    before = copy.deepcopy(obj)
    out = transform(obj, CTX)
    assert obj == before

    def scribble(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                scribble(v)
            value["scribbled"] = True
        elif isinstance(value, list):
            for v in value:
                scribble(v)
            value.append("scribbled")

    scribble(out)
    assert obj == before


def test_migration_annotations_in_the_local_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    def local_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    try:
        local_zone("Asia/Kolkata")
        when = dt.datetime(2019, 2, 14, 22, 16, 51, tzinfo=dt.UTC)
        assert migration_annotations("m1", "ns1", when) == {
            "stork.libopenstorage.org/migrated": "true",
            "stork.libopenstorage.org/migrationName": "m1",
            "stork.libopenstorage.org/migrationNamespace": "ns1",
            "stork.libopenstorage.org/migrationTime": "2019-02-15-034651",
        }
        naive = dt.datetime(2026, 1, 2, 3, 4, 5)
        assert (
            migration_annotations("m", "n", naive)["stork.libopenstorage.org/migrationTime"]
            == "2026-01-02-030405"
        )
        local_zone("UTC")
        assert (
            migration_annotations("m", "n", when)["stork.libopenstorage.org/migrationTime"]
            == "2019-02-14-221651"
        )
    finally:
        monkeypatch.undo()
        time.tzset()


plain_keys = st.sampled_from(["app", "tier", "example.com/owner", "a.b/c-d", "x"])
rancher_keys = st.sampled_from(
    [PROJECT, "field.cattle.io/projectID", "cattle.io/status", "field.cattle.io/creatorId"]
)
project_values = st.sampled_from(["p-a", "p-b", "c-1:p-a", "p-z", ""])
label_maps = st.dictionaries(st.one_of(plain_keys, rancher_keys), project_values, max_size=6)
# Destination IDs map to themselves, the condition under which a mapping is idempotent.
closed_mappings = st.dictionaries(st.sampled_from(["p-a", "c-1:p-a", "p-z"]), st.just("p-d")).map(
    lambda m: {**m, **dict.fromkeys(m.values(), "p-d")}
)


@given(
    label_maps,
    label_maps,
    closed_mappings,
    st.one_of(st.none(), st.integers(0, 50)),
    st.booleans(),
    st.sampled_from(["Deployment", "StatefulSet", "CronJob", "Service"]),
)
def test_transform_is_idempotent(
    labels: dict[str, str],
    annotations: dict[str, str],
    mapping: dict[str, str],
    replicas: int | None,
    start: bool,
    kind: str,
) -> None:
    if kind == "CronJob":
        obj = cronjob(replicas is not None and replicas % 2 == 0)
    elif kind == "Service":
        obj = service(clusterIP="10.0.0.1", clusterIPs=["10.0.0.1"], healthCheckNodePort=30001)
    else:
        obj = deployment(replicas, kind=kind, affinity=affinity("p-a"))
    obj["metadata"]["labels"] = labels
    obj["metadata"]["annotations"] = annotations
    ctx = TransformContext(start_applications=start, project_mappings=mapping)
    once = transform(obj, ctx)
    assert transform(once, ctx) == once
    if kind in ("Deployment", "StatefulSet") and not start:
        assert recorded_replicas(once) == (1 if replicas is None else replicas)
        assert (
            affinity_project_values(once["spec"]["template"]["spec"]["affinity"])
            == [mapping.get("p-a") or "p-a"] * 4
        )
