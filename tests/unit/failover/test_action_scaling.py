"""Scaling down the cluster being left, and undoing it exactly."""

from __future__ import annotations

from typing import Any

import pytest

from stork.failover.scaling import (
    Planned,
    activated_here,
    blocking_pods,
    plan_scale_down,
    restore_patch,
    scale_down_patch,
    selector_matches,
)
from stork.migration.filters import FilterContext
from stork.migration.transform import CRONJOB_SUSPEND_ANNOTATION, MIGRATION_REPLICAS_ANNOTATION

REPLICAS = MIGRATION_REPLICAS_ANNOTATION
CTX = FilterContext(namespaces=frozenset({"app"}))


def workload(
    kind: str,
    name: str,
    replicas: int | None = 2,
    annotations: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    owners: list[dict[str, Any]] | None = None,
    uid: str | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "app", "uid": uid or f"uid-{kind}-{name}"}
    if annotations:
        meta["annotations"] = annotations
    if labels:
        meta["labels"] = labels
    if owners:
        meta["ownerReferences"] = owners
    spec: dict[str, Any] = {"selector": {"matchLabels": {"app": name}}}
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": spec}


def cronjob(name: str, suspend: bool | None = None, record: str | None = None) -> dict[str, Any]:
    obj = workload("CronJob", name, None, {CRONJOB_SUSPEND_ANNOTATION: record} if record else None)
    obj["apiVersion"] = "batch/v1"
    obj["spec"] = {} if suspend is None else {"suspend": suspend}
    return obj


def test_activated_here_is_what_carries_a_record() -> None:
    objects = [
        workload("Deployment", "web", 0, {REPLICAS: "3"}),
        workload("StatefulSet", "db", 0, {"stork.libopenstorage.org/migrationReplicas": "1"}),
        workload("Deployment", "plain", 1),
        workload("Deployment", "bad-record", 0, {REPLICAS: "x"}),
        workload("ReplicaSet", "owned", 0, {REPLICAS: "2"}, owners=[{"kind": "Deployment"}]),
        workload("ReplicaSet", "alone", 0, {REPLICAS: "2"}),
        cronjob("tick", True, "false"),
        cronjob("manual", True),
    ]
    assert activated_here(objects) == {
        ("Deployment", "web"),
        ("StatefulSet", "db"),
        ("ReplicaSet", "alone"),
        ("CronJob", "tick"),
    }


def test_plan_takes_what_the_other_side_starts_and_what_the_last_mile_carries() -> None:
    leaving = [
        workload("Deployment", "web", 3),  # recorded on the other side
        workload("Deployment", "new", 1),  # created after the last migration: carried
        workload("Deployment", "skipped", 1, {"stork.libopenstorage.org/skip-resource": "true"}),
        workload("Deployment", "excluded", 1, labels={"dr": "no"}),
        workload(
            "ReplicaSet", "web-1", 3, owners=[{"kind": "Deployment", "uid": "uid-Deployment-web"}]
        ),
        cronjob("tick", False),
        workload("DaemonSet", "agent", None),
    ]
    other = [workload("Deployment", "web", 0, {REPLICAS: "3"}), cronjob("gone", True, "false")]
    ctx = FilterContext(namespaces=frozenset({"app"}), exclude_selectors={"dr": "no"})
    assert plan_scale_down("app", leaving, other, ctx) == [
        Planned("app", "Deployment", "new", replicas=1),
        Planned("app", "Deployment", "web", replicas=3),
        Planned("app", "CronJob", "tick", suspend=False),
    ]


def test_an_excluded_workload_the_other_side_would_start_is_scaled_down_anyway() -> None:
    leaving = [workload("Deployment", "excluded", 2, labels={"dr": "no"})]
    other = [workload("Deployment", "excluded", 0, {REPLICAS: "2"})]
    ctx = FilterContext(namespaces=frozenset({"app"}), exclude_selectors={"dr": "no"})
    assert plan_scale_down("app", leaving, other, ctx) == [
        Planned("app", "Deployment", "excluded", replicas=2)
    ]


def test_plan_keeps_the_annotation_it_will_overwrite() -> None:
    leaving = [workload("Deployment", "web", 0, {REPLICAS: "4"}), cronjob("tick", True, "false")]
    planned = plan_scale_down("app", leaving, [], CTX)
    assert planned == [
        Planned("app", "Deployment", "web", replicas=0, annotation="4"),
        Planned("app", "CronJob", "tick", suspend=True, annotation="false"),
    ]


