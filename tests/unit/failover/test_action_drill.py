"""A drill's copies of the standby (pure), and its per-workload readiness report."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stork.failover.drill import (
    DRILL_LABEL,
    DRILL_UID_ANNOTATION,
    DrillError,
    drill_copies,
    drill_namespace,
    drill_object,
    isolation_policy,
    namespace_object,
    owned_by,
)
from stork.failover.readiness import pod_problem, readiness, report
from stork.migration.transform import CRONJOB_SUSPEND_ANNOTATION, MIGRATION_REPLICAS_ANNOTATION

MAP = {"app": "app-drill"}
BOOKS = {
    "stork.libopenstorage.org/migrated": "true",
    "stork.libopenstorage.org/migrationName": "m",
    "stork.libopenstorage.org/migrationNamespace": "kube-system",
    "stork.libopenstorage.org/migrationTime": "2024-01-01-000000",
    "stork.libopenstorage.org/resource-hash": "abc",
}


def standby(kind: str, api: str = "v1", name: str = "x", **fields: Any) -> dict[str, Any]:
    meta = {
        "name": name,
        "namespace": "app",
        "uid": "u",
        "resourceVersion": "7",
        "annotations": {**BOOKS, "keep": "me"},
        "labels": {"app": name, "stork.libopenstorage.org/migrated": "true"},
    }
    return {"apiVersion": api, "kind": kind, "metadata": meta, **fields}


@pytest.mark.parametrize(
    ("namespace", "suffix", "expected"),
    [("app", "drill", "app-drill"), ("app", "dr-1", "app-dr-1"), ("a" * 57, "drill", "a" * 57 + "-drill")],
)  # fmt: skip
def test_drill_namespace_names(namespace: str, suffix: str, expected: str) -> None:
    assert drill_namespace(namespace, suffix) == expected


@pytest.mark.parametrize("suffix", ["", "Drill", "-x", "x-", "a_b", "a.b", "ü"])
def test_bad_suffixes_are_refused(suffix: str) -> None:
    with pytest.raises(DrillError, match="invalid --suffix"):
        drill_namespace("app", suffix)


def test_a_drill_namespace_longer_than_a_label_is_refused() -> None:
    with pytest.raises(DrillError, match="longer than 63 characters"):
        drill_namespace("a" * 58, "drill")


def test_namespace_is_labelled_and_owned_by_the_drill_uid() -> None:
    ns = namespace_object("app", "app-drill", "drill-s-1", "uid-1")
    assert ns["metadata"]["labels"] == {DRILL_LABEL: "drill-s-1"}
    assert owned_by(ns, "uid-1")
    assert not owned_by(ns, "uid-2")
    assert not owned_by(ns, "")
    assert not owned_by({"metadata": {"name": "app-drill"}}, "uid-1")


def test_isolation_policy_denies_all_but_its_own_pods_and_dns() -> None:
    policy = isolation_policy("app-drill", "d")
    spec = policy["spec"]
    assert policy["metadata"]["namespace"] == "app-drill"
    assert spec["podSelector"] == {}
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert spec["ingress"] == [{"from": [{"podSelector": {}}]}]
    assert spec["egress"][0] == {"to": [{"podSelector": {}}]}
    dns = spec["egress"][1]
    assert dns["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    assert dns["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}


def test_a_standby_workload_comes_up_with_its_recorded_replicas_and_no_bookkeeping() -> None:
    deployment = standby("Deployment", "apps/v1", spec={"replicas": 0, "template": {}})
    deployment["metadata"]["annotations"][MIGRATION_REPLICAS_ANNOTATION] = "3"
    before = copy.deepcopy(deployment)
    out = drill_object(deployment, MAP, "d")
    assert deployment == before
    assert out.note is None
    assert out.obj is not None
    assert out.obj["spec"]["replicas"] == 3
    assert out.obj["metadata"] == {
        "name": "x",
        "namespace": "app-drill",
        "labels": {"app": "x", DRILL_LABEL: "d"},
        "annotations": {"keep": "me"},
    }


def test_claims_never_bind_the_production_volume() -> None:
    claim = standby("PersistentVolumeClaim", spec={"volumeName": "pv-1", "resources": {}})
    out = drill_object(claim, MAP, "d")
    assert out.obj is not None
    assert "volumeName" not in out.obj["spec"]
    assert out.note is not None
    assert "never mounts production volumes" in out.note


@pytest.mark.parametrize("service_type", ["NodePort", "LoadBalancer"])
def test_exposed_services_become_cluster_ip(service_type: str) -> None:
    service = standby(
        "Service",
        spec={
            "type": service_type,
            "ports": [{"port": 80, "nodePort": 30080}],
            "externalIPs": ["1.2.3.4"],
            "externalTrafficPolicy": "Local",
            "selector": {"app": "x"},
        },
    )
    out = drill_object(service, MAP, "d")
    assert out.obj is not None
    assert out.obj["spec"] == {
        "type": "ClusterIP",
        "ports": [{"port": 80}],
        "selector": {"app": "x"},
    }
    assert out.note is not None
    assert f"type {service_type} becomes ClusterIP" in out.note


def test_a_plain_service_is_copied_without_a_note() -> None:
    service = standby("Service", spec={"ports": [{"port": 80}], "clusterIP": "10.0.0.1"})
    out = drill_object(service, MAP, "d")
    assert out.note is None
    assert out.obj is not None
    assert out.obj["spec"] == {"ports": [{"port": 80}]}


@pytest.mark.parametrize(("kind", "api"), [("CronJob", "batch/v1"), ("Job", "batch/v1")])
def test_batch_work_stays_suspended(kind: str, api: str) -> None:
    obj = standby(kind, api, spec={"suspend": True, "schedule": "* * * * *"})
    obj["metadata"]["annotations"][CRONJOB_SUSPEND_ANNOTATION] = "false"
    out = drill_object(obj, MAP, "d")
    assert out.obj is not None
    assert out.obj["spec"]["suspend"] is True
    assert CRONJOB_SUSPEND_ANNOTATION not in out.obj["metadata"]["annotations"]


def test_ingresses_and_cluster_scoped_objects_are_not_copied() -> None:
    ingress = standby("Ingress", "networking.k8s.io/v1", spec={"rules": [{"host": "shop.example"}]})
    assert drill_object(ingress, MAP, "d").obj is None
    pv = standby("PersistentVolume")
    del pv["metadata"]["namespace"]
    assert drill_object(pv, MAP, "d").obj is None


def test_drill_copies_collect_copies_and_notes() -> None:
    objects = [
        standby("ConfigMap", data={"a": "b"}),
        standby("Ingress", "networking.k8s.io/v1"),
        standby("PersistentVolumeClaim", spec={"volumeName": "pv"}),
    ]
    copies, notes = drill_copies(objects, MAP, "d")
    assert [c["kind"] for c in copies] == ["ConfigMap", "PersistentVolumeClaim"]
    assert all(c["metadata"]["namespace"] == "app-drill" for c in copies)
    assert [n.split(":")[0] for n in notes] == ["app/Ingress x", "app/PersistentVolumeClaim x"]


def test_the_namespace_uid_annotation_is_the_owner_mark() -> None:
    assert DRILL_UID_ANNOTATION == "stork.libopenstorage.org/drill-uid"


# -- readiness ----------------------------------------------------------------------------


def _workload(
    kind: str = "Deployment", replicas: int = 2, ready: int = 2, **status: Any
) -> dict[str, Any]:
    return {
        "kind": kind,
        "metadata": {"name": "web", "namespace": "app-drill", "generation": 2},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}}},
        "status": {"readyReplicas": ready, "observedGeneration": 2, **status},
    }


def _pod(name: str = "web-1", **status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "app-drill", "labels": {"app": "web"}},
        "spec": {"volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]},
        "status": {"phase": "Pending", **status},
    }


def test_a_workload_with_all_replicas_ready_is_ready() -> None:
    line = readiness(_workload(), [], {})
    assert (line.ready, line.reason) == (True, "2/2 Ready")
    assert line.to_status() == {
        "namespace": "app-drill",
        "kind": "Deployment",
        "name": "web",
        "ready": True,
        "reason": "2/2 Ready",
    }


def test_a_stale_observed_generation_is_not_ready() -> None:
    line = readiness(_workload(observedGeneration=1), [], {})
    assert not line.ready


@pytest.mark.parametrize(
    ("pod_status", "claim_phase", "reason"),
    [
        ({"conditions": [{"type": "PodScheduled", "status": "False", "message": "0/1 nodes are available"}]},
         "Bound", "pod web-1 not scheduled: 0/1 nodes are available"),
        ({}, "Pending", "PersistentVolumeClaim data is Pending"),
        ({}, None, "PersistentVolumeClaim data is missing"),
        ({"containerStatuses": [{"name": "c", "state": {"waiting": {"reason": "ImagePullBackOff", "message": "no such image"}}}]},
         "Bound", "pod web-1 container c: ImagePullBackOff: no such image"),
        ({"containerStatuses": [{"name": "c", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]},
         "Bound", "pod web-1 container c: CrashLoopBackOff"),
        ({"containerStatuses": [{"name": "c", "state": {"terminated": {"exitCode": 2}}}]},
         "Bound", "pod web-1 container c exited with code 2 (Error)"),
        ({"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]},
         "Bound", "pod web-1 is Running but not Ready (readiness probe)"),
    ],
)  # fmt: skip
def test_the_reason_is_the_first_problem_of_its_pods(
    pod_status: dict[str, Any], claim_phase: str | None, reason: str
) -> None:
    claims = {} if claim_phase is None else {"data": {"status": {"phase": claim_phase}}}
    pod = _pod(**pod_status)
    assert pod_problem(pod, claims) == reason
    line = readiness(_workload(ready=1), [pod], claims)
    assert (line.ready, line.reason) == (False, f"1/2 Ready; {reason}")


def test_a_starting_pod_is_no_problem_yet_and_no_pods_is_said() -> None:
    starting = _pod(
        containerStatuses=[{"name": "c", "state": {"waiting": {"reason": "ContainerCreating"}}}]
    )
    assert pod_problem(starting, {"data": {"status": {"phase": "Bound"}}}) is None
    assert readiness(_workload(ready=0), [], {}).reason == "0/2 Ready; no pods yet"
    assert readiness(_workload(ready=0, replicas=0), [], {}).ready


def test_report_covers_each_workload_once_and_daemonsets_by_their_counts() -> None:
    owned = _workload("ReplicaSet")
    owned["metadata"]["ownerReferences"] = [{"kind": "Deployment"}]
    daemon = _workload("DaemonSet", numberReady=1, desiredNumberScheduled=1)
    config = {"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "app-drill"}}
    lines = report([_workload(ready=1), owned, daemon, config], [], [])
    assert [(r.kind, r.ready) for r in lines] == [("Deployment", False), ("DaemonSet", True)]
