"""Metadata reduced to what travels; status dropped; the result independent of the input."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from stork.migration.transform.metadata import CONTROLLER_ANNOTATIONS, clean_metadata
from tests.unit.transform.builders import deployment, server_metadata


def test_deployment_keeps_identity_labels_annotations_and_spec() -> None:
    obj = deployment(annotations={"deployment.kubernetes.io/revision": "7", "owner": "team-a"})
    before = copy.deepcopy(obj)
    out = clean_metadata(obj)
    assert out == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "app",
            "labels": {"app": "web"},
            "annotations": {"owner": "team-a"},
        },
        "spec": before["spec"],
    }
    assert obj == before


def test_every_server_field_is_dropped() -> None:
    meta = server_metadata(
        "cm",
        labels={"a": "1"},
        annotations={"kubectl.kubernetes.io/last-applied-configuration": "{}"},
        ownerReferences=[{"apiVersion": "v1", "kind": "Pod", "name": "p", "uid": "u"}],
        finalizers=["example.com/keep"],
        generateName="cm-",
        deletionTimestamp="2026-03-02T00:00:00Z",
        deletionGracePeriodSeconds=30,
        selfLink="/api/v1/namespaces/app/configmaps/cm",
    )
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": "v"}}
    assert clean_metadata(obj) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "cm",
            "namespace": "app",
            "labels": {"a": "1"},
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
        },
        "data": {"k": "v"},
    }


def test_cluster_scoped_empty_maps_and_controller_annotations() -> None:
    obj = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {
            "name": "agent",
            "labels": {},
            "annotations": {"deprecated.daemonset.template.generation": "3"},
        },
        "spec": {"template": {}},
        "status": {"numberReady": 2},
    }
    assert clean_metadata(obj) == {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent"},
        "spec": {"template": {}},
    }
    assert clean_metadata({"kind": "X"}) == {"kind": "X", "metadata": {}}
    assert {
        "deployment.kubernetes.io/revision",
        "deprecated.daemonset.template.generation",
    } == CONTROLLER_ANNOTATIONS


def test_other_top_level_fields_travel_unchanged() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": server_metadata("creds"),
        "type": "Opaque",
        "data": {"password": "c2VjcmV0"},
        "immutable": True,
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": server_metadata("b"),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
        "subjects": [{"kind": "ServiceAccount", "name": "x", "namespace": "other"}],
    }
    for obj in (secret, binding):
        out = clean_metadata(obj)
        assert {k: v for k, v in out.items() if k != "metadata"} == {
            k: v for k, v in obj.items() if k != "metadata"
        }


def test_result_shares_nothing_with_the_input() -> None:
    obj = deployment()
    before = copy.deepcopy(obj)
    out = clean_metadata(obj)
    out["spec"]["template"]["spec"]["containers"][0]["image"] = "changed"
    out["metadata"]["labels"]["new"] = "x"
    assert obj == before


label_maps = st.dictionaries(
    st.sampled_from(["app", "tier", "deployment.kubernetes.io/revision", "a.b/c", "x"]),
    st.text(max_size=5),
    max_size=5,
)


@given(label_maps, label_maps, st.dictionaries(st.text(max_size=8), st.integers(), max_size=4))
def test_only_kept_metadata_survives_and_cleaning_is_idempotent(
    labels: dict[str, str], annotations: dict[str, str], extra: dict[str, Any]
) -> None:
    meta = {"name": "n", "namespace": "ns", "labels": labels, "annotations": annotations}
    obj = {"kind": "ConfigMap", "metadata": {**extra, **meta}, "status": {"x": 1}}
    out = clean_metadata(obj)
    assert set(out["metadata"]) <= {"name", "namespace", "labels", "annotations"}
    assert out["metadata"].get("labels", {}) == labels
    assert out["metadata"].get("annotations", {}) == {
        k: v for k, v in annotations.items() if k not in CONTROLLER_ANNOTATIONS
    }
    assert "status" not in out
    assert clean_metadata(out) == out