@pytest.mark.parametrize(
    ("replicas", "annotations", "record"),
    [
        (3, None, "3"),
        (None, None, "1"),  # no replicas field: Kubernetes' default of 1
        (0, None, "0"),
        (0, {REPLICAS: "5"}, "5"),  # a stopped copy keeps its record (Stork's rule)
        (2, {REPLICAS: "5"}, "2"),  # a running one records what runs
        (0, {REPLICAS: "junk"}, "0"),
    ],
)
def test_scale_down_patch_of_a_workload(
    replicas: int | None, annotations: dict[str, str] | None, record: str
) -> None:
    current = workload("Deployment", "web", replicas, annotations)
    patch = scale_down_patch(Planned("app", "Deployment", "web", replicas=replicas), current)
    assert patch == {"metadata": {"annotations": {REPLICAS: record}}, "spec": {"replicas": 0}}


@pytest.mark.parametrize(
    ("suspend", "record", "expected"),
    [
        (None, None, "false"),
        (False, None, "false"),
        (True, None, "true"),
        (True, "false", "false"),  # suspended by a migration: its own value travels
        (False, "true", "false"),  # running: what runs is the truth
    ],
)
def test_scale_down_patch_of_a_cronjob(
    suspend: bool | None, record: str | None, expected: str
) -> None:
    patch = scale_down_patch(
        Planned("app", "CronJob", "tick", suspend=suspend), cronjob("tick", suspend, record)
    )
    assert patch == {
        "metadata": {"annotations": {CRONJOB_SUSPEND_ANNOTATION: expected}},
        "spec": {"suspend": True},
    }


def test_restore_puts_back_replicas_and_annotation_exactly() -> None:
    assert restore_patch(Planned("app", "Deployment", "web", replicas=3)) == {
        "metadata": {"annotations": {REPLICAS: None}},
        "spec": {"replicas": 3},
    }
    assert restore_patch(Planned("app", "StatefulSet", "db", replicas=0, annotation="2")) == {
        "metadata": {"annotations": {REPLICAS: "2"}},
        "spec": {"replicas": 0},
    }
    assert restore_patch(Planned("app", "CronJob", "tick", suspend=False)) == {
        "metadata": {"annotations": {CRONJOB_SUSPEND_ANNOTATION: None}},
        "spec": {"suspend": False},
    }


def test_planned_round_trips_through_the_status() -> None:
    for planned in (
        Planned("app", "Deployment", "web", replicas=3, annotation="4"),
        Planned("app", "CronJob", "tick", suspend=True),
    ):
        entry = planned.to_status("source")
        assert entry["cluster"] == "source"
        assert Planned.from_status(entry) == planned
    assert Planned.from_status({"replicas": True, "suspend": "yes", "annotation": 3}) == Planned(
        "", "", ""
    )


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ({"matchLabels": {"app": "web"}}, {"app": "web", "x": "1"}, True),
        ({"matchLabels": {"app": "web"}}, {"app": "db"}, False),
        ({"matchExpressions": [{"key": "app", "operator": "In", "values": ["a", "b"]}]}, {"app": "b"}, True),
        ({"matchExpressions": [{"key": "app", "operator": "In", "values": ["a"]}]}, {}, False),
        ({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["a"]}]}, {"app": "b"}, True),
        ({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["a"]}]}, {"app": "a"}, False),
        ({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, {"app": ""}, True),
        ({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, {}, False),
        ({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, {}, True),
        ({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, {"app": "a"}, False),
        ({}, {"app": "web"}, False),
        (None, {"app": "web"}, False),
    ],
)  # fmt: skip
def test_selector_matches(selector: Any, labels: dict[str, str], expected: bool) -> None:
    assert selector_matches(selector, labels) is expected


def _pod(
    name: str, phase: str = "Running", claim: str | None = None, **labels: str
) -> dict[str, Any]:
    volumes = [{"name": "v", "persistentVolumeClaim": {"claimName": claim}}] if claim else []
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {"volumes": volumes},
        "status": {"phase": phase},
    }


def test_blocking_pods_are_the_scaled_down_ones_and_every_claim_user_still_running() -> None:
    web = workload("Deployment", "web")
    other = workload("Deployment", "other")
    planned = [Planned("app", "Deployment", "web", replicas=2)]
    pods = [
        _pod("web-1", app="web"),
        _pod("web-2", "Pending", app="web"),
        _pod("web-done", "Succeeded", app="web"),
        _pod("other-1", app="other"),
        _pod("job-1", claim="data"),
        _pod("job-2", "Failed", claim="data"),
    ]
    assert blocking_pods(pods, [web, other], planned) == ["job-1", "web-1", "web-2"]
    assert blocking_pods([], [web], planned) == []
