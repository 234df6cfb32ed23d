"""The dict helpers: paths read safely, updates copy only the path they change."""

from __future__ import annotations

import copy

import pytest

from stork.migration.transform._objects import (
    MISSING,
    get_in,
    get_path,
    group_kind,
    put_path,
    set_in,
    string_map,
    with_metadata_map,
    without_in,
)

OBJ = {"metadata": {"name": "a", "labels": {"x": "1"}}, "spec": {"template": {"n": 1}}}


def test_group_kind() -> None:
    assert group_kind({"apiVersion": "apps/v1", "kind": "Deployment"}) == ("apps", "Deployment")
    assert group_kind({"apiVersion": "v1", "kind": "Service"}) == ("", "Service")
    assert group_kind({"apiVersion": "apps.openshift.io/v1", "kind": "DeploymentConfig"}) == (
        "apps.openshift.io",
        "DeploymentConfig",
    )
    assert group_kind({}) == ("", "")
    assert group_kind({"apiVersion": 3, "kind": None}) == ("", "")


def test_get_in() -> None:
    assert get_in(OBJ, "spec", "template", "n") == 1
    assert get_in(OBJ, "spec", "missing", "n") is None
    assert get_in(OBJ, "metadata", "name", "deeper") is None
    assert get_in(OBJ) is OBJ


def test_set_in_copies_only_the_path() -> None:
    before = copy.deepcopy(OBJ)
    out = set_in(OBJ, ("metadata", "labels"), {"y": "2"})
    assert out == {"metadata": {"name": "a", "labels": {"y": "2"}}, "spec": {"template": {"n": 1}}}
    assert before == OBJ
    assert out["spec"] is OBJ["spec"]  # shared, not copied
    assert out["metadata"] is not OBJ["metadata"]
    assert set_in({"spec": "odd"}, ("spec", "replicas"), 0) == {"spec": {"replicas": 0}}
    assert set_in({}, ("a", "b", "c"), 1) == {"a": {"b": {"c": 1}}}


def test_without_in() -> None:
    before = copy.deepcopy(OBJ)
    assert without_in(OBJ, ("metadata", "labels")) == {
        "metadata": {"name": "a"},
        "spec": {"template": {"n": 1}},
    }
    assert without_in(OBJ, ("spec",)) == {"metadata": {"name": "a", "labels": {"x": "1"}}}
    absent = without_in(OBJ, ("spec", "nothing", "here"))
    assert absent == OBJ
    assert absent is not OBJ
    assert before == OBJ


def test_string_map_and_metadata_maps() -> None:
    assert string_map(None) == {}
    assert string_map(["a"]) == {}
    labels = {"a": "1"}
    assert string_map(labels) == labels
    assert string_map(labels) is not labels
    assert with_metadata_map(OBJ, "annotations", {"n": "v"})["metadata"]["annotations"] == {
        "n": "v"
    }
    assert "labels" not in with_metadata_map(OBJ, "labels", {})["metadata"]
    assert with_metadata_map({"kind": "X"}, "labels", {}) == {"kind": "X"}


def test_paths_with_list_indexes() -> None:
    obj = {"webhooks": [{"name": "a"}, {"name": "b", "failurePolicy": "Fail"}]}
    assert get_path(obj, ("webhooks", 1, "failurePolicy")) == "Fail"
    assert get_path(obj, ("webhooks", 0, "failurePolicy")) is MISSING
    assert get_path(obj, ("webhooks", 5)) is MISSING
    assert get_path(obj, ("webhooks", "0")) is MISSING  # a key is not an index
    assert get_path({"a": None}, ("a",)) is None  # null is not absent
    assert get_path({"a": True}, (True,)) is MISSING  # type: ignore[arg-type]
    out = put_path(obj, ("webhooks", 0, "failurePolicy"), "Ignore")
    assert out["webhooks"][0] == {"name": "a", "failurePolicy": "Ignore"}
    assert out["webhooks"][1] is obj["webhooks"][1]  # only the path is copied
    assert obj["webhooks"][0] == {"name": "a"}
    assert put_path(out, ("webhooks", 0, "failurePolicy"), MISSING)["webhooks"][0] == {"name": "a"}
    with pytest.raises(ValueError, match="no item 2"):
        put_path(obj, ("webhooks", 2, "x"), 1)
    with pytest.raises(ValueError, match="not a field of a mapping"):
        put_path({"a": "text"}, ("a", "b"), 1)
    assert put_path({}, ("a", "b"), 1) == {"a": {"b": 1}}
    assert put_path({}, ("a", "b"), MISSING) == {}  # nothing created to remove nothing
    assert repr(MISSING) == "MISSING"
