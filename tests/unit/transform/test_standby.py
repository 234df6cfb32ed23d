"""Jobs suspended and DaemonSets parked on the standby, recorded, restored exactly."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stork.migration.transform import TransformContext, transform
from stork.migration.transform.parking import PARKED_ANNOTATION, records, repark, restore
from stork.migration.transform.standby import PARKED_NODE_SELECTOR, park_runners
from tests.unit.transform.builders import deployment, job, pod_spec, server_metadata

SELECTOR = ("spec", "template", "spec", "nodeSelector")


def daemon_set(node_selector: dict[str, str] | None = None) -> dict[str, Any]:
    spec = pod_spec()
    if node_selector is not None:
        spec["nodeSelector"] = node_selector
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": server_metadata("agent", labels={"app": "agent"}),
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {"metadata": {"labels": {"app": "agent"}}, "spec": spec},
        },
        "status": {"numberReady": 3},
    }


@pytest.mark.parametrize("suspend", [None, False, True])
def test_jobs_arrive_suspended_and_activation_gives_back_their_own_value(
    suspend: bool | None,
) -> None:
    obj = job()
    if suspend is not None:
        obj["spec"]["suspend"] = suspend
    before = copy.deepcopy(obj)
    out = park_runners(obj, start_applications=False)
    assert obj == before
    assert out["spec"] == {**before["spec"], "suspend": True}
    back = restore(out)
    assert back["spec"] == before["spec"]  # absent stays absent, false stays false
    assert repark(back)["spec"]["suspend"] is True


@pytest.mark.parametrize("selector", [None, {}, {"disk": "ssd"}])
def test_daemonsets_are_parked_on_no_node_and_get_their_selector_back(
    selector: dict[str, str] | None,
) -> None:
    obj = daemon_set(selector)
    before = copy.deepcopy(obj)
    out = park_runners(obj, False)
    assert out["spec"]["template"]["spec"]["nodeSelector"] == {
        **(selector or {}),
        **PARKED_NODE_SELECTOR,
    }
    assert (
        out["spec"]["template"]["spec"]["containers"]
        == before["spec"]["template"]["spec"]["containers"]
    )
    assert restore(out)["spec"] == before["spec"]
    assert obj == before


def test_a_parked_copy_migrated_again_keeps_the_original() -> None:
    once = park_runners(daemon_set({"disk": "ssd"}), False)
    twice = park_runners(once, False)
    assert twice == once
    assert restore(twice)["spec"]["template"]["spec"]["nodeSelector"] == {"disk": "ssd"}


def test_start_applications_runs_them_and_starts_a_parked_copy() -> None:
    running = job()
    assert park_runners(running, True) == running
    parked = park_runners(daemon_set(), False)
    started = park_runners(parked, True)
    assert "nodeSelector" not in started["spec"]["template"]["spec"]
    assert PARKED_ANNOTATION not in (started["metadata"].get("annotations") or {})


def test_other_kinds_are_untouched() -> None:
    for obj in (deployment(3), {**daemon_set(), "apiVersion": "example.com/v1"}):
        assert park_runners(obj, False) == obj


def test_through_the_whole_transform_the_record_travels_with_the_object() -> None:
    ctx = TransformContext(namespaces=frozenset({"app"}))
    out = transform(daemon_set(), ctx)
    assert "status" not in out
    (entry,) = records(out)
    assert entry.path == SELECTOR
    assert entry.parked == PARKED_NODE_SELECTOR
    assert transform(out, ctx) == out  # a re-transform is a no-op


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=8), max_size=4))
def test_any_selector_round_trips(selector: dict[str, str]) -> None:
    obj = daemon_set(selector)
    out = park_runners(obj, False)
    assert restore(out)["spec"] == obj["spec"]
