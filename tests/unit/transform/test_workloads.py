"""startApplications false: workloads at 0 with their count recorded, CronJobs suspended."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stork.migration.transform.workloads import (
    CRONJOB_SUSPEND_ANNOTATION,
    MIGRATED_LABEL,
    MIGRATION_REPLICAS_ANNOTATION,
    recorded_replicas,
    recorded_suspend,
    scale_down,
)
from tests.unit.transform.builders import cronjob, deployment

#: Stork's code writes and reads this spelling; both are written (issue 18, item 7).
STORK_REPLICAS = "stork.libopenstorage.org/migrationReplicas"


def test_names_are_storks_and_documented() -> None:
    assert MIGRATION_REPLICAS_ANNOTATION == "stork.openstorage.org/migrationReplicas"
    assert MIGRATED_LABEL == "stork.libopenstorage.org/migrated"
    assert CRONJOB_SUSPEND_ANNOTATION == "stork.libopenstorage.org/cronjob-suspend"


@pytest.mark.parametrize(
    ("kind", "api_version"),
    [
        ("Deployment", "apps/v1"),
        ("StatefulSet", "apps/v1"),
        ("ReplicaSet", "apps/v1"),
        ("DeploymentConfig", "apps.openshift.io/v1"),
    ],
)
def test_workloads_are_scaled_to_zero_and_recorded(kind: str, api_version: str) -> None:
    obj = deployment(3, annotations={"owner": "a"}, kind=kind, api_version=api_version)
    before = copy.deepcopy(obj)
    out = scale_down(obj, start_applications=False)
    assert out["spec"] == {**before["spec"], "replicas": 0}
    assert out["metadata"] == {
        **before["metadata"],
        "labels": {"app": "web", MIGRATED_LABEL: "true"},
        "annotations": {"owner": "a", MIGRATION_REPLICAS_ANNOTATION: "3", STORK_REPLICAS: "3"},
    }
    assert out["status"] == before["status"]
    assert obj == before


def test_missing_replicas_count_as_one_and_missing_maps_are_created() -> None:
    obj = deployment(None)
    del obj["metadata"]["labels"], obj["metadata"]["annotations"]
    out = scale_down(obj, False)
    assert out["spec"]["replicas"] == 0
    assert out["metadata"]["annotations"] == {
        MIGRATION_REPLICAS_ANNOTATION: "1",
        STORK_REPLICAS: "1",
    }
    assert out["metadata"]["labels"] == {MIGRATED_LABEL: "true"}


@pytest.mark.parametrize(
    ("replicas", "annotation", "recorded"),
    [
        (0, None, "0"),  # scaled to 0 by its owner: stays 0 after activation
        (0, "5", "5"),  # a stopped copy: carry its record forward
        (0, "0", "0"),
        (0, "junk", "0"),
        (0, "-2", "0"),
        (4, "5", "4"),  # running: its count wins over an old record
        (2, None, "2"),
    ],
)
def test_replica_record_carry_forward(replicas: int, annotation: str | None, recorded: str) -> None:
    annotations = {} if annotation is None else {MIGRATION_REPLICAS_ANNOTATION: annotation}
    out = scale_down(deployment(replicas, annotations=annotations), False)
    assert out["metadata"]["annotations"][MIGRATION_REPLICAS_ANNOTATION] == recorded
    assert out["metadata"]["annotations"][STORK_REPLICAS] == recorded
    assert out["spec"]["replicas"] == 0


def test_start_applications_leaves_workloads_running() -> None:
    obj = deployment(3)
    out = scale_down(obj, start_applications=True)
    assert out == obj
    assert out is not obj


def test_start_applications_starts_a_stopped_copy_from_its_record() -> None:
    obj = deployment(0, annotations={MIGRATION_REPLICAS_ANNOTATION: "5"})
    out = scale_down(obj, start_applications=True)
    assert out["spec"]["replicas"] == 5
    assert out["metadata"] == obj["metadata"]
    assert obj["spec"]["replicas"] == 0


def test_kinds_of_other_groups_are_not_scaled() -> None:
    custom = deployment(3, api_version="example.com/v1")
    assert scale_down(custom, False) == custom
    daemon_set = deployment(None, kind="DaemonSet")
    assert scale_down(daemon_set, False) == daemon_set
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {}}
    assert scale_down(job, False) == job


@pytest.mark.parametrize(
    ("suspend", "recorded"), [(None, "false"), (False, "false"), (True, "true")]
)
def test_cronjobs_are_suspended_recording_their_own_value(
    suspend: bool | None, recorded: str
) -> None:
    obj = cronjob(suspend)
    before = copy.deepcopy(obj)
    out = scale_down(obj, False)
    assert out["spec"] == {**before["spec"], "suspend": True}
    assert out["metadata"] == {
        **before["metadata"],
        "annotations": {CRONJOB_SUSPEND_ANNOTATION: recorded},
    }
    assert obj == before
    again = scale_down(out, False)
    assert again == out  # the record of the first pass survives a second one


def test_cronjob_record_carry_forward() -> None:
    stopped_copy = cronjob(True, annotations={CRONJOB_SUSPEND_ANNOTATION: "false", "x": "y"})
    assert scale_down(stopped_copy, False)["metadata"]["annotations"] == {
        CRONJOB_SUSPEND_ANNOTATION: "false",
        "x": "y",
    }
    # running although it carries a record (activated since): its current value wins
    activated = cronjob(False, annotations={CRONJOB_SUSPEND_ANNOTATION: "true"})
    assert scale_down(activated, False)["metadata"]["annotations"] == {
        CRONJOB_SUSPEND_ANNOTATION: "false"
    }
    garbage = cronjob(True, annotations={CRONJOB_SUSPEND_ANNOTATION: "maybe"})
    assert scale_down(garbage, False)["metadata"]["annotations"] == {
        CRONJOB_SUSPEND_ANNOTATION: "true"
    }


def test_cronjobs_with_start_applications() -> None:
    running = cronjob(False)
    assert scale_down(running, True) == running
    paused_by_owner = cronjob(True)
    assert scale_down(paused_by_owner, True) == paused_by_owner
    stopped_copy = cronjob(True, annotations={CRONJOB_SUSPEND_ANNOTATION: "false"})
    started = scale_down(stopped_copy, True)
    assert started["spec"]["suspend"] is False
    assert started["metadata"] == stopped_copy["metadata"]


def test_reading_the_records() -> None:
    def annotated(value: str) -> dict[str, Any]:
        return {
            "metadata": {
                "annotations": {
                    MIGRATION_REPLICAS_ANNOTATION: value,
                    CRONJOB_SUSPEND_ANNOTATION: value,
                }
            }
        }

    assert recorded_replicas(annotated("3")) == 3
    assert recorded_replicas(annotated("0")) == 0
    assert recorded_replicas(annotated("+7")) == 7
    for bad in ("", "-1", "3.0", " 3", "three", "1_000"):
        assert recorded_replicas(annotated(bad)) is None
    assert recorded_replicas({"metadata": {}}) is None
    assert recorded_replicas({}) is None

    assert recorded_suspend(annotated("true")) is True
    assert recorded_suspend(annotated("false")) is False
    assert recorded_suspend(annotated("True")) is None
    assert recorded_suspend({}) is None


@given(st.one_of(st.none(), st.integers(0, 10_000)), st.booleans())
def test_scaling_then_reading_recovers_the_count(replicas: int | None, twice: bool) -> None:
    out = scale_down(deployment(replicas, annotations={}), False)
    if twice:
        out = scale_down(out, False)
    assert out["spec"]["replicas"] == 0
    assert recorded_replicas(out) == (1 if replicas is None else replicas)


@given(st.one_of(st.none(), st.booleans()), st.booleans())
def test_suspending_then_reading_recovers_the_value(suspend: bool | None, twice: bool) -> None:
    out = scale_down(cronjob(suspend), False)
    if twice:
        out = scale_down(out, False)
    assert out["spec"]["suspend"] is True
    assert recorded_suspend(out) is bool(suspend)


def test_storks_own_spelling_of_the_replica_record_is_read() -> None:
    """Stork's code writes ``stork.libopenstorage.org/``: what it migrated can be activated."""
    storks = {"metadata": {"annotations": {"stork.libopenstorage.org/migrationReplicas": "4"}}}
    assert recorded_replicas(storks) == 4
    both = {
        "metadata": {
            "annotations": {
                "stork.libopenstorage.org/migrationReplicas": "4",
                MIGRATION_REPLICAS_ANNOTATION: "2",
            }
        }
    }
    assert recorded_replicas(both) == 2
