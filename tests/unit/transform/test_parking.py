"""The parking record: exact round trips (restore, repark), carry-forward, hostile records."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stork.migration.transform._objects import MISSING, get_path, path_text, put_path
from stork.migration.transform.parking import (
    PARKED_ANNOTATION,
    Change,
    carried_original,
    describe,
    is_parked,
    park,
    records,
    repark,
    restore,
    started,
)

SUSPEND = ("spec", "suspend")


def job(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": spec}


def test_the_record_is_storks_prefix_and_plain_json() -> None:
    out = park(job(suspend=False), [Change(SUSPEND, True, False)])
    assert PARKED_ANNOTATION == "stork.libopenstorage.org/parked"
    assert out["spec"] == {"suspend": True}
    assert json.loads(out["metadata"]["annotations"][PARKED_ANNOTATION]) == [
        {"path": ["spec", "suspend"], "original": False, "parked": True}
    ]


def test_an_absent_original_is_removed_again_by_restore() -> None:
    obj = job(parallelism=1)
    parked = park(obj, [Change(SUSPEND, True, MISSING)])
    assert "original" not in json.loads(parked["metadata"]["annotations"][PARKED_ANNOTATION])[0]
    back = restore(parked)
    assert back["spec"] == {"parallelism": 1}
    assert records(back) == records(parked)  # kept for deactivation
    assert repark(back)["spec"] == {"parallelism": 1, "suspend": True}


def test_park_does_not_modify_its_input_and_shares_nothing_it_changed() -> None:
    obj = job(suspend=False)
    before = copy.deepcopy(obj)
    out = park(obj, [Change(SUSPEND, True, False)])
    assert obj == before
    assert out["spec"] is not obj["spec"]


def test_list_paths_and_namespaces_of_cluster_scoped_objects() -> None:
    obj = {
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "w"},
        "webhooks": [{"name": "a", "failurePolicy": "Fail"}, {"name": "b"}],
    }
    parked = park(
        obj,
        [
            Change(("webhooks", 0, "failurePolicy"), "Ignore", "Fail", "ns-a"),
            Change(("webhooks", 1, "failurePolicy"), "Ignore", MISSING, "ns-b"),
        ],
    )
    assert [w.get("failurePolicy") for w in parked["webhooks"]] == ["Ignore", "Ignore"]
    only_a = restore(parked, {"ns-a"})
    assert [w.get("failurePolicy") for w in only_a["webhooks"]] == ["Fail", "Ignore"]
    assert is_parked(only_a, {"ns-b"})
    assert not is_parked(only_a, {"ns-a"})
    both = restore(parked)
    assert both["webhooks"] == obj["webhooks"]
    assert repark(both, {"ns-b"})["webhooks"][1] == {"name": "b", "failurePolicy": "Ignore"}


def test_a_change_that_does_not_fit_is_left_out() -> None:
    obj = {"kind": "X", "metadata": {"name": "x"}, "webhooks": [], "spec": "text"}
    out = park(
        obj,
        [Change(("webhooks", 3, "failurePolicy"), "Ignore"), Change(("spec", "a"), 1)],
    )
    assert out == obj
    assert records(out) == []


def test_carried_original_of_a_parked_copy_and_of_an_activated_one() -> None:
    parked = park(job(suspend=False), [Change(SUSPEND, True, False)])
    assert carried_original(parked, SUSPEND) is False  # still parked: its record wins
    activated = restore(parked)
    assert carried_original(activated, SUSPEND) is False  # its value now
    edited = put_path(activated, SUSPEND, True)  # suspended by its owner since
    # the record says parked=True and the value is True: indistinguishable, the record wins
    assert carried_original(edited, SUSPEND) is False
    assert carried_original(job(), SUSPEND) is MISSING


def test_started_starts_only_what_is_still_parked_and_drops_the_record() -> None:
    parked = park(job(suspend=None), [Change(SUSPEND, True, None)])
    out = started(parked)
    assert out["spec"] == {"suspend": None}
    assert PARKED_ANNOTATION not in (out["metadata"].get("annotations") or {})
    plain = job(suspend=True)
    assert started(plain) == plain


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "{}",
        "[1, 2]",
        '[{"path": [], "parked": 1}]',
        '[{"path": ["spec", true], "parked": 1}]',
        '[{"path": ["spec", 1.5], "parked": 1}]',
        '[{"path": ["spec"]}]',
        '[{"path": ["spec"], "parked": 1, "namespace": 3}]',
    ],
)
def test_unreadable_records_are_ignored(text: str) -> None:
    obj = job(suspend=True)
    obj["metadata"]["annotations"] = {PARKED_ANNOTATION: text}
    assert records(obj) == []
    assert restore(obj) == obj
    assert describe(obj) == ""


def test_describe_for_the_ledger() -> None:
    obj = {
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "w"},
        "webhooks": [{"name": "a", "failurePolicy": "Fail"}],
    }
    parked = park(obj, [Change(("webhooks", 0, "failurePolicy"), "Ignore", "Fail", "ns")])
    assert describe(parked) == 'parked on the standby: webhooks[0].failurePolicy "Fail" -> "Ignore"'
    absent = park(job(), [Change(SUSPEND, True)])
    assert describe(absent) == "parked on the standby: spec.suspend (absent) -> true"
    assert path_text(("a", 0, "b", 1)) == "a[0].b[1]"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)


@given(st.one_of(st.just(MISSING), json_values), json_values)
def test_round_trip_restores_exactly(original: Any, parked_value: Any) -> None:
    obj = job() if original is MISSING else job(suspend=original)
    out = park(obj, [Change(SUSPEND, parked_value, carried_original(obj, SUSPEND))])
    assert get_path(out, SUSPEND) == parked_value
    back = restore(out)
    assert get_path(back, SUSPEND) == get_path(obj, SUSPEND)
    assert back["spec"] == obj["spec"]
    again = park(out, [Change(SUSPEND, parked_value, carried_original(out, SUSPEND))])
    assert restore(again)["spec"] == obj["spec"]  # a parked copy parked again keeps the original
