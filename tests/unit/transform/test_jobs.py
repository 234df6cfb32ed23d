"""Jobs lose the labels derived from their source uid; an emptied selector is regenerated."""

from __future__ import annotations

import copy

from stork.migration.transform.jobs import CONTROLLER_UID_LABELS, clean_job
from tests.unit.transform.builders import UID, job

NAME_LABELS = {"batch.kubernetes.io/job-name": "migrate-db", "job-name": "migrate-db"}


def test_job_as_the_api_returns_it() -> None:
    obj = job()
    before = copy.deepcopy(obj)
    out = clean_job(obj)
    assert out["metadata"] == {**before["metadata"], "labels": NAME_LABELS}
    expected_spec = {k: v for k, v in before["spec"].items() if k != "selector"}
    expected_spec["template"] = {**before["spec"]["template"], "metadata": {"labels": NAME_LABELS}}
    assert out["spec"] == expected_spec
    assert obj == before
    assert {"controller-uid", "batch.kubernetes.io/controller-uid"} == CONTROLLER_UID_LABELS


def test_manual_selector_is_kept_without_uid_labels() -> None:
    obj = job(manual_selector=True)
    obj["spec"]["selector"] = {"matchLabels": {"app": "db", "controller-uid": UID}}
    assert clean_job(obj)["spec"]["selector"] == {"matchLabels": {"app": "db"}}
    only_uid = job(manual_selector=True)
    assert clean_job(only_uid)["spec"]["selector"] == {}
    not_manual = job(manual_selector=False)
    assert "selector" not in clean_job(not_manual)["spec"]


def test_selector_with_expressions_keeps_them() -> None:
    obj = job()
    expressions = [{"key": "tier", "operator": "In", "values": ["db"]}]
    obj["spec"]["selector"]["matchExpressions"] = expressions
    assert clean_job(obj)["spec"]["selector"] == {"matchExpressions": expressions}


def test_label_maps_left_empty_are_removed() -> None:
    obj = job()
    obj["metadata"]["labels"] = {"controller-uid": UID}
    obj["spec"]["template"]["metadata"]["labels"] = {"batch.kubernetes.io/controller-uid": UID}
    out = clean_job(obj)
    assert "labels" not in out["metadata"]
    assert out["spec"]["template"]["metadata"] == {}


def test_other_kinds_and_idempotence() -> None:
    labelled = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "labels": {"controller-uid": "x"}},
        "spec": {"selector": {"matchLabels": {"controller-uid": "x"}}},
    }
    assert clean_job(labelled) == labelled
    once = clean_job(job())
    assert clean_job(once) == once
    bare = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}}
    assert clean_job(bare) == bare
